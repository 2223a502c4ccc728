//! Will the candidate work where the baseline worked? Signature changes classified breaking or
//! compatible, and opsets/IR the loaded ONNX Runtime cannot run, found before loading.

use serde::{Deserialize, Serialize};

use super::inspect::{Dim, ModelSummary, TensorSpec};

/// One difference between the baseline's and the candidate's inputs or outputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignatureChange {
    /// Breaks whoever calls the model (a removed or renamed port, another dtype, a narrowed
    /// dimension); compatible otherwise (an added output, a widened dimension).
    pub breaking: bool,
    pub description: String,
}

/// Compares the baseline's signature with the candidate's. Ports are matched by name; a port
/// gone from the baseline with a new one at the same position reads as a rename.
pub fn classify_signature(
    baseline: &ModelSummary,
    candidate: &ModelSummary,
) -> Vec<SignatureChange> {
    let mut changes = Vec::new();
    ports("input", &baseline.inputs, &candidate.inputs, &mut changes);
    ports(
        "output",
        &baseline.outputs,
        &candidate.outputs,
        &mut changes,
    );
    changes
}

fn ports(kind: &str, old: &[TensorSpec], new: &[TensorSpec], out: &mut Vec<SignatureChange>) {
    let mut push = |breaking: bool, description: String| {
        out.push(SignatureChange {
            breaking,
            description,
        })
    };
    for (i, before) in old.iter().enumerate() {
        match new.iter().find(|p| p.name == before.name) {
            Some(after) => {
                if before.type_name != after.type_name {
                    push(
                        true,
                        format!(
                            "{kind} `{}`: type {} → {}",
                            before.name, before.type_name, after.type_name
                        ),
                    );
                }
                if let Some((breaking, what)) = shape_change(before, after) {
                    push(breaking, format!("{kind} `{}`: {what}", before.name));
                }
            }
            None => match new.get(i).filter(|p| !old.iter().any(|o| o.name == p.name)) {
                Some(renamed) => push(
                    true,
                    format!("{kind} `{}` renamed to `{}`", before.name, renamed.name),
                ),
                None => push(true, format!("{kind} `{}` removed", before.name)),
            },
        }
    }
    for (i, after) in new.iter().enumerate() {
        let renamed = old
            .get(i)
            .is_some_and(|o| !new.iter().any(|n| n.name == o.name));
        if old.iter().any(|o| o.name == after.name) || renamed {
            continue;
        }
        // A new input must be fed by every caller; a new output is ignored by existing ones.
        let breaking = kind == "input";
        push(
            breaking,
            format!("{kind} `{}` {} added", after.name, after.describe()),
        );
    }
}

/// `Some((breaking, what))` when the shapes differ in a way that matters.
fn shape_change(before: &TensorSpec, after: &TensorSpec) -> Option<(bool, String)> {
    let text = |s: &TensorSpec| s.describe();
    let (Some(a), Some(b)) = (&before.shape, &after.shape) else {
        return match (&before.shape, &after.shape) {
            (None, Some(_)) => Some((
                true,
                format!("shape narrowed: {} → {}", text(before), text(after)),
            )),
            (Some(_), None) => Some((
                false,
                format!("shape widened: {} → {}", text(before), text(after)),
            )),
            _ => None,
        };
    };
    if a.len() != b.len() {
        return Some((
            true,
            format!("rank changed: {} → {}", text(before), text(after)),
        ));
    }
    let mut narrowed = false;
    let mut widened = false;
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Dim::Fixed(m), Dim::Fixed(n)) if m != n => narrowed = true,
            (Dim::Symbol(_) | Dim::Unknown, Dim::Fixed(_)) => narrowed = true,
            (Dim::Fixed(_), Dim::Symbol(_) | Dim::Unknown) => widened = true,
            _ => {}
        }
    }
    if narrowed {
        Some((
            true,
            format!("dimension narrowed: {} → {}", text(before), text(after)),
        ))
    } else if widened {
        Some((
            false,
            format!("dimension widened: {} → {}", text(before), text(after)),
        ))
    } else {
        None
    }
}

/// The newest opsets and IR version an ONNX Runtime release loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeLimits {
    pub ai_onnx: i64,
    pub ai_onnx_ml: i64,
    pub ir_version: i64,
}

/// Limits measured by loading models stamped with rising versions into each release's Python
/// wheel (1.31.1: ai.onnx 26 loads and 27 is refused in `ValidateOpsetForDomain`; ai.onnx.ml
/// 5 / 6; IR 13 / 14). Releases not listed are not pre-checked: ONNX Runtime's own load error
/// still names the problem.
fn limits_for(version: &str) -> Option<RuntimeLimits> {
    let minor: u32 = version
        .strip_prefix("1.")?
        .split('.')
        .next()?
        .parse()
        .ok()?;
    match minor {
        31 => Some(RuntimeLimits {
            ai_onnx: 26,
            ai_onnx_ml: 5,
            ir_version: 13,
        }),
        _ => None,
    }
}

/// Refuses, before loading, a model whose opset or IR version is newer than what ONNX Runtime
/// `runtime_version` runs, and custom operator domains not in `allowed`.
pub fn check_runtime_support(
    summary: &ModelSummary,
    model: &str,
    runtime_version: &str,
    allowed_domains: &[String],
) -> Result<(), String> {
    if let Some(limits) = limits_for(runtime_version) {
        let too_new = |what: &str, have: i64, max: i64| {
            format!(
                "{model} needs {what} {have}, but ONNX Runtime {runtime_version} supports up to {max}: export it with an older \
                 opset (e.g. torch.onnx.export(..., opset_version={}), skl2onnx target_opset) or use a newer ONNX Runtime",
                limits.ai_onnx
            )
        };
        if summary.ir_version > limits.ir_version {
            return Err(too_new(
                "ONNX IR version",
                summary.ir_version,
                limits.ir_version,
            ));
        }
        for opset in &summary.opsets {
            let max = match opset.domain.as_str() {
                "ai.onnx" => limits.ai_onnx,
                "ai.onnx.ml" => limits.ai_onnx_ml,
                _ => continue,
            };
            if opset.version > max {
                return Err(too_new(
                    &format!("opset {}", opset.domain),
                    opset.version,
                    max,
                ));
            }
        }
    }
    let refused: Vec<&String> = summary
        .custom_domains
        .iter()
        .filter(|d| !allowed_domains.contains(d))
        .collect();
    if !refused.is_empty() {
        let ops: Vec<&str> = summary
            .custom_ops
            .iter()
            .filter(|op| refused.iter().any(|d| op.starts_with(&format!("{d}::"))))
            .map(String::as_str)
            .collect();
        return Err(format!(
            "{model} uses custom operator domain(s) {} ({}), which ONNX Runtime does not implement; if the runner \
             registers that custom-op library, allow them with `[suite.model_checks] allow_custom_domains = [\"{}\"]`",
            refused
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if ops.is_empty() {
                "no operators, only the opset import".to_owned()
            } else {
                ops.join(", ")
            },
            refused
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join("\", \"")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, ty: &str, dims: &[&str]) -> TensorSpec {
        TensorSpec {
            name: name.into(),
            type_name: format!("tensor({ty})"),
            shape: Some(
                dims.iter()
                    .map(|d| match *d {
                        "?" => Dim::Unknown,
                        d => d.parse().map_or(Dim::Symbol(d.into()), Dim::Fixed),
                    })
                    .collect(),
            ),
        }
    }

    fn model(inputs: Vec<TensorSpec>, outputs: Vec<TensorSpec>) -> ModelSummary {
        ModelSummary {
            inputs,
            outputs,
            ..ModelSummary::default()
        }
    }

    #[test]
    fn renames_removals_dtypes_and_narrowing_break_widening_and_new_outputs_do_not() {
        let base = model(
            vec![
                spec("X", "float", &["N", "4"]),
                spec("extra", "float", &["N", "1"]),
            ],
            vec![
                spec("label", "int64", &["N"]),
                spec("probabilities", "float", &["N", "3"]),
            ],
        );
        let cand = model(
            vec![spec("X", "double", &["8", "4"])],
            vec![
                spec("predicted", "int64", &["N"]),
                spec("probabilities", "float", &["N", "?"]),
                spec("scores", "float", &["N", "3"]),
            ],
        );
        let changes = classify_signature(&base, &cand);
        let text: Vec<(bool, &str)> = changes
            .iter()
            .map(|c| (c.breaking, c.description.as_str()))
            .collect();
        assert_eq!(
            text,
            vec![
                (true, "input `X`: type tensor(float) → tensor(double)"),
                (
                    true,
                    "input `X`: dimension narrowed: tensor(float)[N,4] → tensor(double)[8,4]"
                ),
                (true, "input `extra` removed"),
                (true, "output `label` renamed to `predicted`"),
                (
                    false,
                    "output `probabilities`: dimension widened: tensor(float)[N,3] → tensor(float)[N,?]"
                ),
                (false, "output `scores` tensor(float)[N,3] added"),
            ]
        );
        assert!(classify_signature(&base, &base).is_empty());
    }

    #[test]
    fn opsets_beyond_the_runtime_and_custom_domains_are_refused() {
        let mut m = model(vec![], vec![]);
        m.ir_version = 8;
        m.opsets = vec![super::super::inspect::Opset {
            domain: "ai.onnx".into(),
            version: 27,
        }];
        let e = check_runtime_support(&m, "m.onnx", "1.31.1", &[]).unwrap_err();
        assert!(
            e.contains("needs opset ai.onnx 27, but ONNX Runtime 1.31.1 supports up to 26"),
            "{e}"
        );
        assert!(
            check_runtime_support(&m, "m.onnx", "1.99.0", &[]).is_ok(),
            "unknown releases are not pre-checked"
        );
        m.opsets[0].version = 17;
        m.custom_domains = vec!["my.ops".into()];
        m.custom_ops = vec!["my.ops::Fancy".into()];
        let e = check_runtime_support(&m, "m.onnx", "1.31.1", &[]).unwrap_err();
        assert!(
            e.contains("`my.ops` (my.ops::Fancy)")
                && e.contains("allow_custom_domains = [\"my.ops\"]"),
            "{e}"
        );
        assert!(check_runtime_support(&m, "m.onnx", "1.31.1", &["my.ops".into()]).is_ok());
    }
}
