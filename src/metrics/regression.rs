//! Regression metrics, as scikit-learn defines them.

use super::{MetricId, MetricValues};

pub fn evaluate(truth: &[f64], predicted: &[f64]) -> MetricValues {
    let n = truth.len() as f64;
    let mut values = MetricValues::default();
    if truth.is_empty() {
        return values;
    }
    let (mut abs, mut sq, mut pct) = (0.0, 0.0, 0.0);
    for (&y, &p) in truth.iter().zip(predicted) {
        let err = y - p;
        abs += err.abs();
        sq += err * err;
        // sklearn divides by max(|y|, eps) so that a zero target does not divide by zero.
        pct += err.abs() / y.abs().max(f64::EPSILON);
    }
    let mean_y = truth.iter().sum::<f64>() / n;
    let total_sq: f64 = truth.iter().map(|y| (y - mean_y).powi(2)).sum();
    // sklearn's force_finite: a constant target gives 1 for a perfect fit, else 0.
    let r2 = match (total_sq == 0.0, sq == 0.0) {
        (true, true) => 1.0,
        (true, false) => 0.0,
        _ => 1.0 - sq / total_sq,
    };
    values.set(MetricId::Mae, Some(abs / n));
    values.set(MetricId::Mse, Some(sq / n));
    values.set(MetricId::Rmse, Some((sq / n).sqrt()));
    values.set(MetricId::R2, Some(r2));
    values.set(MetricId::Mape, Some(pct / n));
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sklearn() {
        // sklearn 1.9.1: y=[3,-0.5,2,7], p=[2.5,0,2,8] -> mae 0.5, mse 0.375, r2 0.9486081370449679,
        // mape 0.3273809523809524
        let v = evaluate(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]);
        assert!((v.get(MetricId::Mae).unwrap() - 0.5).abs() < 1e-12);
        assert!((v.get(MetricId::Mse).unwrap() - 0.375).abs() < 1e-12);
        assert!((v.get(MetricId::R2).unwrap() - 0.948_608_137_044_967_9).abs() < 1e-12);
        assert!((v.get(MetricId::Mape).unwrap() - 0.327_380_952_380_952_4).abs() < 1e-12);
    }
}
