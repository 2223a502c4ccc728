//! The data changed in the same change (issue 7, finding 5): both models are evaluated on the
//! base's data too, the report shows old-data and new-data numbers, and by default the
//! relative gates must pass on the old data as well — a worse model plus a test set with its
//! errors removed no longer passes.

mod support;

use support::repo::example;
use support::{Project, fixture, json};

const CONFIG: &str = r#"[[suite]]
name = "iris"
model = "models/model.onnx"
task = "classification"

[suite.data]
path = "data/test.csv"
label = "species"

[[suite.gate]]
metric = "accuracy"
max_regression = 0.01
"#;

/// `main`: the good model on the full test set; `feature` (checked out): `model` on `data`.
fn project(main_config: &str, feature_config: &str, model: &str, data: &str) -> Project {
    let repo = Project::new();
    repo.write("mlops-ci.toml", main_config);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("main");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("mlops-ci.toml", feature_config);
    repo.copy(&example(model), "models/model.onnx");
    repo.copy(&fixture(data), "data/test.csv");
    repo.commit_all("feature");
    repo
}

fn check(repo: &Project) -> (i32, serde_json::Value, String) {
    let out = repo
        .mlops_ci()
        .args(["check", "--format", "json", "--output", "report.json"])
        .output()
        .unwrap();
    let report = json(&std::fs::read(repo.path().join("report.json")).unwrap());
    std::fs::remove_file(repo.path().join("report.json")).unwrap();
    (
        out.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn row<'a>(report: &'a serde_json::Value, metric: &str) -> &'a serde_json::Value {
    report["suites"][0]["data_change"]["metrics"]
        .as_array()
        .expect("data_change.metrics")
        .iter()
        .find(|m| m["metric"] == metric)
        .expect("the metric")
}

#[test]
fn a_worse_model_with_its_errors_removed_from_the_test_set_fails() {
    let repo = project(
        CONFIG,
        CONFIG,
        "iris/models/candidate.onnx",
        "data/iris_candidate_errors_removed.csv",
    );
    let (code, report, text) = check(&repo);
    assert_eq!(code, 1, "{text}");
    let accuracy = row(&report, "accuracy");
    assert_eq!(accuracy["baseline_old_data"], 0.95);
    assert_eq!(accuracy["candidate_new_data"], 1.0);
    let old = accuracy["candidate_old_data"].as_f64().unwrap();
    assert!((old - 2.0 / 3.0).abs() < 1e-9, "{old}");
    let change = &report["suites"][0]["data_change"];
    assert_eq!(
        (change["rows_before"].as_u64(), change["rows_now"].as_u64()),
        (Some(60), Some(40))
    );
    assert_eq!(change["policy"], "gate-old-data");
    let failed: Vec<&str> = report["suites"][0]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["outcome"] == "fail")
        .map(|g| g["reason"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].starts_with("on the data at `main` (before this change): accuracy got worse"),
        "{}",
        failed[0]
    );
    assert!(
        text.contains("data changed since `main`: 60 rows then, 40 now"),
        "{text}"
    );

    // Deliberately replacing the test set: accepted visibly, like a loosened gate.
    let out = repo
        .mlops_ci()
        .args(["check", "--accept-gate-changes"])
        .output()
        .unwrap();
    let accepted = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{accepted}");
    assert!(
        accepted.contains("(allowed: 0.01) (accepted by --accept-gate-changes)"),
        "{accepted}"
    );

    let markdown = repo
        .mlops_ci()
        .args(["check", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        markdown.contains("baseline on old data → baseline on new data → candidate on new data"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `accuracy` | 0.9500 |"),
        "the old-data table: {markdown}"
    );
}

#[test]
fn report_policy_shows_the_numbers_and_cannot_be_switched_on_by_the_change_itself() {
    let report_policy = format!("[baseline]\ndata_change = \"report\"\n\n{CONFIG}");
    // The team's policy is `report`: the numbers are shown, the new data alone is gated.
    let repo = project(
        &report_policy,
        &report_policy,
        "iris/models/candidate.onnx",
        "data/iris_candidate_errors_removed.csv",
    );
    let (code, report, text) = check(&repo);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["suites"][0]["data_change"]["policy"], "report");
    assert_eq!(row(&report, "accuracy")["baseline_old_data"], 0.95);

    // A change that switches the policy to `report` is held to the base's `gate-old-data`.
    let repo = project(
        CONFIG,
        &report_policy,
        "iris/models/candidate.onnx",
        "data/iris_candidate_errors_removed.csv",
    );
    let (code, report, text) = check(&repo);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        report["suites"][0]["data_change"]["policy"],
        "gate-old-data"
    );
    assert!(
        text.contains("[baseline] data_change: `gate-old-data` → `report` (looser"),
        "{text}"
    );
}

#[test]
fn a_data_only_change_shows_old_and_new_numbers() {
    // Same model, a cleaned test set: every delta is 0, but the old-data numbers show it.
    let repo = project(
        CONFIG,
        CONFIG,
        "iris/models/baseline.onnx",
        "data/iris_candidate_errors_removed.csv",
    );
    let (code, report, text) = check(&repo);
    assert_eq!(code, 0, "the same model passes on both data sets: {text}");
    let accuracy = row(&report, "accuracy");
    assert_eq!(accuracy["baseline_old_data"], 0.95);
    assert_eq!(accuracy["candidate_old_data"], 0.95);
    assert_eq!(
        accuracy["baseline_new_data"],
        accuracy["candidate_new_data"]
    );
    assert!(text.contains("baseline old"), "{text}");
}
