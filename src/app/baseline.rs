//! Where baseline models come from: a git revision (read from the object database) or a
//! fixed file; or nowhere, which the report says plainly.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Result;
use crate::git::{BaseQuery, BaseRevision, Repo};
use crate::model::ModelBytes;
use crate::report::BaselineInfo;

pub enum BaselineSource {
    /// `[baseline] path`: one fixed model for every suite.
    File {
        path: PathBuf,
        display: String,
    },
    Git {
        repo: Box<Repo>,
        base: BaseRevision,
    },
    None {
        reason: String,
    },
}

/// The baseline side of one suite.
pub enum BaselineModel {
    Found(ModelBytes),
    /// No baseline model, and why (the report shows it; only absolute gates apply).
    Missing(String),
}

impl BaselineSource {
    pub fn resolve(
        config: &Config,
        flag: Option<&str>,
        flag_label: Option<&str>,
    ) -> Result<BaselineSource> {
        if flag.is_none()
            && let Some(path) = &config.baseline.path
        {
            return Ok(BaselineSource::File {
                path: config.resolve(path),
                display: path.display().to_string(),
            });
        }
        let Some(repo) = Repo::discover(&config.root) else {
            return Ok(BaselineSource::None {
                reason: format!(
                    "{} is not in a git repository and `baseline.path` is not set",
                    config.root.display()
                ),
            });
        };
        let query = BaseQuery {
            flag,
            flag_label,
            configured: config.baseline.git_ref.as_deref(),
            ..BaseQuery::default()
        };
        Ok(match repo.resolve_base(&query)? {
            Some(base) => BaselineSource::Git { repo: Box::new(repo), base },
            None => BaselineSource::None {
                reason: "no base revision: the repository has no commits yet, and no `origin/HEAD`, `origin/main`, `main` or `master` to compare with (use --base REV)"
                    .to_owned(),
            },
        })
    }

    pub fn info(&self) -> BaselineInfo {
        match self {
            BaselineSource::File { display, .. } => BaselineInfo {
                kind: "file".into(),
                revision: None,
                commit: None,
                description: format!("fixed file `{display}`"),
            },
            BaselineSource::Git { base, .. } => BaselineInfo {
                kind: "git".into(),
                revision: Some(base.revision.clone()),
                commit: Some(base.commit.to_string()),
                description: base.how.clone(),
            },
            BaselineSource::None { reason } => BaselineInfo {
                kind: "none".into(),
                revision: None,
                commit: None,
                description: reason.clone(),
            },
        }
    }

    /// The baseline version of the model at `model_path` (as resolved for the candidate).
    pub fn model(&self, model_path: &Path, display: &str) -> Result<BaselineModel> {
        Ok(match self {
            BaselineSource::File { path, display } => {
                BaselineModel::Found(ModelBytes::from_file(path, display, "file")?)
            }
            BaselineSource::None { reason } => BaselineModel::Missing(reason.clone()),
            BaselineSource::Git { repo, base } => match repo.read_at(base.commit, model_path)? {
                Some((bytes, _)) => {
                    let source =
                        format!("git {} ({})", base.revision, &base.commit.to_string()[..10]);
                    // libgit2 runs no LFS filter: the blob is the pointer.
                    let bytes = match crate::lfs::parse_pointer(&bytes) {
                        None => bytes,
                        Some(pointer) => crate::lfs::fetch_object(&repo.repo, &pointer)
                            .ok_or_else(|| {
                                crate::model::ModelError::LfsPointer(
                                    crate::lfs::baseline_pointer_message(
                                        display,
                                        &base.revision,
                                        &pointer,
                                    ),
                                )
                            })?,
                    };
                    BaselineModel::Found(ModelBytes::from_bytes(
                        bytes, model_path, display, &source,
                    )?)
                }
                None => BaselineModel::Missing(format!(
                    "`{display}` does not exist at `{}` (a new model)",
                    base.revision
                )),
            },
        })
    }
}
