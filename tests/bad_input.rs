//! Bad input: each gets one clear paragraph and exit status 2 (or a note in the report),
//! and never a panic.

mod support;

use predicates::str::contains;
use support::*;

/// A directory with a config and symlinks to example/fixture files.
fn workspace(config: &str, links: &[(&str, std::path::PathBuf)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
    for (name, target) in links {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }
    dir
}

fn iris_config(model: &str, data: &str, extra: &str) -> String {
    format!(
        "[[suite]]\nname = \"iris\"\nmodel = \"{model}\"\ntask = \"classification\"\n\n[suite.data]\npath = \"{data}\"\nlabel = \"species\"\n{extra}"
    )
}

#[test]
fn unknown_key_names_line_and_suggestion() {
    let config = iris_config(
        "m.onnx",
        "d.csv",
        "\n[[suite.gate]]\nmetric = \"accuracy\"\nmax_regresion = 0.01\n",
    );
    let dir = workspace(&config, &[]);
    check_in(dir.path())
        .code(2)
        .stderr(contains("mlops-ci.toml:12: unknown key `max_regresion` in [suite.gate]; did you mean `max_regression`?"))
        .stderr(contains("valid keys here: metric, min, max, max_regression, max_regression_pct"));
}

#[test]
fn unknown_metric_and_missing_model_key() {
    let dir = workspace(
        &iris_config(
            "m.onnx",
            "d.csv",
            "\n[[suite.gate]]\nmetric = \"acuracy\"\nmin = 0.9\n",
        ),
        &[],
    );
    check_in(dir.path()).code(2).stderr(contains(
        "mlops-ci.toml:11: unknown metric `acuracy`; did you mean `accuracy`?",
    ));

    let dir = workspace(
        "[[suite]]\nname = \"x\"\ntask = \"regression\"\n[suite.data]\npath = \"d.csv\"\n",
        &[],
    );
    check_in(dir.path())
        .code(2)
        .stderr(contains("missing field `model`"));

    let dir = workspace(
        &iris_config("m.onnx", "d.csv", "").replace("classification", "clasification"),
        &[],
    );
    check_in(dir.path())
        .code(2)
        .stderr(contains("mlops-ci.toml:4:"))
        .stderr(contains("clasification"));
}

#[test]
fn no_config_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    check_in(dir.path())
        .code(2)
        .stderr(contains("no mlops-ci.toml in"));
}

#[test]
fn missing_model_or_data_file() {
    let dir = workspace(
        &iris_config("models/none.onnx", "data.csv", ""),
        &[("data.csv", example("iris/data/test.csv"))],
    );
    check_in(dir.path())
        .code(2)
        .stdout(contains("model file"))
        .stdout(contains("models/none.onnx does not exist"));

    let dir = workspace(
        &iris_config("m.onnx", "nope.csv", ""),
        &[("m.onnx", example("iris/models/baseline.onnx"))],
    );
    check_in(dir.path())
        .code(2)
        .stdout(contains("nope.csv does not exist"));
}

#[test]
fn git_lfs_pointer_instead_of_a_model() {
    let dir = workspace(
        &iris_config("m.onnx", "d.csv", ""),
        &[("d.csv", example("iris/data/test.csv"))],
    );
    std::fs::write(
        dir.path().join("m.onnx"),
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 938\n",
    )
    .unwrap();
    check_in(dir.path())
        .code(2)
        .stdout(contains("is a Git LFS pointer"))
        .stdout(contains("git lfs pull"));
}

#[test]
fn input_shape_mismatch_names_both_sides() {
    let dir = workspace(
        &iris_config("m.onnx", "d.csv", ""),
        &[
            ("m.onnx", example("iris/models/baseline.onnx")),
            ("d.csv", fixture("data/iris_3cols.csv")),
        ],
    );
    check_in(dir.path())
        .code(2)
        .stdout(contains("shape mismatch: input `X` tensor(float)[?,4] takes 4 features per row, but the data provides 3"));
}

#[test]
fn non_numeric_feature_value_points_at_the_line() {
    let dir = workspace(
        &iris_config("m.onnx", "d.csv", ""),
        &[("m.onnx", example("iris/models/baseline.onnx"))],
    );
    let data = std::fs::read_to_string(example("iris/data/test.csv")).unwrap();
    let broken = data.replacen("\n", "\n5.1,n/a,1.4,0.2,setosa\n", 1);
    std::fs::write(dir.path().join("d.csv"), broken).unwrap();
    check_in(dir.path()).code(2).stdout(contains(
        "line 2: dtype mismatch: column `sepal_width` holds `n/a` (text), but input `X` takes float: it needs a number",
    ));
}

#[test]
fn nan_outputs_are_an_error_not_a_number() {
    let config = "[[suite]]\nname = \"nan\"\nmodel = \"m.onnx\"\ntask = \"regression\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"label\"\n";
    let dir = workspace(
        config,
        &[
            ("m.onnx", fixture("models/nan_regressor.onnx")),
            ("d.csv", fixture("data/iris_int.csv")),
        ],
    );
    check_in(dir.path()).code(2).stdout(contains(
        "output `variable` is NaN for 60 of 60 rows (first at data row 0)",
    ));
}

#[test]
fn empty_dataset() {
    let dir = workspace(
        &iris_config("m.onnx", "d.csv", ""),
        &[
            ("m.onnx", example("iris/models/baseline.onnx")),
            ("d.csv", fixture("data/empty.csv")),
        ],
    );
    check_in(dir.path())
        .code(2)
        .stdout(contains("d.csv has no rows"));
}

#[test]
fn a_label_the_model_never_predicts_is_a_note_and_counts_as_wrong() {
    let expected = json(&std::fs::read(fixture("expected-metrics.json")).unwrap());
    let expected = &expected["examples_iris_on_iris_unseen_label"];
    let dir = workspace(
        &iris_config("m.onnx", "d.csv", "\n[baseline]\npath = \"b.onnx\"\n"),
        &[
            ("m.onnx", example("iris/models/candidate.onnx")),
            ("b.onnx", example("iris/models/baseline.onnx")),
            ("d.csv", fixture("data/iris_unseen_label.csv")),
        ],
    );
    // [baseline] must come before [[suite]] tables' sub-tables in TOML; move it to the top.
    let config = std::fs::read_to_string(dir.path().join("mlops-ci.toml")).unwrap();
    let (suite, baseline) = config.split_once("\n[baseline]").unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        format!("[baseline]{baseline}\n{suite}"),
    )
    .unwrap();

    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert_eq!(suite["classes"]["labels"], expected["labels"]);
    let notes = suite["notes"].to_string();
    assert!(
        notes.contains(
            "label `unknown_species` (3 rows in the data) is not one of the model's classes"
        ),
        "{notes}"
    );
    for name in [
        "accuracy",
        "balanced_accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
    ] {
        let got = metric(suite, name, "candidate").unwrap();
        let want = expected["candidate"][name].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{name}: {got} vs {want}");
    }
}

#[test]
fn scores_only_network_and_float64_model() {
    let expected = json(&std::fs::read(fixture("expected-metrics.json")).unwrap());
    let out = mlops_ci()
        .args(["eval", "--label", "label", "--format", "json", "--model"])
        .arg(fixture("models/scores_only.onnx"))
        .arg("--data")
        .arg(fixture("data/iris_int.csv"))
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert!(suite["error"].is_null(), "{}", suite["error"]);
    let accuracy = metric(suite, "accuracy", "candidate").unwrap();
    assert_eq!(
        accuracy,
        expected["scores_only_on_iris_int"]["metrics"]["accuracy"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(
        suite["classes"]["candidate_confusion"],
        expected["scores_only_on_iris_int"]["confusion_matrix"]
    );
    assert!(suite["notes"].to_string().contains("softmax"));
    // scikit-learn 1.9.1 on softmax(scores): roc_auc_score(y, p, multi_class="ovr") and
    // log_loss(y, p), with p = scipy.special.softmax(scores, axis=1) in float64.
    let candidate = |name: &str| metric(suite, name, "candidate").unwrap();
    assert!((candidate("roc_auc") - 0.998_333_333_333_333_4).abs() < 1e-9);
    assert!((candidate("log_loss") - 0.174_455_300_713_482_17).abs() < 1e-6);

    let out = mlops_ci()
        .args([
            "eval",
            "--task",
            "regression",
            "--label",
            "target",
            "--format",
            "json",
            "--model",
        ])
        .arg(fixture("models/diabetes_f64.onnx"))
        .arg("--data")
        .arg(example("diabetes/data/test.csv"))
        .output()
        .unwrap();
    let report = json(&out.stdout);
    for name in ["mae", "rmse", "r2"] {
        let got = metric(&report["suites"][0], name, "candidate").unwrap();
        let want = expected["diabetes_f64_on_examples_diabetes"]["metrics"][name]
            .as_f64()
            .unwrap();
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
}

#[test]
fn wrong_task_for_the_model_says_so() {
    let config = iris_config("m.onnx", "d.csv", "").replace("classification", "regression");
    let dir = workspace(
        &config,
        &[
            ("m.onnx", example("iris/models/baseline.onnx")),
            ("d.csv", example("iris/data/test.csv")),
        ],
    );
    check_in(dir.path())
        .code(2)
        .stdout(contains("Is `task` right?"));
}

#[test]
fn offline_without_a_runtime_explains_what_to_do() {
    mlops_ci()
        .args([
            "check",
            "--all",
            "--offline",
            "--ort-lib",
            "/nonexistent/libonnxruntime.so",
            "-C",
        ])
        .arg(example("iris"))
        .assert()
        .code(2)
        .stderr(contains(
            "/nonexistent/libonnxruntime.so (from --ort-lib) is not a usable ONNX Runtime library",
        ));
}

#[test]
fn integer_inputs_get_integers_and_refuse_fractions() {
    let expected = json(&std::fs::read(fixture("expected-metrics.json")).unwrap());
    let out = mlops_ci()
        .args(["eval", "--label", "label", "--format", "json", "--model"])
        .arg(fixture("models/int64_input.onnx"))
        .arg("--data")
        .arg(fixture("data/iris_int_x10.csv"))
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let suite = &report["suites"][0];
    assert!(suite["error"].is_null(), "{}", suite["error"]);
    let accuracy = metric(suite, "accuracy", "candidate").unwrap();
    assert_eq!(
        accuracy,
        expected["int64_input_on_iris_int_x10"]["metrics"]["accuracy"]
            .as_f64()
            .unwrap()
    );

    // 3.5 cannot become an int64 without losing something: a dtype mismatch, not a truncation,
    // named with the file and line.
    mlops_ci()
        .args(["eval", "--label", "label", "--model"])
        .arg(fixture("models/int64_input.onnx"))
        .arg("--data")
        .arg(fixture("data/iris_int.csv"))
        .assert()
        .code(2)
        .stdout(contains(
            "iris_int.csv: line 2: dtype mismatch: column `sepal_width` holds `3.5` (a fractional number), but input `X` takes int64",
        ));
}
