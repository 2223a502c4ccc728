//! The model as ONNX Runtime will load it, read once from its protobuf: the bytes to load
//! (ZipMaps turned into tensors where that is safe, see [`super::zipmap`]) and what the graph
//! says about its score outputs (see [`super::score_meaning`]).

use prost::Message;
use prost::bytes::Bytes;

use super::onnx_proto as pb;
use super::score_meaning::GraphEvidence;
use super::zipmap::{self, ZipMapTensor};

pub struct SessionModel {
    /// What the session loads: the file itself, or a copy whose ZipMaps hold tensors.
    pub bytes: Bytes,
    /// Outputs that were ZipMaps in the file and are tensors in `bytes`.
    pub zipmaps: Vec<ZipMapTensor>,
    /// Read from the file as it is (a rewritten ZipMap still counts as one).
    pub evidence: GraphEvidence,
}

impl SessionModel {
    /// Never fails: a file that cannot be read here was refused by `inspect` already, and a
    /// graph this code does not follow is loaded unchanged, with no evidence.
    pub fn prepare(file: &Bytes) -> SessionModel {
        let unchanged = || SessionModel {
            bytes: file.clone(),
            zipmaps: Vec::new(),
            evidence: GraphEvidence::default(),
        };
        let Ok(mut proto) = pb::ModelProto::decode(file.clone()) else {
            return unchanged();
        };
        let Some(graph) = &proto.graph else {
            return unchanged();
        };
        let evidence = GraphEvidence::from_graph(graph);
        // prost keeps no unknown fields: if re-encoding the file would not give back as many
        // bytes, it holds fields this build's onnx-ml.proto lacks, and a rewrite would drop
        // them. Load it as it is then.
        if proto.encoded_len() != file.len() {
            return SessionModel {
                evidence,
                ..unchanged()
            };
        }
        let zipmaps = zipmap::tensor_outputs(&mut proto);
        let bytes = if zipmaps.is_empty() {
            file.clone()
        } else {
            proto.encode_to_vec().into()
        };
        SessionModel {
            bytes,
            zipmaps,
            evidence,
        }
    }
}
