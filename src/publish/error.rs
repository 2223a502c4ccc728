//! Errors of the GitHub integration. Each message says how to fix the problem; none may contain
//! the token (texts from the network are redacted before they get here).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "not running in GitHub Actions: {variable} is not set. `mlops-ci ci` and `mlops-ci publish` read the \
         GITHUB_* variables Actions sets for every step; outside Actions run `mlops-ci check`"
    )]
    NotInActions { variable: &'static str },

    #[error(
        "{variable}={value:?} is not {expected}; it is set by GitHub Actions, check that the workflow does not override it"
    )]
    BadVariable {
        variable: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("cannot read the event payload {}: {source}; GITHUB_EVENT_PATH must name the JSON file Actions writes for the run", path.display())]
    ReadEvent {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot parse the `{event}` event payload {}: {message}", path.display())]
    ParseEvent {
        event: String,
        path: PathBuf,
        message: String,
    },

    #[error(
        "refusing to evaluate pull request #{number} from the fork {head_repo} on `pull_request_target`: \
         that event runs with a write token and the repository's secrets, so a model, data or \
         preprocessing code from the fork could steal them or push to the repository. Use the \
         two-phase workflow instead (`pull_request` runs `mlops-ci ci --no-publish`, a \
         `workflow_run` job runs `mlops-ci publish --from`; see the README section GitHub Actions), or pass \
         --allow-untrusted-fork if the workflow checks out only trusted code"
    )]
    UntrustedForkCode { number: u64, head_repo: String },

    #[error("cannot write {what} to {}: {source}", path.display())]
    WriteFile {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "cannot read the report bundle in {}: {message}. Pass the directory that `mlops-ci ci --no-publish` \
         wrote, as downloaded by actions/download-artifact", path.display()
    )]
    ReadBundle { path: PathBuf, message: String },

    #[error(
        "refusing to publish the report bundle: {reason}. A bundle is published only for the run \
         that triggered this `workflow_run` and the commit it tested; it may have been tampered \
         with, or the artifact of another run was downloaded (download it with `run-id: \
         ${{{{ github.event.workflow_run.id }}}}`)"
    )]
    BundleRejected { reason: String },

    #[error(
        "no GitHub token: give the step `GITHUB_TOKEN: ${{{{ github.token }}}}` in its env (the action \
         does this from its `token` input), or pass --no-publish to write the report bundle only"
    )]
    NoToken,

    #[error("cannot create the GitHub API client for {api_url}: {message}; check GITHUB_API_URL")]
    Client { api_url: String, message: String },

    #[error("GitHub API: {operation} failed{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Api {
        operation: &'static str,
        status: Option<u16>,
        message: String,
    },

    #[error(
        "GitHub API: {operation} was rate limited for {wait_secs}s, longer than mlops-ci waits \
         ({max_wait_secs}s): {message}. Fewer API calls per hour (e.g. `check-run: false`) or a \
         token with a higher limit helps"
    )]
    RateLimited {
        operation: &'static str,
        wait_secs: u64,
        max_wait_secs: u64,
        message: String,
    },

    #[error("cannot start the async runtime for the GitHub API: {0}")]
    Runtime(String),
}

impl PublishError {
    /// A 401, 403 (not a rate limit) or 404 from the API: the token may not do this.
    pub fn is_permission(&self) -> bool {
        matches!(
            self,
            PublishError::Api {
                status: Some(401 | 403 | 404),
                ..
            }
        )
    }
}
