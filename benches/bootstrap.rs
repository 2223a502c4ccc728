//! What the paired bootstrap costs on a large evaluation set.
//!
//!     bash bench/bootstrap.sh          # = cargo bench --bench bootstrap
//!     BENCH_ROWS=200000 bash bench/bootstrap.sh
//!
//! Synthetic binary classification (two models, probabilities) and regression, 1,000,000
//! examples by default; 2,000 resamples on every core. Prints the wall time of each metric
//! family, on every example (the full bootstrap) and as `check` runs it (the per-example
//! metrics on a rescaled 10,000-example subsample).

use std::time::Instant;

use mlops_ci::compare::bootstrap::{self, BootstrapSettings, ClassifierExamples, Examples};
use mlops_ci::metrics::MetricId;
use mlops_ci::metrics::classification::ClassScores;

fn main() {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut state = 1u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let truth: Vec<u32> = (0..rows).map(|_| u32::from(uniform() < 0.4)).collect();
    let mut model = |skill: f64| {
        let mut predicted = Vec::with_capacity(rows);
        let mut probabilities = Vec::with_capacity(2 * rows);
        for &t in &truth {
            let p_true = (skill + (uniform() - 0.5) * 0.6).clamp(0.01, 0.99);
            let p1 = if t == 1 { p_true } else { 1.0 - p_true };
            predicted.push(u32::from(p1 > 0.5));
            probabilities.extend([1.0 - p1, p1]);
        }
        (predicted, probabilities)
    };
    let (candidate, baseline) = (model(0.82), model(0.8));
    let columns = [Some(0), Some(1)];
    fn side<'a>(
        (predicted, probabilities): &'a (Vec<u32>, Vec<f64>),
        columns: &'a [Option<usize>],
    ) -> ClassifierExamples<'a> {
        ClassifierExamples {
            predicted,
            probabilities: Some(ClassScores {
                values: probabilities,
                width: 2,
                column_of_class: columns,
            }),
        }
    }
    let classification = Examples::Classification {
        truth: &truth,
        classes: 2,
        models: vec![side(&candidate, &columns), side(&baseline, &columns)],
    };
    let y: Vec<f64> = (0..rows).map(|_| uniform() * 100.0).collect();
    let a: Vec<f64> = y.iter().map(|v| v + uniform() * 4.0 - 2.0).collect();
    let b: Vec<f64> = y.iter().map(|v| v + uniform() * 4.4 - 2.2).collect();
    let regression = Examples::Regression {
        truth: &y,
        models: vec![&a, &b],
    };

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{rows} examples, 2000 resamples, {threads} threads");
    let confusion = [
        MetricId::Accuracy,
        MetricId::BalancedAccuracy,
        MetricId::PrecisionMacro,
        MetricId::RecallMacro,
        MetricId::F1Macro,
        MetricId::F1Weighted,
    ];
    let cases: [(&str, &Examples, &[MetricId]); 5] = [
        ("confusion metrics (6)", &classification, &confusion),
        ("log_loss", &classification, &[MetricId::LogLoss]),
        ("roc_auc", &classification, &[MetricId::RocAuc]),
        (
            "regression (mae, rmse, r2)",
            &regression,
            &[MetricId::Mae, MetricId::Rmse, MetricId::R2],
        ),
        (
            "check's default classification set",
            &classification,
            MetricId::ALL,
        ),
    ];
    for (name, examples, metrics) in cases {
        for (how, example_rows) in [
            ("every example", usize::MAX),
            (
                "as check runs it",
                BootstrapSettings::default().example_rows,
            ),
        ] {
            let settings = BootstrapSettings {
                example_rows,
                ..BootstrapSettings::default()
            };
            let start = Instant::now();
            let out = bootstrap::resample(examples, metrics, &settings);
            let seconds = start.elapsed().as_secs_f64();
            let resamples = out.iter().map(|r| r.candidate.len()).min().unwrap_or(0);
            println!("{name:<38} {how:<17} {seconds:>7.3} s  ({resamples} resamples)");
        }
    }
}
