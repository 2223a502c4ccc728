//! `mlops-ci eval`: one model (or two) on one data file, no config file or git involved.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::{BaselineSource, CheckOptions, run_suites};
use crate::cli::EvalArgs;
use crate::config::{
    BaselineConfig, Config, DataConfig, IoConfig, MetricsConfig, ModelChecks, RuntimeConfig,
    SuiteConfig,
};
use crate::error::{Error, Result};
use crate::report::Report;

pub fn eval_adhoc(args: &EvalArgs, dir: &Path, options: &CheckOptions) -> Result<Report> {
    if !(1..=crate::config::MAX_BATCH_SIZE).contains(&args.batch_size) {
        return Err(Error::Usage(format!(
            "--batch-size {} is out of range: give 1 to {} rows per inference call",
            args.batch_size,
            crate::config::MAX_BATCH_SIZE
        )));
    }
    check_args(args, dir)?;
    let name = args
        .model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_owned();
    let suite = SuiteConfig {
        name: Spanned::new(0..0, name),
        model: args.model.clone(),
        task: args.task,
        watch: Vec::new(),
        data: DataConfig {
            path: args.data.clone(),
            label: args.label.clone(),
            features: args.features.clone(),
            exclude: Vec::new(),
            key: None,
            schema: None,
        },
        io: IoConfig::default(),
        metrics: MetricsConfig::default(),
        gates: Vec::new(),
        model_checks: ModelChecks::default(),
        drift: Default::default(),
    };
    let config = Config {
        path: PathBuf::from("(command line)"),
        root: dir.to_path_buf(),
        source: String::new(),
        baseline: BaselineConfig::default(),
        runtime: RuntimeConfig {
            device: args.device,
            threads: 0,
            batch_size: args.batch_size,
            ..RuntimeConfig::default()
        },
        statistics: Default::default(),
        suites: vec![suite],
        hook: Default::default(),
    };
    let baseline = match &args.baseline {
        Some(path) => BaselineSource::File {
            path: config.resolve(path),
            display: path.display().to_string(),
        },
        None => BaselineSource::None {
            reason: "ad-hoc evaluation without --baseline".to_owned(),
        },
    };
    let suites: Vec<&SuiteConfig> = config.suites.iter().collect();
    run_suites(&config, &suites, &baseline, options)
}

/// Mistakes fixed with `eval`'s own flags, said in the flags' words: the messages further in
/// speak of config keys (`data.label`, "check `model` in the config") that `eval` has none of.
fn check_args(args: &EvalArgs, dir: &Path) -> Result<()> {
    let files = [
        ("--model", Some(&args.model)),
        ("--baseline", args.baseline.as_ref()),
        ("--data", Some(&args.data)),
    ];
    for (flag, path) in files {
        if let Some(path) = path
            && !dir.join(path).is_file()
        {
            // As the user wrote it; with -C, where it was looked for.
            let shown = if dir == Path::new(".") {
                path.clone()
            } else {
                dir.join(path)
            };
            return Err(Error::Usage(format!(
                "{flag} {}: no such file",
                shown.display()
            )));
        }
    }
    // Formats with named columns need the label's name; NumPy archives default to `y`.
    let named_columns = crate::data::peek(&dir.join(&args.data));
    if let (Some((columns, _)), None) = (named_columns, &args.label) {
        let format = match args.data.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => "CSV",
            Some(e) if e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson") => {
                "JSON Lines"
            }
            _ => "Parquet",
        };
        return Err(Error::Usage(format!(
            "--label is required with {format} data: name the column that holds the ground truth (the columns are: {})",
            crate::data::listed_columns(&columns)
        )));
    }
    Ok(())
}
