//! The parts of GitHub's webhook payloads (the file at `GITHUB_EVENT_PATH`) that mlops-ci uses.
//! Everything is optional: a field GitHub drops must not stop a run, and each event carries a
//! different subset.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct EventPayload {
    pub pull_request: Option<PullRequestPayload>,
    /// `push`: the branch tip before the push (all zeros for a new branch).
    pub before: Option<String>,
    pub merge_group: Option<MergeGroupPayload>,
    pub workflow_run: Option<WorkflowRunPayload>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PullRequestPayload {
    pub number: u64,
    pub head: GitRefPayload,
    pub base: GitRefPayload,
    /// The labels when the event fired.
    #[serde(default)]
    pub labels: Vec<LabelPayload>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LabelPayload {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GitRefPayload {
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub sha: String,
    /// `null` when the fork was deleted.
    pub repo: Option<RepoPayload>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RepoPayload {
    pub full_name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MergeGroupPayload {
    pub base_sha: String,
    pub base_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WorkflowRunPayload {
    pub id: u64,
    pub head_sha: String,
    pub event: String,
    /// Empty for pull requests from forks (GitHub fills it only for same-repository PRs).
    #[serde(default)]
    pub pull_requests: Vec<WorkflowRunPullRequest>,
    pub head_repository: Option<RepoPayload>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WorkflowRunPullRequest {
    pub number: u64,
}

pub(crate) fn parse(text: &str) -> Result<EventPayload, serde_json::Error> {
    serde_json::from_str(text)
}
