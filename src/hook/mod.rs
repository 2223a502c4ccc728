//! Git hooks: `mlops-ci hook install|uninstall|run`.
//!
//! The installed scripts only call `mlops-ci hook run <hook>`; everything else happens here,
//! so that upgrading the binary upgrades the hook.

mod install;
mod push;
mod run;

use std::path::PathBuf;

pub use install::{hooks_dir, install, uninstall};
pub use push::{PushUpdate, parse_push_lines};
pub use run::{HookRun, run};

/// One line saying what a failing check does to a push under `policy`.
pub fn policy_summary(policy: &crate::config::HookConfig) -> String {
    use crate::config::HookMode;
    match (policy.mode, &policy.block) {
        (HookMode::Warn, _) => {
            "a failing check warns and never refuses a push (`[hook] mode = \"warn\"`)".to_owned()
        }
        (HookMode::Block, None) => "a failing check refuses every push (set `[hook] block = [\"main\", \"release/*\"]` to refuse only pushes to those branches and warn on the others)".to_owned(),
        (HookMode::Block, Some(patterns)) => format!(
            "a failing check refuses pushes to {} and warns on other branches",
            patterns
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The hooks mlops-ci can install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookKind {
    /// Before `git push`: checks the suites the pushed commits affect.
    PrePush,
    /// Before `git commit`: checks the suites the staged changes affect.
    PreCommit,
}

impl HookKind {
    /// The file name git looks for.
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PrePush => "pre-push",
            HookKind::PreCommit => "pre-commit",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not in a git repository; hooks belong to a repository (run `git init` first, or use -C DIR)", dir.display())]
    NotARepository { dir: PathBuf },
    #[error(
        "{} exists and so does {} (a hook kept from an earlier install); mlops-ci will not overwrite \
         either. Merge or remove one of them, then run `mlops-ci hook install` again",
        hook.display(),
        previous.display()
    )]
    PreviousExists { hook: PathBuf, previous: PathBuf },
    #[error(
        "pre-push input line {line} is not `<local ref> <local sha> <remote ref> <remote sha>`: `{text}`"
    )]
    BadPushLine { line: usize, text: String },
    #[error(
        "`hook run pre-push` reads the refs being pushed from stdin, as git gives them to a pre-push \
         hook; stdin is a terminal here. To check the working tree by hand, run `mlops-ci check`"
    )]
    NoPushInput,
    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("`git worktree add` for commit {commit} failed: {message}")]
    Worktree { commit: String, message: String },
}
