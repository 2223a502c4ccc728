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

/// Where Git LFS keeps the object `pointer` names in the repository at `git_dir`, when it was
/// fetched: `<git_dir>/lfs/objects/ab/cd/abcd…`.
pub fn local_object(git_dir: &Path, pointer: &LfsPointer) -> Option<std::path::PathBuf> {
    let hex = pointer.oid.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let path = git_dir
        .join("lfs/objects")
        .join(&hex[..2])
        .join(&hex[2..4])
        .join(hex);
    path.is_file().then_some(path)
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
