//! mlops-ci: evaluate a candidate ONNX model against its baseline on the same data, compare
//! the metrics, decide the gates and report. See README.md for the user's view and
//! DESIGN.md's "one direction of flow" for how the modules fit.

pub mod app;
pub mod cli;
pub mod compare;
pub mod config;
pub mod data;
pub mod detect;
pub mod dvc;
pub mod error;
pub mod eval;
pub mod git;
pub mod hook;
pub mod init;
pub mod input_file;
pub mod lfs;
pub mod metrics;
pub mod model;
pub mod publish;
pub mod report;
pub mod runtime;
pub mod validate;
