//! The config file `init` writes (commented, so that it teaches the keys) and its summary.

use std::fmt::Write as _;

use super::Plan;
use crate::config::Task;

/// TOML basic string: the paths and names come from the file system.
fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

pub fn config(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str(
        "# mlops-ci configuration, written by `mlops-ci init`. Check the lines marked CHECK, then run\n\
         # `mlops-ci check --all`. Every key is described in the README, section \"Configuration\".\n\n",
    );
    out.push_str("[baseline]\n");
    match &plan.baseline {
        Some(guess) => {
            let _ = writeln!(
                out,
                "# The branch a change merges into ({}): candidates are compared with it as it is now.\nref = {}",
                guess.why,
                string(&guess.value)
            );
        }
        None => out.push_str(
            "# No remote found: the baseline is the branch a change merges into (the PR base in CI,\n\
             # else origin/HEAD, main or master). Set it explicitly once there is a remote:\n\
             # ref = \"origin/main\"\n",
        ),
    }
    out.push_str(
        "\n[runtime]\ndevice = \"auto\"   # auto | cpu | cuda | tensorrt; auto = the best available\n",
    );
    let branch = &plan.protected_branch;
    let _ = write!(
        out,
        "\n# The pre-push hook (`mlops-ci hook install`): a failing check refuses pushes to these\n\
         # branches and only warns, with the full report, on every other branch (work in progress).\n\
         [hook]\nblock = [{}, \"release/*\"]\n# mode = \"warn\"   # never refuse; only show the report\n",
        string(branch)
    );
    for suite in &plan.suites {
        let _ = write!(
            out,
            "\n[[suite]]\nname = {}\nmodel = {}\ntask = \"{}\"   # CHECK: {}\n",
            string(&suite.name),
            string(&suite.model),
            suite.task.value,
            suite.task.why
        );
        let _ = write!(
            out,
            "\n[suite.data]\npath = {}   # CHECK: {}\n",
            string(&suite.data.value),
            suite.data.why
        );
        match &suite.label {
            Some(label) => {
                let _ = writeln!(
                    out,
                    "label = {}   # CHECK: {}",
                    string(&label.value),
                    label.why
                );
            }
            None => out.push_str("label = \"y\"   # CHECK: the array holding the ground truth\n"),
        }
        out.push_str("# features = [...]   # default: every column but the label, in file order\n");
        out.push_str("# exclude = [\"id\"]   # or: that default without these columns\n");
        for note in &suite.notes {
            let _ = writeln!(out, "# CHECK: {note}");
        }
        out.push_str(&gates(suite.task.value));
    }
    for model in &plan.without_data {
        let _ = write!(
            out,
            "\n# No data file was found for {model}; add one and uncomment:\n\
             # [[suite]]\n# name = \"...\"\n# model = {}\n# task = \"classification\"\n# [suite.data]\n# path = \"data/test.csv\"\n# label = \"label\"\n",
            string(model)
        );
    }
    out
}

/// Gates a team can start with: no worse than the baseline beyond a small margin. Absolute
/// floors need a number only the team knows, so they are written commented.
fn gates(task: Task) -> String {
    match task {
        Task::Classification => "\n[[suite.gate]]\nmetric = \"accuracy\"\nmax_regression = 0.01   # at most 1 point worse than the baseline\n\
             # min = 0.90               # and never below this\n\n\
             [[suite.gate]]\nmetric = \"f1_macro\"\nmax_regression = 0.02\n\n\
             # [[suite.gate]]\n# metric = \"latency_p95_ms\"\n# max_regression_pct = 25.0\n"
            .to_owned(),
        Task::Regression => "\n[[suite.gate]]\nmetric = \"rmse\"\nmax_regression_pct = 5.0   # at most 5% worse than the baseline\n\n\
             [[suite.gate]]\nmetric = \"mae\"\nmax_regression_pct = 5.0\n\n\
             # [[suite.gate]]\n# metric = \"r2\"\n# min = 0.5\n"
            .to_owned(),
    }
}

pub fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with {} suite{}:",
        plan.path.display(),
        plan.suites.len(),
        if plan.suites.len() == 1 { "" } else { "s" }
    );
    for suite in &plan.suites {
        let _ = writeln!(
            out,
            "  {}: {} ({}: {})",
            suite.name, suite.model, suite.task.value, suite.task.why
        );
        let _ = writeln!(out, "    data  {} ({})", suite.data.value, suite.data.why);
        if let Some(label) = &suite.label {
            let _ = writeln!(out, "    label `{}` ({})", label.value, label.why);
        }
        for note in &suite.notes {
            let _ = writeln!(out, "    CHECK {note}");
        }
    }
    for model in &plan.without_data {
        let _ = writeln!(out, "  {model}: no data file found; written commented out");
    }
    match &plan.baseline {
        Some(guess) => {
            let _ = writeln!(out, "baseline  {} ({})", guess.value, guess.why);
        }
        None => out.push_str("baseline  the branch a change merges into (no remote yet)\n"),
    }
    let _ = writeln!(
        out,
        "hook      a failing check refuses pushes to `{}` and `release/*`, warns on other branches",
        plan.protected_branch
    );
    out
}
