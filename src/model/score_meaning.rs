//! Does a classifier's score output hold probabilities or raw scores (logits)? Decided once
//! per model from what the model says about itself, never from the values: at 5M rows a few
//! float32 probabilities come out as 1.0000001, and a test on the values then took both
//! models' probabilities for logits and softmaxed them (log_loss 0.38 instead of 0.15).
//!
//! In order, the first that speaks decides:
//! 1. `io.scores` in the suite;
//! 2. a ZipMap output (scikit-learn's `predict_proba`);
//! 3. the node producing the output, followed back through reshapes and casts: Softmax or
//!    Sigmoid, an `ai.onnx.ml` classifier's `post_transform`, a linear layer (logits);
//! 4. the converter's name for it (`probabilities`, `output_probability`, `logits`);
//! 5. the convention of the model's shape: probabilities beside a label output (converters
//!    export `predict` and `predict_proba`), raw scores alone (networks export logits). The
//!    report says when this last rule decided, and which key settles it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::onnx_proto as pb;
use super::{OutputBinding, ScoreKind};
use crate::config::ScoreMeaning;

/// How one model's score output is read, and why: for the metrics and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReading {
    pub output: String,
    pub meaning: ScoreMeaning,
    /// What decided it: `` `io.scores` ``, `a ZipMap output`, `produced by Softmax`, …
    pub basis: String,
    /// Nothing in the model said; the shape convention (rule 5) decided.
    #[serde(default)]
    pub guessed: bool,
}

/// What a graph says each of its outputs holds (only the outputs it says something about).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphEvidence {
    outputs: HashMap<String, (ScoreMeaning, String)>,
}

impl GraphEvidence {
    /// Follows each output of the main graph back to the node that gives it its meaning.
    pub fn from_graph(graph: &pb::GraphProto) -> GraphEvidence {
        let producers = Producers::new(graph);
        let outputs = graph
            .output
            .iter()
            .filter_map(|o| o.name.as_deref())
            .filter_map(|name| Some((name.to_owned(), producers.trace(name, 0)?)))
            .collect();
        GraphEvidence { outputs }
    }
}

/// Decides how `binding`'s score output is read; `None` when it has none.
pub fn decide(
    binding: &OutputBinding,
    evidence: &GraphEvidence,
    configured: Option<ScoreMeaning>,
) -> Option<ScoreReading> {
    let OutputBinding::Classifier { label, scores } = binding else {
        return None;
    };
    let (output, kind) = scores.as_ref()?;
    let reading = |meaning, basis: String, guessed| ScoreReading {
        output: output.clone(),
        meaning,
        basis,
        guessed,
    };
    if let Some(meaning) = configured {
        return Some(reading(meaning, "`io.scores`".to_owned(), false));
    }
    if *kind != ScoreKind::Tensor {
        return Some(reading(
            ScoreMeaning::Probabilities,
            ZIPMAP_BASIS.to_owned(),
            false,
        ));
    }
    if let Some((meaning, basis)) = evidence.outputs.get(output) {
        return Some(reading(*meaning, basis.clone(), false));
    }
    if let Some(meaning) = meaning_of_name(output) {
        return Some(reading(
            meaning,
            format!("named `{output}`, as converters name {meaning}"),
            false,
        ));
    }
    Some(if label.is_some() {
        reading(
            ScoreMeaning::Probabilities,
            "a score output beside a label output, as converters export probabilities".to_owned(),
            true,
        )
    } else {
        reading(
            ScoreMeaning::Logits,
            "a score output with no label output, as networks export logits".to_owned(),
            true,
        )
    })
}

const ZIPMAP_BASIS: &str = "a ZipMap output: scikit-learn's predict_proba";

/// Converters' names: skl2onnx `probabilities`/`output_probability`, onnxmltools
/// `probabilities`, torch exports `logits`.
fn meaning_of_name(name: &str) -> Option<ScoreMeaning> {
    let name = name.to_ascii_lowercase();
    if name.contains("prob") {
        Some(ScoreMeaning::Probabilities)
    } else if ["logit", "decision", "margin", "raw_score"]
        .iter()
        .any(|w| name.contains(w))
    {
        Some(ScoreMeaning::Logits)
    } else {
        None
    }
}

/// Operators that move or reshape values without changing what they mean.
const PASS_THROUGH: &[&str] = &[
    "Identity",
    "Cast",
    "Reshape",
    "Flatten",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "Slice",
    "Gather",
    "Clip",
    "Expand",
];

/// Element-wise and linear arithmetic: what comes out of a layer before any activation.
const ARITHMETIC: &[&str] = &["Add", "Sub", "Mul", "Div", "MatMul", "Gemm"];

/// Graphs are followed this many nodes back at most (real exports need two or three).
const MAX_DEPTH: usize = 32;

struct Producers<'g> {
    /// Tensor name → the node producing it and which of its outputs it is.
    by_output: HashMap<&'g str, (&'g pb::NodeProto, usize)>,
    /// Initializers and Constant outputs.
    constants: HashSet<&'g str>,
    /// Tensors already traced: a residual network reaches the same tensor by many paths.
    seen: RefCell<HashMap<String, Option<(ScoreMeaning, String)>>>,
}

impl<'g> Producers<'g> {
    fn new(graph: &'g pb::GraphProto) -> Self {
        let mut by_output = HashMap::new();
        let mut constants: HashSet<&str> = graph
            .initializer
            .iter()
            .filter_map(|t| t.name.as_deref())
            .collect();
        for node in &graph.node {
            for (i, out) in node.output.iter().enumerate() {
                by_output.insert(out.as_str(), (node, i));
                if op(node) == ("", "Constant") {
                    constants.insert(out.as_str());
                }
            }
        }
        Producers {
            by_output,
            constants,
            seen: RefCell::default(),
        }
    }

    fn variable_inputs<'n>(&self, node: &'n pb::NodeProto) -> impl Iterator<Item = &'n str> {
        node.input
            .iter()
            .map(String::as_str)
            .filter(|i| !i.is_empty() && !self.constants.contains(i))
    }

    fn trace(&self, name: &str, depth: usize) -> Option<(ScoreMeaning, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(known) = self.seen.borrow().get(name) {
            return known.clone();
        }
        let found = self.trace_node(name, depth);
        self.seen
            .borrow_mut()
            .insert(name.to_owned(), found.clone());
        found
    }

    fn trace_node(&self, name: &str, depth: usize) -> Option<(ScoreMeaning, String)> {
        use ScoreMeaning::{Logits, Probabilities};
        let &(node, index) = self.by_output.get(name)?;
        let (domain, op_type) = op(node);
        let inputs: Vec<&str> = self.variable_inputs(node).collect();
        let traced = |this: &Self| -> Vec<Option<(ScoreMeaning, String)>> {
            inputs.iter().map(|i| this.trace(i, depth + 1)).collect()
        };
        match (domain, op_type) {
            ("ai.onnx.ml", "ZipMap") => Some((Probabilities, ZIPMAP_BASIS.to_owned())),
            ("", "Softmax" | "Sigmoid") => Some((Probabilities, format!("produced by {op_type}"))),
            ("", "LogSoftmax") => Some((
                Logits,
                "produced by LogSoftmax: log-probabilities, whose softmax is the probabilities"
                    .to_owned(),
            )),
            ("ai.onnx.ml", "LinearClassifier" | "SVMClassifier" | "TreeEnsembleClassifier")
                if index == 1 =>
            {
                classifier_scores(node, op_type)
            }
            // L1-normalised probabilities are probabilities; normalised logits are neither.
            ("ai.onnx.ml", "Normalizer") => traced(self)
                .into_iter()
                .next()
                .flatten()
                .filter(|(m, _)| *m == Probabilities),
            ("", op) if PASS_THROUGH.contains(&op) => {
                inputs.first().and_then(|i| self.trace(i, depth + 1))
            }
            // skl2onnx's binary output: Concat(1 - p, p).
            ("", "Concat") => {
                let all = traced(self);
                let first = all.first().cloned().flatten()?;
                all.iter()
                    .all(|t| t.as_ref().is_some_and(|(m, _)| *m == first.0))
                    .then_some(first)
            }
            ("", "Sub")
                if node
                    .input
                    .first()
                    .is_some_and(|a| self.constants.contains(a.as_str())) =>
            {
                // `1 - p` keeps p a probability; `c - logits` keeps logits logits.
                traced(self).into_iter().next().flatten()
            }
            ("", op) if ARITHMETIC.contains(&op) => {
                // A probability scaled or shifted is no longer a probability, nor a logit.
                let any_probability = traced(self)
                    .iter()
                    .flatten()
                    .any(|(m, _)| *m == Probabilities);
                (!any_probability).then(|| {
                    (
                        Logits,
                        format!("produced by {op}: a linear layer with no activation"),
                    )
                })
            }
            _ => None,
        }
    }
}

/// The score output of an `ai.onnx.ml` classifier: its `post_transform` says what it is.
fn classifier_scores(node: &pb::NodeProto, op_type: &str) -> Option<(ScoreMeaning, String)> {
    let transform = string_attribute(node, "post_transform").unwrap_or_else(|| "NONE".to_owned());
    match transform.as_str() {
        "SOFTMAX" | "SOFTMAX_ZERO" | "LOGISTIC" | "PROBIT" => Some((
            ScoreMeaning::Probabilities,
            format!("produced by {op_type} with post_transform {transform}"),
        )),
        // Platt scaling (`prob_a`): skl2onnx's SVC(probability=True).
        "NONE"
            if op_type == "SVMClassifier"
                && node
                    .attribute
                    .iter()
                    .any(|a| a.name.as_deref() == Some("prob_a") && !a.floats.is_empty()) =>
        {
            Some((
                ScoreMeaning::Probabilities,
                "produced by SVMClassifier with Platt scaling, prob_a".to_owned(),
            ))
        }
        // Summed leaf values: probabilities for a random forest, margins for boosting. The
        // tree alone cannot tell; the output's name will.
        "NONE" if op_type == "TreeEnsembleClassifier" => None,
        "NONE" => Some((
            ScoreMeaning::Logits,
            format!("produced by {op_type} without post_transform: raw decision scores"),
        )),
        _ => None,
    }
}

fn op(node: &pb::NodeProto) -> (&str, &str) {
    let domain = match node.domain.as_deref().unwrap_or("") {
        "ai.onnx" => "",
        d => d,
    };
    (domain, node.op_type.as_deref().unwrap_or(""))
}

pub(super) fn string_attribute(node: &pb::NodeProto, name: &str) -> Option<String> {
    node.attribute
        .iter()
        .find(|a| a.name.as_deref() == Some(name))
        .and_then(|a| a.s.as_ref())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelKind;

    fn node(op_type: &str, domain: &str, inputs: &[&str], outputs: &[&str]) -> pb::NodeProto {
        pb::NodeProto {
            op_type: Some(op_type.to_owned()),
            domain: Some(domain.to_owned()),
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: outputs.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    fn with_string(mut n: pb::NodeProto, name: &str, value: &str) -> pb::NodeProto {
        n.attribute.push(pb::AttributeProto {
            name: Some(name.to_owned()),
            s: Some(value.as_bytes().to_vec().into()),
            ..Default::default()
        });
        n
    }

    fn graph(nodes: Vec<pb::NodeProto>, constants: &[&str], outputs: &[&str]) -> pb::GraphProto {
        pb::GraphProto {
            node: nodes,
            initializer: constants
                .iter()
                .map(|c| pb::TensorProto {
                    name: Some((*c).to_owned()),
                    ..Default::default()
                })
                .collect(),
            output: outputs
                .iter()
                .map(|o| pb::ValueInfoProto {
                    name: Some((*o).to_owned()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn classifier(scores: &str, label: bool) -> OutputBinding {
        OutputBinding::Classifier {
            label: label.then(|| ("label".to_owned(), LabelKind::Int64)),
            scores: Some((scores.to_owned(), ScoreKind::Tensor)),
        }
    }

    fn read(g: &pb::GraphProto, output: &str, label: bool) -> ScoreReading {
        decide(
            &classifier(output, label),
            &GraphEvidence::from_graph(g),
            None,
        )
        .unwrap()
    }

    #[test]
    fn softmax_and_sigmoid_producers_are_probabilities_through_reshapes() {
        let g = graph(
            vec![
                node("Gemm", "", &["X", "W", "B"], &["z"]),
                node("Softmax", "", &["z"], &["p"]),
                node("Cast", "", &["p"], &["probs_cast"]),
                node("Identity", "", &["probs_cast"], &["out"]),
            ],
            &["W", "B"],
            &["out"],
        );
        let r = read(&g, "out", false);
        assert_eq!(r.meaning, ScoreMeaning::Probabilities);
        assert_eq!(r.basis, "produced by Softmax");
        assert!(!r.guessed);
    }

    /// skl2onnx's MLPClassifier (binary): Sigmoid, then Concat(1 - p, p).
    #[test]
    fn binary_concat_of_one_minus_p_and_p_is_probabilities() {
        let g = graph(
            vec![
                node("Add", "", &["mm", "b"], &["z"]),
                node("Sigmoid", "", &["z"], &["p"]),
                node("Sub", "", &["unity", "p"], &["q"]),
                node("Concat", "", &["q", "p"], &["probabilities"]),
            ],
            &["unity", "b"],
            &["probabilities"],
        );
        assert_eq!(
            read(&g, "probabilities", true).meaning,
            ScoreMeaning::Probabilities
        );
    }

    #[test]
    fn a_linear_layer_gives_logits_even_when_named_probabilities() {
        let g = graph(
            vec![
                node("MatMul", "", &["X", "W"], &["mm"]),
                node("Add", "", &["mm", "b"], &["probabilities"]),
            ],
            &["W", "b"],
            &["probabilities"],
        );
        let r = read(&g, "probabilities", true);
        assert_eq!(r.meaning, ScoreMeaning::Logits);
        assert!(r.basis.contains("Add"), "{}", r.basis);
    }

    #[test]
    fn ml_classifiers_are_read_from_post_transform() {
        let linear = |transform: Option<&str>| {
            let n = node(
                "LinearClassifier",
                "ai.onnx.ml",
                &["X"],
                &["label", "scores"],
            );
            let n = match transform {
                Some(t) => with_string(n, "post_transform", t),
                None => n,
            };
            graph(vec![n], &[], &["label", "scores"])
        };
        assert_eq!(
            read(&linear(Some("LOGISTIC")), "scores", true).meaning,
            ScoreMeaning::Probabilities
        );
        assert_eq!(
            read(&linear(Some("SOFTMAX")), "scores", true).meaning,
            ScoreMeaning::Probabilities
        );
        // LinearSVC: decision values, though skl2onnx names them `probabilities`.
        let g = linear(None);
        let r = read(&g, "scores", true);
        assert_eq!((r.meaning, r.guessed), (ScoreMeaning::Logits, false));
        // The label output itself is not read as scores.
        assert_eq!(GraphEvidence::from_graph(&g).outputs.get("label"), None);
    }

    #[test]
    fn a_tree_ensemble_without_post_transform_falls_back_to_the_name() {
        let tree = |out: &str| {
            graph(
                vec![node(
                    "TreeEnsembleClassifier",
                    "ai.onnx.ml",
                    &["X"],
                    &["label", out],
                )],
                &[],
                &["label", out],
            )
        };
        let r = read(&tree("probabilities"), "probabilities", true);
        assert_eq!(r.meaning, ScoreMeaning::Probabilities);
        assert!(r.basis.contains("name"), "{}", r.basis);
        // No name, no label: the network convention, said as a guess.
        let r = read(&tree("y"), "y", false);
        assert_eq!((r.meaning, r.guessed), (ScoreMeaning::Logits, true));
    }

    #[test]
    fn l1_normalised_probabilities_stay_probabilities() {
        let g = graph(
            vec![
                with_string(
                    node("LinearClassifier", "ai.onnx.ml", &["X"], &["l", "t"]),
                    "post_transform",
                    "LOGISTIC",
                ),
                node("Normalizer", "ai.onnx.ml", &["t"], &["out"]),
            ],
            &[],
            &["out"],
        );
        assert_eq!(read(&g, "out", true).meaning, ScoreMeaning::Probabilities);
    }

    #[test]
    fn config_and_zipmap_come_first_and_a_bare_graph_input_is_a_guess() {
        let g = graph(vec![node("Softmax", "", &["X"], &["p"])], &[], &["p"]);
        let evidence = GraphEvidence::from_graph(&g);
        let r = decide(
            &classifier("p", false),
            &evidence,
            Some(ScoreMeaning::Logits),
        )
        .unwrap();
        assert_eq!(
            (r.meaning, r.basis.as_str()),
            (ScoreMeaning::Logits, "`io.scores`")
        );
        let zipmap = OutputBinding::Classifier {
            label: None,
            scores: Some(("output_probability".to_owned(), ScoreKind::MapInt64)),
        };
        let r = decide(&zipmap, &GraphEvidence::default(), None).unwrap();
        assert_eq!(r.meaning, ScoreMeaning::Probabilities);
        // An Identity straight from an input says nothing; beside a label: probabilities.
        let g = graph(vec![node("Identity", "", &["X"], &["out"])], &[], &["out"]);
        let r = read(&g, "out", true);
        assert_eq!((r.meaning, r.guessed), (ScoreMeaning::Probabilities, true));
        // A regressor has no scores to read.
        let regressor = OutputBinding::Regressor { name: "y".into() };
        assert_eq!(decide(&regressor, &evidence, None), None);
    }
}
