//! Model input names against data column names: the name skl2onnx derives from a DataFrame
//! column, the nearest column for a suggestion, and the `[suite.io.inputs]` line to add.

use crate::data::Schema;

/// The input name skl2onnx gives a DataFrame column (`Topology._generate_unique_name`:
/// `re.sub("[^\\w+]", "_", name)`, then `_` before a leading digit). `\w` is Python's
/// Unicode word class: letters, digits and `_`; `+` is kept too.
pub fn skl2onnx_name(column: &str) -> String {
    let mut name: String = column
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '+' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// `name` as a TOML key or string: bare when it can be, else quoted and escaped.
pub fn toml_quoted(name: &str, bare_allowed: bool) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare && bare_allowed {
        name.to_owned()
    } else {
        toml::Value::String(name.to_owned()).to_string()
    }
}

/// The `[suite.io.inputs]` line that maps `input` to `column`.
pub(super) fn mapping_line(input: &str, column: &str) -> String {
    format!(
        "{} = {}",
        toml_quoted(input, true),
        toml_quoted(column, false)
    )
}

/// The column named `input`, or the one column skl2onnx would have named so; `(index,
/// exact)`. Several candidates are an error: guessing between them could feed the wrong one.
pub(super) fn named_column(input: &str, schema: &Schema) -> Result<Option<(usize, bool)>, String> {
    let usable = |c: &&String| **c != schema.label;
    if let Some(i) = schema.columns.iter().position(|c| c == input && usable(&c)) {
        return Ok(Some((i, true)));
    }
    let candidates: Vec<usize> = schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| usable(c) && skl2onnx_name(c) == input)
        .map(|(i, _)| i)
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one, false))),
        several => Err(format!(
            "input `{input}` could be any of the columns {} (skl2onnx names each `{input}`); add {} under [suite.io.inputs]",
            several
                .iter()
                .map(|&i| format!("`{}`", schema.columns[i]))
                .collect::<Vec<_>>()
                .join(", "),
            mapping_line(input, &schema.columns[several[0]])
        )),
    }
}

/// The column whose name (as skl2onnx would write it) is nearest to `input`.
pub(super) fn nearest<'a>(input: &str, schema: &'a Schema) -> Option<&'a str> {
    schema
        .columns
        .iter()
        .filter(|c| **c != schema.label && c.len() <= 256)
        .map(|c| {
            let score =
                strsim::jaro_winkler(input, c).max(strsim::jaro_winkler(input, &skl2onnx_name(c)));
            (score, c.as_str())
        })
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// What to write so that `input` finds its column.
pub(super) fn suggestion(input: &str, schema: &Schema) -> String {
    match nearest(input, schema) {
        Some(column) => format!(
            "add {} under [suite.io.inputs]",
            mapping_line(input, column)
        ),
        None => format!(
            "add {} under [suite.io.inputs], naming the column it takes (columns: {})",
            mapping_line(input, "<column>"),
            crate::data::listed_columns(&schema.columns)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skl2onnx_names_are_what_skl2onnx_writes() {
        // Checked against skl2onnx 1.20's to_onnx(pipeline, X=DataFrame).
        assert_eq!(
            skl2onnx_name("od280/od315_of_diluted_wines"),
            "od280_od315_of_diluted_wines"
        );
        assert_eq!(skl2onnx_name("1st"), "_1st");
        assert_eq!(skl2onnx_name("a+b"), "a+b");
        assert_eq!(skl2onnx_name("é x"), "é_x");
        assert_eq!(skl2onnx_name("a b"), "a_b");
    }

    #[test]
    fn toml_keys_are_quoted_only_when_needed() {
        assert_eq!(mapping_line("x_1", "x 1"), r#"x_1 = "x 1""#);
        assert_eq!(
            mapping_line("od280_od315", "od280/od315"),
            r#"od280_od315 = "od280/od315""#
        );
        assert_eq!(mapping_line("a+b", "a\"b"), r#""a+b" = 'a"b'"#);
    }
}
