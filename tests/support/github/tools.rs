//! The npm and pip tools the GitHub tests need, installed by .ci/install-github-tools.sh into
//! target/ci-tools. A missing tool fails the test with how to install it: these tests must
//! not pass by skipping.

use std::path::{Path, PathBuf};

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-tools")
}

/// `target/ci-tools/<relative>`, which must exist.
pub fn required(relative: &str) -> PathBuf {
    let path = dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `bash .ci/install-github-tools.sh` (installs prism, @octokit/openapi, \
         @octokit/webhooks-examples, actionlint and check-jsonschema into target/ci-tools)",
        path.display()
    );
    path
}

/// The real webhook payloads of `@octokit/webhooks-examples`: `(event name, examples)`.
pub fn webhook_examples() -> Vec<(String, Vec<serde_json::Value>)> {
    let path = required("node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let text = std::fs::read_to_string(&path).expect("read webhook examples");
    let index: Vec<serde_json::Value> =
        serde_json::from_str(&text).expect("parse webhook examples");
    index
        .into_iter()
        .map(|event| {
            let name = event["name"].as_str().unwrap_or_default().to_owned();
            let examples = event["examples"].as_array().cloned().unwrap_or_default();
            (name, examples)
        })
        .collect()
}

/// The first example of `event` whose `action` is `action` (any action for `None`).
pub fn webhook_example(event: &str, action: Option<&str>) -> serde_json::Value {
    webhook_examples()
        .into_iter()
        .find(|(name, _)| name == event)
        .and_then(|(_, examples)| {
            examples
                .into_iter()
                .find(|e| action.is_none_or(|a| e["action"] == a))
        })
        .unwrap_or_else(|| {
            panic!("no `{event}` example with action {action:?} in @octokit/webhooks-examples")
        })
}
