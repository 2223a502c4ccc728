//! The CSV reader on arbitrary bytes: an error or batches, never a panic, a hang or an
//! allocation the input did not pay for. The first byte picks the task.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::{DataConfig, Task};
use mlops_ci::data::{self, Limits};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("d.csv");
    std::fs::write(&path, bytes).expect("write");
    let task = if mode & 1 == 0 {
        Task::Classification
    } else {
        Task::Regression
    };
    let config = DataConfig {
        path: path.clone(),
        label: Some("y".to_owned()),
        features: (mode & 2 != 0).then(|| vec!["a".to_owned(), "b".to_owned()]),
    };
    let Ok(mut reader) = data::open(&config, &path, task, &Limits::default()) else {
        return;
    };
    let width = reader.schema().features.len();
    let batch = 1 + usize::from(mode >> 2);
    while let Ok(Some(b)) = reader.next_batch(batch) {
        assert!(b.rows <= batch);
        assert_eq!(b.features.len(), b.rows * width);
    }
    let _ = reader.class_names();
});
