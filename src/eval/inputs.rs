//! Feature batches to input tensors of the dtype each model input declares.

use std::borrow::Cow;

use ort::session::SessionInputValue;
use ort::value::{Tensor, TensorRef};

use crate::model::{ElemType, InputBinding};

/// Conversion buffers kept between batches, so a batch costs no allocation.
#[derive(Default)]
pub struct InputScratch {
    f32: Vec<f32>,
}

type Inputs<'a> = Vec<(Cow<'a, str>, SessionInputValue<'a>)>;

/// Why a batch could not become input tensors.
#[derive(Debug)]
pub enum InputError {
    /// A fractional (or non-finite) value for an integer input; `row` is within the batch and
    /// `column` is the feature's index.
    NotInteger {
        input: String,
        value: f64,
        row: usize,
        column: usize,
    },
    Other(String),
}

/// Builds the session inputs for one batch. `f64` inputs borrow the batch directly.
pub fn build<'a>(
    binding: &'a InputBinding,
    features: &'a [f64],
    rows: usize,
    width: usize,
    scratch: &'a mut InputScratch,
) -> Result<Inputs<'a>, InputError> {
    let err = |e: ort::Error| InputError::Other(e.to_string());
    // Matrix: value i is row i / width, feature i % width.
    let in_matrix = |(i, value): (usize, f64)| (i / width, i % width, value);
    match binding {
        InputBinding::Matrix { name, dtype } => {
            let shape = [rows, width];
            let value: SessionInputValue = match dtype {
                ElemType::F64 => TensorRef::from_array_view((shape, features))
                    .map_err(err)?
                    .into(),
                ElemType::F32 => {
                    scratch.f32.clear();
                    scratch.f32.extend(features.iter().map(|&v| v as f32));
                    TensorRef::from_array_view((shape, &scratch.f32[..]))
                        .map_err(err)?
                        .into()
                }
                ElemType::I64 => {
                    Tensor::from_array((shape, integers::<i64>(features, name, in_matrix)?))
                        .map_err(err)?
                        .into()
                }
                ElemType::I32 => {
                    Tensor::from_array((shape, integers::<i32>(features, name, in_matrix)?))
                        .map_err(err)?
                        .into()
                }
                other => {
                    return Err(InputError::Other(format!(
                        "input `{name}` has dtype {other}, which mlops-ci cannot feed"
                    )));
                }
            };
            Ok(vec![(Cow::Borrowed(name.as_str()), value)])
        }
        InputBinding::PerColumn(columns) => columns
            .iter()
            .map(|(name, dtype, rank, index)| {
                let column: Vec<f64> = features
                    .iter()
                    .skip(*index)
                    .step_by(width)
                    .copied()
                    .collect();
                let shape: Vec<usize> = if *rank == 1 {
                    vec![rows]
                } else {
                    vec![rows, 1]
                };
                let value: SessionInputValue = match dtype {
                    ElemType::F64 => Tensor::from_array((shape, column)).map_err(err)?.into(),
                    ElemType::F32 => Tensor::from_array((
                        shape,
                        column.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                    ))
                    .map_err(err)?
                    .into(),
                    ElemType::I64 => Tensor::from_array((
                        shape,
                        integers::<i64>(&column, name, |(row, v)| (row, *index, v))?,
                    ))
                    .map_err(err)?
                    .into(),
                    ElemType::I32 => Tensor::from_array((
                        shape,
                        integers::<i32>(&column, name, |(row, v)| (row, *index, v))?,
                    ))
                    .map_err(err)?
                    .into(),
                    other => {
                        return Err(InputError::Other(format!(
                            "input `{name}` has dtype {other}, which mlops-ci cannot feed"
                        )));
                    }
                };
                Ok((Cow::Borrowed(name.as_str()), value))
            })
            .collect(),
    }
}

/// Integer inputs must get integers: 2.5 silently truncated to 2 would be a wrong answer.
/// `locate` turns a value's index into its (row, feature) for the message.
fn integers<T: TryFrom<i64>>(
    values: &[f64],
    input: &str,
    locate: impl Fn((usize, f64)) -> (usize, usize, f64),
) -> Result<Vec<T>, InputError> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let converted = (v.fract() == 0.0 && v.is_finite())
                .then(|| T::try_from(v as i64).ok())
                .flatten();
            converted.ok_or_else(|| {
                let (row, column, value) = locate((i, v));
                InputError::NotInteger {
                    input: input.to_owned(),
                    value,
                    row,
                    column,
                }
            })
        })
        .collect()
}
