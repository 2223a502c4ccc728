//! Shared helpers for the detect and hook tests.
#![allow(dead_code)]

pub mod repo;
