//! A simulated GitHub Actions step: the GITHUB_* variables, the event payload file, the job
//! summary and output files, in a temporary directory.

use std::collections::HashMap;
use std::time::Duration;

use mlops_ci::publish::{
    CiArgs, FailedGate, GithubContext, PublishOptions, PublishRequest, PublishTargets, RetryPolicy,
    Verdict,
};
use serde_json::{Value, json};

use super::fake::{OWNER, REPO};

/// What the tests give as GITHUB_TOKEN; it must never show up in any output.
pub const TOKEN: &str = "ghs_TESTtoken0123456789abcdefSECRET";
pub const RUN_ID: u64 = 4242;
pub const HEAD_SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
pub const MERGE_SHA: &str = "9f3b4c2a1d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";

pub struct Actions {
    pub dir: tempfile::TempDir,
    pub vars: HashMap<String, String>,
}

impl Actions {
    pub fn new(api_url: &str, event_name: &str, payload: &Value) -> Actions {
        let dir = tempfile::tempdir().expect("tempdir");
        let event_path = dir.path().join("event.json");
        std::fs::write(&event_path, payload.to_string()).expect("write event");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let mut vars = HashMap::new();
        for (name, value) in [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", format!("{OWNER}/{REPO}")),
            ("GITHUB_EVENT_NAME", event_name.to_owned()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_SHA", MERGE_SHA.to_owned()),
            ("GITHUB_RUN_ID", RUN_ID.to_string()),
            ("GITHUB_API_URL", api_url.to_owned()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            ("GITHUB_STEP_SUMMARY", path("step_summary.md")),
            ("GITHUB_OUTPUT", path("output.txt")),
            ("RUNNER_TEMP", path("runner_temp")),
            ("GITHUB_TOKEN", TOKEN.to_owned()),
        ] {
            vars.insert(name.to_owned(), value);
        }
        Actions { dir, vars }
    }

    pub fn context(&self) -> GithubContext {
        GithubContext::from_lookup(|name| self.vars.get(name).cloned()).expect("github context")
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("step_summary.md")).unwrap_or_default()
    }

    pub fn outputs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("output.txt")).unwrap_or_default()
    }

    /// The step outputs, parsed the way the runner parses `name<<DELIMITER` blocks.
    pub fn parsed_outputs(&self) -> HashMap<String, String> {
        let text = self.outputs();
        let mut parsed = HashMap::new();
        let mut lines = text.lines();
        while let Some(header) = lines.next() {
            let (name, delimiter) = header.split_once("<<").expect("multi-line output syntax");
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            parsed.insert(name.to_owned(), value.join("\n"));
        }
        parsed
    }
}

/// A `pull_request` payload with the fields GitHub sends that mlops-ci reads (the event tests
/// use @octokit/webhooks-examples' real payloads).
pub fn pull_request_event(number: u64, from_fork: bool) -> Value {
    let head_repo = if from_fork {
        "forker/octo-repo".to_owned()
    } else {
        format!("{OWNER}/{REPO}")
    };
    json!({
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": { "ref": "feature", "sha": HEAD_SHA, "repo": { "full_name": head_repo } },
            "base": { "ref": "main", "sha": "380387fbc80638b734a49e1be1c4dfec1c01b33c",
                      "repo": { "full_name": format!("{OWNER}/{REPO}") } }
        }
    })
}

/// A report as the core renders it: headline, metrics table, gates, a details section.
pub fn request(verdict: Verdict, failed_gates: usize) -> PublishRequest {
    let gates: Vec<FailedGate> = (0..failed_gates)
        .map(|i| FailedGate {
            suite: "iris".into(),
            metric: format!("metric_{i}"),
            reason: format!("metric_{i} 0.80 < min 0.90"),
            config_path: "mlops-ci.toml".into(),
            line: Some(20 + i as u32),
        })
        .collect();
    let markdown = format!(
        "### {} mlops-ci\n\nBaseline: `origin/main`\n\n#### `iris` (classification)\n\n\
         | metric | baseline | candidate | Δ | Δ % | |\n|:--|--:|--:|--:|--:|:--|\n\
         | `accuracy` | 0.9667 | 0.9333 | -0.0333 | -3.45% | 🔴 worse |\n\n\
         <details><summary>Details: models, data</summary>\n\n\
         | | path | sha256 |\n|:--|:--|:--|\n| candidate | `models/iris.onnx` | `3f2a` |\n\n</details>\n",
        match verdict {
            Verdict::Pass => "✅",
            Verdict::Fail => "❌",
            Verdict::NoBaseline | Verdict::NoGates => "⚠️",
            Verdict::Error => "💥",
        }
    );
    PublishRequest {
        markdown,
        json: json!({ "schema_version": 1, "verdict": verdict }).to_string(),
        verdict,
        failed_gates: gates,
        data_problems: vec![],
        suites: vec!["iris".into()],
        config_path: "mlops-ci.toml".into(),
    }
}

/// Retries fast enough for tests: backoffs of milliseconds, rate-limit waits up to 3 s.
pub fn fast_options() -> PublishOptions {
    PublishOptions {
        retry: RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_rate_limit_wait: Duration::from_secs(3),
        },
        request_timeout: Duration::from_secs(10),
        ..PublishOptions::default()
    }
}

pub fn ci_args() -> CiArgs {
    CiArgs {
        targets: PublishTargets::default(),
        fail_on_gate: true,
        strict_publish: false,
        no_publish: false,
        bundle_dir: None,
        allow_untrusted_fork: false,
    }
}
