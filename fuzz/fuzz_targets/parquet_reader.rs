//! The Parquet reader on arbitrary bytes: an error or batches, never a panic escaping the
//! reader, a hang, or an allocation past the memory budget. The first byte picks the task and
//! the element types; the label is `y`.
//!
//! The parquet and arrow crates assert on some corrupt pages (e.g. definition levels beyond
//! their buffer); the reader catches those and reports the file as corrupt. libFuzzer's panic
//! hook would abort on them even so, so the hook here lets panics raised inside those two
//! crates through to the reader's guard and aborts on every other one: a panic in mlops-ci's
//! own code, or one that escapes the guard, is still a crash.
#![no_main]

#[path = "plan.rs"]
mod plan;

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::DataConfig;
use mlops_ci::data::{self, Limits};

fn decoder_panics_reach_the_guard() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let strict = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| {
                let file = l.file();
                file.contains("/parquet-") || file.contains("/arrow-")
            });
            if !in_decoder {
                strict(info);
            }
        }));
    });
}

fuzz_target!(|input: &[u8]| {
    decoder_panics_reach_the_guard();
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let (_dir, path) = plan::input_file(bytes, "d.parquet");
    let task = plan::task(mode);
    let config = DataConfig {
        path: path.clone(),
        label: Some("y".to_owned()),
        features: None,
        exclude: (mode & 2 != 0)
            .then(|| vec!["id".to_owned()])
            .unwrap_or_default(),
        key: None,
        schema: None,
    };
    let limits = Limits {
        max_memory_bytes: 64 << 20,
    };
    let Ok(source) = data::open(&config, &path, task, &limits) else {
        return;
    };
    plan::read_all(source, mode);
});
