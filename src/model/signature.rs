//! A model's inputs and outputs, in our own terms (independent of the `ort` version).

use std::fmt;

use ort::value::TensorElementType;
use ort::value::ValueType;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElemType {
    F32,
    F64,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    U16,
    U32,
    U64,
    Bool,
    String,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PortKind {
    /// `shape` uses -1 for dynamic dimensions.
    Tensor {
        dtype: ElemType,
        shape: Vec<i64>,
    },
    /// `seq(map(key, value))`: scikit-learn's ZipMap output.
    SequenceOfMaps {
        key: ElemType,
        value: ElemType,
    },
    Other {
        description: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    pub name: String,
    #[serde(flatten)]
    pub kind: PortKind,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Signature {
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

impl Signature {
    pub fn from_session(session: &ort::session::Session) -> Self {
        let port = |o: &ort::value::Outlet| Port {
            name: o.name().to_owned(),
            kind: PortKind::from(o.dtype()),
        };
        Signature {
            inputs: session.inputs().iter().map(port).collect(),
            outputs: session.outputs().iter().map(port).collect(),
        }
    }

    pub fn output(&self, name: &str) -> Option<&Port> {
        self.outputs.iter().find(|p| p.name == name)
    }

    /// One line per port, for diffs: `input `X` tensor(float)[?,4]`.
    fn lines(&self) -> String {
        let inputs = self.inputs.iter().map(|p| format!("input  {p}\n"));
        let outputs = self.outputs.iter().map(|p| format!("output {p}\n"));
        inputs.chain(outputs).collect()
    }

    /// A unified diff of the two signatures, when they differ: a renamed output or a changed
    /// shape is a breaking change for whoever serves the model, whatever the metrics say.
    pub fn diff(baseline: &Signature, candidate: &Signature) -> Option<String> {
        let (old, new) = (baseline.lines(), candidate.lines());
        if old == new {
            return None;
        }
        let diff = similar::TextDiff::from_lines(&old, &new);
        Some(
            diff.unified_diff()
                .context_radius(8)
                .header("baseline", "candidate")
                .to_string(),
        )
    }

    /// `a: tensor(float)[-1,4], b: ...` for messages.
    pub fn describe_outputs(&self) -> String {
        self.outputs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl From<TensorElementType> for ElemType {
    fn from(t: TensorElementType) -> Self {
        match t {
            TensorElementType::Float32 => ElemType::F32,
            TensorElementType::Float64 => ElemType::F64,
            TensorElementType::Float16 => ElemType::F16,
            TensorElementType::Bfloat16 => ElemType::BF16,
            TensorElementType::Int64 => ElemType::I64,
            TensorElementType::Int32 => ElemType::I32,
            TensorElementType::Int16 => ElemType::I16,
            TensorElementType::Int8 => ElemType::I8,
            TensorElementType::Uint8 => ElemType::U8,
            TensorElementType::Uint16 => ElemType::U16,
            TensorElementType::Uint32 => ElemType::U32,
            TensorElementType::Uint64 => ElemType::U64,
            TensorElementType::Bool => ElemType::Bool,
            TensorElementType::String => ElemType::String,
            _ => ElemType::Other,
        }
    }
}

impl From<&ValueType> for PortKind {
    fn from(v: &ValueType) -> Self {
        match v {
            ValueType::Tensor { ty, shape, .. } => PortKind::Tensor {
                dtype: (*ty).into(),
                shape: shape.iter().copied().collect(),
            },
            ValueType::Sequence(inner) => match inner.as_ref() {
                ValueType::Map { key, value } => PortKind::SequenceOfMaps {
                    key: (*key).into(),
                    value: (*value).into(),
                },
                other => PortKind::Other {
                    description: format!("seq({other})"),
                },
            },
            other => PortKind::Other {
                description: other.to_string(),
            },
        }
    }
}

impl ElemType {
    /// The type mlops-ci reads data into for an input of this type; `None`: it cannot feed one.
    pub fn feed_type(self) -> Option<crate::data::FeedType> {
        use crate::data::FeedType;
        Some(match self {
            ElemType::F32 => FeedType::F32,
            ElemType::F64 => FeedType::F64,
            ElemType::F16 => FeedType::F16,
            ElemType::BF16 => FeedType::BF16,
            ElemType::I64 => FeedType::I64,
            ElemType::I32 => FeedType::I32,
            ElemType::I16 => FeedType::I16,
            ElemType::I8 => FeedType::I8,
            ElemType::U8 => FeedType::U8,
            ElemType::U16 => FeedType::U16,
            ElemType::U32 => FeedType::U32,
            ElemType::U64 => FeedType::U64,
            ElemType::Bool => FeedType::Bool,
            ElemType::String => FeedType::Text,
            ElemType::Other => return None,
        })
    }
}

impl fmt::Display for ElemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ElemType::F32 => "float",
            ElemType::F64 => "double",
            ElemType::F16 => "float16",
            ElemType::BF16 => "bfloat16",
            ElemType::I64 => "int64",
            ElemType::I32 => "int32",
            ElemType::I16 => "int16",
            ElemType::I8 => "int8",
            ElemType::U8 => "uint8",
            ElemType::U16 => "uint16",
            ElemType::U32 => "uint32",
            ElemType::U64 => "uint64",
            ElemType::Bool => "bool",
            ElemType::String => "string",
            ElemType::Other => "other",
        })
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PortKind::Tensor { dtype, shape } => {
                let dims: Vec<String> = shape
                    .iter()
                    .map(|d| {
                        if *d < 0 {
                            "?".to_owned()
                        } else {
                            d.to_string()
                        }
                    })
                    .collect();
                write!(f, "`{}` tensor({dtype})[{}]", self.name, dims.join(","))
            }
            PortKind::SequenceOfMaps { key, value } => {
                write!(f, "`{}` seq(map({key},{value}))", self.name)
            }
            PortKind::Other { description } => write!(f, "`{}` {description}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_ports_only_when_they_changed() {
        let port = |name: &str, shape: &[i64]| Port {
            name: name.into(),
            kind: PortKind::Tensor {
                dtype: ElemType::F32,
                shape: shape.to_vec(),
            },
        };
        let a = Signature {
            inputs: vec![port("X", &[-1, 4])],
            outputs: vec![port("y", &[-1, 1])],
        };
        let b = Signature {
            inputs: vec![port("X", &[-1, 5])],
            outputs: vec![port("y", &[-1, 1])],
        };
        assert_eq!(Signature::diff(&a, &a), None);
        let diff = Signature::diff(&a, &b).unwrap();
        assert!(diff.contains("-input  `X` tensor(float)[?,4]"), "{diff}");
        assert!(diff.contains("+input  `X` tensor(float)[?,5]"), "{diff}");
        assert!(diff.contains(" output `y` tensor(float)[?,1]"), "{diff}");
    }
}
