//! Publishing behaviour against a stateful fake of GitHub's API: the sticky comment, retries,
//! rate limits, fallbacks when the token may not write, and races between runs.

#[path = "support/github/mod.rs"]
mod github;

use std::time::Duration;

use github::fake::{FakeGithub, Fault, OWNER, REPO};
use github::fixtures::{
    Actions, HEAD_SHA, MERGE_SHA, TOKEN, ci_args, fast_options, pull_request_event, request,
};
use mlops_ci::publish::{
    CheckAction, CommentAction, PublishOutcome, PublishRequest, Verdict, comment_marker, finish_ci,
};
use serde_json::json;

const PR: u64 = 7;

async fn run_ci(actions: &Actions, req: &PublishRequest) -> (PublishOutcome, String) {
    let mut out = Vec::new();
    let outcome = finish_ci(
        &actions.context(),
        req,
        &ci_args(),
        &fast_options(),
        &mut out,
    )
    .await
    .expect("finish_ci");
    (outcome, String::from_utf8(out).expect("utf8 console"))
}

fn pr_actions(fake: &FakeGithub) -> Actions {
    Actions::new(&fake.url, "pull_request", &pull_request_event(PR, false))
}

fn marker() -> String {
    comment_marker("mlops-ci.toml")
}

#[tokio::test]
async fn second_run_edits_the_first_comment() {
    let fake = FakeGithub::start().await;
    let actions = pr_actions(&fake);

    let (first, _) = run_ci(&actions, &request(Verdict::Fail, 1)).await;
    let Some(CommentAction::Created { id, .. }) = first.comment else {
        panic!("first run should create the comment: {first:?}");
    };
    let (second, _) = run_ci(&actions, &request(Verdict::Pass, 0)).await;
    assert_eq!(
        second.comment,
        Some(CommentAction::Updated {
            id,
            url: second_url(&second)
        })
    );

    let comments = fake.comments(PR);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].body.starts_with(&marker()));
    assert!(
        comments[0].body.contains("### ✅"),
        "the second run's report replaced the first"
    );
    assert!(
        first.problems.is_empty() && second.problems.is_empty(),
        "{:?}",
        second.problems
    );

    // The check runs are on the PR head, not on the test-merge commit GITHUB_SHA.
    let state = fake.state();
    assert_eq!(state.check_runs.len(), 2);
    assert_eq!(state.check_runs[0]["head_sha"], HEAD_SHA);
    assert_eq!(state.check_runs[0]["name"], "mlops-ci / iris");
    assert_eq!(state.check_runs[0]["conclusion"], "failure");
    assert_eq!(state.check_runs[1]["conclusion"], "success");
    assert_eq!(
        state.check_runs[0]["output"]["annotations"][0]["path"],
        "mlops-ci.toml"
    );
    assert_eq!(
        state.check_runs[0]["output"]["annotations"][0]["start_line"],
        20
    );
    assert!(
        state
            .requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
    assert!(
        !state
            .requests
            .iter()
            .any(|r| r.method == "POST" && r.path.contains("/issues/comments/")),
        "comment updates must use PATCH"
    );
}

fn second_url(outcome: &PublishOutcome) -> Option<String> {
    match &outcome.comment {
        Some(CommentAction::Updated { url, .. }) => url.clone(),
        _ => None,
    }
}

#[tokio::test]
async fn comment_beyond_the_first_page_is_found() {
    let fake = FakeGithub::start().await;
    fake.state().page_size = 2;
    for i in 0..5 {
        fake.add_comment(PR, &format!("review comment {i}"));
    }
    let ours = fake.add_comment(PR, &format!("{}\nold report", marker()));
    fake.add_comment(PR, "LGTM");
    let actions = pr_actions(&fake);

    let (outcome, _) = run_ci(&actions, &request(Verdict::Pass, 0)).await;
    assert!(
        matches!(outcome.comment, Some(CommentAction::Updated { id, .. }) if id == ours),
        "{outcome:?}"
    );
    assert_eq!(fake.comments(PR).len(), 7, "no comment was added");
    let pages = fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/comments"))
        .count();
    assert_eq!(pages, 4, "7 comments, 2 per page");
}

#[tokio::test]
async fn forbidden_comment_falls_back_to_summary_and_outputs_and_exits_by_verdict() {
    let fake = FakeGithub::start().await;
    // A read-only token (a PR from a fork): every write is refused. The refusal echoes the
    // token, as a misconfigured proxy might: it must still never be shown.
    let refused =
        json!({ "message": format!("Resource not accessible by integration (token {TOKEN})") });
    for (method, path) in [
        ("POST", "/comments"),
        ("POST", "/check-runs"),
        ("POST", "/statuses/"),
    ] {
        fake.fault(Fault {
            method,
            path_contains: path.into(),
            status: 403,
            headers: vec![],
            body: refused.clone(),
            times: 10,
        });
    }
    let actions = pr_actions(&fake);
    let (outcome, console) = run_ci(&actions, &request(Verdict::Fail, 1)).await;

    assert!(
        matches!(outcome.comment, Some(CommentAction::Skipped(_))),
        "{outcome:?}"
    );
    assert!(
        matches!(outcome.check, Some(CheckAction::Skipped(_))),
        "{outcome:?}"
    );
    assert_eq!(outcome.problems.len(), 2, "{:?}", outcome.problems);
    assert!(
        outcome.problems[0].contains("pull-requests: write"),
        "says how to fix: {}",
        outcome.problems[0]
    );
    assert_eq!(
        ci_args().exit_code(&outcome),
        1,
        "exit by the failed gate, not by publishing"
    );
    let strict = mlops_ci::publish::CiArgs {
        strict_publish: true,
        ..ci_args()
    };
    assert_eq!(strict.exit_code(&outcome), 2);

    assert!(
        actions.summary().contains("### ❌ mlops-ci"),
        "job summary written"
    );
    let outputs = actions.parsed_outputs();
    assert_eq!(outputs["verdict"], "fail");
    assert!(outputs["failed-gates"].contains("metric_0"));
    assert!(outputs["json"].contains("schema_version"));
    assert!(
        console.contains("::warning title=mlops-ci::the PR comment was not posted"),
        "{console}"
    );
    assert!(
        console.contains("::error file=mlops-ci.toml,line=20,"),
        "{console}"
    );

    let everything = format!(
        "{console}\n{}\n{}\n{:?}\n{:?}",
        actions.summary(),
        actions.outputs(),
        outcome,
        actions.context()
    );
    assert!(everything.contains("***"), "the echoed token was redacted");
    assert!(!everything.contains(TOKEN), "the token leaked");
}

#[tokio::test]
async fn server_error_is_retried() {
    let fake = FakeGithub::start().await;
    fake.fault(Fault {
        method: "POST",
        path_contains: format!("/issues/{PR}/comments"),
        status: 502,
        headers: vec![],
        body: json!({ "message": "Bad Gateway" }),
        times: 1,
    });
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Pass, 0)).await;
    assert!(
        matches!(outcome.comment, Some(CommentAction::Created { .. })),
        "{outcome:?}"
    );
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .count();
    assert_eq!(posts, 2, "502 then 201");
    assert_eq!(fake.comments(PR).len(), 1);
}

#[tokio::test]
async fn retries_are_bounded() {
    let fake = FakeGithub::start().await;
    fake.fault(Fault {
        method: "POST",
        path_contains: "/check-runs".into(),
        status: 503,
        headers: vec![],
        body: json!({ "message": "Service Unavailable" }),
        times: 100,
    });
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Pass, 0)).await;
    assert!(
        matches!(outcome.check, Some(CheckAction::Skipped(_))),
        "{outcome:?}"
    );
    assert!(
        outcome
            .problems
            .iter()
            .any(|p| p.contains("gave up after 4 attempts")),
        "{:?}",
        outcome.problems
    );
    let attempts = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/check-runs"))
        .count();
    assert_eq!(attempts, 4, "1 attempt + max_retries 3");
}

#[tokio::test]
async fn rate_limit_with_retry_after_waits() {
    let fake = FakeGithub::start().await;
    fake.fault(Fault {
        method: "POST",
        path_contains: "/check-runs".into(),
        status: 429,
        headers: vec![("retry-after", "1".to_owned())],
        body: json!({ "message": "You have exceeded a secondary rate limit" }),
        times: 1,
    });
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Pass, 0)).await;
    assert!(
        matches!(outcome.check, Some(CheckAction::CheckRun { .. })),
        "{outcome:?}"
    );
    let tries: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/check-runs"))
        .collect();
    assert_eq!(tries.len(), 2);
    let waited = tries[1].at.duration_since(tries[0].at);
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn rate_limit_longer_than_the_cap_fails_fast() {
    let fake = FakeGithub::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    fake.fault(Fault {
        method: "POST",
        path_contains: "/check-runs".into(),
        status: 403,
        headers: vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", reset.to_string()),
        ],
        body: json!({ "message": "API rate limit exceeded" }),
        times: 1,
    });
    let started = std::time::Instant::now();
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Pass, 0)).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        outcome
            .problems
            .iter()
            .any(|p| p.contains("was rate limited for 36")),
        "{:?}",
        outcome.problems
    );
    assert!(
        fake.state().statuses.is_empty(),
        "a rate limit is not a permission problem"
    );
}

#[tokio::test]
async fn concurrent_runs_leave_one_comment() {
    let fake = FakeGithub::start().await;
    // Both runs list the comments before either posts: both create one.
    fake.gate_first_lists(2);
    let (a, b) = (pr_actions(&fake), pr_actions(&fake));
    let (req_a, req_b) = (request(Verdict::Fail, 1), request(Verdict::Pass, 0));
    let ((first, _), (second, _)) = tokio::join!(run_ci(&a, &req_a), run_ci(&b, &req_b));

    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .count();
    assert_eq!(posts, 2, "the race happened: both runs created a comment");
    let comments = fake.comments(PR);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(first.problems.is_empty() && second.problems.is_empty());
    let ids: Vec<u64> = [first.comment, second.comment]
        .into_iter()
        .filter_map(|c| match c {
            Some(CommentAction::Created { id, .. } | CommentAction::Updated { id, .. }) => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        vec![comments[0].id, comments[0].id],
        "both runs report the surviving comment"
    );
}

#[tokio::test]
async fn huge_report_is_folded_under_the_comment_limit_without_cutting_tables() {
    let fake = FakeGithub::start().await;
    let mut req = request(Verdict::Fail, 1);
    let rows: String = (0..4_000)
        .map(|i| format!("| `class_{i}` | {i} | 0.5 → 0.4 |\n"))
        .collect();
    req.markdown = format!(
        "{}\n<details><summary>Per-class metrics</summary>\n\n| class | support | f1 |\n|:--|--:|--:|\n{rows}\n</details>\n",
        req.markdown
    );
    assert!(req.markdown.chars().count() > 65_536);
    let actions = pr_actions(&fake);
    let (outcome, _) = run_ci(&actions, &req).await;
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);

    let body = &fake.comments(PR)[0].body;
    assert!(body.chars().count() <= 65_536);
    assert!(
        body.contains("| `accuracy` | 0.9667 |"),
        "the summary table is kept"
    );
    assert!(
        !body.contains("class_0"),
        "the details table is folded whole"
    );
    assert!(body.contains("folded to fit"));
    assert!(body.contains(&format!(
        "(https://github.com/{OWNER}/{REPO}/actions/runs/4242)"
    )));
    for line in body.lines().filter(|l| l.starts_with('|')) {
        assert!(line.ends_with('|'), "a table row was cut: {line}");
    }
    // The job summary has room for the whole report.
    assert!(actions.summary().contains("class_3999"));
}

#[tokio::test]
async fn many_failed_gates_are_annotated_fifty_at_a_time() {
    let fake = FakeGithub::start().await;
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Fail, 120)).await;
    assert_eq!(
        outcome.check,
        Some(CheckAction::CheckRun {
            id: check_id(&fake),
            annotations: 120
        })
    );
    let state = fake.state();
    let sizes: Vec<usize> = std::iter::once(&state.check_runs[0])
        .chain(state.check_run_updates.iter().map(|(_, b)| b))
        .map(|b| b["output"]["annotations"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    assert_eq!(
        state.check_run_updates[1].1["output"]["annotations"][19]["start_line"],
        139
    );
}

fn check_id(fake: &FakeGithub) -> u64 {
    fake.state().check_runs[0]["id"]
        .as_u64()
        .expect("check run id")
}

#[tokio::test]
async fn commit_status_when_check_runs_are_refused() {
    let fake = FakeGithub::start().await;
    fake.fault(Fault {
        method: "POST",
        path_contains: "/check-runs".into(),
        status: 403,
        headers: vec![],
        body: json!({ "message": "You must authenticate via a GitHub App." }),
        times: 1,
    });
    let (outcome, _) = run_ci(&pr_actions(&fake), &request(Verdict::Fail, 2)).await;
    assert_eq!(
        outcome.check,
        Some(CheckAction::CommitStatus {
            state: "failure".into()
        })
    );
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    let state = fake.state();
    assert_eq!(state.statuses[0].0, HEAD_SHA);
    assert_eq!(state.statuses[0].1["context"], "mlops-ci / iris");
    assert_eq!(state.statuses[0].1["description"], "2 gates failed");
    assert_eq!(
        state.statuses[0].1["target_url"],
        format!("https://github.com/{OWNER}/{REPO}/actions/runs/4242")
    );
}

#[tokio::test]
async fn push_gets_a_check_run_and_no_comment() {
    let fake = FakeGithub::start().await;
    let actions = Actions::new(
        &fake.url,
        "push",
        &json!({ "ref": "refs/heads/main", "before": HEAD_SHA }),
    );
    let (outcome, _) = run_ci(&actions, &request(Verdict::NoBaseline, 0)).await;
    assert_eq!(
        outcome.comment,
        Some(CommentAction::Skipped("not a pull request".into()))
    );
    let state = fake.state();
    assert_eq!(
        state.check_runs[0]["head_sha"], MERGE_SHA,
        "GITHUB_SHA on push"
    );
    assert_eq!(state.check_runs[0]["conclusion"], "neutral");
    assert!(!state.requests.iter().any(|r| r.path.contains("/comments")));
}

#[tokio::test]
async fn no_publish_writes_the_bundle_and_calls_no_api() {
    let fake = FakeGithub::start().await;
    let actions = pr_actions(&fake);
    let args = mlops_ci::publish::CiArgs {
        no_publish: true,
        ..ci_args()
    };
    let mut out = Vec::new();
    let outcome = finish_ci(
        &actions.context(),
        &request(Verdict::Fail, 1),
        &args,
        &fast_options(),
        &mut out,
    )
    .await
    .expect("finish_ci");
    assert!(fake.requests().is_empty());
    assert!(outcome.problems.is_empty());
    assert_eq!(args.exit_code(&outcome), 1);
    let report_path = actions.parsed_outputs()["report-path"].clone();
    assert!(report_path.ends_with("mlops-ci-report"), "{report_path}");
    for file in ["bundle.json", "report.md", "report.json"] {
        assert!(
            std::path::Path::new(&report_path).join(file).is_file(),
            "{file}"
        );
    }
}

#[tokio::test]
async fn comment_keys_keep_one_comment_per_matrix_job() {
    let fake = FakeGithub::start().await;
    let actions = pr_actions(&fake);
    for key in ["iris", "wine", "iris"] {
        let args = mlops_ci::publish::CiArgs {
            targets: mlops_ci::publish::PublishTargets {
                comment_key: Some(key.into()),
                ..Default::default()
            },
            ..ci_args()
        };
        let options = mlops_ci::publish::PublishOptions {
            comment_key: Some(key.into()),
            ..fast_options()
        };
        let mut out = Vec::new();
        finish_ci(
            &actions.context(),
            &request(Verdict::Pass, 0),
            &args,
            &options,
            &mut out,
        )
        .await
        .expect("finish_ci");
    }
    assert_eq!(fake.comments(PR).len(), 2);
    let names: Vec<String> = fake
        .state()
        .check_runs
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        ["mlops-ci / iris", "mlops-ci / wine", "mlops-ci / iris"]
    );
}
