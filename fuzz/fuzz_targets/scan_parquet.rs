//! The Parquet validation scanner on arbitrary bytes: an error naming the file, or chunks
//! that keep the scanners' promises; never a panic escaping the scanner, a hang, or an
//! allocation past the memory budget.
//!
//! As in the `parquet_reader` target, panics raised inside the parquet and arrow crates are
//! let through to the scanner's guard (which reports the file as corrupt) instead of
//! aborting in libFuzzer's hook; a panic anywhere else is still a crash.
#![no_main]

#[path = "plan.rs"]
#[allow(dead_code)]
mod plan;
#[path = "scan_common.rs"]
mod scan_common;

use libfuzzer_sys::fuzz_target;

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

fuzz_target!(|bytes: &[u8]| {
    decoder_panics_reach_the_guard();
    let (_dir, path) = plan::input_file(bytes, "d.parquet");
    scan_common::scan_all(&path);
});
