//! Inference timing: per-batch and per-example latency percentiles and throughput.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::{MetricId, MetricValues};

/// Collects batch timings. Histograms keep memory constant however many batches run, and
/// merge exactly, so shards of a dataset could combine.
pub struct LatencyRecorder {
    /// Nanoseconds per batch.
    batch: Histogram<u64>,
    /// Nanoseconds per example (batch time / rows).
    per_example: Histogram<u64>,
    total: Duration,
    examples: u64,
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct LatencySummary {
    /// Timed runs: one per batch of the data, plus the repeats of a small dataset.
    pub batches: u64,
    /// Rows of those runs.
    pub examples: u64,
    /// Sum of the time spent inside ONNX Runtime, seconds.
    pub inference_seconds: f64,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        // Three significant figures, auto-resizing: no upper bound to guess.
        let histogram = || Histogram::new(3).expect("3 significant figures is a valid precision");
        Self {
            batch: histogram(),
            per_example: histogram(),
            total: Duration::ZERO,
            examples: 0,
        }
    }
}

impl LatencyRecorder {
    pub fn record(&mut self, elapsed: Duration, rows: usize) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX).max(1);
        // Auto-resizing histograms grow to any value, so recording cannot fail
        // (`saturating_record` would clamp to the current, tiny, upper bound instead).
        let _ = self.batch.record(nanos);
        let _ = self.per_example.record((nanos / rows.max(1) as u64).max(1));
        self.total += elapsed;
        self.examples += rows as u64;
    }

    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            batches: self.batch.len(),
            examples: self.examples,
            inference_seconds: self.total.as_secs_f64(),
        }
    }

    pub fn write_metrics(&self, values: &mut MetricValues) {
        let ms = |h: &Histogram<u64>, q: f64| {
            (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1e6)
        };
        values.set(MetricId::LatencyP50Ms, ms(&self.batch, 0.50));
        values.set(MetricId::LatencyP95Ms, ms(&self.batch, 0.95));
        values.set(MetricId::LatencyP99Ms, ms(&self.batch, 0.99));
        values.set(
            MetricId::LatencyPerExampleP50Ms,
            ms(&self.per_example, 0.50),
        );
        values.set(
            MetricId::LatencyPerExampleP95Ms,
            ms(&self.per_example, 0.95),
        );
        values.set(
            MetricId::LatencyPerExampleP99Ms,
            ms(&self.per_example, 0.99),
        );
        let seconds = self.total.as_secs_f64();
        values.set(
            MetricId::ThroughputEps,
            (seconds > 0.0).then(|| self.examples as f64 / seconds),
        );
    }
}
