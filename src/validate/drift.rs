//! Drift per column between the reference (the base revision's data) and the current data,
//! and between two sets of predictions. The test is chosen by size and kind as Evidently
//! does, unless configured; p-values are adjusted across the suite (Benjamini–Hochberg), so
//! that many columns do not give many false alarms.

use super::profile::{ColumnProfile, Profile};
use super::sample::{CategoryCounts, WeightedSample};
use super::stats;
use crate::config::{DriftConfig, DriftTest, Severity};
use crate::report::{ColumnDrift, DriftRole};

/// Reference rows up to which the statistical tests are used (Evidently): above it, any
/// difference is significant and a distance says more.
const SMALL_REFERENCE: u64 = 1000;
/// A numeric column with at most this many distinct values is tested as categories.
const FEW_VALUES: u64 = 5;
/// Reference deciles for PSI.
const PSI_BINS: usize = 10;

/// One column's two profiles.
pub struct Pair<'a> {
    pub column: &'a str,
    pub role: DriftRole,
    pub reference: &'a ColumnProfile,
    pub current: &'a ColumnProfile,
}

/// The columns to test, in file order: those both files have, within `include` and
/// `exclude` (the label unless `label = false`); the key column is left out, since ids
/// differ by design.
pub fn pairs<'a>(
    config: &DriftConfig,
    reference: &'a Profile,
    current: &'a Profile,
    label: Option<&str>,
    key: Option<&str>,
) -> Vec<Pair<'a>> {
    current
        .columns
        .iter()
        .zip(&current.profiles)
        .filter(|(name, _)| Some(name.as_str()) != key)
        .filter(|(name, _)| {
            let is_label = Some(name.as_str()) == label;
            let listed = config
                .include
                .as_ref()
                .is_none_or(|only| only.contains(name));
            (if is_label { config.label } else { listed }) && !config.exclude.contains(name)
        })
        .filter(|(name, _)| {
            config
                .columns
                .get(*name)
                .and_then(|o| o.enabled)
                .unwrap_or(true)
        })
        .filter_map(|(name, now)| {
            Some(Pair {
                column: name,
                role: if Some(name.as_str()) == label {
                    DriftRole::Label
                } else {
                    DriftRole::Feature
                },
                reference: reference.column(name)?,
                current: now,
            })
        })
        .collect()
}

/// Tests every pair; adjusts the p-values together when `fdr`; drifted first.
pub fn measure(
    config: &DriftConfig,
    pairs: &[Pair<'_>],
    notes: &mut Vec<String>,
) -> Vec<ColumnDrift> {
    let mut results: Vec<ColumnDrift> = pairs
        .iter()
        .filter_map(|pair| match test_pair(config, pair) {
            Ok(result) => Some(result),
            Err(why) => {
                notes.push(format!("drift of `{}` not measured: {why}", pair.column));
                None
            }
        })
        .collect();
    let p_values: Vec<(usize, f64)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.p_value?)))
        .collect();
    if config.fdr && p_values.len() > 1 {
        let adjusted = stats::benjamini_hochberg(&p_values.iter().map(|p| p.1).collect::<Vec<_>>());
        for ((i, _), q) in p_values.iter().zip(adjusted) {
            results[*i].adjusted_p_value = Some(q);
        }
    }
    for r in &mut results {
        r.drifted = match r.adjusted_p_value.or(r.p_value) {
            Some(p) => p < r.threshold,
            None => r.statistic >= r.threshold,
        };
    }
    by_severity(&mut results);
    results
}

/// Drifted first, `fail` before `warn`, tests before distances, strongest first.
fn by_severity(results: &mut [ColumnDrift]) {
    results.sort_by(|a, b| {
        (b.drifted, b.severity, a.p_value.is_none())
            .cmp(&(a.drifted, a.severity, b.p_value.is_none()))
            .then_with(|| {
                strength(a)
                    .partial_cmp(&strength(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
    });
}

/// [`measure`] under the change's settings, and under the base revision's `held` ones when
/// the change altered them unaccepted ([`louder`]). `pairs`: what a setting tests (nothing
/// when it is off).
pub fn measure_held<'a>(
    own: &DriftConfig,
    held: Option<&DriftConfig>,
    pairs: impl Fn(&DriftConfig) -> Vec<Pair<'a>>,
    notes: &mut Vec<String>,
) -> Vec<ColumnDrift> {
    let results = measure(own, &pairs(own), notes);
    let Some(held) = held else { return results };
    let mut held_notes = Vec::new();
    let held_results = measure(held, &pairs(held), &mut held_notes);
    for note in held_notes {
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    louder(results, held_results)
}

/// Drift measured under the change's settings (`own`) and under the base revision's
/// (`held`), which the change altered unaccepted: per column, the louder result stands
/// (drifted over not, `fail` over `warn`), so a change may tighten its base's drift
/// settings but not loosen them. A result that stands by the base's settings says so.
pub fn louder(own: Vec<ColumnDrift>, held: Vec<ColumnDrift>) -> Vec<ColumnDrift> {
    let loudness = |d: &ColumnDrift| (d.drifted, d.severity);
    let mut merged = own;
    for mut base in held {
        let same = merged
            .iter_mut()
            .find(|d| d.column == base.column && d.role == base.role);
        if same
            .as_ref()
            .is_some_and(|d| loudness(d) >= loudness(&base))
        {
            continue;
        }
        base.chosen = format!("{}; by the base's drift settings", base.chosen);
        match same {
            Some(d) => *d = base,
            None => merged.push(base),
        }
    }
    by_severity(&mut merged);
    merged
}

/// How far past its threshold a result is (lower is stronger), for ordering.
fn strength(r: &ColumnDrift) -> f64 {
    match r.adjusted_p_value.or(r.p_value) {
        Some(p) => p / r.threshold,
        None => r.threshold / r.statistic.max(f64::MIN_POSITIVE),
    }
}

/// The test Evidently's rule chooses for a reference of `rows` values, `distinct` of them.
pub fn choose(numeric: bool, rows: u64, distinct: u64) -> (DriftTest, &'static str) {
    let categorical = !numeric || distinct <= FEW_VALUES;
    match (rows <= SMALL_REFERENCE, categorical) {
        (true, false) => (DriftTest::Ks, "numeric, reference ≤ 1000 rows"),
        (true, true) if distinct > 2 => (DriftTest::Chi2, "categorical, reference ≤ 1000 rows"),
        (true, true) => (DriftTest::Z, "two categories, reference ≤ 1000 rows"),
        (false, false) => (DriftTest::Wasserstein, "numeric, reference > 1000 rows"),
        (false, true) => (
            DriftTest::JensenShannon,
            "categorical, reference > 1000 rows",
        ),
    }
}

fn test_pair(config: &DriftConfig, pair: &Pair<'_>) -> Result<ColumnDrift, String> {
    let (reference, current) = (pair.reference, pair.current);
    let numeric = reference.is_numeric() && current.is_numeric();
    let rows = reference.counts.rows() - reference.counts.nulls;
    let now_rows = current.counts.rows() - current.counts.nulls;
    if rows == 0 || now_rows == 0 {
        return Err("a side has no values".to_owned());
    }
    let overrides = config.columns.get(pair.column);
    let configured = overrides.and_then(|o| o.test).unwrap_or(config.test);
    let (test, chosen) = match configured {
        DriftTest::Auto => {
            let (test, why) = choose(numeric, rows, reference.distinct());
            (test, why.to_owned())
        }
        test => (test, "configured".to_owned()),
    };
    let threshold = overrides
        .and_then(|o| o.threshold)
        .or(config
            .threshold
            .filter(|_| overrides.and_then(|o| o.test).is_none()))
        .unwrap_or_else(|| test.default_threshold());
    let severity: Severity = overrides
        .and_then(|o| o.severity)
        .unwrap_or(config.severity);
    let (statistic, p_value) = run_test(test, numeric, reference, current)?;
    Ok(ColumnDrift {
        column: pair.column.to_owned(),
        role: pair.role,
        test: test.name().to_owned(),
        chosen,
        statistic,
        p_value,
        adjusted_p_value: None,
        threshold,
        drifted: false,
        severity,
        reference_rows: rows,
        current_rows: now_rows,
    })
}

/// The statistic and, for the tests that have one, the p-value.
fn run_test(
    test: DriftTest,
    numeric: bool,
    reference: &ColumnProfile,
    current: &ColumnProfile,
) -> Result<(f64, Option<f64>), String> {
    let numbers = || -> Result<(WeightedSample, WeightedSample), String> {
        if !numeric {
            return Err(format!(
                "the `{}` test needs numbers on both sides",
                test.name()
            ));
        }
        Ok((reference.sample(), current.sample()))
    };
    let categories = || -> Result<(CategoryCounts, CategoryCounts), String> {
        match (reference.categories(), current.categories()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(format!(
                "more than {} distinct values: an id or free text? Exclude it with `[suite.drift] exclude`",
                super::profile::MAX_CATEGORIES
            )),
        }
    };
    let none = || format!("the `{}` test has no result on these values", test.name());
    match test {
        DriftTest::Auto => unreachable!("resolved by `choose`"),
        DriftTest::Ks => {
            let (a, b) = numbers()?;
            let r = stats::ks_2samp(&a, &b).ok_or_else(none)?;
            Ok((r.statistic, Some(r.p_value)))
        }
        DriftTest::Wasserstein => {
            let (a, b) = numbers()?;
            let distance = stats::wasserstein_distance(&a, &b).ok_or_else(none)?;
            // Normalised by the reference's spread (Evidently), so one threshold fits every
            // column's unit; a constant reference has none: any move is a full move.
            let std = reference.moments.std().unwrap_or(0.0);
            let normalised = if std > 0.0 {
                distance / std
            } else if distance > 0.0 {
                f64::INFINITY
            } else {
                0.0
            };
            Ok((normalised, None))
        }
        DriftTest::Psi if numeric => {
            let (a, b) = numbers()?;
            Ok((stats::psi_numeric(&a, &b, PSI_BINS).ok_or_else(none)?, None))
        }
        DriftTest::Psi => {
            let (a, b) = categories()?;
            Ok((stats::psi_categorical(&a, &b).ok_or_else(none)?, None))
        }
        DriftTest::Chi2 => {
            let (a, b) = categories()?;
            let r = stats::chi2_two_sample(&a, &b).ok_or_else(none)?;
            Ok((r.statistic, Some(r.p_value)))
        }
        DriftTest::Z => {
            let (a, b) = categories()?;
            // On two categories the test is the same whichever is counted: the first.
            let category = a
                .first()
                .or(b.first())
                .map(|c| c.0.clone())
                .ok_or_else(none)?;
            let r = stats::z_test_two_proportions(&a, &b, &category).ok_or_else(none)?;
            Ok((r.statistic, Some(r.p_value)))
        }
        DriftTest::JensenShannon => {
            let (a, b) = categories()?;
            Ok((stats::jensen_shannon(&a, &b).ok_or_else(none)?, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(column: &str, drifted: bool, severity: Severity) -> ColumnDrift {
        ColumnDrift {
            column: column.to_owned(),
            role: DriftRole::Feature,
            test: "ks".to_owned(),
            chosen: "configured".to_owned(),
            statistic: 0.5,
            p_value: Some(if drifted { 0.001 } else { 0.5 }),
            adjusted_p_value: None,
            threshold: 0.05,
            drifted,
            severity,
            reference_rows: 60,
            current_rows: 60,
        }
    }

    #[test]
    fn the_louder_of_the_two_settings_stands_per_column() {
        let own = vec![
            // Tightened by the change: its own result stands.
            result("tightened", true, Severity::Fail),
            // Loosened to `warn`: the base's `fail` stands.
            result("loosened", true, Severity::Warn),
            result("quiet", false, Severity::Warn),
        ];
        let held = vec![
            result("tightened", false, Severity::Warn),
            result("loosened", true, Severity::Fail),
            result("quiet", false, Severity::Warn),
            // Excluded by the change: the base still tests it.
            result("excluded", true, Severity::Warn),
        ];
        let merged = louder(own, held);
        let by = |name: &str| merged.iter().find(|d| d.column == name).unwrap();
        assert_eq!(merged.len(), 4);
        assert_eq!(by("tightened").chosen, "configured");
        assert_eq!(by("loosened").severity, Severity::Fail);
        assert!(
            by("loosened")
                .chosen
                .ends_with("by the base's drift settings")
        );
        assert_eq!(by("quiet").chosen, "configured");
        assert!(by("excluded").drifted);
        assert!(
            merged[..2]
                .iter()
                .all(|d| d.drifted && d.severity == Severity::Fail),
            "drifted at `fail` first: {merged:?}"
        );
    }
}
