//! Contract tests: every request the GitHub client sends is checked against GitHub's published
//! OpenAPI description by prism (`@stoplight/prism-cli` serving `@octokit/openapi`), either
//! directly or behind the stateful fake (which forwards each request to prism first and fails
//! it when prism rejects it). Needs `bash .ci/install-github-tools.sh`.

#[path = "support/github/mod.rs"]
mod github;

use github::fake::{FakeGithub, Fault, OWNER, REPO, validate};
use github::fixtures::{Actions, HEAD_SHA, ci_args, fast_options, pull_request_event, request};
use github::prism::Prism;
use mlops_ci::publish::{
    CheckAction, CommentAction, Verdict, finish_ci, publish_bundle, read_and_validate_bundle,
};
use serde_json::json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn every_request_is_accepted_by_githubs_openapi_description() {
    let prism = Prism::start();
    runtime().block_on(async {
        // Directly against prism: a pull request run with more than 50 annotations (a create
        // and an update of the check run). prism's example comments carry no marker, so the
        // comment is created.
        let actions = Actions::new(&prism.url, "pull_request", &pull_request_event(2, false));
        let mut out = Vec::new();
        let outcome = finish_ci(&actions.context(), &request(Verdict::Fail, 60), &ci_args(), &fast_options(), &mut out)
            .await
            .expect("finish_ci");
        assert!(outcome.problems.is_empty(), "prism refused a request: {:?}\n{}", outcome.problems, prism.log());
        assert!(matches!(outcome.comment, Some(CommentAction::Created { .. })), "{outcome:?}");
        assert!(matches!(outcome.check, Some(CheckAction::CheckRun { annotations: 60, .. })), "{outcome:?}");

        // Behind the fake, which has state: an update (PATCH), a duplicate deleted after a
        // race (DELETE), a commit status after a refused check run, and reading a pull request
        // (the two-phase publisher).
        let fake = FakeGithub::start().await;
        fake.validate_with(prism.addr);
        let actions = Actions::new(&fake.url, "pull_request", &pull_request_event(7, false));
        let run = |verdict| {
            let ctx = actions.context();
            async move {
                let mut out = Vec::new();
                finish_ci(&ctx, &request(verdict, 1), &ci_args(), &fast_options(), &mut out)
                    .await
                    .expect("finish_ci")
            }
        };
        fake.gate_first_lists(2);
        let (a, b) = tokio::join!(run(Verdict::Fail), run(Verdict::Pass));
        fake.fault(Fault {
            method: "POST",
            path_contains: "/check-runs".into(),
            status: 403,
            headers: vec![],
            body: json!({ "message": "Resource not accessible by integration" }),
            times: 1,
        });
        let c = run(Verdict::Pass).await;
        assert_eq!(c.check, Some(CheckAction::CommitStatus { state: "success".into() }));

        let fork = Actions::new(&fake.url, "pull_request", &pull_request_event(7, true));
        let bundle_dir = fork.dir.path().join("bundle");
        let no_publish = mlops_ci::publish::CiArgs { no_publish: true, bundle_dir: Some(bundle_dir.clone()), ..ci_args() };
        let mut out = Vec::new();
        finish_ci(&fork.context(), &request(Verdict::Fail, 1), &no_publish, &fast_options(), &mut out)
            .await
            .expect("untrusted half");
        fake.state().pulls.insert(7, json!({ "number": 7, "head": { "sha": HEAD_SHA, "repo": { "full_name": "forker/octo-repo" } } }));
        let trusted = Actions::new(&fake.url, "workflow_run", &json!({
            "action": "completed",
            "workflow_run": { "id": 4242, "head_sha": HEAD_SHA, "event": "pull_request",
                              "pull_requests": [], "head_repository": { "full_name": "forker/octo-repo" } }
        }));
        let ctx = trusted.context();
        let bundle = read_and_validate_bundle(&bundle_dir, &ctx).expect("valid bundle");
        let d = publish_bundle(&ctx, &bundle, &fast_options()).await.expect("publish bundle");

        for outcome in [&a, &b, &c, &d] {
            assert!(outcome.problems.is_empty(), "{:?}\nviolations: {:?}", outcome.problems, fake.state().violations);
        }
        let state = fake.state();
        assert!(state.violations.is_empty(), "{:?}", state.violations);
        for (method, path) in [
            ("GET", format!("/repos/{OWNER}/{REPO}/issues/7/comments")),
            ("POST", format!("/repos/{OWNER}/{REPO}/issues/7/comments")),
            ("PATCH", format!("/repos/{OWNER}/{REPO}/issues/comments/")),
            ("DELETE", format!("/repos/{OWNER}/{REPO}/issues/comments/")),
            ("POST", format!("/repos/{OWNER}/{REPO}/check-runs")),
            ("POST", format!("/repos/{OWNER}/{REPO}/statuses/{HEAD_SHA}")),
            ("GET", format!("/repos/{OWNER}/{REPO}/pulls/7")),
        ] {
            assert!(
                state.requests.iter().any(|r| r.method == method && r.path.starts_with(&path)),
                "no {method} {path} was validated"
            );
        }
    });
    let violations = prism.violations();
    assert!(violations.is_empty(), "prism reported: {violations:?}");
}

/// The harness can fail: what octocrab's `update_comment` sends (POST to a comment, which the
/// description documents only as PATCH) and a body without the required field are refused.
#[test]
fn requests_outside_the_description_are_refused() {
    let prism = Prism::start();
    runtime().block_on(async {
        let headers = [("content-type".to_owned(), "application/json".to_owned())];
        let comment = format!("/repos/{OWNER}/{REPO}/issues/comments/1");
        let refused = validate(prism.addr, "POST", &comment, &headers, r#"{"body":"x"}"#).await;
        assert!(matches!(refused, Err((405, _))), "{refused:?}");
        let refused = validate(prism.addr, "PATCH", &comment, &headers, r#"{"text":"x"}"#).await;
        assert!(matches!(refused, Err((422, _))), "{refused:?}");
        let check = format!("/repos/{OWNER}/{REPO}/check-runs");
        let refused = validate(
            prism.addr,
            "POST",
            &check,
            &headers,
            r#"{"head_sha":"abc"}"#,
        )
        .await;
        assert!(
            matches!(refused, Err((422, _))),
            "a check run needs a name: {refused:?}"
        );
        let accepted = validate(prism.addr, "PATCH", &comment, &headers, r#"{"body":"x"}"#).await;
        assert_eq!(accepted, Ok(()));
    });
    // The log check of the other test sees these refusals.
    let violations = prism.violations();
    assert!(
        violations.iter().any(|l| l.contains("NO_METHOD_MATCHED"))
            && violations
                .iter()
                .any(|l| l.contains("Violation: request.body")),
        "{violations:?}"
    );
}
