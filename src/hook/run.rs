//! `mlops-ci hook run <hook>`: what the installed scripts call.
//!
//! Detection happens in this process (cheap: git objects only). The evaluation, when a suite
//! is affected, runs as a child `mlops-ci check`: ONNX Runtime allows one environment per
//! process and a push can carry several refs, and the child's report goes straight to the
//! user's terminal.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::push::{self, PushUpdate};
use super::{HookError, HookKind};
use crate::config::{Config, HookMode, OnFailure};
use crate::detect::{self, Detection};
use crate::error::Result;
use crate::git::{BaseQuery, BaseRevision, Candidate, Repo, short};

/// How the hook was started.
pub struct HookRun<'a> {
    /// `-C`: where the configuration is.
    pub dir: &'a Path,
    /// `--config`, if given.
    pub config: Option<&'a Path>,
    /// Global options to hand to the child `check` (`--color`, `-v`).
    pub passthrough: Vec<OsString>,
    /// Options of `check` itself to hand on (`--ort-lib`, `--offline`).
    pub check_args: Vec<OsString>,
    /// The hook's own arguments (pre-push: remote name and URL).
    pub args: &'a [String],
}

/// Runs hook `kind`; the exit status refuses the push or commit when non-zero.
pub fn run(kind: HookKind, how: &HookRun<'_>) -> Result<u8> {
    if std::env::var("MLOPS_CI_SKIP").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!(
            "mlops-ci: MLOPS_CI_SKIP is set; the {} check is skipped",
            kind.file_name()
        );
        return Ok(0);
    }
    let config = crate::app::load_config(how.dir, how.config)?;
    let repo = Repo::discover(&config.root).ok_or_else(|| HookError::NotARepository {
        dir: config.root.clone(),
    })?;
    match kind {
        HookKind::PrePush => pre_push(&repo, &config, how),
        HookKind::PreCommit => pre_commit(&repo, &config, how),
    }
}

fn pre_push(repo: &Repo, config: &Config, how: &HookRun<'_>) -> Result<u8> {
    // git passes the remote's name; the pre-commit framework passes none but sets a variable.
    let from_env = std::env::var("PRE_COMMIT_REMOTE_NAME")
        .ok()
        .filter(|r| !r.is_empty());
    let remote = how
        .args
        .first()
        .map(String::as_str)
        .or(from_env.as_deref())
        .unwrap_or("origin");
    let updates = read_updates()?;
    let mut refused = Vec::new();
    for update in &updates {
        // An annotated tag is pushed as a tag object: what it points to is the commit.
        let Some(update) = &push::peeled(repo, update) else {
            eprintln!(
                "mlops-ci: {}: not a commit, nothing to check",
                update.local_ref
            );
            continue;
        };
        let name = if update.is_deletion() {
            &update.remote_ref
        } else {
            &update.local_ref
        };
        if update.is_deletion() {
            eprintln!("mlops-ci: {name}: a deletion, nothing to check");
            continue;
        }
        let base = push::base_of(repo, update, remote, config.baseline.git_ref.as_deref())?;
        let detection =
            detect::detect_in(repo, config, base.as_ref(), Candidate::Commit(update.local))?;
        if detection.affected.is_empty() {
            let line = detection.nothing_line();
            eprintln!(
                "mlops-ci: {name}: {}",
                line.trim_start_matches("mlops-ci: ")
            );
            continue;
        }
        eprint!(
            "mlops-ci: checking {name} at {}\n{}",
            short(update.local),
            detect::render_text(&detection)
        );
        let code = evaluate_commit(repo, config, update, base.as_ref(), &detection, how)?;
        if code == 0 {
            continue;
        }
        // The policy is about where the commits go: the remote ref, not the local branch.
        match config.hook.on_failure(&update.remote_ref) {
            OnFailure::Refuse => refused.push(name.clone()),
            OnFailure::Warn => eprintln!(
                "mlops-ci: warning: the check failed for {name} (see the report above); pushing anyway, \
                 because {}",
                warn_reason(config, &update.remote_ref)
            ),
        }
    }
    if refused.is_empty() {
        return Ok(0);
    }
    eprintln!(
        "mlops-ci: push refused: the check failed for {} (see the report above). Fix it, or push anyway with \
         `git push --no-verify` or MLOPS_CI_SKIP=1",
        refused.join(", ")
    );
    Ok(1)
}

fn read_updates() -> Result<Vec<PushUpdate>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return push::from_pre_commit_env()
            .map(|u| vec![u])
            .ok_or_else(|| HookError::NoPushInput.into());
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|source| HookError::Io {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    let updates = push::parse_push_lines(&text)?;
    if updates.is_empty()
        && let Some(update) = push::from_pre_commit_env()
    {
        return Ok(vec![update]);
    }
    Ok(updates)
}

/// Evaluates the suites `detection` found, as they are in the pushed commit. When that commit
/// is HEAD and the working tree agrees with it at every suite's paths, the working tree is
/// used as it is; otherwise the commit is checked out into a temporary worktree.
fn evaluate_commit(
    repo: &Repo,
    config: &Config,
    update: &PushUpdate,
    base: Option<&BaseRevision>,
    detection: &Detection,
    how: &HookRun<'_>,
) -> Result<u8> {
    let head = repo
        .repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map(|c| c.id())
        .ok();
    let in_place = head == Some(update.local) && {
        let at_head = BaseRevision {
            revision: "HEAD".into(),
            commit: update.local,
            fork_point: update.local,
            how: String::new(),
        };
        detect::detect_in(repo, config, Some(&at_head), Candidate::WorkingTree)?
            .affected
            .is_empty()
    };
    // The candidate is the pushed commit, wherever its files are read from.
    let candidate = format!(
        "commit {} being pushed as `{}`",
        short(update.local),
        update.remote_ref
    );
    if in_place {
        return check(
            &config.root,
            git_base(config, base),
            Some(&candidate),
            detection,
            how,
        );
    }
    let worktree = TempWorktree::add(repo, update.local)?;
    let relative = repo.relative(&config.root).unwrap_or_default();
    check(
        &worktree.path.join(relative),
        git_base(config, base),
        Some(&candidate),
        detection,
        how,
    )
}

fn pre_commit(repo: &Repo, config: &Config, how: &HookRun<'_>) -> Result<u8> {
    let base = repo.resolve_base(&BaseQuery {
        configured: config.baseline.git_ref.as_deref(),
        ..BaseQuery::default()
    })?;
    let detection = detect::detect_in(repo, config, base.as_ref(), Candidate::Index)?;
    if detection.affected.is_empty() {
        eprintln!("{}", detection.nothing_line());
        return Ok(0);
    }
    eprint!("{}", detect::render_text(&detection));
    let code = check(
        &config.root,
        git_base(config, base.as_ref()),
        None,
        &detection,
        how,
    )?;
    let branch = repo
        .repo
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned))
        .unwrap_or_else(|| "HEAD".to_owned());
    if code != 0 && config.hook.on_failure(&branch) == OnFailure::Warn {
        eprintln!(
            "mlops-ci: warning: the check failed (see the report above); committing anyway, because {}",
            warn_reason(config, &branch)
        );
        return Ok(0);
    }
    if code != 0 {
        eprintln!(
            "mlops-ci: commit refused: the check failed (see the report above). Fix it, or commit anyway with `git commit --no-verify` or MLOPS_CI_SKIP=1"
        );
    }
    Ok(code)
}

/// Why a failing check only warns, in the words of the config.
fn warn_reason(config: &Config, target: &str) -> String {
    if config.hook.mode == HookMode::Warn {
        format!("`[hook] mode = \"warn\"` in {}", config.path.display())
    } else {
        format!(
            "`{target}` matches no pattern of `[hook] block` in {}",
            config.path.display()
        )
    }
}

/// The revision the evaluation compares with: the hook's base, unless the configuration names
/// a fixed baseline file (`--base` would replace that file with the git revision).
fn git_base<'a>(config: &Config, base: Option<&'a BaseRevision>) -> Option<&'a BaseRevision> {
    base.filter(|_| config.baseline.path.is_none())
}

/// Runs `mlops-ci check` for the affected suites in `dir`; returns its exit status.
fn check(
    dir: &Path,
    base: Option<&BaseRevision>,
    candidate_label: Option<&str>,
    detection: &Detection,
    how: &HookRun<'_>,
) -> Result<u8> {
    let program = std::env::current_exe().map_err(|source| HookError::Spawn {
        program: PathBuf::from("mlops-ci"),
        source,
    })?;
    let mut command = Command::new(&program);
    command.args(&how.passthrough).arg("-C").arg(dir);
    if let Some(config) = how.config {
        command.arg("--config").arg(config);
    }
    command.arg("check").args(&how.check_args);
    if let Some(base) = base {
        // The child sees a commit id; the report should still say which rule chose it.
        command
            .arg("--base")
            .arg(base.commit.to_string())
            .arg("--base-label")
            .arg(&base.how);
    }
    if let Some(label) = candidate_label {
        command.arg("--candidate-label").arg(label);
    }
    for name in detection.names() {
        command.arg("--suite").arg(name);
    }
    let status = command.status().map_err(|source| HookError::Spawn {
        program: program.clone(),
        source,
    })?;
    // A child killed by a signal has no code: treat it as an error (2), never as a pass.
    Ok(status.code().map_or(2, |c| u8::try_from(c).unwrap_or(2)))
}

/// A detached checkout of one commit in a temporary directory, removed on drop.
struct TempWorktree {
    repo_dir: PathBuf,
    path: PathBuf,
}

impl TempWorktree {
    fn add(repo: &Repo, commit: git2::Oid) -> Result<TempWorktree, HookError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "mlops-ci-push-{}-{}-{nanos}",
            short(commit),
            std::process::id()
        ));
        let output = git(repo.workdir())
            // No post-checkout hook: this checkout is ours, not the user's.
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "worktree",
                "add",
                "--detach",
                "--quiet",
            ])
            .arg(&path)
            .arg(commit.to_string())
            .output()
            .map_err(|source| HookError::Spawn {
                program: PathBuf::from("git"),
                source,
            })?;
        if !output.status.success() {
            return Err(HookError::Worktree {
                commit: short(commit),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(TempWorktree {
            repo_dir: repo.workdir().to_path_buf(),
            path,
        })
    }
}

impl Drop for TempWorktree {
    fn drop(&mut self) {
        let removed = git(&self.repo_dir)
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .output();
        if !removed.is_ok_and(|o| o.status.success()) {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git(&self.repo_dir).args(["worktree", "prune"]).output();
        }
    }
}

/// `git -C dir`, without the variables git sets for hooks that would point it elsewhere.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"] {
        command.env_remove(var);
    }
    command
}
