//! A progress line for long evaluations, on a terminal only.
//!
//! Hidden for the first second (most evaluations are done by then, and a flash of a bar is
//! noise), never drawn when stderr is not a terminal or in CI (logs are files, and a bar's
//! carriage returns garble them).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const DELAY: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl Progress {
    pub fn start() -> Self {
        let wanted = std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("GITHUB_ACTIONS").is_none();
        let bar = wanted.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "mlops-ci: evaluating {spinner} {human_pos} rows ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    /// `rows` more rows went through every model.
    pub fn advance(&mut self, rows: usize) {
        let Some(bar) = &self.bar else { return };
        bar.inc(rows as u64);
        if !self.shown && self.started.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            self.shown = true;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
