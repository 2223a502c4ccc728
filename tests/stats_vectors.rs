//! Paired statistics against reference numbers from scikit-learn, scipy and statsmodels
//! (tests/fixtures/stats/generate.py; versions recorded in vectors.json), and the coverage
//! of the bootstrap interval on simulated data with a known true delta.

use mlops_ci::compare::bootstrap::{
    self, BootstrapSettings, ClassifierExamples, Examples, quantile,
};
use mlops_ci::compare::mcnemar_exact;
use mlops_ci::metrics::MetricId;
use mlops_ci::metrics::classification::ClassScores;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json is checked in"))
        .expect("vectors.json is JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn bootstrap_resamples_and_intervals_match_sklearn_on_row_copies() {
    let doc = vectors();
    for case in doc["bootstrap"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let settings = BootstrapSettings {
            resamples: case["resamples"].as_u64().unwrap() as usize,
            seed: case["seed"].as_u64().unwrap(),
            level: case["level"].as_f64().unwrap(),
            ..BootstrapSettings::default()
        };
        let wanted: Vec<MetricId> = case["metrics"]
            .as_object()
            .unwrap()
            .keys()
            .map(|m| MetricId::from_name(m).unwrap())
            .collect();
        let resampled = match case["task"].as_str().unwrap() {
            "classification" => {
                let classes = case["classes"].as_u64().unwrap() as usize;
                let truth: Vec<u32> = floats(&case["truth"]).iter().map(|&t| t as u32).collect();
                let side = |key: &str| {
                    let predicted: Vec<u32> = floats(&case[key]["predicted"])
                        .iter()
                        .map(|&p| p as u32)
                        .collect();
                    let probabilities: Vec<f64> = floats(&case[key]["probabilities"]);
                    (predicted, probabilities)
                };
                let (candidate, baseline) = (side("candidate"), side("baseline"));
                let columns: Vec<Option<usize>> = (0..classes).map(Some).collect();
                fn model<'a>(
                    (predicted, probabilities): &'a (Vec<u32>, Vec<f64>),
                    classes: usize,
                    columns: &'a [Option<usize>],
                ) -> ClassifierExamples<'a> {
                    ClassifierExamples {
                        predicted,
                        probabilities: Some(ClassScores {
                            values: probabilities,
                            width: classes,
                            column_of_class: columns,
                        }),
                    }
                }
                let examples = Examples::Classification {
                    truth: &truth,
                    classes,
                    models: vec![
                        model(&candidate, classes, &columns),
                        model(&baseline, classes, &columns),
                    ],
                };
                bootstrap::resample(&examples, &wanted, &settings)
            }
            _ => {
                let truth = floats(&case["truth"]);
                let candidate = floats(&case["candidate"]["predicted"]);
                let baseline = floats(&case["baseline"]["predicted"]);
                let examples = Examples::Regression {
                    truth: &truth,
                    models: vec![&candidate, &baseline],
                };
                bootstrap::resample(&examples, &wanted, &settings)
            }
        };
        assert_eq!(
            resampled.len(),
            wanted.len(),
            "{name}: every metric resampled"
        );
        for r in &resampled {
            let expected = &case["metrics"][r.metric.name()];
            let (want_c, want_b) = (
                floats(&expected["candidate"]),
                floats(&expected["baseline"]),
            );
            let got_b = r.baseline.as_ref().unwrap();
            assert_eq!(r.candidate.len(), want_c.len(), "{name} {:?}", r.metric);
            for (i, (c, b)) in r.candidate.iter().zip(got_b).enumerate() {
                assert!(
                    close(*c, want_c[i]) && close(*b, want_b[i]),
                    "{name} {:?} resample {i}: ({c}, {b}) vs sklearn ({}, {})",
                    r.metric,
                    want_c[i],
                    want_b[i]
                );
            }
            let deltas = r.sorted_deltas();
            let alpha = 1.0 - settings.level;
            let (low, high) = (
                quantile(&deltas, alpha / 2.0).unwrap(),
                quantile(&deltas, 1.0 - alpha / 2.0).unwrap(),
            );
            let want = (
                expected["ci_low"].as_f64().unwrap(),
                expected["ci_high"].as_f64().unwrap(),
            );
            assert!(
                close(low, want.0) && close(high, want.1),
                "{name} {:?}: [{low}, {high}] vs numpy/scipy {want:?}",
                r.metric
            );
        }
    }
}

#[test]
fn mcnemar_matches_statsmodels_exact() {
    let doc = vectors();
    for v in doc["mcnemar_exact"].as_array().unwrap() {
        let (b, w) = (v["better"].as_u64().unwrap(), v["worse"].as_u64().unwrap());
        let want = v["p_value"].as_f64().unwrap();
        let got = mcnemar_exact(b, w).unwrap();
        assert!(
            (got - want).abs() <= 1e-10 * want.max(1e-300),
            "mcnemar({b}, {w}) = {got}, statsmodels: {want}"
        );
    }
}

/// SplitMix64, for simulated data independent of the bootstrap's own generator.
struct Sim(u64);
impl Sim {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 500 simulated evaluation sets, each with a known true accuracy delta of −0.05 (candidate
/// right with probability 0.80, baseline 0.85, correlated): the 95% interval must cover
/// −0.05 in 93–97% of them.
#[test]
fn the_95_percent_interval_covers_the_true_delta_about_95_percent_of_the_time() {
    let (n, sets) = (400usize, 500);
    let settings = BootstrapSettings {
        resamples: 1000,
        seed: 99,
        level: 0.95,
        ..BootstrapSettings::default()
    };
    let mut sim = Sim(2026);
    let mut covered = 0;
    for _ in 0..sets {
        let truth = vec![0u32; n];
        let mut candidate = vec![0u32; n];
        let mut baseline = vec![0u32; n];
        for i in 0..n {
            // Joint cells: both right 0.75, only baseline right 0.10, only candidate 0.05,
            // both wrong 0.10  =>  P(candidate right) = 0.80, P(baseline right) = 0.85.
            let u = sim.next();
            let (c_right, b_right) = match u {
                u if u < 0.75 => (true, true),
                u if u < 0.85 => (false, true),
                u if u < 0.90 => (true, false),
                _ => (false, false),
            };
            candidate[i] = u32::from(!c_right);
            baseline[i] = u32::from(!b_right);
        }
        let examples = Examples::Classification {
            truth: &truth,
            classes: 2,
            models: vec![
                ClassifierExamples {
                    predicted: &candidate,
                    probabilities: None,
                },
                ClassifierExamples {
                    predicted: &baseline,
                    probabilities: None,
                },
            ],
        };
        let r = bootstrap::resample(&examples, &[MetricId::Accuracy], &settings);
        let deltas = r[0].sorted_deltas();
        let (low, high) = (
            quantile(&deltas, 0.025).unwrap(),
            quantile(&deltas, 0.975).unwrap(),
        );
        covered += usize::from(low <= -0.05 && -0.05 <= high);
    }
    let share = covered as f64 / sets as f64;
    assert!((0.93..=0.97).contains(&share), "coverage {share}");
}

/// The same for a weighted-mean metric (per-example weights): regression MAE with a true
/// delta of 0 between two equally good models.
#[test]
fn the_interval_of_a_per_example_metric_covers_too() {
    let (n, sets) = (150usize, 500);
    let settings = BootstrapSettings {
        resamples: 200,
        seed: 5,
        level: 0.95,
        ..BootstrapSettings::default()
    };
    let mut sim = Sim(77);
    let mut covered = 0;
    for _ in 0..sets {
        let truth: Vec<f64> = (0..n).map(|_| sim.next() * 10.0).collect();
        // Errors uniform on [-1, 1] for both models: true MAE 0.5 each, delta 0.
        let candidate: Vec<f64> = truth.iter().map(|y| y + 2.0 * sim.next() - 1.0).collect();
        let baseline: Vec<f64> = truth.iter().map(|y| y + 2.0 * sim.next() - 1.0).collect();
        let examples = Examples::Regression {
            truth: &truth,
            models: vec![&candidate, &baseline],
        };
        let r = bootstrap::resample(&examples, &[MetricId::Mae], &settings);
        let deltas = r[0].sorted_deltas();
        let (low, high) = (
            quantile(&deltas, 0.025).unwrap(),
            quantile(&deltas, 0.975).unwrap(),
        );
        covered += usize::from(low <= 0.0 && 0.0 <= high);
    }
    let share = covered as f64 / sets as f64;
    assert!((0.93..=0.97).contains(&share), "coverage {share}");
}
