//! Range checks on values a pull request may set: they are refused at load, with the line,
//! before anything is allocated or a thread is started on their word.

use globset::GlobBuilder;

use super::{Config, ConfigError};

/// `runtime.batch_size`: rows per inference call. A billion rows of features would not fit
/// in memory; a million is already more than any accelerator gains from.
pub const MAX_BATCH_SIZE: usize = 1_000_000;
/// `runtime.threads`: ONNX Runtime's intra-op threads (0 = one per core).
pub const MAX_THREADS: usize = 1024;
/// `runtime.max_memory_mb`: the ceiling, for a value that is surely a typo.
pub const MAX_MEMORY_MB: u64 = 1 << 24;

impl Config {
    /// The line of the first `key =` in the file (runtime keys are not kept with a span).
    fn key_line(&self, key: &str) -> usize {
        let offset = self
            .source
            .match_indices(key)
            .find(|(i, _)| {
                let rest = self.source[i + key.len()..].trim_start();
                rest.starts_with('=')
            })
            .map_or(0, |(i, _)| i);
        self.line_of(offset)
    }

    pub(super) fn check_runtime(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: self.path.clone(),
            line: self.key_line(key),
            message,
        };
        let runtime = &self.runtime;
        if !(1..=MAX_BATCH_SIZE).contains(&runtime.batch_size) {
            return Err(invalid(
                "batch_size",
                format!(
                    "`runtime.batch_size = {}` is out of range: give 1 to {MAX_BATCH_SIZE} rows per inference call (256 is a good start)",
                    runtime.batch_size
                ),
            ));
        }
        if runtime.threads > MAX_THREADS {
            return Err(invalid(
                "threads",
                format!(
                    "`runtime.threads = {}` is out of range: give 0 (one per core) to {MAX_THREADS}",
                    runtime.threads
                ),
            ));
        }
        if !(1..=MAX_MEMORY_MB).contains(&runtime.max_memory_mb) {
            return Err(invalid(
                "max_memory_mb",
                format!(
                    "`runtime.max_memory_mb = {}` is out of range: give 1 to {MAX_MEMORY_MB}",
                    runtime.max_memory_mb
                ),
            ));
        }
        Ok(())
    }

    /// `data.features` lists the feature columns exactly; `data.exclude` only makes sense for
    /// the default list, so the two together are a contradiction to resolve, not to guess.
    pub(super) fn check_data_keys(&self) -> Result<(), ConfigError> {
        for suite in &self.suites {
            if suite.data.features.is_some() && !suite.data.exclude.is_empty() {
                return Err(ConfigError::Invalid {
                    path: self.path.clone(),
                    line: self.key_line("exclude"),
                    message: format!(
                        "suite `{}` sets both `data.features` and `data.exclude`; `features` lists the columns exactly, \
                         so remove the excluded ones from it and drop `exclude`",
                        suite.name()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every threshold of every gate is a finite number, and a floor is not above its ceiling.
    pub(super) fn check_gate_thresholds(&self) -> Result<(), ConfigError> {
        for suite in &self.suites {
            for gate in &suite.gates {
                let invalid = |message: String| ConfigError::Invalid {
                    path: self.path.clone(),
                    line: self.line_of(gate.metric.span().start),
                    message,
                };
                let metric = gate.metric.get_ref();
                for (rule, value) in [("min", gate.min), ("max", gate.max)] {
                    if let Some(v) = value.filter(|v| !v.is_finite()) {
                        return Err(invalid(format!(
                            "the gate on `{metric}` has `{rule} = {v}`; it must be a finite number"
                        )));
                    }
                }
                if let (Some(min), Some(max)) = (gate.min, gate.max)
                    && min > max
                {
                    return Err(invalid(format!(
                        "the gate on `{metric}` has `min = {min}` above `max = {max}`: no value could pass"
                    )));
                }
            }
        }
        Ok(())
    }

    /// `watch` patterns are globs; a broken one is an error at load, also when no change
    /// detection runs (`--all`), so that it is not found only on the next pull request.
    pub(super) fn check_watch_globs(&self) -> Result<(), ConfigError> {
        for suite in &self.suites {
            for pattern in &suite.watch {
                if let Err(e) = GlobBuilder::new(pattern.trim_end_matches('/'))
                    .literal_separator(true)
                    .build()
                {
                    let start = suite.name.span().end;
                    let offset = self
                        .source
                        .get(start..)
                        .and_then(|rest| rest.find(pattern.as_str()))
                        .map_or(suite.name.span().start, |i| start + i);
                    return Err(ConfigError::Invalid {
                        path: self.path.clone(),
                        line: self.line_of(offset),
                        message: format!(
                            "watch pattern `{pattern}` of suite `{}` is not a valid glob: {}",
                            suite.name(),
                            e.kind()
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    const SUITE: &str = "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"y\"\n";

    fn error(text: &str) -> String {
        Config::parse(Path::new("c.toml"), PathBuf::from("."), text.to_owned())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn runtime_ranges_are_checked_with_their_line() {
        let err = error(&format!(
            "[runtime]\ndevice = \"cpu\"\nbatch_size = 9223372036854775807\n{SUITE}"
        ));
        assert!(err.starts_with("c.toml:3: `runtime.batch_size"), "{err}");
        let err = error(&format!("[runtime]\nbatch_size = 1000000000\n{SUITE}"));
        assert!(err.contains("out of range"), "{err}");
        let err = error(&format!("[runtime]\nthreads = 100000\n{SUITE}"));
        assert!(
            err.starts_with("c.toml:2: `runtime.threads = 100000`"),
            "{err}"
        );
        let err = error(&format!("[runtime]\nmax_memory_mb = 0\n{SUITE}"));
        assert!(err.contains("max_memory_mb"), "{err}");
        assert_eq!(
            error(&format!(
                "[runtime]\nthreads = 8\nbatch_size = 1000000\n{SUITE}"
            )),
            ""
        );
    }

    #[test]
    fn thresholds_must_be_finite_and_ordered() {
        for (rule, want) in [
            ("min = nan", "`min = NaN`"),
            ("max = inf", "`max = inf`"),
            ("min = -inf", "`min = -inf`"),
            ("min = 0.9\nmax = 0.5", "above `max = 0.5`"),
            ("max_regression = nan", "finite number >= 0"),
        ] {
            let err = error(&format!(
                "{SUITE}[[suite.gate]]\nmetric = \"accuracy\"\n{rule}\n"
            ));
            assert!(err.starts_with("c.toml:9: "), "{rule}: {err}");
            assert!(err.contains(want), "{rule}: {err}");
        }
    }

    #[test]
    fn data_and_io_keys_are_checked_with_their_line() {
        let err = error(&SUITE.replace(
            "label = \"y\"\n",
            "label = \"y\"\nfeatures = [\"a\"]\nexclude = [\"id\"]\n",
        ));
        assert!(err.starts_with("c.toml:9: suite `s` sets both"), "{err}");
        let err = error(&format!("{SUITE}[suite.io]\ninputs = {{ x = 1 }}\n"));
        assert!(
            err.contains("a column name, or an array of column names"),
            "{err}"
        );
        let err = error(&SUITE.replace("label = \"y\"\n", "label = \"y\"\nexclud = [\"id\"]\n"));
        assert!(err.contains("did you mean `exclude`?"), "{err}");
        let ok = Config::parse(
            Path::new("c.toml"),
            PathBuf::from("."),
            format!(
                "{SUITE}exclude = [\"id\"]\n[suite.io.inputs]\n\"x_1\" = \"x 1\"\nnum = [\"a\", \"b\"]\n"
            ),
        )
        .unwrap();
        let suite = &ok.suites[0];
        assert_eq!(suite.data.exclude, ["id"]);
        assert_eq!(suite.io.inputs["x_1"].0, ["x 1"]);
        assert_eq!(suite.io.inputs["num"].0, ["a", "b"]);
    }

    #[test]
    fn a_broken_watch_glob_is_refused_at_load() {
        let err = error(&SUITE.replace(
            "task = \"classification\"\n",
            "task = \"classification\"\nwatch = [\"features/[a-\"]\n",
        ));
        assert!(
            err.starts_with("c.toml:5: watch pattern `features/[a-`"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod readme {
    use std::path::{Path, PathBuf};

    /// The README's configuration reference is a config this parser accepts: every key it
    /// documents exists, spelled as documented.
    #[test]
    fn the_readme_config_reference_parses() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("## Configuration: `mlops-ci.toml`")
            .nth(1)
            .expect("the README has the configuration section");
        let block = section
            .split("```toml\n")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .expect("a toml block");
        let config =
            super::Config::parse(Path::new("README.md"), PathBuf::from("."), block.to_owned())
                .unwrap_or_else(|e| panic!("{e}"));
        let suite = &config.suites[0];
        assert_eq!(
            suite.io.inputs["od280_od315_of_diluted_wines"].0,
            ["od280/od315_of_diluted_wines"]
        );
    }
}
