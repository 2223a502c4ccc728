//! `mlops-ci doctor`: what this machine offers, without evaluating anything.

use std::fmt::Write as _;
use std::path::Path;

use crate::runtime::{Runtime, RuntimeOptions, find_library};

/// Human-readable findings; never fails (each problem is a line of the output).
pub fn doctor(dir: &Path, options: &RuntimeOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "mlops-ci {}", env!("CARGO_PKG_VERSION"));
    match find_library(options.ort_lib.as_deref()) {
        Ok(lib) => {
            let _ = writeln!(
                out,
                "onnxruntime  {} at {} (found via {})",
                lib.version,
                lib.path.display(),
                lib.source
            );
            if let Some(warning) = lib.untested_warning() {
                let _ = writeln!(out, "warning      {warning}");
            }
            match Runtime::load(&RuntimeOptions {
                ort_lib: Some(lib.path.clone()),
                offline: true,
            }) {
                Ok(runtime) => {
                    let providers = runtime.compiled_providers();
                    let _ = writeln!(
                        out,
                        "providers    {} (compiled into this build)",
                        providers.join(", ")
                    );
                    let auto = if providers.contains(&"cuda") {
                        match runtime.prepare_cuda() {
                            Ok(setup) => {
                                let _ = writeln!(out, "gpu          {}", setup.gpu.summary());
                                for lib in &setup.loaded {
                                    let _ = writeln!(out, "cuda lib     {}", lib.display());
                                }
                                for note in &setup.notes {
                                    let _ = writeln!(out, "cuda note    {note}");
                                }
                                "device = auto uses cuda (tensorrt only when asked)".to_owned()
                            }
                            Err(e) => format!("device = auto will run on cpu: {e}"),
                        }
                    } else {
                        "device = auto will run on cpu (no CUDA execution provider in this build; `mlops-ci runtime install --gpu`)".to_owned()
                    };
                    let _ = writeln!(out, "device       {auto}");
                }
                Err(e) => {
                    let _ = writeln!(out, "providers    unknown: {e}");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(out, "onnxruntime  not found: {e}");
        }
    }
    let gpu = Path::new("/proc/driver/nvidia/version").exists() || which("nvidia-smi");
    let _ = writeln!(
        out,
        "nvidia       {}",
        if gpu {
            "driver present"
        } else {
            "no NVIDIA driver detected"
        }
    );
    match crate::git::Repo::discover(dir) {
        Some(repo) => {
            let _ = writeln!(
                out,
                "git          repository at {}",
                repo.workdir().display()
            );
            match repo.resolve_base(&crate::git::BaseQuery::default()) {
                Ok(Some(base)) => {
                    let _ = writeln!(out, "baseline     {}", base.how);
                }
                Ok(None) => {
                    let _ = writeln!(
                        out,
                        "baseline     none found automatically (use --base or baseline.ref)"
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "baseline     {e}");
                }
            }
        }
        None => {
            let _ = writeln!(out, "git          not a git repository");
        }
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some() {
        let var = |n: &str| std::env::var(n).unwrap_or_else(|_| "-".into());
        let token = if std::env::var_os("GITHUB_TOKEN").is_some() {
            "set"
        } else {
            "not set"
        };
        let _ = writeln!(
            out,
            "github       {} event {} (GITHUB_TOKEN {token})",
            var("GITHUB_REPOSITORY"),
            var("GITHUB_EVENT_NAME")
        );
    } else {
        let _ = writeln!(out, "github       not running in GitHub Actions");
    }
    out
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
