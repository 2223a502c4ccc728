//! `[suite.data.schema]` (the data contract) and `[suite.drift]`: what a suite's data must
//! look like, and how far it may move from the base revision's data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};

/// What a broken data rule does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown in the report and annotated; the suite still passes.
    Warn,
    /// Fails the suite, like a metric gate.
    Fail,
}

/// For the checks a contract may also switch off: extra columns, new or vanished classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    Allow,
    Warn,
    Fail,
}

impl Policy {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Policy::Allow => None,
            Policy::Warn => Some(Severity::Warn),
            Policy::Fail => Some(Severity::Fail),
        }
    }
}

/// `[suite.data.schema]`: the data contract, checked on every row of the suite's data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaConfig {
    /// Severity of every rule that does not set its own.
    #[serde(default = "fail")]
    pub severity: Severity,
    pub min_rows: Option<u64>,
    pub max_rows: Option<u64>,
    /// Rows that repeat an earlier row exactly, at most.
    pub max_duplicate_rows: Option<u64>,
    /// Columns the contract does not name.
    #[serde(default = "warn_policy")]
    pub extra_columns: Policy,
    /// Label values the base revision's data never had.
    #[serde(default = "fail_policy")]
    pub new_classes: Policy,
    /// Label values of the base revision's data that are gone.
    #[serde(default = "warn_policy")]
    pub vanished_classes: Policy,
    /// `[suite.data.schema.columns.NAME]`.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnRule>,
}

fn fail() -> Severity {
    Severity::Fail
}

fn warn_policy() -> Policy {
    Policy::Warn
}

fn fail_policy() -> Policy {
    Policy::Fail
}

/// The type a column's cells must have. `float` takes integers too; `string` takes anything
/// but a missing cell (a CSV cannot tell `"12"` from `12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Int,
    Float,
    String,
    Bool,
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColumnType::Int => "int",
            ColumnType::Float => "float",
            ColumnType::String => "string",
            ColumnType::Bool => "bool",
        })
    }
}

/// `[suite.data.schema.columns.NAME]`: the rules of one column.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    /// The column must be present (default true).
    pub required: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<ColumnType>,
    /// `false`: no cell may be missing.
    pub nullable: Option<bool>,
    /// Missing cells, at most this share of the rows (0 to 1).
    pub max_null_share: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The only values allowed (strings, numbers or booleans, compared as written).
    pub allowed: Option<Vec<toml::Value>>,
    /// No value may repeat.
    #[serde(default)]
    pub unique: bool,
    /// Every string value must match this regular expression (anchor it with `^...$` for a
    /// whole-value match).
    pub regex: Option<String>,
    pub severity: Option<Severity>,
}

impl ColumnRule {
    /// `allowed` as the canonical text cells are compared with (`1.0` and `1` are the same).
    pub fn allowed_text(&self) -> Option<Vec<String>> {
        self.allowed.as_ref().map(|values| {
            values
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => crate::data::canonical_label(&other.to_string()),
                })
                .collect()
        })
    }
}

/// The tests drift is measured with. `auto` chooses by data size as Evidently does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    Auto,
    /// Two-sample Kolmogorov–Smirnov (numeric): p-value.
    Ks,
    /// Wasserstein distance over the reference's standard deviation (numeric).
    Wasserstein,
    /// Population stability index on the reference's deciles (numeric) or categories.
    Psi,
    /// Chi-squared test of homogeneity (categorical): p-value.
    Chi2,
    /// Two-proportion z-test (two categories): p-value.
    Z,
    /// Jensen–Shannon distance (categorical, natural log).
    JensenShannon,
}

impl DriftTest {
    /// Whether the test gives a p-value (drift below the threshold) rather than a distance
    /// (drift at or above it).
    pub fn is_p_value(self) -> bool {
        matches!(self, DriftTest::Ks | DriftTest::Chi2 | DriftTest::Z)
    }

    /// The threshold used when none is configured: Evidently's.
    pub fn default_threshold(self) -> f64 {
        match self {
            DriftTest::Psi => 0.1,
            _ if self.is_p_value() => 0.05,
            _ => 0.1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DriftTest::Auto => "auto",
            DriftTest::Ks => "ks",
            DriftTest::Wasserstein => "wasserstein",
            DriftTest::Psi => "psi",
            DriftTest::Chi2 => "chi2",
            DriftTest::Z => "z",
            DriftTest::JensenShannon => "jensen_shannon",
        }
    }
}

/// `[suite.drift]`: drift of each column between the base revision's data and the current
/// data, of the label, and of the two models' predictions on the same data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    /// On by default, at `warn`: drift is shown, and fails only when asked to.
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "warn")]
    pub severity: Severity,
    #[serde(default = "auto")]
    pub test: DriftTest,
    /// p-value below which (or distance at or above which) a column has drifted; default:
    /// the test's own (0.05 for p-values, 0.1 for distances and PSI).
    pub threshold: Option<f64>,
    /// Benjamini–Hochberg across the p-value tests of a suite, so that many columns do not
    /// give many false alarms.
    #[serde(default = "yes")]
    pub fdr: bool,
    /// Columns to test; default: every column.
    pub include: Option<Vec<String>>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Drift of the label column (default true).
    #[serde(default = "yes")]
    pub label: bool,
    /// Drift between the baseline's and the candidate's predictions on the same data.
    #[serde(default = "yes")]
    pub predictions: bool,
    /// `[suite.drift.columns.NAME]`: per-column overrides.
    #[serde(default)]
    pub columns: BTreeMap<String, DriftOverride>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            enabled: true,
            severity: Severity::Warn,
            test: DriftTest::Auto,
            threshold: None,
            fdr: true,
            include: None,
            exclude: Vec::new(),
            label: true,
            predictions: true,
            columns: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

fn warn() -> Severity {
    Severity::Warn
}

fn auto() -> DriftTest {
    DriftTest::Auto
}

/// `[suite.drift.columns.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftOverride {
    pub enabled: Option<bool>,
    pub test: Option<DriftTest>,
    pub threshold: Option<f64>,
    pub severity: Option<Severity>,
}

/// The most rows a bound or count may name: beyond it, surely a typo.
const MAX_ROWS_BOUND: u64 = 1 << 48;

impl Config {
    /// Values in the contract and drift settings that cannot mean anything are refused at
    /// load, with the line: a regex that does not compile, a floor above its ceiling, a share
    /// outside 0..1, a threshold that no test could reach.
    pub(super) fn check_validation(&self) -> Result<(), ConfigError> {
        for suite in &self.suites {
            let invalid = |key: &str, message: String| ConfigError::Invalid {
                path: self.path.clone(),
                line: self.table_line(key),
                message: format!("suite `{}`: {message}", suite.name()),
            };
            if let Some(schema) = &suite.data.schema {
                if let (Some(min), Some(max)) = (schema.min_rows, schema.max_rows)
                    && min > max
                {
                    return Err(invalid(
                        "min_rows",
                        format!(
                            "`min_rows = {min}` is above `max_rows = {max}`: no dataset could pass"
                        ),
                    ));
                }
                for bound in [schema.min_rows, schema.max_rows, schema.max_duplicate_rows]
                    .into_iter()
                    .flatten()
                {
                    if bound > MAX_ROWS_BOUND {
                        return Err(invalid(
                            "[suite.data.schema]",
                            format!("a row bound of {bound} is beyond any dataset; is it a typo?"),
                        ));
                    }
                }
                for (name, rule) in &schema.columns {
                    let table = format!("columns.{name}]");
                    let column_invalid =
                        |message: String| invalid(&table, format!("column `{name}`: {message}"));
                    check_column(rule).map_err(column_invalid)?;
                }
            }
            let drift = &suite.drift;
            let thresholds = std::iter::once((drift.test, drift.threshold)).chain(
                drift
                    .columns
                    .values()
                    .map(|o| (o.test.unwrap_or(drift.test), o.threshold)),
            );
            for (test, threshold) in thresholds {
                // `auto` may choose a p-value test: its threshold must be one too.
                let p_value = test.is_p_value() || test == DriftTest::Auto;
                if let Some(t) = threshold
                    && !(t.is_finite() && t > 0.0 && (!p_value || t < 1.0))
                {
                    return Err(invalid(
                        "threshold",
                        format!(
                            "drift `threshold = {t}` for the `{}` test must be a number above 0{}",
                            test.name(),
                            if p_value {
                                " and below 1 (a p-value)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The line of the first occurrence of `needle` (a key or a table header).
    fn table_line(&self, needle: &str) -> usize {
        self.line_of(self.source.find(needle).unwrap_or(0))
    }
}

fn check_column(rule: &ColumnRule) -> Result<(), String> {
    for (key, value) in [("min", rule.min), ("max", rule.max)] {
        if let Some(v) = value.filter(|v| !v.is_finite()) {
            return Err(format!("`{key} = {v}` must be a finite number"));
        }
    }
    if let (Some(min), Some(max)) = (rule.min, rule.max)
        && min > max
    {
        return Err(format!(
            "`min = {min}` is above `max = {max}`: no value could pass"
        ));
    }
    if let Some(share) = rule.max_null_share
        && !(0.0..=1.0).contains(&share)
    {
        return Err(format!(
            "`max_null_share = {share}` is a share of the rows: give 0 to 1 (0.01 is 1%)"
        ));
    }
    if let Some(pattern) = &rule.regex {
        regex::Regex::new(pattern).map_err(|e| format!("`regex` does not compile: {e}"))?;
    }
    if let Some(values) = &rule.allowed
        && let Some(bad) = values.iter().find(|v| {
            !matches!(
                v,
                toml::Value::String(_)
                    | toml::Value::Integer(_)
                    | toml::Value::Float(_)
                    | toml::Value::Boolean(_)
            )
        })
    {
        return Err(format!(
            "`allowed` takes strings, numbers or booleans, not `{bad}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    const SUITE: &str = "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"y\"\n";

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse(
            Path::new("mlops-ci.toml"),
            PathBuf::from("."),
            format!("{SUITE}{extra}"),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_contract_and_drift_settings_parse_with_their_defaults() {
        let config = parse(
            "[suite.data.schema]\nmin_rows = 10\n[suite.data.schema.columns.x]\ntype = \"float\"\nnullable = false\nallowed = [1, 2.5, \"a\", true]\n[suite.drift.columns.x]\ntest = \"psi\"\n",
        )
        .unwrap();
        let suite = &config.suites[0];
        let schema = suite.data.schema.as_ref().unwrap();
        assert_eq!(schema.severity, Severity::Fail);
        assert_eq!(schema.extra_columns, Policy::Warn);
        let x = &schema.columns["x"];
        assert_eq!(x.kind, Some(ColumnType::Float));
        assert_eq!(x.allowed_text().unwrap(), ["1", "2.5", "a", "true"]);
        assert!(suite.drift.enabled && suite.drift.fdr);
        assert_eq!(suite.drift.severity, Severity::Warn);
        assert_eq!(suite.drift.columns["x"].test, Some(DriftTest::Psi));
        assert!(parse("").unwrap().suites[0].data.schema.is_none());
    }

    #[test]
    fn meaningless_rules_are_refused_with_their_line() {
        for (extra, wanted) in [
            (
                "[suite.data.schema]\nmin_rows = 9\nmax_rows = 3\n",
                "no dataset could pass",
            ),
            (
                "[suite.data.schema.columns.x]\nmin = 2\nmax = 1\n",
                "no value could pass",
            ),
            (
                "[suite.data.schema.columns.x]\nmax_null_share = 5\n",
                "give 0 to 1",
            ),
            (
                "[suite.data.schema.columns.x]\nregex = \"([a-z\"\n",
                "does not compile",
            ),
            (
                "[suite.data.schema.columns.x]\nallowed = [[1]]\n",
                "strings, numbers or booleans",
            ),
            ("[suite.drift]\nthreshold = 1.5\n", "below 1 (a p-value)"),
            (
                "[suite.drift.columns.x]\ntest = \"wasserstein\"\nthreshold = -1\n",
                "above 0",
            ),
            (
                "[suite.data.schema.columns.x]\nnulable = false\n",
                "did you mean `nullable`",
            ),
        ] {
            let error = parse(extra).unwrap_err();
            assert!(error.contains(wanted), "{extra}: {error}");
            assert!(error.contains("mlops-ci.toml:"), "{error}");
        }
        // A distance may be above 1 (Wasserstein over the std is not bounded).
        assert!(parse("[suite.drift]\ntest = \"wasserstein\"\nthreshold = 1.5\n").is_ok());
    }
}
