//! Model checks: inspection of real models without running them, the breaking-signature gate,
//! and models ONNX Runtime cannot run refused before loading (fixtures: tests/fixtures/models/checks).

mod support;

use predicates::str::contains;
use support::*;

fn checks(name: &str) -> std::path::PathBuf {
    fixture(&format!("models/checks/{name}"))
}

fn inspect_json(path: &std::path::Path) -> serde_json::Value {
    let output = mlops_ci()
        .arg("inspect")
        .arg(path)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json(&output.stdout)
}

#[test]
fn inspect_reads_skl2onnx_models() {
    let iris = inspect_json(&example("iris/models/candidate.onnx"));
    assert!(iris["producer"].as_str().unwrap().starts_with("skl2onnx "));
    assert_eq!(iris["ir_version"], 8);
    assert_eq!(
        iris["opsets"],
        serde_json::json!([{"domain": "ai.onnx", "version": 16}, {"domain": "ai.onnx.ml", "version": 1}])
    );
    assert_eq!(
        iris["inputs"],
        serde_json::json!([{"name": "X", "type": "tensor(float)", "shape": [null, 4]}])
    );
    assert_eq!(iris["outputs"][1]["type"], "seq(map(string,tensor(float)))");
    assert_eq!(iris["custom_domains"], serde_json::json!([]));

    let diabetes = inspect_json(&example("diabetes/models/candidate.onnx"));
    assert_eq!(diabetes["outputs"][0]["type"], "tensor(float)");
    // A TreeEnsembleRegressor keeps its weights in float attributes: 700 node thresholds, 700
    // hit rates, 400 leaf weights and a base value.
    assert_eq!(diabetes["parameters"], 1801);
    assert_eq!(diabetes["initializers"], 0);

    mlops_ci()
        .arg("inspect")
        .arg(example("iris/models/candidate.onnx"))
        .assert()
        .code(0)
        .stdout(contains("inputs       X tensor(float)[?,4]"))
        .stdout(contains("opsets       ai.onnx 16, ai.onnx.ml 1"));
}

#[test]
fn inspect_keeps_symbolic_dimensions_of_a_torch_style_export() {
    let torch = inspect_json(&checks("torch_like.onnx"));
    assert_eq!(torch["producer"], "pytorch 2.5.1");
    assert_eq!(
        torch["inputs"][0]["shape"],
        serde_json::json!(["batch_size", 4])
    );
    assert_eq!(torch["initializers"], 4);
    assert_eq!(torch["parameters"], 8 * 4 + 8 + 3 * 8 + 3);
    assert_eq!(torch["nodes"], 3);
}

#[test]
fn inspect_resolves_external_data_next_to_the_model() {
    let external = inspect_json(&checks("external/model.onnx"));
    assert_eq!(
        external["external_data"],
        serde_json::json!(["weights.bin"])
    );
    assert_eq!(external["parameters"], 67);
    mlops_ci()
        .arg("inspect")
        .arg(checks("external_missing.onnx"))
        .assert()
        .code(2)
        .stderr(contains(
            "external data file `missing_weights.bin` that does not exist",
        ));
}

#[test]
fn custom_operator_domains_are_listed() {
    let custom = inspect_json(&checks("custom_op.onnx"));
    assert_eq!(custom["custom_domains"], serde_json::json!(["my.ops"]));
    assert_eq!(custom["custom_ops"], serde_json::json!(["my.ops::Fancy"]));
}

#[test]
fn corrupt_and_truncated_models_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(example("breast-cancer/models/candidate.onnx")).unwrap();
    let truncated = dir.path().join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = dir.path().join("text.onnx");
    std::fs::write(&text, "this is not a model\n").unwrap();
    for path in [&truncated, &text] {
        mlops_ci()
            .arg("inspect")
            .arg(path)
            .assert()
            .code(2)
            .stderr(contains("is not a valid ONNX model"));
    }
    // The same in `check`: the suite errors before ONNX Runtime sees the file.
    let project = suite_with_candidate(&truncated, "");
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(project.path())
        .assert()
        .code(2)
        .stdout(contains("is not a valid ONNX model"));
}

/// A copy of the iris example whose candidate is `model`, with `extra` appended to the suite.
fn suite_with_candidate(model: &std::path::Path, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("models")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::copy(
        example("iris/models/baseline.onnx"),
        root.join("models/baseline.onnx"),
    )
    .unwrap();
    std::fs::copy(model, root.join("models/candidate.onnx")).unwrap();
    std::fs::copy(example("iris/data/test.csv"), root.join("data/test.csv")).unwrap();
    std::fs::write(
        root.join("mlops-ci.toml"),
        format!(
            "[baseline]\npath = \"models/baseline.onnx\"\n\n[[suite]]\nname = \"iris\"\nmodel = \"models/candidate.onnx\"\n\
             task = \"classification\"\n\n[suite.data]\npath = \"data/test.csv\"\nlabel = \"species\"\n\n\
             [[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.5\n{extra}"
        ),
    )
    .unwrap();
    dir
}

fn check_json(dir: &std::path::Path) -> (i32, serde_json::Value) {
    let output = mlops_ci()
        .args(["check", "--all", "--format", "json", "-C"])
        .arg(dir)
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), json(&output.stdout))
}

#[test]
fn a_renamed_output_is_breaking_and_fails_the_default_gate() {
    let project = suite_with_candidate(&checks("renamed_output.onnx"), "");
    let (code, report) = check_json(project.path());
    assert_eq!(code, 1, "{report}");
    let suite = &report["suites"][0];
    assert_eq!(
        suite["signature_changes"],
        serde_json::json!([{"breaking": true, "description": "output `output_label` renamed to `predicted_label`"}])
    );
    let gate = suite["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "signature")
        .unwrap();
    assert_eq!(gate["outcome"], "fail");
    assert!(
        gate["reason"]
            .as_str()
            .unwrap()
            .contains("allow_breaking = true")
    );
    assert!(suite["candidate"]["summary"]["outputs"][0]["name"] == "predicted_label");

    // Allowed: reported, not gated.
    let project = suite_with_candidate(
        &checks("renamed_output.onnx"),
        "\n[suite.model_checks]\nallow_breaking = true\n",
    );
    let (code, report) = check_json(project.path());
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["suites"][0]["signature_changes"][0]["breaking"],
        true
    );
    assert!(
        !report["suites"][0]["gates"]
            .to_string()
            .contains("signature")
    );
}

#[test]
fn an_added_output_is_compatible() {
    let io = "\n[suite.io]\nlabel_output = \"output_label\"\nprobability_output = \"output_probability\"\n";
    let project = suite_with_candidate(&checks("extra_output.onnx"), io);
    let (code, report) = check_json(project.path());
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["suites"][0]["signature_changes"],
        serde_json::json!([{"breaking": false, "description": "output `output_label_copy` tensor(string)[?] added"}])
    );
}

#[test]
fn a_dtype_change_a_removed_input_and_a_fixed_batch_are_breaking() {
    use mlops_ci::model::{classify_signature, inspect};
    let summary = |path: std::path::PathBuf| {
        inspect(std::fs::read(&path).unwrap().into(), "m", path.parent()).unwrap()
    };
    let iris = summary(example("iris/models/candidate.onnx"));
    let cases = [
        (
            "double_input.onnx",
            false,
            "input `X`: type tensor(float) → tensor(double)",
        ),
        ("two_inputs.onnx", true, "input `weights` removed"),
        (
            "fixed_batch.onnx",
            false,
            "input `X`: dimension narrowed: tensor(float)[?,4] → tensor(float)[8,4]",
        ),
    ];
    for (file, reversed, expected) in cases {
        let other = summary(checks(file));
        let changes = if reversed {
            classify_signature(&other, &iris)
        } else {
            classify_signature(&iris, &other)
        };
        assert_eq!(changes.len(), 1, "{file}: {changes:?}");
        assert!(changes[0].breaking, "{file}");
        assert_eq!(changes[0].description, expected);
    }
    // And through `check`: the dtype change fails the default gate (or the suite) with the reason.
    let project = suite_with_candidate(&checks("double_input.onnx"), "");
    let (code, report) = check_json(project.path());
    assert_ne!(code, 0, "{report}");
    assert_eq!(
        report["suites"][0]["signature_changes"][0]["breaking"],
        true
    );
}

#[test]
fn a_too_new_opset_and_a_custom_domain_are_refused_before_loading() {
    let project = suite_with_candidate(&checks("opset99.onnx"), "");
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(project.path())
        .assert()
        .code(2)
        .stdout(contains("needs opset ai.onnx 99, but ONNX Runtime 1.31"));
    let project = suite_with_candidate(&checks("custom_op.onnx"), "");
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(project.path())
        .assert()
        .code(2)
        .stdout(contains(
            "custom operator domain(s) `my.ops` (my.ops::Fancy)",
        ))
        .stdout(contains("allow_custom_domains = [\"my.ops\"]"));
}

/// `agreement` and the score differences equal numpy's on the examples' models
/// (tests/fixtures/agreement.py writes the expected values), and gate like any metric.
#[test]
fn prediction_agreement_equals_numpy() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected-agreement.json")).unwrap())
            .unwrap();
    for (case, task, label) in [
        ("iris", "classification", "species"),
        ("breast-cancer", "classification", "target"),
        ("diabetes", "regression", "target"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = example(case);
        let config = format!(
            "[baseline]\npath = \"{base}\"\n\n[[suite]]\nname = \"{case}\"\nmodel = \"{cand}\"\ntask = \"{task}\"\n\n\
             [suite.data]\npath = \"{data}\"\nlabel = \"{label}\"\n\n[suite.metrics]\n\
             include = [{include}\"score_max_abs_diff\", \"score_mean_abs_diff\"]\n\n\
             [[suite.gate]]\nmetric = \"score_max_abs_diff\"\nmax = 1000.0\n",
            base = root.join("models/baseline.onnx").display(),
            cand = root.join("models/candidate.onnx").display(),
            data = root.join("data/test.csv").display(),
            include = if task == "regression" {
                ""
            } else {
                "\"agreement\", "
            },
        );
        std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
        let (code, report) = check_json(dir.path());
        assert_eq!(code, 0, "{case}: {report}");
        let suite = &report["suites"][0];
        for (name, want) in expected[case].as_object().unwrap() {
            let got =
                metric(suite, name, "candidate").unwrap_or_else(|| panic!("{case}: no {name}"));
            let want = want.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{case} {name}: {got} vs numpy {want}"
            );
            let baseline = metric(suite, name, "baseline").unwrap();
            assert_eq!(baseline, if name == "agreement" { 1.0 } else { 0.0 });
        }
    }
    // Gated: the iris candidate changes a third of the labels.
    let project = suite_with_candidate(
        &example("iris/models/candidate.onnx"),
        "\n[[suite.gate]]\nmetric = \"agreement\"\nmin = 0.999\n",
    );
    let (code, report) = check_json(project.path());
    assert_eq!(code, 1);
    assert!(
        report["suites"][0]["gates"]
            .to_string()
            .contains("agreement 0.6833 is below the minimum 0.999")
    );
}

/// A dynamically quantised model (scales computed per batch) is reported as batch-dependent;
/// a statically quantised QDQ model and the float model are not.
#[test]
fn dynamic_quantisation_is_reported_as_batch_dependent() {
    let run = |candidate: &str| {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "[baseline]\npath = \"{base}\"\n\n[[suite]]\nname = \"q\"\nmodel = \"{cand}\"\ntask = \"classification\"\n\n\
             [suite.data]\npath = \"{data}\"\nlabel = \"label\"\n\n[suite.metrics]\ninclude = [\"accuracy\", \"agreement\"]\n\n\
             [[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.5\n",
            base = fixture("models/scores_only.onnx").display(),
            cand = checks(candidate).display(),
            data = fixture("data/iris_int.csv").display(),
        );
        std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
        let (code, report) = check_json(dir.path());
        assert_eq!(code, 0, "{candidate}: {report}");
        report["suites"][0].clone()
    };
    let dynamic = run("quant_dynamic.onnx");
    let found = dynamic["batch_dependence"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{dynamic}");
    assert_eq!(found[0]["model"], "candidate");
    assert_eq!(found[0]["batch_sizes"], serde_json::json!([60, 1]));
    assert!(found[0]["max_abs_diff"].as_f64().unwrap() > 1e-3);
    assert!(
        dynamic["notes"]
            .to_string()
            .contains("metrics depend on runtime.batch_size")
    );

    let static_qdq = run("quant_static.onnx");
    assert!(static_qdq["batch_dependence"].is_null(), "{static_qdq}");
    assert!(!static_qdq["notes"].to_string().contains("batch size"));
}
