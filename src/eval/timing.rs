//! How the models are timed so that neither is favoured.
//!
//! Whichever model runs first on a batch is measurably slower (caches, allocator, the other
//! session's thread pool still spinning), and a model that runs first on every batch looks
//! slower than an identical copy of itself. So: both models are warmed up before anything is
//! timed; then each batch is a *round* that times both models on the same batch, one right
//! after the other, the order alternating from round to round (A B, B A, A B, ...) so the
//! order effect falls on both equally. The accuracy pass provides the rounds; a dataset with
//! fewer batches than `runtime.timing_runs` has its first batches run again, after the pass,
//! until that many rounds ran or `runtime.timing_budget_ms` is spent. A large dataset thus
//! pays nothing extra, and a small one gets enough timings for stable percentiles.

use std::time::{Duration, Instant};

use super::{EvalError, ModelRunner, run_once};
use crate::data::FeedValues;
use crate::metrics::LatencyRecorder;
use crate::metrics::latency_ratio::PairedTimes;

/// Untimed runs of each model on the first batch before timing starts.
pub const WARMUP_RUNS: usize = 2;
/// Batches kept for repeating, at most (and at most `MAX_KEPT_VALUES` feature values).
const MAX_KEPT_BATCHES: usize = 16;
const MAX_KEPT_VALUES: usize = 1 << 20;

/// How many timed rounds are wanted, and how long repeating batches may take.
#[derive(Debug, Clone, Copy)]
pub struct TimingPlan {
    pub rounds: usize,
    pub budget: Duration,
}

/// What was timed, and how.
#[derive(Default)]
pub struct TimingLog {
    /// Candidate/baseline pairs (only when two models ran).
    pub paired: PairedTimes,
    /// Untimed runs of each model before timing.
    pub warmup_runs: usize,
    /// Timed rounds, each timing every model once on the same batch.
    pub rounds: u64,
    /// Of those, rounds that repeated a batch after the accuracy pass.
    pub repeated_rounds: u64,
    /// The budget ran out before `TimingPlan::rounds` rounds.
    pub budget_reached: bool,
    kept: Vec<(Vec<FeedValues>, usize)>,
    kept_values: usize,
}

impl TimingLog {
    /// The order in which `models` models run in the next round: alternating, so that each
    /// goes first equally often.
    pub fn next_order(&self, models: usize) -> impl Iterator<Item = usize> + use<> {
        let reversed = self.rounds % 2 == 1;
        (0..models).map(move |i| if reversed { models - 1 - i } else { i })
    }

    /// Records a round: `elapsed[i]` is model `i`'s time on a batch of `rows` rows.
    pub fn finish_round(
        &mut self,
        elapsed: &[Duration],
        rows: usize,
        latencies: &mut [LatencyRecorder],
    ) {
        for (recorder, &took) in latencies.iter_mut().zip(elapsed) {
            recorder.record(took, rows);
        }
        if let [candidate, baseline] = elapsed {
            self.paired.record(*candidate, *baseline, rows);
        }
        self.rounds += 1;
    }

    /// Keeps a batch of the accuracy pass for repeating, while more rounds may be needed.
    pub fn keep(&mut self, plan: &TimingPlan, feeds: Vec<FeedValues>, rows: usize) {
        if self.rounds >= plan.rounds as u64 {
            // Enough rounds from the pass itself: nothing will be repeated.
            self.kept = Vec::new();
            return;
        }
        let values: usize = feeds.iter().map(FeedValues::len).sum();
        if self.kept.len() < MAX_KEPT_BATCHES
            && (self.kept.is_empty() || self.kept_values + values <= MAX_KEPT_VALUES)
        {
            self.kept_values += values;
            self.kept.push((feeds, rows));
        }
    }

    /// After the accuracy pass: repeats the kept batches until the plan's rounds ran or its
    /// budget is spent.
    pub fn repeat(
        &mut self,
        plan: &TimingPlan,
        runners: &mut [ModelRunner],
        latencies: &mut [LatencyRecorder],
    ) -> Result<(), EvalError> {
        let kept = std::mem::take(&mut self.kept);
        let started = Instant::now();
        let mut elapsed = vec![Duration::ZERO; runners.len()];
        for (feeds, rows) in kept.iter().cycle() {
            if self.rounds >= plan.rounds as u64 {
                break;
            }
            if started.elapsed() >= plan.budget {
                self.budget_reached = true;
                break;
            }
            for i in self.next_order(runners.len()) {
                // Rows are those of a batch already evaluated: no row number to report.
                let (took, _) = run_once(&mut runners[i], feeds, *rows, 0)?;
                elapsed[i] = took;
            }
            self.finish_round(&elapsed, *rows, latencies);
            self.repeated_rounds += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_alternates_abba() {
        let mut log = TimingLog::default();
        let mut sequence = Vec::new();
        let mut latencies = vec![LatencyRecorder::default(), LatencyRecorder::default()];
        for _ in 0..4 {
            sequence.extend(log.next_order(2));
            log.finish_round(&[Duration::from_micros(2); 2], 1, &mut latencies);
        }
        assert_eq!(sequence, [0, 1, 1, 0, 0, 1, 1, 0]);
        assert_eq!(log.paired.len(), 4);
        assert_eq!(log.next_order(1).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn batches_are_kept_only_while_rounds_are_missing() {
        let plan = TimingPlan {
            rounds: 3,
            budget: Duration::from_secs(1),
        };
        let mut log = TimingLog::default();
        let mut latencies = vec![LatencyRecorder::default()];
        for _ in 0..2 {
            log.keep(&plan, vec![FeedValues::F64(vec![0.0; 4])], 2);
            log.finish_round(&[Duration::from_micros(1)], 2, &mut latencies);
        }
        assert_eq!(log.kept.len(), 2);
        log.finish_round(&[Duration::from_micros(1)], 2, &mut latencies);
        log.keep(&plan, vec![FeedValues::F64(vec![0.0; 4])], 2);
        assert!(log.kept.is_empty());
        // A single huge batch is still kept; a second one past the cap is not.
        let mut log = TimingLog::default();
        log.keep(
            &plan,
            vec![FeedValues::F32(vec![0.0; MAX_KEPT_VALUES + 1])],
            1,
        );
        log.keep(&plan, vec![FeedValues::F32(vec![0.0; 1])], 1);
        assert_eq!(log.kept.len(), 1);
    }
}
