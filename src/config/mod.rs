//! `mlops-ci.toml`: the user's configuration, parsed and validated.
//!
//! Parsing is strict (`deny_unknown_fields` everywhere): a misspelt key silently ignored would
//! mean a gate silently not enforced. Every error names the file, the line and, for a wrong
//! key or metric name, the nearest valid one.

mod checks;
mod error;
mod hook;
mod suggest;
mod validation;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use checks::{MAX_BATCH_SIZE, MAX_THREADS};
pub use error::ConfigError;
pub use hook::{HookConfig, HookMode, OnFailure};
pub use suggest::nearest as nearest_name;
pub use validation::{
    ColumnRule, ColumnType, DriftConfig, DriftOverride, DriftTest, Policy, SchemaConfig, Severity,
};

use crate::metrics::MetricId;

/// The file name looked for in the directory given by `-C` (or the current one) and its parents.
pub const CONFIG_FILE_NAME: &str = "mlops-ci.toml";

/// The `mlops-ci.toml` nearest to `dir`: in `dir` itself, else in the closest parent, searching
/// no higher than the repository root (the first directory holding `.git`). Found in `dir`, the
/// path stays as given (`dir/mlops-ci.toml`); found higher up, it is absolute.
pub fn find_config_file(dir: &Path) -> Result<PathBuf, ConfigError> {
    let here = dir.join(CONFIG_FILE_NAME);
    if here.is_file() {
        return Ok(here);
    }
    let start = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut searched_to = start.clone();
    for ancestor in start.ancestors() {
        let candidate = ancestor.join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched_to = ancestor.to_path_buf();
        if ancestor.join(".git").exists() {
            break;
        }
    }
    Err(ConfigError::NotFound {
        dir: dir.to_path_buf(),
        searched_to,
    })
}

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The directory relative paths in the file are resolved against.
    pub root: PathBuf,
    /// The file's text, kept to turn byte spans into line numbers and for change detection.
    pub source: String,
    pub baseline: BaselineConfig,
    pub runtime: RuntimeConfig,
    pub statistics: StatisticsConfig,
    pub suites: Vec<SuiteConfig>,
    /// `[hook]`: which pushes a failing check refuses.
    pub hook: HookConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    /// Git revision of the baseline; `None` means "work it out" (PR base, merge-base...).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// A fixed baseline model file instead of a git revision.
    pub path: Option<PathBuf>,
    /// When a suite's data file differs at the base revision.
    #[serde(default)]
    pub data_change: DataChangePolicy,
}

/// What a changed data file does to the verdict. Both models are always evaluated on the
/// base's data too, and the report shows old-data and new-data numbers side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataChangePolicy {
    /// The relative gates (`max_regression*`) must also pass on the base's data: a new test
    /// set cannot hide a regression on the one it replaces.
    #[default]
    GateOldData,
    /// Show the numbers only; gates look at the new data alone.
    Report,
}

impl std::fmt::Display for DataChangePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DataChangePolicy::GateOldData => "gate-old-data",
            DataChangePolicy::Report => "report",
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    pub device: Device,
    /// Intra-op threads for ONNX Runtime; 0 lets it use every core.
    pub threads: usize,
    pub batch_size: usize,
    /// Memory budget for data held whole (NumPy arrays: rows × columns × 8 bytes), in MiB;
    /// a file declaring more is refused before anything is allocated.
    pub max_memory_mb: u64,
    /// Paired (candidate, baseline) timed runs wanted for the latency comparison; when the
    /// data has fewer batches, its first batches are run again until this many pairs ran.
    pub timing_runs: usize,
    /// Wall-clock cap on those extra timing runs, in milliseconds.
    pub timing_budget_ms: u64,
}

/// Default of `runtime.max_memory_mb`.
pub const DEFAULT_MAX_MEMORY_MB: u64 = 4096;

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            device: Device::Auto,
            threads: 0,
            batch_size: 256,
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
            timing_runs: 200,
            timing_budget_ms: 2000,
        }
    }
}

/// `[statistics]`: the paired bootstrap behind every delta's confidence interval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatisticsConfig {
    /// Bootstrap resamples; 0 turns the statistics off.
    pub resamples: usize,
    /// Seed of the resampling: the same inputs and seed give the same intervals.
    pub seed: u64,
    /// Two-sided level of the intervals shown and of "within noise" (gates set their own).
    pub confidence: f64,
}

impl Default for StatisticsConfig {
    fn default() -> Self {
        let defaults = crate::compare::bootstrap::BootstrapSettings::default();
        Self {
            resamples: defaults.resamples,
            seed: defaults.seed,
            confidence: defaults.level,
        }
    }
}

/// Where inference runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// CUDA when its provider really initialises, else the CPU; the report says which and why.
    #[default]
    Auto,
    Cpu,
    Cuda,
    Tensorrt,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Auto => "auto",
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
            Device::Tensorrt => "tensorrt",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Classification,
    Regression,
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteConfig {
    pub name: Spanned<String>,
    pub model: PathBuf,
    pub task: Task,
    /// Extra paths (gitignore-like globs) whose change triggers this suite.
    #[serde(default)]
    pub watch: Vec<String>,
    pub data: DataConfig,
    #[serde(default)]
    pub io: IoConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default, rename = "gate")]
    pub gates: Vec<GateConfig>,
    /// `[suite.model_checks]`: what the candidate model may change against the baseline.
    #[serde(default)]
    pub model_checks: ModelChecks,
    /// `[suite.drift]`: drift against the base revision's data (on by default, at `warn`).
    #[serde(default)]
    pub drift: DriftConfig,
}

/// `[suite.model_checks]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelChecks {
    /// Accept breaking signature changes (a removed or renamed input/output, another dtype, a
    /// narrowed dimension) instead of failing the suite.
    #[serde(default)]
    pub allow_breaking: bool,
    /// Custom operator domains the runner's ONNX Runtime is known to provide.
    #[serde(default)]
    pub allow_custom_domains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub path: PathBuf,
    /// Ground-truth column (CSV) or array name (NPZ; default `y`).
    pub label: Option<String>,
    /// Feature columns in the order the model expects; default: every column but the label
    /// and `exclude`.
    pub features: Option<Vec<String>>,
    /// Columns left out of the default feature list (an id column, a timestamp).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// A column identifying each row, so the data diff can tell changed rows from added and
    /// removed ones (without it, rows are matched by content).
    pub key: Option<String>,
    /// `[suite.data.schema]`: the data contract.
    pub schema: Option<SchemaConfig>,
}

/// Which model inputs and outputs to use, when the signature alone is ambiguous.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoConfig {
    pub input: Option<String>,
    pub label_output: Option<String>,
    /// An `[N, C]` tensor or a ZipMap `seq(map)` output.
    pub probability_output: Option<String>,
    /// Regression: the prediction output.
    pub output: Option<String>,
    /// Class labels in the order of the probability/score columns, when the model does not
    /// say (a network emitting bare scores, or a tensor of probabilities).
    pub classes: Option<Vec<String>>,
    /// `[suite.io.inputs]`: model input name → the data column (or columns, for an `[N, F]`
    /// input) it takes, when the names differ.
    #[serde(default)]
    pub inputs: std::collections::BTreeMap<String, InputColumns>,
    /// What the score output holds, when its graph does not say (see `model::score_meaning`).
    pub scores: Option<ScoreMeaning>,
}

/// The data column(s) one model input takes: `"x 1"` or `["a", "b"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputColumns(pub Vec<String>);

impl<'de> Deserialize<'de> for InputColumns {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Columns;
        impl<'de> serde::de::Visitor<'de> for Columns {
            type Value = InputColumns;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a column name, or an array of column names for an [N, F] input")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<InputColumns, E> {
                Ok(InputColumns(vec![v.to_owned()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<InputColumns, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                if names.is_empty() {
                    return Err(serde::de::Error::custom(
                        "an input needs at least one column",
                    ));
                }
                Ok(InputColumns(names))
            }
        }
        d.deserialize_any(Columns)
    }
}

/// `io.scores`: whether a classifier's score output holds probabilities or raw scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreMeaning {
    /// Per-class probabilities: used as they are (clipped to [0, 1]).
    Probabilities,
    /// Raw scores (logits, decision values): softmax turns them into probabilities.
    Logits,
}

impl std::fmt::Display for ScoreMeaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScoreMeaning::Probabilities => "probabilities",
            ScoreMeaning::Logits => "logits",
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Metrics to compute and report; default: the task's standard set.
    pub include: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub metric: Spanned<String>,
    /// Absolute floor.
    pub min: Option<f64>,
    /// Absolute ceiling.
    pub max: Option<f64>,
    /// Worse than the baseline by at most this much, in the metric's own unit.
    pub max_regression: Option<f64>,
    /// Worse than the baseline by at most this % of the baseline value.
    pub max_regression_pct: Option<f64>,
    /// Fail only when the rule is broken with this confidence (0.5 < c < 1), judged on the
    /// paired bootstrap; without it the measured value decides.
    pub confidence: Option<f64>,
}

/// The metric a gate names, resolved; the line is kept for annotations and messages.
#[derive(Debug, Clone)]
pub struct GateSpec {
    pub metric: MetricId,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub max_regression: Option<f64>,
    pub max_regression_pct: Option<f64>,
    pub confidence: Option<f64>,
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    baseline: BaselineConfig,
    #[serde(default)]
    runtime: RuntimeConfig,
    #[serde(default)]
    statistics: StatisticsConfig,
    #[serde(default, rename = "suite")]
    suites: Vec<SuiteConfig>,
    #[serde(default)]
    hook: HookConfig,
}

impl Config {
    /// Finds `mlops-ci.toml` in `dir` or, like git, in its parents up to the root of the
    /// repository `dir` is in, and loads it. Relative paths in the file stay relative to the
    /// directory it was found in.
    pub fn discover(dir: &Path) -> Result<Self, ConfigError> {
        Self::load(&find_config_file(dir)?)
    }

    /// Loads and validates the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        if path.is_dir() {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(format!(
                    "it is a directory; give the config file itself (e.g. {}) or use -C DIR",
                    path.join(CONFIG_FILE_NAME).display()
                )),
            });
        }
        // A FIFO given as --config would block forever: only a regular file is read.
        let source = crate::input_file::read_regular(path)
            .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
            .map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::parse(path, root, source)
    }

    /// Parses configuration text; `path` is only used in messages.
    pub fn parse(path: &Path, root: PathBuf, source: String) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            toml::from_str(&source).map_err(|e| error::from_toml(path, &source, &e))?;
        let config = Config {
            path: path.to_path_buf(),
            root,
            baseline: raw.baseline,
            runtime: raw.runtime,
            statistics: raw.statistics,
            suites: raw.suites,
            hook: raw.hook,
            source,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |span: std::ops::Range<usize>, message: String| ConfigError::Invalid {
            path: self.path.clone(),
            line: self.line_of(span.start),
            message,
        };
        if self.suites.is_empty() {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                line: 1,
                message: "no suite is defined; add a `[[suite]]` table with `name`, `model`, `task` and `[suite.data]`".into(),
            });
        }
        self.check_runtime()?;
        self.check_data_keys()?;
        if self.baseline.git_ref.is_some() && self.baseline.path.is_some() {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                line: self.line_of(self.source.find("[baseline]").unwrap_or(0)),
                message: "`baseline.ref` and `baseline.path` exclude each other: compare with a git revision or with a fixed file, not both".into(),
            });
        }
        let confidence = self.statistics.confidence;
        if !(confidence > 0.5 && confidence < 1.0) {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                line: self.line_of(self.source.find("[statistics]").unwrap_or(0)),
                message: format!(
                    "`statistics.confidence = {confidence}` must lie between 0.5 and 1 (exclusive), e.g. 0.95"
                ),
            });
        }
        if self.statistics.resamples > 100_000 {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                line: self.line_of(self.source.find("[statistics]").unwrap_or(0)),
                message: format!(
                    "`statistics.resamples = {}` is more than 100000; 2000 (the default) gives stable 95% intervals",
                    self.statistics.resamples
                ),
            });
        }
        if let Some((pattern, e)) = self.hook.invalid_pattern() {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                line: self.line_of(self.source.find("[hook]").unwrap_or(0)),
                message: format!("`hook.block` pattern `{pattern}` is not a valid glob: {e}"),
            });
        }
        for (i, suite) in self.suites.iter().enumerate() {
            let name = suite.name.get_ref();
            if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/') {
                return Err(invalid(
                    suite.name.span(),
                    format!(
                        "suite name `{name}` must be non-empty, without spaces or `/` (it names report sections and check runs)"
                    ),
                ));
            }
            if let Some(prev) = self.suites[..i].iter().find(|s| s.name.get_ref() == name) {
                return Err(invalid(
                    suite.name.span(),
                    format!(
                        "suite `{name}` is defined twice (first on line {})",
                        self.line_of(prev.name.span().start)
                    ),
                ));
            }
            for metric in suite.metrics.include.iter().flatten() {
                self.resolve_metric(metric, suite.task)?;
            }
            for gate in &suite.gates {
                let id = self.resolve_metric(&gate.metric, suite.task)?;
                let rules = [
                    gate.min,
                    gate.max,
                    gate.max_regression,
                    gate.max_regression_pct,
                ];
                if rules.iter().all(Option::is_none) {
                    return Err(invalid(
                        gate.metric.span(),
                        format!(
                            "the gate on `{}` has no rule; give at least one of `min`, `max`, `max_regression`, `max_regression_pct`",
                            id.name()
                        ),
                    ));
                }
                if let Some(c) = gate.confidence
                    && !(c > 0.5 && c < 1.0)
                {
                    return Err(invalid(
                        gate.metric.span(),
                        format!(
                            "the gate on `{}` has `confidence = {c}`; it must lie between 0.5 and 1 (exclusive), e.g. 0.95",
                            id.name()
                        ),
                    ));
                }
                if let Some(bad) = [gate.max_regression, gate.max_regression_pct]
                    .into_iter()
                    .flatten()
                    .find(|v| *v < 0.0 || !v.is_finite())
                {
                    return Err(invalid(
                        gate.metric.span(),
                        format!(
                            "the gate on `{}` allows a regression of {bad}; it must be a finite number >= 0",
                            id.name()
                        ),
                    ));
                }
            }
        }
        self.check_gate_thresholds()?;
        self.check_validation()?;
        self.check_watch_globs()?;
        Ok(())
    }

    fn resolve_metric(&self, name: &Spanned<String>, task: Task) -> Result<MetricId, ConfigError> {
        let line = self.line_of(name.span().start);
        match MetricId::from_name(name.get_ref()) {
            Some(id) if id.applies_to(task) => Ok(id),
            Some(id) => Err(ConfigError::Invalid {
                path: self.path.clone(),
                line,
                message: format!("metric `{}` does not apply to {task} suites", id.name()),
            }),
            None => {
                let names: Vec<&str> = MetricId::ALL
                    .iter()
                    .filter(|m| m.applies_to(task))
                    .map(|m| m.name())
                    .collect();
                Err(ConfigError::UnknownMetric(Box::new(error::UnknownName {
                    path: self.path.clone(),
                    line,
                    name: name.get_ref().clone(),
                    table: None,
                    suggestion: suggest::nearest(name.get_ref(), names.iter().copied())
                        .map(str::to_owned),
                    valid: names.join(", "),
                })))
            }
        }
    }

    /// 1-based line of a byte offset into the configuration text.
    pub fn line_of(&self, offset: usize) -> usize {
        error::line_of(&self.source, offset)
    }

    /// Resolves a path from the configuration against its directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    pub fn suite(&self, name: &str) -> Option<&SuiteConfig> {
        self.suites.iter().find(|s| s.name.get_ref() == name)
    }
}

impl SuiteConfig {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// The gates with their metric resolved (validated at load, so this cannot fail).
    pub fn gate_specs(&self, config: &Config) -> Vec<GateSpec> {
        self.gates
            .iter()
            .filter_map(|g| {
                Some(GateSpec {
                    metric: MetricId::from_name(g.metric.get_ref())?,
                    min: g.min,
                    max: g.max,
                    max_regression: g.max_regression,
                    max_regression_pct: g.max_regression_pct,
                    confidence: g.confidence,
                    line: config.line_of(g.metric.span().start),
                })
            })
            .collect()
    }

    /// The metrics to compute: the configured list, or the task's standard set; gated metrics
    /// are always included so that no gate refers to a metric left out.
    pub fn metric_ids(&self) -> Vec<MetricId> {
        let mut ids: Vec<MetricId> = match &self.metrics.include {
            Some(list) => list
                .iter()
                .filter_map(|m| MetricId::from_name(m.get_ref()))
                .collect(),
            None => MetricId::ALL
                .iter()
                .copied()
                .filter(|m| m.applies_to(self.task) && m.is_default())
                .collect(),
        };
        for gate in &self.gates {
            if let Some(id) = MetricId::from_name(gate.metric.get_ref())
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            Path::new("mlops-ci.toml"),
            PathBuf::from("."),
            text.to_owned(),
        )
    }

    const SUITE: &str = "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"y\"\n";

    #[test]
    fn defaults_and_gated_metrics_are_included() {
        let config = parse(&format!(
            "{SUITE}[[suite.gate]]\nmetric = \"precision_weighted\"\nmin = 0.5\n"
        ))
        .unwrap();
        assert_eq!(config.runtime.batch_size, 256);
        assert_eq!(config.runtime.device, Device::Auto);
        let ids = config.suites[0].metric_ids();
        assert!(ids.contains(&MetricId::Accuracy) && ids.contains(&MetricId::PrecisionWeighted));
        assert_eq!(config.suites[0].gate_specs(&config)[0].line, 9);
    }

    #[test]
    fn wrong_type_names_the_line() {
        let err = parse(&format!("[runtime]\nbatch_size = \"big\"\n{SUITE}"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("mlops-ci.toml:2:"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn unknown_top_level_key_is_suggested() {
        let err = parse(&format!("[baseline]\nreff = \"main\"\n{SUITE}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":2: unknown key `reff` in [baseline]; did you mean `ref`?"),
            "{err}"
        );
    }

    /// An unknown sub-table is an unknown key of the table above it.
    #[test]
    fn an_unknown_sub_table_names_its_parent() {
        let err = parse(&format!("{SUITE}[suite.io.outputs]\nx = \"y\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":8: unknown key `outputs` in [suite.io];"),
            "{err}"
        );
    }

    #[test]
    fn gates_need_a_rule_and_suites_unique_names() {
        let err = parse(&format!("{SUITE}[[suite.gate]]\nmetric = \"accuracy\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":9: the gate on `accuracy` has no rule"),
            "{err}"
        );
        let err = parse(&format!("{SUITE}{SUITE}")).unwrap_err().to_string();
        assert!(
            err.contains("suite `s` is defined twice (first on line 2)"),
            "{err}"
        );
        let err = parse(&SUITE.replace("classification", "regression").replace(
            "[suite.data]",
            "[suite.metrics]\ninclude = [\"accuracy\"]\n[suite.data]",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("metric `accuracy` does not apply to regression suites"),
            "{err}"
        );
    }

    #[test]
    fn ref_and_path_exclude_each_other() {
        let err = parse(&format!(
            "[baseline]\nref = \"main\"\npath = \"b.onnx\"\n{SUITE}"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("exclude each other"), "{err}");
    }
}
