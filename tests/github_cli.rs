//! `mlops-ci ci` and `mlops-ci publish` as a workflow runs them: the real binary, a real git
//! repository, GitHub's environment variables, and the stateful fake GitHub.

#[path = "support/github/mod.rs"]
mod github;
mod support;

use github::fake::FakeGithub;
use github::fixtures::{Actions, HEAD_SHA, RUN_ID, TOKEN, pull_request_event};
use serde_json::json;
use support::{iris_repo_with_regression, mlops_ci};

const PR: u64 = 7;

/// Runs the binary off the async runtime so the fake keeps serving.
async fn run(actions: &Actions, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = mlops_ci();
    cmd.envs(&actions.vars).arg("-C").arg(dir).args(args);
    tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins")
}

#[tokio::test(flavor = "multi_thread")]
async fn ci_posts_one_sticky_comment_and_exits_by_the_verdict() {
    let fake = FakeGithub::start().await;
    let repo = iris_repo_with_regression();
    let actions = Actions::new(&fake.url, "pull_request", &pull_request_event(PR, false));

    for round in 1..=2 {
        let out = run(&actions, repo.path(), &["ci"]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "round {round}: {stdout}\n{stderr}"
        );
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "the token leaked"
        );
        assert!(
            stdout.contains("::error file=mlops-ci.toml,line=11"),
            "annotation command: {stdout}"
        );
        let comments = fake.comments(PR);
        assert_eq!(comments.len(), 1, "round {round}: one sticky comment");
        assert!(
            comments[0].body.contains("gates failed in `iris`"),
            "{}",
            comments[0].body
        );
    }
    let outputs = actions.parsed_outputs();
    assert_eq!(outputs.get("verdict").map(String::as_str), Some("fail"));
    assert!(actions.summary().contains("accuracy got worse by 0.2833"));
    assert!(!fake.state().check_runs.is_empty(), "a check run");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_phase_publishes_the_same_comment_and_refuses_a_tampered_bundle() {
    let repo = iris_repo_with_regression();
    // One phase, for reference.
    let one_phase = FakeGithub::start().await;
    let actions = Actions::new(
        &one_phase.url,
        "pull_request",
        &pull_request_event(PR, false),
    );
    assert_eq!(
        run(&actions, repo.path(), &["ci"]).await.status.code(),
        Some(1)
    );

    // The untrusted run of a fork's PR: no API calls, a bundle.
    let fake = FakeGithub::start().await;
    let fork = Actions::new(&fake.url, "pull_request", &pull_request_event(PR, true));
    let bundle = fork.dir.path().join("bundle");
    let out = run(
        &fork,
        repo.path(),
        &[
            "ci",
            "--no-publish",
            "--bundle-dir",
            bundle.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fake.requests().is_empty(), "the untrusted run calls no API");

    // The trusted workflow_run: validates the bundle and publishes it.
    fake.state().pulls.insert(PR, json!({ "number": PR, "head": { "sha": HEAD_SHA, "repo": { "full_name": "forker/octo-repo" } } }));
    let event = json!({ "action": "completed", "workflow_run": {
        "id": RUN_ID, "head_sha": HEAD_SHA, "event": "pull_request", "pull_requests": [],
        "head_repository": { "full_name": "forker/octo-repo" } } });
    let trusted = Actions::new(&fake.url, "workflow_run", &event);
    let out = run(
        &trusted,
        repo.path(),
        &["publish", "--from", bundle.to_str().unwrap()],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (one_phase.comments(PR), fake.comments(PR));
    assert_eq!((a.len(), b.len()), (1, 1));
    // Timings differ between two runs; everything else is the same.
    let untimed = |body: &str| {
        body.lines()
            .filter(|l| !l.contains("(timing)"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        untimed(&a[0].body),
        untimed(&b[0].body),
        "the same comment as the one-phase run"
    );

    // A bundle claiming another commit is refused.
    let path = bundle.join("bundle.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    meta["head_sha"] = json!("0000000000000000000000000000000000000000");
    std::fs::write(&path, meta.to_string()).unwrap();
    let out = run(
        &trusted,
        repo.path(),
        &["publish", "--from", bundle.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fake.comments(PR).len(), 1, "nothing more was posted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_data_file_is_annotated_at_its_line() {
    let fake = FakeGithub::start().await;
    let repo = iris_repo_with_regression();
    let data = std::fs::read_to_string(repo.path().join("data/test.csv")).unwrap();
    repo.write(
        "data/test.csv",
        data.replacen('\n', "\n5.1,n/a,1.4,0.2,setosa\n", 1),
    );
    repo.commit_all("a bad row");
    let actions = Actions::new(&fake.url, "pull_request", &pull_request_event(PR, false));
    let out = run(&actions, repo.path(), &["ci"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("::error file=data/test.csv,line=2"),
        "{stdout}"
    );
    assert_eq!(
        actions.parsed_outputs().get("verdict").map(String::as_str),
        Some("error")
    );
    assert!(
        fake.comments(PR)[0]
            .body
            // Escaped Markdown: the message quotes the cell as text, not as a code span.
            .contains("holds \\`n/a\\` (text), but input \\`X\\` takes float")
    );
}
