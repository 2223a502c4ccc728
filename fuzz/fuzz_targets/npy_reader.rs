//! The NumPy readers on arbitrary bytes, as an `.npy` pair (features + targets) or an `.npz`
//! archive: an error or batches, never an abort from a declared shape the file does not hold.
#![no_main]

#[path = "plan.rs"]
mod plan;

use libfuzzer_sys::fuzz_target;
use mlops_ci::config::DataConfig;
use mlops_ci::data::{self, Limits};

/// Targets for the `.npy` case: three int64 labels.
const TARGETS: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }                                                            \n\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let npz = mode & 1 == 1;
    let (dir, path) = plan::input_file(bytes, if npz { "d.npz" } else { "x.npy" });
    std::fs::write(dir.path().join("y.npy"), TARGETS).expect("write");
    let config = DataConfig {
        path: path.clone(),
        label: (!npz).then(|| "y.npy".to_owned()),
        features: None,
        exclude: Vec::new(),
        key: None,
        schema: None,
    };
    let task = plan::task(mode >> 1);
    // A small budget, so that what passes the checks is cheap to read.
    let limits = Limits {
        max_memory_bytes: 64 << 20,
    };
    let Ok(source) = data::open(&config, &path, task, &limits) else {
        return;
    };
    plan::read_all(source, mode);
});
