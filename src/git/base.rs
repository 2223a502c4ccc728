//! Working out the baseline revision.

use super::{GitError, Repo};

/// The commit the candidate is compared against, and how it was chosen.
#[derive(Debug, Clone)]
pub struct BaseRevision {
    /// What was asked for or derived (`origin/main`, `HEAD~1`, `merge-base(HEAD, main)`).
    pub revision: String,
    pub commit: git2::Oid,
    /// One line for the report: why this revision.
    pub how: String,
}

impl Repo {
    /// Resolves the base: `explicit` (`--base` or `baseline.ref`) as given; otherwise the
    /// merge-base of HEAD with the PR base branch in GitHub Actions, its upstream, `origin/HEAD`,
    /// or `main`/`master`. `Ok(None)`: nothing to compare with (no commits yet, or no branch
    /// to compare against).
    pub fn resolve_base(&self, explicit: Option<&str>) -> Result<Option<BaseRevision>, GitError> {
        if let Some(revision) = explicit {
            let commit = self.peel(revision)?;
            return Ok(Some(BaseRevision {
                revision: revision.to_owned(),
                commit,
                how: format!("`{revision}` as configured"),
            }));
        }
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(None); // unborn branch: the first commit has no baseline
        };
        let mut candidates: Vec<(String, &str)> = Vec::new();
        let pr_base = std::env::var("GITHUB_BASE_REF")
            .ok()
            .filter(|b| !b.is_empty());
        if let Some(base) = &pr_base {
            candidates.push((format!("origin/{base}"), "the pull request's base branch"));
        }
        if let Ok(upstream) = self.upstream_name() {
            candidates.push((upstream, "the branch's upstream"));
        }
        self.merge_base_with_first(head.id(), "HEAD", candidates, pr_base.is_some())
    }

    /// The base for `commit` when nothing names one: the merge-base with the first of
    /// `preferred`, then `origin/HEAD`, `main`, `master` that exists. `strict_first`: the first
    /// preferred revision must be usable (the PR base in CI; anything else would be a guess).
    pub fn merge_base_with_first(
        &self,
        commit: git2::Oid,
        label: &str,
        mut candidates: Vec<(String, &str)>,
        strict_first: bool,
    ) -> Result<Option<BaseRevision>, GitError> {
        candidates.push(("origin/HEAD".to_owned(), "the remote's default branch"));
        candidates.push(("main".to_owned(), "the local default branch"));
        candidates.push(("master".to_owned(), "the local default branch"));
        let shallow = self.repo.is_shallow();
        let first = candidates.first().map(|(name, _)| name.clone());
        for (i, (name, why)) in candidates.into_iter().enumerate() {
            let Ok(other) = self
                .repo
                .revparse_single(&name)
                .and_then(|o| o.peel_to_commit())
            else {
                if i == 0 && strict_first && shallow {
                    return Err(GitError::ShallowWithoutBase { revision: name });
                }
                continue;
            };
            let base = match self.repo.merge_base(commit, other.id()) {
                Ok(base) => base,
                // A shallow clone cuts history off: "no common ancestor" only means "not fetched".
                Err(e) if e.code() == git2::ErrorCode::NotFound && shallow => {
                    return Err(GitError::ShallowWithoutBase { revision: name });
                }
                Err(_) => continue,
            };
            return Ok(Some(BaseRevision {
                revision: name.clone(),
                commit: base,
                how: format!(
                    "merge-base of {label} with `{name}` ({why}), {}",
                    short(base)
                ),
            }));
        }
        match first {
            // In a shallow clone, "no branch to compare with" usually means it was not fetched.
            Some(name) if shallow => Err(GitError::ShallowWithoutBase { revision: name }),
            _ => Ok(None),
        }
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

    /// `origin/feature` for a branch tracking `feature` on `origin`.
    fn upstream_name(&self) -> Result<String, git2::Error> {
        let head = self.repo.head()?;
        let name = head
            .shorthand()
            .map_err(|_| git2::Error::from_str("branch name is not UTF-8"))?;
        let branch = self.repo.find_branch(name, git2::BranchType::Local)?;
        let upstream = branch.upstream()?;
        upstream
            .name()?
            .map(str::to_owned)
            .ok_or_else(|| git2::Error::from_str("upstream name is not UTF-8"))
    }
}

pub fn short(oid: git2::Oid) -> String {
    oid.to_string()[..10].to_owned()
}
