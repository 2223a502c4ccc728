//! A change to `mlops-ci.toml` affects only the suites whose settings changed.
//!
//! Both versions are compared as TOML values, not as text: reformatting, comments and moving a
//! suite's table around change nothing. `[runtime]` and `[baseline]` apply to every suite.

use toml::{Table, Value};

use super::{Reason, ReasonKind, repo_path};
use crate::config::Config;
use crate::error::Result;
use crate::git::{BaseRevision, ChangeSet, Repo};

/// `(suite, reason)` pairs; a `None` suite means every suite.
pub(crate) fn reasons(
    repo: &Repo,
    config: &Config,
    base: &BaseRevision,
    changes: &ChangeSet,
) -> Result<Vec<(Option<String>, Reason)>> {
    let Some(config_path) = repo_path(repo, &config.path) else {
        return Ok(Vec::new());
    };
    // The last change wins: committed, then staged, then the working tree.
    let Some(change) = changes
        .changes
        .iter()
        .rev()
        .find(|c| c.paths().any(|p| p == config_path))
    else {
        return Ok(Vec::new());
    };
    let everyone = |message: String| Ok(vec![(None, config_reason(&config_path, message))]);
    let Some((old_bytes, _)) = repo.read_at(base.fork_point, &config.path)? else {
        return everyone(format!("`{config_path}` is new since `{}`", base.revision));
    };
    let new_text = match repo.read_side(change, true) {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => config.source.clone(),
    };
    let (Some(old), Some(new)) = (parse(&old_bytes), parse(new_text.as_bytes())) else {
        return everyone(format!(
            "`{config_path}` does not parse at `{}` or now, so its settings cannot be compared",
            base.revision
        ));
    };
    for section in ["runtime", "baseline"] {
        if old.get(section) != new.get(section) {
            return everyone(format!(
                "`[{section}]` in `{config_path}` changed (it applies to every suite)"
            ));
        }
    }
    // A removed suite takes its gates with it: the check must run to say so (and fail).
    let removed = suite_names(&old)
        .into_iter()
        .find(|name| suite_table(&new, name).is_none());
    if let Some(name) = removed {
        return everyone(format!(
            "suite `{name}` was removed from `{config_path}`, which loosens the gates"
        ));
    }
    let mut out = Vec::new();
    for suite in &config.suites {
        let name = suite.name();
        let message = match (suite_table(&old, name), suite_table(&new, name)) {
            (None, _) => format!("suite `{name}` is new in `{config_path}`"),
            (Some(before), Some(after)) if before != after => {
                let keys = changed_keys(before, after);
                format!(
                    "its settings in `{config_path}` changed ({})",
                    keys.join(", ")
                )
            }
            _ => continue,
        };
        out.push((Some(name.to_owned()), config_reason(&config_path, message)));
    }
    Ok(out)
}

fn config_reason(path: &str, message: String) -> Reason {
    Reason {
        kind: ReasonKind::Config,
        path: Some(path.to_owned()),
        change: None,
        origin: None,
        message,
    }
}

fn parse(bytes: &[u8]) -> Option<Table> {
    std::str::from_utf8(bytes).ok()?.parse::<Table>().ok()
}

fn suite_table<'a>(config: &'a Table, name: &str) -> Option<&'a Table> {
    config
        .get("suite")?
        .as_array()?
        .iter()
        .filter_map(Value::as_table)
        .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
}

fn suite_names(config: &Table) -> Vec<&str> {
    config
        .get("suite")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect()
}

/// The top-level keys of a suite that differ: `model`, `gate`, `data`...
fn changed_keys(before: &Table, after: &Table) -> Vec<String> {
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| format!("`{k}`"))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reformatting_is_not_a_change_but_a_gate_is() {
        let old = parse(b"[[suite]]\nname = \"a\"\nmodel = \"m.onnx\"\n[[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.9\n").unwrap();
        let same = parse(b"# comment\n[[suite]]\nname   = 'a'\nmodel = \"m.onnx\"\n\n[[suite.gate]]\nmin = 0.9\nmetric = \"accuracy\"\n").unwrap();
        let stricter = parse(b"[[suite]]\nname = \"a\"\nmodel = \"m.onnx\"\n[[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.95\n").unwrap();
        assert_eq!(suite_table(&old, "a"), suite_table(&same, "a"));
        let (before, after) = (
            suite_table(&old, "a").unwrap(),
            suite_table(&stricter, "a").unwrap(),
        );
        assert_eq!(changed_keys(before, after), vec!["`gate`"]);
    }
}
