//! ONNX models: where the bytes come from, what they are (identity), and how their inputs
//! and outputs map onto a suite's data (binding).

mod binding;
mod compat;
mod input_binding;
mod input_names;
mod inspect;
#[allow(clippy::all, clippy::pedantic, rustdoc::all)]
mod onnx_proto;
mod score_meaning;
mod session_model;
mod signature;
mod zipmap;

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use binding::{Binding, LabelKind, OutputBinding, ScoreKind, bind};
pub use compat::{RuntimeLimits, SignatureChange, check_runtime_support, classify_signature};
pub use input_binding::{BoundInput, InputBinding, bind_inputs, unknown_input_mappings};
pub use input_names::skl2onnx_name;
pub use inspect::{Dim, InspectError, ModelSummary, Opset, TensorSpec, inspect};
pub use score_meaning::{GraphEvidence, ScoreReading, decide as decide_scores};
pub use session_model::SessionModel;
pub use signature::{ElemType, Port, PortKind, Signature};
pub use zipmap::{ZipMapTensor, original_signature};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {} does not exist (check `model` in the config; paths are relative to the config file)", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read model {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    LfsPointer(String),
    #[error("{} is empty (0 bytes), not an ONNX model", path.display())]
    EmptyFile { path: PathBuf },
    #[error("model {model}: {message}")]
    Binding { model: String, message: String },
    #[error(transparent)]
    Inspect(#[from] InspectError),
    /// Opset, IR version or custom operators the runtime cannot run (found before loading).
    #[error("{0}")]
    Unsupported(String),
}

/// A model's bytes and where they came from.
pub struct ModelBytes {
    pub identity: ModelIdentity,
    /// `Bytes`: inspection slices the weights out of it instead of copying them.
    pub bytes: prost::bytes::Bytes,
}

/// What exactly was evaluated, for the report: enough to find the file again and to tell
/// whether two runs used the same model.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ModelIdentity {
    /// Path as written in the config (relative to it), or the fixed baseline file.
    pub path: String,
    /// Where the bytes were read: `working tree`, `file`, or `git <rev> (<commit>)`.
    pub source: String,
    /// The git blob id of the content (what `git hash-object` prints).
    pub git_blob: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// What the model is (opsets, signature, parameters), read from its protobuf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Box<ModelSummary>>,
    /// The outputs the evaluation read, and how; set once the model is bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Box<OutputsUsed>>,
}

/// Which outputs the metrics come from, and how the scores were read (for the report).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct OutputsUsed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoreReading>,
    /// The score output is a ZipMap in the file, read as its `[N, C]` tensor.
    #[serde(default)]
    pub zipmap_as_tensor: bool,
    /// Regression: the prediction output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<String>,
}

impl OutputsUsed {
    pub fn of(
        binding: &OutputBinding,
        scores: Option<ScoreReading>,
        zipmap_as_tensor: bool,
    ) -> OutputsUsed {
        let (label, prediction) = match binding {
            OutputBinding::Classifier { label, .. } => {
                (label.as_ref().map(|(name, _)| name.clone()), None)
            }
            OutputBinding::Regressor { name } => (None, Some(name.clone())),
        };
        OutputsUsed {
            label,
            scores,
            zipmap_as_tensor,
            prediction,
        }
    }
}

impl ModelBytes {
    /// Reads a model file from disk.
    pub fn from_file(path: &Path, display_path: &str, source: &str) -> Result<Self, ModelError> {
        if !path.exists() {
            return Err(ModelError::Missing {
                path: path.to_path_buf(),
            });
        }
        let bytes = crate::input_file::read_regular(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(bytes, path, display_path, source)
    }

    /// Wraps bytes read elsewhere (a git blob); checks they are not a pointer file.
    pub fn from_bytes(
        bytes: Vec<u8>,
        path: &Path,
        display_path: &str,
        source: &str,
    ) -> Result<Self, ModelError> {
        if bytes.is_empty() {
            return Err(ModelError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        if let Some(pointer) = crate::lfs::parse_pointer(&bytes) {
            return Err(ModelError::LfsPointer(crate::lfs::pointer_message(
                path, &pointer,
            )));
        }
        let identity = ModelIdentity {
            path: display_path.to_owned(),
            source: source.to_owned(),
            git_blob: git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)
                .map(|o| o.to_string())
                .unwrap_or_default(),
            sha256: hex(&Sha256::digest(&bytes)),
            size_bytes: bytes.len() as u64,
            summary: None,
            outputs: None,
        };
        Ok(Self {
            identity,
            bytes: bytes.into(),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
