//! The baseline rule, one for `check`, the pre-push hook and `ci`: a change is compared with
//! the branch it will merge into, *as that branch is now*, never with the branch's own
//! upstream (after `git push -u` that is the branch itself, and every regression disappears).
//!
//! In order: `--base`; `baseline.ref`; the pull request's base branch (`GITHUB_BASE_REF`);
//! for a push to the remote's default branch, that branch on the remote; the remote's default
//! branch (`origin/HEAD`, else `origin/main`, `origin/master`); the local `main`/`master`.
//! Remote-tracking branches come before local ones: the remote's branch is what a pull request
//! merges into and what CI compares with, while a local `main` may be stale or carry unpushed
//! commits of its own.
//!
//! Two commits come out of it. Models, data and gates are read at the branch's tip (what the
//! change will meet when it merges). What the change *changed* is computed from the fork
//! point (the merge-base of the tip and the candidate): a branch forked from an old `main`
//! did not change what `main` changed since.

use git2::Oid;

use super::{GitError, Repo};

/// The commit the candidate is compared against, and how it was chosen.
#[derive(Debug, Clone)]
pub struct BaseRevision {
    /// What was asked for or found (`origin/main`, `HEAD~1`, a commit id).
    pub revision: String,
    /// The base branch's tip: baseline models, data and gates are read here.
    pub commit: Oid,
    /// The merge-base of `commit` and the candidate: changes are detected from here. Equal to
    /// `commit` when the candidate already contains it (or the histories are unrelated).
    pub fork_point: Oid,
    /// One line for the report, in plain words: "`origin/main` as it is now (the remote's
    /// default branch)".
    pub how: String,
}

/// What the caller knows about the baseline; [`Repo::resolve_base`] applies the rule.
#[derive(Debug, Clone, Default)]
pub struct BaseQuery<'a> {
    /// `--base REV`.
    pub flag: Option<&'a str>,
    /// Replaces the "given by --base" wording when the caller worked the revision out itself
    /// (`ci` from the event, the hook for its child `check`).
    pub flag_label: Option<&'a str>,
    /// `baseline.ref`.
    pub configured: Option<&'a str>,
    /// The pull request's base branch name; `None` reads `GITHUB_BASE_REF`.
    pub pull_request: Option<&'a str>,
    /// The remote whose default branch is the fallback; `None` means `origin`.
    pub remote: Option<&'a str>,
    /// The commit being checked; `None` means HEAD.
    pub candidate: Option<Oid>,
}

impl Repo {
    /// Applies the baseline rule. `Ok(None)`: nothing to compare with (no commits yet, and no
    /// branch to compare against).
    pub fn resolve_base(&self, query: &BaseQuery<'_>) -> Result<Option<BaseRevision>, GitError> {
        let candidate = match query.candidate {
            Some(id) => Some(id),
            None => self
                .repo
                .head()
                .and_then(|h| h.peel_to_commit())
                .ok()
                .map(|c| c.id()),
        };
        if let Some(revision) = query.flag {
            let commit = self.peel(revision)?;
            let how = match query.flag_label {
                Some(label) => label.to_owned(),
                None => format!("`{revision}` given by --base"),
            };
            return Ok(Some(self.based(revision, commit, candidate, how)?));
        }
        if let Some(revision) = query.configured {
            let commit = self.peel(revision)?;
            let how = format!("`{revision}` as configured in baseline.ref");
            return Ok(Some(self.based(revision, commit, candidate, how)?));
        }
        let Some(candidate) = candidate else {
            return Ok(None); // unborn branch: the first commit has no baseline
        };
        let from_env = std::env::var("GITHUB_BASE_REF")
            .ok()
            .filter(|b| !b.is_empty());
        let remote = query.remote.unwrap_or("origin");
        if let Some(branch) = query.pull_request.or(from_env.as_deref()) {
            // In CI the base branch must be there: anything else would be a guess.
            let name = format!("{remote}/{branch}");
            let commit = self.peel(&name)?;
            let how = format!("`{name}` (the pull request's base branch)");
            return Ok(Some(self.based(&name, commit, Some(candidate), how)?));
        }
        self.default_branch(remote, candidate)
    }

    /// The remote's default branch as it is now, else the local `main`/`master`.
    pub fn default_branch(
        &self,
        remote: &str,
        candidate: Oid,
    ) -> Result<Option<BaseRevision>, GitError> {
        let default = self.remote_default(remote);
        let mut names: Vec<(String, String)> = Vec::new();
        if let Some(branch) = &default {
            names.push((
                format!("{remote}/{branch}"),
                "as it is now (the remote's default branch)".to_owned(),
            ));
        }
        for branch in ["main", "master"] {
            names.push((
                format!("{remote}/{branch}"),
                format!("as it is now (the remote's `{branch}` branch)"),
            ));
        }
        for branch in ["main", "master"] {
            names.push((
                branch.to_owned(),
                "(the local default branch; there is no remote one)".to_owned(),
            ));
        }
        for (name, why) in names {
            let Ok(commit) = self
                .repo
                .revparse_single(&name)
                .and_then(|o| o.peel_to_commit())
            else {
                continue;
            };
            let how = format!("`{name}` {why}");
            return Ok(Some(self.based(
                &name,
                commit.id(),
                Some(candidate),
                how,
            )?));
        }
        if self.repo.is_shallow() {
            // "No branch to compare with" in a shallow clone usually means "not fetched".
            return Err(GitError::ShallowWithoutBase {
                revision: format!("{remote}/HEAD"),
            });
        }
        Ok(None)
    }

    /// The branch `<remote>/HEAD` points to (`main`), when the clone recorded it.
    pub fn remote_default(&self, remote: &str) -> Option<String> {
        let head = self
            .repo
            .find_reference(&format!("refs/remotes/{remote}/HEAD"))
            .ok()?;
        let target = head.symbolic_target().ok().flatten()?;
        target
            .strip_prefix(&format!("refs/remotes/{remote}/"))
            .map(str::to_owned)
    }

    /// A base at `commit`, with the fork point worked out against `candidate`.
    pub fn based(
        &self,
        revision: &str,
        commit: Oid,
        candidate: Option<Oid>,
        how: String,
    ) -> Result<BaseRevision, GitError> {
        let fork_point = match candidate {
            None => commit,
            Some(candidate) => match self.repo.merge_base(commit, candidate) {
                Ok(base) => base,
                // A shallow clone cuts history off: "no common ancestor" only means "not
                // fetched", and a guess would misreport what changed.
                Err(e) if e.code() == git2::ErrorCode::NotFound && self.repo.is_shallow() => {
                    return Err(GitError::ShallowWithoutBase {
                        revision: revision.to_owned(),
                    });
                }
                // Unrelated histories: everything that differs from the tip is the change.
                Err(_) => commit,
            },
        };
        let how = if fork_point == commit {
            format!("{how}, {}", short(commit))
        } else {
            format!(
                "{how}, {} (changes counted from the fork point {})",
                short(commit),
                short(fork_point)
            )
        };
        Ok(BaseRevision {
            revision: revision.to_owned(),
            commit,
            fork_point,
            how,
        })
    }

    fn peel(&self, revision: &str) -> Result<git2::Oid, GitError> {
        match self
            .repo
            .revparse_single(revision)
            .and_then(|o| o.peel_to_commit())
        {
            Ok(commit) => Ok(commit.id()),
            Err(_) if self.repo.is_shallow() => Err(GitError::ShallowWithoutBase {
                revision: revision.to_owned(),
            }),
            Err(e) => Err(GitError::UnknownRevision {
                revision: revision.to_owned(),
                message: e.message().to_owned(),
            }),
        }
    }
}

pub fn short(oid: git2::Oid) -> String {
    oid.to_string()[..10].to_owned()
}
