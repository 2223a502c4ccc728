//! Hostile and malformed inputs from a pull request: each gives a clear error (exit 2) or a
//! correct, honest report; never a crash, a hang or a silent wrong answer.

mod support;

use predicates::prelude::*;
use predicates::str::contains;
use support::*;

/// Finding 12: a suite without gates checked nothing. It must say so, not "every gate
/// passed", even while its accuracy falls.
#[test]
fn a_suite_without_gates_says_no_gates_configured_even_when_accuracy_fell() {
    let repo = Project::new();
    let config = IRIS_CONFIG
        .split("[[suite.gate]]")
        .next()
        .expect("the config has a suite");
    repo.write("mlops-ci.toml", config);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("baseline model");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrain: smaller tree");

    check_in(&repo.path)
        .code(0)
        .stdout(contains("NO GATES: no gates configured for iris"))
        .stdout(contains("every gate passed").not())
        .stdout(contains("PASS").not());
    let out = mlops_ci()
        .args(["check", "--format", "markdown", "-C"])
        .arg(&repo.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(
        markdown.contains("no gates configured for `iris`"),
        "{markdown}"
    );
    assert!(!markdown.contains("all gates passed"), "{markdown}");
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(report["verdict"], "no_gates");
    let suite = &report["suites"][0];
    let (before, after) = (
        metric(suite, "accuracy", "baseline").unwrap(),
        metric(suite, "accuracy", "candidate").unwrap(),
    );
    assert!(after < before, "the candidate is worse: {before} → {after}");
}
