//! The NumPy validation scanner on arbitrary bytes, as an `.npy` file or an `.npz` archive
//! (the first byte's lowest bit): an error naming the file, or chunks that keep the
//! scanners' promises; never an abort from a declared shape the file does not hold.
#![no_main]

#[path = "plan.rs"]
#[allow(dead_code)]
mod plan;
#[path = "scan_common.rs"]
mod scan_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let name = if mode & 1 == 1 { "d.npz" } else { "x.npy" };
    let (_dir, path) = plan::input_file(bytes, name);
    scan_common::scan_all(&path);
});
