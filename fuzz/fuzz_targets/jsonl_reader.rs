//! The JSON Lines reader on arbitrary bytes: an error naming a line, or batches; never a
//! panic or a hang. The first byte picks the task and the element types; the label is `y`.
#![no_main]

#[path = "plan.rs"]
mod plan;

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::DataConfig;
use mlops_ci::data::{self, Limits};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let (_dir, path) = plan::input_file(bytes, "d.jsonl");
    let task = plan::task(mode);
    let config = DataConfig {
        path: path.clone(),
        label: Some("y".to_owned()),
        features: (mode & 2 != 0).then(|| vec!["a".to_owned()]),
        exclude: Vec::new(),
        key: None,
        schema: None,
    };
    let Ok(source) = data::open(&config, &path, task, &Limits::default()) else {
        return;
    };
    plan::read_all(source, mode);
});
