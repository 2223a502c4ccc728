//! Helpers of the GitHub integration tests (tests/github_*.rs).
#![allow(dead_code)] // each test file uses a different part

pub mod fake;
pub mod fixtures;
pub mod prism;
pub mod tools;
