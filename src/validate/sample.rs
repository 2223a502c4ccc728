//! A column's distribution as the tests take it: a weighted sample of numbers, or counts per
//! category. [`super::profile`] makes them from its sketches; [`super::stats`] and
//! [`super::drift`] read them.

/// Numbers sorted ascending, each standing for `weight` values of the column. Weights are
/// all 1 while a sketch holds every value (the sample is then the column itself), and powers
/// of two once it has compacted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightedSample {
    pub values: Vec<f64>,
    pub weights: Vec<f64>,
}

impl WeightedSample {
    /// The sample of `values` (any order), each of weight 1. NaNs are left out.
    pub fn exact(values: &[f64]) -> WeightedSample {
        let mut values: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        values.sort_by(f64::total_cmp);
        let weights = vec![1.0; values.len()];
        WeightedSample { values, weights }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of column values the sample stands for.
    pub fn total_weight(&self) -> f64 {
        self.weights.iter().sum()
    }
}

/// Counts per category (a string, or a number or boolean written canonically), sorted by
/// category.
pub type CategoryCounts = Vec<(String, u64)>;
