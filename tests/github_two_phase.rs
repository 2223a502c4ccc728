//! Fork-safe two-phase publishing: the untrusted `pull_request` run writes a bundle with
//! `ci --no-publish`; the trusted `workflow_run` run validates it and publishes it with
//! `publish --from`. The result must equal a one-phase run's, and a tampered bundle must be
//! refused.

#[path = "support/github/mod.rs"]
mod github;

use std::path::{Path, PathBuf};

use github::fake::FakeGithub;
use github::fixtures::{
    Actions, HEAD_SHA, RUN_ID, ci_args, fast_options, pull_request_event, request,
};
use mlops_ci::publish::{
    CiArgs, CommentAction, PublishError, PublishFromArgs, Verdict, finish_ci, publish_bundle,
    read_and_validate_bundle,
};
use serde_json::{Value, json};

const PR: u64 = 7;
const FORK: &str = "forker/octo-repo";

/// The untrusted half: a fork's PR, read-only token, `--no-publish`. Returns the bundle dir.
async fn untrusted_run(fake: &FakeGithub, actions: &Actions) -> PathBuf {
    let bundle = actions.dir.path().join("downloaded-artifact");
    let args = CiArgs {
        no_publish: true,
        bundle_dir: Some(bundle.clone()),
        ..ci_args()
    };
    let mut out = Vec::new();
    let outcome = finish_ci(
        &actions.context(),
        &request(Verdict::Fail, 2),
        &args,
        &fast_options(),
        &mut out,
    )
    .await
    .expect("ci --no-publish");
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(fake.requests().is_empty(), "the untrusted run calls no API");
    bundle
}

fn workflow_run_event(run_id: u64, head_sha: &str, pull_requests: Value) -> Value {
    json!({
        "action": "completed",
        "workflow_run": {
            "id": run_id, "head_sha": head_sha, "event": "pull_request",
            "pull_requests": pull_requests, "head_repository": { "full_name": FORK }
        }
    })
}

fn serve_pull_request(fake: &FakeGithub, head_sha: &str) {
    fake.state().pulls.insert(
        PR,
        json!({ "number": PR, "head": { "sha": head_sha, "repo": { "full_name": FORK } } }),
    );
}

#[tokio::test]
async fn bundle_published_from_workflow_run_equals_the_one_phase_run() {
    // One phase, as if the PR came from a branch of the repository.
    let one_phase = FakeGithub::start().await;
    let actions = Actions::new(
        &one_phase.url,
        "pull_request",
        &pull_request_event(PR, false),
    );
    let mut out = Vec::new();
    finish_ci(
        &actions.context(),
        &request(Verdict::Fail, 2),
        &ci_args(),
        &fast_options(),
        &mut out,
    )
    .await
    .expect("one-phase run");

    // Two phases, for a fork.
    let two_phase = FakeGithub::start().await;
    let fork = Actions::new(
        &two_phase.url,
        "pull_request",
        &pull_request_event(PR, true),
    );
    let bundle_dir = untrusted_run(&two_phase, &fork).await;
    serve_pull_request(&two_phase, HEAD_SHA);
    let trusted = Actions::new(
        &two_phase.url,
        "workflow_run",
        &workflow_run_event(RUN_ID, HEAD_SHA, json!([])),
    );
    let ctx = trusted.context();
    let bundle = read_and_validate_bundle(&bundle_dir, &ctx).expect("valid bundle");
    let outcome = publish_bundle(&ctx, &bundle, &fast_options())
        .await
        .expect("publish");
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(matches!(
        outcome.comment,
        Some(CommentAction::Created { .. })
    ));
    let exit = PublishFromArgs {
        from: bundle_dir,
        targets: Default::default(),
    }
    .exit_code(&outcome);
    assert_eq!(exit, 0);

    let (a, b) = (one_phase.comments(PR), two_phase.comments(PR));
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_eq!(a[0].body, b[0].body, "the same comment");
    let strip_id = |mut run: Value| {
        run.as_object_mut().map(|o| o.remove("id"));
        run
    };
    assert_eq!(
        strip_id(one_phase.state().check_runs[0].clone()),
        strip_id(two_phase.state().check_runs[0].clone()),
        "the same check run, on the PR head"
    );
    // The fork's PR was checked with the API, since GitHub lists no PRs for a fork's run.
    assert!(
        two_phase
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/pulls/7"))
    );
}

/// Rewrites one field of bundle.json.
fn tamper(dir: &Path, field: &str, value: Value) {
    let path = dir.join("bundle.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    manifest[field] = value;
    std::fs::write(&path, manifest.to_string()).expect("write");
}

fn rejected(result: Result<impl std::fmt::Debug, PublishError>) -> String {
    match result {
        Err(e @ PublishError::BundleRejected { .. }) => e.to_string(),
        other => panic!("expected a rejected bundle, got {other:?}"),
    }
}

#[tokio::test]
async fn tampered_bundles_are_refused() {
    let fake = FakeGithub::start().await;
    let fork = Actions::new(&fake.url, "pull_request", &pull_request_event(PR, true));
    let bundle_dir = untrusted_run(&fake, &fork).await;
    let trusted = Actions::new(
        &fake.url,
        "workflow_run",
        &workflow_run_event(RUN_ID, HEAD_SHA, json!([])),
    );
    let ctx = trusted.context();
    read_and_validate_bundle(&bundle_dir, &ctx).expect("the untouched bundle is valid");

    let copy = |name: &str| {
        let dir = fork.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for file in ["bundle.json", "report.md", "report.json"] {
            std::fs::copy(bundle_dir.join(file), dir.join(file)).expect("copy");
        }
        dir
    };

    let other_sha = copy("sha");
    tamper(
        &other_sha,
        "head_sha",
        json!("0000000000000000000000000000000000000bad"),
    );
    let message = rejected(read_and_validate_bundle(&other_sha, &ctx));
    assert!(message.contains("the triggering run tested"), "{message}");

    let other_run = copy("run");
    tamper(&other_run, "run_id", json!(1));
    assert!(rejected(read_and_validate_bundle(&other_run, &ctx)).contains("written by run 1"));

    let edited = copy("edited");
    std::fs::write(edited.join("report.md"), "### ✅ all gates passed\n").expect("write");
    assert!(
        rejected(read_and_validate_bundle(&edited, &ctx)).contains("does not match the digest")
    );

    let other_repo = copy("repo");
    tamper(&other_repo, "repository", json!("someone/else"));
    assert!(
        rejected(read_and_validate_bundle(&other_repo, &ctx)).contains("it is for someone/else")
    );

    // A PR GitHub lists for the run must be the bundle's.
    let listed = Actions::new(
        &fake.url,
        "workflow_run",
        &workflow_run_event(RUN_ID, HEAD_SHA, json!([{ "number": 8 }])),
    );
    assert!(rejected(read_and_validate_bundle(&bundle_dir, &listed.context())).contains("#7"));

    // Not a workflow_run: nothing to check against.
    let push = Actions::new(&fake.url, "push", &json!({}));
    assert!(
        rejected(read_and_validate_bundle(&bundle_dir, &push.context()))
            .contains("not `workflow_run`")
    );

    // A valid bundle whose PR has moved on (a newer push) is not published.
    serve_pull_request(&fake, "1111111111111111111111111111111111111111");
    let bundle = read_and_validate_bundle(&bundle_dir, &ctx).expect("valid bundle");
    let message = rejected(publish_bundle(&ctx, &bundle, &fast_options()).await);
    assert!(message.contains("newer push"), "{message}");
    assert!(fake.comments(PR).is_empty());
    assert!(
        fake.state().check_runs.is_empty(),
        "nothing was posted for a refused bundle"
    );
}
