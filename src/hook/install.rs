//! Writing and removing the hook scripts.
//!
//! A hook that is already there is never overwritten: it is moved aside to
//! `<hook>.before-mlops-ci` and the new script runs it first (with the same arguments and, for
//! pre-push, the same stdin), so both run; uninstalling moves it back.

use std::path::{Path, PathBuf};

use super::{HookError, HookKind};
use crate::git::Repo;

/// A line every script written by mlops-ci carries, so that it can recognise its own.
const MARKER: &str = "mlops-ci-managed-hook";
const PREVIOUS_SUFFIX: &str = ".before-mlops-ci";

/// Where git looks for hooks: `core.hooksPath` (relative to the work tree root, as git reads
/// it) or `.git/hooks` of the main repository (shared by linked worktrees).
pub fn hooks_dir(repo: &Repo) -> Result<PathBuf, HookError> {
    let config = repo.repo.config()?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => Ok(repo.workdir().join(path)),
        Err(_) => Ok(repo.repo.commondir().join("hooks")),
    }
}

/// Installs the hook `kind`; returns what was done, for the user.
pub fn install(
    repo: &Repo,
    kind: HookKind,
    binary: &Path,
    config_dir: &str,
    config_file: Option<&str>,
) -> Result<String, HookError> {
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).map_err(|source| HookError::Io {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(kind.file_name());
    let previous = previous_path(&path);
    let mut done = format!("installed {} hook at {}", kind.file_name(), path.display());
    match std::fs::read(&path) {
        Ok(existing) if is_ours(&existing) => {
            done = format!("updated {} hook at {}", kind.file_name(), path.display())
        }
        Ok(_) => {
            if previous.exists() {
                return Err(HookError::PreviousExists {
                    hook: path,
                    previous,
                });
            }
            std::fs::rename(&path, &previous).map_err(|source| HookError::Io {
                path: path.clone(),
                source,
            })?;
            done.push_str(&format!(
                "; the existing hook was moved to {} and runs first",
                previous.display()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(HookError::Io { path, source }),
    }
    let script = script(kind, binary, config_dir, config_file);
    std::fs::write(&path, script).map_err(|source| HookError::Io {
        path: path.clone(),
        source,
    })?;
    make_executable(&path)?;
    Ok(done)
}

/// Removes the hook `kind` if mlops-ci wrote it, restoring the one it replaced.
pub fn uninstall(repo: &Repo, kind: HookKind) -> Result<String, HookError> {
    let path = hooks_dir(repo)?.join(kind.file_name());
    let existing = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(format!("no {} hook installed", kind.file_name()));
        }
        Err(source) => return Err(HookError::Io { path, source }),
    };
    if !is_ours(&existing) {
        return Ok(format!(
            "{} was not written by mlops-ci; left as it is",
            path.display()
        ));
    }
    std::fs::remove_file(&path).map_err(|source| HookError::Io {
        path: path.clone(),
        source,
    })?;
    let previous = previous_path(&path);
    if previous.exists() {
        std::fs::rename(&previous, &path).map_err(|source| HookError::Io {
            path: previous.clone(),
            source,
        })?;
        return Ok(format!(
            "removed the mlops-ci {} hook and restored the previous one",
            kind.file_name()
        ));
    }
    Ok(format!("removed the mlops-ci {} hook", kind.file_name()))
}

fn is_ours(script: &[u8]) -> bool {
    script.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

fn previous_path(hook: &Path) -> PathBuf {
    let mut name = hook.file_name().unwrap_or_default().to_os_string();
    name.push(PREVIOUS_SUFFIX);
    hook.with_file_name(name)
}

/// The script. The binary's absolute path is written in so that the hook works without
/// mlops-ci on PATH; `MLOPS_CI_BIN` overrides it, and `mlops-ci` on PATH is the fallback when
/// the recorded binary has gone away.
fn script(kind: HookKind, binary: &Path, config_dir: &str, config_file: Option<&str>) -> String {
    let name = kind.file_name();
    let mut args = format!("-C {}", quote(config_dir));
    if let Some(file) = config_file {
        args.push_str(&format!(" --config {}", quote(file)));
    }
    let head = format!(
        "#!/bin/sh\n\
         # {MARKER}: written by `mlops-ci hook install`; `mlops-ci hook uninstall` removes it\n\
         # and restores the hook that was here before (kept as {name}{PREVIOUS_SUFFIX}).\n\
         # Skip once with MLOPS_CI_SKIP=1 or `git {skip}`; MLOPS_CI_BIN overrides the binary.\n\
         default_bin={bin}\n\
         bin=\"${{MLOPS_CI_BIN:-$default_bin}}\"\n\
         [ -x \"$bin\" ] || bin=mlops-ci\n\
         previous=\"$(dirname \"$0\")/{name}{PREVIOUS_SUFFIX}\"\n",
        skip = match kind {
            HookKind::PrePush => "push --no-verify",
            HookKind::PreCommit => "commit --no-verify",
        },
        bin = quote(&binary.to_string_lossy()),
    );
    let body = match kind {
        // pre-push gets the refs on stdin: read them once and give them to both hooks.
        HookKind::PrePush => format!(
            "input=$(cat)\n\
             replay() {{ if [ -n \"$input\" ]; then printf '%s\\n' \"$input\"; fi; }}\n\
             if [ -x \"$previous\" ]; then\n  replay | \"$previous\" \"$@\" || exit $?\nfi\n\
             replay | \"$bin\" {args} hook run pre-push \"$@\"\n"
        ),
        HookKind::PreCommit => format!(
            "if [ -x \"$previous\" ]; then\n  \"$previous\" \"$@\" || exit $?\nfi\n\
             exec \"$bin\" {args} hook run pre-commit \"$@\"\n"
        ),
    };
    head + &body
}

/// Single-quotes a string for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), HookError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        HookError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), HookError> {
    Ok(()) // git for Windows runs hooks through its own sh; there is no executable bit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_odd_paths() {
        assert_eq!(
            quote("/opt/it's here/mlops-ci"),
            r"'/opt/it'\''s here/mlops-ci'"
        );
        let script = script(HookKind::PrePush, Path::new("/usr/bin/mlops-ci"), ".", None);
        assert!(is_ours(script.as_bytes()));
        assert!(script.contains("hook run pre-push \"$@\""));
    }
}
