//! `mlops-ci check` end to end: the bundled examples, baselines from git, report formats.

mod support;

use predicates::prelude::*;
use predicates::str::contains;
use support::*;

#[test]
fn iris_example_fails_its_regression_gate_with_exit_1() {
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(example("iris"))
        .assert()
        .code(1)
        .stdout(contains("FAIL"))
        .stdout(contains("accuracy got worse by 0.2833"));
}

#[test]
fn breast_cancer_and_diabetes_examples_pass() {
    for case in ["breast-cancer", "diabetes"] {
        mlops_ci()
            .args(["check", "--all", "-C"])
            .arg(example(case))
            .assert()
            .code(0)
            .stdout(contains("PASS"));
    }
}

/// Every metric of both models against scikit-learn's numbers for the same predictions
/// (`examples/generate.py` wrote them with scikit-learn and ONNX Runtime).
#[test]
fn metrics_equal_scikit_learn_on_the_example_data() {
    for case in ["iris", "breast-cancer", "diabetes"] {
        let expected =
            json(&std::fs::read(example(&format!("{case}/expected-metrics.json"))).unwrap());
        let names: Vec<String> = expected["candidate"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        // The example's config plus every metric scikit-learn computed.
        let config = std::fs::read_to_string(example(&format!("{case}/mlops-ci.toml"))).unwrap();
        let include = format!(
            "\n[suite.metrics]\ninclude = [{}]\n",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let config = config.replacen("\n[suite.data]", &format!("{include}\n[suite.data]"), 1);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mlops-ci.toml"), &config).unwrap();
        for sub in ["models", "data"] {
            std::os::unix::fs::symlink(example(&format!("{case}/{sub}")), dir.path().join(sub))
                .unwrap();
        }
        let out = mlops_ci()
            .args(["check", "--format", "json", "-C"])
            .arg(dir.path())
            .output()
            .unwrap();
        let report = json(&out.stdout);
        let suite = &report["suites"][0];
        assert!(suite["error"].is_null(), "{case}: {}", suite["error"]);
        for name in &names {
            let row = suite["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["metric"] == *name)
                .unwrap_or_else(|| panic!("{case}: no {name}"));
            for side in ["candidate", "baseline"] {
                let got = row[side]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{case} {side} {name} missing"));
                let want = expected[side][name].as_f64().unwrap();
                // Relative 1e-6: predictions are float32, and ONNX Runtime's tree ensembles sum
                // in an order that depends on the thread count, which moves a regression MAE
                // of ~40 in its eighth digit.
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{case} {side} {name}: {got} vs scikit-learn {want}"
                );
            }
        }
        if let Some(matrix) = expected.get("candidate_confusion_matrix") {
            assert_eq!(
                &suite["classes"]["candidate_confusion"], matrix,
                "{case} confusion matrix"
            );
            assert_eq!(
                &suite["classes"]["baseline_confusion"],
                &expected["baseline_confusion_matrix"]
            );
        }
    }
}

#[test]
fn baseline_is_read_from_git_objects_and_the_working_tree_is_untouched() {
    let repo = iris_repo_with_regression();
    let status_before = repo.git(&["status", "--porcelain", "--ignored"]);
    let head_before = repo.git(&["rev-parse", "HEAD"]);
    let model_before = std::fs::read(repo.path().join("models/model.onnx")).unwrap();

    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["baseline"]["kind"], "git");
    assert_eq!(report["baseline"]["revision"], "main");
    let suite = &report["suites"][0];
    let blob_at_main = repo.git(&["rev-parse", "main:models/model.onnx"]);
    let blob_now = repo.git(&["hash-object", "models/model.onnx"]);
    assert_eq!(suite["baseline"]["git_blob"], blob_at_main.trim());
    assert_eq!(suite["candidate"]["git_blob"], blob_now.trim());
    assert!(
        suite["baseline"]["source"]
            .as_str()
            .unwrap()
            .starts_with("git main")
    );
    assert_eq!(suite["gates"][0]["outcome"], "fail");
    assert!(
        !suite["notes"].to_string().contains("changed since"),
        "the data did not change: {}",
        suite["notes"]
    );

    assert_eq!(
        repo.git(&["status", "--porcelain", "--ignored"]),
        status_before,
        "the working tree changed"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head_before);
    assert_eq!(
        std::fs::read(repo.path().join("models/model.onnx")).unwrap(),
        model_before
    );
}

#[test]
fn an_uncommitted_change_on_main_is_compared_with_head() {
    let repo = Project::new();
    repo.write("mlops-ci.toml", IRIS_CONFIG);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("baseline");
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    check_in(repo.path())
        .code(1)
        .stdout(contains("baseline: `main` (the local default branch"));
}

#[test]
fn explicit_base_revision_is_used() {
    let repo = iris_repo_with_regression();
    // Nothing changed since HEAD: one line, exit 0, no evaluation.
    mlops_ci()
        .args(["check", "--base", "HEAD", "-C"])
        .arg(repo.path())
        .assert()
        .code(0)
        .stdout(contains("nothing to check"));
    // Comparing the candidate with itself: nothing regresses.
    mlops_ci()
        .args(["check", "--all", "--base", "HEAD", "-C"])
        .arg(repo.path())
        .assert()
        .code(0)
        .stdout(contains("identical to the baseline"));
    mlops_ci()
        .args(["check", "--base", "HEAD~1", "-C"])
        .arg(repo.path())
        .assert()
        .code(1);
    mlops_ci()
        .args(["check", "--base", "no-such-branch", "-C"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(contains("`no-such-branch` does not exist"));
}

#[test]
fn no_baseline_on_the_first_commit_is_reported_not_failed() {
    let repo = Project::new();
    repo.write("mlops-ci.toml", IRIS_CONFIG);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out.stdout);
    assert_eq!(report["verdict"], "no_baseline");
    assert_eq!(report["suites"][0]["gates"][0]["outcome"], "skipped");
    check_in(repo.path())
        .code(0)
        .stdout(contains("NO BASELINE"));

    // Absolute gates still apply without a baseline.
    repo.write(
        "mlops-ci.toml",
        IRIS_CONFIG.replace("max_regression = 0.01", "min = 0.9"),
    );
    check_in(repo.path())
        .code(1)
        .stdout(contains("below the minimum 0.9"));
}

#[test]
fn a_model_new_since_the_base_has_no_baseline() {
    let repo = Project::new();
    repo.write("README", "first");
    repo.commit_all("init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("mlops-ci.toml", IRIS_CONFIG);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("add a model");
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out.stdout);
    assert_eq!(report["verdict"], "no_baseline");
    assert!(
        report["suites"][0]["baseline_missing"]
            .as_str()
            .unwrap()
            .contains("does not exist at `main`")
    );
}

#[test]
fn changed_data_is_shown_with_both_models_on_the_old_data_too() {
    let repo = iris_repo_with_regression();
    let data = std::fs::read_to_string(repo.path().join("data/test.csv")).unwrap();
    let fewer: String = data.lines().take(41).map(|l| format!("{l}\n")).collect();
    repo.write("data/test.csv", fewer);
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert_eq!(suite["data"]["rows"], 40);
    let change = &suite["data_change"];
    assert_eq!(change["revision"], "main");
    assert_eq!(
        (change["rows_before"].as_u64(), change["rows_now"].as_u64()),
        (Some(60), Some(40))
    );
}

#[test]
fn output_file_predictions_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("report.json");
    let predictions = dir.path().join("predictions.csv");
    mlops_ci()
        .args(["check", "--all", "--format", "json", "--output"])
        .arg(&json_path)
        .arg("--predictions")
        .arg(&predictions)
        .arg("-C")
        .arg(example("iris"))
        .assert()
        .code(1)
        .stdout(contains("FAIL")); // the terminal report still goes to stdout
    let report = json(&std::fs::read(&json_path).unwrap());
    assert_eq!(report["schema_version"], 1);
    let csv = std::fs::read_to_string(&predictions).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("suite,row,truth,candidate,baseline")
    );
    assert_eq!(csv.lines().count(), 61);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("iris,") && l.ends_with(",versicolor,virginica")),
        "a flipped example"
    );
}

/// The Markdown report (the PR comment), with timings redacted.
#[test]
fn markdown_report_snapshot() {
    let out = mlops_ci()
        .args(["check", "--all", "--format", "markdown", "-C"])
        .arg(example("iris"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r"(`(latency_\w+|throughput_eps)` \|)[^\n]*",
        "$1 [timing redacted] |",
    );
    settings.add_filter(r"ONNX Runtime \d+\.\d+(\.\d+)?", "ONNX Runtime [version]");
    settings.bind(|| insta::assert_snapshot!("iris_markdown", text));
}

#[test]
fn eval_and_diff_work_without_config_or_git() {
    let dir = tempfile::tempdir().unwrap();
    let data = example("diabetes/data/test.csv");
    // The same file name in two folders: `eval` names the suite after it, so `diff` pairs them.
    for (side, model) in [("before", "baseline"), ("after", "candidate")] {
        std::fs::create_dir(dir.path().join(side)).unwrap();
        let path = dir.path().join(side).join("model.onnx");
        std::fs::copy(example(&format!("diabetes/models/{model}.onnx")), &path).unwrap();
        mlops_ci()
            .args([
                "eval",
                "--task",
                "regression",
                "--label",
                "target",
                "--format",
                "json",
                "--output",
            ])
            .arg(dir.path().join(format!("{side}.json")))
            .arg("--model")
            .arg(&path)
            .arg("--data")
            .arg(&data)
            .assert()
            .code(0)
            .stdout(contains("NO GATES"));
    }
    let read = |name: &str| json(&std::fs::read(dir.path().join(name)).unwrap());
    let (before, after) = (read("before.json"), read("after.json"));
    let out = mlops_ci()
        .arg("diff")
        .arg(dir.path().join("before.json"))
        .arg(dir.path().join("after.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let diff = json(&out.stdout);
    let suite = &diff["suites"][0];
    assert_eq!(suite["name"], "model");
    assert_eq!(
        metric(suite, "rmse", "baseline"),
        metric(&before["suites"][0], "rmse", "candidate")
    );
    assert_eq!(
        metric(suite, "rmse", "candidate"),
        metric(&after["suites"][0], "rmse", "candidate")
    );
    let rmse = suite["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "rmse")
        .unwrap();
    assert_eq!(
        rmse["change"], "better",
        "gradient boosting beats the linear baseline here"
    );

    mlops_ci()
        .args([
            "eval",
            "--task",
            "regression",
            "--label",
            "target",
            "--model",
        ])
        .arg(example("diabetes/models/candidate.onnx"))
        .arg("--baseline")
        .arg(example("diabetes/models/baseline.onnx"))
        .arg("--data")
        .arg(&data)
        .assert()
        .code(0)
        .stdout(contains("rmse"))
        .stdout(contains("NO GATES: no gates configured for candidate"))
        .stdout(contains("PASS").not());
}

#[test]
fn user_templates_override_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("markdown.md.j2"),
        "{% for s in report.suites %}{{ s.name }}={{ s.verdict }};{% for m in s.metrics if m.metric == \"accuracy\" %}{{ m.candidate | num }}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    mlops_ci()
        .args(["check", "--all", "--format", "markdown", "--templates"])
        .arg(dir.path())
        .arg("-C")
        .arg(example("iris"))
        .assert()
        .code(1)
        .stdout("iris=fail;0.6667");
    // A broken template is an error that points at the template, not a panic.
    std::fs::write(dir.path().join("terminal.txt.j2"), "{% for x in %}").unwrap();
    mlops_ci()
        .args(["check", "--all", "--templates"])
        .arg(dir.path())
        .arg("-C")
        .arg(example("iris"))
        .assert()
        .code(2)
        .stderr(contains("template terminal.txt.j2"));
}

#[test]
fn a_changed_model_signature_is_shown_as_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[baseline]\npath = \"b.onnx\"\n\n[[suite]]\nname = \"net\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"label\"\n[[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.0\n";
    std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
    std::os::unix::fs::symlink(
        fixture("models/scores_only.onnx"),
        dir.path().join("b.onnx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        example("breast-cancer/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(fixture("data/iris_int.csv"), dir.path().join("d.csv")).unwrap();
    // The candidate wants 30 features: it cannot read this data at all.
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(contains("takes 30 features"));

    // Swap: the baseline cannot read the data, the candidate can. Only absolute gates apply,
    // the report shows what changed in the signature, and that change (30 features → 4, the
    // outputs replaced) is breaking: the default `signature` gate fails.
    std::fs::remove_file(dir.path().join("b.onnx")).unwrap();
    std::fs::remove_file(dir.path().join("m.onnx")).unwrap();
    std::os::unix::fs::symlink(
        example("breast-cancer/models/candidate.onnx"),
        dir.path().join("b.onnx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        fixture("models/scores_only.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    let out = mlops_ci()
        .args(["check", "--all", "--format", "json", "-C"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert_eq!(suite["verdict"], "fail");
    let signature_gate = suite["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "signature")
        .expect("a signature gate");
    assert_eq!(signature_gate["outcome"], "fail");
    assert!(
        signature_gate["reason"]
            .as_str()
            .unwrap()
            .contains("input `X`: dimension narrowed: tensor(float)[?,30] → tensor(float)[N,4]")
    );
    assert!(
        suite["baseline_missing"]
            .as_str()
            .unwrap()
            .contains("cannot be evaluated on the current data")
    );
    let diff = suite["signature_diff"].as_str().unwrap();
    assert!(
        diff.contains("-input  `X` tensor(float)[?,30]")
            && diff.contains("+input  `X` tensor(float)[?,4]"),
        "{diff}"
    );
    assert!(
        diff.contains("+output `scores` tensor(float)[?,3]"),
        "{diff}"
    );
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains("signature changed:"));
}
