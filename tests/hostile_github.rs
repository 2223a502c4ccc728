//! Finding 8 of issue 12: a GitHub API that accepts connections and never answers kept `ci`
//! running for 330 s. Publishing has a total deadline; the run ends by its verdict.

#[path = "support/github/mod.rs"]
mod github;
mod support;

use std::time::Duration;

use github::fixtures::{Actions, pull_request_event};
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_github_api_that_never_answers_does_not_hold_the_job() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accept every connection and keep it open, silent.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let repo = iris_repo_with_regression();
    let actions = Actions::new(&url, "pull_request", &pull_request_event(5, false));
    let mut cmd = mlops_ci();
    cmd.envs(&actions.vars)
        .env("MLOPS_CI_GITHUB_TIMEOUT", "2")
        .arg("-C")
        .arg(repo.path())
        .arg("ci")
        // The hang guard: without a deadline this took 330 s.
        .timeout(Duration::from_secs(60));
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    silent.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit by the verdict (a failed gate): {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("::warning title=mlops-ci::GitHub did not finish answering within 2 s"),
        "{stdout}"
    );
    assert!(
        actions.summary().contains("accuracy"),
        "the job summary still has the report"
    );
}
