//! What an ONNX file is, read from its protobuf without running it: IR version, opsets,
//! producer, signature (symbolic dimensions kept), parameters, custom operators, external data.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use prost::Message;
use prost::bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::onnx_proto as pb;

/// Operator domains ONNX Runtime implements itself; any other domain needs a custom-op library.
const RUNTIME_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.ms.internal.nhwc",
];

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(
        "{model} is not a valid ONNX model: {message} (a truncated download or copy, a Git LFS pointer, or not an ONNX file; re-export or re-download it)"
    )]
    Corrupt { model: String, message: String },
    #[error(
        "{model} keeps tensor `{tensor}` in an external data file `{file}` that {problem}; external data must sit next to the model (and be committed with it)"
    )]
    ExternalData {
        model: String,
        tensor: String,
        file: String,
        problem: String,
    },
}

/// A short description of a model, for `mlops-ci inspect` and each report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ModelSummary {
    pub ir_version: i64,
    /// `(domain, version)`; the default domain is written `ai.onnx`.
    pub opsets: Vec<Opset>,
    /// `skl2onnx 1.19.1`, `pytorch 2.5.0`.
    pub producer: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    pub nodes: usize,
    pub initializers: usize,
    /// Weights: elements of all initializers (from their declared shapes) plus floating-point
    /// attribute values (skl2onnx keeps coefficients and tree thresholds in attributes).
    pub parameters: u64,
    pub file_size_bytes: u64,
    /// Operator domains ONNX Runtime does not implement (need a custom-op library).
    #[serde(default)]
    pub custom_domains: Vec<String>,
    /// `domain::Op` for every operator of those domains.
    #[serde(default)]
    pub custom_ops: Vec<String>,
    /// External data files, relative to the model.
    #[serde(default)]
    pub external_data: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Opset {
    pub domain: String,
    pub version: i64,
}

/// A graph input or output: `X` `tensor(float)` `[N, 4]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    /// `tensor(float)`, `seq(map(int64,tensor(float)))`, `optional(tensor(float))`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Dimensions as written: a size, a symbol (`batch`), or `?`; `None` = rank unknown.
    pub shape: Option<Vec<Dim>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Dim {
    Fixed(i64),
    /// A named dynamic dimension (`batch_size`, `N`).
    Symbol(String),
    /// A dynamic dimension without a name (`null` in JSON, `?` in text).
    Unknown,
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Symbol(s) => f.write_str(s),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

impl TensorSpec {
    /// `tensor(float)[N,4]`.
    pub fn describe(&self) -> String {
        match &self.shape {
            Some(dims) => {
                let dims: Vec<String> = dims.iter().map(ToString::to_string).collect();
                format!("{}[{}]", self.type_name, dims.join(","))
            }
            None => self.type_name.clone(),
        }
    }
}

/// Reads `bytes` (the whole `.onnx` file) as an ONNX model. `dir` is the model's directory,
/// where external data files must be; `None` when the bytes come from git (the caller checks
/// the files at that revision).
pub fn inspect(
    bytes: Bytes,
    model: &str,
    dir: Option<&Path>,
) -> Result<ModelSummary, InspectError> {
    let file_size_bytes = bytes.len() as u64;
    let corrupt = |message: String| InspectError::Corrupt {
        model: model.to_owned(),
        message,
    };
    // Bytes in, Bytes out: initializer data is sliced from the file, not copied.
    let proto = pb::ModelProto::decode(bytes).map_err(|e| corrupt(format!("protobuf: {e}")))?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| corrupt("it has no graph".into()))?;
    if proto.ir_version.unwrap_or(0) <= 0 {
        return Err(corrupt("it has no IR version".into()));
    }
    let mut opsets: Vec<Opset> = proto
        .opset_import
        .iter()
        .map(|o| Opset {
            domain: match o.domain.as_deref().unwrap_or("") {
                "" => "ai.onnx".to_owned(),
                d => d.to_owned(),
            },
            version: o.version.unwrap_or(0),
        })
        .collect();
    opsets.sort();

    // Model-local functions define their own domains: those are not custom operators.
    let local: BTreeSet<(String, String)> = proto
        .functions
        .iter()
        .map(|f| {
            (
                f.domain.clone().unwrap_or_default(),
                f.name.clone().unwrap_or_default(),
            )
        })
        .collect();
    let mut walk = GraphWalk::default();
    walk.graph(graph);
    let mut custom_ops = BTreeSet::new();
    for (domain, op) in &walk.ops {
        if !RUNTIME_DOMAINS.contains(&domain.as_str())
            && !local.contains(&(domain.clone(), op.clone()))
        {
            custom_ops.insert(format!("{domain}::{op}"));
        }
    }
    let custom_domains: BTreeSet<String> = custom_ops
        .iter()
        .filter_map(|op| op.split_once("::").map(|(d, _)| d.to_owned()))
        .chain(opsets.iter().map(|o| o.domain.clone()).filter(|d| {
            !RUNTIME_DOMAINS.contains(&d.as_str()) && !local.iter().any(|(ld, _)| ld == d)
        }))
        .collect();

    let mut external_data = BTreeSet::new();
    for (tensor, location) in &walk.external {
        check_external(model, dir, tensor, location)?;
        external_data.insert(location.clone());
    }
    let producer = [
        proto.producer_name.as_deref(),
        proto.producer_version.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    let initializer_names: BTreeSet<&str> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    Ok(ModelSummary {
        ir_version: proto.ir_version.unwrap_or(0),
        opsets,
        producer,
        // Inputs that are initializers are overridable weights, not what callers feed.
        inputs: graph
            .input
            .iter()
            .filter(|v| !initializer_names.contains(v.name.as_deref().unwrap_or("")))
            .map(tensor_spec)
            .collect(),
        outputs: graph.output.iter().map(tensor_spec).collect(),
        nodes: walk.nodes,
        initializers: walk.initializers,
        parameters: walk.parameters,
        file_size_bytes,
        custom_domains: custom_domains.into_iter().collect(),
        custom_ops: custom_ops.into_iter().collect(),
        external_data: external_data.into_iter().collect(),
    })
}

/// An external data file must be a plain relative path inside the model's directory (a
/// model from a pull request must not make us read `/etc/shadow` or `../../secrets`).
fn check_external(
    model: &str,
    dir: Option<&Path>,
    tensor: &str,
    location: &str,
) -> Result<(), InspectError> {
    let error = |problem: String| InspectError::ExternalData {
        model: model.to_owned(),
        tensor: tensor.to_owned(),
        file: location.to_owned(),
        problem,
    };
    let path = Path::new(location);
    if location.is_empty()
        || !path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(error("is not a path inside the model's directory".into()));
    }
    if let Some(dir) = dir {
        let full = dir.join(path);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(error(format!("is not a regular file ({})", full.display()))),
            Err(_) => return Err(error(format!("does not exist ({})", full.display()))),
        }
    }
    Ok(())
}

/// Counts over the main graph and every subgraph (If/Loop/Scan bodies).
#[derive(Default)]
struct GraphWalk {
    nodes: usize,
    initializers: usize,
    parameters: u64,
    ops: BTreeSet<(String, String)>,
    /// `(tensor name, location)` of each externally stored tensor.
    external: Vec<(String, String)>,
}

impl GraphWalk {
    fn graph(&mut self, graph: &pb::GraphProto) {
        for tensor in &graph.initializer {
            self.tensor(tensor);
        }
        for sparse in &graph.sparse_initializer {
            self.initializers += 1;
            self.parameters += elements(&sparse.dims);
        }
        for node in &graph.node {
            self.nodes += 1;
            self.ops.insert((
                node.domain.clone().unwrap_or_default(),
                node.op_type.clone().unwrap_or_default(),
            ));
            for attribute in &node.attribute {
                if let Some(g) = &attribute.g {
                    self.graph(g);
                }
                for g in &attribute.graphs {
                    self.graph(g);
                }
                if let Some(t) = &attribute.t {
                    self.parameters += elements(&t.dims);
                    self.external(t);
                }
                self.parameters += attribute.floats.len() as u64;
            }
        }
    }

    fn tensor(&mut self, tensor: &pb::TensorProto) {
        self.initializers += 1;
        self.parameters += elements(&tensor.dims);
        self.external(tensor);
    }

    fn external(&mut self, tensor: &pb::TensorProto) {
        if tensor.data_location == Some(pb::tensor_proto::DataLocation::External as i32) {
            let location = tensor
                .external_data
                .iter()
                .find(|e| e.key.as_deref() == Some("location"))
                .and_then(|e| e.value.clone())
                .unwrap_or_default();
            self.external
                .push((tensor.name.clone().unwrap_or_default(), location));
        }
    }
}

fn elements(dims: &[i64]) -> u64 {
    dims.iter().map(|&d| d.max(0) as u64).product()
}

fn tensor_spec(value: &pb::ValueInfoProto) -> TensorSpec {
    let (type_name, shape) = match &value.r#type {
        Some(t) => (type_name(t), shape(t)),
        None => ("unknown".to_owned(), None),
    };
    TensorSpec {
        name: value.name.clone().unwrap_or_default(),
        type_name,
        shape,
    }
}

fn type_name(t: &pb::TypeProto) -> String {
    use pb::type_proto::Value;
    match &t.value {
        Some(Value::TensorType(tensor)) => format!("tensor({})", elem_type(tensor.elem_type)),
        Some(Value::SparseTensorType(tensor)) => {
            format!("sparse_tensor({})", elem_type(tensor.elem_type))
        }
        Some(Value::SequenceType(s)) => format!(
            "seq({})",
            s.elem_type
                .as_deref()
                .map_or("unknown".to_owned(), type_name)
        ),
        Some(Value::MapType(m)) => format!(
            "map({},{})",
            elem_type(m.key_type),
            m.value_type
                .as_deref()
                .map_or("unknown".to_owned(), type_name)
        ),
        Some(Value::OptionalType(o)) => format!(
            "optional({})",
            o.elem_type
                .as_deref()
                .map_or("unknown".to_owned(), type_name)
        ),
        Some(Value::OpaqueType(o)) => format!("opaque({})", o.name.as_deref().unwrap_or("")),
        None => "unknown".to_owned(),
    }
}

fn shape(t: &pb::TypeProto) -> Option<Vec<Dim>> {
    use pb::tensor_shape_proto::dimension::Value;
    let shape = match &t.value {
        Some(pb::type_proto::Value::TensorType(tensor)) => tensor.shape.as_ref()?,
        _ => return None,
    };
    Some(
        shape
            .dim
            .iter()
            .map(|d| match &d.value {
                Some(Value::DimValue(n)) => Dim::Fixed(*n),
                Some(Value::DimParam(s)) if !s.is_empty() => Dim::Symbol(s.clone()),
                _ => Dim::Unknown,
            })
            .collect(),
    )
}

/// ONNX's names for element types, as `tensor(float)` uses them.
fn elem_type(code: Option<i32>) -> &'static str {
    use pb::tensor_proto::DataType;
    match code.and_then(|c| DataType::try_from(c).ok()) {
        Some(DataType::Float) => "float",
        Some(DataType::Double) => "double",
        Some(DataType::Float16) => "float16",
        Some(DataType::Bfloat16) => "bfloat16",
        Some(DataType::Int8) => "int8",
        Some(DataType::Int16) => "int16",
        Some(DataType::Int32) => "int32",
        Some(DataType::Int64) => "int64",
        Some(DataType::Uint8) => "uint8",
        Some(DataType::Uint16) => "uint16",
        Some(DataType::Uint32) => "uint32",
        Some(DataType::Uint64) => "uint64",
        Some(DataType::Bool) => "bool",
        Some(DataType::String) => "string",
        Some(DataType::Complex64) => "complex64",
        Some(DataType::Complex128) => "complex128",
        Some(DataType::Float8e4m3fn) => "float8e4m3fn",
        Some(DataType::Float8e5m2) => "float8e5m2",
        Some(DataType::Int4) => "int4",
        Some(DataType::Uint4) => "uint4",
        _ => "other",
    }
}
