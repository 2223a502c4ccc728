//! Data validation: a data contract checked on every row, the data diff between the base's
//! and the current dataset, and drift per column, from one streaming pass per file.
//!
//! - [`scan`]: every column of a data file as typed cells ([`cells`]), a chunk of rows at a
//!   time, one scanner per format.
//! - [`pass`]: the one pass: [`profile`] per column, row [`hashes`], [`contract`] checks.
//! - [`drift`]: the two-sample tests of [`stats`] on the profiles' [`sample`]s.
//! - [`diff`]: rows and columns added, removed, changed.
//! - [`infer`]: a starting contract from a file's profile.

pub mod cells;
pub mod contract;
pub mod diff;
pub mod drift;
pub mod hashes;
pub mod infer;
pub mod pass;
pub mod profile;
pub mod sample;
pub mod scan;
pub mod stats;

use std::path::Path;

use crate::config::{DriftConfig, SchemaConfig};
use crate::data::DataError;
use crate::report::{BaseData, DataValidation};
use pass::{PassSpec, scan_file};

/// What to validate: the suite's settings and its files.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub schema: Option<&'a SchemaConfig>,
    /// The base revision's contract, when the change altered it unaccepted: checked too.
    pub held_schema: Option<&'a SchemaConfig>,
    pub drift: &'a DriftConfig,
    /// The base revision's drift settings, when the change altered them unaccepted: drift
    /// is measured under both, and the louder result stands.
    pub held_drift: Option<&'a DriftConfig>,
    pub label: Option<&'a str>,
    /// The label holds classes: new and vanished ones are checked against the base data.
    pub classification: bool,
    pub key: Option<&'a str>,
    /// The current data file, and its name as the config gives it.
    pub data: &'a Path,
    pub display: &'a str,
    /// The base revision's data file, and where it came from (`origin/main`, a path).
    pub base: Option<(&'a Path, &'a str)>,
    /// Entries each hash sample keeps ([`hashes::DEFAULT_CAP`]).
    pub cap: usize,
}

/// Validates the data: the contract on the current file, drift and the diff against the
/// base's. The two files are read at the same time, one thread each. A malformed current
/// file is an error (with file and line); an unreadable base file only a note, since the
/// current data can still be checked.
pub fn validate(inputs: &Inputs<'_>) -> Result<DataValidation, DataError> {
    let mut notes = Vec::new();
    let spec = PassSpec {
        schema: inputs.schema,
        held_schema: inputs.held_schema,
        label: inputs.label,
        key: inputs.key,
        cap: inputs.cap,
    };
    let base_spec = PassSpec {
        schema: None,
        held_schema: None,
        ..spec
    };
    let (base, now) = std::thread::scope(|scope| {
        let base = inputs
            .base
            .map(|(path, source)| (scope.spawn(move || scan_file(path, &base_spec)), source));
        let now = scan_file(inputs.data, &spec);
        let base = base.map(|(thread, source)| {
            let scan = thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (scan, source)
        });
        (base, now)
    });
    let mut now = now?;
    let mut base = match base {
        Some((Ok(scan), source)) => Some((scan, source)),
        Some((Err(e), source)) => {
            notes.push(format!(
                "the base data ({source}) cannot be read, so there is no drift or diff: {e}"
            ));
            None
        }
        None => None,
    };
    let base_classes: Option<Vec<String>> = base
        .as_ref()
        .filter(|_| inputs.classification)
        .and_then(|(scan, _)| {
            let counts = scan.profile.column(inputs.label?)?.categories()?;
            Some(counts.into_iter().map(|(class, _)| class).collect())
        });
    if let Some(key) = inputs.key
        && now.keys.is_none()
    {
        notes.push(format!(
            "`data.key = \"{key}\"` is not a column of the data: rows are matched by content"
        ));
    }
    let mut report = DataValidation {
        path: inputs.display.to_owned(),
        rows: now.profile.rows,
        columns: now.profile.columns.len(),
        base: None,
        checks: now.checks(base_classes.as_deref()),
        drift: Vec::new(),
        diff: None,
        notes,
    };
    if let Some((base, source)) = &mut base {
        report.base = Some(BaseData {
            source: (*source).to_owned(),
            rows: base.profile.rows,
        });
        let pairs = |config: &DriftConfig| match config.enabled {
            true => drift::pairs(
                config,
                &base.profile,
                &now.profile,
                inputs.label,
                inputs.key,
            ),
            false => Vec::new(),
        };
        report.drift =
            drift::measure_held(inputs.drift, inputs.held_drift, pairs, &mut report.notes);
        report.diff = Some(diff::diff(base, &mut now, inputs.key));
    }
    Ok(report)
}
