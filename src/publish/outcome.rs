//! What publishing did, and the exit status that follows from it.

use super::Verdict;

/// What happened to the sticky PR comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentAction {
    Created {
        id: u64,
        url: Option<String>,
    },
    /// An earlier run's comment was edited in place.
    Updated {
        id: u64,
        url: Option<String>,
    },
    /// Not attempted, and why (no pull request, `comment: false`).
    Skipped(String),
}

/// What was reported on the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckAction {
    CheckRun {
        id: u64,
        annotations: usize,
    },
    /// The token could not write checks (a personal token, or no `checks: write`).
    CommitStatus {
        state: String,
    },
    Skipped(String),
}

/// The result of publishing. Publishing problems are warnings here; the caller decides with
/// [`PublishOutcome::exit_code`] whether they matter.
#[derive(Debug, Clone)]
pub struct PublishOutcome {
    pub verdict: Verdict,
    pub comment: Option<CommentAction>,
    pub check: Option<CheckAction>,
    /// Publishing steps that failed, each with how to fix it. Never contains the token.
    pub problems: Vec<String>,
}

impl PublishOutcome {
    pub(crate) fn new(verdict: Verdict) -> PublishOutcome {
        PublishOutcome {
            verdict,
            comment: None,
            check: None,
            problems: Vec::new(),
        }
    }

    /// 0 passed (or no baseline, or a failed gate with `fail_on_gate: false`), 1 a gate
    /// failed, 2 an evaluation error — or a publishing problem under `strict_publish`.
    pub fn exit_code(&self, fail_on_gate: bool, strict_publish: bool) -> u8 {
        let by_verdict = match self.verdict {
            Verdict::Pass | Verdict::NoBaseline | Verdict::NoGates => 0,
            Verdict::Fail if fail_on_gate => 1,
            Verdict::Fail => 0,
            Verdict::Error => 2,
        };
        if strict_publish && !self.problems.is_empty() {
            2
        } else {
            by_verdict
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_follows_the_verdict_not_publishing() {
        let mut outcome = PublishOutcome::new(Verdict::Fail);
        outcome.problems.push("403".into());
        assert_eq!(outcome.exit_code(true, false), 1);
        assert_eq!(outcome.exit_code(false, false), 0);
        assert_eq!(outcome.exit_code(true, true), 2);
        assert_eq!(
            PublishOutcome::new(Verdict::NoBaseline).exit_code(true, true),
            0
        );
        assert_eq!(
            PublishOutcome::new(Verdict::Error).exit_code(false, false),
            2
        );
    }
}
