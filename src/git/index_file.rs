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

/// What the quick reader found at the scope's paths.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QuickStatus {
    /// HEAD, the index and the working tree agree; no untracked, unignored file.
    Clean,
    /// Only these paths may differ (libgit2 says how, looking at them alone).
    Dirty(Vec<String>),
    /// Not something this reader handles: ask libgit2 about the whole scope.
    Unknown,
}

/// More dirty paths than this: let libgit2 walk the scope itself.
const DIRTY_LIMIT: usize = 10_000;

/// Compares HEAD, the index and (with `workdir`) the working tree at the paths in `scope`
/// (files or directories; `""` is the whole tree).
pub(crate) fn quick_status(
    repo: &Repo,
    head: Option<&Tree<'_>>,
    scope: &[String],
    workdir: bool,
) -> QuickStatus {
    if std::env::var_os("GIT_INDEX_FILE").is_some() {
        return QuickStatus::Unknown;
    }
    let index_path = repo.repo.path().join("index");
    // No index yet (nothing ever staged): libgit2 knows what that means.
    let Ok(bytes) = std::fs::read(&index_path) else {
        return QuickStatus::Unknown;
    };
    let Some(ScopedIndex { entries, root_tree }) = scoped_entries(&bytes, scope) else {
        return QuickStatus::Unknown;
    };
    let tracked: HashSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    // A valid cache-tree root equal to HEAD's tree: nothing at all is staged, which spares a
    // lookup in HEAD per entry (100,000 of them when the scope is the whole tree).
    let same_as_head = head.is_some_and(|h| root_tree.is_some_and(|id| h.id().as_bytes() == id));
    let mut dirty = if same_as_head {
        Vec::new()
    } else {
        match staged_paths(repo, head, scope, &entries, &tracked) {
            Some(paths) => paths,
            None => return QuickStatus::Unknown,
        }
    };
    if workdir {
        let Some(index_mtime) = std::fs::metadata(&index_path)
            .ok()
            .and_then(|m| mtime_of(&m))
        else {
            return QuickStatus::Unknown;
        };
        dirty.extend(changed_on_disk(repo.workdir(), &entries, index_mtime));
        match untracked(repo, scope, &tracked) {
            Some(paths) => dirty.extend(paths),
            None => return QuickStatus::Unknown,
        }
    }
    dirty.sort();
    dirty.dedup();
    match dirty.len() {
        0 => QuickStatus::Clean,
        n if n > DIRTY_LIMIT => QuickStatus::Unknown,
        _ => QuickStatus::Dirty(dirty),
    }
}

/// The entries whose stat data says they may have changed: one `lstat` each, spread over the
/// cores when there are many (as git's preload-index does).
fn changed_on_disk(workdir: &Path, entries: &[Entry], index_mtime: (u32, u32)) -> Vec<String> {
    const PER_THREAD: usize = 4096;
    let check = |part: &[Entry]| -> Vec<String> {
        part.iter()
            .filter(|e| !unchanged_on_disk(workdir, e, index_mtime))
            .map(|e| e.path.clone())
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if entries.len() < 2 * PER_THREAD || threads < 2 {
        return check(entries);
    }
    let chunk = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = entries
            .chunks(chunk)
            .map(|part| (part, scope.spawn(move || check(part))))
            .collect();
        // A worker that panicked proves nothing: all of its entries count as changed.
        workers
            .into_iter()
            .flat_map(|(part, worker)| {
                worker
                    .join()
                    .unwrap_or_else(|_| part.iter().map(|e| e.path.clone()).collect())
            })
            .collect()
    })
}

/// What the index says about the scope.
struct ScopedIndex {
    entries: Vec<Entry>,
    /// The tree the whole index would write, when its cache-tree extension knows it.
    root_tree: Option<[u8; HASH_LEN]>,
}

/// The index entries inside `scope`; `None` for anything this reader does not handle.
fn scoped_entries(bytes: &[u8], scope: &[String]) -> Option<ScopedIndex> {
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
    let mut root_tree = None;
    while at + 8 <= bytes.len().saturating_sub(HASH_LEN) {
        let signature = bytes.get(at..at + 4)?;
        let size = u32_at(at + 4)? as usize;
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        if signature == b"TREE" {
            root_tree = cache_tree_root(bytes.get(at + 8..at + 8 + size)?);
        }
        at += 8 + size;
    }
    Some(ScopedIndex {
        entries: out,
        root_tree,
    })
}

/// The root of the cache-tree extension: `"" NUL <entries> SP <subtrees> LF <id>`, where an
/// entry count of -1 means the root is invalid (something was staged since it was written).
fn cache_tree_root(data: &[u8]) -> Option<[u8; HASH_LEN]> {
    let rest = data.strip_prefix(b"\0")?;
    let newline = rest.iter().position(|&b| b == b'\n')?;
    let counts = std::str::from_utf8(&rest[..newline]).ok()?;
    let entry_count: i64 = counts.split(' ').next()?.parse().ok()?;
    if entry_count < 0 {
        return None;
    }
    rest.get(newline + 1..newline + 1 + HASH_LEN)?
        .try_into()
        .ok()
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

/// Whether `path` is inside one of `scope`'s files or directories; `""` is the whole tree.
fn in_scope(path: &str, scope: &[String]) -> bool {
    scope.iter().any(|s| {
        s.is_empty()
            || path == s
            || (path.starts_with(s.as_str()) && path.as_bytes().get(s.len()) == Some(&b'/'))
    })
}

/// `dir/name`, or `name` at the root.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Paths whose index entry differs from HEAD (or that only one of them has) inside the scope;
/// `None` when HEAD cannot be read.
fn staged_paths(
    repo: &Repo,
    head: Option<&Tree<'_>>,
    scope: &[String],
    entries: &[Entry],
    tracked: &HashSet<&str>,
) -> Option<Vec<String>> {
    let Some(head) = head else {
        return Some(entries.iter().map(|e| e.path.clone()).collect());
    };
    let mut dirty = Vec::new();
    for entry in entries {
        let same = head.get_path(Path::new(&entry.path)).is_ok_and(|at_head| {
            at_head.id().as_bytes() == entry.id && at_head.filemode() as u32 == entry.mode
        });
        if !same {
            dirty.push(entry.path.clone());
        }
    }
    for path in scope {
        let (kind, id) = if path.is_empty() {
            (Some(ObjectType::Tree), head.id())
        } else {
            let Ok(entry) = head.get_path(Path::new(path)) else {
                continue;
            };
            (entry.kind(), entry.id())
        };
        if kind != Some(ObjectType::Tree) {
            if !tracked.contains(path.as_str()) {
                dirty.push(path.clone()); // deleted from the index
            }
            continue;
        }
        let tree = repo.repo.find_tree(id).ok()?;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(ObjectType::Blob) {
                let file = join(path, &format!("{dir}{}", e.name().unwrap_or("")));
                if !tracked.contains(file.as_str()) {
                    dirty.push(file);
                }
            }
            if dirty.len() > DIRTY_LIMIT {
                git2::TreeWalkResult::Abort
            } else {
                git2::TreeWalkResult::Ok
            }
        })
        .ok()?;
    }
    Some(dirty)
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

/// The files inside the scope that git neither tracks nor ignores; `None` when a directory
/// cannot be read.
fn untracked(repo: &Repo, scope: &[String], tracked: &HashSet<&str>) -> Option<Vec<String>> {
    let mut found = Vec::new();
    for path in scope {
        match std::fs::symlink_metadata(repo.workdir().join(path)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
            Ok(meta) if meta.is_dir() => untracked_in(repo, path, tracked, &mut found)?,
            Ok(_) => {
                if !tracked.contains(path.as_str()) && !ignored(repo, path) {
                    found.push(path.clone());
                }
            }
        }
    }
    Some(found)
}

fn untracked_in(
    repo: &Repo,
    dir: &str,
    tracked: &HashSet<&str>,
    found: &mut Vec<String>,
) -> Option<()> {
    if !dir.is_empty() && ignored(repo, &format!("{dir}/")) {
        return Some(());
    }
    for item in std::fs::read_dir(repo.workdir().join(dir)).ok()? {
        let item = item.ok()?;
        let name = item.file_name().to_str()?.to_owned();
        let path = join(dir, &name);
        if item.file_type().ok()?.is_dir() {
            if name != ".git" {
                untracked_in(repo, &path, tracked, found)?;
            }
        } else if !tracked.contains(path.as_str()) && !ignored(repo, &path) {
            found.push(path);
        }
        if found.len() > DIRTY_LIMIT {
            return None;
        }
    }
    Some(())
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
