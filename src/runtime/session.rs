//! Sessions on the requested device, with no silent fallback for an explicit device.

use ort::ep::{self, ExecutionProvider as _};
use ort::session::Session;

use super::{Runtime, RuntimeError};
use crate::config::Device;

/// The execution provider a session really runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionProvider {
    Cpu,
    Cuda,
    TensorRt,
}

impl ExecutionProvider {
    pub fn name(self) -> &'static str {
        match self {
            ExecutionProvider::Cpu => "cpu",
            ExecutionProvider::Cuda => "cuda",
            ExecutionProvider::TensorRt => "tensorrt",
        }
    }

    /// ONNX Runtime's own name, as its logs and Python's `get_providers()` say it.
    pub fn ort_name(self) -> &'static str {
        match self {
            ExecutionProvider::Cpu => "CPUExecutionProvider",
            ExecutionProvider::Cuda => "CUDAExecutionProvider",
            ExecutionProvider::TensorRt => "TensorrtExecutionProvider",
        }
    }

    pub fn is_gpu(self) -> bool {
        self != ExecutionProvider::Cpu
    }
}

/// Builds a session for `model`. `Device::Auto` tries CUDA, then the CPU, and says why CUDA was
/// passed over; an explicit GPU device that fails is an error naming what is missing. TensorRT
/// only when asked: it compiles an engine per model (minutes) and needs libnvinfer besides.
pub fn build_session(
    runtime: &Runtime,
    model: &[u8],
    model_name: &str,
    device: Device,
    threads: usize,
) -> Result<(Session, ExecutionProvider, Vec<String>), RuntimeError> {
    let mut notes = Vec::new();
    let attempts: &[ExecutionProvider] = match device {
        Device::Cpu => &[ExecutionProvider::Cpu],
        Device::Cuda => &[ExecutionProvider::Cuda],
        Device::Tensorrt => &[ExecutionProvider::TensorRt],
        Device::Auto => &[ExecutionProvider::Cuda, ExecutionProvider::Cpu],
    };
    let mut last_error = String::new();
    for &provider in attempts {
        let compiled = match provider {
            ExecutionProvider::Cpu => true,
            ExecutionProvider::Cuda => ep::CUDA::is_available().unwrap_or(false),
            ExecutionProvider::TensorRt => ep::TensorRT::is_available().unwrap_or(false),
        };
        if !compiled {
            last_error = format!(
                "this ONNX Runtime ({}) was built without the {} execution provider; install the GPU build with `mlops-ci runtime install --gpu`",
                runtime.library.path.display(),
                provider.name()
            );
            continue;
        }
        // The CUDA provider loads CUDA by library name: preload it from the NVIDIA wheels first,
        // and name the missing piece (driver, GPU, library) instead of ONNX Runtime's dlerror.
        let ready = if provider.is_gpu() {
            runtime.prepare_cuda().map(|_| ()).map_err(str::to_owned)
        } else {
            Ok(())
        };
        match ready.and_then(|()| try_build(runtime, model, provider, threads)) {
            Ok(session) => return Ok((session, provider, notes)),
            Err(e) if device == Device::Auto && provider != ExecutionProvider::Cpu => {
                notes.push(format!(
                    "{} execution provider unavailable ({e}); fell back",
                    provider.name()
                ));
            }
            Err(e) if provider == ExecutionProvider::Cpu => {
                return Err(RuntimeError::Session {
                    model: model_name.to_owned(),
                    message: e,
                });
            }
            Err(e) => last_error = e,
        }
    }
    Err(RuntimeError::Device(format!(
        "device = \"{device}\" was asked for, but {last_error}. Set `runtime.device = \"cpu\"` (or \"auto\") to run on the CPU"
    )))
}

fn try_build(
    runtime: &Runtime,
    model: &[u8],
    provider: ExecutionProvider,
    threads: usize,
) -> Result<Session, String> {
    let text = |e: ort::Error| e.to_string();
    // Environment-level providers would apply to every session; choose per session instead.
    let mut builder = Session::builder(runtime.environment())
        .map_err(text)?
        .with_no_environment_execution_providers()
        .map_err(|e| e.to_string())?;
    // Spinning worker threads keep a core busy between runs; the CSV parser on the other
    // thread needs it (1M-row benchmark on 2 cores: 2.6 s of CPU down to 1.0 s).
    builder = builder
        .with_intra_op_spinning(false)
        .map_err(|e| e.to_string())?;
    if threads > 0 {
        builder = builder
            .with_intra_threads(threads)
            .map_err(|e| e.to_string())?;
    }
    // error_on_failure: ONNX Runtime otherwise falls back to the CPU without a word when the
    // CUDA libraries are missing.
    builder = match provider {
        ExecutionProvider::Cpu => builder,
        ExecutionProvider::Cuda => builder
            .with_execution_providers([ep::CUDA::default().build().error_on_failure()])
            .map_err(|e| e.to_string())?,
        ExecutionProvider::TensorRt => builder
            .with_execution_providers([
                ep::TensorRT::default().build().error_on_failure(),
                ep::CUDA::default().build(),
            ])
            .map_err(|e| e.to_string())?,
    };
    builder.commit_from_memory(model).map_err(text)
}
