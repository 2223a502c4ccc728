//! Model outputs to per-example predictions, batch by batch.

use std::collections::HashMap;

use ort::session::SessionOutputs;
use ort::value::{DynMapValueType, DynValue};

use crate::data::LabelInterner;
use crate::model::{LabelKind, OutputBinding, ScoreKind, ScoreReading};

/// A model's per-example predictions over the whole dataset.
#[derive(Debug, Clone)]
pub enum Predictions {
    Classes {
        /// Predicted class id per example, into `names`.
        predicted: Vec<u32>,
        names: Vec<String>,
        scores: Option<Scores>,
    },
    Values(Vec<f64>),
}

/// Row-major `[rows, width]` probabilities or scores, as the model gave them, in f64: the
/// metrics must not round distinct scores together (softmax of a confident float32 logit is
/// 1.0 in float32, not in f64).
#[derive(Debug, Clone)]
pub struct Scores {
    pub values: Vec<f64>,
    pub width: usize,
    /// The class of each column when the model says so (ZipMap labels, `io.classes`, or
    /// column numbers for a bare score tensor); `None` for a probability tensor beside a
    /// label output, resolved later from the labels seen.
    pub columns: Option<Vec<String>>,
    /// Probabilities or raw scores, decided from the model before it ran.
    pub reading: ScoreReading,
}

pub(super) struct PredictionSink {
    label: Option<(String, LabelKind)>,
    scores: Option<(String, ScoreKind)>,
    regression_output: Option<String>,
    classes: Option<Vec<String>>,
    reading: Option<ScoreReading>,
    labels: LabelInterner,
    int_labels: HashMap<i64, u32>,
    predicted: Vec<u32>,
    score_values: Vec<f64>,
    width: Option<usize>,
    columns: Option<Vec<String>>,
    /// ZipMap keys as the model spells them, in column order.
    zipmap_keys: Vec<String>,
    values: Vec<f64>,
    nan: Option<(String, usize, usize)>,
}

impl PredictionSink {
    /// `reading` is how the bound score output is to be read (see `model::decide_scores`).
    pub fn new(
        binding: &OutputBinding,
        classes: Option<Vec<String>>,
        reading: Option<ScoreReading>,
    ) -> Self {
        let (label, scores, regression_output) = match binding {
            OutputBinding::Classifier { label, scores } => (label.clone(), scores.clone(), None),
            OutputBinding::Regressor { name } => (None, None, Some(name.clone())),
        };
        Self {
            label,
            scores,
            regression_output,
            classes,
            reading,
            labels: LabelInterner::default(),
            int_labels: HashMap::new(),
            predicted: Vec::new(),
            score_values: Vec::new(),
            width: None,
            columns: None,
            zipmap_keys: Vec::new(),
            values: Vec::new(),
            nan: None,
        }
    }

    fn note_nan(&mut self, output: &str, count: usize, first_row: usize) {
        if count == 0 {
            return;
        }
        match &mut self.nan {
            Some((_, rows, _)) => *rows += count,
            None => self.nan = Some((output.to_owned(), count, first_row)),
        }
    }

    /// Takes one batch's outputs. `offset` is the data row of the batch's first example.
    pub fn absorb(
        &mut self,
        outputs: &SessionOutputs,
        rows: usize,
        offset: usize,
    ) -> Result<(), String> {
        let get = |name: &str| {
            outputs
                .get(name)
                .ok_or_else(|| format!("ONNX Runtime returned no output `{name}`"))
        };
        if let Some(name) = self.regression_output.clone() {
            let values = float_values(get(&name)?, &name)?;
            check_rows(&name, values.len(), rows)?;
            let nan: Vec<usize> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_nan())
                .map(|(i, _)| i)
                .collect();
            if let Some(&first) = nan.first() {
                self.note_nan(&name, nan.len(), offset + first);
            }
            self.values.extend(values);
            return Ok(());
        }
        if let Some((name, kind)) = self.scores.clone() {
            let before = self.score_values.len();
            let width = match kind {
                ScoreKind::Tensor => self.absorb_score_tensor(get(&name)?, &name, rows)?,
                ScoreKind::MapInt64 | ScoreKind::MapText => {
                    self.absorb_zipmap(get(&name)?, &name, kind, rows)?
                }
            };
            let batch = &self.score_values[before..];
            if let Some(first) = batch.iter().position(|v| v.is_nan()) {
                let count = batch
                    .chunks_exact(width)
                    .filter(|r| r.iter().any(|v| v.is_nan()))
                    .count();
                self.note_nan(&name, count, offset + first / width);
            }
        }
        match self.label.clone() {
            Some((name, LabelKind::Int64)) => {
                let value = get(&name)?;
                let ints: Vec<i64> = match value.try_extract_tensor::<i64>() {
                    Ok((_, v)) => v.to_vec(),
                    Err(_) => value
                        .try_extract_tensor::<i32>()
                        .map_err(|e| format!("output `{name}`: {e}"))?
                        .1
                        .iter()
                        .map(|&v| i64::from(v))
                        .collect(),
                };
                check_rows(&name, ints.len(), rows)?;
                for v in ints {
                    let id = match self.int_labels.get(&v) {
                        Some(&id) => id,
                        None => {
                            let id = self.labels.intern_i64(v);
                            self.int_labels.insert(v, id);
                            id
                        }
                    };
                    self.predicted.push(id);
                }
            }
            Some((name, LabelKind::Text)) => {
                let (_, strings) = get(&name)?
                    .try_extract_strings()
                    .map_err(|e| format!("output `{name}`: {e}"))?;
                check_rows(&name, strings.len(), rows)?;
                for s in &strings {
                    let id = self.labels.intern(s);
                    self.predicted.push(id);
                }
            }
            None => {
                // A bare score output: the class is the best-scoring column.
                let width = self.width.unwrap_or(1);
                let start = self.score_values.len() - rows * width;
                let columns = self.columns.clone().unwrap_or_default();
                for row in self.score_values[start..].chunks_exact(width) {
                    let best = row
                        .iter()
                        .enumerate()
                        .fold(0, |best, (i, v)| if *v > row[best] { i } else { best });
                    let id = self.labels.intern(&columns[best]);
                    self.predicted.push(id);
                }
            }
        }
        Ok(())
    }

    fn set_width(&mut self, width: usize, name: &str) -> Result<(), String> {
        match self.width {
            Some(w) if w != width => Err(format!(
                "output `{name}` changed from {w} to {width} columns between batches"
            )),
            Some(_) => Ok(()),
            None => {
                if let Some(classes) = &self.classes
                    && classes.len() != width
                {
                    return Err(format!(
                        "`io.classes` names {} classes but output `{name}` has {width} columns",
                        classes.len()
                    ));
                }
                self.width = Some(width);
                self.columns = match (&self.classes, &self.label) {
                    (Some(classes), _) => Some(classes.clone()),
                    // Bare scores: columns are class numbers, as for a network trained on 0..C-1.
                    (None, None) => Some((0..width).map(|c| c.to_string()).collect()),
                    (None, Some(_)) => None,
                };
                Ok(())
            }
        }
    }

    fn absorb_score_tensor(
        &mut self,
        value: &DynValue,
        name: &str,
        rows: usize,
    ) -> Result<usize, String> {
        let width = |shape: &[i64]| match shape {
            [r, c] if *r as usize == rows => Ok(*c as usize),
            _ => Err(format!(
                "output `{name}` has shape {shape:?}; expected [{rows}, classes]"
            )),
        };
        let before = self.score_values.len();
        let shape = extend_with_floats(value, name, &mut self.score_values)?;
        let width = width(&shape).inspect_err(|_| self.score_values.truncate(before))?;
        self.set_width(width, name)?;
        Ok(width)
    }

    fn absorb_zipmap(
        &mut self,
        value: &DynValue,
        name: &str,
        kind: ScoreKind,
        rows: usize,
    ) -> Result<usize, String> {
        let maps = value
            .try_extract_sequence::<DynMapValueType>()
            .map_err(|e| format!("output `{name}`: {e}"))?;
        check_rows(name, maps.len(), rows)?;
        for map in &maps {
            let pairs: Vec<(String, f32)> = match kind {
                ScoreKind::MapInt64 => map
                    .try_extract_key_values::<i64, f32>()
                    .map(|kv| kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
                _ => map.try_extract_key_values::<String, f32>(),
            }
            .map_err(|e| format!("output `{name}`: {e}"))?;
            if self.width.is_none() {
                // ZipMap keys are the model's classes; its maps are ordered by key.
                self.zipmap_keys = pairs.iter().map(|(k, _)| k.clone()).collect();
                self.classes.get_or_insert_with(|| {
                    pairs
                        .iter()
                        .map(|(k, _)| crate::data::canonical_label(k))
                        .collect()
                });
                self.set_width(pairs.len(), name)?;
            }
            if pairs.len() != self.zipmap_keys.len() {
                return Err(format!(
                    "output `{name}` has maps of different sizes ({} and {})",
                    self.zipmap_keys.len(),
                    pairs.len()
                ));
            }
            let start = self.score_values.len();
            self.score_values.resize(start + pairs.len(), 0.0);
            for (i, (key, v)) in pairs.iter().enumerate() {
                // Same order as the first map in practice; look the key up when it is not.
                let col = if *key == self.zipmap_keys[i] {
                    i
                } else {
                    self.zipmap_keys
                        .iter()
                        .position(|k| k == key)
                        .ok_or_else(|| format!("output `{name}`: unexpected class `{key}`"))?
                };
                self.score_values[start + col] = f64::from(*v);
            }
        }
        Ok(self.width.unwrap_or(0))
    }

    /// The collected predictions, or an error if any output was NaN.
    pub fn finish(self, role: &str, total: usize) -> Result<Predictions, super::EvalError> {
        if let Some((output, rows, first_row)) = self.nan {
            return Err(super::EvalError::NotANumber {
                model: role.to_owned(),
                output,
                rows,
                total,
                first_row,
            });
        }
        if self.regression_output.is_some() {
            return Ok(Predictions::Values(self.values));
        }
        let scores = self.width.zip(self.reading).map(|(width, reading)| Scores {
            values: self.score_values,
            width,
            columns: self.columns,
            reading,
        });
        Ok(Predictions::Classes {
            predicted: self.predicted,
            names: self.labels.into_names(),
            scores,
        })
    }
}

fn check_rows(name: &str, got: usize, rows: usize) -> Result<(), String> {
    if got == rows {
        Ok(())
    } else {
        Err(format!(
            "output `{name}` has {got} values for a batch of {rows} rows"
        ))
    }
}

fn float_values(value: &DynValue, name: &str) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    extend_with_floats(value, name, &mut values)?;
    Ok(values)
}

/// Appends a float tensor's values (float32, float64, float16 or bfloat16), widened to f64 as
/// they are copied: no second pass, no narrow copy kept. Returns the tensor's shape.
fn extend_with_floats(
    value: &DynValue,
    name: &str,
    out: &mut Vec<f64>,
) -> Result<Vec<i64>, String> {
    fn widen<T: ort::value::PrimitiveTensorElementType + Copy>(
        value: &DynValue,
        out: &mut Vec<f64>,
        to_f64: impl Fn(T) -> f64,
    ) -> Option<Vec<i64>> {
        let (shape, data) = value.try_extract_tensor::<T>().ok()?;
        out.extend(data.iter().map(|&v| to_f64(v)));
        Some(shape.to_vec())
    }
    widen::<f32>(value, out, f64::from)
        .or_else(|| widen::<f64>(value, out, |v| v))
        .or_else(|| widen::<half::f16>(value, out, f64::from))
        .or_else(|| widen::<half::bf16>(value, out, f64::from))
        .ok_or_else(|| {
            format!("output `{name}` is not a float, double, float16 or bfloat16 tensor")
        })
}
