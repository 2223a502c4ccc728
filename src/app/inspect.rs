//! `mlops-ci inspect MODEL`: what an ONNX file is, from its protobuf, without ONNX Runtime.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{ModelBytes, ModelSummary, TensorSpec, inspect};

/// Reads and describes the model at `path` (`display` is how to name it).
pub fn inspect_file(path: &Path, display: &str) -> Result<ModelSummary> {
    if path.exists() && !path.is_file() {
        return Err(Error::Usage(format!("{display} is not a regular file")));
    }
    let model = ModelBytes::from_file(path, display, "file")?;
    Ok(inspect(model.bytes, display, path.parent()).map_err(crate::model::ModelError::from)?)
}

/// The summary as aligned text lines.
pub fn render_summary(model: &str, s: &ModelSummary) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(out, "{label:<12} {}", printable(&value));
    };
    line("model", format!("{model} ({})", size(s.file_size_bytes)));
    line(
        "producer",
        if s.producer.is_empty() {
            "unknown".into()
        } else {
            s.producer.clone()
        },
    );
    line("ir_version", s.ir_version.to_string());
    line(
        "opsets",
        s.opsets
            .iter()
            .map(|o| format!("{} {}", o.domain, o.version))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let ports = |ports: &[TensorSpec]| -> Vec<String> {
        ports
            .iter()
            .map(|p| format!("{} {}", p.name, p.describe()))
            .collect()
    };
    for (label, list) in [("inputs", ports(&s.inputs)), ("outputs", ports(&s.outputs))] {
        if list.is_empty() {
            line(label, "none".into());
        }
        for (i, port) in list.into_iter().enumerate() {
            line(if i == 0 { label } else { "" }, port);
        }
    }
    line(
        "graph",
        format!(
            "{} nodes, {} initializers, {} parameters",
            s.nodes, s.initializers, s.parameters
        ),
    );
    line(
        "custom ops",
        if s.custom_ops.is_empty() && s.custom_domains.is_empty() {
            "none".into()
        } else if s.custom_ops.is_empty() {
            format!("domains {}", s.custom_domains.join(", "))
        } else {
            s.custom_ops.join(", ")
        },
    );
    line(
        "external",
        if s.external_data.is_empty() {
            "none".into()
        } else {
            s.external_data.join(", ")
        },
    );
    out
}

/// Names come from the model file (untrusted): no control characters reach the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
