//! Shared helpers for the integration tests: the binary, the repository's examples and
//! fixtures, and temporary git repositories (`repo`).
#![allow(dead_code)] // each test binary uses a different subset

pub mod repo;

use std::ops::Deref;
use std::path::PathBuf;

pub use repo::{Sandbox, TestRepo, example};

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The binary under test, isolated from the developer's git configuration and from GitHub
/// Actions variables.
pub fn mlops_ci() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mlops-ci").expect("binary is built");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_BASE_REF")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// `mlops-ci check -C dir`, run and ready for assertions.
pub fn check_in(dir: &std::path::Path) -> assert_cmd::assert::Assert {
    mlops_ci().args(["check", "-C"]).arg(dir).assert()
}

/// A repository that owns its sandbox (the temporary directory lives as long as it does).
pub struct Project {
    repo: TestRepo,
    _sandbox: Sandbox,
}

impl Project {
    /// `git init -b main` with an identity, and nothing committed.
    pub fn new() -> Self {
        let sandbox = Sandbox::new();
        Project {
            repo: sandbox.repo("project"),
            _sandbox: sandbox,
        }
    }
}

impl Deref for Project {
    type Target = TestRepo;
    fn deref(&self) -> &TestRepo {
        &self.repo
    }
}

/// An iris suite with its model at `models/model.onnx` and a git baseline.
pub const IRIS_CONFIG: &str = r#"[[suite]]
name = "iris"
model = "models/model.onnx"
task = "classification"

[suite.data]
path = "data/test.csv"
label = "species"

[[suite.gate]]
metric = "accuracy"
max_regression = 0.01
"#;

/// A repo whose `main` has the good iris model, and a `feature` branch (checked out) whose
/// commit replaces it with the worse candidate.
pub fn iris_repo_with_regression() -> Project {
    let repo = Project::new();
    repo.write("mlops-ci.toml", IRIS_CONFIG);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("baseline model");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrain: smaller tree");
    repo
}

/// Parses a JSON report written with `--format json`.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// A metric's value for `side` (`candidate` or `baseline`) in one suite of a JSON report.
pub fn metric(suite: &serde_json::Value, name: &str, side: &str) -> Option<f64> {
    suite["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["metric"] == name)?[side]
        .as_f64()
}
