//! Finding models and data files under the directory `init` writes the config in.

use std::path::{Path, PathBuf};

/// Directories never searched: tool caches, build outputs and virtual environments hold
/// models and CSV files that are not the project's own.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    "node_modules",
    "venv",
    "env",
    "site-packages",
    "__pycache__",
    "build",
    "dist",
];
/// Deep enough for `projects/<team>/models/<name>/model.onnx`, shallow enough to stay quick.
const MAX_DEPTH: usize = 8;
/// Data formats the readers support.
pub const DATA_EXTENSIONS: &[&str] = crate::data::EXTENSIONS;

/// What was found, as paths relative to the searched directory.
#[derive(Debug, Default)]
pub struct Found {
    pub models: Vec<PathBuf>,
    pub data: Vec<PathBuf>,
}

/// Walks `root` (no symlinks, no hidden directories), sorted so that the result is stable.
pub fn scan(root: &Path) -> std::io::Result<Found> {
    let mut found = Found::default();
    walk(root, Path::new(""), 0, &mut found)?;
    found.models.sort();
    found.data.sort();
    Ok(found)
}

fn walk(root: &Path, relative: &Path, depth: usize, found: &mut Found) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(relative))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text.starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = relative.join(&name);
        if kind.is_dir() {
            if depth < MAX_DEPTH && !SKIPPED_DIRS.contains(&name_text.as_ref()) {
                walk(root, &path, depth + 1, found)?;
            }
        } else if kind.is_file() {
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if extension == "onnx" {
                found.models.push(path);
            } else if DATA_EXTENSIONS.contains(&extension.as_str()) {
                found.data.push(path);
            }
        }
    }
    Ok(())
}

/// `path` with `/` separators, as the config writes paths on every OS.
pub fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
