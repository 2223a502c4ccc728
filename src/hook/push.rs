//! What a pre-push hook is told: one line per ref being pushed (githooks(5)):
//! `<local ref> SP <local sha> SP <remote ref> SP <remote sha> LF`. A new branch has the zero
//! sha as remote sha; a deletion has `(delete)` and the zero sha on the local side.

use git2::Oid;

use super::HookError;
use crate::git::{BaseQuery, BaseRevision, Repo};

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

/// The base of the pushed commits, by the one baseline rule ([`Repo::resolve_base`]): the
/// branch the pushed commits will merge into, as it is now. A push to the remote's default
/// branch itself (or to the branch `baseline.ref` names) is compared with that branch on the
/// remote; any other push (a new branch, or a feature branch already on the remote) with the
/// remote's default branch, never with the pushed branch's own remote copy.
pub fn base_of(
    repo: &Repo,
    update: &PushUpdate,
    remote: &str,
    configured: Option<&str>,
) -> Result<Option<BaseRevision>, crate::git::GitError> {
    let pushed_branch = update.remote_ref.strip_prefix("refs/heads/");
    let target = configured
        .map(|c| {
            c.strip_prefix(&format!("{remote}/"))
                .unwrap_or(c)
                .to_owned()
        })
        .or_else(|| repo.remote_default(remote));
    let is_target = |branch: &str| match &target {
        Some(target) => branch == target,
        None => branch == "main" || branch == "master",
    };
    // Pushing the target branch itself: compare with the remote's copy as it is now (git
    // tells the hook its commit; it may be unknown here when someone else pushed and it was
    // not fetched, and then the remote-tracking branch is the best there is).
    if let Some(branch) = pushed_branch.filter(|b| is_target(b)) {
        let name = format!("{remote}/{branch}");
        let known = |id: Oid| !id.is_zero() && repo.repo.find_commit(id).is_ok();
        let commit = if known(update.remote) {
            Some(update.remote)
        } else {
            repo.repo
                .revparse_single(&name)
                .and_then(|o| o.peel_to_commit())
                .ok()
                .map(|c| c.id())
        };
        if let Some(commit) = commit {
            let how = format!("`{name}` as it is now (the branch being pushed to)");
            return Ok(Some(repo.based(&name, commit, Some(update.local), how)?));
        }
    }
    repo.resolve_base(&BaseQuery {
        configured,
        remote: Some(remote),
        candidate: Some(update.local),
        ..BaseQuery::default()
    })
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
