//! The config parser on arbitrary text: a config or an error naming a line, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::Config;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match Config::parse(
        Path::new("mlops-ci.toml"),
        PathBuf::from("."),
        text.to_owned(),
    ) {
        Ok(config) => {
            for suite in &config.suites {
                let _ = suite.gate_specs(&config);
                let _ = suite.metric_ids();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
