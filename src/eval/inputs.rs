//! A batch's feeds as the input tensors of one model. The readers already converted every
//! value into the input's element type, so a tensor borrows its feed's buffer; only a string
//! input (ONNX Runtime copies strings) and the last batch of a fixed-batch model (padded to
//! the batch size) are built anew.

use std::borrow::Cow;

use ort::session::SessionInputValue;
use ort::value::{Tensor, TensorRef};

use crate::data::{FeedValues, TextValues};
use crate::model::{BoundInput, InputBinding};

type Inputs<'a> = Vec<(Cow<'a, str>, SessionInputValue<'a>)>;

/// Rows a run of this model takes for a batch of `rows`: its fixed batch size, if it has one.
pub fn run_rows(binding: &InputBinding, rows: usize) -> usize {
    binding.fixed_batch.unwrap_or(rows)
}

/// Builds the session inputs for one batch of `rows` rows.
pub fn build<'a>(
    binding: &'a InputBinding,
    feeds: &'a [FeedValues],
    rows: usize,
) -> Result<Inputs<'a>, String> {
    let run = run_rows(binding, rows);
    if run < rows || rows == 0 {
        return Err(format!(
            "a batch of {rows} rows cannot run on a model that takes exactly {run}"
        ));
    }
    binding
        .inputs
        .iter()
        .map(|input| {
            let values = feeds
                .get(input.feed)
                .ok_or_else(|| format!("no data was read for input `{}`", input.name))?;
            let value = tensor(input, values, rows, run)
                .map_err(|e| format!("input `{}`: {e}", input.name))?;
            Ok((Cow::Borrowed(input.name.as_str()), value))
        })
        .collect()
}

fn tensor<'a>(
    input: &BoundInput,
    values: &'a FeedValues,
    rows: usize,
    run: usize,
) -> Result<SessionInputValue<'a>, ort::Error> {
    let width = input.columns.len();
    let shape: Vec<usize> = if input.rank == 1 {
        vec![run]
    } else {
        vec![run, width]
    };
    if run == rows {
        return Ok(crate::for_each_feed!(values,
            v => TensorRef::from_array_view((shape, &v[..]))?.into(),
            t => strings(t, shape, rows * width, width)?.into()
        ));
    }
    // A fixed batch larger than the last batch: the last row repeats, its outputs are
    // dropped once the pass is over.
    Ok(crate::for_each_feed!(values,
        v => Tensor::from_array((shape, padded(&v[..], rows, run, width)))?.into(),
        t => strings(t, shape, run * width, width)?.into()
    ))
}

/// `values` (rows × width) with its last row repeated up to `run` rows.
fn padded<T: Clone>(values: &[T], rows: usize, run: usize, width: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(run * width);
    out.extend_from_slice(&values[..rows * width]);
    let last = &values[(rows - 1) * width..rows * width];
    for _ in rows..run {
        out.extend_from_slice(last);
    }
    out
}

/// A string tensor of `count` values; past the feed's end, its last row repeats.
fn strings(
    text: &TextValues,
    shape: Vec<usize>,
    count: usize,
    width: usize,
) -> Result<Tensor<String>, ort::Error> {
    let have = text.len();
    // Owned: ort takes only `'static` element types (and copies each string again anyway).
    let values: Vec<String> = (0..count)
        .map(|i| {
            let i = if i < have {
                i
            } else {
                have - width + (i - have) % width
            };
            text.get(i).to_owned()
        })
        .collect();
    Tensor::from_string_array((shape, &values[..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_repeats_the_last_row() {
        assert_eq!(padded(&[1, 2, 3, 4], 2, 3, 2), [1, 2, 3, 4, 3, 4]);
        assert_eq!(padded(&[7], 1, 1, 1), [7]);
    }
}
