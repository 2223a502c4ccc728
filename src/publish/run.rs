//! The publishing steps in order, for `mlops-ci ci` and `mlops-ci publish --from`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::args::{CiArgs, PublishFromArgs};
use super::bundle::{Bundle, read_and_validate_bundle, write_bundle};
use super::check_run::{CheckTarget, publish_check};
use super::comment::{comment_body, comment_marker, upsert_sticky_comment};
use super::context::GithubContext;
use super::error::PublishError;
use super::github_api::{GithubApi, Method};
use super::outcome::{CheckAction, CommentAction, PublishOutcome};
use super::workflow_commands::{
    JSON_OUTPUT_LIMIT_BYTES, append_step_summary, step_outputs, write_step_outputs, write_warning,
    write_workflow_commands,
};
use super::{PublishOptions, PublishRequest};

/// Before `check`: reads the Actions environment and refuses to evaluate a fork's pull request
/// on `pull_request_target` unless `--allow-untrusted-fork`.
pub fn prepare_ci(args: &CiArgs) -> Result<GithubContext, PublishError> {
    let ctx = GithubContext::from_env()?;
    ctx.ensure_safe_to_evaluate(args.allow_untrusted_fork)?;
    Ok(ctx)
}

/// After `check`: workflow commands to `out` (stdout), the report bundle, the job summary and
/// step outputs, then — unless `--no-publish` — the comment and the check run. Problems on
/// the way are `::warning::`s and listed in the outcome; they never stop the later steps.
/// `options` is `args.publish_options()` unless a caller (a test) wants other retry timings.
pub async fn finish_ci(
    ctx: &GithubContext,
    req: &PublishRequest,
    args: &CiArgs,
    options: &PublishOptions,
    out: &mut dyn Write,
) -> Result<PublishOutcome, PublishError> {
    if let Err(e) = write_workflow_commands(out, req) {
        tracing::warn!("cannot write workflow commands: {e}");
    }
    let bundle_dir = args
        .bundle_dir
        .clone()
        .unwrap_or_else(|| default_bundle_dir(ctx));
    let mut problems = Vec::new();
    match write_bundle(&bundle_dir, ctx, req) {
        Ok(()) => {}
        // The bundle is the whole product of the untrusted half of the two-phase workflow.
        Err(e) if args.no_publish => return Err(e),
        Err(e) => problems.push(e.to_string()),
    }
    problems.extend(write_runner_files(
        ctx,
        req,
        &bundle_dir,
        ctx.run_url().as_deref(),
    ));

    let mut outcome = if args.no_publish {
        let mut outcome = PublishOutcome::new(req.verdict);
        let skipped = "--no-publish: publish the bundle with `mlops-ci publish --from`";
        outcome.comment = Some(CommentAction::Skipped(skipped.to_owned()));
        outcome.check = Some(CheckAction::Skipped(skipped.to_owned()));
        outcome
    } else {
        publish(ctx, req, options).await
    };
    problems.append(&mut outcome.problems);
    outcome.problems = problems;
    warn_all(out, &outcome);
    Ok(outcome)
}

/// Why publishing stopped: GitHub took longer than the run's total deadline.
fn deadline_message(options: &PublishOptions) -> String {
    format!(
        "GitHub did not finish answering within {} s, so publishing stopped (the report is in the job summary and the bundle; set {} to wait longer)",
        options.total_timeout.as_secs(),
        super::GITHUB_TIMEOUT_ENV
    )
}

/// [`finish_ci`] on a runtime of its own, for a synchronous `main`.
pub fn finish_ci_blocking(
    ctx: &GithubContext,
    req: &PublishRequest,
    args: &CiArgs,
    out: &mut dyn Write,
) -> Result<PublishOutcome, PublishError> {
    runtime()?.block_on(finish_ci(ctx, req, args, &args.publish_options(), out))
}

/// The comment and the check run for this run's pull request and head commit.
pub async fn publish(
    ctx: &GithubContext,
    req: &PublishRequest,
    options: &PublishOptions,
) -> PublishOutcome {
    let pr = ctx.pull_request.as_ref().map(|pr| pr.number);
    let run_url = ctx.run_url();
    match client(ctx, options) {
        Ok(api) => {
            let publishing =
                publish_with(&api, pr, ctx.head_sha(), run_url.as_deref(), req, options);
            match tokio::time::timeout(options.total_timeout, publishing).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    let mut outcome = PublishOutcome::new(req.verdict);
                    outcome.problems.push(deadline_message(options));
                    outcome
                }
            }
        }
        Err(e) => {
            let mut outcome = PublishOutcome::new(req.verdict);
            outcome.problems.push(e.to_string());
            outcome
        }
    }
}

/// `mlops-ci publish --from DIR`: reads and validates the bundle against this `workflow_run`
/// event, publishes it and adds the report to this run's job summary.
pub async fn publish_from_dir(
    args: &PublishFromArgs,
    options: &PublishOptions,
    out: &mut dyn Write,
) -> Result<PublishOutcome, PublishError> {
    let ctx = GithubContext::from_env()?;
    let bundle = read_and_validate_bundle(&args.from, &ctx)?;
    let outcome = tokio::time::timeout(
        options.total_timeout,
        publish_bundle(&ctx, &bundle, options),
    )
    .await
    .map_err(|_| PublishError::Api {
        operation: "publishing the bundle",
        status: None,
        message: deadline_message(options),
    })??;
    let mut outcome = outcome;
    if let Some(path) = &ctx.step_summary
        && let Err(e) = append_step_summary(
            path,
            &bundle.request.markdown,
            triggering_run_url(&ctx).as_deref(),
        )
    {
        outcome.problems.push(e.to_string());
    }
    warn_all(out, &outcome);
    Ok(outcome)
}

/// [`publish_from_dir`] on a runtime of its own, for a synchronous `main`.
pub fn publish_from_dir_blocking(
    args: &PublishFromArgs,
    out: &mut dyn Write,
) -> Result<PublishOutcome, PublishError> {
    runtime()?.block_on(publish_from_dir(args, &args.publish_options(), out))
}

/// Publishes a validated bundle for its pull request and commit. When GitHub does not list the
/// triggering run's pull requests (always the case for forks), first asks the API that the
/// pull request belongs to this repository and its head is the bundle's commit.
pub async fn publish_bundle(
    ctx: &GithubContext,
    bundle: &Bundle,
    options: &PublishOptions,
) -> Result<PublishOutcome, PublishError> {
    let api = client(ctx, options)?;
    let manifest = &bundle.manifest;
    let Some(number) = manifest.pull_request else {
        return Err(PublishError::BundleRejected {
            reason: "it names no pull request".to_owned(),
        });
    };
    let listed = ctx
        .workflow_run
        .as_ref()
        .is_some_and(|run| run.pull_request_numbers.contains(&number));
    if !listed {
        verify_pull_request_head(&api, ctx, number, &manifest.head_sha).await?;
    }
    let run_url = triggering_run_url(ctx);
    Ok(publish_with(
        &api,
        Some(number),
        &manifest.head_sha,
        run_url.as_deref(),
        &bundle.request,
        options,
    )
    .await)
}

async fn verify_pull_request_head(
    api: &GithubApi,
    ctx: &GithubContext,
    number: u64,
    head_sha: &str,
) -> Result<(), PublishError> {
    let response = api
        .send(
            "reading the pull request",
            Method::Get,
            &api.repo_path(&format!("/pulls/{number}")),
            None,
        )
        .await?;
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(&response.body, |v, key| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let actual_head = field(&["head", "sha"]);
    if actual_head != head_sha {
        return Err(PublishError::BundleRejected {
            reason: format!(
                "pull request #{number}'s head is {actual_head}, the bundle is for {head_sha} (a newer push supersedes it)"
            ),
        });
    }
    let run_head_repo = ctx
        .workflow_run
        .as_ref()
        .and_then(|r| r.head_repo.as_deref());
    let pr_head_repo = field(&["head", "repo", "full_name"]);
    if let Some(expected) = run_head_repo
        && !pr_head_repo.is_empty()
        && !pr_head_repo.eq_ignore_ascii_case(expected)
    {
        return Err(PublishError::BundleRejected {
            reason: format!(
                "pull request #{number} comes from {pr_head_repo}, the triggering run from {expected}"
            ),
        });
    }
    Ok(())
}

async fn publish_with(
    api: &GithubApi,
    pr: Option<u64>,
    head_sha: &str,
    run_url: Option<&str>,
    req: &PublishRequest,
    options: &PublishOptions,
) -> PublishOutcome {
    let mut outcome = PublishOutcome::new(req.verdict);
    outcome.comment = Some(match (options.comment, pr) {
        (false, _) => CommentAction::Skipped("comment: false".to_owned()),
        (true, None) => CommentAction::Skipped("not a pull request".to_owned()),
        (true, Some(number)) => {
            let marker = comment_marker(&options.comment_key(req));
            let body = comment_body(&marker, &req.markdown, run_url);
            match upsert_sticky_comment(api, number, &marker, &body).await {
                Ok(action) => action,
                Err(e) => {
                    outcome
                        .problems
                        .push(format!("the PR comment was not posted: {e}"));
                    CommentAction::Skipped(e.to_string())
                }
            }
        }
    });
    outcome.check = Some(if options.check_run {
        let name = options.check_name(req);
        let target = CheckTarget {
            name: &name,
            head_sha,
            details_url: run_url,
        };
        match publish_check(api, &target, req).await {
            Ok(action) => action,
            Err(e) => {
                outcome
                    .problems
                    .push(format!("the check was not reported: {e}"));
                CheckAction::Skipped(e.to_string())
            }
        }
    } else {
        CheckAction::Skipped("check-run: false".to_owned())
    });
    outcome
}

fn client(ctx: &GithubContext, options: &PublishOptions) -> Result<GithubApi, PublishError> {
    let token = ctx.token.as_ref().ok_or(PublishError::NoToken)?;
    GithubApi::new(
        &ctx.api_url,
        &ctx.repository,
        token,
        &options.retry,
        options.request_timeout,
    )
}

/// The job summary and step outputs; each failure is returned as a problem.
fn write_runner_files(
    ctx: &GithubContext,
    req: &PublishRequest,
    bundle_dir: &Path,
    run_url: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(path) = &ctx.step_summary
        && let Err(e) = append_step_summary(path, &req.markdown, run_url)
    {
        problems.push(e.to_string());
    }
    if let Some(path) = &ctx.output
        && let Err(e) = write_step_outputs(path, &step_outputs(req, bundle_dir))
    {
        problems.push(e.to_string());
    }
    if req.json.len() > JSON_OUTPUT_LIMIT_BYTES {
        problems.push(format!(
            "the JSON report ({} bytes) is over GitHub's output size limit, so the `json` output is empty; read report.json in the `report-path` output instead",
            req.json.len()
        ));
    }
    problems
}

fn warn_all(out: &mut dyn Write, outcome: &PublishOutcome) {
    for problem in &outcome.problems {
        if let Err(e) = write_warning(out, problem) {
            tracing::warn!("cannot write a warning: {e}");
        }
    }
}

fn default_bundle_dir(ctx: &GithubContext) -> PathBuf {
    match &ctx.runner_temp {
        Some(temp) => temp.join("mlops-ci-report"),
        None => PathBuf::from("mlops-ci-report"),
    }
}

/// The page of the run that wrote the bundle (its job summary has the full report).
fn triggering_run_url(ctx: &GithubContext) -> Option<String> {
    let run = ctx.workflow_run.as_ref()?;
    Some(format!(
        "{}/{}/actions/runs/{}",
        ctx.server_url, ctx.repository, run.id
    ))
}

fn runtime() -> Result<tokio::runtime::Runtime, PublishError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PublishError::Runtime(e.to_string()))
}
