//! `mlops-ci detect` output: text for people, JSON for scripts, step outputs for GitHub.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use super::{DetectError, Detection};

/// Text: the base, then each affected suite with its reasons; one line when nothing is.
pub fn render_text(detection: &Detection) -> String {
    if detection.affected.is_empty() {
        return format!("{}\n", detection.nothing_line());
    }
    let mut out = String::new();
    if let Some(base) = &detection.base {
        let _ = writeln!(out, "base: {}", base.how);
    }
    let total = detection.affected.len() + detection.unaffected.len();
    let _ = writeln!(
        out,
        "{} of {total} suite(s) affected ({} changed file(s) looked at)",
        detection.affected.len(),
        detection.changed_files
    );
    let width = detection
        .affected
        .iter()
        .map(|s| s.name.len())
        .chain(detection.unaffected.iter().map(String::len))
        .max()
        .unwrap_or(0);
    for suite in &detection.affected {
        for (i, reason) in suite.reasons.iter().enumerate() {
            let name = if i == 0 { suite.name.as_str() } else { "" };
            let _ = writeln!(out, "  {name:width$}  {}", reason.message);
        }
    }
    for name in &detection.unaffected {
        let _ = writeln!(out, "  {name:width$}  not affected");
    }
    out
}

#[derive(Serialize)]
struct JsonOut<'a> {
    /// The affected suite names: what a job matrix takes.
    suites: Vec<&'a str>,
    any: bool,
    #[serde(flatten)]
    detection: &'a Detection,
}

pub fn render_json(detection: &Detection) -> String {
    let out = JsonOut {
        suites: detection.names(),
        any: !detection.affected.is_empty(),
        detection,
    };
    // Serialising plain strings, numbers and enums cannot fail.
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

/// The step outputs: `suites` (a JSON array, for `fromJSON` in a job matrix) and `any`.
pub fn github_output(detection: &Detection) -> String {
    let names = serde_json::to_string(&detection.names()).unwrap_or_else(|_| "[]".to_owned());
    format!("suites={names}\nany={}\n", !detection.affected.is_empty())
}

/// Appends the step outputs to the file GitHub Actions names in `$GITHUB_OUTPUT`.
pub fn write_github_output(detection: &Detection) -> Result<(), DetectError> {
    let path = std::env::var_os("GITHUB_OUTPUT")
        .filter(|p| !p.is_empty())
        .ok_or(DetectError::NoGithubOutput)?;
    let display = path.to_string_lossy().into_owned();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| DetectError::GithubOutput {
            path: display.clone(),
            source,
        })?;
    file.write_all(github_output(detection).as_bytes())
        .map_err(|source| DetectError::GithubOutput {
            path: display,
            source,
        })
}
