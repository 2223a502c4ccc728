//! The GitHub token: kept out of `Debug`, logs and error messages.

use std::fmt;

/// A GitHub token. `Debug` prints `***`; it is never serialised. Any text that came back from
/// the network or the environment goes through [`GithubToken::redact`] before it is shown,
/// because a misbehaving proxy or server can echo the `Authorization` header.
#[derive(Clone)]
pub struct GithubToken(String);

impl GithubToken {
    /// `None` for an empty or blank value: Actions passes `''` when a secret is missing.
    pub fn new(value: impl Into<String>) -> Option<GithubToken> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(GithubToken(trimmed.to_owned()))
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the token in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for GithubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GithubToken(***)")
    }
}

/// Redacts with an optional token: a no-op without one.
pub(crate) fn redact(token: Option<&GithubToken>, text: &str) -> String {
    match token {
        Some(token) => token.redact(text),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_redact_hide_the_token() {
        let token = GithubToken::new(" ghs_abcdef123456 \n").expect("non-empty");
        assert_eq!(format!("{token:?}"), "GithubToken(***)");
        assert_eq!(
            token.redact("Bearer ghs_abcdef123456 rejected"),
            "Bearer *** rejected"
        );
        assert!(GithubToken::new("  ").is_none());
    }
}
