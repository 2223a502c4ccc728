//! `mlops-ci diff` (issue 7, finding 6): re-evaluates the gates of a config on two saved
//! reports, or says plainly that no gate was evaluated; never "PASS" for nothing checked, and
//! no ONNX Runtime line when nothing ran.

mod support;

use predicates::str::contains;
use support::{IRIS_CONFIG, iris_repo_with_regression, json};

/// Two saved reports: main's model (0.95) as the earlier, the feature's (0.667) as the later.
fn saved_reports() -> (support::Project, tempfile::TempDir) {
    let repo = iris_repo_with_regression();
    let out = tempfile::tempdir().unwrap();
    let save = |name: &str| {
        repo.mlops_ci()
            .args(["check", "--all", "--format", "json", "--output"])
            .arg(out.path().join(name))
            .assert()
            .code(predicates::ord::lt(2));
    };
    save("after.json");
    repo.git(&["checkout", "-q", "main"]);
    save("before.json");
    (repo, out)
}

#[test]
fn without_a_config_no_gate_is_evaluated_and_nothing_passes() {
    let (_repo, out) = saved_reports();
    let diff = || {
        let mut cmd = support::mlops_ci();
        cmd.arg("-C")
            .arg(out.path())
            .args(["diff", "before.json", "after.json"]);
        cmd
    };
    let text = diff().assert().code(0).get_output().stdout.clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("NO GATES"), "{text}");
    assert!(!text.contains("PASS"), "{text}");
    assert!(!text.contains("onnxruntime"), "nothing ran: {text}");
    assert!(text.contains("no gate was evaluated"), "{text}");

    let markdown = diff().args(["--format", "markdown"]).output().unwrap();
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    assert!(!markdown.contains('✅'), "{markdown}");
    assert!(!markdown.contains("ONNX Runtime"), "{markdown}");
    assert!(markdown.contains("no gate was evaluated"), "{markdown}");

    let report = json(&diff().args(["--format", "json"]).output().unwrap().stdout);
    assert_eq!(report["verdict"], "no_gates");
    assert_eq!(report["suites"][0]["verdict"], "no_gates");
    assert!(report["runtime"].is_null());
}

#[test]
fn the_configs_gates_are_re_evaluated_on_the_saved_metrics() {
    let (_repo, out) = saved_reports();
    std::fs::write(out.path().join("gates.toml"), IRIS_CONFIG).unwrap();
    let output = support::mlops_ci()
        .arg("-C")
        .arg(out.path())
        .args([
            "--config",
            "gates.toml",
            "diff",
            "before.json",
            "after.json",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the regression fails the gate"
    );
    let report = json(&output.stdout);
    assert_eq!(report["verdict"], "fail");
    let gate = &report["suites"][0]["gates"][0];
    assert_eq!(gate["metric"], "accuracy");
    assert_eq!(gate["outcome"], "fail");

    // The directory's own mlops-ci.toml is used when no --config is given; reversed, the
    // change is an improvement and the gate passes.
    std::fs::write(out.path().join("mlops-ci.toml"), IRIS_CONFIG).unwrap();
    support::mlops_ci()
        .arg("-C")
        .arg(out.path())
        .args(["diff", "after.json", "before.json"])
        .assert()
        .code(0)
        .stdout(contains("PASS"));
}
