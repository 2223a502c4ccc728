//! `mlops-ci hook install|uninstall`, and the pre-commit hook through a real `git commit`.

mod support;

use predicates::str::contains;
use support::repo::{Sandbox, TestRepo, example};

const CONFIG: &str = "[[suite]]\nname = \"iris\"\nmodel = \"models/model.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = \"data/test.csv\"\nlabel = \"species\"\n\n[[suite.gate]]\nmetric = \"accuracy\"\nmax_regression = 0.01\n";

fn project(sandbox: &Sandbox) -> TestRepo {
    let repo = sandbox.repo("work");
    repo.write("mlops-ci.toml", CONFIG);
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.commit_all("baseline model");
    repo
}

#[test]
fn install_respects_core_hooks_path_and_is_idempotent() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.mlops_ci()
        .args(["hook", "install", "--pre-push", "--pre-commit"])
        .assert()
        .success()
        .stdout(contains(".githooks/pre-push"));
    let script = std::fs::read_to_string(repo.path.join(".githooks/pre-push")).unwrap();
    assert!(script.contains("hook run pre-push"), "{script}");
    assert!(repo.path.join(".githooks/pre-commit").exists());
    assert!(
        !repo.path.join(".git/hooks/pre-push").exists(),
        "core.hooksPath wins over .git/hooks"
    );

    // Installing again updates in place; it does not chain the hook to itself.
    repo.mlops_ci()
        .args(["hook", "install"])
        .assert()
        .success()
        .stdout(contains("updated pre-push hook"));
    assert!(
        !repo
            .path
            .join(".githooks/pre-push.before-mlops-ci")
            .exists()
    );

    repo.mlops_ci()
        .args(["hook", "uninstall"])
        .assert()
        .success()
        .stdout(contains("removed the mlops-ci pre-push hook"))
        .stdout(contains("removed the mlops-ci pre-commit hook"));
    assert!(!repo.path.join(".githooks/pre-push").exists());
    repo.mlops_ci()
        .args(["hook", "uninstall"])
        .assert()
        .success()
        .stdout(contains("no pre-push hook installed"));
}

#[test]
fn a_hook_mlops_ci_did_not_write_is_never_removed_or_overwritten() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    let hooks = repo.path.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    repo.mlops_ci()
        .args(["hook", "uninstall", "--pre-commit"])
        .assert()
        .success()
        .stdout(contains("not written by mlops-ci"));
    assert!(hooks.join("pre-commit").exists());

    // A leftover from an earlier install beside a foreign hook: refuse rather than lose one.
    std::fs::write(
        hooks.join("pre-commit.before-mlops-ci"),
        "#!/bin/sh\nexit 0\n",
    )
    .unwrap();
    repo.mlops_ci()
        .args(["hook", "install", "--pre-commit"])
        .assert()
        .code(2)
        .stderr(contains("will not overwrite"));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

#[test]
fn install_outside_a_repository_is_an_error() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("mlops-ci").unwrap();
    cmd.current_dir(&dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", sandbox.home())
        .env("GIT_CEILING_DIRECTORIES", sandbox.dir.path());
    cmd.args(["hook", "install"])
        .assert()
        .code(2)
        .stderr(contains("not in a git repository"));
}

#[test]
fn the_pre_commit_hook_refuses_a_staged_regression_and_ignores_the_rest() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.mlops_ci()
        .args(["hook", "install", "--pre-commit"])
        .assert()
        .success();

    repo.write("notes.md", "notes\n");
    repo.git(&["add", "notes.md"]);
    let out = repo.git_output(
        &["commit", "-m", "notes"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to check"));

    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.git(&["add", "models/model.onnx"]);
    let out = repo.git_output(&["commit", "-m", "retrained"], &[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("accuracy got worse") && text.contains("commit refused"),
        "{text}"
    );
    assert_eq!(
        repo.git(&["log", "--format=%s", "-1"]).trim(),
        "notes",
        "nothing was committed"
    );
}
