//! Git LFS and DVC pointer files: small text files standing in for the real content.
//!
//! libgit2 runs no LFS filter, and CI checkouts often skip `git lfs pull`; a pointer where a
//! model or dataset should be must give a clear error, never a parse failure deep inside.

use std::io::Read;
use std::path::Path;

const LFS_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// What a pointer file stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsPointer {
    pub oid: String,
    pub size: u64,
}

/// Parses `bytes` as a Git LFS pointer, if it is one.
pub fn parse_pointer(bytes: &[u8]) -> Option<LfsPointer> {
    if !bytes.starts_with(LFS_PREFIX) || bytes.len() > 1024 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("oid ") {
            oid = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("size ") {
            size = v.trim().parse().ok();
        }
    }
    Some(LfsPointer {
        oid: oid?,
        size: size?,
    })
}

/// Reads the first bytes of a file and tells whether it is an LFS pointer.
pub fn file_is_pointer(path: &Path) -> std::io::Result<Option<LfsPointer>> {
    let mut head = Vec::with_capacity(1024);
    crate::input_file::open_regular(path)?
        .0
        .take(1025)
        .read_to_end(&mut head)?;
    Ok(parse_pointer(&head))
}

/// The id Git LFS gives `path`'s content (`sha256:<hex>`), to tell whether a fetched file is
/// the object its pointer names.
pub fn sha256_oid_of_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let (file, size) = crate::input_file::open_regular(path)?;
    std::io::copy(&mut file.take(size), &mut hasher)?;
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

/// The content a pointer stands for, from the local LFS store (`lfs.storage`, else
/// `<git dir>/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>`), else from `git lfs smudge` when
/// git-lfs is installed. `None` when neither has it. The content is checked against the
/// pointer's size and sha256, so a wrong object is never evaluated.
pub fn fetch_object(repo: &git2::Repository, pointer: &LfsPointer) -> Option<Vec<u8>> {
    let hex = pointer.oid.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let matches = |bytes: &[u8]| {
        use sha2::{Digest, Sha256};
        let digest: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        bytes.len() as u64 == pointer.size && digest.eq_ignore_ascii_case(hex)
    };
    let git_dir = repo.commondir();
    let storage = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("lfs.storage").ok())
        .map(|p| if p.is_absolute() { p } else { git_dir.join(p) })
        .unwrap_or_else(|| git_dir.join("lfs"));
    let object = storage
        .join("objects")
        .join(&hex[0..2])
        .join(&hex[2..4])
        .join(hex);
    if let Ok(bytes) = crate::input_file::read_regular(&object)
        && matches(&bytes)
    {
        return Some(bytes);
    }
    smudge(repo, pointer).filter(|bytes| matches(bytes))
}

/// `git lfs smudge` with the pointer on stdin, in the work tree; `None` when git-lfs is not
/// installed or cannot get the object.
fn smudge(repo: &git2::Repository, pointer: &LfsPointer) -> Option<Vec<u8>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("git")
        .args(["lfs", "smudge"])
        .current_dir(repo.workdir()?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let text = format!(
        "version https://git-lfs.github.com/spec/v1\noid {}\nsize {}\n",
        pointer.oid, pointer.size
    );
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

/// The message for a git baseline that is an LFS pointer whose object is not here.
pub fn baseline_pointer_message(path: &str, revision: &str, pointer: &LfsPointer) -> String {
    format!(
        "the baseline `{path}` at `{revision}` is stored with Git LFS ({} bytes, {}), and that \
         object is neither in the local LFS store nor available from `git lfs smudge`; fetch it \
         with `git lfs fetch origin {revision}` (in GitHub Actions: `actions/checkout` with \
         `lfs: true` and `fetch-depth: 0`), or install git-lfs",
        pointer.size, pointer.oid
    )
}

/// The message for a pointer found where content was expected.
pub fn pointer_message(path: &Path, pointer: &LfsPointer) -> String {
    format!(
        "{} is a Git LFS pointer ({} bytes, {}), not the file itself; fetch the content with `git lfs pull` \
         (in GitHub Actions: `actions/checkout` with `lfs: true`)",
        path.display(),
        pointer.size,
        pointer.oid
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_pointer() {
        let text = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
        let p = parse_pointer(text).unwrap();
        assert_eq!(p.size, 12345);
        assert!(p.oid.starts_with("sha256:4d7a"));
        assert_eq!(parse_pointer(b"\x08\x07\x12\x07skl2onnx"), None);
    }
}
