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

/// `update` with both sides peeled to commits (a pushed annotated tag names a tag object);
/// `None` when the pushed object is not a commit at all (a tag of a tree or blob). A remote
/// side that is not here stays as it is: [`base_of`] copes with it.
pub fn peeled(repo: &Repo, update: &PushUpdate) -> Option<PushUpdate> {
    let peel = |id: Oid| {
        repo.repo
            .find_object(id, None)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
    };
    let local = if update.local.is_zero() {
        update.local
    } else {
        peel(update.local).ok()?
    };
    let remote = if update.remote.is_zero() {
        update.remote
    } else {
        peel(update.remote).unwrap_or(update.remote)
    };
    Some(PushUpdate {
        local,
        remote,
        ..update.clone()
    })
}

/// The base of the pushed commits: where the remote ref is now (its merge-base with what is
/// pushed, for a forced push); for a new branch, the merge-base with the remote's branches
/// (`<remote>/HEAD`, `<remote>/main`, `<remote>/master`, then any other).
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
    // A new ref: its new commits are those no branch of the remote has. Local branches do not
    // count (they may hold the very commits being pushed).
    let mut names = vec![
        format!("{remote}/HEAD"),
        format!("{remote}/main"),
        format!("{remote}/master"),
    ];
    for branch in repo
        .repo
        .branches(Some(git2::BranchType::Remote))?
        .flatten()
    {
        if let Ok(Some(name)) = branch.0.name()
            && name.starts_with(&format!("{remote}/"))
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    for name in names {
        let Ok(other) = repo
            .repo
            .revparse_single(&name)
            .and_then(|o| o.peel_to_commit())
        else {
            continue;
        };
        match repo.repo.merge_base(update.local, other.id()) {
            Ok(commit) => {
                let how = format!(
                    "merge-base of {} with `{name}` (a new ref on `{remote}`), {}",
                    short(update.local),
                    short(commit)
                );
                return Ok(Some(BaseRevision {
                    revision: name,
                    commit,
                    how,
                }));
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound && repo.repo.is_shallow() => {
                return Err(crate::git::GitError::ShallowWithoutBase { revision: name });
            }
            Err(_) => continue,
        }
    }
    Ok(None) // nothing of the remote is known here: every suite is affected
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
