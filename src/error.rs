//! Errors that end a run with exit status 2. Each stage has its own error type whose
//! message says how to fix the problem; this enum only gathers them.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Boxed: config errors carry several strings, and `Result<T, Error>` travels far.
    #[error(transparent)]
    Config(Box<crate::config::ConfigError>),
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Detect(#[from] crate::detect::DetectError),
    #[error(transparent)]
    Hook(#[from] crate::hook::HookError),
    #[error(transparent)]
    Render(#[from] crate::report::RenderError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Boxed like `Config`: publishing errors carry response details.
    #[error(transparent)]
    Publish(Box<crate::publish::PublishError>),
    #[error("{0}")]
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::config::ConfigError> for Error {
    fn from(e: crate::config::ConfigError) -> Self {
        Error::Config(Box::new(e))
    }
}

impl From<crate::publish::PublishError> for Error {
    fn from(e: crate::publish::PublishError) -> Self {
        Error::Publish(Box::new(e))
    }
}
