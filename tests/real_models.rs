//! `mlops-ci check` on models made by the real converters (issue 8): skl2onnx pipelines with
//! string inputs, a TF-IDF text classifier, onnxconverter-common float16, a fixed batch of one,
//! onnxmltools LightGBM/XGBoost, saturating probabilities and logits, ZipMap; data as CSV,
//! Parquet and JSON Lines. Every metric of both models is compared with what ONNX Runtime +
//! scikit-learn give (`tests/fixtures/real/expected.json`, written by `generate.py` there):
//! 1e-6 absolute for classification, 1e-5 relative for regression.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;

use support::*;

fn real(path: &str) -> PathBuf {
    fixture(&format!("real/{path}"))
}

fn expected() -> &'static serde_json::Value {
    static EXPECTED: OnceLock<serde_json::Value> = OnceLock::new();
    EXPECTED.get_or_init(|| json(&std::fs::read(real("expected.json")).expect("expected.json")))
}

/// One `[[suite]]`: a case of expected.json, its two models (file stems under `models/`) and
/// one of its data files (under `data/`).
struct Suite<'a> {
    case: &'a str,
    candidate: &'a str,
    baseline: &'a str,
    data: &'a str,
    /// More keys for `[suite.data]` (e.g. `exclude = [...]`).
    data_keys: &'a str,
    /// More tables after the suite's own (e.g. `[suite.io.inputs]`).
    tables: &'a str,
}

impl<'a> Suite<'a> {
    fn new(case: &'a str, candidate: &'a str, baseline: &'a str, data: &'a str) -> Self {
        Suite {
            case,
            candidate,
            baseline,
            data,
            data_keys: "",
            tables: "",
        }
    }

    fn data_keys(self, data_keys: &'a str) -> Self {
        Suite { data_keys, ..self }
    }

    fn tables(self, tables: &'a str) -> Self {
        Suite { tables, ..self }
    }

    fn case(&self) -> &'static serde_json::Value {
        let case = &expected()["cases"][self.case];
        assert!(case.is_object(), "no case `{}` in expected.json", self.case);
        case
    }

    fn config(&self) -> String {
        let case = self.case();
        let metric_names: Vec<String> = case["models"][self.candidate]["metrics"]
            .as_object()
            .unwrap_or_else(|| panic!("no model `{}` in case `{}`", self.candidate, self.case))
            .keys()
            .map(|name| format!("\"{name}\""))
            .collect();
        // The pairs differ in their signatures on purpose (float16 vs float32, ZipMap vs
        // tensor): allow_breaking keeps the signature gate out of the way.
        format!(
            r#"[baseline]
path = "models/{baseline}.onnx"

[statistics]
resamples = 0

[[suite]]
name = "{case_name}"
model = "models/{candidate}.onnx"
task = "{task}"

[suite.data]
path = "data/{data}"
label = "{label}"
{data_keys}

[suite.metrics]
include = [{metrics}]

[suite.model_checks]
allow_breaking = true
{tables}
"#,
            baseline = self.baseline,
            case_name = self.case,
            candidate = self.candidate,
            task = case["task"].as_str().unwrap(),
            data = self.data,
            label = case["label"].as_str().unwrap(),
            data_keys = self.data_keys,
            metrics = metric_names.join(", "),
            tables = self.tables,
        )
    }

    /// `check --all --format json` in a temp dir holding the config and links to the
    /// fixture's `models/` and `data/`.
    fn run(&self) -> std::process::Output {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mlops-ci.toml"), self.config()).unwrap();
        for sub in ["models", "data"] {
            std::os::unix::fs::symlink(real(sub), dir.path().join(sub)).unwrap();
        }
        mlops_ci()
            .args(["check", "--all", "--format", "json", "-C"])
            .arg(dir.path())
            .output()
            .unwrap()
    }

    /// Runs the suite and asserts both models' metrics against expected.json.
    fn assert_metrics(&self) -> serde_json::Value {
        let out = self.run();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let report: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
        let suite = report
            .as_ref()
            .map_or(serde_json::Value::Null, |r| r["suites"][0].clone());
        assert!(
            suite["error"].is_null(),
            "{} on {}: exit {:?}: {}",
            self.case,
            self.data,
            out.status.code(),
            suite["error"]
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)) && report.is_some(),
            "{} on {}: exit {:?}\nstderr: {stderr}",
            self.case,
            self.data,
            out.status.code(),
        );
        let case = self.case();
        let regression = case["task"] == "regression";
        let mut wrong = Vec::new();
        for (side, model) in [("candidate", self.candidate), ("baseline", self.baseline)] {
            let want = case["models"][model]["metrics"]
                .as_object()
                .unwrap_or_else(|| panic!("no model `{model}` in case `{}`", self.case));
            for (name, want) in want {
                let want = want.as_f64().unwrap();
                let got = metric(&suite, name, side);
                let ok = got.is_some_and(|got| {
                    if regression {
                        (got - want).abs() <= 1e-5 * want.abs().max(1e-12)
                    } else {
                        (got - want).abs() <= 1e-6
                    }
                });
                if !ok {
                    wrong.push(format!(
                        "{side} {model} {name}: got {got:?}, expected {want}"
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} on {}:\n  {}\nnotes: {}",
            self.case,
            self.data,
            wrong.join("\n  "),
            suite["notes"]
        );
        suite
    }

    /// Runs the suite for an expected error: (exit code, stdout + stderr, a short form for
    /// messages: the suite's error from the JSON report when there is one).
    fn error_text(&self) -> (Option<i32>, String, String) {
        let out = self.run();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let short = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|r| r["suites"][0]["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| stdout.chars().take(2000).collect());
        (
            out.status.code(),
            format!("{stdout}\n{stderr}"),
            format!("{short}\nstderr: {stderr}"),
        )
    }
}

// ---------------------------------------------------------------------------
// case 1: skl2onnx Pipeline (ColumnTransformer + OneHotEncoder), one [N,1] input per column
// ---------------------------------------------------------------------------

const CHURN_EXCLUDE: &str = r#"exclude = ["customer_id"]"#;

#[test]
fn pipeline_with_string_and_int64_column_inputs_from_csv() {
    Suite::new(
        "churn_pipeline",
        "churn_candidate",
        "churn_baseline",
        "churn.csv",
    )
    .data_keys(CHURN_EXCLUDE)
    .assert_metrics();
}

#[test]
fn pipeline_with_string_and_int64_column_inputs_from_parquet() {
    Suite::new(
        "churn_pipeline",
        "churn_candidate",
        "churn_baseline",
        "churn.parquet",
    )
    .data_keys(CHURN_EXCLUDE)
    .assert_metrics();
}

#[test]
fn pipeline_with_string_and_int64_column_inputs_from_json_lines() {
    Suite::new(
        "churn_pipeline",
        "churn_candidate",
        "churn_baseline",
        "churn.jsonl",
    )
    .data_keys(CHURN_EXCLUDE)
    .assert_metrics();
}

/// The model binds its five inputs by name; the string `customer_id` column it does not use
/// may hold anything, without `exclude`.
#[test]
fn an_unused_text_column_needs_no_exclude() {
    Suite::new(
        "churn_pipeline",
        "churn_candidate",
        "churn_baseline",
        "churn.csv",
    )
    .assert_metrics();
}

/// The CSV header is `od280/od315_of_diluted_wines`; skl2onnx named the input
/// `od280_od315_of_diluted_wines`.
#[test]
fn sanitised_input_name_bound_with_io_inputs() {
    Suite::new(
        "wine_column_names",
        "wine_columns_candidate",
        "wine_columns_baseline",
        "wine.csv",
    )
    .tables("\n[suite.io.inputs]\n\"od280_od315_of_diluted_wines\" = \"od280/od315_of_diluted_wines\"\n")
    .assert_metrics();
}

#[test]
fn sanitised_input_name_matched_automatically() {
    Suite::new(
        "wine_column_names",
        "wine_columns_candidate",
        "wine_columns_baseline",
        "wine.csv",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 2: TfidfVectorizer + LogisticRegression on raw text
// ---------------------------------------------------------------------------

#[test]
fn text_classifier_on_quoted_multiline_csv() {
    Suite::new(
        "ticket_text",
        "tickets_candidate",
        "tickets_baseline",
        "tickets.csv",
    )
    .assert_metrics();
}

#[test]
fn text_classifier_on_json_lines() {
    Suite::new(
        "ticket_text",
        "tickets_candidate",
        "tickets_baseline",
        "tickets.jsonl",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 3: onnxconverter-common float16
// ---------------------------------------------------------------------------

#[test]
fn float16_inputs_and_outputs() {
    Suite::new(
        "breast_cancer_float16",
        "bc_lr_fp16",
        "bc_lr_fp32",
        "breast_cancer.csv",
    )
    .assert_metrics();
}

#[test]
fn float16_with_keep_io_types() {
    Suite::new(
        "breast_cancer_float16",
        "bc_lr_fp16_keep_io",
        "bc_lr_fp32",
        "breast_cancer.csv",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 4: a fixed batch dimension
// ---------------------------------------------------------------------------

#[test]
fn fixed_batch_of_one_is_adapted_to() {
    Suite::new(
        "wine_fixed_batch",
        "wine_mlp_fixed_batch",
        "wine_mlp_dynamic_batch",
        "wine.csv",
    )
    .assert_metrics();
}

#[test]
fn fixed_batch_of_one_with_logits_only() {
    Suite::new(
        "wine_fixed_batch",
        "wine_fixed_batch_logits",
        "wine_mlp_dynamic_batch",
        "wine.csv",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 5: onnxmltools LightGBM and XGBoost
// ---------------------------------------------------------------------------

/// ZipMap output, and a `label` output declared as int64[1] that has one row per example.
#[test]
fn lightgbm_classifier_from_csv() {
    Suite::new(
        "wine_lightgbm",
        "lgbm_wine_candidate",
        "lgbm_wine_baseline",
        "wine.csv",
    )
    .assert_metrics();
}

#[test]
fn lightgbm_classifier_from_parquet() {
    Suite::new(
        "wine_lightgbm",
        "lgbm_wine_candidate",
        "lgbm_wine_baseline",
        "wine.parquet",
    )
    .assert_metrics();
}

#[test]
fn xgboost_classifier_from_csv() {
    Suite::new(
        "breast_cancer_xgboost",
        "xgb_bc_candidate",
        "xgb_bc_baseline",
        "breast_cancer.csv",
    )
    .assert_metrics();
}

#[test]
fn xgboost_classifier_from_parquet() {
    Suite::new(
        "breast_cancer_xgboost",
        "xgb_bc_candidate",
        "xgb_bc_baseline",
        "breast_cancer.parquet",
    )
    .assert_metrics();
}

#[test]
fn lightgbm_and_xgboost_regressors_from_csv() {
    Suite::new(
        "diabetes_boosting",
        "lgbm_diabetes",
        "xgb_diabetes",
        "diabetes.csv",
    )
    .assert_metrics();
}

#[test]
fn lightgbm_and_xgboost_regressors_from_parquet() {
    Suite::new(
        "diabetes_boosting",
        "lgbm_diabetes",
        "xgb_diabetes",
        "diabetes.parquet",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 6: probabilities a rounding step above 1, and logits that saturate in float32
// ---------------------------------------------------------------------------

/// A few probabilities are 1.0000001: still probabilities (clipped to 1), never softmaxed.
#[test]
fn probabilities_just_above_one_are_clipped_not_softmaxed() {
    Suite::new(
        "breast_cancer_probability_overflow",
        "bc_lr_confident_candidate",
        "bc_lr_confident_baseline",
        "breast_cancer_overflow.csv",
    )
    .assert_metrics();
}

/// roc_auc from float64 scores: a float32 softmax ties ~100 rows at exactly 1.0.
#[test]
fn confident_logits_do_not_saturate() {
    Suite::new(
        "breast_cancer_logits",
        "bc_logits_candidate",
        "bc_logits_baseline",
        "breast_cancer.csv",
    )
    .assert_metrics();
}

// ---------------------------------------------------------------------------
// case 7: ZipMap vs zipmap=False
// ---------------------------------------------------------------------------

#[test]
fn zipmap_and_tensor_exports_give_identical_metrics() {
    let suite = Suite::new(
        "iris_zipmap",
        "iris_lr_zipmap",
        "iris_lr_tensor",
        "iris.csv",
    )
    .assert_metrics();
    for name in ["accuracy", "f1_macro", "log_loss", "roc_auc"] {
        let (c, b) = (
            metric(&suite, name, "candidate").unwrap(),
            metric(&suite, name, "baseline").unwrap(),
        );
        assert!((c - b).abs() <= 1e-12, "{name}: ZipMap {c} vs tensor {b}");
    }
}

// ---------------------------------------------------------------------------
// bad values in typed columns: exit 2, naming file, row, column and both types
// ---------------------------------------------------------------------------

fn assert_names_the_bad_cell(case: &str, run: (Option<i32>, String, String), other_type: &[&str]) {
    let (code, text, short) = run;
    let bad = &expected()["cases"][case]["negative"];
    let file = bad["file"].as_str().unwrap().rsplit('/').next().unwrap();
    let column = bad["column"].as_str().unwrap();
    let model_type = bad["model_type"].as_str().unwrap();
    let row = format!("row {}", bad["row"]);
    let line = format!("line {}", bad["line"]);
    assert_eq!(code, Some(2), "{case}: {short}");
    assert!(!text.contains("panicked"), "{case}: {short}");
    for piece in [file, column, model_type] {
        assert!(text.contains(piece), "{case}: no `{piece}` in: {short}");
    }
    assert!(
        text.contains(&row) || text.contains(&line),
        "{case}: neither `{row}` nor `{line}` in: {short}"
    );
    assert!(
        other_type.iter().any(|t| text.contains(t)),
        "{case}: none of {other_type:?} (the value's type) in: {short}"
    );
}

/// `forty-two` in the int64 `age` column (data row 5, line 6).
#[test]
fn text_in_an_int64_input_is_a_clear_error() {
    let run = Suite::new(
        "churn_pipeline",
        "churn_candidate",
        "churn_baseline",
        "churn_text_in_int64.csv",
    )
    .error_text();
    assert!(run.1.contains("forty-two"), "the value: {}", run.2);
    assert_names_the_bad_cell("churn_pipeline", run, &["string", "text"]);
}

/// `1000000` in `mean_area` (data row 7, line 8) for a float16 input: float16's largest
/// value is 65504.
#[test]
fn a_value_beyond_float16_is_a_clear_error() {
    let run = Suite::new(
        "breast_cancer_float16",
        "bc_lr_fp16",
        "bc_lr_fp32",
        "breast_cancer_f16_overflow.csv",
    )
    .error_text();
    assert_names_the_bad_cell(
        "breast_cancer_float16",
        run,
        &["float64", "f64", "double", "number", "float32", "f32"],
    );
}
