//! Finding and provisioning ONNX Runtime as a user on a machine without it would.

mod support;

use predicates::str::contains;
use std::process::Command;
use support::*;

/// A `python3` on PATH that has pip but no onnxruntime, and an empty cache.
fn bare_python() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success(), "python3 -m venv failed");
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

#[test]
fn missing_runtime_is_installed_into_the_cache_unless_offline() {
    let (dir, path) = bare_python();
    let cache = dir.path().join("cache");
    let run = || {
        let mut cmd = mlops_ci();
        cmd.env("PATH", &path)
            .env("MLOPS_CI_CACHE_DIR", &cache)
            .env_remove("MLOPS_CI_ORT_LIB")
            .env_remove("ORT_DYLIB_PATH");
        cmd
    };
    run()
        .args(["check", "--all", "--offline", "-C"])
        .arg(example("breast-cancer"))
        .assert()
        .code(2)
        .stderr(contains("ONNX Runtime was not found"))
        .stderr(contains("--offline, so nothing was installed"))
        .stderr(contains("mlops-ci runtime install"));
    run()
        .args(["check", "--all", "-C"])
        .arg(example("breast-cancer"))
        .assert()
        .code(0)
        .stderr(contains(
            "installing onnxruntime==1.31.1 into the user cache",
        ))
        .stdout(contains("onnxruntime 1.31.1 on cpu (mlops-ci cache)"));
    // Second run: found in the cache, nothing installed.
    run()
        .args(["check", "--all", "-C"])
        .arg(example("breast-cancer"))
        .assert()
        .code(0)
        .stderr(predicates::str::is_empty());
    run()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(contains("found via mlops-ci cache"))
        .stdout(contains("providers    cpu"));
}

#[test]
fn an_unavailable_gpu_device_is_an_error_not_a_silent_fallback() {
    // The CPU build of ONNX Runtime has no CUDA provider.
    mlops_ci()
        .args(["check", "--all", "--device", "cuda", "-C"])
        .arg(example("iris"))
        .assert()
        .code(2)
        .stdout(contains("device = \"cuda\" was asked for, but"))
        .stdout(contains("runtime.device = \"cpu\""));
}
