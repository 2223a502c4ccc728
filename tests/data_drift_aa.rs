//! A/A: two random halves of the same dataset have not drifted. Over 100 seeded splits of
//! each of scikit-learn's breast_cancer, wine and diabetes sets, at most 5% of the suites may
//! raise any drift alarm at the default settings (Evidently's tests, Benjamini–Hochberg
//! across the columns).

mod support;

use std::fmt::Write as _;
use std::path::Path;

use mlops_ci::config::DriftConfig;
use mlops_ci::validate::{self, hashes::DEFAULT_CAP};

const SPLITS: u64 = 100;

/// The set's rows (both halves of the fixtures: the whole dataset), header apart.
fn rows_of(set: &str) -> (String, Vec<String>) {
    let mut header = String::new();
    let mut rows = Vec::new();
    for half in ["base.csv", "clean.csv"] {
        let text =
            std::fs::read_to_string(support::fixture(&format!("validation/{set}/{half}"))).unwrap();
        let mut lines = text.lines();
        header = lines.next().unwrap().to_owned();
        rows.extend(lines.map(str::to_owned));
    }
    (header, rows)
}

fn write(path: &Path, header: &str, rows: &[String]) {
    let mut text = String::with_capacity(rows.len() * 64);
    let _ = writeln!(text, "{header}");
    for row in rows {
        let _ = writeln!(text, "{row}");
    }
    std::fs::write(path, text).unwrap();
}

/// Splits with any drifted column, out of [`SPLITS`].
fn alarms(set: &str) -> (u64, Vec<String>) {
    let (header, mut rows) = rows_of(set);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    let drift = DriftConfig::default();
    let mut alarms = 0;
    let mut seen = Vec::new();
    for seed in 0..SPLITS {
        fastrand::Rng::with_seed(seed).shuffle(&mut rows);
        let half = rows.len() / 2;
        write(&a, &header, &rows[..half]);
        write(&b, &header, &rows[half..]);
        let section = validate::validate(&validate::Inputs {
            schema: None,
            held_schema: None,
            drift: &drift,
            held_drift: None,
            label: Some("target"),
            classification: set != "diabetes",
            key: None,
            data: &b,
            display: "b.csv",
            base: Some((&a, "a.csv")),
            cap: DEFAULT_CAP,
        })
        .unwrap();
        assert!(section.drift.len() >= 10, "{set}: every column is tested");
        let drifted: Vec<String> = section.drifted().map(|d| d.column.clone()).collect();
        if !drifted.is_empty() {
            alarms += 1;
            seen.extend(drifted);
        }
    }
    (alarms, seen)
}

#[test]
fn random_halves_of_one_dataset_rarely_drift() {
    for set in ["breast_cancer", "wine", "diabetes"] {
        let (alarms, columns) = alarms(set);
        eprintln!("{set}: {alarms} of {SPLITS} splits alarmed ({columns:?})");
        assert!(
            alarms * 100 <= 5 * SPLITS,
            "{set}: {alarms} of {SPLITS} splits raised a drift alarm: {columns:?}"
        );
    }
}
