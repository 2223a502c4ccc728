//! Latency: how the two models are timed and what the report says about it. Structure only,
//! never timing: these tests pass on any machine, however loaded.

mod support;

use support::*;

/// A suite over the diabetes example's test data with `candidate` and `baseline` model files
/// from the fixtures, plus `extra` config (gates, runtime keys).
fn project(candidate: &str, baseline: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, model) in [("candidate.onnx", candidate), ("baseline.onnx", baseline)] {
        std::fs::copy(fixture(&format!("models/{model}")), dir.path().join(name)).unwrap();
    }
    std::fs::copy(
        example("diabetes/data/test.csv"),
        dir.path().join("data.csv"),
    )
    .unwrap();
    let config = format!(
        r#"[baseline]
path = "baseline.onnx"

[runtime]
timing_runs = 40
timing_budget_ms = 600000

[[suite]]
name = "diabetes"
model = "candidate.onnx"
task = "regression"

[suite.data]
path = "data.csv"
label = "target"
{extra}"#
    );
    std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
    dir
}

fn check(dir: &tempfile::TempDir, format: &str) -> assert_cmd::assert::Assert {
    mlops_ci()
        .args([
            "check", "--all", "--color", "always", "--format", format, "-C",
        ])
        .arg(dir.path())
        .assert()
}

/// The one row of `metric` in a rendered table.
fn row<'a>(text: &'a str, metric: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(metric) || l.starts_with(&format!("| `{metric}`")))
        .unwrap_or_else(|| panic!("no row for {metric} in:\n{text}"))
}

#[test]
fn byte_different_copies_are_timed_interleaved_and_compared_as_a_ratio() {
    let dir = project(
        "diabetes_f64_copy.onnx",
        "diabetes_f64.onnx",
        "[[suite.gate]]\nmetric = \"latency_ratio_p95\"\nmax = 1000\n",
    );
    let out = check(&dir, "json").code(0);
    let report = json(&out.get_output().stdout);
    let suite = &report["suites"][0];

    // Warm-up, then rounds alternating which model runs first; the 89-row test set is one
    // batch, repeated until `timing_runs` rounds ran.
    let method = &suite["timing"]["method"];
    assert_eq!(method["order"], "alternating", "{method}");
    assert_eq!(method["warmup_runs"], 2);
    assert_eq!(method["rounds"], 40);
    assert_eq!(method["repeated_rounds"], 39);
    assert_eq!(method["budget_reached"], false);
    assert_eq!(suite["timing"]["candidate"]["batches"], 40);
    assert_eq!(suite["timing"]["baseline"]["batches"], 40);
    let ratios = &method["ratios"];
    assert_eq!(ratios["pairs"], 40);
    assert_eq!(ratios["confidence"], 0.95);
    for r in ratios["ratios"].as_array().unwrap() {
        let (ratio, low, high) = (
            r["ratio"].as_f64().unwrap(),
            r["low"].as_f64().unwrap(),
            r["high"].as_f64().unwrap(),
        );
        assert!(0.0 < low && low <= ratio && ratio <= high, "{r}");
    }

    // The ratio metrics: the baseline is 1 by definition, the candidate's value has an
    // interval; only the gated one is marked so.
    for name in ["latency_ratio_p50", "latency_ratio_p95"] {
        assert_eq!(metric(suite, name, "baseline"), Some(1.0));
        assert!(metric(suite, name, "candidate").is_some());
        let m = suite["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap();
        assert_eq!(m["interval"].as_array().map(Vec::len), Some(2), "{m}");
        assert_eq!(m["gated"], name == "latency_ratio_p95", "{m}");
    }
    assert_eq!(suite["gates"][0]["outcome"], "pass");
    assert!(
        suite["gates"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("paired interval"),
        "{}",
        suite["gates"][0]
    );
}

#[test]
fn timing_rows_are_coloured_only_when_a_gate_names_them() {
    let dir = project(
        "diabetes_f64_copy.onnx",
        "diabetes_f64.onnx",
        "[[suite.gate]]\nmetric = \"latency_ratio_p95\"\nmax = 1000\n",
    );
    let markdown =
        String::from_utf8(check(&dir, "markdown").code(0).get_output().stdout.clone()).unwrap();
    for name in [
        "latency_p50_ms",
        "latency_p95_ms",
        "throughput_eps",
        "latency_ratio_p50",
    ] {
        let line = row(&markdown, name);
        assert!(!line.contains('🔴') && !line.contains('🟢'), "{line}");
        assert!(line.contains("(timing) CI "), "{line}");
    }
    let gated = row(&markdown, "latency_ratio_p95");
    assert!(
        ["🔴 worse (timing)", "🟢 better (timing)", "same (timing)"]
            .iter()
            .any(|s| gated.contains(s)),
        "{gated}"
    );
    assert!(
        markdown.contains("alternating which runs first"),
        "{markdown}"
    );

    let terminal =
        String::from_utf8(check(&dir, "terminal").code(0).get_output().stdout.clone()).unwrap();
    let (red, green) = ("\u{1b}[31m", "\u{1b}[32m");
    for name in [
        "latency_p50_ms",
        "latency_p95_ms",
        "throughput_eps",
        "latency_ratio_p50",
    ] {
        let line = row(&terminal, name);
        assert!(!line.contains(red) && !line.contains(green), "{line:?}");
    }
    assert!(terminal.contains("timing"), "{terminal}");
}

#[test]
fn the_same_file_is_timed_once_and_its_ratio_is_exactly_one() {
    let dir = project(
        "diabetes_f64.onnx",
        "diabetes_f64.onnx",
        "[[suite.gate]]\nmetric = \"latency_p95_ms\"\nmax_regression_pct = 0\n",
    );
    let out = check(&dir, "json").code(0);
    let report = json(&out.get_output().stdout);
    let suite = &report["suites"][0];
    assert_eq!(suite["timing"]["method"]["order"], "single");
    assert_eq!(suite["timing"]["method"]["ratios"]["pairs"], 0);
    for name in ["latency_ratio_p50", "latency_ratio_p95"] {
        assert_eq!(metric(suite, name, "candidate"), Some(1.0));
    }
    assert_eq!(suite["gates"][0]["outcome"], "pass");
    assert!(
        suite["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("evaluated once")),
        "{suite}"
    );
}

#[test]
fn timing_keys_are_checked_like_every_other_key() {
    let dir = project("diabetes_f64_copy.onnx", "diabetes_f64.onnx", "");
    let config = std::fs::read_to_string(dir.path().join("mlops-ci.toml")).unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        config.replace("timing_runs = 40", "timing_run = 40"),
    )
    .unwrap();
    check(&dir, "terminal")
        .code(2)
        .stderr(predicates::str::contains("did you mean `timing_runs`?"));
}
