//! Git access with git2: which revision is the baseline, and reading files as they were at
//! that revision straight from the object database (no checkout; the working tree is never
//! touched).

mod base;
mod changes;
mod index_file;
mod tree_walk;

use std::path::{Path, PathBuf};

pub use base::{BaseQuery, BaseRevision, short};
pub use changes::{Candidate, Change, ChangeKind, ChangeOrigin, ChangeSet, LfsChange, PathScope};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error(
        "the base revision `{revision}` is not in this clone, which is shallow (only part of the \
         history was fetched), so what changed since the base cannot be known; mlops-ci does not \
         guess. Fetch the history: in GitHub Actions give actions/checkout `fetch-depth: 0`; \
         locally run `git fetch --unshallow` or `git fetch --deepen=<commits>` (and fetch the base \
         branch, e.g. `git fetch origin main`), or name a base that is present with `--base REV`"
    )]
    ShallowWithoutBase { revision: String },
    #[error("the base revision `{revision}` does not exist: {message}")]
    UnknownRevision { revision: String, message: String },
    #[error("{} is outside the git work tree {}", path.display(), workdir.display())]
    OutsideWorkTree { path: PathBuf, workdir: PathBuf },
    #[error(
        "`{path}` at commit {commit} is a symbolic link to `{target}`, which is not a file in \
         that commit (git stores the link, not the file it points to); commit the file itself, \
         or a link to a file inside the repository"
    )]
    DanglingSymlink {
        path: String,
        commit: String,
        target: String,
    },
}

/// Git's file mode for a symbolic link: the blob holds the target path.
const SYMLINK_MODE: i32 = 0o120000;
/// Links followed when reading a file from a commit, like the kernel's limit in spirit.
const MAX_SYMLINK_HOPS: usize = 8;

pub struct Repo {
    pub repo: git2::Repository,
    workdir: PathBuf,
}

impl Repo {
    /// The repository containing `dir`, if any.
    pub fn discover(dir: &Path) -> Option<Repo> {
        // Like git, trust the object database: libgit2 otherwise re-hashes every object it
        // reads (with the slow collision-detecting SHA-1), which dominates a tree walk.
        git2::opts::strict_hash_verification(false);
        let repo = git2::Repository::discover(dir).ok()?;
        let workdir = repo.workdir()?.canonicalize().ok()?;
        Some(Repo { repo, workdir })
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `path` relative to the work tree root, with `/` separators, as git names it.
    pub fn relative(&self, path: &Path) -> Result<PathBuf, GitError> {
        let absolute = absolute(path);
        absolute
            .strip_prefix(&self.workdir)
            .map(Path::to_path_buf)
            .map_err(|_| GitError::OutsideWorkTree {
                path: path.to_path_buf(),
                workdir: self.workdir.clone(),
            })
    }

    /// The blob id of `path` at `commit`, without reading the blob; `None` when no file was
    /// there (absent, or a directory or submodule where a file is expected).
    pub fn blob_id_at(
        &self,
        commit: git2::Oid,
        path: &Path,
    ) -> Result<Option<git2::Oid>, GitError> {
        let relative = self.relative(path)?;
        let tree = self.repo.find_commit(commit)?.tree()?;
        match tree.get_path(&relative) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => Ok(Some(entry.id())),
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The content of `path` at `commit`, and its blob id; `None` when the file did not exist
    /// there.
    pub fn read_at(
        &self,
        commit: git2::Oid,
        path: &Path,
    ) -> Result<Option<(Vec<u8>, git2::Oid)>, GitError> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut relative = self.relative(path)?;
        // A symbolic link in the commit is followed to its file, as the file system does in
        // the work tree; its blob is the target's path, never a model or dataset.
        for _ in 0..=MAX_SYMLINK_HOPS {
            let entry = match tree.get_path(&relative) {
                Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => entry,
                Ok(_) => return Ok(None),
                Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let blob = self.repo.find_blob(entry.id())?;
            if entry.filemode() != SYMLINK_MODE {
                return Ok(Some((blob.content().to_vec(), entry.id())));
            }
            let target = String::from_utf8_lossy(blob.content()).into_owned();
            let link = relative.display().to_string();
            let dangling = || GitError::DanglingSymlink {
                path: link.clone(),
                commit: commit.to_string()[..10].to_owned(),
                target: target.clone(),
            };
            let joined = relative.parent().unwrap_or(Path::new("")).join(&target);
            relative = normalise_inside(&joined).ok_or_else(dangling)?;
            if tree.get_path(&relative).is_err() {
                return Err(dangling());
            }
        }
        Err(GitError::DanglingSymlink {
            path: path.display().to_string(),
            commit: commit.to_string()[..10].to_owned(),
            target: format!("(more than {MAX_SYMLINK_HOPS} links in a chain)"),
        })
    }

    /// The blob id the working-tree file at `path` would have. When git's stat cache says the
    /// file matches the index, that is the index's id: a large dataset is not read again.
    pub fn working_blob_id(&self, path: &Path) -> Result<git2::Oid, GitError> {
        let relative = self.relative(path)?;
        let dirty = git2::Status::WT_MODIFIED
            | git2::Status::WT_NEW
            | git2::Status::WT_TYPECHANGE
            | git2::Status::WT_RENAMED;
        if let Ok(status) = self.repo.status_file(&relative)
            && !status.intersects(dirty)
            && let Some(entry) = self.repo.index()?.get_path(&relative, 0)
        {
            return Ok(entry.id);
        }
        // Only a regular file is hashed: a FIFO would block, a device never end.
        crate::input_file::regular_file_size(path)
            .map_err(|e| git2::Error::from_str(&format!("{}: {e}", path.display())))?;
        Ok(git2::Oid::hash_file(git2::ObjectType::Blob, path)?)
    }
}

/// `path` (relative to the work tree root) with `.` and `..` resolved; `None` when it is
/// absolute or climbs out of the root.
fn normalise_inside(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::Normal(name) => out.push(name),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// An absolute, normalised path without requiring the file to exist (a model deleted in the
/// working tree must still be found in the baseline).
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}
