//! Helpers for the integration tests: the binary, the repository's examples, and temporary
//! git repositories made with the real `git` CLI.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example(path: &str) -> PathBuf {
    root().join("examples").join(path)
}

pub fn fixture(path: &str) -> PathBuf {
    root().join("tests/fixtures").join(path)
}

/// The binary under test, isolated from the developer's git configuration.
pub fn mlops_ci() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mlops-ci").expect("binary is built");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_BASE_REF")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A git repository in a temporary directory.
pub struct TempRepo {
    pub dir: tempfile::TempDir,
}

impl TempRepo {
    /// `git init -b main` with an identity, and nothing committed.
    pub fn new() -> Self {
        let repo = TempRepo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git and returns its stdout; panics with its stderr on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let target = self.path().join(path);
        std::fs::create_dir_all(target.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(target, content).expect("write");
    }

    pub fn copy(&self, from: &Path, to: &str) {
        self.write(to, std::fs::read(from).expect("read source"));
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
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
pub fn iris_repo_with_regression() -> TempRepo {
    let repo = TempRepo::new();
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
