//! The Parquet reader on arbitrary bytes: an error or batches, never a panic escaping the
//! reader (the decoder's own are caught and become errors), a hang, or an allocation past the
//! memory budget. The first byte picks the task and the element types; the label is `y`.
#![no_main]

#[path = "plan.rs"]
mod plan;

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::{DataConfig, Task};
use mlops_ci::data::{self, Limits};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("d.parquet");
    std::fs::write(&path, bytes).expect("write");
    let task = if mode & 1 == 0 {
        Task::Classification
    } else {
        Task::Regression
    };
    let config = DataConfig {
        path: path.clone(),
        label: Some("y".to_owned()),
        features: None,
        exclude: (mode & 2 != 0).then(|| vec!["id".to_owned()]).unwrap_or_default(),
    };
    let limits = Limits {
        max_memory_bytes: 64 << 20,
    };
    let Ok(source) = data::open(&config, &path, task, &limits) else {
        return;
    };
    plan::read_all(source, mode);
});
