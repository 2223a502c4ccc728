//! Metric definitions and computation. Pure: predictions in, numbers out.
//!
//! Every metric has a stable name (used in config, JSON and docs) and a direction, so a
//! "regression" always means "worse", whichever way the number moved.

pub mod agreement;
mod catalogue;
pub mod classification;
pub mod latency;
pub mod latency_ratio;
pub mod probabilities;
pub(crate) mod ranking;
pub mod regression;

pub use catalogue::{Direction, MetricId};
pub use latency::{LatencyRecorder, LatencySummary};

use serde::Serialize;

/// One model's metric values, in catalogue order.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct MetricValues(pub Vec<MetricValue>);

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct MetricValue {
    pub name: String,
    /// `None` when the metric cannot be computed for this model and data (the report says why).
    pub value: Option<f64>,
    /// Confidence interval of the candidate's value as compared with the baseline's: for
    /// timing metrics, the paired (interleaved) ratio's interval times the baseline value.
    /// Gates comparing with the baseline judge the bound most favourable to the candidate.
    /// May be unbounded (too few timed pairs to judge). Reports carry it in `MetricDelta`.
    #[serde(skip)]
    pub interval: Option<[f64; 2]>,
}

impl MetricValues {
    pub fn get(&self, id: MetricId) -> Option<f64> {
        self.0
            .iter()
            .find(|m| m.name == id.name())
            .and_then(|m| m.value)
    }

    pub fn set(&mut self, id: MetricId, value: Option<f64>) {
        match self.0.iter_mut().find(|m| m.name == id.name()) {
            Some(slot) => slot.value = value,
            None => self.0.push(MetricValue {
                name: id.name().to_owned(),
                value,
                interval: None,
            }),
        }
    }

    pub fn interval(&self, id: MetricId) -> Option<[f64; 2]> {
        self.0
            .iter()
            .find(|m| m.name == id.name())
            .and_then(|m| m.interval)
    }

    /// Sets the confidence interval of a metric already set.
    pub fn set_interval(&mut self, id: MetricId, interval: Option<[f64; 2]>) {
        if let Some(slot) = self.0.iter_mut().find(|m| m.name == id.name()) {
            slot.interval = interval;
        }
    }

    /// Keeps only `wanted`, in that order.
    pub fn select(&self, wanted: &[MetricId]) -> MetricValues {
        MetricValues(
            wanted
                .iter()
                .map(|id| MetricValue {
                    name: id.name().to_owned(),
                    value: self.get(*id),
                    interval: self.interval(*id),
                })
                .collect(),
        )
    }
}
