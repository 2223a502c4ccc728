//! The repository paths one suite depends on, and matching changes against them.

use globset::{GlobBuilder, GlobMatcher};

use super::{DetectError, DvcChange, Reason, ReasonKind, repo_path};
use crate::config::Config;
use crate::error::Result;
use crate::git::{Change, ChangeSet, Repo};

/// One suite's paths, relative to the repository root.
pub(crate) struct SuitePaths {
    pub name: String,
    model: Option<String>,
    /// `[baseline] path`: the fixed baseline model every suite is compared with.
    baseline: Option<String>,
    data: Option<String>,
    /// The config file's directory (watch globs are relative to it); empty at the root.
    config_dir: String,
    watch: Vec<(String, GlobMatcher)>,
}

impl SuitePaths {
    pub fn for_config(repo: &Repo, config: &Config) -> Result<Vec<SuitePaths>> {
        let config_dir = repo_path(repo, &config.root).unwrap_or_default();
        let mut out = Vec::new();
        for suite in &config.suites {
            let mut watch = Vec::new();
            for pattern in &suite.watch {
                // gitignore-like: `*` stays within one directory, `**` crosses them.
                let glob = GlobBuilder::new(pattern.trim_end_matches('/'))
                    .literal_separator(true)
                    .build()
                    .map_err(|e| DetectError::BadGlob {
                        path: config.path.display().to_string(),
                        line: watch_line(config, suite, pattern),
                        suite: suite.name().to_owned(),
                        pattern: pattern.clone(),
                        message: e.kind().to_string(),
                    })?;
                watch.push((pattern.clone(), glob.compile_matcher()));
            }
            out.push(SuitePaths {
                name: suite.name().to_owned(),
                model: repo_path(repo, &config.resolve(&suite.model)),
                baseline: config
                    .baseline
                    .path
                    .as_ref()
                    .and_then(|p| repo_path(repo, &config.resolve(p))),
                data: repo_path(repo, &config.resolve(&suite.data.path)),
                config_dir: config_dir.clone(),
                watch,
            });
        }
        Ok(out)
    }

    /// The literal paths to walk in the working tree; `None` when a glob needs the whole tree.
    pub fn scan_roots(&self) -> Option<Vec<String>> {
        let mut roots = Vec::new();
        let config_file = join(&self.config_dir, crate::config::CONFIG_FILE_NAME);
        roots.push(config_file);
        roots.push(join(&self.config_dir, "dvc.lock"));
        roots.extend(self.model.iter().flat_map(|p| with_dvc_pointers(p)));
        roots.extend(self.baseline.iter().flat_map(|p| with_dvc_pointers(p)));
        roots.extend(self.data.iter().flat_map(|p| with_dvc_pointers(p)));
        for (pattern, _) in &self.watch {
            let prefix = literal_prefix(pattern.trim_end_matches('/'));
            if prefix.is_empty() {
                return None;
            }
            roots.push(join(&self.config_dir, &prefix));
        }
        Some(roots)
    }

    pub fn reasons(&self, changes: &ChangeSet, dvc: &[DvcChange<'_>]) -> Vec<Reason> {
        let mut reasons = Vec::new();
        for change in &changes.changes {
            if let Some(model) = &self.model
                && change.paths().any(|p| covers(model, p))
            {
                reasons.push(file_reason(ReasonKind::Model, "model", change));
            } else if let Some(baseline) = &self.baseline
                && change.paths().any(|p| covers(baseline, p))
            {
                reasons.push(file_reason(ReasonKind::Baseline, "baseline model", change));
            } else if let Some(data) = &self.data
                && change.paths().any(|p| covers(data, p))
            {
                reasons.push(file_reason(ReasonKind::Data, "data", change));
            } else if let Some(pattern) = self.watch_hit(change) {
                let mut reason = file_reason(ReasonKind::Watch, "watched", change);
                reason.message = format!("{} (matches `{pattern}`)", reason.message);
                reasons.push(reason);
            }
        }
        for hit in dvc {
            for (kind, role, target) in [
                (ReasonKind::Model, "model", &self.model),
                (ReasonKind::Baseline, "baseline model", &self.baseline),
                (ReasonKind::Data, "data", &self.data),
            ] {
                if let Some(target) = target
                    && (covers(&hit.output, target) || covers(target, &hit.output))
                {
                    let mut reason = file_reason(kind, role, hit.pointer);
                    reason.message = format!(
                        "{role} `{target}` changed: its DVC pointer `{}` was {} ({})",
                        hit.pointer.path, hit.pointer.kind, hit.pointer.origin
                    );
                    reasons.push(reason);
                }
            }
        }
        reasons
    }

    fn watch_hit(&self, change: &Change) -> Option<&str> {
        for path in change.paths() {
            let Some(relative) = strip_dir(&self.config_dir, path) else {
                continue;
            };
            // A pattern naming a directory covers what is inside it, as in .gitignore.
            let mut candidate = Some(relative);
            while let Some(p) = candidate {
                if let Some((pattern, _)) = self.watch.iter().find(|(_, m)| m.is_match(p)) {
                    return Some(pattern);
                }
                candidate = p.rsplit_once('/').map(|(parent, _)| parent);
            }
        }
        None
    }
}

/// The line of a watch pattern: the first occurrence after the suite's name (the pattern is
/// not kept with a span), else the name's line.
fn watch_line(config: &Config, suite: &crate::config::SuiteConfig, pattern: &str) -> usize {
    let start = suite.name.span().end;
    let offset = config
        .source
        .get(start..)
        .and_then(|rest| rest.find(pattern))
        .map_or(suite.name.span().start, |i| start + i);
    config.line_of(offset)
}

fn file_reason(kind: ReasonKind, role: &str, change: &Change) -> Reason {
    let mut message = format!(
        "{role} `{}` {} ({})",
        change.path, change.kind, change.origin
    );
    if let Some(old) = &change.old_path {
        message.push_str(&format!(", from `{old}`"));
    }
    if let Some(lfs) = &change.lfs {
        let show = |oid: &Option<String>| {
            oid.as_deref().map_or("none".to_owned(), |o| {
                o.chars().take(19).collect::<String>() + "…"
            })
        };
        message.push_str(&format!(
            "; Git LFS object {} → {}",
            show(&lfs.old_oid),
            show(&lfs.new_oid)
        ));
    }
    Reason {
        kind,
        path: Some(change.path.clone()),
        change: Some(change.kind),
        origin: Some(change.origin),
        message,
    }
}

/// Whether `path` is `target` or inside it (a data directory).
fn covers(target: &str, path: &str) -> bool {
    path == target || (path.starts_with(target) && path.as_bytes().get(target.len()) == Some(&b'/'))
}

fn strip_dir<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

/// `path`, plus the DVC pointers that could track it: `path.dvc` and `<ancestor>.dvc`.
fn with_dvc_pointers(path: &str) -> Vec<String> {
    let mut out = vec![path.to_owned(), format!("{path}.dvc")];
    let mut rest = path;
    while let Some((parent, _)) = rest.rsplit_once('/') {
        out.push(format!("{parent}.dvc"));
        rest = parent;
    }
    out
}

/// The directories of a glob before its first wildcard: `features/**/*.py` → `features`.
fn literal_prefix(pattern: &str) -> String {
    let mut parts = Vec::new();
    for part in pattern.split('/') {
        if part.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        parts.push(part);
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes() {
        assert_eq!(literal_prefix("features/**/*.py"), "features");
        assert_eq!(literal_prefix("src/prep.py"), "src/prep.py");
        assert_eq!(literal_prefix("**/*.py"), "");
        assert_eq!(literal_prefix("*.yaml"), "");
    }

    #[test]
    fn a_directory_covers_its_files_only() {
        assert!(covers("data", "data/x.csv"));
        assert!(covers("data/x.csv", "data/x.csv"));
        assert!(!covers("data", "database.csv"));
        assert_eq!(
            with_dvc_pointers("data/iris/test.csv"),
            vec![
                "data/iris/test.csv",
                "data/iris/test.csv.dvc",
                "data/iris.dvc",
                "data.dvc"
            ]
        );
    }
}
