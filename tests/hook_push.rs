//! The installed pre-push hook, exercised by real `git push`es to a local bare repository.

mod support;

use support::repo::{Sandbox, TestRepo, example};

/// A git baseline (no `baseline.path`): the pushed commits are compared with what the remote has.
const CONFIG: &str = r#"[[suite]]
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

/// The iris baseline model pushed to `remote.git`, and the hook installed.
fn pushed_project(sandbox: &Sandbox) -> TestRepo {
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let repo = sandbox.repo("work");
    repo.write("mlops-ci.toml", CONFIG);
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.write("README.md", "iris\n");
    repo.commit_all("baseline model");
    let remote = sandbox.dir.path().join("remote.git");
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()]);
    repo.git(&["push", "-q", "-u", "origin", "main"]);
    repo
}

fn install(repo: &TestRepo) -> String {
    let out = repo.mlops_ci().args(["hook", "install"]).output().unwrap();
    assert!(
        out.status.success(),
        "install failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn remote_head(sandbox: &Sandbox, branch: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "--git-dir",
            "remote.git",
            "rev-parse",
            "--verify",
            "--quiet",
            branch,
        ])
        .current_dir(sandbox.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", sandbox.home())
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `git push`; returns (success, stdout+stderr).
fn push(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut all = vec!["push"];
    all.extend_from_slice(args);
    let out = repo.git_output(&all, env);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn a_push_that_regresses_a_gate_is_refused_with_the_report() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    let before = remote_head(&sandbox, "main");
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrained model");

    let (ok, output) = push(&repo, &["origin", "main"], &[]);
    assert!(!ok, "the push must be refused:\n{output}");
    assert!(
        output.contains("model `models/model.onnx` modified (committed)"),
        "{output}"
    );
    assert!(
        output.contains("accuracy got worse by 0.2833"),
        "the report is shown:\n{output}"
    );
    assert!(output.contains("push refused"), "{output}");
    assert_eq!(
        remote_head(&sandbox, "main"),
        before,
        "the remote is unchanged"
    );

    // The documented ways around it.
    let (ok, output) = push(&repo, &["origin", "main"], &[("MLOPS_CI_SKIP", "1")]);
    assert!(ok && output.contains("MLOPS_CI_SKIP"), "{output}");
    assert_eq!(remote_head(&sandbox, "main"), Some(repo.head()));
}

#[test]
fn no_verify_skips_the_hook() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrained model");
    let (ok, output) = push(&repo, &["--no-verify", "origin", "main"], &[]);
    assert!(ok, "{output}");
    assert!(!output.contains("mlops-ci"), "{output}");
}

#[test]
fn an_unrelated_push_passes_without_loading_onnx_runtime() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    repo.write("README.md", "iris, documented\n");
    repo.commit_all("docs");
    // A runtime that does not exist: loading it would fail the push.
    let (ok, output) = push(
        &repo,
        &["origin", "main"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(ok, "{output}");
    assert!(output.contains("nothing to check"), "{output}");
    assert_eq!(remote_head(&sandbox, "main"), Some(repo.head()));
}

#[test]
fn a_pushed_commit_that_is_not_head_is_checked_as_committed() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    repo.git(&["checkout", "-q", "-b", "retrain"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrained model");
    // Back on main, whose working tree has the good model: the hook must still check the
    // pushed commit's model, not the working tree's.
    repo.git(&["checkout", "-q", "main"]);
    let (ok, output) = push(&repo, &["origin", "retrain"], &[]);
    assert!(!ok, "{output}");
    assert!(output.contains("accuracy got worse"), "{output}");
    assert_eq!(remote_head(&sandbox, "retrain"), None);
    // The temporary worktree is gone again.
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}

#[test]
fn deleting_a_branch_passes() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    repo.git(&["checkout", "-q", "-b", "old"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("a bad model on a branch");
    repo.git(&["push", "-q", "--no-verify", "origin", "old"]);
    repo.git(&["checkout", "-q", "main"]);
    install(&repo);

    let (ok, output) = push(
        &repo,
        &["origin", "--delete", "old"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(ok, "{output}");
    assert!(output.contains("a deletion, nothing to check"), "{output}");
    assert_eq!(remote_head(&sandbox, "old"), None);
}

#[test]
fn a_new_branch_is_compared_with_the_remote_default_branch() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("README.md", "feature docs\n");
    repo.commit_all("docs on a new branch");
    let (ok, output) = push(
        &repo,
        &["-u", "origin", "feature"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(ok, "{output}");
    assert!(output.contains("nothing to check"), "{output}");

    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrained");
    repo.git(&["checkout", "-q", "-b", "feature2"]);
    let (ok, output) = push(&repo, &["origin", "feature2"], &[]);
    assert!(
        !ok,
        "a new branch carrying the regression is refused:\n{output}"
    );
}

#[test]
fn an_existing_user_hook_still_runs_and_is_restored_on_uninstall() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    let user_hook = "#!/bin/sh\n# the team's own hook\ncat > \"$(git rev-parse --git-dir)/user-hook-saw\"\necho \"user hook: $1\"\n";
    let hook_path = repo.path.join(".git/hooks/pre-push");
    std::fs::write(&hook_path, user_hook).unwrap();
    make_executable(&hook_path);

    let said = install(&repo);
    assert!(said.contains("runs first"), "{said}");
    repo.write("README.md", "more docs\n");
    let head = repo.commit_all("docs");
    let (ok, output) = push(
        &repo,
        &["origin", "main"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(ok, "{output}");
    assert!(output.contains("user hook: origin"), "{output}");
    assert!(output.contains("nothing to check"), "{output}");
    let saw = std::fs::read_to_string(repo.path.join(".git/user-hook-saw")).unwrap();
    assert_eq!(
        saw,
        format!(
            "refs/heads/main {head} refs/heads/main {}\n",
            repo.git(&["rev-parse", "HEAD~1"]).trim()
        )
    );

    // A failing user hook still refuses the push, before mlops-ci runs.
    std::fs::write(
        repo.path.join(".git/hooks/pre-push.before-mlops-ci"),
        "#!/bin/sh\necho 'user hook says no'\nexit 3\n",
    )
    .unwrap();
    repo.write("README.md", "even more docs\n");
    repo.commit_all("docs");
    let (ok, output) = push(&repo, &["origin", "main"], &[]);
    assert!(!ok && output.contains("user hook says no"), "{output}");

    std::fs::write(
        repo.path.join(".git/hooks/pre-push.before-mlops-ci"),
        user_hook,
    )
    .unwrap();
    let out = repo
        .mlops_ci()
        .args(["hook", "uninstall"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&hook_path).unwrap(), user_hook);
    assert!(
        !repo
            .path
            .join(".git/hooks/pre-push.before-mlops-ci")
            .exists()
    );
}

fn make_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The pre-commit framework runs pre-push hooks without stdin, describing the push in its
/// environment instead.
#[test]
fn the_pre_commit_framework_environment_is_understood() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    let remote = repo.head();
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    let head = repo.commit_all("retrained model");
    repo.mlops_ci()
        .args(["hook", "run", "pre-push"])
        .env("PRE_COMMIT_FROM_REF", &remote)
        .env("PRE_COMMIT_TO_REF", &head)
        .env("PRE_COMMIT_REMOTE_NAME", "origin")
        .assert()
        .code(1)
        .stdout(predicates::str::contains("accuracy got worse"))
        .stderr(predicates::str::contains("push refused"));

    // Malformed input from git is an error, not a pass.
    repo.mlops_ci()
        .args(["hook", "run", "pre-push", "origin"])
        .write_stdin("refs/heads/main not-a-sha\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pre-push input line 1"));
}

/// With `[baseline] path`, the hook compares with that fixed file, as `check` does, not with
/// the remote's version of the model.
#[test]
fn a_fixed_baseline_file_stays_the_baseline_in_the_hook() {
    let sandbox = Sandbox::new();
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let repo = sandbox.repo("work");
    repo.write(
        "mlops-ci.toml",
        format!("[baseline]\npath = \"models/prod.onnx\"\n\n{CONFIG}"),
    );
    // The remote already has the weak model as both candidate and fixed baseline.
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.copy(&example("iris/models/candidate.onnx"), "models/prod.onnx");
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.commit_all("weak model everywhere");
    let remote = sandbox.dir.path().join("remote.git");
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()]);
    repo.git(&["push", "-q", "origin", "main"]);
    install(&repo);

    // Production gets the strong model: the unchanged candidate is now a regression against it.
    repo.copy(&example("iris/models/baseline.onnx"), "models/prod.onnx");
    repo.commit_all("strong production model");
    let (ok, output) = push(&repo, &["origin", "main"], &[]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("baseline model `models/prod.onnx` modified"),
        "{output}"
    );
    assert!(output.contains("accuracy got worse by 0.2833"), "{output}");
}

#[test]
fn pushing_an_annotated_tag_checks_the_commit_it_names() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    install(&repo);
    repo.git(&["tag", "-a", "v1", "-m", "release 1"]);
    let (ok, output) = push(
        &repo,
        &["origin", "v1"],
        &[("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert!(ok, "{output}");
    assert!(
        output.contains("refs/tags/v1: nothing to check"),
        "{output}"
    );

    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrained model");
    repo.git(&["tag", "-a", "v2", "-m", "release 2"]);
    let (ok, output) = push(&repo, &["origin", "v2"], &[]);
    assert!(!ok, "a tag on a regressing commit is refused:\n{output}");
    assert!(output.contains("accuracy got worse"), "{output}");
}
