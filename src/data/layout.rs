//! A [`ReadPlan`] as the readers use it: the distinct columns to read, where each feed's
//! columns are among them, and the per-column counts of non-finite and missing values.

use super::convert::{self, Found, Problem};
use super::non_finite::NonFinite;
use super::{Feed, FeedValues, ReadPlan, Schema};

pub struct Layout {
    pub feeds: Vec<Feed>,
    /// Distinct columns in use, as indices into the schema's columns, in order of first use.
    pub columns: Vec<usize>,
    /// For each feed, the positions of its columns in `columns`.
    pub positions: Vec<Vec<usize>>,
    /// Names of `columns`, then the label's.
    pub names: Vec<String>,
    /// Indexed like `names`.
    pub stats: NonFinite,
}

impl Layout {
    pub fn new(plan: &ReadPlan, schema: &Schema) -> Layout {
        let columns = plan.columns();
        let positions = plan
            .feeds
            .iter()
            .map(|f| {
                f.columns
                    .iter()
                    .map(|c| columns.iter().position(|u| u == c).unwrap_or(0))
                    .collect()
            })
            .collect();
        let mut names: Vec<String> = columns
            .iter()
            .map(|&c| schema.columns.get(c).cloned().unwrap_or_default())
            .collect();
        names.push(schema.label.clone());
        Layout {
            feeds: plan.feeds.clone(),
            stats: NonFinite::new(names.len()),
            columns,
            positions,
            names,
        }
    }

    /// Position of the label in `names` and `stats`.
    pub fn label(&self) -> usize {
        self.columns.len()
    }

    /// Empty buffers for a batch of up to `rows` rows.
    pub fn buffers(&self, rows: usize) -> Vec<FeedValues> {
        self.feeds
            .iter()
            .map(|f| FeedValues::with_capacity(f.dtype, rows * f.columns.len()))
            .collect()
    }

    /// The message for a value at `position` (in `columns`) that feed `feed` cannot take.
    pub fn message(&self, feed: usize, position: usize, found: &Found, problem: Problem) -> String {
        convert::message(&self.names[position], found, &self.feeds[feed], problem)
    }

    /// What the report should say about non-finite and missing values.
    pub fn notes(&self, file: &str, unit: &str) -> Vec<String> {
        self.stats.notes(&self.names, file, unit)
    }
}
