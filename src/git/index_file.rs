//! A quick proof that nothing is staged, modified or untracked at a few paths.
//!
//! Loading the index through libgit2 verifies its SHA-1 over the whole file (8.8 MB for
//! 100,000 files, with the slow collision-detecting SHA-1) and builds a map of every entry:
//! most of the time `detect` would spend. git itself skips that checksum. Here the index is
//! read directly, only entries inside the scope are kept, and they are compared with HEAD and
//! with the files' stat data the way git's stat cache is used. Anything this reader is not
//! sure about (split or sparse index, conflicts, flags, racy timestamps, an unknown file)
//! answers "not proven clean", and the caller asks libgit2, which is always right.

use std::collections::HashSet;
use std::path::Path;

use git2::{ObjectType, Tree};

use super::Repo;

const HASH_LEN: usize = 20;
const FIXED_LEN: usize = 62; // ctime, mtime, dev, ino, mode, uid, gid, size, oid, flags

struct Entry {
    path: String,
    mode: u32,
    id: [u8; HASH_LEN],
    ctime: (u32, u32),
    mtime: (u32, u32),
    ino: u32,
    size: u32,
}

/// True only when every path in `scope` (files or directories) is the same in HEAD, the index
/// and (with `workdir`) the working tree, with no untracked, unignored file among them.
pub(crate) fn scope_is_clean(
    repo: &Repo,
    head: Option<&Tree<'_>>,
    scope: &[String],
    workdir: bool,
) -> bool {
    if std::env::var_os("GIT_INDEX_FILE").is_some() {
        return false;
    }
    let index_path = repo.repo.path().join("index");
    let Ok(bytes) = std::fs::read(&index_path) else {
        // No index yet: clean exactly when HEAD and the scope are empty; let libgit2 say.
        return false;
    };
    let Some(entries) = scoped_entries(&bytes, scope) else {
        return false;
    };
    let tracked: HashSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    if !matches_head(repo, head, scope, &entries, &tracked) {
        return false;
    }
    if !workdir {
        return true;
    }
    let Some(index_mtime) = std::fs::metadata(&index_path)
        .ok()
        .and_then(|m| mtime_of(&m))
    else {
        return false;
    };
    entries
        .iter()
        .all(|e| unchanged_on_disk(repo.workdir(), e, index_mtime))
        && no_untracked(repo, scope, &tracked)
}

/// The index entries inside `scope`; `None` for anything this reader does not handle.
fn scoped_entries(bytes: &[u8], scope: &[String]) -> Option<Vec<Entry>> {
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    if bytes.get(..4) != Some(b"DIRC") {
        return None;
    }
    let version = u32_at(4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = u32_at(8)? as usize;
    let mut at = 12;
    let mut previous: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..count {
        let flags = u16_at(at + 60)?;
        let extended = version >= 3 && flags & 0x4000 != 0;
        let extended_flags = if extended { u16_at(at + FIXED_LEN)? } else { 0 };
        let path_start = at + FIXED_LEN + if extended { 2 } else { 0 };
        let path: Vec<u8>;
        let next;
        if version == 4 {
            // Path compression: drop N bytes from the previous path, append the NUL-ended rest.
            let (strip, used) = varint(bytes.get(path_start..)?)?;
            let rest_start = path_start + used;
            let len = bytes.get(rest_start..)?.iter().position(|&b| b == 0)?;
            let keep = previous.len().checked_sub(strip)?;
            path = [&previous[..keep], &bytes[rest_start..rest_start + len]].concat();
            next = rest_start + len + 1;
        } else {
            let len = bytes.get(path_start..)?.iter().position(|&b| b == 0)?;
            path = bytes[path_start..path_start + len].to_vec();
            // Entries are padded with NULs to a multiple of 8 bytes.
            next = at + ((path_start - at + len + 8) & !7);
        }
        let text = std::str::from_utf8(&path).ok()?;
        if in_scope(text, scope) {
            let stage = (flags >> 12) & 3;
            let assume_valid = flags & 0x8000 != 0;
            // skip-worktree and intent-to-add change what the entry means: leave it to libgit2.
            if stage != 0 || assume_valid || extended_flags & 0x6000 != 0 {
                return None;
            }
            let mut id = [0u8; HASH_LEN];
            id.copy_from_slice(bytes.get(at + 40..at + 40 + HASH_LEN)?);
            out.push(Entry {
                path: text.to_owned(),
                ctime: (u32_at(at)?, u32_at(at + 4)?),
                mtime: (u32_at(at + 8)?, u32_at(at + 12)?),
                ino: u32_at(at + 20)?,
                mode: u32_at(at + 24)?,
                size: u32_at(at + 36)?,
                id,
            });
        }
        previous = path;
        at = next;
    }
    // Extensions up to the trailing checksum: a split index ("link") keeps entries in another
    // file, a sparse index ("sdir") folds directories into one entry. Neither is read here.
    while at + 8 <= bytes.len().saturating_sub(HASH_LEN) {
        let signature = bytes.get(at..at + 4)?;
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        at += 8 + u32_at(at + 4)? as usize;
    }
    Some(out)
}

/// git's offset encoding (varint.c): 7 bits a byte, each continuation adding one.
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: usize = (bytes.first()? & 0x7f) as usize;
    let mut used = 1;
    while bytes.get(used - 1)? & 0x80 != 0 {
        value = value.checked_add(1)?.checked_shl(7)? | (bytes.get(used)? & 0x7f) as usize;
        used += 1;
    }
    Some((value, used))
}

fn in_scope(path: &str, scope: &[String]) -> bool {
    scope.iter().any(|s| {
        path == s || (path.starts_with(s.as_str()) && path.as_bytes().get(s.len()) == Some(&b'/'))
    })
}

/// Staged nothing: every scoped entry is in HEAD with the same id and mode, and every file of
/// HEAD inside the scope is in the index.
fn matches_head(
    repo: &Repo,
    head: Option<&Tree<'_>>,
    scope: &[String],
    entries: &[Entry],
    tracked: &HashSet<&str>,
) -> bool {
    let Some(head) = head else {
        return entries.is_empty();
    };
    for entry in entries {
        let Ok(at_head) = head.get_path(Path::new(&entry.path)) else {
            return false;
        };
        if at_head.id().as_bytes() != entry.id || at_head.filemode() as u32 != entry.mode {
            return false;
        }
    }
    for path in scope {
        let Ok(at_head) = head.get_path(Path::new(path)) else {
            continue;
        };
        let all_tracked = match at_head.kind() {
            Some(ObjectType::Tree) => {
                let Ok(tree) = repo.repo.find_tree(at_head.id()) else {
                    return false;
                };
                let mut ok = true;
                let walked = tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                    if e.kind() == Some(ObjectType::Blob)
                        && !tracked
                            .contains(format!("{path}/{dir}{}", e.name().unwrap_or("")).as_str())
                    {
                        ok = false;
                        return git2::TreeWalkResult::Abort;
                    }
                    git2::TreeWalkResult::Ok
                });
                walked.is_ok() && ok
            }
            _ => tracked.contains(path.as_str()),
        };
        if !all_tracked {
            return false;
        }
    }
    true
}

#[cfg(unix)]
fn mtime_of(meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((
        u32::try_from(meta.mtime()).ok()?,
        u32::try_from(meta.mtime_nsec()).ok()?,
    ))
}

#[cfg(not(unix))]
fn mtime_of(_meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    None // stat data differs in meaning elsewhere; libgit2 handles it
}

/// git's stat check: the same size, times, inode and kind as recorded, and recorded before
/// the index was written (a file changed in the same instant is "racily clean": unproven).
#[cfg(unix)]
fn unchanged_on_disk(workdir: &Path, entry: &Entry, index_mtime: (u32, u32)) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(workdir.join(&entry.path)) else {
        return false;
    };
    let kind_matches = match entry.mode & 0o170000 {
        0o100000 => meta.is_file() && ((meta.mode() & 0o100 != 0) == (entry.mode == 0o100755)),
        0o120000 => meta.file_type().is_symlink(),
        _ => false, // gitlinks (submodules): not this reader's business
    };
    kind_matches
        && meta.len() as u32 == entry.size
        && mtime_of(&meta) == Some(entry.mtime)
        && (meta.ctime() as u32, meta.ctime_nsec() as u32) == entry.ctime
        && meta.ino() as u32 == entry.ino
        && entry.mtime < index_mtime
}

#[cfg(not(unix))]
fn unchanged_on_disk(_workdir: &Path, _entry: &Entry, _index_mtime: (u32, u32)) -> bool {
    false
}

/// No file inside the scope that git does not track and does not ignore.
fn no_untracked(repo: &Repo, scope: &[String], tracked: &HashSet<&str>) -> bool {
    scope.iter().all(
        |path| match std::fs::symlink_metadata(repo.workdir().join(path)) {
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            Ok(meta) if meta.is_dir() => dir_has_no_untracked(repo, path, tracked),
            Ok(_) => tracked.contains(path.as_str()) || ignored(repo, path),
        },
    )
}

fn dir_has_no_untracked(repo: &Repo, dir: &str, tracked: &HashSet<&str>) -> bool {
    if ignored(repo, &format!("{dir}/")) {
        return true;
    }
    let Ok(read) = std::fs::read_dir(repo.workdir().join(dir)) else {
        return false;
    };
    for item in read {
        let Ok(item) = item else { return false };
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            return false;
        };
        let path = format!("{dir}/{name}");
        let Ok(kind) = item.file_type() else {
            return false;
        };
        let clean = if kind.is_dir() {
            name == ".git" || dir_has_no_untracked(repo, &path, tracked)
        } else {
            tracked.contains(path.as_str()) || ignored(repo, &path)
        };
        if !clean {
            return false;
        }
    }
    true
}

fn ignored(repo: &Repo, path: &str) -> bool {
    repo.repo.is_path_ignored(path).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_offset_varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        // 0x80 0x00 is 128 in git's encoding (each continuation adds one before shifting).
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn scope_matches_files_and_directories_only() {
        let scope = vec!["data".to_owned(), "models/m.onnx".to_owned()];
        assert!(in_scope("data/x.csv", &scope) && in_scope("models/m.onnx", &scope));
        assert!(!in_scope("database.csv", &scope) && !in_scope("models/m.onnx.bak", &scope));
    }
}
