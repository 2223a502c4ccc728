//! Command-line flags of `mlops-ci ci` (also `check --github`) and `mlops-ci publish`, for the
//! CLI to flatten into its own commands.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use super::{PublishOptions, PublishOutcome};

/// Flags of `mlops-ci ci`: what to publish after `check`.
#[derive(Debug, Clone, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub targets: PublishTargets,

    /// Exit 1 when a gate fails; `false` reports failures but exits 0.
    #[arg(long = "fail-on-gate", value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub fail_on_gate: bool,

    /// Exit 2 when publishing to GitHub fails (by default it is a warning and the exit status
    /// follows the gates).
    #[arg(long = "strict-publish")]
    pub strict_publish: bool,

    /// Call no GitHub API: write the job summary, the step outputs and the report bundle only
    /// (the untrusted half of the two-phase workflow for pull requests from forks).
    #[arg(long = "no-publish")]
    pub no_publish: bool,

    /// Directory for the report bundle (report.md, report.json, bundle.json); the `report-path`
    /// step output. Default: $RUNNER_TEMP/mlops-ci-report, else ./mlops-ci-report.
    #[arg(long = "bundle-dir", value_name = "DIR")]
    pub bundle_dir: Option<PathBuf>,

    /// On `pull_request_target`, evaluate a pull request from a fork anyway. Its model, data and
    /// code then run with a write token and the repository's secrets.
    #[arg(long = "allow-untrusted-fork")]
    pub allow_untrusted_fork: bool,
}

/// What to publish: flags shared by `mlops-ci ci` and `mlops-ci publish`.
#[derive(Debug, Clone, Args)]
pub struct PublishTargets {
    /// Create or update the sticky PR comment.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub comment: bool,

    /// Create a check run with annotations (a commit status if the token cannot write checks).
    #[arg(long = "check-run", value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub check_run: bool,

    /// Keep a separate sticky comment and check run for KEY, e.g. the suite of a matrix job
    /// (give `publish` the same KEY as `ci`).
    #[arg(long = "comment-key", value_name = "KEY")]
    pub comment_key: Option<String>,
}

impl Default for PublishTargets {
    fn default() -> Self {
        PublishTargets {
            comment: true,
            check_run: true,
            comment_key: None,
        }
    }
}

impl PublishTargets {
    pub fn publish_options(&self) -> PublishOptions {
        PublishOptions {
            comment: self.comment,
            check_run: self.check_run,
            comment_key: self.comment_key.clone(),
            ..PublishOptions::default()
        }
    }
}

impl CiArgs {
    pub fn publish_options(&self) -> PublishOptions {
        self.targets.publish_options()
    }

    /// The exit status of `mlops-ci ci`: by the verdict (unless `--fail-on-gate false`), or 2
    /// when publishing failed under `--strict-publish`.
    pub fn exit_code(&self, outcome: &PublishOutcome) -> u8 {
        outcome.exit_code(self.fail_on_gate, self.strict_publish)
    }
}

/// Flags of `mlops-ci publish`: the trusted half of the two-phase workflow.
#[derive(Debug, Clone, Args)]
pub struct PublishFromArgs {
    /// The report bundle that `mlops-ci ci --no-publish` wrote, downloaded from the triggering
    /// run's artifacts.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,

    #[command(flatten)]
    pub targets: PublishTargets,
}

impl PublishFromArgs {
    pub fn publish_options(&self) -> PublishOptions {
        self.targets.publish_options()
    }

    /// Publishing is the whole job of `mlops-ci publish`: 0 when everything was posted, 2
    /// otherwise. The gates' verdict shows in the check run, not in this exit status.
    pub fn exit_code(&self, outcome: &PublishOutcome) -> u8 {
        if outcome.problems.is_empty() { 0 } else { 2 }
    }
}
