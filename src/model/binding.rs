//! Which model input receives which features ([`super::input_binding`]), and which outputs
//! hold the predictions.
//!
//! Inferred from the signature when there is one sensible reading; otherwise the error lists
//! the model's ports and names the `[suite.io]` key that settles it.

use super::input_binding::InputBinding;
use super::{ElemType, ModelError, Port, PortKind, Signature};
use crate::config::{IoConfig, Task};
use crate::data::Schema;

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub input: InputBinding,
    pub output: OutputBinding,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelKind {
    Int64,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreKind {
    /// `[N, C]` tensor of float or double.
    Tensor,
    /// `seq(map(int64, float))`.
    MapInt64,
    /// `seq(map(string, float))`.
    MapText,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutputBinding {
    Classifier {
        label: Option<(String, LabelKind)>,
        scores: Option<(String, ScoreKind)>,
    },
    Regressor {
        name: String,
    },
}

/// Binds `signature` to a dataset's columns and a suite's task.
pub fn bind(
    signature: &Signature,
    data: &Schema,
    task: Task,
    io: &IoConfig,
    model: &str,
) -> Result<Binding, ModelError> {
    let fail = |message: String| ModelError::Binding {
        model: model.to_owned(),
        message,
    };
    let input = super::input_binding::bind_inputs(signature, data, io).map_err(fail)?;
    let output = match task {
        Task::Classification => bind_classifier(signature, io),
        Task::Regression => bind_regressor(signature, io),
    }
    .map_err(fail)?;
    Ok(Binding { input, output })
}

fn label_kind(port: &Port) -> Option<LabelKind> {
    match &port.kind {
        PortKind::Tensor {
            dtype: ElemType::I64 | ElemType::I32,
            shape,
        } if shape.len() <= 2 => Some(LabelKind::Int64),
        PortKind::Tensor {
            dtype: ElemType::String,
            shape,
        } if shape.len() <= 2 => Some(LabelKind::Text),
        _ => None,
    }
}

fn score_kind(port: &Port) -> Option<ScoreKind> {
    match &port.kind {
        PortKind::Tensor {
            dtype: ElemType::F32 | ElemType::F64 | ElemType::F16 | ElemType::BF16,
            shape,
        } if shape.len() == 2 => Some(ScoreKind::Tensor),
        PortKind::SequenceOfMaps {
            key: ElemType::I64,
            value: ElemType::F32 | ElemType::F64,
        } => Some(ScoreKind::MapInt64),
        PortKind::SequenceOfMaps {
            key: ElemType::String,
            value: ElemType::F32 | ElemType::F64,
        } => Some(ScoreKind::MapText),
        _ => None,
    }
}

fn bind_classifier(signature: &Signature, io: &IoConfig) -> Result<OutputBinding, String> {
    let named = |name: &str, key: &str| {
        signature.output(name).ok_or_else(|| {
            format!(
                "has no output `{name}` (`io.{key}`); its outputs: {}",
                signature.describe_outputs()
            )
        })
    };
    fn pick<K>(
        signature: &Signature,
        kind: fn(&Port) -> Option<K>,
        what: &str,
        key: &str,
    ) -> Result<Option<(String, K)>, String> {
        let found: Vec<_> = signature
            .outputs
            .iter()
            .filter_map(|p| kind(p).map(|k| (p.name.clone(), k)))
            .collect();
        match found.len() {
            0 | 1 => Ok(found.into_iter().next()),
            _ => Err(format!(
                "has several outputs that could be the {what} ({}); set `io.{key}` in the suite",
                found
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    let label = match &io.label_output {
        Some(name) => {
            let port = named(name, "label_output")?;
            Some((
                name.clone(),
                label_kind(port).ok_or_else(|| {
                    format!("output {port} is not a label tensor (int64 or string)")
                })?,
            ))
        }
        None => pick(signature, label_kind, "predicted label", "label_output")?,
    };
    let scores = match &io.probability_output {
        Some(name) => {
            let port = named(name, "probability_output")?;
            Some((name.clone(), score_kind(port).ok_or_else(|| format!("output {port} is neither an [N,C] float tensor nor a seq(map) of probabilities"))?))
        }
        None => pick(signature, score_kind, "probabilities", "probability_output")?,
    };
    if label.is_none() && scores.is_none() {
        return Err(format!(
            "has no output a classifier could predict with (an int64/string label tensor, an [N,C] score tensor or a ZipMap); its outputs: {}. Is `task` right?",
            signature.describe_outputs()
        ));
    }
    Ok(OutputBinding::Classifier { label, scores })
}

fn bind_regressor(signature: &Signature, io: &IoConfig) -> Result<OutputBinding, String> {
    let is_prediction = |p: &Port| match &p.kind {
        PortKind::Tensor {
            dtype: ElemType::F32 | ElemType::F64 | ElemType::F16 | ElemType::BF16,
            shape,
        } => shape.len() == 1 || (shape.len() == 2 && shape[1] <= 1),
        _ => false,
    };
    if let Some(name) = &io.output {
        let port = signature.output(name).ok_or_else(|| {
            format!(
                "has no output `{name}` (`io.output`); its outputs: {}",
                signature.describe_outputs()
            )
        })?;
        return if is_prediction(port) {
            Ok(OutputBinding::Regressor { name: name.clone() })
        } else {
            Err(format!("output {port} is not a float [N] or [N,1] tensor"))
        };
    }
    let found: Vec<&Port> = signature
        .outputs
        .iter()
        .filter(|p| is_prediction(p))
        .collect();
    match found.as_slice() {
        [only] => Ok(OutputBinding::Regressor {
            name: only.name.clone(),
        }),
        [] => Err(format!(
            "has no float [N] or [N,1] output to read predictions from; its outputs: {}. Is `task` right?",
            signature.describe_outputs()
        )),
        _ => Err(format!(
            "has several possible prediction outputs ({}); set `io.output` in the suite",
            signature.describe_outputs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, kind: PortKind) -> Port {
        Port {
            name: name.into(),
            kind,
        }
    }
    fn tensor(dtype: ElemType, shape: &[i64]) -> PortKind {
        PortKind::Tensor {
            dtype,
            shape: shape.to_vec(),
        }
    }
    fn features(n: usize) -> Schema {
        let columns: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
        Schema {
            features: columns.clone(),
            columns,
            label: "y".into(),
        }
    }

    #[test]
    fn skl2onnx_zipmap_classifier_is_inferred() {
        let sig = Signature {
            inputs: vec![port("X", tensor(ElemType::F32, &[-1, 4]))],
            outputs: vec![
                port("output_label", tensor(ElemType::String, &[-1])),
                port(
                    "output_probability",
                    PortKind::SequenceOfMaps {
                        key: ElemType::String,
                        value: ElemType::F32,
                    },
                ),
            ],
        };
        let b = bind(
            &sig,
            &features(4),
            Task::Classification,
            &IoConfig::default(),
            "m",
        )
        .unwrap();
        assert_eq!(b.input.inputs.len(), 1);
        assert_eq!(b.input.inputs[0].name, "X");
        assert_eq!(b.input.inputs[0].dtype, crate::data::FeedType::F32);
        assert_eq!(b.input.inputs[0].columns, [0, 1, 2, 3]);
        assert_eq!(
            b.output,
            OutputBinding::Classifier {
                label: Some(("output_label".into(), LabelKind::Text)),
                scores: Some(("output_probability".into(), ScoreKind::MapText))
            }
        );
    }

    #[test]
    fn width_mismatch_names_both_sides() {
        let sig = Signature {
            inputs: vec![port("X", tensor(ElemType::F32, &[-1, 4]))],
            outputs: vec![port("y", tensor(ElemType::F32, &[-1, 1]))],
        };
        let err = bind(
            &sig,
            &features(3),
            Task::Regression,
            &IoConfig::default(),
            "m",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("takes 4 features") && err.contains("provides 3"),
            "{err}"
        );
    }

    #[test]
    fn ambiguous_outputs_ask_for_io_config() {
        let sig = Signature {
            inputs: vec![port("X", tensor(ElemType::F32, &[-1, 2]))],
            outputs: vec![
                port("a", tensor(ElemType::F32, &[-1, 1])),
                port("b", tensor(ElemType::F32, &[-1])),
            ],
        };
        let err = bind(
            &sig,
            &features(2),
            Task::Regression,
            &IoConfig::default(),
            "m",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("io.output"), "{err}");
    }
}
