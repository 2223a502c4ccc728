//! ONNX Runtime: find the shared library, load it once, and build sessions on the device
//! asked for, saying which execution provider really runs them.

mod cuda;
mod discover;
mod provision;
mod session;

use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Serialize;

pub use cuda::{CudaSetup, GpuInfo};
pub use discover::{LibrarySource, RuntimeLibrary, TESTED_ORT_MINORS, find_library};
pub use provision::{PINNED_ORT_VERSION, provision};
pub use session::{ExecutionProvider, build_session};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "ONNX Runtime was not found ({searched}).\n  Install it with `mlops-ci runtime install` (needs python3 and pip), \
         `python3 -m pip install onnxruntime=={PINNED_ORT_VERSION}`, or point --ort-lib / MLOPS_CI_ORT_LIB at libonnxruntime"
    )]
    NotFound { searched: String },
    #[error("{} (from {source_name}) is not a usable ONNX Runtime library: {message}", path.display())]
    Unusable {
        path: PathBuf,
        source_name: String,
        message: String,
    },
    #[error("installing ONNX Runtime with pip failed: {0}")]
    Provision(String),
    #[error("{0}")]
    Device(String),
    #[error("cannot load the model {model} into ONNX Runtime: {message}")]
    Session { model: String, message: String },
}

/// What a report says about the runtime.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct RuntimeInfo {
    pub onnxruntime_version: String,
    pub library: String,
    pub found_via: String,
    /// The execution provider that ran the models (`cpu`, `cuda`, `tensorrt`).
    pub execution_provider: String,
    pub device_requested: String,
    /// The GPU that ran the models, when a GPU provider did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuInfo>,
    /// Why `device = "auto"` chose the CPU, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_note: Option<String>,
}

/// `with_telemetry(false)` alone still lets ONNX Runtime create
/// `~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db}` and log a
/// ProcessInfo event there on every run; this variable, set before the environment is built,
/// stops that. The binary's `main` sets it first thing, while it has one thread.
pub const TELEMETRY_OFF_ENV: (&str, &str) = ("ORT_DISABLE_TELEMETRY", "1");

/// A loaded ONNX Runtime, ready to build sessions.
pub struct Runtime {
    pub library: RuntimeLibrary,
    environment: ort::environment::Environment,
    /// CUDA preloaded on the first GPU session (never for CPU-only runs), or why it could not be.
    cuda: OnceLock<Result<CudaSetup, String>>,
}

/// How to find (or fetch) the library.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// `--ort-lib`: an explicit library path, tried first.
    pub ort_lib: Option<PathBuf>,
    /// `--offline`: never run pip.
    pub offline: bool,
}

impl Runtime {
    /// Finds the library (provisioning it with pip when allowed) and loads it.
    pub fn load(options: &RuntimeOptions) -> Result<Runtime, RuntimeError> {
        let library = match find_library(options.ort_lib.as_deref()) {
            Ok(library) => library,
            Err(RuntimeError::NotFound { searched }) if !options.offline => {
                eprintln!(
                    "mlops-ci: ONNX Runtime not found ({searched}); installing onnxruntime=={PINNED_ORT_VERSION} into the user cache with pip (use --offline to refuse)"
                );
                let path = provision(false, PINNED_ORT_VERSION)?;
                RuntimeLibrary::inspect(path, LibrarySource::Cache)?
            }
            Err(RuntimeError::NotFound { searched }) => {
                return Err(RuntimeError::NotFound {
                    searched: format!("{searched}; --offline, so nothing was installed"),
                });
            }
            Err(other) => return Err(other),
        };
        let unusable = |message: String| RuntimeError::Unusable {
            path: library.path.clone(),
            source_name: library.source.to_string(),
            message,
        };
        let environment = ort::init_from(&library.path)
            .map_err(|e| unusable(e.to_string()))?
            .with_name("mlops-ci")
            // No usage events; ONNX Runtime's own store is kept off by ORT_DISABLE_TELEMETRY,
            // which main sets (see `TELEMETRY_OFF_ENV`).
            .with_telemetry(false)
            .build()
            .map_err(|e| unusable(e.to_string()))?;
        Ok(Runtime {
            library,
            environment,
            cuda: OnceLock::new(),
        })
    }

    pub fn environment(&self) -> &ort::environment::Environment {
        &self.environment
    }

    /// Checks the NVIDIA driver and preloads CUDA and cuDNN, once; the error says what is missing.
    pub fn prepare_cuda(&self) -> Result<&CudaSetup, &str> {
        self.cuda
            .get_or_init(|| cuda::prepare(&self.library.path))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The CUDA setup, if a GPU session was attempted and CUDA was ready.
    pub fn cuda_setup(&self) -> Option<&CudaSetup> {
        self.cuda.get().and_then(|r| r.as_ref().ok())
    }

    /// Why `device = "auto"` ran on the CPU: no CUDA provider in this build, or what CUDA lacks.
    pub fn why_not_cuda(&self) -> String {
        use ort::ep::ExecutionProvider as _;
        if !ort::ep::CUDA::is_available().unwrap_or(false) {
            return format!(
                "this ONNX Runtime ({}) has no CUDA execution provider; `mlops-ci runtime install --gpu` installs the GPU build",
                self.library.path.display()
            );
        }
        match self.cuda.get() {
            Some(Err(e)) => e.clone(),
            _ => "the CUDA execution provider did not initialise (the suite notes say why)"
                .to_owned(),
        }
    }

    /// Execution providers this build of ONNX Runtime was compiled with (not necessarily
    /// usable: CUDA also needs the CUDA and cuDNN libraries at run time).
    pub fn compiled_providers(&self) -> Vec<&'static str> {
        use ort::ep::ExecutionProvider as _;
        let mut out = vec!["cpu"];
        if ort::ep::CUDA::is_available().unwrap_or(false) {
            out.push("cuda");
        }
        if ort::ep::TensorRT::is_available().unwrap_or(false) {
            out.push("tensorrt");
        }
        out
    }
}
