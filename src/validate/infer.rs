//! A starting data contract from a file's profile, TFDV-style, for the user to edit: the
//! types, nullability and categories the data has now. Ranges are written commented out:
//! the next batch of good data is rarely inside today's minimum and maximum.

use std::fmt::Write as _;

use super::profile::{ColumnProfile, MAX_CATEGORIES, Profile};

/// A column with at most this many distinct strings gets an `allowed` list.
const MAX_ALLOWED: u64 = 20;

/// The contract as TOML tables under `[suite.data.schema]`, to paste into a suite.
pub fn contract_toml(profile: &Profile, label: Option<&str>, duplicates: u64) -> String {
    let mut out = String::new();
    let rows = profile.rows;
    let _ = writeln!(
        out,
        "# Inferred by `mlops-ci data profile` from {rows} rows: edit it, then keep it under [[suite]]."
    );
    out.push_str("[suite.data.schema]\n");
    out.push_str("severity = \"fail\"\n");
    let _ = writeln!(out, "min_rows = {}", (rows / 2).max(1));
    let _ = writeln!(out, "max_duplicate_rows = {duplicates}");
    for (name, column) in profile.columns.iter().zip(&profile.profiles) {
        let is_label = Some(name.as_str()) == label;
        let _ = writeln!(out, "\n[suite.data.schema.columns.{}]", key(name));
        column_rules(&mut out, column, rows, is_label);
    }
    out
}

fn column_rules(out: &mut String, column: &ColumnProfile, rows: u64, is_label: bool) {
    let counts = column.counts;
    let kind = counts.kind();
    if matches!(kind, "int" | "float" | "string" | "bool") {
        let _ = writeln!(out, "type = \"{kind}\"");
    }
    if counts.nulls == 0 {
        out.push_str("nullable = false\n");
    } else {
        // Round the observed share up to the next percent.
        let share = counts.nulls as f64 / rows.max(1) as f64;
        let _ = writeln!(
            out,
            "max_null_share = {}",
            ((share * 100.0).ceil() / 100.0).min(1.0)
        );
    }
    let distinct = column.distinct();
    let categories = column.categories();
    let categorical = kind == "string" || kind == "bool" || is_label;
    // A classification label lists every class: a new one is then a broken contract.
    let limit = if is_label {
        MAX_CATEGORIES as u64
    } else {
        MAX_ALLOWED
    };
    match categories {
        Some(values) if categorical && distinct <= limit => {
            let list: Vec<String> = values.iter().map(|(v, _)| toml_string(v)).collect();
            let _ = writeln!(out, "allowed = [{}]", list.join(", "));
        }
        _ => {}
    }
    if distinct == rows && rows > 1 && matches!(kind, "int" | "string") && !is_label {
        out.push_str("unique = true\n");
    }
    if let Some((min, max)) = column.moments.range()
        && matches!(kind, "int" | "float")
    {
        let _ = writeln!(out, "# min = {min}  # observed; widen before enabling");
        let _ = writeln!(out, "# max = {max}");
    }
}

/// A TOML key: bare when it can be, else quoted.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        toml_string(name)
    }
}

/// A TOML basic string on one line (a key cannot be a multi-line string).
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::cells::Cell;

    #[test]
    fn the_inferred_contract_parses_and_keeps_names_safe() {
        let mut profile = Profile::new(&["id".to_owned(), "odd \"name\"\n".to_owned()]);
        for (i, v) in ["a", "b", "a"].into_iter().enumerate() {
            profile.profiles[0].push(Cell::Int(i as i64));
            profile.profiles[1].push(Cell::Text(v));
            profile.rows += 1;
        }
        let text = contract_toml(&profile, None, 0);
        let doc: toml::Table = toml::from_str(&text).expect(&text);
        let columns = &doc["suite"]["data"]["schema"]["columns"];
        assert_eq!(columns["id"]["unique"].as_bool(), Some(true));
        assert_eq!(
            columns["odd \"name\"\n"]["allowed"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}
