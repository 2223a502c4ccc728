//! Data validation: a data contract checked on every row, the data diff between the base's
//! and the candidate's dataset, and drift per column, all from one streaming pass per file.
//!
//! - [`cells`]: every column of a data file as typed cells, a chunk of rows at a time.
//! - [`profile`]: what one pass keeps of a column (counts, moments, sketches): bounded
//!   memory, mergeable.
//! - [`stats`]: the two-sample tests and distances, on samples and histograms.
//! - [`drift`]: which test each column gets, and the verdict across columns.
//! - [`contract`]: the declared expectations, checked while the rows stream by.

pub mod cells;
pub mod sample;
