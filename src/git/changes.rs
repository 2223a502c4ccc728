//! The ChangeSet: which files differ between the base revision and the candidate.
//!
//! The candidate is either the working tree (committed since the base, staged, unstaged and
//! untracked-not-ignored files) or one commit (what a pre-push hook checks). The committed part
//! is a tree-to-tree diff, which skips identical subtrees and so costs little even in a huge
//! repository. The working-tree part is the expensive one (every file is stat'ed and every
//! directory read for untracked files), so callers that only care about some paths pass them
//! as a [`PathScope`] and the walk stays inside those paths.

use std::path::Path;

use git2::{Delta, Diff, DiffFindOptions, DiffOptions, Oid, Tree};
use serde::Serialize;

use super::index_file::{self, QuickStatus};
use super::{GitError, Repo, tree_walk};
use crate::lfs::{self, LfsPointer};

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// A file became a symlink or a submodule, or the other way round.
    TypeChanged,
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Copied => "copied",
            ChangeKind::TypeChanged => "type changed",
        })
    }
}

/// Where a change lives: in commits since the base, in the index, in the working tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOrigin {
    Committed,
    Staged,
    Unstaged,
    Untracked,
}

impl std::fmt::Display for ChangeOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeOrigin::Committed => "committed",
            ChangeOrigin::Staged => "staged",
            ChangeOrigin::Unstaged => "unstaged",
            ChangeOrigin::Untracked => "untracked",
        })
    }
}

/// One changed file. Paths are relative to the work tree root, with `/` separators.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub path: String,
    /// The path before a rename or copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub kind: ChangeKind,
    pub origin: ChangeOrigin,
    /// Set when either side is a Git LFS pointer: the objects it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lfs: Option<LfsChange>,
    #[serde(skip)]
    pub old_id: Option<Oid>,
    #[serde(skip)]
    pub new_id: Option<Oid>,
}

/// A change of the content a Git LFS pointer stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LfsChange {
    pub old_oid: Option<String>,
    pub new_oid: Option<String>,
}

impl Change {
    /// Every path this change touches (both sides of a rename).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.old_path.as_deref())
    }
}

/// What the candidate side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    /// HEAD plus the index plus the working tree, as `mlops-ci check` evaluates it.
    WorkingTree,
    /// Only what is staged on top of HEAD (a pre-commit hook).
    Index,
    /// One commit and nothing else (a pre-push hook checks exactly what is pushed).
    Commit(Oid),
}

/// Which working-tree paths to look at; the committed diff is always complete.
#[derive(Debug, Clone, Default)]
pub enum PathScope {
    /// Every file (slow on a large work tree: every directory is read).
    #[default]
    Everything,
    /// Only these files or directories (literal paths, relative to the work tree root).
    Only(Vec<String>),
}

/// The files changed between a base and a candidate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }
}

impl Repo {
    /// The changes from `base` (the empty tree when `None`: everything is new) to `candidate`.
    pub fn changes(
        &self,
        base: Option<Oid>,
        candidate: Candidate,
        scope: &PathScope,
    ) -> Result<ChangeSet, GitError> {
        let base_tree = base
            .map(|c| self.repo.find_commit(c).and_then(|c| c.tree()))
            .transpose()?;
        let mut changes = Vec::new();
        match candidate {
            Candidate::Commit(commit) => {
                let tree = self.repo.find_commit(commit)?.tree()?;
                self.tree_diff(
                    base_tree.as_ref(),
                    Some(&tree),
                    ChangeOrigin::Committed,
                    &mut changes,
                )?;
            }
            Candidate::WorkingTree | Candidate::Index => {
                // An unborn branch has no HEAD tree: the index is compared with the empty tree.
                let head_tree = match self.repo.head().and_then(|h| h.peel_to_tree()) {
                    Ok(tree) => Some(tree),
                    Err(e)
                        if matches!(
                            e.code(),
                            git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                        ) =>
                    {
                        None
                    }
                    Err(e) => return Err(e.into()),
                };
                self.tree_diff(
                    base_tree.as_ref(),
                    head_tree.as_ref(),
                    ChangeOrigin::Committed,
                    &mut changes,
                )?;
                // The quick index reader proves most working trees clean without loading
                // libgit2's index, or narrows what libgit2 has to look at; `""` stands for the
                // whole tree.
                let whole_tree = [String::new()];
                let paths: &[String] = match scope {
                    PathScope::Only(paths) => paths,
                    PathScope::Everything => &whole_tree,
                };
                if paths.is_empty() {
                    return Ok(ChangeSet { changes });
                }
                let workdir = candidate == Candidate::WorkingTree;
                let narrowed;
                let scope = match index_file::quick_status(self, head_tree.as_ref(), paths, workdir)
                {
                    QuickStatus::Clean => {
                        tracing::debug!(
                            "index and working tree proven clean at {} path(s) without libgit2's index",
                            paths.len()
                        );
                        return Ok(ChangeSet { changes });
                    }
                    QuickStatus::Dirty(dirty) => {
                        tracing::debug!(
                            "{} path(s) may differ from HEAD; libgit2 looks at those alone",
                            dirty.len()
                        );
                        narrowed = PathScope::Only(dirty);
                        &narrowed
                    }
                    QuickStatus::Unknown => scope,
                };
                let index = self.repo.index()?;
                let mut options = scoped_options(scope);
                let staged = self.repo.diff_tree_to_index(
                    head_tree.as_ref(),
                    Some(&index),
                    Some(&mut options),
                )?;
                self.collect(staged, ChangeOrigin::Staged, &mut changes)?;
                if candidate == Candidate::WorkingTree {
                    let mut options = scoped_options(scope);
                    // Untracked files count (a new model not yet added is still a change), ignored
                    // ones do not, and ignored directories are never descended into.
                    options
                        .include_untracked(true)
                        .recurse_untracked_dirs(true)
                        .include_ignored(false);
                    let unstaged = self
                        .repo
                        .diff_index_to_workdir(Some(&index), Some(&mut options))?;
                    self.collect(unstaged, ChangeOrigin::Unstaged, &mut changes)?;
                }
            }
        }
        Ok(ChangeSet { changes })
    }

    fn tree_diff(
        &self,
        old: Option<&Tree<'_>>,
        new: Option<&Tree<'_>>,
        origin: ChangeOrigin,
        out: &mut Vec<Change>,
    ) -> Result<(), GitError> {
        if let (Some(old), Some(new)) = (old, new)
            && old.id() == new.id()
        {
            return Ok(());
        }
        let files = tree_walk::changed_files(&self.repo, old, new)?;
        let added = files.iter().any(|f| f.old.is_none());
        let deleted = files.iter().any(|f| f.new.is_none());
        if added && deleted {
            // A rename is possible: libgit2 pairs the files up, looking only at these paths.
            let mut options = DiffOptions::new();
            options
                .include_typechange(true)
                .skip_binary_check(true)
                .disable_pathspec_match(true);
            for file in &files {
                options.pathspec(file.path.as_str());
            }
            let diff = self.repo.diff_tree_to_tree(old, new, Some(&mut options))?;
            return self.collect(diff, origin, out);
        }
        for file in files {
            const KIND_BITS: i32 = 0o170000;
            let kind = match (file.old, file.new) {
                (None, _) => ChangeKind::Added,
                (_, None) => ChangeKind::Deleted,
                (Some(a), Some(b)) if a.mode & KIND_BITS != b.mode & KIND_BITS => {
                    ChangeKind::TypeChanged
                }
                _ => ChangeKind::Modified,
            };
            let mut change = Change {
                path: file.path,
                old_path: None,
                kind,
                origin,
                lfs: None,
                old_id: file.old.map(|s| s.id),
                new_id: file.new.map(|s| s.id),
            };
            if self.look_through_lfs(&mut change) {
                out.push(change);
            }
        }
        Ok(())
    }

    /// Turns a libgit2 diff into changes: renames found, LFS pointers looked through.
    fn collect(
        &self,
        mut diff: Diff<'_>,
        origin: ChangeOrigin,
        out: &mut Vec<Change>,
    ) -> Result<(), GitError> {
        if diff.deltas().len() == 0 {
            return Ok(());
        }
        let mut find = DiffFindOptions::new();
        find.renames(true).for_untracked(true);
        diff.find_similar(Some(&mut find))?;
        for delta in diff.deltas() {
            let kind = match delta.status() {
                Delta::Added => ChangeKind::Added,
                Delta::Untracked => ChangeKind::Added,
                Delta::Deleted => ChangeKind::Deleted,
                Delta::Modified => ChangeKind::Modified,
                Delta::Renamed => ChangeKind::Renamed,
                Delta::Copied => ChangeKind::Copied,
                Delta::Typechange => ChangeKind::TypeChanged,
                Delta::Unmodified | Delta::Ignored | Delta::Unreadable | Delta::Conflicted => {
                    continue;
                }
            };
            let origin = if delta.status() == Delta::Untracked {
                ChangeOrigin::Untracked
            } else {
                origin
            };
            let new_path = delta.new_file().path().map(path_string);
            let old_path = delta.old_file().path().map(path_string);
            let Some(path) = new_path.clone().or_else(|| old_path.clone()) else {
                continue;
            };
            let old_path = old_path.filter(|old| {
                matches!(kind, ChangeKind::Renamed | ChangeKind::Copied) && *old != path
            });
            let known = |id: Oid| (!id.is_zero()).then_some(id);
            let mut change = Change {
                path,
                old_path,
                kind,
                origin,
                lfs: None,
                old_id: known(delta.old_file().id()),
                new_id: known(delta.new_file().id()),
            };
            if self.look_through_lfs(&mut change) {
                out.push(change);
            }
        }
        Ok(())
    }

    /// Fills in `change.lfs` when a side is a Git LFS pointer. Returns false when the change is
    /// not one: libgit2 runs no LFS filter, so a fetched file in the working tree differs from
    /// the pointer in the index byte for byte while standing for the very same object.
    fn look_through_lfs(&self, change: &mut Change) -> bool {
        let old = change.old_id.and_then(|id| self.pointer_in_blob(id));
        let new = match (change.new_id, change.origin) {
            (_, ChangeOrigin::Unstaged | ChangeOrigin::Untracked)
                if change.kind != ChangeKind::Deleted =>
            {
                self.workdir_lfs_oid(&change.path, old.as_ref())
            }
            (Some(id), _) => self.pointer_in_blob(id).map(|p| p.oid),
            _ => None,
        };
        if old.is_none() && new.is_none() {
            return true;
        }
        let old_oid = old.map(|p| p.oid);
        if change.kind == ChangeKind::Modified && old_oid.is_some() && old_oid == new {
            return false;
        }
        change.lfs = Some(LfsChange {
            old_oid,
            new_oid: new,
        });
        true
    }

    fn pointer_in_blob(&self, id: Oid) -> Option<LfsPointer> {
        let blob = self.repo.find_blob(id).ok()?;
        // Pointers are tiny; avoid reading the content of large blobs at all.
        if blob.size() > 1024 {
            return None;
        }
        lfs::parse_pointer(blob.content())
    }

    /// The LFS object id of a working-tree file: its pointer's oid, or, when the index holds a
    /// pointer and the file is the fetched content, the sha256 of that content.
    fn workdir_lfs_oid(&self, path: &str, index_pointer: Option<&LfsPointer>) -> Option<String> {
        let full = self.workdir().join(path);
        if let Ok(Some(pointer)) = lfs::file_is_pointer(&full) {
            return Some(pointer.oid);
        }
        let pointer = index_pointer?;
        let size = std::fs::metadata(&full).ok()?.len();
        if size != pointer.size {
            return None; // a plain file now, or other content: a change either way
        }
        lfs::sha256_oid_of_file(&full).ok()
    }

    /// The content of one side of a change: the blob when git has it, else the working-tree file.
    pub fn read_side(&self, change: &Change, new_side: bool) -> Option<Vec<u8>> {
        let (id, path) = if new_side {
            (change.new_id, change.path.as_str())
        } else {
            (
                change.old_id,
                change.old_path.as_deref().unwrap_or(&change.path),
            )
        };
        match id {
            Some(id) => self.repo.find_blob(id).ok().map(|b| b.content().to_vec()),
            None if new_side && change.kind != ChangeKind::Deleted => {
                crate::input_file::read_regular(&self.workdir().join(path)).ok()
            }
            None => None,
        }
    }
}

fn scoped_options(scope: &PathScope) -> DiffOptions {
    let mut options = DiffOptions::new();
    options.include_typechange(true).skip_binary_check(true);
    if let PathScope::Only(paths) = scope {
        // Literal paths let libgit2 skip whole directories instead of reading and matching
        // every entry; a path that names a directory covers everything below it.
        options.disable_pathspec_match(true);
        for path in paths {
            options.pathspec(path.as_str());
        }
    }
    options
}

fn path_string(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}
