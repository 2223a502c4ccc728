//! Publishing a finished report to GitHub: the sticky PR comment, the check run (or a commit
//! status), the job summary, step outputs and workflow commands, and the two-phase bundle for
//! pull requests from forks.
//!
//! This module is the last stage of the flow and knows nothing of the core's types: the core
//! hands it a [`PublishRequest`] of plain data (the rendered Markdown and JSON, the verdict and
//! the failed gates). Publishing never changes the verdict: a failed API call is a warning and
//! the exit status still follows the gates, unless `--strict-publish` asks otherwise.
//!
//! Entry points for the command line, in the order `mlops-ci ci` uses them:
//! [`prepare_ci`] (context from the environment, fork safety), then the core's `check`, then
//! [`finish_ci`] (summary, outputs, bundle, publishing). `mlops-ci publish --from DIR` is
//! [`publish_from_dir`].

mod args;
mod baseline;
mod bundle;
mod check_run;
mod comment;
mod context;
mod error;
mod event;
mod fold;
mod github_api;
mod outcome;
mod run;
mod token;
mod workflow_commands;

pub use args::{CiArgs, PublishFromArgs, PublishTargets};
pub use bundle::{BUNDLE_FORMAT, Bundle, BundleManifest, read_and_validate_bundle, write_bundle};
pub use comment::{COMMENT_LIMIT_CHARS, comment_body, comment_marker};
pub use context::{ACCEPT_GATE_CHANGE_LABEL, GithubContext, PullRequest, WorkflowRun};
pub use error::PublishError;
pub use fold::fold_markdown;
pub use github_api::RetryPolicy;
pub use outcome::{CheckAction, CommentAction, PublishOutcome};
pub use run::{
    finish_ci, finish_ci_blocking, prepare_ci, publish, publish_bundle, publish_from_dir,
    publish_from_dir_blocking,
};
pub use workflow_commands::{
    CommandsStopped, append_step_summary, format_step_output, step_outputs, write_step_outputs,
    write_workflow_commands,
};

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything publishing needs, produced by the core after `check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishRequest {
    /// The rendered Markdown report: the comment body, the check run summary, the job summary.
    pub markdown: String,
    /// The report as JSON (with its `schema_version`): the `json` step output and the bundle.
    pub json: String,
    pub verdict: Verdict,
    /// Each failed gate becomes an annotation on its line of the config and an `::error::`.
    pub failed_gates: Vec<FailedGate>,
    /// Data files that failed validation: annotations on the file (and line when known).
    #[serde(default)]
    pub data_problems: Vec<FileProblem>,
    /// Suite names evaluated; a single suite names the check run `mlops-ci / <suite>`.
    pub suites: Vec<String>,
    /// Repo-relative config file path: a repository with several configs gets one sticky
    /// comment per config.
    pub config_path: String,
}

impl PublishRequest {
    /// A request for a run that failed before it had a report (a config error, a missing
    /// model, no ONNX Runtime), so the pull request still learns why the check is red.
    /// `json` is `{"verdict": "error", "error": message}`, not a full report.
    pub fn from_error(message: &str, suites: Vec<String>, config_path: &str) -> PublishRequest {
        PublishRequest {
            // A fence longer than any backtick run in the message, so it cannot close early.
            markdown: format!(
                "### 💥 mlops-ci could not run\n\n{}\n",
                crate::report::escape::markdown_code_block(message.trim_end(), "text")
            ),
            json: serde_json::json!({ "verdict": "error", "error": message }).to_string(),
            verdict: Verdict::Error,
            failed_gates: Vec::new(),
            data_problems: Vec::new(),
            suites,
            config_path: config_path.to_owned(),
        }
    }
}

/// The overall result of a run, as the report's JSON spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    NoBaseline,
    /// No gate was evaluated: nothing was checked, which is not a pass.
    NoGates,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NoBaseline => "no_baseline",
            Verdict::NoGates => "no_gates",
            Verdict::Error => "error",
        }
    }
}

/// A gate that failed, located in the config so that GitHub can annotate the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedGate {
    pub suite: String,
    pub metric: String,
    /// Why it failed, in words (`accuracy 0.87 < min 0.90`).
    pub reason: String,
    /// Repo-relative path of the config file that declares the gate.
    pub config_path: String,
    /// 1-based line of the `[[suite.gate]]` entry, when known.
    pub line: Option<u32>,
}

/// A problem found in a file (a data file that failed validation), for an annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProblem {
    /// Repo-relative path.
    pub path: String,
    /// 1-based line, when known (a CSV row); the annotation goes on line 1 otherwise.
    pub line: Option<u32>,
    pub message: String,
}

/// What to publish and how hard to try.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Create or update the sticky PR comment (pull requests only).
    pub comment: bool,
    /// Create a check run (or a commit status when the token cannot write checks).
    pub check_run: bool,
    /// Keeps a separate sticky comment and check run per key, e.g. one per suite when a matrix
    /// of jobs each checks one suite. `None`: one per config file.
    pub comment_key: Option<String>,
    pub retry: RetryPolicy,
    /// Per-request connect and read timeout.
    pub request_timeout: Duration,
    /// All GitHub calls of a run together, retries included: an API that never answers must
    /// not hold the job (`MLOPS_CI_GITHUB_TIMEOUT` seconds, default 60).
    pub total_timeout: Duration,
}

/// The environment variable that sets [`PublishOptions::total_timeout`], in seconds.
pub const GITHUB_TIMEOUT_ENV: &str = "MLOPS_CI_GITHUB_TIMEOUT";

fn total_timeout_from_env() -> Duration {
    let secs = std::env::var(GITHUB_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(60);
    Duration::from_secs(secs)
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            comment: true,
            check_run: true,
            comment_key: None,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
            total_timeout: total_timeout_from_env(),
        }
    }
}

impl PublishOptions {
    /// `mlops-ci / <key>`: the comment key, else the single suite, else `all`.
    pub fn check_name(&self, req: &PublishRequest) -> String {
        let scope = match (&self.comment_key, req.suites.as_slice()) {
            (Some(key), _) => key.clone(),
            (None, [single]) => single.clone(),
            (None, _) => "all".to_owned(),
        };
        format!("mlops-ci / {scope}")
    }

    /// What identifies this run's sticky comment among the PR's comments.
    pub fn comment_key(&self, req: &PublishRequest) -> String {
        // `./mlops-ci.toml` and `mlops-ci.toml` are the same config: one comment.
        let config = req.config_path.trim_start_matches("./");
        match &self.comment_key {
            Some(key) => format!("{config}#{key}"),
            None => config.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_request_fences_the_message() {
        let req = PublishRequest::from_error("bad ```key``` on line 3", vec![], "mlops-ci.toml");
        assert_eq!(req.verdict, Verdict::Error);
        assert!(
            req.markdown
                .contains("\n````text\nbad ```key``` on line 3\n````\n"),
            "{}",
            req.markdown
        );
        let json: serde_json::Value = serde_json::from_str(&req.json).expect("json");
        assert_eq!(json["verdict"], "error");
    }

    #[test]
    fn check_names_and_comment_keys() {
        let mut req = PublishRequest::from_error("x", vec!["iris".into()], "./ml/mlops-ci.toml");
        let options = PublishOptions::default();
        assert_eq!(options.check_name(&req), "mlops-ci / iris");
        assert_eq!(options.comment_key(&req), "ml/mlops-ci.toml");
        req.suites.push("wine".into());
        assert_eq!(options.check_name(&req), "mlops-ci / all");
        let keyed = PublishOptions {
            comment_key: Some("gpu".into()),
            ..PublishOptions::default()
        };
        assert_eq!(keyed.check_name(&req), "mlops-ci / gpu");
        assert_eq!(keyed.comment_key(&req), "ml/mlops-ci.toml#gpu");
    }
}
