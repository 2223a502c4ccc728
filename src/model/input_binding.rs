//! Which data column(s) each model input takes, in what type and shape.
//!
//! A single `[N, F]` input takes the suite's feature list (`data.features`, else every
//! column but the label and `data.exclude`). Otherwise each input takes the column its
//! `[suite.io.inputs]` entry names, else the column of its own name, else the one column
//! skl2onnx would have given that name (it rewrites DataFrame column names into identifiers).
//! When none fits, the error spells out the `[suite.io.inputs]` line to add.

use super::input_names::{named_column, nearest, suggestion};
use super::{Port, PortKind, Signature};
use crate::config::IoConfig;
use crate::data::{FeedType, Schema};

/// How one model's inputs are fed.
#[derive(Debug, Clone, PartialEq)]
pub struct InputBinding {
    pub inputs: Vec<BoundInput>,
    /// The batch dimension the model fixes (`[1, 64]`), when it does: every run of it must
    /// have exactly this many rows.
    pub fixed_batch: Option<usize>,
    /// What the report should say about how inputs found their columns.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoundInput {
    pub name: String,
    pub dtype: FeedType,
    /// Indices into the schema's columns, in the order of the input's last dimension.
    pub columns: Vec<usize>,
    /// 1: `[N]`; 2: `[N, columns]`.
    pub rank: usize,
    /// The index of its feed in the evaluation's read plan, once planned.
    pub feed: usize,
}

/// Binds every input of `signature` to columns of `schema`.
pub fn bind_inputs(
    signature: &Signature,
    schema: &Schema,
    io: &IoConfig,
) -> Result<InputBinding, String> {
    let ports = &signature.inputs;
    if ports.is_empty() {
        return Err("has no inputs".to_owned());
    }
    if let Some(name) = &io.input
        && !ports.iter().any(|p| &p.name == name)
    {
        return Err(format!(
            "has no input `{name}` (`io.input`); its inputs: {}",
            describe(signature)
        ));
    }
    let mut binding = InputBinding {
        inputs: Vec::with_capacity(ports.len()),
        fixed_batch: None,
        notes: Vec::new(),
    };
    for port in ports {
        let PortKind::Tensor { dtype, shape } = &port.kind else {
            return Err(format!(
                "input {port} is not a tensor; mlops-ci feeds tensors"
            ));
        };
        let feed_type = dtype.feed_type().ok_or_else(|| {
            format!(
                "input {port} has dtype {dtype}, which mlops-ci cannot feed (it feeds float, double, \
                 float16, bfloat16, int8-int64, uint8-uint64, bool and string tensors)"
            )
        })?;
        if !(1..=2).contains(&shape.len()) {
            return Err(format!(
                "input {port} has {} dimensions; mlops-ci feeds [N], [N, 1] and [N, F] inputs of tabular data",
                shape.len()
            ));
        }
        let columns = columns_for(port, shape, ports.len(), schema, io, &mut binding.notes)
            .map_err(|e| with_misspelt_key(e, port, signature, io))?;
        check_width(port, shape, &columns, schema)?;
        if let Some(&batch) = shape.first().filter(|&&d| d > 0) {
            let batch = batch as usize;
            match binding.fixed_batch {
                Some(other) if other != batch => {
                    return Err(format!(
                        "its inputs fix different batch sizes ({other} and {batch} rows); mlops-ci runs every input on the same rows"
                    ));
                }
                _ => binding.fixed_batch = Some(batch),
            }
        }
        binding.inputs.push(BoundInput {
            name: port.name.clone(),
            dtype: feed_type,
            columns,
            rank: shape.len(),
            feed: 0,
        });
    }
    Ok(binding)
}

/// An input without a column, and a `[suite.io.inputs]` key that is no input's name but
/// close to this one's: the key is surely meant for it.
fn with_misspelt_key(error: String, port: &Port, signature: &Signature, io: &IoConfig) -> String {
    let misspelt = io.inputs.keys().find(|k| {
        !signature.inputs.iter().any(|p| &p.name == *k)
            && crate::config::nearest_name(k, [port.name.as_str()]).is_some()
    });
    match misspelt {
        Some(key) => format!(
            "{error}. `[suite.io.inputs]` names `{key}`, which is not an input of the model: did you mean `{}`?",
            port.name
        ),
        None => error,
    }
}

/// `[N]` or `[N, 1]`: one column per row.
fn column_like(shape: &[i64]) -> bool {
    shape.len() == 1 || shape.get(1) == Some(&1)
}

fn columns_for(
    port: &Port,
    shape: &[i64],
    inputs: usize,
    schema: &Schema,
    io: &IoConfig,
    notes: &mut Vec<String>,
) -> Result<Vec<usize>, String> {
    let features = || -> Result<Vec<usize>, String> {
        schema
            .features
            .iter()
            .map(|f| {
                schema
                    .index(f)
                    .ok_or_else(|| format!("the data has no feature column `{f}`"))
            })
            .collect()
    };
    if let Some(mapped) = io.inputs.get(&port.name) {
        return mapped
            .0
            .iter()
            .map(|c| {
                schema.index(c).ok_or_else(|| {
                    format!(
                        "`[suite.io.inputs]` maps input `{}` to column `{}`, which the data does not have{}; its columns: {}",
                        port.name,
                        crate::data::shown(c.as_bytes()),
                        nearest(c, schema)
                            .map(|n| format!(" (did you mean `{n}`?)"))
                            .unwrap_or_default(),
                        crate::data::listed_columns(&schema.columns)
                    )
                })
            })
            .collect();
    }
    if io.input.as_deref() == Some(port.name.as_str()) {
        return features();
    }
    if inputs == 1 && !(column_like(shape) && schema.features.len() != 1) {
        return features();
    }
    match named_column(&port.name, schema)? {
        Some((column, exact)) => {
            if !exact {
                notes.push(format!(
                    "input `{}` reads column `{}` (skl2onnx's spelling of that name)",
                    port.name, schema.columns[column]
                ));
            }
            Ok(vec![column])
        }
        // A lone column-shaped input with a feature list of several: say which to choose.
        None if inputs == 1 => Err(format!(
            "input {port} takes one column, but the data provides {} features ({}); {}",
            schema.features.len(),
            crate::data::listed_columns(&schema.features),
            suggestion(&port.name, schema)
        )),
        None => Err(format!(
            "input {port} has no data column of that name (the model has {inputs} inputs: {}); {}",
            describe_names(port, inputs),
            suggestion(&port.name, schema)
        )),
    }
}

fn check_width(
    port: &Port,
    shape: &[i64],
    columns: &[usize],
    schema: &Schema,
) -> Result<(), String> {
    let names = || {
        columns
            .iter()
            .map(|&c| schema.columns[c].clone())
            .collect::<Vec<_>>()
    };
    match shape {
        [_] if columns.len() != 1 => Err(format!(
            "input {port} takes one value per row, but it is given {} columns ({}); map it to one column under [suite.io.inputs]",
            columns.len(),
            crate::data::listed_columns(&names())
        )),
        [_, width] if *width >= 0 && *width as usize != columns.len() => Err(format!(
            "shape mismatch: input {port} takes {width} features per row, but the data provides {} ({}); \
             list the model's columns in `data.features`, or leave columns out with `data.exclude`",
            columns.len(),
            names().join(", ")
        )),
        _ => Ok(()),
    }
}

fn describe(signature: &Signature) -> String {
    signature
        .inputs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_names(port: &Port, inputs: usize) -> String {
    if inputs > 1 {
        format!("`{}` is one of them", port.name)
    } else {
        format!("`{}`", port.name)
    }
}

/// Keys of `[suite.io.inputs]` that name no input of any of the models: a typo there would
/// otherwise be silently ignored.
pub fn unknown_input_mappings(io: &IoConfig, signatures: &[&Signature]) -> Option<String> {
    let inputs: Vec<&str> = signatures
        .iter()
        .flat_map(|s| s.inputs.iter().map(|p| p.name.as_str()))
        .collect();
    let unknown = io.inputs.keys().find(|k| !inputs.contains(&k.as_str()))?;
    Some(format!(
        "`[suite.io.inputs]` names `{unknown}`, which is not an input of the model{}; its inputs: {}",
        crate::config::nearest_name(unknown, inputs.iter().copied())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default(),
        inputs
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InputColumns;
    use crate::model::ElemType;

    fn port(name: &str, dtype: ElemType, shape: &[i64]) -> Port {
        Port {
            name: name.into(),
            kind: PortKind::Tensor {
                dtype,
                shape: shape.to_vec(),
            },
        }
    }

    fn schema(columns: &[&str], label: &str) -> Schema {
        let columns: Vec<String> = columns.iter().map(|s| s.to_string()).collect();
        Schema {
            features: columns.iter().filter(|c| *c != label).cloned().collect(),
            columns,
            label: label.into(),
        }
    }

    fn signature(inputs: Vec<Port>) -> Signature {
        Signature {
            inputs,
            outputs: Vec::new(),
        }
    }

    #[test]
    fn per_column_inputs_bind_by_name_sanitised_name_or_mapping() {
        let sig = signature(vec![
            port("od280_od315_of_diluted_wines", ElemType::F32, &[-1, 1]),
            port("city", ElemType::String, &[-1, 1]),
            port("x_1", ElemType::I64, &[-1]),
        ]);
        let data = schema(
            &["id", "od280/od315_of_diluted_wines", "city", "x 1 raw", "y"],
            "y",
        );
        let err = bind_inputs(&sig, &data, &IoConfig::default()).unwrap_err();
        assert!(
            err.contains(r#"add x_1 = "x 1 raw" under [suite.io.inputs]"#),
            "{err}"
        );
        let mut io = IoConfig::default();
        io.inputs
            .insert("x_1".into(), InputColumns(vec!["x 1 raw".into()]));
        let b = bind_inputs(&sig, &data, &io).unwrap();
        let columns: Vec<&[usize]> = b.inputs.iter().map(|i| i.columns.as_slice()).collect();
        assert_eq!(columns, [&[1][..], &[2], &[3]]);
        assert_eq!(b.inputs[1].dtype, FeedType::Text);
        assert_eq!(b.inputs[2].rank, 1);
        assert!(b.notes[0].contains("skl2onnx's spelling"), "{:?}", b.notes);
        assert_eq!(b.fixed_batch, None);
    }

    #[test]
    fn ambiguous_sanitised_names_ask_for_a_mapping() {
        let sig = signature(vec![
            port("a_b", ElemType::F32, &[-1, 1]),
            port("c", ElemType::F32, &[-1, 1]),
        ]);
        let err = bind_inputs(
            &sig,
            &schema(&["a b", "a-b", "c", "y"], "y"),
            &IoConfig::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("could be any of the columns `a b`, `a-b`"),
            "{err}"
        );
        assert!(
            err.contains(r#"add a_b = "a b" under [suite.io.inputs]"#),
            "{err}"
        );
    }

    #[test]
    fn a_single_matrix_takes_the_features_and_checks_its_width() {
        let sig = signature(vec![port("X", ElemType::F16, &[-1, 3])]);
        let mut data = schema(&["id", "a", "b", "c", "y"], "y");
        let err = bind_inputs(&sig, &data, &IoConfig::default()).unwrap_err();
        assert!(
            err.contains("takes 3 features per row, but the data provides 4 (id, a, b, c)"),
            "{err}"
        );
        assert!(err.contains("`data.exclude`"), "{err}");
        data.features.remove(0);
        let b = bind_inputs(&sig, &data, &IoConfig::default()).unwrap();
        assert_eq!(b.inputs[0].columns, [1, 2, 3]);
        assert_eq!(b.inputs[0].dtype, FeedType::F16);
    }

    #[test]
    fn a_single_text_column_input_finds_its_column_among_many() {
        // TfidfVectorizer: one string input [N, 1] of raw text beside other columns.
        let sig = signature(vec![port("text", ElemType::String, &[-1, 1])]);
        let b = bind_inputs(
            &sig,
            &schema(&["id", "text", "y"], "y"),
            &IoConfig::default(),
        )
        .unwrap();
        assert_eq!(b.inputs[0].columns, [1]);
        let err = bind_inputs(
            &sig,
            &schema(&["id", "body", "y"], "y"),
            &IoConfig::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("takes one column, but the data provides 2 features"),
            "{err}"
        );
    }

    #[test]
    fn fixed_batch_dimensions_are_read() {
        let sig = signature(vec![port("input", ElemType::F32, &[1, 3])]);
        let b = bind_inputs(
            &sig,
            &schema(&["a", "b", "c", "y"], "y"),
            &IoConfig::default(),
        )
        .unwrap();
        assert_eq!(b.fixed_batch, Some(1));
        let sig = signature(vec![
            port("a", ElemType::F32, &[1, 1]),
            port("b", ElemType::F32, &[8, 1]),
        ]);
        let err =
            bind_inputs(&sig, &schema(&["a", "b", "y"], "y"), &IoConfig::default()).unwrap_err();
        assert!(
            err.contains("fix different batch sizes (1 and 8 rows)"),
            "{err}"
        );
    }

    #[test]
    fn unsupported_inputs_say_why() {
        let sig = signature(vec![port("img", ElemType::F32, &[-1, 3, 8, 8])]);
        let err = bind_inputs(&sig, &schema(&["a", "y"], "y"), &IoConfig::default()).unwrap_err();
        assert!(err.contains("has 4 dimensions"), "{err}");
        let sig = signature(vec![port("x", ElemType::Other, &[-1, 1])]);
        let err = bind_inputs(&sig, &schema(&["a", "y"], "y"), &IoConfig::default()).unwrap_err();
        assert!(err.contains("cannot feed"), "{err}");
    }

    #[test]
    fn mappings_to_unknown_inputs_or_columns_are_errors() {
        let sig = signature(vec![port("X", ElemType::F32, &[-1, 2])]);
        let mut io = IoConfig::default();
        io.inputs
            .insert("XX".into(), InputColumns(vec!["a".into()]));
        let err = unknown_input_mappings(&io, &[&sig]).unwrap();
        assert!(err.contains("names `XX`, which is not an input"), "{err}");
        assert!(err.contains("did you mean `X`?"), "{err}");
        let mut io = IoConfig::default();
        io.inputs
            .insert("X".into(), InputColumns(vec!["a".into(), "bb".into()]));
        let err = bind_inputs(&sig, &schema(&["a", "b", "y"], "y"), &io).unwrap_err();
        assert!(
            err.contains("to column `bb`, which the data does not have (did you mean `b`?)"),
            "{err}"
        );
    }
}
