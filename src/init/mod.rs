//! `mlops-ci init`: a starter `mlops-ci.toml` from the models and data in the repository.
//!
//! Every value it writes is a guess with a reason (which data file, which label column, which
//! task, which baseline); the file and the printed summary say what to check. It never
//! overwrites a config.

mod guess;
mod render;
mod scan;

use std::path::{Path, PathBuf};

pub use guess::Guess;

use crate::config::{CONFIG_FILE_NAME, Task};
use crate::error::Result;
use crate::git::Repo;
use crate::model::{Dim, ElemType, Port, PortKind, Signature, TensorSpec};
use guess::DataPeek;
use scan::slash;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{} already exists; `mlops-ci init` never overwrites a config. Edit it, or move it away and run `mlops-ci init` again",
        .0.display()
    )]
    Exists(PathBuf),
    #[error(
        "no .onnx model under {} (hidden directories, target/ and virtual environments are not searched); \
         add the model you want to gate, or run `mlops-ci init` in the directory that holds it",
        .0.display()
    )]
    NoModels(PathBuf),
    #[error(
        "found {models} but no evaluation data (.csv, .parquet, .jsonl, .npz, .npy) under {}; add the held-out data the \
         models are judged on, then run `mlops-ci init` again",
        dir.display()
    )]
    NoData { dir: PathBuf, models: String },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What `init` will write: one suite per model, the baseline and the hook policy.
#[derive(Debug)]
pub struct Plan {
    /// Where the config goes.
    pub path: PathBuf,
    pub baseline: Option<Guess<String>>,
    /// The branch pushes to which a failing check refuses (the default branch's short name).
    pub protected_branch: String,
    pub suites: Vec<SuitePlan>,
    /// Models for which no data file was found: written commented out.
    pub without_data: Vec<String>,
}

#[derive(Debug)]
pub struct SuitePlan {
    pub name: String,
    pub model: String,
    pub task: Guess<Task>,
    pub data: Guess<String>,
    pub label: Option<Guess<String>>,
    /// Things the user should look at (a column count that does not fit, a model that failed
    /// to load).
    pub notes: Vec<String>,
}

/// Inspects `dir` and plans the config. The models' signatures come from their protobuf:
/// no ONNX Runtime is needed.
pub fn plan(dir: &Path) -> Result<Plan> {
    let path = dir.join(CONFIG_FILE_NAME);
    if path.exists() {
        return Err(InitError::Exists(path).into());
    }
    let found = scan::scan(dir).map_err(|source| InitError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    if found.models.is_empty() {
        return Err(InitError::NoModels(dir.to_path_buf()).into());
    }
    if found.data.is_empty() {
        let models = found
            .models
            .iter()
            .map(|m| slash(m))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(InitError::NoData {
            dir: dir.to_path_buf(),
            models,
        }
        .into());
    }
    let data: Vec<(PathBuf, Option<DataPeek>)> = found
        .data
        .iter()
        .map(|p| (p.clone(), DataPeek::read(&dir.join(p))))
        .collect();

    let mut suites: Vec<SuitePlan> = Vec::new();
    let mut without_data = Vec::new();
    for model in &found.models {
        let model_text = slash(model);
        let mut notes = Vec::new();
        let signature = match read_signature(&dir.join(model), &model_text) {
            Ok(signature) => Some(signature),
            Err(message) => {
                notes.push(format!(
                    "it could not be read as ONNX ({message}); the task is a guess"
                ));
                None
            }
        };
        let task = signature.as_ref().map_or_else(
            || Guess {
                value: Task::Classification,
                why: "the model could not be read; classification assumed".to_owned(),
            },
            guess::task,
        );
        let width = signature.as_ref().and_then(guess::input_width);
        let Some(data_guess) = guess::data_for(model, width, &data) else {
            without_data.push(model_text);
            continue;
        };
        let peek = data
            .iter()
            .find(|(p, _)| *p == data_guess.value)
            .and_then(|(_, peek)| peek.as_ref());
        let label = peek.map(|peek| guess::label(peek, task.value));
        if let (Some(peek), Some(width)) = (peek, width)
            && peek.columns.len() != width + 1
        {
            notes.push(format!(
                "the model takes {width} features but the data has {} columns besides the label: list the model's columns in `features`",
                peek.columns.len().saturating_sub(1)
            ));
        }
        let mut name = guess::suite_name(model);
        if suites.iter().any(|s| s.name == name) {
            name = slash(&model.with_extension("")).replace('/', "-");
        }
        suites.push(SuitePlan {
            name,
            model: model_text,
            task,
            data: Guess {
                value: slash(&data_guess.value),
                why: data_guess.why,
            },
            label,
            notes,
        });
    }
    let (baseline, protected_branch) = default_branch(dir);
    Ok(Plan {
        path,
        baseline,
        protected_branch,
        suites,
        without_data,
    })
}

/// Writes the planned config.
pub fn write(plan: &Plan) -> Result<()> {
    let text = render::config(plan);
    // `create_new`: a config that appeared since `plan` looked is still never overwritten.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&plan.path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => InitError::Exists(plan.path.clone()).into(),
            _ => crate::error::Error::Write {
                path: plan.path.clone(),
                source,
            },
        })?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|source| {
        crate::error::Error::Write {
            path: plan.path.clone(),
            source,
        }
    })
}

/// The summary printed for the user: what was guessed and what to check.
pub fn summary(plan: &Plan) -> String {
    render::summary(plan)
}

fn read_signature(path: &Path, name: &str) -> Result<Signature, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let summary =
        crate::model::inspect(bytes.into(), name, path.parent()).map_err(|e| e.to_string())?;
    let port = |spec: &TensorSpec| Port {
        name: spec.name.clone(),
        kind: port_kind(spec),
    };
    Ok(Signature {
        inputs: summary.inputs.iter().map(port).collect(),
        outputs: summary.outputs.iter().map(port).collect(),
    })
}

/// `tensor(float)[?,4]` or `seq(map(int64,tensor(float)))` as the evaluator's port kinds.
fn port_kind(spec: &TensorSpec) -> PortKind {
    let element = |name: &str| match name {
        "float" | "tensor(float)" => ElemType::F32,
        "double" | "tensor(double)" => ElemType::F64,
        "int64" | "tensor(int64)" => ElemType::I64,
        "int32" | "tensor(int32)" => ElemType::I32,
        "string" | "tensor(string)" => ElemType::String,
        "float16" | "tensor(float16)" => ElemType::F16,
        "bfloat16" | "tensor(bfloat16)" => ElemType::BF16,
        "bool" | "tensor(bool)" => ElemType::Bool,
        "int8" | "tensor(int8)" => ElemType::I8,
        "int16" | "tensor(int16)" => ElemType::I16,
        "uint8" | "tensor(uint8)" => ElemType::U8,
        "uint16" | "tensor(uint16)" => ElemType::U16,
        "uint32" | "tensor(uint32)" => ElemType::U32,
        "uint64" | "tensor(uint64)" => ElemType::U64,
        _ => ElemType::Other,
    };
    let type_name = spec.type_name.as_str();
    if let Some(inner) = type_name
        .strip_prefix("seq(map(")
        .and_then(|t| t.strip_suffix("))"))
        && let Some((key, value)) = inner.split_once(',')
    {
        return PortKind::SequenceOfMaps {
            key: element(key.trim()),
            value: element(value.trim()),
        };
    }
    if type_name.starts_with("tensor(") {
        let shape = spec
            .shape
            .iter()
            .flatten()
            .map(|d| match d {
                Dim::Fixed(n) => *n,
                Dim::Symbol(_) | Dim::Unknown => -1,
            })
            .collect();
        return PortKind::Tensor {
            dtype: element(type_name),
            shape,
        };
    }
    PortKind::Other {
        description: type_name.to_owned(),
    }
}

/// The remote's default branch as a baseline (`origin/main`), and the short branch name the
/// hook should protect. Without a remote the baseline is left to the automatic rule.
fn default_branch(dir: &Path) -> (Option<Guess<String>>, String) {
    let Some(repo) = Repo::discover(dir) else {
        return (None, "main".to_owned());
    };
    let remotes = repo.repo.remotes().ok();
    let names: Vec<String> = remotes
        .iter()
        .flat_map(|r| r.iter().filter_map(|n| n.ok().flatten().map(str::to_owned)))
        .collect();
    let remote = names
        .iter()
        .find(|n| *n == "origin")
        .or(names.first())
        .cloned();
    if let Some(remote) = remote {
        let head = format!("refs/remotes/{remote}/HEAD");
        if let Ok(reference) = repo.repo.find_reference(&head)
            && let Some(target) = reference.symbolic_target().ok().flatten()
            && let Some(branch) = target.strip_prefix(&format!("refs/remotes/{remote}/"))
        {
            return (
                Some(Guess {
                    value: format!("{remote}/{branch}"),
                    why: format!("`{remote}`'s default branch"),
                }),
                branch.to_owned(),
            );
        }
        for branch in ["main", "master"] {
            if repo
                .repo
                .find_reference(&format!("refs/remotes/{remote}/{branch}"))
                .is_ok()
            {
                return (
                    Some(Guess {
                        value: format!("{remote}/{branch}"),
                        why: format!("`{remote}` has a `{branch}` branch"),
                    }),
                    branch.to_owned(),
                );
            }
        }
    }
    let local = ["main", "master"]
        .into_iter()
        .find(|b| repo.repo.find_branch(b, git2::BranchType::Local).is_ok())
        .unwrap_or("main");
    (None, local.to_owned())
}
