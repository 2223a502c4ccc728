//! Data validation (issue 10, in progress): a data contract checked on every row, the data
//! diff between the base's and the candidate's dataset, and drift per column, all from one
//! streaming pass per file.
//!
//! - [`cells`]: every column of a data file as typed cells, a chunk of rows at a time.
//! - [`sample`]: a column's distribution as the two-sample tests take it.

pub mod cells;
pub mod sample;
