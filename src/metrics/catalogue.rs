use serde::Serialize;

use crate::config::Task;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

macro_rules! metrics {
    ($( $variant:ident => $name:literal, $dir:ident, $task:expr, $default:literal, $doc:literal; )*) => {
        /// Every metric mlops-ci knows, by stable name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MetricId { $( #[doc = $doc] $variant, )* }

        impl MetricId {
            pub const ALL: &'static [MetricId] = &[$(MetricId::$variant),*];

            /// The stable identifier used in config files, JSON and the README.
            pub fn name(self) -> &'static str {
                match self { $(MetricId::$variant => $name,)* }
            }

            pub fn direction(self) -> Direction {
                match self { $(MetricId::$variant => Direction::$dir,)* }
            }

            /// One line for `--help`-style listings and the README table.
            pub fn description(self) -> &'static str {
                match self { $(MetricId::$variant => $doc,)* }
            }

            fn task(self) -> Option<Task> {
                match self { $(MetricId::$variant => $task,)* }
            }

            /// Part of the task's standard set (reported when `metrics.include` is not given).
            pub fn is_default(self) -> bool {
                match self { $(MetricId::$variant => $default,)* }
            }
        }
    };
}

const CLS: Option<Task> = Some(Task::Classification);
const REG: Option<Task> = Some(Task::Regression);
const ANY: Option<Task> = None;

metrics! {
    Accuracy => "accuracy", HigherIsBetter, CLS, true, "share of examples whose predicted class is the true class";
    BalancedAccuracy => "balanced_accuracy", HigherIsBetter, CLS, true, "mean recall over the classes present in the data";
    PrecisionMacro => "precision_macro", HigherIsBetter, CLS, true, "unweighted mean of per-class precision";
    RecallMacro => "recall_macro", HigherIsBetter, CLS, true, "unweighted mean of per-class recall";
    F1Macro => "f1_macro", HigherIsBetter, CLS, true, "unweighted mean of per-class F1";
    PrecisionWeighted => "precision_weighted", HigherIsBetter, CLS, false, "per-class precision weighted by support";
    RecallWeighted => "recall_weighted", HigherIsBetter, CLS, false, "per-class recall weighted by support";
    F1Weighted => "f1_weighted", HigherIsBetter, CLS, true, "per-class F1 weighted by support";
    LogLoss => "log_loss", LowerIsBetter, CLS, true, "mean negative log-probability of the true class (needs probabilities)";
    RocAuc => "roc_auc", HigherIsBetter, CLS, true, "area under the ROC curve; one-vs-rest macro average for several classes";
    Mae => "mae", LowerIsBetter, REG, true, "mean absolute error";
    Mse => "mse", LowerIsBetter, REG, false, "mean squared error";
    Rmse => "rmse", LowerIsBetter, REG, true, "root mean squared error";
    R2 => "r2", HigherIsBetter, REG, true, "coefficient of determination";
    Mape => "mape", LowerIsBetter, REG, false, "mean absolute percentage error, as a fraction (0.1 = 10%)";
    LatencyP50Ms => "latency_p50_ms", LowerIsBetter, ANY, true, "median time of one batch through the model, ms";
    LatencyP95Ms => "latency_p95_ms", LowerIsBetter, ANY, true, "95th percentile batch time, ms";
    LatencyP99Ms => "latency_p99_ms", LowerIsBetter, ANY, false, "99th percentile batch time, ms";
    LatencyPerExampleP50Ms => "latency_per_example_p50_ms", LowerIsBetter, ANY, false, "median batch time divided by the batch's rows, ms";
    LatencyPerExampleP95Ms => "latency_per_example_p95_ms", LowerIsBetter, ANY, false, "95th percentile of the per-example time, ms";
    LatencyPerExampleP99Ms => "latency_per_example_p99_ms", LowerIsBetter, ANY, false, "99th percentile of the per-example time, ms";
    ThroughputEps => "throughput_eps", HigherIsBetter, ANY, true, "examples per second of pure inference";
    LatencyRatioP50 => "latency_ratio_p50", LowerIsBetter, ANY, true, "candidate / baseline median batch time, timed interleaved on the same batches (1.2 = 20% slower)";
    LatencyRatioP95 => "latency_ratio_p95", LowerIsBetter, ANY, true, "candidate / baseline 95th percentile batch time, timed interleaved on the same batches";
    ThroughputRatio => "throughput_ratio", HigherIsBetter, ANY, false, "candidate / baseline throughput over the same timed batches (0.8 = 20% fewer examples per second)";
    Agreement => "agreement", HigherIsBetter, CLS, false, "share of examples where the candidate predicts the same class as the baseline (the baseline's own value is 1)";
    ScoreMaxAbsDiff => "score_max_abs_diff", LowerIsBetter, ANY, false, "largest |candidate - baseline| over every class score both models give, or every regression output (baseline: 0)";
    ScoreMeanAbsDiff => "score_mean_abs_diff", LowerIsBetter, ANY, false, "mean |candidate - baseline| over the same values (baseline: 0)";
    ModelSizeBytes => "model_size_bytes", LowerIsBetter, ANY, true, "size of the ONNX file";
}

impl MetricId {
    pub fn from_name(name: &str) -> Option<MetricId> {
        MetricId::ALL.iter().copied().find(|m| m.name() == name)
    }

    pub fn applies_to(self, task: Task) -> bool {
        self.task().is_none_or(|t| t == task)
    }

    /// Timing metrics vary from run to run; the report marks their differences as noisy.
    pub fn is_timing(self) -> bool {
        matches!(
            self,
            MetricId::LatencyP50Ms
                | MetricId::LatencyP95Ms
                | MetricId::LatencyP99Ms
                | MetricId::LatencyPerExampleP50Ms
                | MetricId::LatencyPerExampleP95Ms
                | MetricId::LatencyPerExampleP99Ms
                | MetricId::ThroughputEps
                | MetricId::LatencyRatioP50
                | MetricId::LatencyRatioP95
                | MetricId::ThroughputRatio
        )
    }

    /// Candidate relative to baseline (1.0 = the same); measured only when both models ran.
    pub fn is_ratio(self) -> bool {
        matches!(
            self,
            MetricId::LatencyRatioP50 | MetricId::LatencyRatioP95 | MetricId::ThroughputRatio
        )
    }
}

impl Serialize for MetricId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for id in MetricId::ALL {
            assert_eq!(MetricId::from_name(id.name()), Some(*id));
        }
        let mut names: Vec<_> = MetricId::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), MetricId::ALL.len());
    }
}
