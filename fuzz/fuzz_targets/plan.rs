//! A read plan for a fuzzed file: the default features into one feed and the first feature
//! alone into another, of element types the mode byte picks; then every batch, checked.

use std::path::PathBuf;

use mlops_ci::config::Task;
use mlops_ci::data::{DataSource, Feed, FeedType, ReadPlan};

/// The fuzzed bytes as a file named `name` in a temporary folder (kept while the guard lives).
pub fn input_file(bytes: &[u8], name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

/// The task the mode byte picks: its lowest bit.
pub fn task(mode: u8) -> Task {
    if mode & 1 == 0 {
        Task::Classification
    } else {
        Task::Regression
    }
}

const TYPES: [FeedType; 8] = [
    FeedType::F32,
    FeedType::F64,
    FeedType::F16,
    FeedType::I64,
    FeedType::I8,
    FeedType::U8,
    FeedType::Bool,
    FeedType::Text,
];

/// Reads `source` to the end (or its first error) with a plan picked by `mode`.
pub fn read_all(source: Box<dyn DataSource>, mode: u8) {
    let schema = source.schema().clone();
    let features: Vec<usize> = schema
        .features
        .iter()
        .filter_map(|f| schema.index(f))
        .collect();
    let mut feeds = vec![Feed {
        columns: features.clone(),
        dtype: TYPES[usize::from(mode >> 2) % TYPES.len()],
        used_by: "input `X`".to_owned(),
    }];
    if let Some(&first) = features.first() {
        feeds.push(Feed {
            columns: vec![first],
            dtype: TYPES[usize::from(mode >> 5) % TYPES.len()],
            used_by: "input `x0`".to_owned(),
        });
    }
    let widths: Vec<usize> = feeds.iter().map(|f| f.columns.len()).collect();
    let Ok(mut reader) = source.read(&ReadPlan { feeds }) else {
        return;
    };
    let batch = 1 + usize::from(mode >> 2);
    while let Ok(Some(b)) = reader.next_batch(batch) {
        assert!(b.rows <= batch && b.rows > 0);
        for (values, width) in b.feeds.iter().zip(&widths) {
            assert_eq!(values.len(), b.rows * width);
        }
    }
    let _ = reader.class_names();
    let _ = reader.notes();
}
