//! The Actions context read from real webhook payloads (`@octokit/webhooks-examples`), as
//! GitHub writes them to GITHUB_EVENT_PATH. Needs `bash .ci/install-github-tools.sh`.

#[path = "support/github/mod.rs"]
mod github;

use github::fixtures::{Actions, MERGE_SHA};
use github::tools::{webhook_example, webhook_examples};
use mlops_ci::publish::PublishError;
use serde_json::{Value, json};

fn actions(event: &str, payload: &Value) -> Actions {
    Actions::new("https://api.github.com", event, payload)
}

#[test]
fn pull_request_opened_and_synchronize() {
    for action in ["opened", "synchronize"] {
        let payload = webhook_example("pull_request", Some(action));
        let ctx = actions("pull_request", &payload).context();
        let pr = ctx.pull_request.as_ref().expect("a pull request");
        assert_eq!(pr.number, payload["number"].as_u64().expect("number"));
        assert_eq!(
            pr.head_sha,
            payload["pull_request"]["head"]["sha"]
                .as_str()
                .expect("sha")
        );
        assert_eq!(pr.base_ref, "master");
        assert_eq!(
            pr.head_ref,
            payload["pull_request"]["head"]["ref"]
                .as_str()
                .expect("ref")
        );
        assert!(!pr.from_fork, "Codertocat/Hello-World into itself");
        assert_eq!(
            ctx.head_sha(),
            pr.head_sha,
            "checks go on the PR head, not the test merge"
        );
        assert_ne!(ctx.head_sha(), MERGE_SHA);
        assert_eq!(ctx.base_ref.as_deref(), Some("master"));
        ctx.ensure_safe_to_evaluate(false)
            .expect("same-repository PR is safe");
    }
}

/// The examples hold no fork PR, so the real `synchronize` payload gets a head repository of
/// its own, as GitHub sends for a fork.
fn fork_payload() -> Value {
    let mut payload = webhook_example("pull_request", Some("synchronize"));
    payload["pull_request"]["head"]["repo"]["full_name"] = json!("forker/Hello-World");
    payload
}

#[test]
fn pull_request_from_a_fork() {
    let ctx = actions("pull_request", &fork_payload()).context();
    let pr = ctx.pull_request.as_ref().expect("a pull request");
    assert!(pr.from_fork);
    assert_eq!(pr.head_repo.as_deref(), Some("forker/Hello-World"));
    // On `pull_request` a fork's code runs with a read-only token and no secrets: allowed.
    ctx.ensure_safe_to_evaluate(false)
        .expect("pull_request from a fork is safe");

    // A deleted fork has `repo: null`: still a fork.
    let mut deleted = fork_payload();
    deleted["pull_request"]["head"]["repo"] = Value::Null;
    assert!(
        actions("pull_request", &deleted)
            .context()
            .pull_request
            .expect("pr")
            .from_fork
    );
}

#[test]
fn pull_request_target_from_a_fork_is_refused_unless_allowed() {
    let ctx = actions("pull_request_target", &fork_payload()).context();
    let err = ctx.ensure_safe_to_evaluate(false).expect_err("refused");
    assert!(matches!(err, PublishError::UntrustedForkCode { .. }));
    let message = err.to_string();
    for needed in [
        "write token",
        "secrets",
        "forker/Hello-World",
        "workflow_run",
        "--allow-untrusted-fork",
    ] {
        assert!(
            message.contains(needed),
            "the message explains `{needed}`: {message}"
        );
    }
    ctx.ensure_safe_to_evaluate(true)
        .expect("explicitly allowed");

    let same_repo = webhook_example("pull_request", Some("opened"));
    actions("pull_request_target", &same_repo)
        .context()
        .ensure_safe_to_evaluate(false)
        .expect("a same-repository PR is trusted");
}

#[test]
fn push() {
    let pushes = webhook_examples()
        .into_iter()
        .find(|(name, _)| name == "push")
        .map(|(_, examples)| examples)
        .expect("push examples");
    let zeros = |e: &Value| {
        e["before"]
            .as_str()
            .is_some_and(|b| b.bytes().all(|c| c == b'0'))
    };

    // A new branch: `before` is all zeros, there is no previous tip.
    let created = pushes
        .iter()
        .find(|e| e["ref"] == "refs/heads/master" && zeros(e))
        .expect("branch creation");
    let ctx = actions("push", created).context();
    assert!(ctx.pull_request.is_none());
    assert_eq!(ctx.push_before, None);
    assert_eq!(ctx.head_sha(), MERGE_SHA, "GITHUB_SHA");

    // A push to an existing ref: `before` is the previous tip.
    let moved = pushes
        .iter()
        .find(|e| !zeros(e))
        .expect("a push with a previous tip");
    let ctx = actions("push", moved).context();
    assert_eq!(ctx.push_before.as_deref(), moved["before"].as_str());
}

#[test]
fn workflow_dispatch_and_merge_group() {
    let ctx = actions(
        "workflow_dispatch",
        &webhook_example("workflow_dispatch", None),
    )
    .context();
    assert!(ctx.pull_request.is_none() && ctx.workflow_run.is_none());
    assert_eq!(ctx.base_ref, None);

    let payload = webhook_example("merge_group", Some("checks_requested"));
    let ctx = actions("merge_group", &payload).context();
    assert_eq!(
        ctx.merge_group_base_sha.as_deref(),
        payload["merge_group"]["base_sha"].as_str()
    );
    assert_eq!(
        ctx.base_ref.as_deref(),
        Some("main"),
        "refs/heads/ stripped"
    );
}

#[test]
fn workflow_run_lists_its_pull_requests() {
    let examples = webhook_examples()
        .into_iter()
        .find(|(name, _)| name == "workflow_run")
        .map(|(_, e)| e)
        .expect("workflow_run examples");
    let with_pr = examples
        .iter()
        .find(|e| {
            e["workflow_run"]["pull_requests"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .expect("an example with a pull request");
    let ctx = actions("workflow_run", with_pr).context();
    let run = ctx.workflow_run.as_ref().expect("workflow_run");
    assert_eq!(run.id, with_pr["workflow_run"]["id"].as_u64().expect("id"));
    assert_eq!(
        run.head_sha,
        with_pr["workflow_run"]["head_sha"].as_str().expect("sha")
    );
    assert_eq!(run.pull_request_numbers, vec![2]);
    assert_eq!(run.head_repo.as_deref(), Some("octo-org/octo-repo"));
}

#[test]
fn every_example_payload_of_every_event_is_read() {
    let mut read = 0;
    for (event, examples) in webhook_examples() {
        for example in examples {
            let step = Actions::new("https://api.github.com", &event, &example);
            let ctx = mlops_ci::publish::GithubContext::from_lookup(|n| step.vars.get(n).cloned());
            assert!(ctx.is_ok(), "{event}: {:?}", ctx.err());
            read += 1;
        }
    }
    assert!(read > 300, "only {read} examples");
}
