//! Finding libonnxruntime, in the documented order.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::RuntimeError;

/// Where the library was found; reports and `doctor` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibrarySource {
    Flag,
    MlopsCiEnv,
    OrtDylibPath,
    Cache,
    Python,
    System,
}

impl fmt::Display for LibrarySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LibrarySource::Flag => "--ort-lib",
            LibrarySource::MlopsCiEnv => "MLOPS_CI_ORT_LIB",
            LibrarySource::OrtDylibPath => "ORT_DYLIB_PATH",
            LibrarySource::Cache => "mlops-ci cache",
            LibrarySource::Python => "python3 onnxruntime package",
            LibrarySource::System => "system library path",
        })
    }
}

#[derive(Debug, Clone)]
pub struct RuntimeLibrary {
    pub path: PathBuf,
    /// Full version when the file name tells it (`libonnxruntime.so.1.31.1`), else `1.<minor>`.
    pub version: String,
    pub source: LibrarySource,
}

/// The ONNX Runtime minor versions the test suite runs against (README "ONNX Runtime and GPU
/// runners"); others from 1.17 on load, but their results are not vouched for.
pub const TESTED_ORT_MINORS: std::ops::RangeInclusive<u32> = 31..=32;

impl RuntimeLibrary {
    /// A warning when this library's version is outside [`TESTED_ORT_MINORS`] (say, an older
    /// onnxruntime in the active virtual environment), naming the tested range and the fix.
    pub fn untested_warning(&self) -> Option<String> {
        let minor: u32 = self.version.split('.').nth(1)?.parse().ok()?;
        (!TESTED_ORT_MINORS.contains(&minor)).then(|| {
            format!(
                "ONNX Runtime {} ({}, found via {}) is outside the tested versions 1.{}–1.{}; results may differ. \
                 `mlops-ci runtime install` provides the tested {}",
                self.version,
                self.path.display(),
                self.source,
                TESTED_ORT_MINORS.start(),
                TESTED_ORT_MINORS.end(),
                super::PINNED_ORT_VERSION
            )
        })
    }

    /// Checks that `path` is a loadable ONNX Runtime 1.x and reads its version.
    pub fn inspect(path: PathBuf, source: LibrarySource) -> Result<Self, RuntimeError> {
        if !path.is_file() {
            return Err(RuntimeError::Unusable {
                path,
                source_name: source.to_string(),
                message: "no such file".into(),
            });
        }
        let Some(minor) = ort::util::probe(&path) else {
            return Err(RuntimeError::Unusable {
                path,
                source_name: source.to_string(),
                message: "it does not load as ONNX Runtime 1.x (wrong file, wrong architecture, or missing dependencies)".into(),
            });
        };
        let version = version_from_file_name(&path)
            .filter(|v| v.starts_with(&format!("1.{minor}.")))
            .unwrap_or_else(|| format!("1.{minor}"));
        Ok(Self {
            path,
            version,
            source,
        })
    }
}

/// `libonnxruntime.so.1.31.1` → `1.31.1` (following symlinks to the versioned file).
fn version_from_file_name(path: &Path) -> Option<String> {
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = resolved.file_name()?.to_str()?;
    let version = name
        .rsplit_once(".so.")
        .map(|(_, v)| v)
        .or_else(|| name.strip_prefix("libonnxruntime.")?.strip_suffix(".dylib"))?;
    (version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()))
        .then(|| version.to_owned())
}

/// Looks for the library: `--ort-lib`, `MLOPS_CI_ORT_LIB`, `ORT_DYLIB_PATH`, the cache,
/// python3's onnxruntime package, the system library paths. An explicitly named library
/// that does not work is an error, not a reason to look elsewhere.
pub fn find_library(flag: Option<&Path>) -> Result<RuntimeLibrary, RuntimeError> {
    let explicit = [
        (flag.map(Path::to_path_buf), LibrarySource::Flag),
        (env_path("MLOPS_CI_ORT_LIB"), LibrarySource::MlopsCiEnv),
        (env_path("ORT_DYLIB_PATH"), LibrarySource::OrtDylibPath),
    ];
    for (path, source) in explicit {
        if let Some(path) = path {
            return RuntimeLibrary::inspect(path, source);
        }
    }
    let mut searched = vec!["MLOPS_CI_ORT_LIB and ORT_DYLIB_PATH unset".to_owned()];
    let cache = super::provision::cache_dirs();
    for dir in &cache {
        if let Some(path) = library_in_python_package(&dir.join("onnxruntime")) {
            return RuntimeLibrary::inspect(path, LibrarySource::Cache);
        }
    }
    searched.push(format!(
        "cache {}",
        super::provision::cache_root().display()
    ));
    match python_package_dir() {
        Some(dir) => {
            if let Some(path) = library_in_python_package(&dir) {
                return RuntimeLibrary::inspect(path, LibrarySource::Python);
            }
            searched.push(format!("python3 package {}", dir.display()));
        }
        None => searched.push("no onnxruntime package for python3".to_owned()),
    }
    for dir in system_dirs() {
        if let Some(path) = library_in(&dir) {
            return RuntimeLibrary::inspect(path, LibrarySource::System);
        }
    }
    searched.push("system library paths".to_owned());
    Err(RuntimeError::NotFound {
        searched: searched.join("; "),
    })
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The onnxruntime package directory of the `python3` on PATH, found without importing it
/// (importing onnxruntime takes a few hundred milliseconds).
fn python_package_dir() -> Option<PathBuf> {
    let script = "import importlib.util as u; s = u.find_spec('onnxruntime'); print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')";
    let output = Command::new("python3").args(["-c", script]).output().ok()?;
    let dir = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<package>/capi/libonnxruntime.so.<version>` in a pip-installed onnxruntime.
pub(super) fn library_in_python_package(package: &Path) -> Option<PathBuf> {
    library_in(&package.join("capi"))
}

fn is_runtime_library(name: &str) -> bool {
    (name.starts_with("libonnxruntime.so")
        || (name.starts_with("libonnxruntime.") && name.ends_with(".dylib"))
        || name == "onnxruntime.dll")
        && !name.contains("providers")
}

/// The ONNX Runtime library in `dir`, preferring the versioned file name.
fn library_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_runtime_library)
        })
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found.into_iter().next()
}

fn system_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/local/lib",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
            "/opt/homebrew/lib",
        ]
        .map(PathBuf::from),
    );
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_outside_the_tested_range_are_warned_about() {
        let library = |version: &str| RuntimeLibrary {
            path: PathBuf::from("/venv/libonnxruntime.so"),
            version: version.to_owned(),
            source: LibrarySource::Python,
        };
        assert!(library("1.31.1").untested_warning().is_none());
        assert!(library("1.32").untested_warning().is_none());
        let warning = library("1.20.1").untested_warning().unwrap();
        assert!(
            warning.contains("1.20.1") && warning.contains("tested versions 1.31–1.32"),
            "{warning}"
        );
    }

    #[test]
    fn recognises_runtime_libraries_but_not_providers() {
        assert!(is_runtime_library("libonnxruntime.so.1.31.1"));
        assert!(is_runtime_library("libonnxruntime.so"));
        assert!(is_runtime_library("libonnxruntime.1.31.1.dylib"));
        assert!(!is_runtime_library("libonnxruntime_providers_cuda.so"));
        assert!(!is_runtime_library("libonnxruntime_providers_shared.so"));
    }
}
