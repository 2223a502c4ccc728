//! Typed inputs end to end: per-column pipelines with string and int64 inputs, raw text,
//! float16, fixed batch sizes, Parquet and JSON Lines, and binding a user can steer. Models
//! and expected metrics (onnxruntime + scikit-learn) come from tests/fixtures/typed/.

mod support;

use std::path::{Path, PathBuf};

use predicates::str::contains;
use support::*;

fn typed(path: &str) -> PathBuf {
    fixture(&format!("typed/{path}"))
}

fn expected(case: &str, metric_name: &str) -> f64 {
    let all = json(&std::fs::read(typed("expected.json")).unwrap());
    all[case][metric_name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {case}.{metric_name}"))
}

/// A suite directory: the config (model `m.onnx`, data `d.<ext>`) and copies of the files.
fn suite_dir(model: &Path, data: &Path, label: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ext = data.extension().unwrap().to_str().unwrap();
    std::fs::copy(model, dir.path().join("m.onnx")).unwrap();
    std::fs::copy(data, dir.path().join(format!("d.{ext}"))).unwrap();
    let config = format!(
        "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = \"d.{ext}\"\nlabel = \"{label}\"\n{extra}"
    );
    std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
    dir
}

/// `check --all` as JSON: the exit code and the suite's report.
fn run(dir: &Path) -> (i32, serde_json::Value) {
    let out = mlops_ci()
        .args(["check", "--all", "--format", "json", "-C"])
        .arg(dir)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    (out.status.code().unwrap_or(-1), report["suites"][0].clone())
}

fn assert_metrics(suite: &serde_json::Value, case: &str) {
    assert!(suite["error"].is_null(), "{case}: {}", suite["error"]);
    for name in ["accuracy", "f1_macro"] {
        let got = metric(suite, name, "candidate").unwrap_or_else(|| panic!("{case}: no {name}"));
        let want = expected(case, name);
        assert!((got - want).abs() < 1e-9, "{case} {name}: {got} vs {want}");
    }
}

#[test]
fn a_column_transformer_with_string_and_int64_inputs_in_every_format() {
    for ext in ["csv", "parquet", "jsonl"] {
        let dir = suite_dir(
            &typed("models/columns.onnx"),
            &typed(&format!("data/columns.{ext}")),
            "label",
            "",
        );
        let (_, suite) = run(dir.path());
        assert_metrics(&suite, "columns");
        // `id` is text no input takes; skl2onnx's renamed columns are found and said.
        let notes = suite["notes"].to_string();
        assert!(
            notes.contains(
                "input `od280_od315` reads column `od280/od315` (skl2onnx's spelling of that name)"
            ),
            "{ext}: {notes}"
        );
        assert_eq!(
            suite["data"]["features"],
            serde_json::json!(["alcohol", "od280/od315", "1st visits", "city"]),
            "{ext}"
        );
    }
}

#[test]
fn an_input_without_its_column_says_which_key_to_set() {
    let csv = std::fs::read_to_string(typed("data/columns.csv")).unwrap();
    let renamed = csv.replacen("1st visits", "first visits", 1);
    let dir = suite_dir(
        &typed("models/columns.onnx"),
        &typed("data/columns.csv"),
        "label",
        "",
    );
    std::fs::write(dir.path().join("d.csv"), &renamed).unwrap();
    let (code, suite) = run(dir.path());
    assert_eq!(code, 2);
    let error = suite["error"].as_str().unwrap();
    assert!(
        error.contains(r#"add _1st_visits = "first visits" under [suite.io.inputs]"#),
        "{error}"
    );
    let config = std::fs::read_to_string(dir.path().join("mlops-ci.toml")).unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        format!("{config}\n[suite.io.inputs]\n_1st_visits = \"first visits\"\n"),
    )
    .unwrap();
    let (_, suite) = run(dir.path());
    assert_metrics(&suite, "columns");

    // A key naming no input of the model is a typo to fix, not something to ignore.
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        format!("{config}\n[suite.io.inputs]\n_1st_visit = \"first visits\"\n"),
    )
    .unwrap();
    let (code, suite) = run(dir.path());
    assert_eq!(code, 2);
    let error = suite["error"].as_str().unwrap();
    assert!(
        error.contains(
            "names `_1st_visit`, which is not an input of the model: did you mean `_1st_visits`?"
        ),
        "{error}"
    );
}

#[test]
fn text_in_an_int64_input_names_file_line_column_and_both_types() {
    let csv = std::fs::read_to_string(typed("data/columns.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(str::to_owned).collect();
    cells[3] = "many".to_owned();
    lines[5] = cells.join(",");
    let dir = suite_dir(
        &typed("models/columns.onnx"),
        &typed("data/columns.csv"),
        "label",
        "",
    );
    std::fs::write(dir.path().join("d.csv"), lines.join("\n") + "\n").unwrap();
    check_in(dir.path()).code(2).stdout(contains(
        "d.csv: line 6: dtype mismatch: column `1st visits` holds `many` (text), but input `_1st_visits` takes int64: it needs a number",
    ));
}

#[test]
fn raw_text_into_a_tfidf_pipeline_in_every_format() {
    for ext in ["csv", "parquet", "jsonl"] {
        let dir = suite_dir(
            &typed("models/text.onnx"),
            &typed(&format!("data/text.{ext}")),
            "label",
            "",
        );
        let (_, suite) = run(dir.path());
        assert_metrics(&suite, "text");
    }
}

#[test]
fn float16_and_bfloat16_inputs_are_fed_and_overflow_is_an_error() {
    let dir = suite_dir(
        &typed("models/f16_input.onnx"),
        &example("iris/data/test.csv"),
        "species",
        "",
    );
    let (_, suite) = run(dir.path());
    assert_metrics(&suite, "f16_input");
    let dir = suite_dir(
        &typed("models/bf16_input.onnx"),
        &example("iris/data/test.csv"),
        "species",
        "",
    );
    let (_, suite) = run(dir.path());
    assert_metrics(&suite, "bf16_input");

    let dir = suite_dir(
        &typed("models/f16_input.onnx"),
        &typed("data/iris_f16_overflow.csv"),
        "species",
        "",
    );
    check_in(dir.path()).code(2).stdout(contains(
        "d.csv: line 5: dtype mismatch: column `sepal_length` holds `1e6` (a number), but input `X` takes float16: the value is out of range (its largest finite value is 65504",
    ));
}

#[test]
fn a_fixed_batch_dimension_sets_the_batch_size_with_a_note() {
    let dir = suite_dir(
        &typed("models/fixed_batch1.onnx"),
        &example("iris/data/test.csv"),
        "species",
        "",
    );
    let (_, suite) = run(dir.path());
    assert_metrics(&suite, "fixed_batch1");
    assert!(
        suite["notes"]
            .to_string()
            .contains("candidate fixes its batch dimension at 1 row(s), so batches of 1 were run instead of `runtime.batch_size = 256`"),
        "{}",
        suite["notes"]
    );
    assert_eq!(suite["timing"]["batch_size"], 1);

    // A batch of 8 over 60 rows: the last batch (4 rows) is padded, its padding dropped.
    let dir = suite_dir(
        &fixture("models/checks/fixed_batch.onnx"),
        &example("iris/data/test.csv"),
        "species",
        "",
    );
    let (_, suite) = run(dir.path());
    assert!(suite["error"].is_null(), "{}", suite["error"]);
    assert_eq!(suite["data"]["rows"], 60);
    assert_eq!(
        metric(&suite, "accuracy", "candidate"),
        Some(expected("fixed_batch1", "accuracy"))
    );
}

#[test]
fn exclude_leaves_an_id_column_out_of_the_features() {
    let iris = std::fs::read_to_string(example("iris/data/test.csv")).unwrap();
    let with_id: Vec<String> = iris
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("id,{l}")
            } else {
                format!("r{i},{l}")
            }
        })
        .collect();
    let dir = suite_dir(
        &example("iris/models/candidate.onnx"),
        &example("iris/data/test.csv"),
        "species",
        "",
    );
    std::fs::write(dir.path().join("d.csv"), with_id.join("\n") + "\n").unwrap();
    let (code, suite_report) = run(dir.path());
    assert_eq!(code, 2);
    let error = suite_report["error"].as_str().unwrap();
    assert!(
        error.contains("takes 4 features per row, but the data provides 5 (id, sepal_length"),
        "{error}"
    );
    assert!(error.contains("`data.exclude`"), "{error}");
    let config = std::fs::read_to_string(dir.path().join("mlops-ci.toml")).unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        config.replace(
            "label = \"species\"\n",
            "label = \"species\"\nexclude = [\"id\"]\n",
        ),
    )
    .unwrap();
    let (_, suite_report) = run(dir.path());
    assert_metrics(&suite_report, "fixed_batch1");
}

#[test]
fn a_parquet_codec_that_is_not_built_in_is_named() {
    let dir = suite_dir(
        &example("iris/models/candidate.onnx"),
        &typed("data/iris_gzip.parquet"),
        "species",
        "",
    );
    check_in(dir.path()).code(2).stdout(contains(
        "d.parquet: not a readable Parquet file: column `sepal_length` is compressed with gzip, which mlops-ci does not read",
    ));
}
