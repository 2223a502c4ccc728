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

/// Builds the session inputs for one batch. `f64` inputs borrow the batch directly.
pub fn build<'a>(
    binding: &'a InputBinding,
    features: &'a [f64],
    rows: usize,
    width: usize,
    scratch: &'a mut InputScratch,
) -> Result<Inputs<'a>, String> {
    let err = |e: ort::Error| e.to_string();
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
                ElemType::I64 => Tensor::from_array((shape, integers::<i64>(features, name)?))
                    .map_err(err)?
                    .into(),
                ElemType::I32 => Tensor::from_array((shape, integers::<i32>(features, name)?))
                    .map_err(err)?
                    .into(),
                other => {
                    return Err(format!(
                        "input `{name}` has dtype {other}, which mlops-ci cannot feed"
                    ));
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
                    ElemType::I64 => Tensor::from_array((shape, integers::<i64>(&column, name)?))
                        .map_err(err)?
                        .into(),
                    ElemType::I32 => Tensor::from_array((shape, integers::<i32>(&column, name)?))
                        .map_err(err)?
                        .into(),
                    other => {
                        return Err(format!(
                            "input `{name}` has dtype {other}, which mlops-ci cannot feed"
                        ));
                    }
                };
                Ok((Cow::Borrowed(name.as_str()), value))
            })
            .collect(),
    }
}

/// Integer inputs must get integers: 2.5 silently truncated to 2 would be a wrong answer.
fn integers<T: TryFrom<i64>>(values: &[f64], input: &str) -> Result<Vec<T>, String> {
    values
        .iter()
        .map(|&v| {
            if v.fract() != 0.0 || !v.is_finite() {
                return Err(format!(
                    "input `{input}` is an integer tensor but the data holds {v}; dtype mismatch"
                ));
            }
            T::try_from(v as i64)
                .map_err(|_| format!("value {v} does not fit input `{input}`'s integer type"))
        })
        .collect()
}
