//! The check run on the commit (`mlops-ci / <suite or all>`) with annotations on the config
//! line of each failed gate and on data files that failed validation; a commit status when the
//! token cannot write checks.

use serde_json::{Value, json};

use super::error::PublishError;
use super::fold::{chars, fold_markdown};
use super::github_api::{GithubApi, Method};
use super::outcome::CheckAction;
use super::{PublishRequest, Verdict};

/// GitHub accepts at most 50 annotations per create or update request.
const ANNOTATIONS_PER_REQUEST: usize = 50;
/// `output.summary` and `output.text` are limited to 65,535 characters.
const SUMMARY_LIMIT_CHARS: usize = 65_535;
/// A commit status description is cut by GitHub at 140 characters.
const STATUS_DESCRIPTION_CHARS: usize = 140;

/// Where the check goes and how it links back.
pub(crate) struct CheckTarget<'a> {
    pub name: &'a str,
    pub head_sha: &'a str,
    pub details_url: Option<&'a str>,
}

/// Creates a completed check run, adding annotations beyond the first 50 with updates. Falls
/// back to a commit status when the check run is refused (403/404).
pub(crate) async fn publish_check(
    api: &GithubApi,
    target: &CheckTarget<'_>,
    req: &PublishRequest,
) -> Result<CheckAction, PublishError> {
    match create_check_run(api, target, req).await {
        Ok(action) => Ok(action),
        Err(error) if error.is_permission() => {
            tracing::info!("check runs refused ({error}); writing a commit status instead");
            create_commit_status(api, target, req).await
        }
        Err(error) => Err(error),
    }
}

async fn create_check_run(
    api: &GithubApi,
    target: &CheckTarget<'_>,
    req: &PublishRequest,
) -> Result<CheckAction, PublishError> {
    let annotations = annotations(req);
    let mut batches = annotations.chunks(ANNOTATIONS_PER_REQUEST);
    let title = title(req);
    let summary = fold_markdown(
        req.markdown.trim_end(),
        SUMMARY_LIMIT_CHARS,
        "> **Note:** {folded} section(s) were folded to fit the check run's size limit; the full report is in the job summary.",
        chars,
    );
    let output =
        |batch: &[Value]| json!({ "title": title, "summary": summary, "annotations": batch });

    let mut body = json!({
        "name": target.name,
        "head_sha": target.head_sha,
        "status": "completed",
        "conclusion": conclusion(req.verdict),
        "output": output(batches.next().unwrap_or(&[])),
    });
    if let Some(url) = target.details_url {
        body["details_url"] = json!(url);
    }
    let created = api
        .send(
            "creating the check run",
            Method::Post,
            &api.repo_path("/check-runs"),
            Some(&body),
        )
        .await?;
    let id = created
        .body
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| PublishError::Api {
            operation: "creating the check run",
            status: Some(created.status),
            message: "the response has no check run id".to_owned(),
        })?;
    for batch in batches {
        // Annotations in an update are added to the existing ones.
        api.send(
            "adding check run annotations",
            Method::Patch,
            &api.repo_path(&format!("/check-runs/{id}")),
            Some(&json!({ "output": output(batch) })),
        )
        .await?;
    }
    Ok(CheckAction::CheckRun {
        id,
        annotations: annotations.len(),
    })
}

async fn create_commit_status(
    api: &GithubApi,
    target: &CheckTarget<'_>,
    req: &PublishRequest,
) -> Result<CheckAction, PublishError> {
    let state = match req.verdict {
        Verdict::Pass | Verdict::NoBaseline | Verdict::NoGates => "success",
        Verdict::Fail => "failure",
        Verdict::Error => "error",
    };
    let description: String = title(req).chars().take(STATUS_DESCRIPTION_CHARS).collect();
    let mut body = json!({
        "state": state,
        "context": target.name,
        "description": description,
    });
    if let Some(url) = target.details_url {
        body["target_url"] = json!(url);
    }
    api.send(
        "creating the commit status",
        Method::Post,
        &api.repo_path(&format!("/statuses/{}", target.head_sha)),
        Some(&body),
    )
    .await?;
    Ok(CheckAction::CommitStatus {
        state: state.to_owned(),
    })
}

fn conclusion(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "success",
        Verdict::Fail | Verdict::Error => "failure",
        Verdict::NoBaseline | Verdict::NoGates => "neutral",
    }
}

fn title(req: &PublishRequest) -> String {
    match req.verdict {
        Verdict::Pass => "All gates passed".to_owned(),
        Verdict::Fail => match req.failed_gates.len() {
            1 => "1 gate failed".to_owned(),
            n => format!("{n} gates failed"),
        },
        Verdict::NoBaseline => "No baseline: only absolute gates checked".to_owned(),
        Verdict::NoGates => "No gates configured: nothing was checked".to_owned(),
        Verdict::Error => "Could not evaluate every suite".to_owned(),
    }
}

/// One failure annotation per failed gate (on its config line) and per data problem.
fn annotations(req: &PublishRequest) -> Vec<Value> {
    let gates = req.failed_gates.iter().map(|gate| {
        let line = gate.line.unwrap_or(1).max(1);
        json!({
            "path": gate.config_path,
            "start_line": line,
            "end_line": line,
            "annotation_level": "failure",
            "title": format!("{} gate failed in {}", gate.metric, gate.suite),
            "message": gate.reason,
        })
    });
    let data = req.data_problems.iter().map(|problem| {
        let line = problem.line.unwrap_or(1).max(1);
        json!({
            "path": problem.path,
            "start_line": line,
            "end_line": line,
            "annotation_level": "failure",
            "title": "data validation failed",
            "message": problem.message,
        })
    });
    gates.chain(data).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::{FailedGate, FileProblem};

    #[test]
    fn annotations_point_at_config_lines_and_data_files() {
        let req = PublishRequest {
            markdown: String::new(),
            json: "{}".into(),
            verdict: Verdict::Fail,
            failed_gates: vec![FailedGate {
                suite: "iris".into(),
                metric: "accuracy".into(),
                reason: "0.8 < 0.9".into(),
                config_path: "mlops-ci.toml".into(),
                line: Some(14),
            }],
            data_problems: vec![FileProblem {
                path: "data/test.csv".into(),
                line: None,
                message: "3 nulls in `x`".into(),
            }],
            suites: vec!["iris".into()],
            config_path: "mlops-ci.toml".into(),
        };
        let a = annotations(&req);
        assert_eq!(a[0]["path"], "mlops-ci.toml");
        assert_eq!(a[0]["start_line"], 14);
        assert_eq!(a[1]["path"], "data/test.csv");
        assert_eq!(a[1]["start_line"], 1);
        assert_eq!(title(&req), "1 gate failed");
        assert_eq!(conclusion(Verdict::NoBaseline), "neutral");
    }
}
