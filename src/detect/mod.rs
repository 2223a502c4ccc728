//! Which suites a change affects, and why.
//!
//! A suite is affected when its model, its data (directly, or through a Git LFS or DVC
//! pointer), a path matching its `watch` globs, or its own settings in `mlops-ci.toml` changed.
//! Everything here reads git objects and file names only: no model is loaded and no data is
//! read, so "nothing affected" costs about as much as `git diff --name-only`.

mod config_diff;
mod output;
mod suite_paths;

use std::path::Path;

use serde::Serialize;

pub use output::{github_output, render_json, render_text, write_github_output};
use suite_paths::SuitePaths;

use crate::config::Config;
use crate::error::Result;
use crate::git::{
    BaseQuery, BaseRevision, Candidate, Change, ChangeKind, ChangeOrigin, ChangeSet, PathScope,
    Repo,
};

/// Errors of change detection itself (git and config errors keep their own types).
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(
        "{path}:{line}: watch pattern `{pattern}` of suite `{suite}` is not a valid glob: {message}"
    )]
    BadGlob {
        path: String,
        line: usize,
        suite: String,
        pattern: String,
        message: String,
    },
    #[error("cannot write the step outputs to {path} (from $GITHUB_OUTPUT): {source}")]
    GithubOutput {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "--github-output needs $GITHUB_OUTPUT, which GitHub Actions sets for every step; it is not set here"
    )]
    NoGithubOutput,
}

/// The answer: the affected suites with their reasons, and the others.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// The base revision compared with; `None` when there is none (every suite is affected).
    pub base: Option<BaseSummary>,
    /// How many changed files were looked at (the working tree only at the suites' paths).
    pub changed_files: usize,
    pub affected: Vec<AffectedSuite>,
    /// Suites no change touched.
    pub unaffected: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaseSummary {
    pub revision: String,
    /// The base branch's tip (what the models are compared with).
    pub commit: String,
    /// Where the change forked from it: changes are counted from here.
    pub fork_point: String,
    pub how: String,
}

impl BaseSummary {
    /// " since `origin/main` (abc1234567)", or the fork point when the base moved on since.
    fn since(&self) -> String {
        let short = |id: &str| id[..id.len().min(10)].to_owned();
        if self.fork_point == self.commit {
            format!(" since `{}` ({})", self.revision, short(&self.commit))
        } else {
            format!(
                " since the fork point with `{}` ({})",
                self.revision,
                short(&self.fork_point)
            )
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedSuite {
    pub name: String,
    pub reasons: Vec<Reason>,
}

/// One reason a suite is affected.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The changed file, when a file is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<ChangeOrigin>,
    /// One line for people.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    Model,
    /// The fixed baseline model (`[baseline] path`) changed.
    Baseline,
    Data,
    Watch,
    Config,
    /// No base revision (or no git repository): nothing to compare with, so everything runs.
    NoBase,
}

impl Detection {
    pub fn names(&self) -> Vec<&str> {
        self.affected.iter().map(|s| s.name.as_str()).collect()
    }

    /// Why an unaffected suite does not run, for the report's "skipped" list.
    pub fn skip_reason(&self) -> String {
        match &self.base {
            Some(base) => format!(
                "not affected: no change to its model, data, watched paths or settings{}",
                base.since()
            ),
            None => "not affected".to_owned(),
        }
    }

    /// The one line printed when no suite is affected.
    pub fn nothing_line(&self) -> String {
        let since = self
            .base
            .as_ref()
            .map(BaseSummary::since)
            .unwrap_or_default();
        format!(
            "mlops-ci: nothing to check: no suite is affected by the {} changed file(s){since}; `--all` runs every suite",
            self.changed_files
        )
    }
}

/// Detects the suites the working tree's changes affect, against the base the baseline rule
/// picks (`query.configured` defaults to `baseline.ref`).
pub fn detect(config: &Config, query: &BaseQuery<'_>) -> Result<Detection> {
    let Some(repo) = Repo::discover(&config.root) else {
        return Ok(everything(
            config,
            &format!("{} is not in a git repository", config.root.display()),
        ));
    };
    let query = BaseQuery {
        configured: query.configured.or(config.baseline.git_ref.as_deref()),
        ..query.clone()
    };
    let base = repo.resolve_base(&query)?;
    detect_in(&repo, config, base.as_ref(), Candidate::WorkingTree)
}

/// Detects the suites affected between `base` and `candidate` in `repo`.
pub fn detect_in(
    repo: &Repo,
    config: &Config,
    base: Option<&BaseRevision>,
    candidate: Candidate,
) -> Result<Detection> {
    let Some(base) = base else {
        return Ok(everything(
            config,
            "there is no base revision to compare with (no commits yet, and no `origin/HEAD`, `origin/main`, `main` or `master`; use --base REV)",
        ));
    };
    let summary = BaseSummary {
        revision: base.revision.clone(),
        commit: base.commit.to_string(),
        fork_point: base.fork_point.to_string(),
        how: base.how.clone(),
    };
    let suites = SuitePaths::for_config(repo, config)?;
    let scope = working_tree_scope(&suites);
    let changes = repo.changes(Some(base.fork_point), candidate, &scope)?;
    let config_reasons = config_diff::reasons(repo, config, base, &changes)?;
    let dvc_changes = dvc_outputs(repo, &changes);

    let mut affected = Vec::new();
    let mut unaffected = Vec::new();
    for paths in &suites {
        let mut reasons = paths.reasons(&changes, &dvc_changes);
        reasons.extend(
            config_reasons
                .iter()
                .filter(|(name, _)| name.as_deref().is_none_or(|n| n == paths.name))
                .map(|(_, r)| r.clone()),
        );
        if reasons.is_empty() {
            unaffected.push(paths.name.clone());
        } else {
            affected.push(AffectedSuite {
                name: paths.name.clone(),
                reasons,
            });
        }
    }
    Ok(Detection {
        base: Some(summary),
        changed_files: changes.len(),
        affected,
        unaffected,
    })
}

/// Every suite, for one reason (no repository, no base).
fn everything(config: &Config, why: &str) -> Detection {
    let reason = Reason {
        kind: ReasonKind::NoBase,
        path: None,
        change: None,
        origin: None,
        message: format!("{why}: every suite runs"),
    };
    Detection {
        base: None,
        changed_files: 0,
        affected: config
            .suites
            .iter()
            .map(|s| AffectedSuite {
                name: s.name().to_owned(),
                reasons: vec![reason.clone()],
            })
            .collect(),
        unaffected: Vec::new(),
    }
}

/// The working-tree paths worth walking: each suite's files, the config, DVC pointers and
/// the literal part of each watch glob. One glob without a literal prefix (`**/*.py`) means
/// the whole tree.
fn working_tree_scope(suites: &[SuitePaths]) -> PathScope {
    let mut paths: Vec<String> = Vec::new();
    for suite in suites {
        match suite.scan_roots() {
            Some(roots) => paths.extend(roots),
            None => return PathScope::Everything,
        }
    }
    paths.sort();
    paths.dedup();
    PathScope::Only(paths)
}

/// A data path changed through a DVC pointer: (data path, pointer change).
pub(crate) struct DvcChange<'a> {
    pub output: String,
    pub pointer: &'a Change,
}

fn dvc_outputs<'a>(repo: &Repo, changes: &'a ChangeSet) -> Vec<DvcChange<'a>> {
    let mut out = Vec::new();
    for change in changes
        .changes
        .iter()
        .filter(|c| crate::dvc::is_dvc_file(&c.path))
    {
        let text = |new_side: bool| {
            repo.read_side(change, new_side)
                .and_then(|b| String::from_utf8(b).ok())
        };
        let (old, new) = (text(false), text(true));
        for output in crate::dvc::changed_outputs(&change.path, old.as_deref(), new.as_deref()) {
            out.push(DvcChange {
                output,
                pointer: change,
            });
        }
    }
    out
}

/// `path` relative to the repository root as a `/`-separated string, if inside it. The file
/// itself is not resolved: a model that is a symlink is the symlink's path, as git names it
/// (only the directory holding it is made canonical).
fn repo_path(repo: &Repo, path: &Path) -> Option<String> {
    if path.is_dir() {
        let dir = path.canonicalize().ok()?;
        let relative = dir.strip_prefix(repo.workdir()).ok()?;
        return Some(
            relative
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/"),
        );
    }
    let name = path.file_name()?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut parts: Vec<String> = Vec::new();
    let relative_dir = match parent.canonicalize() {
        Ok(dir) => dir.strip_prefix(repo.workdir()).ok()?.to_path_buf(),
        // The directory does not exist (any more): resolve what does exist, lexically.
        Err(_) => {
            return repo
                .relative(path)
                .ok()
                .map(|p| p.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"));
        }
    };
    for component in relative_dir
        .components()
        .chain(std::iter::once(std::path::Component::Normal(name)))
    {
        match component {
            std::path::Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    Some(parts.join("/"))
}
