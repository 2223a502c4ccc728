//! ZipMap at tensor speed. scikit-learn's converters end a classifier with a ZipMap node that
//! turns the `[N, C]` probability tensor into one `map(label → probability)` per row; reading
//! those maps one by one costs about a second per 500k rows, while the tensor costs
//! milliseconds, and ONNX Runtime can neither skip the node nor return its input. So before
//! the session is created, a plain ZipMap at a graph output is replaced by an Identity of its
//! input: the output keeps its name and now holds the tensor, whose columns are the ZipMap's
//! class labels in order. Anything less plain keeps the per-row maps (the slow path).
//!
//! Only the session sees the rewritten graph: inspection, signature changes and the report
//! describe the user's file as it is.

use super::onnx_proto as pb;
use super::{ElemType, PortKind, Signature};

/// A ZipMap output that now holds its `[N, C]` probability tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipMapTensor {
    /// The graph output, under its original name.
    pub output: String,
    /// The class of each column, as the ZipMap's `classlabels_*` attribute gives them.
    pub labels: Vec<String>,
    /// The ZipMap's key type (int64 or string), for the signature as the user's file has it.
    pub key: ElemType,
}

/// Replaces every plain ZipMap at a graph output of `model` (see [`plain_zipmap`]) and says
/// which outputs changed. A model that must not be touched is left as it is.
pub fn tensor_outputs(model: &mut pb::ModelProto) -> Vec<ZipMapTensor> {
    // Identity is an `ai.onnx` operator: a graph importing only `ai.onnx.ml` cannot use it.
    let imports_default = model
        .opset_import
        .iter()
        .any(|o| matches!(o.domain.as_deref().unwrap_or(""), "" | "ai.onnx"));
    let Some(graph) = model.graph.as_mut().filter(|_| imports_default) else {
        return Vec::new();
    };
    let mut replaced = Vec::new();
    for i in 0..graph.node.len() {
        let Some(found) = plain_zipmap(graph, i) else {
            continue;
        };
        let node = &mut graph.node[i];
        *node = pb::NodeProto {
            input: std::mem::take(&mut node.input),
            output: std::mem::take(&mut node.output),
            name: Some(format!(
                "{}_as_tensor",
                node.name.as_deref().unwrap_or("ZipMap")
            )),
            op_type: Some("Identity".to_owned()),
            domain: Some(String::new()),
            ..Default::default()
        };
        let columns = found.labels.len() as i64;
        for value in graph
            .output
            .iter_mut()
            .filter(|o| o.name.as_deref() == Some(found.output.as_str()))
        {
            value.r#type = Some(float_matrix(columns));
        }
        graph
            .value_info
            .retain(|v| v.name.as_deref() != Some(found.output.as_str()));
        replaced.push(found);
    }
    replaced
}

/// The ZipMap at `graph.node[index]`, when removing it changes nothing but the output's type:
/// one input, one output that is a graph output and that no other node (nor any subgraph)
/// reads, and its class labels given as one list.
fn plain_zipmap(graph: &pb::GraphProto, index: usize) -> Option<ZipMapTensor> {
    let node = &graph.node[index];
    let is_zipmap =
        node.op_type.as_deref() == Some("ZipMap") && node.domain.as_deref() == Some("ai.onnx.ml");
    let ([_input], [output]) = (node.input.as_slice(), node.output.as_slice()) else {
        return None;
    };
    if !is_zipmap
        || !graph
            .output
            .iter()
            .any(|o| o.name.as_deref() == Some(output.as_str()))
        || reads(graph, output)
    {
        return None;
    }
    let attribute = |name: &str| {
        node.attribute
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    };
    let ints = attribute("classlabels_int64s").map_or(&[][..], |a| a.ints.as_slice());
    let strings = attribute("classlabels_strings").map_or(&[][..], |a| a.strings.as_slice());
    let (labels, key) = match (ints.is_empty(), strings.is_empty()) {
        (false, true) => (ints.iter().map(i64::to_string).collect(), ElemType::I64),
        (true, false) => (
            strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
            ElemType::String,
        ),
        _ => return None,
    };
    Some(ZipMapTensor {
        output: output.clone(),
        labels,
        key,
    })
}

/// Whether any node of `graph` or of its subgraphs takes `name` as an input.
fn reads(graph: &pb::GraphProto, name: &str) -> bool {
    graph.node.iter().any(|n| {
        n.input.iter().any(|i| i == name)
            || n.attribute.iter().any(|a| {
                a.g.as_ref().is_some_and(|g| reads(g, name))
                    || a.graphs.iter().any(|g| reads(g, name))
            })
    })
}

/// `tensor(float)[?, columns]`.
fn float_matrix(columns: i64) -> pb::TypeProto {
    use pb::tensor_shape_proto::{Dimension, dimension};
    pb::TypeProto {
        value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
            elem_type: Some(pb::tensor_proto::DataType::Float as i32),
            shape: Some(pb::TensorShapeProto {
                dim: vec![
                    Dimension::default(),
                    Dimension {
                        value: Some(dimension::Value::DimValue(columns)),
                        ..Default::default()
                    },
                ],
            }),
        })),
        ..Default::default()
    }
}

/// The session's signature as the user's file has it: each rewritten output a ZipMap again.
pub fn original_signature(session: &Signature, rewritten: &[ZipMapTensor]) -> Signature {
    let mut signature = session.clone();
    for port in &mut signature.outputs {
        if let Some(z) = rewritten.iter().find(|z| z.output == port.name) {
            port.kind = PortKind::SequenceOfMaps {
                key: z.key,
                value: ElemType::F32,
            };
        }
    }
    signature
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zipmap(input: &str, output: &str, ints: &[i64]) -> pb::NodeProto {
        pb::NodeProto {
            op_type: Some("ZipMap".into()),
            domain: Some("ai.onnx.ml".into()),
            input: vec![input.into()],
            output: vec![output.into()],
            attribute: vec![pb::AttributeProto {
                name: Some("classlabels_int64s".into()),
                ints: ints.to_vec(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn value(name: &str) -> pb::ValueInfoProto {
        pb::ValueInfoProto {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn model(nodes: Vec<pb::NodeProto>, outputs: &[&str], domains: &[&str]) -> pb::ModelProto {
        pb::ModelProto {
            opset_import: domains
                .iter()
                .map(|d| pb::OperatorSetIdProto {
                    domain: Some((*d).into()),
                    version: Some(1),
                })
                .collect(),
            graph: Some(pb::GraphProto {
                node: nodes,
                output: outputs.iter().map(|o| value(o)).collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn tree() -> pb::NodeProto {
        pb::NodeProto {
            op_type: Some("TreeEnsembleClassifier".into()),
            domain: Some("ai.onnx.ml".into()),
            input: vec!["X".into()],
            output: vec!["label".into(), "probabilities".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_zipmap_becomes_an_identity_of_its_tensor() {
        let mut m = model(
            vec![
                tree(),
                zipmap("probabilities", "output_probability", &[0, 1]),
            ],
            &["label", "output_probability"],
            &["", "ai.onnx.ml"],
        );
        let found = tensor_outputs(&mut m);
        assert_eq!(
            found,
            vec![ZipMapTensor {
                output: "output_probability".into(),
                labels: vec!["0".into(), "1".into()],
                key: ElemType::I64,
            }]
        );
        let g = m.graph.unwrap();
        let node = &g.node[1];
        assert_eq!(node.op_type.as_deref(), Some("Identity"));
        assert_eq!(node.input, ["probabilities"]);
        assert_eq!(node.output, ["output_probability"]);
        assert!(node.attribute.is_empty());
        assert_eq!(g.output[1].r#type, Some(float_matrix(2)));
    }

    #[test]
    fn other_shapes_keep_their_zipmap() {
        // Only ai.onnx.ml imported: no Identity to replace it with.
        let mut m = model(
            vec![tree(), zipmap("probabilities", "out", &[0, 1])],
            &["out"],
            &["ai.onnx.ml"],
        );
        assert!(tensor_outputs(&mut m).is_empty());
        // The ZipMap's maps feed another node.
        let mut reader = tree();
        reader.op_type = Some("SequenceLength".into());
        reader.domain = Some(String::new());
        reader.input = vec!["out".into()];
        reader.output = vec!["n".into()];
        let mut m = model(
            vec![tree(), zipmap("probabilities", "out", &[0, 1]), reader],
            &["out", "n"],
            &["", "ai.onnx.ml"],
        );
        assert!(tensor_outputs(&mut m).is_empty());
        // Not a graph output; no labels.
        let mut m = model(
            vec![tree(), zipmap("probabilities", "hidden", &[0, 1])],
            &["label"],
            &["", "ai.onnx.ml"],
        );
        assert!(tensor_outputs(&mut m).is_empty());
        let mut m = model(
            vec![tree(), zipmap("probabilities", "out", &[])],
            &["out"],
            &["", "ai.onnx.ml"],
        );
        assert!(tensor_outputs(&mut m).is_empty());
    }

    #[test]
    fn the_signature_shows_the_zipmap_again() {
        let session = Signature {
            inputs: Vec::new(),
            outputs: vec![super::super::Port {
                name: "output_probability".into(),
                kind: PortKind::Tensor {
                    dtype: ElemType::F32,
                    shape: vec![-1, 3],
                },
            }],
        };
        let rewritten = [ZipMapTensor {
            output: "output_probability".into(),
            labels: vec!["a".into(), "b".into(), "c".into()],
            key: ElemType::String,
        }];
        let original = original_signature(&session, &rewritten);
        assert_eq!(
            original.outputs[0].kind,
            PortKind::SequenceOfMaps {
                key: ElemType::String,
                value: ElemType::F32
            }
        );
    }
}
