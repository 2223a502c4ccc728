//! `[hook]`: which pushes a failing check refuses, and which it only warns about.
//!
//! A team that opens pull requests from work-in-progress branches wants the pre-push hook to
//! show the report on those pushes but let them through (CI gates the PR), while a push to
//! `main` or a release branch is refused. Without a `[hook]` table every push is refused, as
//! before the table existed.

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// `block` (default): a failing check refuses pushes to the refs in `block` (all refs when
    /// `block` is not set); `warn`: never refuse, only show the report.
    #[serde(default)]
    pub mode: HookMode,
    /// Branches (or full refs) a failing check refuses to push to, as gitignore-like globs
    /// (`main`, `release/*`); every other ref only warns. Matched against the remote ref.
    pub block: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookMode {
    #[default]
    Block,
    Warn,
}

/// What the hook does when the check of one ref fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Refuse the push (or commit).
    Refuse,
    /// Print the report and a warning, then let it through.
    Warn,
}

impl HookConfig {
    /// The decision for a failing check of a push to `remote_ref` (`refs/heads/main`), or of a
    /// commit on that branch. Patterns match the short name (`main`, `release/1.2`) or the
    /// whole ref (`refs/tags/*`).
    pub fn on_failure(&self, remote_ref: &str) -> OnFailure {
        if self.mode == HookMode::Warn {
            return OnFailure::Warn;
        }
        let Some(patterns) = &self.block else {
            return OnFailure::Refuse;
        };
        let short = remote_ref
            .strip_prefix("refs/heads/")
            .or_else(|| remote_ref.strip_prefix("refs/tags/"))
            .unwrap_or(remote_ref);
        let blocked = patterns
            .iter()
            .filter_map(|p| matcher(p).ok())
            .any(|m| m.is_match(short) || m.is_match(remote_ref));
        if blocked {
            OnFailure::Refuse
        } else {
            OnFailure::Warn
        }
    }

    /// The first pattern in `block` that is not a valid glob, with the reason.
    pub fn invalid_pattern(&self) -> Option<(String, globset::Error)> {
        self.block
            .iter()
            .flatten()
            .find_map(|p| matcher(p).err().map(|e| (p.clone(), e)))
    }
}

/// `*` stops at `/`, as in gitignore: `release/*` is `release/1.2`, not `release/1.2/hotfix`.
fn matcher(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g: Glob| g.compile_matcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(mode: HookMode, block: Option<&[&str]>) -> HookConfig {
        HookConfig {
            mode,
            block: block.map(|b| b.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn without_a_list_every_ref_is_refused() {
        let c = config(HookMode::Block, None);
        assert_eq!(c.on_failure("refs/heads/wip"), OnFailure::Refuse);
    }

    #[test]
    fn listed_refs_refuse_and_others_warn() {
        let c = config(
            HookMode::Block,
            Some(&["main", "release/*", "refs/tags/v*"]),
        );
        assert_eq!(c.on_failure("refs/heads/main"), OnFailure::Refuse);
        assert_eq!(c.on_failure("refs/heads/release/1.2"), OnFailure::Refuse);
        assert_eq!(c.on_failure("refs/tags/v1.0"), OnFailure::Refuse);
        assert_eq!(c.on_failure("refs/heads/release/1.2/fix"), OnFailure::Warn);
        assert_eq!(c.on_failure("refs/heads/mainline"), OnFailure::Warn);
        assert_eq!(c.on_failure("refs/heads/feature/x"), OnFailure::Warn);
    }

    #[test]
    fn warn_mode_never_refuses() {
        let c = config(HookMode::Warn, Some(&["main"]));
        assert_eq!(c.on_failure("refs/heads/main"), OnFailure::Warn);
    }

    #[test]
    fn a_bad_glob_is_reported() {
        let c = config(HookMode::Block, Some(&["main", "release/[x"]));
        assert_eq!(
            c.invalid_pattern().map(|(p, _)| p).as_deref(),
            Some("release/[x")
        );
    }
}
