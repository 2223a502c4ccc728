//! Where a run happens: the GitHub Actions variables and the event that started the workflow.

use std::path::PathBuf;

use super::error::PublishError;
use super::event::{self, EventPayload};
use super::token::GithubToken;

/// The pull request a run belongs to, from the event payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The PR's head commit: check runs and statuses go on it (GITHUB_SHA is the test merge).
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    /// The base branch tip when the event fired; may be stale by the time the job runs.
    pub base_sha: String,
    /// `owner/name` of the head repository; `None` when the fork was deleted.
    pub head_repo: Option<String>,
    /// The head lives in another repository (or a deleted one): its token is read-only on
    /// `pull_request`, and its code is untrusted.
    pub from_fork: bool,
    /// The pull request's labels when the event fired (`mlops-ci: accept-gate-change`).
    pub labels: Vec<String>,
}

/// The pull request label that accepts gates a change loosens (see the README).
pub const ACCEPT_GATE_CHANGE_LABEL: &str = "mlops-ci: accept-gate-change";

impl PullRequest {
    /// What accepts loosened gates on this pull request, if anything: its label.
    pub fn accepts_gate_changes(&self) -> Option<String> {
        self.labels
            .iter()
            .any(|l| l == ACCEPT_GATE_CHANGE_LABEL)
            .then(|| format!("the pull request label `{ACCEPT_GATE_CHANGE_LABEL}`"))
    }
}

/// The run that triggered a `workflow_run` workflow (the two-phase publisher).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRun {
    pub id: u64,
    pub head_sha: String,
    /// The event of the triggering run, e.g. `pull_request`.
    pub event: String,
    /// PR numbers GitHub associates with the run; empty for PRs from forks.
    pub pull_request_numbers: Vec<u64>,
    pub head_repo: Option<String>,
}

/// Everything mlops-ci reads from the GitHub Actions environment.
#[derive(Debug, Clone)]
pub struct GithubContext {
    /// `owner/name` (GITHUB_REPOSITORY).
    pub repository: String,
    /// GITHUB_EVENT_NAME: `pull_request`, `push`, `workflow_run`, ...
    pub event_name: String,
    /// GITHUB_SHA: on `pull_request` the test-merge commit, else the commit the run is for.
    pub sha: String,
    /// GITHUB_BASE_REF: the PR's base branch (pull_request events only).
    pub base_ref: Option<String>,
    pub pull_request: Option<PullRequest>,
    /// `merge_group`: the queue's base commit.
    pub merge_group_base_sha: Option<String>,
    /// `push`: the branch tip before the push, when the branch existed.
    pub push_before: Option<String>,
    pub workflow_run: Option<WorkflowRun>,
    /// GITHUB_API_URL (GitHub Enterprise Server: `https://HOST/api/v3`).
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<u64>,
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub runner_temp: Option<PathBuf>,
    /// GITHUB_TOKEN (or MLOPS_CI_GITHUB_TOKEN); `Debug` prints `***`.
    pub token: Option<GithubToken>,
}

impl GithubContext {
    /// Reads the process environment and the event payload at GITHUB_EVENT_PATH.
    pub fn from_env() -> Result<GithubContext, PublishError> {
        GithubContext::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`GithubContext::from_env`], with variables from `lookup` (tests, and callers that
    /// already hold the environment).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<GithubContext, PublishError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required =
            |name: &'static str| var(name).ok_or(PublishError::NotInActions { variable: name });

        let repository = required("GITHUB_REPOSITORY")?;
        if repository.split('/').filter(|p| !p.is_empty()).count() != 2 {
            return Err(PublishError::BadVariable {
                variable: "GITHUB_REPOSITORY",
                value: repository,
                expected: "`owner/name`",
            });
        }
        let event_name = required("GITHUB_EVENT_NAME")?;
        let sha = required("GITHUB_SHA")?;
        let run_id = match var("GITHUB_RUN_ID") {
            Some(value) => Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| PublishError::BadVariable {
                        variable: "GITHUB_RUN_ID",
                        value,
                        expected: "a number",
                    })?,
            ),
            None => None,
        };

        let payload = match var("GITHUB_EVENT_PATH") {
            Some(path) => read_payload(PathBuf::from(path), &event_name)?,
            None => EventPayload::default(),
        };

        let pull_request = payload.pull_request.map(|pr| {
            let head_repo = pr.head.repo.map(|r| r.full_name);
            let base_repo = pr.base.repo.map(|r| r.full_name);
            let from_fork = match (&head_repo, &base_repo) {
                (Some(head), Some(base)) => !head.eq_ignore_ascii_case(base),
                (Some(head), None) => !head.eq_ignore_ascii_case(&repository),
                (None, _) => true,
            };
            PullRequest {
                number: pr.number,
                head_sha: pr.head.sha,
                head_ref: pr.head.ref_name,
                base_ref: pr.base.ref_name,
                base_sha: pr.base.sha,
                head_repo,
                from_fork,
                labels: pr.labels.into_iter().map(|l| l.name).collect(),
            }
        });
        let base_ref = var("GITHUB_BASE_REF")
            .or_else(|| pull_request.as_ref().map(|pr| pr.base_ref.clone()))
            .or_else(|| {
                let base = payload.merge_group.as_ref()?.base_ref.as_deref()?;
                Some(base.strip_prefix("refs/heads/").unwrap_or(base).to_owned())
            });
        let push_before = payload
            .before
            .filter(|sha| !sha.is_empty() && sha.bytes().any(|b| b != b'0'));
        let workflow_run = payload.workflow_run.map(|run| WorkflowRun {
            id: run.id,
            head_sha: run.head_sha,
            event: run.event,
            pull_request_numbers: run.pull_requests.iter().map(|pr| pr.number).collect(),
            head_repo: run.head_repository.map(|r| r.full_name),
        });

        Ok(GithubContext {
            repository,
            event_name,
            sha,
            base_ref,
            pull_request,
            merge_group_base_sha: payload.merge_group.map(|g| g.base_sha),
            push_before,
            workflow_run,
            api_url: var("GITHUB_API_URL")
                .unwrap_or_else(|| "https://api.github.com".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            server_url: var("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            run_id,
            step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: var("GITHUB_OUTPUT").map(PathBuf::from),
            runner_temp: var("RUNNER_TEMP").map(PathBuf::from),
            token: var("MLOPS_CI_GITHUB_TOKEN")
                .or_else(|| var("GITHUB_TOKEN"))
                .and_then(GithubToken::new),
        })
    }

    /// The commit that check runs and statuses belong to: the PR head on pull request events
    /// (GITHUB_SHA is then a test-merge commit nobody sees), the merge group head, else
    /// GITHUB_SHA.
    pub fn head_sha(&self) -> &str {
        match &self.pull_request {
            Some(pr) => &pr.head_sha,
            None => &self.sha,
        }
    }

    /// `owner` and `name` of the repository.
    pub fn owner_and_name(&self) -> (&str, &str) {
        self.repository
            .split_once('/')
            .unwrap_or((self.repository.as_str(), ""))
    }

    /// Link to this workflow run's page (and its job summary).
    pub fn run_url(&self) -> Option<String> {
        self.run_id
            .map(|id| format!("{}/{}/actions/runs/{id}", self.server_url, self.repository))
    }

    /// On `pull_request_target` the job holds a write token and the secrets; evaluating a
    /// fork's model, data or code there hands them to the fork. Refuses unless allowed.
    pub fn ensure_safe_to_evaluate(&self, allow_untrusted_fork: bool) -> Result<(), PublishError> {
        match &self.pull_request {
            Some(pr)
                if self.event_name == "pull_request_target"
                    && pr.from_fork
                    && !allow_untrusted_fork =>
            {
                Err(PublishError::UntrustedForkCode {
                    number: pr.number,
                    head_repo: pr
                        .head_repo
                        .clone()
                        .unwrap_or_else(|| "(deleted fork)".to_owned()),
                })
            }
            _ => Ok(()),
        }
    }
}

fn read_payload(path: PathBuf, event_name: &str) -> Result<EventPayload, PublishError> {
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(PublishError::ReadEvent { path, source }),
    };
    event::parse(&text).map_err(|e| PublishError::ParseEvent {
        event: event_name.to_owned(),
        path,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn context(vars: &[(&str, &str)]) -> Result<GithubContext, PublishError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        GithubContext::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn missing_variables_name_the_variable() {
        let err = context(&[("GITHUB_REPOSITORY", "o/r")]).expect_err("no event name");
        assert!(err.to_string().contains("GITHUB_EVENT_NAME"), "{err}");
        let err = context(&[
            ("GITHUB_REPOSITORY", "just-a-name"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_SHA", "abc"),
        ])
        .expect_err("bad repository");
        assert!(err.to_string().contains("owner/name"), "{err}");
    }

    #[test]
    fn defaults_without_payload_and_token_from_env() {
        let ctx = context(&[
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_EVENT_NAME", "workflow_dispatch"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_TOKEN", "ghs_secret"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ])
        .expect("context");
        assert_eq!(ctx.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(ctx.head_sha(), "abc");
        assert_eq!(
            ctx.run_url().as_deref(),
            Some("https://github.com/o/r/actions/runs/42")
        );
        assert!(!format!("{ctx:?}").contains("ghs_secret"));
        assert_eq!(ctx.token.as_ref().map(|t| t.expose()), Some("ghs_secret"));
    }
}
