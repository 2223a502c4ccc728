use std::path::{Path, PathBuf};

use super::suggest;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no {name} in {} or its parent directories up to {}; run `mlops-ci init` to write one from the \
         models and data in this repository, or pass -C DIR or --config FILE",
        dir.display(),
        searched_to.display(),
        name = super::CONFIG_FILE_NAME
    )]
    NotFound { dir: PathBuf, searched_to: PathBuf },

    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}:{}: unknown key `{}`{}{}\n  valid keys here: {}", .0.path.display(), .0.line, .0.name, in_table(&.0.table), did_you_mean(.0.suggestion.as_deref()), .0.valid)]
    UnknownKey(Box<UnknownName>),

    #[error("{}:{}: unknown metric `{}`{}\n  valid metrics for this suite: {}", .0.path.display(), .0.line, .0.name, did_you_mean(.0.suggestion.as_deref()), .0.valid)]
    UnknownMetric(Box<UnknownName>),

    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// A key or metric name that is not one of the valid ones, with what to write instead.
#[derive(Debug)]
pub struct UnknownName {
    pub path: PathBuf,
    pub line: usize,
    pub name: String,
    /// The `[table]` it appeared in (keys only).
    pub table: Option<String>,
    pub suggestion: Option<String>,
    pub valid: String,
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

fn in_table(table: &Option<String>) -> String {
    table
        .as_ref()
        .map(|t| format!(" in [{t}]"))
        .unwrap_or_default()
}

/// 1-based line number of a byte offset.
pub(super) fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Turns a toml/serde error into one that says where and what to write instead.
pub(super) fn from_toml(path: &Path, source: &str, err: &toml::de::Error) -> ConfigError {
    let line = err.span().map(|s| line_of(source, s.start)).unwrap_or(1);
    let message = err.message();
    // serde's wording for `deny_unknown_fields`: "unknown field `x`, expected one of `a`, `b`"
    // (or "expected `a`" with a single choice).
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, expected)) = rest.split_once('`')
    {
        let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return ConfigError::UnknownKey(Box::new(UnknownName {
            path: path.to_path_buf(),
            line,
            name: key.to_owned(),
            table: enclosing_table(source, err.span().map_or(0, |s| s.start)),
            suggestion: suggest::nearest(key, valid.iter().copied()).map(str::to_owned),
            valid: valid.join(", "),
        }));
    }
    let message = message
        .trim_end()
        .replace("unknown variant", "unknown value")
        .replace("variant", "value");
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The `[table]` header in force at `offset`, for messages. An unknown key in a header
/// itself (`[suite.io.inputs]` where `io` has no `inputs`) is cut at `offset`: its table is
/// the part before it (`suite.io`).
fn enclosing_table(source: &str, offset: usize) -> Option<String> {
    source[..offset.min(source.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .trim_end_matches('.')
                .trim_end()
                .to_owned()
        })
}
