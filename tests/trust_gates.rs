//! Gates a change cannot quietly loosen (issue 7, finding 5): the base revision's
//! `mlops-ci.toml` sets the bar; a looser gate in the change keeps the base's value and the
//! report names it, unless `--accept-gate-changes` or the pull request label accepts it.

#[path = "support/github/mod.rs"]
mod github;
mod support;

use github::fixtures::{Actions, pull_request_event};
use support::repo::example;
use support::{Project, fixture, json};

const SUITE: &str = r#"[[suite]]
name = "iris"
model = "models/model.onnx"
task = "classification"

[suite.data]
path = "data/test.csv"
label = "species"
"#;

const STRICT_GATE: &str = r#"
[[suite.gate]]
metric = "accuracy"
min = 0.9
max_regression = 0.01
"#;

const LOOSE_GATE: &str = r#"
[[suite.gate]]
metric = "accuracy"
min = 0.8
max_regression = 0.05
"#;

/// `main`: the examples' baseline model (0.95) under `main_config`; `feature` (checked out):
/// the tree2 model (0.917, −0.033) under `feature_config`.
fn project(main_config: Option<&str>, feature_config: &str) -> Project {
    let repo = Project::new();
    if let Some(config) = main_config {
        repo.write("mlops-ci.toml", config);
    }
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("main");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("mlops-ci.toml", feature_config);
    repo.copy(&fixture("models/iris_tree2.onnx"), "models/model.onnx");
    repo.commit_all("feature: a worse model, and looser gates");
    repo
}

fn check(repo: &Project, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = repo
        .mlops_ci()
        .args(["check", "--format", "json", "--output", "report.json"])
        .args(args)
        .output()
        .unwrap();
    let report = json(&std::fs::read(repo.path().join("report.json")).unwrap());
    std::fs::remove_file(repo.path().join("report.json")).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), report, text)
}

fn loosened(report: &serde_json::Value) -> Vec<String> {
    report["gate_policy"]["changes"]
        .as_array()
        .expect("gate_policy.changes")
        .iter()
        .filter(|c| c["kind"] == "loosened" || c["kind"] == "removed")
        .map(|c| {
            format!(
                "{} {}",
                c["metric"].as_str().unwrap(),
                c["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn loosened_gates_keep_the_base_values_and_the_report_names_them() {
    let repo = project(
        Some(&format!("{SUITE}{STRICT_GATE}")),
        &format!("{SUITE}{LOOSE_GATE}"),
    );
    let (code, report, text) = check(&repo, &[]);
    assert_eq!(
        code, 1,
        "the base's max_regression 0.01 still applies: {text}"
    );
    assert_eq!(
        loosened(&report),
        ["accuracy min", "accuracy max_regression"]
    );
    let gates = report["suites"][0]["gates"].as_array().unwrap();
    let threshold = |rule: &str| {
        gates.iter().find(|g| g["rule"] == rule).unwrap()["threshold"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((threshold("min"), threshold("max_regression")), (0.9, 0.01));
    assert!(report["gate_policy"]["accepted_by"].is_null());
    assert!(
        text.contains(
            "gate loosened: `iris` accuracy max_regression: 0.01 → 0.05 (looser; the base's 0.01 still applies)"
        ),
        "{text}"
    );
    let markdown = repo
        .mlops_ci()
        .args(["check", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        markdown.contains("**This change loosens the gates.**"),
        "{markdown}"
    );

    // Deliberate: the override applies the change's gates, and says so.
    let (code, report, text) = check(&repo, &["--accept-gate-changes"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        report["gate_policy"]["accepted_by"],
        "--accept-gate-changes"
    );
    assert!(text.contains("accepted by --accept-gate-changes"), "{text}");
}

#[test]
fn the_pull_request_label_accepts_loosened_gates_in_ci() {
    let repo = project(
        Some(&format!("{SUITE}{STRICT_GATE}")),
        &format!("{SUITE}{LOOSE_GATE}"),
    );
    let run = |labels: &[&str]| {
        let mut event = pull_request_event(7, false);
        event["pull_request"]["labels"] = labels
            .iter()
            .map(|name| serde_json::json!({ "name": name }))
            .collect();
        let actions = Actions::new("http://127.0.0.1:9", "pull_request", &event);
        let bundle = actions.dir.path().join("bundle");
        let out = support::mlops_ci()
            .envs(&actions.vars)
            .arg("-C")
            .arg(repo.path())
            .args(["ci", "--no-publish", "--bundle-dir"])
            .arg(&bundle)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&["documentation"]);
    assert_eq!(code, Some(1), "{text}");
    let (code, text) = run(&["mlops-ci: accept-gate-change"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("accepted by the pull request label `mlops-ci: accept-gate-change`"),
        "{text}"
    );
}

#[test]
fn a_removed_gate_is_held_and_a_removed_suite_fails_the_run() {
    // The gate is gone from the change's config: the base's still applies.
    let repo = project(Some(&format!("{SUITE}{STRICT_GATE}")), SUITE);
    let (code, report, text) = check(&repo, &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        loosened(&report),
        ["accuracy min", "accuracy max_regression"]
    );
    assert_eq!(report["suites"][0]["gates"].as_array().unwrap().len(), 2);

    // A suite removed from the config: its gates cannot be checked, so the run fails.
    let other = format!("{}{STRICT_GATE}", SUITE.replace("\"iris\"", "\"other\""));
    let repo = project(
        Some(&format!("{SUITE}{STRICT_GATE}\n{other}")),
        &format!("{SUITE}{STRICT_GATE}"),
    );
    // Without --all too: the removal makes detection run the check.
    let (code, report, text) = check(&repo, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("suite `other` was removed (its gates can no longer be checked"),
        "{text}"
    );
    assert_eq!(report["verdict"], "fail");
}

#[test]
fn tightened_gates_apply_at_once_and_new_suites_or_configs_use_their_own() {
    // The change only raises the bar: the stricter min fails the unchanged model... here the
    // change's model is 0.917, below the new 0.95.
    let tight = STRICT_GATE.replace("min = 0.9", "min = 0.95");
    let repo = project(
        Some(&format!("{SUITE}{STRICT_GATE}")),
        &format!("{SUITE}{tight}"),
    );
    let (code, report, _) = check(&repo, &["--accept-gate-changes"]);
    assert_eq!(code, 1);
    let change = &report["gate_policy"]["changes"][0];
    assert_eq!(change["kind"], "tightened");
    assert_eq!(change["applied"], 0.95);

    // First adoption: no config at the base; the change's gates apply, and the report says so.
    let repo = project(None, &format!("{SUITE}{LOOSE_GATE}"));
    let (code, report, _) = check(&repo, &[]);
    assert_eq!(code, 0);
    let source = report["gate_policy"]["source"].as_str().unwrap();
    assert!(source.contains("first adoption"), "{source}");

    // A new suite: its own gates, said in a note.
    let renamed = SUITE.replace("\"iris\"", "\"iris2\"");
    let repo = project(
        Some(&format!("{SUITE}{STRICT_GATE}")),
        &format!("{SUITE}{STRICT_GATE}\n{renamed}{LOOSE_GATE}"),
    );
    let (_, report, _) = check(&repo, &["--suite", "iris2"]);
    let notes = report["gate_policy"]["notes"].to_string();
    assert!(
        notes.contains("suite `iris2` is new since `main`"),
        "{notes}"
    );
}
