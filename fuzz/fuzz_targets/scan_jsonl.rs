//! The JSON Lines validation scanner on arbitrary bytes: an error naming the file, or chunks that
//! keep the scanners' promises; never a panic, a hang or an allocation the input did not
//! pay for.
#![no_main]

#[path = "plan.rs"]
#[allow(dead_code)]
mod plan;
#[path = "scan_common.rs"]
mod scan_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let (_dir, path) = plan::input_file(bytes, "d.jsonl");
    scan_common::scan_all(&path);
});
