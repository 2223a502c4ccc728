//! "Did you mean ...?" for misspelt keys and metric names.

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let keys = [
            "min",
            "max",
            "max_regression",
            "max_regression_pct",
            "metric",
        ];
        assert_eq!(nearest("max_regresion", keys), Some("max_regression"));
        assert_eq!(nearest("metrc", keys), Some("metric"));
        assert_eq!(nearest("completely_unrelated", keys), None);
    }
}
