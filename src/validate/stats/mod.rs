//! Two-sample tests of drift, each as scipy computes it (tests/fixtures/drift/generate.py
//! checks them against scipy on checked-in vectors):
//!
//! - [`ks`]: Kolmogorov–Smirnov, exact or asymptotic p-value.
//! - [`wasserstein`]: the earth mover's distance between two weighted samples.
//! - [`categorical`]: chi-squared test of homogeneity, the two-proportion z-test,
//!   Jensen–Shannon distance.
//! - [`psi`]: the population stability index, on numbers (reference deciles) or categories.
//! - [`fdr`]: Benjamini–Hochberg adjusted p-values.

pub mod categorical;
pub mod fdr;
pub mod ks;
pub mod psi;
pub mod wasserstein;

pub use categorical::{TestResult, chi2_two_sample, jensen_shannon, z_test_two_proportions};
pub use fdr::benjamini_hochberg;
pub use ks::{KsMethod, KsResult, ks_2samp};
pub use psi::{psi_categorical, psi_numeric};
pub use wasserstein::wasserstein_distance;
