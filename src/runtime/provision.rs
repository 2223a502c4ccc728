//! Installing ONNX Runtime from PyPI into the user cache, with the ordinary `python3 -m pip`.

use std::path::PathBuf;
use std::process::Command;

use super::RuntimeError;

/// The onnxruntime release mlops-ci is tested against.
pub const PINNED_ORT_VERSION: &str = "1.31.1";

/// Cache root: `MLOPS_CI_CACHE_DIR`, else the platform cache dir (`~/.cache/mlops-ci`).
pub(super) fn cache_root() -> PathBuf {
    match std::env::var_os("MLOPS_CI_CACHE_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("mlops-ci"),
    }
}

fn install_dir(gpu: bool, version: &str) -> PathBuf {
    cache_root().join(format!("{}-{version}", package(gpu)))
}

fn package(gpu: bool) -> &'static str {
    if gpu {
        "onnxruntime-gpu"
    } else {
        "onnxruntime"
    }
}

/// Cache directories searched, GPU build first (it also runs on CPU).
pub(super) fn cache_dirs() -> Vec<PathBuf> {
    vec![
        install_dir(true, PINNED_ORT_VERSION),
        install_dir(false, PINNED_ORT_VERSION),
    ]
}

/// Installs `onnxruntime` (or `onnxruntime-gpu`) `version` into the cache; returns the
/// library path. Idempotent: an existing install is reused.
pub fn provision(gpu: bool, version: &str) -> Result<PathBuf, RuntimeError> {
    let dir = install_dir(gpu, version);
    if let Some(lib) = super::discover::library_in_python_package(&dir.join("onnxruntime")) {
        return Ok(lib);
    }
    let parent = dir.parent().unwrap_or(&dir).to_path_buf();
    std::fs::create_dir_all(&parent)
        .map_err(|e| RuntimeError::Provision(format!("cannot create {}: {e}", parent.display())))?;
    // Install into a scratch directory and rename, so an interrupted install is never used.
    let scratch = parent.join(format!(
        ".{}-{version}.partial-{}",
        package(gpu),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    let spec = format!("{}=={version}", package(gpu));
    // CPU: only the shared library is needed, not numpy or protobuf (--no-deps). GPU: the
    // `cuda` and `cudnn` extras bring the CUDA 13 and cuDNN 9 libraries as `nvidia-*` wheels
    // (~1.3 GB), which mlops-ci preloads from this directory; pip resolves their versions.
    let (requirement, no_deps) = if gpu {
        (format!("{}[cuda,cudnn]=={version}", package(gpu)), None)
    } else {
        (spec.clone(), Some("--no-deps"))
    };
    if gpu {
        eprintln!(
            "mlops-ci: installing {requirement} with its CUDA and cuDNN wheels (about 1.3 GB) into {}",
            dir.display()
        );
    }
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(no_deps)
        .arg("--target")
        .arg(&scratch)
        .arg(&requirement)
        .status()
        .map_err(|e| {
            RuntimeError::Provision(format!(
                "cannot run `python3 -m pip`: {e}; install Python 3 with pip, or pass --ort-lib"
            ))
        })?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(RuntimeError::Provision(format!(
            "`python3 -m pip install {requirement}` exited with {status}"
        )));
    }
    if let Err(e) = std::fs::rename(&scratch, &dir) {
        // Another process may have finished first; use whichever install is complete.
        let _ = std::fs::remove_dir_all(&scratch);
        if !dir.exists() {
            return Err(RuntimeError::Provision(format!(
                "cannot move the install into {}: {e}",
                dir.display()
            )));
        }
    }
    super::discover::library_in_python_package(&dir.join("onnxruntime")).ok_or_else(|| {
        RuntimeError::Provision(format!(
            "{spec} installed into {} but holds no libonnxruntime",
            dir.display()
        ))
    })
}
