//! NumPy data: an `.npz` archive with a feature array (`x` or `X`) and a target array
//! (`data.label`, default `y`), or an `.npy` feature matrix with the targets in a second
//! `.npy` file named by `data.label`, relative to the first.

use std::fs::File;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Ix2};
use ndarray_npy::{NpzReader, ReadNpyExt};

use super::convert::{Element, Found, Problem};
use super::layout::Layout;
use super::npy_header::NpyHeader;
use super::{
    Batch, BatchReader, DataError, DataSource, LabelInterner, Limits, ReadPlan, Schema, Targets,
};
use crate::config::{DataConfig, Task};

/// NumPy arrays, read whole (as float64) when opened.
pub struct NpySource {
    path: std::path::PathBuf,
    schema: Schema,
    features: Array2<f64>,
    targets: TargetArray,
    labels: LabelInterner,
}

/// The arrays being handed out in batches.
pub struct NpyReader {
    path: std::path::PathBuf,
    layout: Layout,
    features: Array2<f64>,
    targets: TargetArray,
    next_row: usize,
    labels: LabelInterner,
}

enum TargetArray {
    Classes(Vec<u32>),
    Values(Array1<f64>),
}

impl NpySource {
    pub fn open(
        config: &DataConfig,
        path: &Path,
        task: Task,
        limits: &Limits,
    ) -> Result<Self, DataError> {
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        let is_npz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        let (features, target, label) = if is_npz {
            let (file, _) =
                crate::input_file::open_regular(path).map_err(|source| DataError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
            let mut npz = NpzReader::new(file)
                .map_err(|e| format(format!("not a readable .npz archive: {e}")))?;
            let (file, _) =
                crate::input_file::open_regular(path).map_err(|source| DataError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
            let mut archive = zip::ZipArchive::new(file)
                .map_err(|e| format(format!("not a readable .npz archive: {e}")))?;
            let names = npz.names().map_err(|e| format(e.to_string()))?;
            let find = |wanted: &[&str]| {
                names
                    .iter()
                    .find(|n| wanted.iter().any(|w| n.trim_end_matches(".npy") == *w))
                    .cloned()
            };
            let x_name = find(&["x", "X"]).ok_or_else(|| {
                format(format!(
                    "no feature array `x` (arrays: {})",
                    names.join(", ")
                ))
            })?;
            let label = config.label.clone().unwrap_or_else(|| "y".to_owned());
            let y_name = find(&[label.as_str()]).ok_or_else(|| {
                format(format!(
                    "no target array `{label}` (arrays: {})",
                    names.join(", ")
                ))
            })?;
            for name in [&x_name, &y_name] {
                check_npz_member(&mut archive, name, limits)
                    .map_err(|e| format(format!("array `{name}`: {e}")))?;
            }
            let features = npz_any(&mut npz, &x_name)
                .and_then(|a| {
                    a.into_dimensionality::<Ix2>()
                        .map_err(|_| "must be 2-D [rows, features]".to_owned())
                })
                .map_err(|e| format(format!("array `{x_name}`: {e}")))?;
            let target =
                npz_any(&mut npz, &y_name).map_err(|e| format(format!("array `{y_name}`: {e}")))?;
            (features, target, label)
        } else {
            let label = config.label.clone().ok_or_else(|| {
                format("`data.label` must name the .npy file holding the targets".into())
            })?;
            let target_path = path.parent().unwrap_or(Path::new(".")).join(&label);
            check_npy_file(path, limits).map_err(format)?;
            check_npy_file(&target_path, limits).map_err(|message| DataError::Format {
                path: target_path.clone(),
                message,
            })?;
            let features = read_npy_any(path).map_err(format)?;
            let features = features
                .into_dimensionality::<Ix2>()
                .map_err(|_| format("the feature array must be 2-D [rows, features]".into()))?;
            let target = read_npy_any(&target_path).map_err(|e| DataError::Format {
                path: target_path.clone(),
                message: e,
            })?;
            (features, target, label)
        };
        // [N] or [N, 1]: one target per row either way.
        if target.len() != features.nrows()
            || target.shape().iter().filter(|&&d| d != 1).count() > 1
        {
            return Err(format(format!(
                "{} feature rows but a target array of shape {:?}; it must hold one value per row",
                features.nrows(),
                target.shape()
            )));
        }
        let target: Array1<f64> = target.iter().copied().collect();
        if target.len() != features.nrows() {
            return Err(format(format!(
                "{} feature rows but {} targets",
                features.nrows(),
                target.len()
            )));
        }
        if features.nrows() == 0 {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut labels = LabelInterner::default();
        let targets = match task {
            Task::Classification => {
                let mut ids = Vec::with_capacity(target.len());
                for v in &target {
                    ids.push(labels.intern(&v.to_string()));
                    if labels.len() > super::MAX_CLASSES {
                        return Err(format(super::labels::too_many_classes(&label)));
                    }
                }
                TargetArray::Classes(ids)
            }
            Task::Regression => TargetArray::Values(target),
        };
        let feature_names = match &config.features {
            Some(names) if names.len() == features.ncols() => names.clone(),
            Some(names) => {
                return Err(format(format!(
                    "`data.features` names {} columns but the array has {}",
                    names.len(),
                    features.ncols()
                )));
            }
            None => (0..features.ncols()).map(|i| format!("x{i}")).collect(),
        };
        let schema = Schema::new(feature_names, &label, config, path, false)?;
        Ok(Self {
            path: path.to_path_buf(),
            schema,
            features,
            targets,
            labels,
        })
    }
}

impl DataSource for NpySource {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read(self: Box<Self>, plan: &ReadPlan) -> Result<Box<dyn BatchReader>, DataError> {
        let mut layout = Layout::new(plan, &self.schema);
        // The whole array is in memory: its non-finite targets are counted once, here.
        if let TargetArray::Values(values) = &self.targets {
            let label = layout.label();
            for (row, &v) in values.iter().enumerate() {
                layout.stats.check(label, v, row as u64 + 1);
            }
        }
        Ok(Box::new(NpyReader {
            path: self.path,
            layout,
            features: self.features,
            targets: self.targets,
            next_row: 0,
            labels: self.labels,
        }))
    }
}

impl NpyReader {
    /// Rows `rows` of the columns at `positions` into `out`; an error is (row, position, why).
    fn fill<T: Element>(
        &mut self,
        out: &mut Vec<T>,
        rows: std::ops::Range<usize>,
        feed: usize,
    ) -> Result<(), (usize, usize, Problem)> {
        for row in rows {
            for (k, &position) in self.layout.positions[feed].iter().enumerate() {
                let column = self.layout.feeds[feed].columns[k];
                let v = self.features[[row, column]];
                if T::FLOAT {
                    self.layout.stats.check(position, v, row as u64 + 1);
                }
                out.push(T::from_f64(v).map_err(|p| (row, position, p))?);
            }
        }
        Ok(())
    }
}

/// Checks an `.npy` file's declared shape against its size and the memory budget.
fn check_npy_file(path: &Path, limits: &Limits) -> Result<(), String> {
    let (mut file, size) = crate::input_file::open_regular(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    NpyHeader::read(&mut file)?.check(size, limits.max_memory_bytes)
}

/// Checks an archive member's declared shape against its declared size and the budget.
fn check_npz_member(
    archive: &mut zip::ZipArchive<File>,
    name: &str,
    limits: &Limits,
) -> Result<(), String> {
    // ndarray-npy names members without their `.npy` suffix.
    let file_name = if archive.index_for_name(name).is_some() {
        name.to_owned()
    } else {
        format!("{name}.npy")
    };
    let mut member = archive.by_name(&file_name).map_err(|e| e.to_string())?;
    let size = member.size();
    NpyHeader::read(&mut member)?.check(size, limits.max_memory_bytes)
}

/// Reads an array of any common numeric dtype from an archive, as f64.
fn npz_any(npz: &mut NpzReader<File>, name: &str) -> Result<ArrayD<f64>, String> {
    macro_rules! try_types {
        ($($t:ty),*) => {{
            $( if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<$t>, ndarray::IxDyn>(name) { return Ok(a.mapv(|v| v as f64)); } )*
        }};
    }
    try_types!(f64, f32, i64, i32, u8, i8, u16, i16, u32, u64);
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<bool>, ndarray::IxDyn>(name) {
        return Ok(a.mapv(|v| f64::from(u8::from(v))));
    }
    Err("unsupported dtype; use a float, integer or bool array".to_owned())
}

fn read_npy_any(path: &Path) -> Result<ArrayD<f64>, String> {
    macro_rules! try_types {
        ($($t:ty),*) => {{
            $(
                let (file, _) = crate::input_file::open_regular(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if let Ok(a) = ArrayD::<$t>::read_npy(file) { return Ok(a.mapv(|v| v as f64)); }
            )*
        }};
    }
    try_types!(f64, f32, i64, i32, u8, i8, u16, i16, u32, u64);
    Err("not a numeric .npy array".to_owned())
}

impl BatchReader for NpyReader {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, DataError> {
        let start = self.next_row;
        let end = (start + max_rows).min(self.features.nrows());
        if start >= end {
            return Ok(None);
        }
        self.next_row = end;
        let mut feeds = self.layout.buffers(end - start);
        for (i, values) in feeds.iter_mut().enumerate() {
            let rows = start..end;
            let result = crate::for_each_feed!(values,
                v => self.fill(v, rows, i),
                _t => Err((start, self.layout.positions[i].first().copied().unwrap_or(0), Problem::WrongKind))
            );
            if let Err((row, position, problem)) = result {
                let column = self.layout.columns.get(position).copied().unwrap_or(0);
                let value = self
                    .features
                    .get((row, column))
                    .copied()
                    .unwrap_or(f64::NAN);
                let found = Found {
                    shown: value.to_string(),
                    kind: "a number in a NumPy array",
                };
                return Err(DataError::AtRow {
                    path: self.path.clone(),
                    row: row as u64 + 1,
                    message: self.layout.message(i, position, &found, problem),
                });
            }
        }
        let targets = match &self.targets {
            TargetArray::Classes(ids) => Targets::Classes(ids[start..end].to_vec()),
            TargetArray::Values(values) => {
                Targets::Values(values.slice(ndarray::s![start..end]).to_vec())
            }
        };
        Ok(Some(Batch {
            rows: end - start,
            feeds,
            targets,
        }))
    }

    fn class_names(&self) -> Vec<String> {
        self.labels.names().to_vec()
    }

    fn notes(&self) -> Vec<String> {
        self.layout.notes(&self.path.display().to_string(), "row")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::FeedValues;
    use ndarray::array;
    use ndarray_npy::NpzWriter;

    #[test]
    fn reads_an_npz_archive_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.npz");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("x", &array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]])
            .unwrap();
        npz.add_array("y", &array![[0i64], [1], [0]]).unwrap();
        npz.finish().unwrap();
        let config = DataConfig {
            path: path.clone(),
            label: None,
            features: None,
            exclude: Vec::new(),
            key: None,
            schema: None,
        };
        let source =
            NpySource::open(&config, &path, Task::Classification, &Limits::default()).unwrap();
        assert_eq!(source.schema().features, ["x0", "x1"]);
        let plan = ReadPlan {
            feeds: vec![
                crate::data::Feed {
                    columns: vec![0, 1],
                    dtype: crate::data::FeedType::F32,
                    used_by: "input `X`".into(),
                },
                crate::data::Feed {
                    columns: vec![1],
                    dtype: crate::data::FeedType::I64,
                    used_by: "input `b`".into(),
                },
            ],
        };
        let mut reader = Box::new(source).read(&plan).unwrap();
        let first = reader.next_batch(2).unwrap().unwrap();
        assert_eq!(first.feeds[0], FeedValues::F32(vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(first.feeds[1], FeedValues::I64(vec![2, 4]));
        assert!(matches!(first.targets, Targets::Classes(ref ids) if ids == &[0, 1]));
        let second = reader.next_batch(2).unwrap().unwrap();
        assert_eq!(second.rows, 1);
        assert!(reader.next_batch(2).unwrap().is_none());
        assert_eq!(reader.class_names(), ["0", "1"]);
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.npz");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("x", &array![[1.0f64], [2.0]]).unwrap();
        npz.add_array("target", &array![1.5f64]).unwrap();
        npz.finish().unwrap();
        let config = DataConfig {
            path: path.clone(),
            label: Some("target".into()),
            features: None,
            exclude: Vec::new(),
            key: None,
            schema: None,
        };
        let err = NpySource::open(&config, &path, Task::Regression, &Limits::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("2 feature rows"), "{err}");
    }
}
