//! `mlops-ci init` on a repository built from scikit-learn data: the config it writes runs.

mod support;

use predicates::str::contains;
use support::repo::{Sandbox, TestRepo, example};

/// Three models as a team would lay them out (one per file, data in its own tree), pushed to
/// a bare remote and cloned, so that `origin/HEAD` names the default branch.
fn cloned_project(sandbox: &Sandbox) -> TestRepo {
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let seed = sandbox.repo("seed");
    seed.copy(&example("iris/models/baseline.onnx"), "models/iris.onnx");
    seed.copy(&example("iris/data/test.csv"), "data/iris/test.csv");
    seed.copy(
        &example("diabetes/models/baseline.onnx"),
        "models/diabetes.onnx",
    );
    seed.copy(&example("diabetes/data/test.csv"), "data/diabetes/test.csv");
    seed.copy(
        &example("breast-cancer/models/baseline.onnx"),
        "cancer/model.onnx",
    );
    seed.copy(&example("breast-cancer/data/test.csv"), "cancer/eval.csv");
    seed.write("README.md", "models\n");
    seed.commit_all("models and data");
    let remote = sandbox.dir.path().join("remote.git");
    seed.git(&["push", "-q", &remote.to_string_lossy(), "main"]);
    sandbox.git(&["clone", "-q", "remote.git", "work"]);
    let work = sandbox.open("work");
    work.git(&["config", "user.name", "Test"]);
    work.git(&["config", "user.email", "test@example.com"]);
    work
}

#[test]
fn init_writes_a_config_that_check_runs_without_edits() {
    let sandbox = Sandbox::new();
    let repo = cloned_project(&sandbox);
    repo.mlops_ci()
        .args(["init", "--yes"])
        .assert()
        .success()
        .stdout(contains("with 3 suites"))
        .stdout(contains("label `species`"))
        .stdout(contains("baseline  origin/main"));
    let config = std::fs::read_to_string(repo.path.join("mlops-ci.toml")).unwrap();
    for expected in [
        "ref = \"origin/main\"",
        "block = [\"main\", \"release/*\"]",
        "name = \"iris\"",
        "path = \"data/iris/test.csv\"",
        "label = \"species\"",
        "name = \"diabetes\"",
        "task = \"regression\"",
        "path = \"data/diabetes/test.csv\"",
        "name = \"cancer\"",
        "path = \"cancer/eval.csv\"",
        "metric = \"rmse\"",
    ] {
        assert!(
            config.contains(expected),
            "missing `{expected}` in:\n{config}"
        );
    }

    // Without any edit, every suite runs: a verdict (0 or 1), never an error (2).
    let out = repo.mlops_ci().args(["check", "--all"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for suite in ["suite iris", "suite diabetes", "suite cancer"] {
        assert!(text.contains(suite), "{text}");
    }

    // A worse model is caught by the gates init wrote.
    repo.copy(&example("iris/models/candidate.onnx"), "models/iris.onnx");
    repo.mlops_ci()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(contains("accuracy got worse"));

    // It never overwrites.
    repo.mlops_ci()
        .args(["init", "--yes"])
        .assert()
        .code(2)
        .stderr(contains("already exists"));
}

#[test]
fn init_says_what_is_missing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("empty");
    repo.write("README.md", "nothing yet\n");
    repo.mlops_ci()
        .args(["init", "--yes"])
        .assert()
        .code(2)
        .stderr(contains("no .onnx model"));
    repo.copy(&example("iris/models/baseline.onnx"), "model.onnx");
    repo.mlops_ci()
        .args(["init", "--yes"])
        .assert()
        .code(2)
        .stderr(contains("no evaluation data"));
    assert!(!repo.path.join("mlops-ci.toml").exists());
}
