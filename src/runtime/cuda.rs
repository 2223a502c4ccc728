//! CUDA for the GPU build of ONNX Runtime: find the CUDA and cuDNN libraries of the NVIDIA
//! wheels, preload them, and describe the GPU they will run on.
//!
//! The onnxruntime-gpu wheel does not carry CUDA: its CUDA provider links `libcublas.so.13`,
//! `libcudart.so.13`, … by bare name, and the loader only finds those in the system paths.
//! PyPI's `nvidia-*` wheels put them in `site-packages/nvidia/...`, where only Python's
//! `onnxruntime.preload_dlls()` looks. We do what it does: dlopen each library by absolute path
//! with RTLD_GLOBAL, in its order, so the provider's later dlopen by name finds them loaded.

use std::ffi::{CStr, c_char, c_int, c_uint};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The GPU a CUDA session runs on, and the versions that decide whether it can.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GpuInfo {
    /// `NVIDIA H100 80GB HBM3` (CUDA device 0, as ONNX Runtime's `device_id = 0` sees it).
    pub name: String,
    /// The NVIDIA driver release, e.g. `580.95.05` (empty when NVML is missing).
    #[serde(default)]
    pub driver_version: String,
    /// The newest CUDA the driver supports, e.g. `13.0`.
    pub cuda_driver_version: String,
    /// The CUDA runtime (libcudart) that was preloaded, e.g. `13.0`.
    #[serde(default)]
    pub cuda_runtime_version: String,
    /// The cuDNN that was preloaded, e.g. `9.14.0` (empty when none was found).
    #[serde(default)]
    pub cudnn_version: String,
    #[serde(default)]
    pub memory_mib: u64,
}

impl GpuInfo {
    /// One line for reports: `NVIDIA H100 (driver 580.95.05, CUDA 13.0 runtime, cuDNN 9.14.0)`.
    pub fn summary(&self) -> String {
        let mut out = self.name.clone();
        let mut parts = Vec::new();
        if !self.driver_version.is_empty() {
            parts.push(format!("driver {}", self.driver_version));
        }
        parts.push(format!("driver CUDA {}", self.cuda_driver_version));
        if !self.cuda_runtime_version.is_empty() {
            parts.push(format!("CUDA runtime {}", self.cuda_runtime_version));
        }
        if !self.cudnn_version.is_empty() {
            parts.push(format!("cuDNN {}", self.cudnn_version));
        }
        let _ = write!(out, " ({})", parts.join(", "));
        out
    }
}

/// One CUDA release's library layout in the NVIDIA wheels.
struct Layout {
    cuda_major: u32,
    /// `(directory under site-packages, file, required)`, in the order `preload_dlls()` loads
    /// them: a library before those that depend on it (cublasLt before cublas).
    libraries: &'static [(&'static str, &'static str, bool)],
}

/// From onnxruntime 1.31.1's `_get_nvidia_dll_paths` (onnxruntime/__init__.py). The CUDA
/// provider links cublasLt, cublas, curand and cudart (required); it dlopens nvrtc, cufft and
/// cuDNN only for the operators that use them, so those are loaded when present.
const LAYOUTS: &[Layout] = &[
    // CUDA 13: one consolidated `nvidia/cu13` wheel directory (onnxruntime-gpu 1.31 on PyPI).
    Layout {
        cuda_major: 13,
        libraries: &[
            ("nvidia/cu13/lib", "libcublasLt.so.13", true),
            ("nvidia/cu13/lib", "libcublas.so.13", true),
            ("nvidia/cu13/lib", "libnvrtc.so.13", false),
            ("nvidia/cu13/lib", "libcurand.so.10", true),
            ("nvidia/cu13/lib", "libcufft.so.12", false),
            ("nvidia/cu13/lib", "libcudart.so.13", true),
            ("nvidia/cudnn/lib", "libcudnn.so.9", false),
        ],
    },
    // CUDA 12: a wheel per component (onnxruntime-gpu ≤ 1.2x, or the cuda12 feed).
    Layout {
        cuda_major: 12,
        libraries: &[
            ("nvidia/cublas/lib", "libcublasLt.so.12", true),
            ("nvidia/cublas/lib", "libcublas.so.12", true),
            ("nvidia/cuda_nvrtc/lib", "libnvrtc.so.12", false),
            ("nvidia/curand/lib", "libcurand.so.10", true),
            ("nvidia/cufft/lib", "libcufft.so.11", false),
            ("nvidia/cuda_runtime/lib", "libcudart.so.12", true),
            ("nvidia/cudnn/lib", "libcudnn.so.9", false),
        ],
    },
];

/// What preparing CUDA did: the GPU found, the libraries loaded, and what a report should say.
#[derive(Debug, Clone)]
pub struct CudaSetup {
    pub gpu: GpuInfo,
    pub loaded: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// Checks the driver, preloads CUDA and cuDNN for the ONNX Runtime at `ort_library`, and
/// describes GPU 0. The error says what is missing and how to get it.
pub fn prepare(ort_library: &Path) -> Result<CudaSetup, String> {
    let driver = open_system("libcuda.so.1").map_err(|e| {
        format!(
            "the NVIDIA driver's libcuda.so.1 cannot be loaded ({e}): this machine has no NVIDIA driver, \
             or the container was started without GPU access (`docker run --gpus all`, the NVIDIA container toolkit)"
        )
    })?;
    let (cuda_driver, name, memory_mib) = query_driver(&driver)?;
    let roots = search_roots(ort_library);
    let (layout, found) = choose_layout(&roots);
    if cuda_driver / 1000 < layout.cuda_major as i32 {
        return Err(format!(
            "the NVIDIA driver supports CUDA up to {}, but this ONNX Runtime needs CUDA {}: update the NVIDIA driver \
             (CUDA 13 needs driver 580 or newer)",
            version_text(cuda_driver),
            layout.cuda_major
        ));
    }
    let mut loaded = Vec::new();
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let mut cudart = None;
    let mut cudnn = None;
    for (&(_, file, required), path) in layout.libraries.iter().zip(found) {
        // Not in a wheel directory: the system paths (a CUDA toolkit, LD_LIBRARY_PATH).
        let opened = match &path {
            Some(path) => open_global(path).map(|lib| (lib, path.clone())),
            None => open_global(Path::new(file)).map(|lib| (lib, PathBuf::from(file))),
        };
        match opened {
            Ok((library, path)) => {
                loaded.push(path);
                if file.starts_with("libcudart") {
                    cudart = Some(library);
                } else if file.starts_with("libcudnn") {
                    cudnn = Some(library);
                } else {
                    // Kept loaded for the life of the process, as the provider expects.
                    std::mem::forget(library);
                }
            }
            Err(e) if required => missing.push(format!("{file} ({e})")),
            Err(_) => notes.push(format!(
                "{file} not found; models whose operators need it will fail on the GPU"
            )),
        }
    }
    if !missing.is_empty() {
        let looked: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(format!(
            "CUDA {} libraries are missing: {}. Looked in {} and the system library paths. Install them with \
             `mlops-ci runtime install --gpu` (or `python3 -m pip install onnxruntime-gpu[cuda,cudnn]`), \
             or name their directory in MLOPS_CI_CUDA_LIBS",
            layout.cuda_major,
            missing.join(", "),
            if looked.is_empty() {
                "no site-packages".to_owned()
            } else {
                looked.join(", ")
            }
        ));
    }
    let cuda_runtime = cudart.as_ref().and_then(|lib| {
        let mut version: c_int = 0;
        // SAFETY: cudaRuntimeGetVersion(int*) has had this signature since CUDA 2.
        let f = unsafe {
            lib.get::<unsafe extern "C" fn(*mut c_int) -> c_int>(b"cudaRuntimeGetVersion\0")
        }
        .ok()?;
        (unsafe { f(&mut version) } == 0).then(|| version_text(version))
    });
    let cudnn_version = cudnn.as_ref().and_then(|lib| {
        // SAFETY: size_t cudnnGetVersion(void), stable across cuDNN releases.
        let f = unsafe { lib.get::<unsafe extern "C" fn() -> usize>(b"cudnnGetVersion\0") }.ok()?;
        let v = unsafe { f() };
        // cuDNN 9 encodes major*10000 + minor*100 + patch.
        Some(format!("{}.{}.{}", v / 10000, (v % 10000) / 100, v % 100))
    });
    std::mem::forget(cudart);
    std::mem::forget(cudnn);
    std::mem::forget(driver);
    Ok(CudaSetup {
        gpu: GpuInfo {
            name,
            driver_version: nvml_driver_version().unwrap_or_default(),
            cuda_driver_version: version_text(cuda_driver),
            cuda_runtime_version: cuda_runtime.unwrap_or_default(),
            cudnn_version: cudnn_version.unwrap_or_default(),
            memory_mib,
        },
        loaded,
        notes,
    })
}

/// `13000` → `13.0`, CUDA's version encoding (major*1000 + minor*10).
fn version_text(v: c_int) -> String {
    format!("{}.{}", v / 1000, (v % 1000) / 10)
}

type Library = libloading::os::unix::Library;

fn open_global(path: &Path) -> Result<Library, String> {
    use libloading::os::unix::{RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: these are NVIDIA's CUDA libraries; their initialisers have no preconditions.
    unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }.map_err(|e| short_dl_error(&e))
}

fn open_system(name: &str) -> Result<Library, String> {
    open_global(Path::new(name))
}

/// dlerror's text ("libcuda.so.1: cannot open shared object file: No such file or directory"):
/// libloading keeps it as the error's source and displays only "dlopen failed".
fn short_dl_error(e: &libloading::Error) -> String {
    use std::error::Error as _;
    e.source()
        .map_or_else(|| e.to_string(), |source| source.to_string())
}

/// `cuInit`, then CUDA device 0's name and memory and the driver's CUDA version, through the
/// driver API (which numbers devices as ONNX Runtime does, honouring CUDA_VISIBLE_DEVICES).
fn query_driver(driver: &Library) -> Result<(c_int, String, u64), String> {
    type Init = unsafe extern "C" fn(c_uint) -> c_int;
    type GetInt = unsafe extern "C" fn(*mut c_int) -> c_int;
    type DeviceGet = unsafe extern "C" fn(*mut c_int, c_int) -> c_int;
    type DeviceName = unsafe extern "C" fn(*mut c_char, c_int, c_int) -> c_int;
    type DeviceMem = unsafe extern "C" fn(*mut usize, c_int) -> c_int;
    let symbol_error =
        |e: libloading::Error| format!("libcuda.so.1 is not a usable NVIDIA driver: {e}");
    // SAFETY: the CUDA driver API signatures below are stable since CUDA 3.2 (`_v2` names).
    unsafe {
        let init = driver.get::<Init>(b"cuInit\0").map_err(symbol_error)?;
        let driver_version = driver
            .get::<GetInt>(b"cuDriverGetVersion\0")
            .map_err(symbol_error)?;
        let count = driver
            .get::<GetInt>(b"cuDeviceGetCount\0")
            .map_err(symbol_error)?;
        let device_get = driver
            .get::<DeviceGet>(b"cuDeviceGet\0")
            .map_err(symbol_error)?;
        let device_name = driver
            .get::<DeviceName>(b"cuDeviceGetName\0")
            .map_err(symbol_error)?;
        let device_mem = driver.get::<DeviceMem>(b"cuDeviceTotalMem_v2\0").ok();
        let status = init(0);
        if status != 0 {
            // 100 = CUDA_ERROR_NO_DEVICE, 999 = unknown (often a driver/kernel module mismatch).
            return Err(format!(
                "the NVIDIA driver is installed but CUDA cannot start (cuInit error {status}{}): check `nvidia-smi` \
                 and CUDA_VISIBLE_DEVICES",
                if status == 100 {
                    ", no CUDA device"
                } else {
                    ""
                }
            ));
        }
        let mut version = 0;
        driver_version(&mut version);
        let mut devices = 0;
        if count(&mut devices) != 0 || devices == 0 {
            return Err("the NVIDIA driver sees no CUDA device (check `nvidia-smi` and CUDA_VISIBLE_DEVICES)".into());
        }
        let mut device = 0;
        let mut name = [0 as c_char; 256];
        let mut memory = 0usize;
        let name = if device_get(&mut device, 0) == 0
            && device_name(name.as_mut_ptr(), name.len() as c_int, device) == 0
        {
            if let Some(f) = device_mem {
                f(&mut memory, device);
            }
            CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned()
        } else {
            "CUDA device 0".to_owned()
        };
        Ok((version, name, (memory / (1024 * 1024)) as u64))
    }
}

/// The driver release (`580.95.05`) from NVML, which the driver ships beside libcuda.
fn nvml_driver_version() -> Option<String> {
    let nvml = open_global(Path::new("libnvidia-ml.so.1")).ok()?;
    type Init = unsafe extern "C" fn() -> c_int;
    type Version = unsafe extern "C" fn(*mut c_char, c_uint) -> c_int;
    // SAFETY: nvmlInit_v2 / nvmlSystemGetDriverVersion / nvmlShutdown are NVML's stable C API.
    unsafe {
        let init = nvml.get::<Init>(b"nvmlInit_v2\0").ok()?;
        let version = nvml.get::<Version>(b"nvmlSystemGetDriverVersion\0").ok()?;
        let shutdown = nvml.get::<Init>(b"nvmlShutdown\0").ok()?;
        if init() != 0 {
            return None;
        }
        let mut buffer = [0 as c_char; 96];
        let ok = version(buffer.as_mut_ptr(), buffer.len() as c_uint) == 0;
        shutdown();
        ok.then(|| {
            CStr::from_ptr(buffer.as_ptr())
                .to_string_lossy()
                .into_owned()
        })
    }
}

/// Where the NVIDIA wheels may be: MLOPS_CI_CUDA_LIBS (directories holding the libraries
/// themselves), the site-packages that holds this ONNX Runtime (`runtime install --gpu` puts
/// both there), and the site-packages of the `python3` on PATH.
fn search_roots(ort_library: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = std::env::var_os("MLOPS_CI_CUDA_LIBS")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    // <site-packages>/onnxruntime/capi/libonnxruntime.so.X
    if let Some(site) = ort_library.ancestors().nth(3) {
        roots.push(site.to_path_buf());
    }
    roots.extend(python_site_packages());
    let mut unique = Vec::new();
    for root in roots {
        if root.is_dir() && !unique.contains(&root) {
            unique.push(root);
        }
    }
    unique
}

fn python_site_packages() -> Vec<PathBuf> {
    let script = "import sys; print('\\n'.join(p for p in sys.path if p.endswith('-packages')))";
    let Ok(output) = Command::new("python3").args(["-c", script]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .collect()
}

/// The first layout whose required libraries are all present under one of `roots` (CUDA 13
/// first: the pinned onnxruntime-gpu needs it), with each library's path; when none is
/// complete, CUDA 13 with whatever was found (the rest is tried in the system paths).
fn choose_layout(roots: &[PathBuf]) -> (&'static Layout, Vec<Option<PathBuf>>) {
    let resolve = |layout: &Layout| -> Vec<Option<PathBuf>> {
        layout
            .libraries
            .iter()
            .map(|&(dir, file, _)| {
                roots.iter().find_map(|root| {
                    [root.join(dir).join(file), root.join(file)]
                        .into_iter()
                        .find(|p| p.is_file())
                })
            })
            .collect()
    };
    for layout in LAYOUTS {
        let found = resolve(layout);
        let complete = layout
            .libraries
            .iter()
            .zip(&found)
            .all(|(&(_, _, required), path)| !required || path.is_some());
        if complete {
            return (layout, found);
        }
    }
    (&LAYOUTS[0], resolve(&LAYOUTS[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, relative: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn prefers_the_cuda_13_wheel_layout_and_falls_back_to_cuda_12() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().to_path_buf();
        for file in ["libcublasLt.so.12", "libcublas.so.12"] {
            touch(&site, &format!("nvidia/cublas/lib/{file}"));
        }
        touch(&site, "nvidia/curand/lib/libcurand.so.10");
        touch(&site, "nvidia/cuda_runtime/lib/libcudart.so.12");
        let (layout, found) = choose_layout(std::slice::from_ref(&site));
        assert_eq!(layout.cuda_major, 12);
        assert_eq!(
            found[0],
            Some(site.join("nvidia/cublas/lib/libcublasLt.so.12"))
        );
        assert_eq!(found[2], None, "nvrtc is optional and absent");

        for file in [
            "libcublasLt.so.13",
            "libcublas.so.13",
            "libcurand.so.10",
            "libcudart.so.13",
        ] {
            touch(&site, &format!("nvidia/cu13/lib/{file}"));
        }
        touch(&site, "nvidia/cudnn/lib/libcudnn.so.9");
        let (layout, found) = choose_layout(std::slice::from_ref(&site));
        assert_eq!(layout.cuda_major, 13);
        assert_eq!(found[6], Some(site.join("nvidia/cudnn/lib/libcudnn.so.9")));
    }

    #[test]
    fn a_flat_directory_of_libraries_counts_too() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "libcublasLt.so.13",
            "libcublas.so.13",
            "libcurand.so.10",
            "libcudart.so.13",
        ] {
            touch(dir.path(), file);
        }
        let (layout, found) = choose_layout(&[dir.path().to_path_buf()]);
        assert_eq!(layout.cuda_major, 13);
        assert_eq!(found[5], Some(dir.path().join("libcudart.so.13")));
    }

    #[test]
    fn cuda_versions_read_as_major_dot_minor() {
        assert_eq!(version_text(13000), "13.0");
        assert_eq!(version_text(12080), "12.8");
    }
}
