//! DVC pointers: `<file>.dvc` (and `dvc.lock`) name the data they track by path and hash.
//! The data itself is usually git-ignored, so the pointer changing is the only trace in git
//! that the data changed.
//!
//! DVC writes these files in one simple YAML shape; a small reader of `outs:` entries avoids a
//! YAML dependency for two keys.

/// One output a DVC file tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DvcOut {
    /// As written in the file: relative to the directory holding it.
    pub path: String,
    /// The content hash (`md5`, `etag` or `checksum`); `None` when not written yet.
    pub hash: Option<String>,
}

/// Whether a repository path is a DVC pointer this module reads.
pub fn is_dvc_file(path: &str) -> bool {
    path.ends_with(".dvc") || path == "dvc.lock" || path.ends_with("/dvc.lock")
}

/// The `outs:` entries of a `.dvc` file or `dvc.lock` (in every stage).
pub fn parse_outs(text: &str) -> Vec<DvcOut> {
    let mut outs = Vec::new();
    let mut outs_indent: Option<usize> = None;
    let mut current: Option<DvcOut> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if let Some(base) = outs_indent {
            let inside = indent > base || (indent == base && trimmed.starts_with("- "));
            if !inside {
                outs.extend(current.take());
                outs_indent = None;
            }
        }
        if outs_indent.is_none() {
            if trimmed == "outs:" {
                outs_indent = Some(indent);
            }
            continue;
        }
        let entry = match trimmed.strip_prefix("- ") {
            Some(rest) => {
                outs.extend(current.take());
                current = Some(DvcOut {
                    path: String::new(),
                    hash: None,
                });
                rest
            }
            None => trimmed,
        };
        let (Some(out), Some((key, value))) = (current.as_mut(), entry.split_once(':')) else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim() {
            "path" if out.path.is_empty() => out.path = value.to_owned(),
            "md5" | "etag" | "checksum" if out.hash.is_none() => out.hash = Some(value.to_owned()),
            _ => {}
        }
    }
    outs.extend(current);
    outs.retain(|o| !o.path.is_empty());
    outs
}

/// The paths (relative to the repository root) whose tracked content differs between two
/// versions of the DVC file at `pointer_path`. A missing side counts as empty.
pub fn changed_outputs(pointer_path: &str, old: Option<&str>, new: Option<&str>) -> Vec<String> {
    let old = old.map(parse_outs).unwrap_or_default();
    let new = new.map(parse_outs).unwrap_or_default();
    let dir = pointer_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut changed: Vec<String> = Vec::new();
    for out in old.iter().chain(&new) {
        let before = old.iter().find(|o| o.path == out.path).map(|o| &o.hash);
        let after = new.iter().find(|o| o.path == out.path).map(|o| &o.hash);
        let path = join(dir, &out.path);
        if before != after && !changed.contains(&path) {
            changed.push(path);
        }
    }
    changed
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(value)
}

/// `dir` joined with a relative path, `.` and `..` resolved, trailing `/` dropped.
fn join(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINTER: &str = "outs:\n- md5: 3863d0e317dee0a55c4e59d2ec0eef33\n  size: 5832\n  hash: md5\n  path: test.csv\n";

    #[test]
    fn reads_a_dvc_file() {
        assert_eq!(
            parse_outs(POINTER),
            vec![DvcOut {
                path: "test.csv".into(),
                hash: Some("3863d0e317dee0a55c4e59d2ec0eef33".into())
            }]
        );
    }

    #[test]
    fn reads_the_outs_of_every_stage_of_a_lock_file() {
        let lock = "schema: '2.0'\nstages:\n  prepare:\n    cmd: python prep.py\n    deps:\n    - path: raw.csv\n      md5: aaa\n    outs:\n    - path: data/clean.csv\n      md5: bbb\n  train:\n    outs:\n    - path: models/m.onnx\n      md5: \"ccc\"\n";
        let outs = parse_outs(lock);
        assert_eq!(outs.len(), 2, "{outs:?}");
        assert_eq!(
            outs[0],
            DvcOut {
                path: "data/clean.csv".into(),
                hash: Some("bbb".into())
            }
        );
        assert_eq!(
            outs[1],
            DvcOut {
                path: "models/m.onnx".into(),
                hash: Some("ccc".into())
            }
        );
    }

    #[test]
    fn names_only_the_outputs_whose_hash_changed() {
        let old = "outs:\n- md5: a\n  path: x.csv\n- md5: b\n  path: ../y.csv\n";
        let new = "outs:\n- md5: a\n  path: x.csv\n- md5: c\n  path: ../y.csv\n";
        assert_eq!(
            changed_outputs("data/sub/x.dvc", Some(old), Some(new)),
            vec!["data/y.csv".to_owned()]
        );
        assert_eq!(
            changed_outputs("x.dvc", None, Some(new)),
            vec!["x.csv".to_owned(), "y.csv".to_owned()]
        );
        assert!(
            is_dvc_file("data/test.csv.dvc") && is_dvc_file("dvc.lock") && !is_dvc_file("dvc.yaml")
        );
    }
}
