//! Which commit a CI run compares against, from the event and the checked-out HEAD.

use git2::{Oid, Repository};

use super::context::{GithubContext, PullRequest};

/// The commit a CI run compares with, and how it was chosen, in plain words for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiBaseline {
    pub commit: String,
    pub how: String,
}

impl GithubContext {
    /// The baseline for this run by the baseline rule (the branch the change merges into, as
    /// it is now), or `None` when the event does not say (then the core applies the rule
    /// itself: `origin/HEAD`, `origin/main`...).
    ///
    /// - `pull_request`/`pull_request_target`: the base branch's tip. When HEAD is GitHub's
    ///   test-merge commit (what `actions/checkout` gives by default), its first parent is that
    ///   tip at checkout time — fresher than the event's `pull_request.base.sha`, which is stale
    ///   once the base moves. When HEAD is the PR head itself (`ref: head.sha`), the fetched
    ///   `origin/<base>`, else the event's base commit; changes are still counted from the
    ///   merge-base (the core works the fork point out).
    /// - `merge_group`: the queue's base commit.
    /// - `push`: the branch tip before the push.
    ///
    /// Commits missing from a shallow clone give `None` and a warning to fetch more history.
    pub fn baseline_revision(&self, repo: &Repository) -> Option<CiBaseline> {
        let (found, how) = match self.event_name.as_str() {
            "pull_request" | "pull_request_target" => {
                let pr = self.pull_request.as_ref()?;
                let base_ref = self.base_ref.as_deref().unwrap_or(&pr.base_ref);
                let commit = self.pull_request_baseline(repo, pr)?;
                (
                    commit,
                    format!("`origin/{base_ref}` (the pull request's base branch)"),
                )
            }
            "merge_group" => (
                self.merge_group_base_sha.clone()?,
                "the merge queue's base commit".to_owned(),
            ),
            "push" => (
                self.push_before.clone()?,
                "the pushed branch as it was before the push".to_owned(),
            ),
            _ => return None,
        };
        match Oid::from_str(&found)
            .ok()
            .filter(|oid| repo.find_commit(*oid).is_ok())
        {
            Some(_) => Some(CiBaseline { commit: found, how }),
            None => {
                tracing::warn!(
                    "baseline commit {found} is not in the clone; use `fetch-depth: 0` with actions/checkout"
                );
                None
            }
        }
    }

    fn pull_request_baseline(&self, repo: &Repository, pr: &PullRequest) -> Option<String> {
        let head = repo.head().ok()?.peel_to_commit().ok()?;
        let head_id = head.id().to_string();
        if head.parent_count() == 2 {
            let merges_pr_head = head
                .parent_id(1)
                .is_ok_and(|second| second.to_string() == pr.head_sha);
            if head_id == self.sha || merges_pr_head {
                return head.parent_id(0).ok().map(|id| id.to_string());
            }
        }
        self.base_branch_tip(repo, pr).map(|tip| tip.to_string())
    }

    /// The base branch as fetched (`origin/<base>`), else the event's base commit.
    fn base_branch_tip(&self, repo: &Repository, pr: &PullRequest) -> Option<Oid> {
        let base_ref = self.base_ref.as_deref().unwrap_or(&pr.base_ref);
        let remote_branch = format!("refs/remotes/origin/{base_ref}");
        repo.refname_to_id(&remote_branch)
            .ok()
            .or_else(|| Oid::from_str(&pr.base_sha).ok())
            .filter(|oid| repo.find_commit(*oid).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{Commit, Signature};
    use std::collections::HashMap;

    struct Fixture {
        _dir: tempfile::TempDir,
        repo: Repository,
    }

    fn commit(repo: &Repository, file: &str, parents: &[&Commit<'_>]) -> Oid {
        let mut index = repo.index().expect("index");
        let path = repo.workdir().expect("workdir").join(file);
        std::fs::write(&path, file).expect("write");
        index.add_path(std::path::Path::new(file)).expect("add");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = Signature::now("t", "t@example.com").expect("sig");
        repo.commit(None, &sig, &sig, file, &tree, parents)
            .expect("commit")
    }

    /// base0 ─ base1 (main tip)        pr head branches from base0; merge = test merge.
    fn fixture() -> (Fixture, [Oid; 4]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        let base0 = commit(&repo, "a", &[]);
        let c0 = repo.find_commit(base0).expect("c");
        let base1 = commit(&repo, "b", &[&c0]);
        let head = commit(&repo, "c", &[&c0]);
        let (c1, ch) = (
            repo.find_commit(base1).expect("c"),
            repo.find_commit(head).expect("c"),
        );
        let merge = commit(&repo, "d", &[&c1, &ch]);
        repo.reference("refs/remotes/origin/main", base1, true, "test")
            .expect("ref");
        drop((c0, c1, ch));
        (Fixture { _dir: dir, repo }, [base0, base1, head, merge])
    }

    fn pr_context(event: &str, sha: Oid, head: Oid, stale_base: Oid) -> GithubContext {
        let vars: HashMap<&str, String> = HashMap::from([
            ("GITHUB_REPOSITORY", "o/r".to_owned()),
            ("GITHUB_EVENT_NAME", event.to_owned()),
            ("GITHUB_SHA", sha.to_string()),
        ]);
        let mut ctx = GithubContext::from_lookup(|n| vars.get(n).cloned()).expect("context");
        ctx.pull_request = Some(PullRequest {
            number: 7,
            head_sha: head.to_string(),
            head_ref: "feature".into(),
            base_ref: "main".into(),
            base_sha: stale_base.to_string(),
            head_repo: Some("o/r".into()),
            from_fork: false,
            labels: Vec::new(),
        });
        ctx
    }

    #[test]
    fn test_merge_commit_uses_first_parent_not_stale_event_base() {
        let (f, [base0, base1, head, merge]) = fixture();
        f.repo.set_head_detached(merge).expect("detach");
        let ctx = pr_context("pull_request", merge, head, base0);
        let found = ctx.baseline_revision(&f.repo).map(|b| b.commit);
        assert_eq!(found, Some(base1.to_string()));
    }

    #[test]
    fn pr_head_checkout_uses_the_base_branch_as_it_is_now() {
        let (f, [base0, base1, head, _]) = fixture();
        f.repo.set_head_detached(head).expect("detach");
        let ctx = pr_context("pull_request_target", head, head, base0);
        let found = ctx.baseline_revision(&f.repo).expect("a baseline");
        // Not the merge-base (base0): the tip of the base branch, as the test merge would use.
        assert_eq!(found.commit, base1.to_string());
        assert_eq!(found.how, "`origin/main` (the pull request's base branch)");
    }

    #[test]
    fn push_uses_before_and_missing_commits_give_none() {
        let (f, [base0, base1, _, _]) = fixture();
        let mut ctx = pr_context("push", base1, base1, base0);
        ctx.pull_request = None;
        ctx.push_before = Some(base0.to_string());
        let found = ctx.baseline_revision(&f.repo).map(|b| b.commit);
        assert_eq!(found, Some(base0.to_string()));
        ctx.push_before = Some("1111111111111111111111111111111111111111".into());
        assert_eq!(ctx.baseline_revision(&f.repo), None);
        ctx.event_name = "workflow_dispatch".into();
        assert_eq!(ctx.baseline_revision(&f.repo), None);
    }
}
