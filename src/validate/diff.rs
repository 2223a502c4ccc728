//! The data diff: the base revision's data file against the current one. Rows are matched by
//! `data.key` when the suite declares one (added, removed, changed), else by content (added,
//! removed); columns by name (added, removed, retyped, and how their summary moved).

use std::collections::HashMap;

use super::hashes::HashSample;
use super::pass::{FileScan, RowSeen};
use super::profile::{ColumnProfile, Profile};
use crate::report::{ColumnChange, ColumnSummary, DataDiff, Retyped};

pub fn diff(base: &mut FileScan, now: &mut FileScan, key: Option<&str>) -> DataDiff {
    let (before, after) = (&base.profile, &now.profile);
    let columns_added: Vec<String> = missing_from(&after.columns, &before.columns);
    let columns_removed: Vec<String> = missing_from(&before.columns, &after.columns);
    let header_diff = (before.columns != after.columns).then(|| header_diff(before, after));
    let mut columns_retyped = Vec::new();
    let mut columns = Vec::new();
    for (name, now_column) in after.columns.iter().zip(&after.profiles) {
        let Some(base_column) = before.column(name) else {
            continue;
        };
        let (was, is) = (summary(base_column), summary(now_column));
        if was.kind != is.kind && was.kind != "empty" && is.kind != "empty" {
            columns_retyped.push(Retyped {
                column: name.clone(),
                before: was.kind.clone(),
                now: is.kind.clone(),
            });
        }
        if was != is {
            columns.push(ColumnChange {
                column: name.clone(),
                before: was,
                now: is,
            });
        }
    }
    let mut diff = DataDiff {
        rows_before: before.rows,
        rows_now: after.rows,
        matched_by: "row content".to_owned(),
        rows_added: 0,
        rows_removed: 0,
        rows_changed: None,
        estimated: false,
        columns_added,
        columns_removed,
        columns_retyped,
        header_diff,
        columns,
    };
    match (key, &mut base.keys, &mut now.keys) {
        (Some(key), Some(base_keys), Some(now_keys)) => {
            let level = base_keys.level().max(now_keys.level());
            base_keys.thin_to(level);
            now_keys.thin_to(level);
            let scale = base_keys.scale();
            let (mut added, mut changed) = (0, 0);
            for (k, seen) in now_keys.iter() {
                match base_keys.get(k) {
                    None => added += 1,
                    Some(old) if old.row_hash != seen.row_hash => changed += 1,
                    Some(_) => {}
                }
            }
            let removed = base_keys
                .iter()
                .filter(|(k, _)| now_keys.get(*k).is_none())
                .count();
            diff.matched_by = format!("key column `{key}`");
            diff.rows_added = added * scale;
            diff.rows_removed = removed as u64 * scale;
            diff.rows_changed = Some(changed * scale);
            diff.estimated = level > 0;
        }
        _ => {
            let (added, removed, level) = content_changes(&mut base.rows, &mut now.rows);
            diff.rows_added = added;
            diff.rows_removed = removed;
            diff.estimated = level > 0;
        }
    }
    diff
}

/// Rows of `now` not in `base` and the reverse, as multisets of row hashes.
fn content_changes(
    base: &mut HashSample<RowSeen>,
    now: &mut HashSample<RowSeen>,
) -> (u64, u64, u32) {
    let level = base.level().max(now.level());
    base.thin_to(level);
    now.thin_to(level);
    let scale = base.scale();
    let before: HashMap<u64, u64> = base.iter().map(|(h, v)| (h, v.occurrences)).collect();
    let mut added = 0;
    let mut matched = 0;
    for (h, v) in now.iter() {
        let then = before.get(&h).copied().unwrap_or(0);
        added += v.occurrences.saturating_sub(then);
        matched += v.occurrences.min(then);
    }
    let total_before: u64 = before.values().sum();
    (added * scale, (total_before - matched) * scale, level)
}

fn missing_from(these: &[String], those: &[String]) -> Vec<String> {
    these
        .iter()
        .filter(|c| !those.contains(c))
        .cloned()
        .collect()
}

/// The headers one column per line, as a unified diff.
fn header_diff(before: &Profile, after: &Profile) -> String {
    let lines = |p: &Profile| {
        p.columns
            .iter()
            .map(|c| format!("{c}\n"))
            .collect::<String>()
    };
    let (old, new) = (lines(before), lines(after));
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .header("base", "current")
        .to_string()
}

/// A column in a few numbers, rounded so that the same data gives the same summary.
pub fn summary(p: &ColumnProfile) -> ColumnSummary {
    let rows = p.counts.rows();
    let q = p.quantiles(&[0.25, 0.5, 0.75]);
    let q = |i: usize| q.as_ref().map(|q| round(q[i]));
    let (min, max) = p.moments.range().unzip();
    ColumnSummary {
        kind: p.counts.kind().to_owned(),
        null_share: if rows == 0 {
            0.0
        } else {
            round(p.counts.nulls as f64 / rows as f64)
        },
        distinct: p.distinct(),
        mean: p.moments.mean().map(round),
        std: p.moments.std().map(round),
        min: min.map(round),
        p25: q(0),
        p50: q(1),
        p75: q(2),
        max: max.map(round),
    }
}

/// Six significant digits: enough to see a change, not the float noise of a re-export.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 6 - x.abs().log10().ceil() as i32;
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}
