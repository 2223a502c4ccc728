//! What a pre-push hook is told: one line per ref being pushed (githooks(5)):
//! `<local ref> SP <local sha> SP <remote ref> SP <remote sha> LF`. A new branch has the zero
//! sha as remote sha; a deletion has `(delete)` and the zero sha on the local side.

use git2::Oid;

use super::HookError;
use crate::git::{BaseRevision, Repo, short};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local: Oid,
    pub remote_ref: String,
    pub remote: Oid,
}

impl PushUpdate {
    pub fn is_deletion(&self) -> bool {
        self.local.is_zero()
    }
}

pub fn parse_push_lines(text: &str) -> Result<Vec<PushUpdate>, HookError> {
    let mut updates = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || HookError::BadPushLine {
            line: i + 1,
            text: line.to_owned(),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local, remote_ref, remote] = fields[..] else {
            return Err(bad());
        };
        let oid = |s: &str| Oid::from_str(s).map_err(|_| bad());
        updates.push(PushUpdate {
            local_ref: local_ref.to_owned(),
            local: oid(local)?,
            remote_ref: remote_ref.to_owned(),
            remote: oid(remote)?,
        });
    }
    Ok(updates)
}

/// The update the pre-commit framework describes in its environment at the pre-push stage
/// (it gives the hook no stdin).
pub fn from_pre_commit_env() -> Option<PushUpdate> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let local = Oid::from_str(&var("PRE_COMMIT_TO_REF")?).ok()?;
    let remote = Oid::from_str(&var("PRE_COMMIT_FROM_REF")?).ok()?;
    Some(PushUpdate {
        local_ref: var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".to_owned()),
        local,
        remote_ref: var("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_default(),
        remote,
    })
}

/// The base of the pushed commits: where the remote ref is now (its merge-base with what is
/// pushed, for a forced push); for a new branch, the merge-base with the remote's default
/// branch (`<remote>/HEAD`, then `origin/HEAD`, `main`, `master`).
pub fn base_of(
    repo: &Repo,
    update: &PushUpdate,
    remote: &str,
) -> Result<Option<BaseRevision>, crate::git::GitError> {
    // The remote's commit may be unknown here (someone else pushed, and it was not fetched):
    // then fall back as for a new branch.
    if !update.remote.is_zero()
        && repo.repo.find_commit(update.remote).is_ok()
        && let Ok(commit) = repo.repo.merge_base(update.local, update.remote)
    {
        let how = if commit == update.remote {
            format!(
                "`{}` on `{remote}` as it is now, {}",
                update.remote_ref,
                short(commit)
            )
        } else {
            format!(
                "merge-base with `{}` on `{remote}` (a forced push), {}",
                update.remote_ref,
                short(commit)
            )
        };
        return Ok(Some(BaseRevision {
            revision: format!("{remote}:{}", update.remote_ref),
            commit,
            how,
        }));
    }
    let label = short(update.local);
    repo.merge_base_with_first(
        update.local,
        &label,
        vec![(format!("{remote}/HEAD"), "the remote's default branch")],
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_updates_new_branches_and_deletions() {
        let a = "1".repeat(40);
        let zero = "0".repeat(40);
        let text = format!(
            "refs/heads/main {a} refs/heads/main {a}\nrefs/heads/new {a} refs/heads/new {zero}\n(delete) {zero} refs/heads/old {a}\n\n"
        );
        let updates = parse_push_lines(&text).unwrap();
        assert_eq!(updates.len(), 3);
        assert!(updates[1].remote.is_zero() && !updates[1].is_deletion());
        assert!(updates[2].is_deletion());
        assert!(matches!(
            parse_push_lines("refs/heads/main abc"),
            Err(HookError::BadPushLine { line: 1, .. })
        ));
    }
}
