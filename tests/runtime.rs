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

#[test]
fn auto_without_a_gpu_runs_on_the_cpu_and_the_report_says_why() {
    let output = mlops_ci()
        .args([
            "check", "--all", "--device", "auto", "--format", "json", "-C",
        ])
        .arg(example("iris"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "iris's candidate fails its gates"
    );
    let report = json(&output.stdout);
    let runtime = &report["runtime"];
    assert_eq!(runtime["execution_provider"], "cpu");
    assert_eq!(runtime["device_requested"], "auto");
    assert!(runtime["gpu"].is_null());
    let note = runtime["device_note"].as_str().unwrap();
    assert!(
        note.contains("no CUDA execution provider") && note.contains("runtime install --gpu"),
        "{note}"
    );
}

/// The GPU build of ONNX Runtime on a machine without an NVIDIA driver: the error names the
/// driver library, and `auto` notes the fallback. Needs the onnxruntime-gpu libraries, which CI
/// does not download (256 MB): point MLOPS_CI_TEST_ORT_GPU_LIB at `libonnxruntime.so.1.31.1`
/// unpacked from the wheel.
#[test]
fn the_gpu_build_without_a_driver_names_what_is_missing() {
    let Some(gpu_lib) = std::env::var_os("MLOPS_CI_TEST_ORT_GPU_LIB") else {
        eprintln!("skipped: MLOPS_CI_TEST_ORT_GPU_LIB is not set");
        return;
    };
    if std::path::Path::new("/proc/driver/nvidia/version").exists() {
        eprintln!("skipped: this machine has an NVIDIA driver");
        return;
    }
    mlops_ci()
        .env("MLOPS_CI_ORT_LIB", &gpu_lib)
        .args(["check", "--all", "--device", "cuda", "-C"])
        .arg(example("iris"))
        .assert()
        .code(2)
        .stdout(contains("device = \"cuda\" was asked for, but the NVIDIA driver's libcuda.so.1 cannot be loaded"));
    let output = mlops_ci()
        .env("MLOPS_CI_ORT_LIB", &gpu_lib)
        .args(["check", "--all", "--format", "json", "-C"])
        .arg(example("iris"))
        .output()
        .unwrap();
    let report = json(&output.stdout);
    assert_eq!(report["runtime"]["execution_provider"], "cpu");
    assert!(
        report["runtime"]["device_note"]
            .as_str()
            .unwrap()
            .contains("libcuda.so.1")
    );
    let notes = report["suites"][0]["notes"].to_string();
    assert_eq!(
        notes.matches("cuda execution provider unavailable").count(),
        1,
        "{notes}"
    );
}
