//! The drift statistics against reference numbers from scipy and numpy
//! (tests/fixtures/drift/generate.py; versions recorded in vectors.json): KS statistic and
//! p-value (exact and asymptotic), Wasserstein, chi-squared, the z-test, Jensen–Shannon, PSI
//! and Benjamini–Hochberg, each to 1e-6 (absolute, and relative for p-values below 1e-6).

use mlops_ci::validate::sample::{CategoryCounts, WeightedSample};
use mlops_ci::validate::stats::{self, KsMethod};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/drift/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json is checked in"))
        .expect("vectors.json is JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn sample(values: &Value, weights: &Value) -> WeightedSample {
    let values = floats(values);
    if weights.is_null() {
        return WeightedSample::exact(&values);
    }
    let mut pairs: Vec<(f64, f64)> = values.into_iter().zip(floats(weights)).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    WeightedSample {
        values: pairs.iter().map(|p| p.0).collect(),
        weights: pairs.iter().map(|p| p.1).collect(),
    }
}

fn counts(v: &Value) -> CategoryCounts {
    let mut c: CategoryCounts = v
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect();
    c.sort();
    c
}

#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    let ok = (got - want).abs() <= 1e-6
        && (want.abs() >= 1e-6 || (got - want).abs() <= 1e-6 * want.abs().max(1e-300));
    assert!(ok, "{what}: got {got:e}, scipy {want:e}");
}

#[test]
fn kolmogorov_smirnov_matches_scipy_exact_and_asymptotic() {
    let doc = vectors();
    for case in doc["ks"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (
            sample(&case["a"], &Value::Null),
            sample(&case["b"], &Value::Null),
        );
        let r = stats::ks_2samp(&a, &b).unwrap();
        close(
            &format!("{name} statistic"),
            r.statistic,
            case["statistic"].as_f64().unwrap(),
        );
        close(
            &format!("{name} p"),
            r.p_value,
            case["p_value"].as_f64().unwrap(),
        );
        let method = if case["method"] == "exact" {
            KsMethod::Exact
        } else {
            KsMethod::Asymptotic
        };
        assert_eq!(r.method, method, "{name}");
    }
    for case in doc["ks_weighted"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let a = sample(&case["a"], &case["a_weights"]);
        let b = sample(&case["b"], &case["b_weights"]);
        let r = stats::ks_2samp(&a, &b).unwrap();
        close(
            &format!("{name} statistic"),
            r.statistic,
            case["statistic"].as_f64().unwrap(),
        );
        close(
            &format!("{name} p"),
            r.p_value,
            case["p_value"].as_f64().unwrap(),
        );
    }
}

#[test]
fn wasserstein_matches_scipy_with_and_without_weights() {
    for case in vectors()["wasserstein"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let a = sample(&case["a"], &case["a_weights"]);
        let b = sample(&case["b"], &case["b_weights"]);
        let d = stats::wasserstein_distance(&a, &b).unwrap();
        close(name, d, case["distance"].as_f64().unwrap());
    }
}

#[test]
fn categorical_tests_match_scipy() {
    for case in vectors()["categorical"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (counts(&case["a"]), counts(&case["b"]));
        let chi2 = stats::chi2_two_sample(&a, &b).unwrap();
        close(
            &format!("{name} chi2"),
            chi2.statistic,
            case["chi2"].as_f64().unwrap(),
        );
        close(
            &format!("{name} chi2 p"),
            chi2.p_value,
            case["chi2_p"].as_f64().unwrap(),
        );
        assert_eq!(chi2.dof, case["dof"].as_u64().unwrap(), "{name}");
        let js = stats::jensen_shannon(&a, &b).unwrap();
        close(
            &format!("{name} js"),
            js,
            case["jensen_shannon"].as_f64().unwrap(),
        );
        let psi = stats::psi_categorical(&a, &b).unwrap();
        close(&format!("{name} psi"), psi, case["psi"].as_f64().unwrap());
        if let Some(category) = case["z_category"].as_str() {
            let z = stats::z_test_two_proportions(&a, &b, category).unwrap();
            close(
                &format!("{name} z"),
                z.statistic,
                case["z"].as_f64().unwrap(),
            );
            close(
                &format!("{name} z p"),
                z.p_value,
                case["z_p"].as_f64().unwrap(),
            );
        }
    }
}

#[test]
fn psi_on_reference_deciles_matches_the_numpy_reference() {
    for case in vectors()["psi_numeric"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (
            sample(&case["a"], &Value::Null),
            sample(&case["b"], &Value::Null),
        );
        let psi = stats::psi_numeric(&a, &b, 10).unwrap();
        close(name, psi, case["psi"].as_f64().unwrap());
    }
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    for case in vectors()["bh"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let got = stats::benjamini_hochberg(&floats(&case["p"]));
        for (g, w) in got.iter().zip(floats(&case["adjusted"])) {
            close(name, *g, w);
        }
    }
}
