//! The data contract (`[suite.data.schema]`) checked row by row: each rule counts the cells
//! that break it and keeps the first few offending rows; rules about the whole file (row
//! counts, null shares, vanished classes) are decided from the profile at the end.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use rustc_hash::FxBuildHasher;

use super::cells::{Cell, Chunk, RowAt};
use super::hashes::{CellHasher, HashSample};
use super::profile::{MAX_CATEGORIES, Profile, category_name};
use crate::config::{ColumnType, SchemaConfig, Severity};
use crate::report::{CheckOutcome, DataCheck, Offender};

/// Offending rows kept per check.
pub const ROWS_SHOWN: usize = 5;
/// Characters of a cell shown in a report.
const VALUE_CHARS: usize = 60;

/// Offending cells of one rule: how many, and the first few.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub count: u64,
    pub rows: Vec<Offender>,
}

impl Tally {
    pub fn add(&mut self, at: RowAt, column: Option<&str>, value: impl FnOnce() -> String) {
        self.count += 1;
        if self.rows.len() < ROWS_SHOWN {
            self.rows.push(Offender {
                row: at.row,
                line: at.line,
                column: column.map(str::to_owned),
                value: value(),
            });
        }
    }
}

/// A cell as a report shows it: cut, never escaped (each output escapes its own way).
pub fn shown(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => "(missing)".to_owned(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => f.to_string(),
        Cell::Text(s) if s.chars().count() > VALUE_CHARS => {
            let cut: String = s.chars().take(VALUE_CHARS).collect();
            format!("{cut}…")
        }
        Cell::Text(s) => s.to_owned(),
    }
}

/// The text a cell is compared with `allowed`, `regex` and known classes as.
fn canonical(cell: Cell<'_>) -> Option<std::borrow::Cow<'_, str>> {
    match cell {
        Cell::Null => None,
        Cell::Bool(b) => Some(if b { "true" } else { "false" }.into()),
        Cell::Int(i) => Some(i.to_string().into()),
        Cell::Float(f) => Some(category_name(f).into()),
        Cell::Text(s) => Some(s.into()),
    }
}

/// One column's rules, compiled against the file's columns.
struct ColumnCheck {
    name: String,
    /// Its position in the file; `None` when the file lacks it.
    index: Option<usize>,
    severity: Severity,
    required: bool,
    kind: Option<ColumnType>,
    nullable: bool,
    max_null_share: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    allowed: Option<HashSet<String, FxBuildHasher>>,
    regex: Option<Regex>,
    unique: Option<HashSample<u64>>,
    tallies: ColumnTallies,
}

#[derive(Default)]
struct ColumnTallies {
    kind: Tally,
    nulls: Tally,
    min: Tally,
    max: Tally,
    allowed: Tally,
    regex: Tally,
    unique: Tally,
}

/// The contract of one suite, being checked on one file.
pub struct ContractChecker<'a> {
    schema: &'a SchemaConfig,
    columns: Vec<ColumnCheck>,
    extra: Vec<String>,
    /// The label column's position and name.
    label: Option<(usize, String)>,
    /// The first rows of each label value (up to [`MAX_CATEGORIES`] values): once the base
    /// data's classes are known, those of the values it lacks are the new classes' rows. So
    /// the two files are read at the same time.
    label_rows: HashMap<Box<str>, Tally, FxBuildHasher>,
    duplicates: Tally,
}

impl<'a> ContractChecker<'a> {
    /// `file_columns` as the scanner found them; `label` the label column's name.
    pub fn new(
        schema: &'a SchemaConfig,
        file_columns: &[String],
        label: Option<&str>,
        unique_cap: usize,
    ) -> Self {
        let index = |name: &str| file_columns.iter().position(|c| c == name);
        let columns = schema
            .columns
            .iter()
            .map(|(name, rule)| ColumnCheck {
                name: name.clone(),
                index: index(name),
                severity: rule.severity.unwrap_or(schema.severity),
                required: rule.required.unwrap_or(true),
                kind: rule.kind,
                nullable: rule.nullable.unwrap_or(true),
                max_null_share: rule.max_null_share,
                min: rule.min,
                max: rule.max,
                allowed: rule
                    .allowed_text()
                    .map(|values| values.into_iter().collect()),
                // Checked at load: it compiles.
                regex: rule.regex.as_deref().and_then(|r| Regex::new(r).ok()),
                unique: rule.unique.then(|| HashSample::new(unique_cap)),
                tallies: ColumnTallies::default(),
            })
            .collect();
        let extra = if schema.columns.is_empty() {
            Vec::new()
        } else {
            file_columns
                .iter()
                .filter(|c| !schema.columns.contains_key(*c))
                .cloned()
                .collect()
        };
        ContractChecker {
            schema,
            columns,
            extra,
            label: label.and_then(|l| Some((index(l)?, l.to_owned()))),
            label_rows: HashMap::default(),
            duplicates: Tally::default(),
        }
    }

    /// Checks row `r` of `chunk`.
    pub fn observe(&mut self, chunk: &Chunk, r: usize) {
        let at = chunk.at(r);
        for check in &mut self.columns {
            if let Some(c) = check.index {
                check.observe(at, chunk.cell(r, c));
            }
        }
        if let Some((label, name)) = &self.label {
            let cell = chunk.cell(r, *label);
            if let Some(value) = canonical(cell) {
                let known = self.label_rows.contains_key(value.as_ref());
                if known || self.label_rows.len() < MAX_CATEGORIES {
                    let rows = match self.label_rows.get_mut(value.as_ref()) {
                        Some(rows) => rows,
                        None => self.label_rows.entry(value.into()).or_default(),
                    };
                    rows.add(at, Some(name), || shown(cell));
                }
            }
        }
    }

    /// Row `at` repeats row `first` exactly.
    pub fn duplicate(&mut self, at: RowAt, first: u64) {
        self.duplicates
            .add(at, None, || format!("repeats row {first}"));
    }

    /// Every check's result, broken ones first. `base_classes` are the base data's label
    /// values; `duplicates` the rows repeating an earlier one, in all, and whether that is an
    /// estimate (see [`HashSample`]).
    pub fn finish(
        self,
        profile: &Profile,
        base_classes: Option<&[String]>,
        (duplicate_count, duplicates_estimated): (u64, bool),
    ) -> Vec<DataCheck> {
        let schema = self.schema;
        let mut out = Vec::new();
        let rows = profile.rows;
        let check = |name: &str,
                     column: Option<&str>,
                     severity: Severity,
                     broken: bool,
                     message: String,
                     tally: Tally| DataCheck {
            check: name.to_owned(),
            column: column.map(str::to_owned),
            severity,
            outcome: if broken {
                CheckOutcome::broken(severity)
            } else {
                CheckOutcome::Pass
            },
            message,
            count: tally.count,
            estimated: false,
            rows: tally.rows,
        };
        if let Some(min) = schema.min_rows {
            out.push(check(
                "min_rows",
                None,
                schema.severity,
                rows < min,
                format!("{rows} rows; the contract asks for at least {min}"),
                Tally::default(),
            ));
        }
        if let Some(max) = schema.max_rows {
            out.push(check(
                "max_rows",
                None,
                schema.severity,
                rows > max,
                format!("{rows} rows; the contract allows at most {max}"),
                Tally::default(),
            ));
        }
        if let Some(max) = schema.max_duplicate_rows {
            let count = duplicate_count;
            let about = if duplicates_estimated { "about " } else { "" };
            let mut result = check(
                "duplicate_rows",
                None,
                schema.severity,
                count > max,
                format!(
                    "{about}{count} rows repeat an earlier row exactly; the contract allows {max}"
                ),
                self.duplicates,
            );
            result.count = count;
            result.estimated = duplicates_estimated;
            out.push(result);
        }
        if let Some(severity) = schema.extra_columns.severity() {
            for extra in &self.extra {
                out.push(check(
                    "unexpected_column",
                    Some(extra),
                    severity,
                    true,
                    format!(
                        "column `{extra}` is not in the contract (renamed? add it under `[suite.data.schema.columns]`)"
                    ),
                    Tally::default(),
                ));
            }
        }
        for column in self.columns {
            column.finish(profile, &mut out);
        }
        if let (Some((_, label)), Some(base)) = (&self.label, base_classes) {
            let label = label.as_str();
            if let Some(severity) = schema.new_classes.severity() {
                let known: HashSet<&str> = base.iter().map(String::as_str).collect();
                let mut values: Vec<&str> = self
                    .label_rows
                    .keys()
                    .map(AsRef::as_ref)
                    .filter(|v| !known.contains(v))
                    .collect();
                values.sort_unstable();
                let mut new_classes = Tally::default();
                for value in &values {
                    let tally = &self.label_rows[*value];
                    new_classes.count += tally.count;
                    new_classes.rows.extend(tally.rows.iter().cloned());
                }
                new_classes.rows.sort_by_key(|o| o.row);
                new_classes.rows.truncate(ROWS_SHOWN);
                let count = new_classes.count;
                values.truncate(5);
                out.push(check(
                    "new_class",
                    Some(label),
                    severity,
                    count > 0,
                    if count == 0 {
                        "every label value is one the base data has".to_owned()
                    } else {
                        format!(
                            "rows with a label the base data never had: {count} (such as {})",
                            values.join(", ")
                        )
                    },
                    new_classes,
                ));
            }
            if let (Some(severity), Some(now)) = (
                schema.vanished_classes.severity(),
                profile.column(label).and_then(|p| p.categories()),
            ) {
                let gone: Vec<&str> = base
                    .iter()
                    .filter(|c| !now.iter().any(|(n, _)| n == *c))
                    .map(String::as_str)
                    .collect();
                out.push(check(
                    "vanished_class",
                    Some(label),
                    severity,
                    !gone.is_empty(),
                    if gone.is_empty() {
                        "every class of the base data is still present".to_owned()
                    } else {
                        format!(
                            "{} classes of the base data no row has now: {}{}",
                            gone.len(),
                            gone.iter().take(10).copied().collect::<Vec<_>>().join(", "),
                            if gone.len() > 10 { ", …" } else { "" }
                        )
                    },
                    Tally {
                        count: gone.len() as u64,
                        rows: Vec::new(),
                    },
                ));
            }
        }
        out.sort_by_key(|c| c.outcome);
        out
    }
}

/// `own` (the change's contract) with the broken rules of `held` (the base revision's) that
/// `own` does not break: a change cannot loosen the contract its data is checked against.
pub fn hold(mut own: Vec<DataCheck>, held: Vec<DataCheck>) -> Vec<DataCheck> {
    for mut check in held {
        let same = |c: &DataCheck| c.check == check.check && c.column == check.column;
        let broken_here = own
            .iter()
            .any(|c| same(c) && c.outcome != CheckOutcome::Pass);
        if check.outcome == CheckOutcome::Pass || broken_here {
            continue;
        }
        check.message = format!(
            "{} (the base revision's contract, which this change loosened)",
            check.message
        );
        own.retain(|c| !same(c));
        own.push(check);
    }
    own.sort_by_key(|c| c.outcome);
    own
}

impl ColumnCheck {
    fn observe(&mut self, at: RowAt, cell: Cell<'_>) {
        let name = self.name.as_str();
        let t = &mut self.tallies;
        if cell == Cell::Null {
            if !self.nullable {
                t.nulls.add(at, Some(name), || shown(cell));
            }
            return;
        }
        if let Some(kind) = self.kind
            && !fits(kind, cell)
        {
            t.kind.add(at, Some(name), || shown(cell));
        }
        let number = match cell {
            Cell::Int(i) => Some(i as f64),
            Cell::Float(f) => Some(f),
            _ => None,
        };
        if let Some(x) = number {
            if self.min.is_some_and(|min| x < min) {
                t.min.add(at, Some(name), || shown(cell));
            }
            if self.max.is_some_and(|max| x > max) {
                t.max.add(at, Some(name), || shown(cell));
            }
        }
        if self.allowed.is_some() || self.regex.is_some() {
            let text = canonical(cell).unwrap_or_default();
            if let Some(allowed) = &self.allowed
                && !allowed.contains(text.as_ref())
            {
                t.allowed.add(at, Some(name), || shown(cell));
            }
            if let Some(regex) = &self.regex
                && !regex.is_match(&text)
            {
                t.regex.add(at, Some(name), || shown(cell));
            }
        }
        if let Some(seen) = &mut self.unique {
            let mut h = CellHasher::new();
            h.push(cell);
            if let Some(first) = seen.entry(h.finish(), || at.row)
                && *first != at.row
            {
                let first = *first;
                t.unique.add(at, Some(name), || {
                    format!("{} (as row {first})", shown(cell))
                });
            }
        }
    }

    fn finish(self, profile: &Profile, out: &mut Vec<DataCheck>) {
        let ColumnCheck {
            name,
            index,
            severity,
            tallies: t,
            ..
        } = self;
        let result = |check: &str, tally: Tally, message: String| DataCheck {
            check: check.to_owned(),
            column: Some(name.clone()),
            severity,
            outcome: if tally.count > 0 {
                CheckOutcome::broken(severity)
            } else {
                CheckOutcome::Pass
            },
            message,
            count: tally.count,
            estimated: false,
            rows: tally.rows,
        };
        let Some(index) = index else {
            if self.required {
                out.push(DataCheck {
                    check: "missing_column".to_owned(),
                    column: Some(name.clone()),
                    severity,
                    outcome: CheckOutcome::broken(severity),
                    message: format!("column `{name}` is in the contract but not in the data"),
                    count: 1,
                    estimated: false,
                    rows: Vec::new(),
                });
            }
            return;
        };
        let counted = |what: &str, tally: &Tally| format!("{what}: {}", tally.count);
        if let Some(kind) = self.kind {
            let m = counted(&format!("values that are not {}", article(kind)), &t.kind);
            out.push(result("type", t.kind, m));
        }
        if !self.nullable {
            let m = counted("missing values (`nullable = false`)", &t.nulls);
            out.push(result("nulls", t.nulls, m));
        }
        if let Some(share) = self.max_null_share {
            let counts = profile.profiles[index].counts;
            let rows = counts.rows().max(1);
            let actual = counts.nulls as f64 / rows as f64;
            let broken = actual > share;
            out.push(DataCheck {
                check: "null_share".to_owned(),
                column: Some(name.clone()),
                severity,
                outcome: if broken {
                    CheckOutcome::broken(severity)
                } else {
                    CheckOutcome::Pass
                },
                message: format!(
                    "{:.2}% of the rows are missing; the contract allows {:.2}%",
                    actual * 100.0,
                    share * 100.0
                ),
                count: counts.nulls,
                estimated: false,
                rows: Vec::new(),
            });
        }
        if let Some(min) = self.min {
            let m = counted(&format!("values below the minimum {min}"), &t.min);
            out.push(result("min", t.min, m));
        }
        if let Some(max) = self.max {
            let m = counted(&format!("values above the maximum {max}"), &t.max);
            out.push(result("max", t.max, m));
        }
        if self.allowed.is_some() {
            let m = counted("values outside `allowed`", &t.allowed);
            out.push(result("allowed", t.allowed, m));
        }
        if let Some(regex) = &self.regex {
            let m = counted(&format!("values that do not match `{regex}`"), &t.regex);
            out.push(result("regex", t.regex, m));
        }
        if let Some(seen) = &self.unique {
            let estimated = !seen.is_exact();
            let count = t.unique.count * seen.scale();
            let about = if estimated { "about " } else { "" };
            let mut r = result(
                "unique",
                t.unique,
                format!(
                    "{about}{count} values repeat an earlier row's (the contract says `unique = true`)"
                ),
            );
            r.count = count;
            r.estimated = estimated;
            out.push(r);
        }
    }
}

fn article(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Int => "integers",
        ColumnType::Float => "numbers",
        ColumnType::String => "strings",
        ColumnType::Bool => "booleans",
    }
}

/// Whether a present cell has the contract's type. An integer is a float; a float with no
/// fractional part is an integer (a CSV of pandas floats writes `3.0`); anything is a string.
fn fits(kind: ColumnType, cell: Cell<'_>) -> bool {
    match (kind, cell) {
        (ColumnType::String, _) => true,
        (ColumnType::Bool, Cell::Bool(_)) => true,
        (ColumnType::Int, Cell::Int(_)) => true,
        (ColumnType::Int, Cell::Float(f)) => f.fract() == 0.0,
        (ColumnType::Float, Cell::Int(_) | Cell::Float(_)) => true,
        _ => false,
    }
}
