//! One pass over a data file: every cell goes to its column's profile, every row to the row
//! hashes (duplicates, the diff) and, with a contract, to its checks.

use std::path::Path;

use super::cells::Chunk;
use super::contract::ContractChecker;
use super::hashes::{CellHasher, HashSample, cell_hash};
use super::profile::Profile;
use crate::config::SchemaConfig;
use crate::data::DataError;
use crate::report::DataCheck;

/// What to check while reading.
#[derive(Debug, Clone, Copy)]
pub struct PassSpec<'a> {
    pub schema: Option<&'a SchemaConfig>,
    /// A second contract the data must pass too (the base revision's, when the change altered
    /// it): its broken rules are added, marked as held.
    pub held_schema: Option<&'a SchemaConfig>,
    pub label: Option<&'a str>,
    /// `data.key`: rows are matched by it in the diff.
    pub key: Option<&'a str>,
    /// Entries each hash sample keeps before thinning ([`super::hashes::DEFAULT_CAP`]).
    pub cap: usize,
}

/// A row's content, first seen at `first`, seen `occurrences` times.
#[derive(Debug, Clone, Copy)]
pub struct RowSeen {
    pub first: u64,
    pub occurrences: u64,
}

/// A key's row: the hash of its content (the last one, if the key repeats).
#[derive(Debug, Clone, Copy)]
pub struct KeySeen {
    pub row_hash: u64,
}

/// What a pass found.
pub struct FileScan<'a> {
    pub profile: Profile,
    pub rows: HashSample<RowSeen>,
    /// With `data.key` (when the file has that column).
    pub keys: Option<HashSample<KeySeen>>,
    /// The contract's checks (and the held contract's), decided by [`FileScan::checks`].
    checker: Option<ContractChecker<'a>>,
    held: Option<ContractChecker<'a>>,
}

impl FileScan<'_> {
    /// The contract's checks, broken ones first (empty without a contract), once the base
    /// data's classes are known (`None`: no base data, or no classes to compare).
    pub fn checks(&mut self, base_classes: Option<&[String]>) -> Vec<DataCheck> {
        let duplicates = self.duplicates();
        let own = self.checker.take().map_or_else(Vec::new, |checker| {
            checker.finish(&self.profile, base_classes, duplicates)
        });
        match self.held.take() {
            Some(held) => {
                let held = held.finish(&self.profile, base_classes, duplicates);
                super::contract::hold(own, held)
            }
            None => own,
        }
    }

    /// Rows that repeat an earlier row, and whether the count is an estimate.
    pub fn duplicates(&self) -> (u64, bool) {
        let kept: u64 = self.rows.iter().map(|(_, r)| r.occurrences - 1).sum();
        (kept * self.rows.scale(), !self.rows.is_exact())
    }
}

/// Reads `path` to the end, or to its first malformed row.
pub fn scan_file<'a>(path: &Path, spec: &PassSpec<'a>) -> Result<FileScan<'a>, DataError> {
    let mut scanner = super::scan::open(path)?;
    let columns = scanner.columns().to_vec();
    let mut profile = Profile::new(&columns);
    let checker_for = |schema| ContractChecker::new(schema, &columns, spec.label, spec.cap);
    let mut checker = spec.schema.map(checker_for);
    let mut held = spec.held_schema.map(checker_for);
    let key = spec.key.and_then(|k| columns.iter().position(|c| c == k));
    let mut rows: HashSample<RowSeen> = HashSample::new(spec.cap);
    let mut keys: Option<HashSample<KeySeen>> = key.map(|_| HashSample::new(spec.cap));
    let mut chunk = Chunk::new(columns.len());
    loop {
        let more = scanner.fill(&mut chunk)?;
        for r in 0..chunk.len() {
            let at = chunk.at(r);
            let mut hasher = CellHasher::new();
            for (column, cell) in profile.profiles.iter_mut().zip(chunk.row(r)) {
                column.push(cell);
                hasher.push(cell);
            }
            let row_hash = hasher.finish();
            if let Some(seen) = rows.entry(row_hash, || RowSeen {
                first: at.row,
                occurrences: 0,
            }) {
                seen.occurrences += 1;
                if seen.occurrences > 1 {
                    for checker in checker.iter_mut().chain(held.iter_mut()) {
                        checker.duplicate(at, seen.first);
                    }
                }
            }
            if let (Some(k), Some(keys)) = (key, &mut keys)
                && let Some(seen) = keys.entry(cell_hash(chunk.cell(r, k)), || KeySeen { row_hash })
            {
                seen.row_hash = row_hash;
            }
            for checker in checker.iter_mut().chain(held.iter_mut()) {
                checker.observe(&chunk, r);
            }
        }
        profile.rows += chunk.len() as u64;
        if !more {
            break;
        }
    }
    Ok(FileScan {
        profile,
        rows,
        keys,
        checker,
        held,
    })
}
