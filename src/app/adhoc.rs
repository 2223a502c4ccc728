//! `mlops-ci eval`: one model (or two) on one data file, no config file or git involved.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::{BaselineSource, CheckOptions, run_suites};
use crate::cli::EvalArgs;
use crate::config::{
    BaselineConfig, Config, DataConfig, IoConfig, MetricsConfig, RuntimeConfig, SuiteConfig,
};
use crate::error::Result;
use crate::report::Report;

pub fn eval_adhoc(args: &EvalArgs, dir: &Path, options: &CheckOptions) -> Result<Report> {
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
        },
        io: IoConfig::default(),
        metrics: MetricsConfig::default(),
        gates: Vec::new(),
    };
    let config = Config {
        path: PathBuf::from("(command line)"),
        root: dir.to_path_buf(),
        source: String::new(),
        baseline: BaselineConfig::default(),
        runtime: RuntimeConfig {
            device: args.device,
            threads: 0,
            batch_size: args.batch_size.max(1),
        },
        statistics: Default::default(),
        suites: vec![suite],
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
