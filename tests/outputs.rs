//! How model outputs are read: ZipMap as a tensor (and map by map where it must be),
//! probabilities told from raw scores by the model and never by the values, float32 rounding
//! outside [0, 1], and scores kept in f64. Fixtures: tests/fixtures/generate_outputs.py.

mod support;

use std::path::{Path, PathBuf};

use support::*;

fn expected_outputs() -> serde_json::Value {
    json(&std::fs::read(fixture("expected-outputs.json")).unwrap())
}

fn expected_example(case: &str) -> serde_json::Value {
    json(&std::fs::read(example(&format!("{case}/expected-metrics.json"))).unwrap())
}

/// `mlops-ci eval` as JSON; the first suite, checked for errors.
fn eval(model: &Path, baseline: Option<&Path>, data: &Path, label: &str) -> serde_json::Value {
    let mut cmd = mlops_ci();
    cmd.args(["eval", "--format", "json", "--label", label, "--model"])
        .arg(model)
        .arg("--data")
        .arg(data);
    if let Some(baseline) = baseline {
        cmd.arg("--baseline").arg(baseline);
    }
    let out = cmd.output().unwrap();
    let report = json(&out.stdout);
    let suite = report["suites"][0].clone();
    assert!(
        suite["error"].is_null(),
        "{}: {}",
        model.display(),
        suite["error"]
    );
    suite
}

/// Every quality metric of one side, by name.
fn quality(suite: &serde_json::Value, side: &str) -> Vec<(String, Option<f64>)> {
    suite["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let name = m["metric"].as_str().unwrap();
            !name.starts_with("latency")
                && !name.starts_with("throughput")
                && name != "model_size_bytes"
        })
        .map(|m| (m["metric"].as_str().unwrap().to_owned(), m[side].as_f64()))
        .collect()
}

/// Each metric `eval` reports (its default set, which has log_loss and roc_auc) against
/// scikit-learn's value.
fn assert_matches_sklearn(suite: &serde_json::Value, expected: &serde_json::Value, what: &str) {
    for name in ["accuracy", "log_loss", "roc_auc"] {
        assert!(
            metric(suite, name, "candidate").is_some(),
            "{what}: no {name}"
        );
    }
    for (name, want) in expected.as_object().unwrap() {
        let Some(got) = metric(suite, name, "candidate") else {
            continue;
        };
        let want = want.as_f64().unwrap();
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{what} {name}: {got} vs scikit-learn {want}"
        );
    }
}

/// A ZipMap read as its tensor gives exactly what reading its maps gives, and both what
/// scikit-learn computed on ONNX Runtime's probabilities (the examples' expected metrics).
#[test]
fn zipmap_read_as_a_tensor_gives_the_metrics_of_its_maps() {
    let cases: [(&str, PathBuf, PathBuf, PathBuf, &str, &str); 2] = [
        (
            "breast-cancer, int64 labels",
            fixture("models/bc_zipmap.onnx"),
            fixture("models/bc_zipmap_maps.onnx"),
            example("breast-cancer/data/test.csv"),
            "target",
            "baseline",
        ),
        (
            "iris, string labels",
            example("iris/models/candidate.onnx"),
            fixture("models/iris_zipmap_maps.onnx"),
            example("iris/data/test.csv"),
            "species",
            "candidate",
        ),
    ];
    for (what, tensor_model, maps_model, data, label, side) in cases {
        let expected = &expected_example(if label == "target" {
            "breast-cancer"
        } else {
            "iris"
        })[side];
        let fast = eval(&tensor_model, None, &data, label);
        let slow = eval(&maps_model, None, &data, label);
        let read_as = |suite: &serde_json::Value| suite["candidate"]["outputs"].clone();
        assert_eq!(read_as(&fast)["zipmap_as_tensor"], true, "{what}");
        assert_eq!(read_as(&slow)["zipmap_as_tensor"], false, "{what}");
        for suite in [&fast, &slow] {
            assert_eq!(read_as(suite)["scores"]["output"], "output_probability");
            assert_eq!(read_as(suite)["scores"]["meaning"], "probabilities");
            assert_matches_sklearn(suite, expected, what);
        }
        assert_eq!(
            quality(&fast, "candidate"),
            quality(&slow, "candidate"),
            "{what}"
        );
        assert_eq!(
            fast["classes"]["candidate_confusion"], slow["classes"]["candidate_confusion"],
            "{what}"
        );
        // The report describes the file: its ZipMap output, not the session's tensor.
        let outputs = fast["candidate"]["summary"]["outputs"].to_string();
        assert!(outputs.contains("seq(map("), "{what}: {outputs}");
    }
}

/// The signature diff compares the files as they are, not the rewritten sessions.
#[test]
fn the_signature_diff_shows_the_zipmap_the_file_has() {
    let suite = eval(
        &fixture("models/bc_zipmap.onnx"),
        Some(&example("breast-cancer/models/baseline.onnx")),
        &example("breast-cancer/data/test.csv"),
        "target",
    );
    let diff = suite["signature_diff"].as_str().unwrap();
    assert!(
        diff.contains("+output `output_probability` seq(map(int64,float))"),
        "{diff}"
    );
    assert!(
        diff.contains("-output `probabilities` tensor(float)[?,2]"),
        "{diff}"
    );
    // Same probabilities, other form: every quality metric is the same on both sides.
    assert_eq!(quality(&suite, "candidate"), quality(&suite, "baseline"));
}

/// float32 probabilities of 1.0000001 (and -1e-8) are clipped and counted for each model,
/// never taken as a sign of raw scores (finding 6: log_loss 0.38 instead of 0.15 at 5M rows).
#[test]
fn probabilities_a_rounding_step_outside_zero_one_are_clipped_not_softmaxed() {
    let expected = &expected_outputs()["probability_rows"];
    let suite = eval(
        &fixture("models/probability_rows.onnx"),
        Some(&fixture("models/probability_rows_copy.onnx")),
        &fixture("data/probability_rows.csv"),
        "label",
    );
    for side in ["candidate", "baseline"] {
        for name in ["log_loss", "roc_auc", "accuracy"] {
            let got = metric(&suite, name, side).unwrap();
            let want = expected[name].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{side} {name}: {got} vs {want}");
        }
    }
    let softmaxed = expected["log_loss_if_softmaxed"].as_f64().unwrap();
    assert!((metric(&suite, "log_loss", "candidate").unwrap() - softmaxed).abs() > 0.1);
    let notes: Vec<&str> = suite["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for role in ["candidate", "baseline"] {
        let want = format!(
            "{role}: 11 probabilities of output `probabilities` were a rounding step outside [0, 1]"
        );
        assert!(notes.iter().any(|n| n.starts_with(&want)), "{notes:?}");
    }
    assert!(!notes.iter().any(|n| n.contains("softmax")), "{notes:?}");
}

/// Confident logits: float32's softmax is 1.0 for most rows and ties them (roc_auc 0.836);
/// in f64 they keep their order, as scikit-learn's float64 softmax does (finding 4).
#[test]
fn confident_logits_keep_their_order_in_f64() {
    let expected = &expected_outputs()["logits_rows"];
    let suite = eval(
        &fixture("models/logits_rows.onnx"),
        None,
        &fixture("data/logits_rows.csv"),
        "label",
    );
    let auc = metric(&suite, "roc_auc", "candidate").unwrap();
    assert!(
        (auc - expected["roc_auc"].as_f64().unwrap()).abs() < 1e-12,
        "{auc}"
    );
    assert!((auc - expected["roc_auc_float32_softmax"].as_f64().unwrap()).abs() > 0.01);
    let log_loss = metric(&suite, "log_loss", "candidate").unwrap();
    let want = expected["log_loss"].as_f64().unwrap();
    assert!(
        (log_loss - want).abs() <= 1e-12 * want,
        "{log_loss} vs {want}"
    );
    assert!(
        suite["notes"]
            .to_string()
            .contains("candidate: output `logits` holds raw scores"),
        "{}",
        suite["notes"]
    );
}

fn probability_rows_suite(io: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[[suite]]\nname = \"rows\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = \"d.csv\"\nlabel = \"label\"\n\n[suite.io]\n{io}\n\n[[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.5\n"
    );
    std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
    std::os::unix::fs::symlink(
        fixture("models/probability_rows.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        fixture("data/probability_rows.csv"),
        dir.path().join("d.csv"),
    )
    .unwrap();
    dir
}

/// `[suite.io] scores` says what the model cannot; a misspelt key is named with the fix.
#[test]
fn io_scores_decides_when_set() {
    let expected = &expected_outputs()["probability_rows"];
    let dir = probability_rows_suite("scores = \"logits\"");
    let out = mlops_ci()
        .args(["check", "--all", "--format", "json", "-C"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert!(suite["error"].is_null(), "{}", suite["error"]);
    assert_eq!(
        suite["candidate"]["outputs"]["scores"]["basis"],
        "`io.scores`"
    );
    let got = metric(suite, "log_loss", "candidate").unwrap();
    let want = expected["log_loss_if_softmaxed"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");

    let dir = probability_rows_suite("score = \"logits\"");
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `scores`?"));
    let dir = probability_rows_suite("scores = \"probs\"");
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`probabilities`"));
}
