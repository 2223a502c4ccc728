//! `[hook] block`: a failing check refuses pushes to the listed branches and only warns on the
//! others; the hook is installed from a subdirectory and finds the config in a parent.

mod support;

use predicates::str::contains;
use support::repo::{Sandbox, TestRepo, example};

/// The config lives in `ml/`, as in a repository where models are one part among others.
const CONFIG: &str = r#"[hook]
block = ["main", "release/*"]

[[suite]]
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

fn pushed_project(sandbox: &Sandbox) -> TestRepo {
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let repo = sandbox.repo("work");
    repo.write("ml/mlops-ci.toml", CONFIG);
    repo.copy(
        &example("iris/models/baseline.onnx"),
        "ml/models/model.onnx",
    );
    repo.copy(&example("iris/data/test.csv"), "ml/data/test.csv");
    repo.write("README.md", "iris\n");
    repo.commit_all("baseline model");
    let remote = sandbox.dir.path().join("remote.git");
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()]);
    repo.git(&["push", "-q", "-u", "origin", "main"]);
    repo
}

fn push(repo: &TestRepo, args: &[&str]) -> (bool, String) {
    let mut all = vec!["push"];
    all.extend_from_slice(args);
    let out = repo.git_output(&all, &[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn installed_from_a_subdirectory_it_blocks_main_and_warns_on_a_wip_branch() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);

    // From `ml/data`: the config is one directory up, and that is what the hook records.
    repo.mlops_ci()
        .current_dir(repo.path.join("ml/data"))
        .args(["hook", "install"])
        .assert()
        .success()
        .stdout(contains("it checks with ml/mlops-ci.toml"))
        .stdout(contains("refuses pushes to `main`, `release/*`"));
    let script = std::fs::read_to_string(repo.path.join(".git/hooks/pre-push")).unwrap();
    assert!(script.contains("-C 'ml'"), "{script}");

    // A push that touches no suite goes through (and loads no runtime).
    repo.write("README.md", "iris, documented\n");
    repo.commit_all("docs");
    let (ok, output) = push(&repo, &["origin", "main"]);
    assert!(ok, "{output}");
    assert!(output.contains("nothing to check"), "{output}");

    // A regressing model on a work-in-progress branch: full report, a warning, pushed.
    repo.git(&["checkout", "-q", "-b", "wip/retrain"]);
    repo.copy(
        &example("iris/models/candidate.onnx"),
        "ml/models/model.onnx",
    );
    repo.commit_all("retrained model");
    let (ok, output) = push(&repo, &["origin", "wip/retrain"]);
    assert!(ok, "a WIP branch only warns:\n{output}");
    assert!(
        output.contains("accuracy got worse"),
        "the report is shown:\n{output}"
    );
    assert!(
        output.contains("warning: the check failed for refs/heads/wip/retrain"),
        "{output}"
    );
    assert!(
        output.contains("matches no pattern of `[hook] block`"),
        "{output}"
    );

    // The same commit pushed to main is refused, and so is a release branch.
    let (ok, output) = push(&repo, &["origin", "wip/retrain:main"]);
    assert!(!ok, "a push to main is refused:\n{output}");
    assert!(output.contains("push refused"), "{output}");
    let (ok, output) = push(&repo, &["origin", "wip/retrain:refs/heads/release/2.0"]);
    assert!(!ok, "a push to a release branch is refused:\n{output}");
}

#[test]
fn warn_mode_never_refuses() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    repo.write(
        "ml/mlops-ci.toml",
        format!(
            "[hook]\nmode = \"warn\"\n\n{}",
            &CONFIG[CONFIG.find("[[suite]]").unwrap()..]
        ),
    );
    repo.commit_all("warn only");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.mlops_ci()
        .args(["-C", "ml", "hook", "install"])
        .assert()
        .success()
        .stdout(contains("never refuses"));
    repo.copy(
        &example("iris/models/candidate.onnx"),
        "ml/models/model.onnx",
    );
    repo.commit_all("retrained model");
    let (ok, output) = push(&repo, &["origin", "main"]);
    assert!(ok, "{output}");
    assert!(output.contains("`[hook] mode = \"warn\"`"), "{output}");
}

#[test]
fn commands_find_the_config_in_a_parent_directory_and_suggest_init_without_one() {
    let sandbox = Sandbox::new();
    let repo = pushed_project(&sandbox);
    // `detect` from a subdirectory of the config's directory: paths stay relative to `ml/`.
    repo.mlops_ci()
        .current_dir(repo.path.join("ml/models"))
        .args(["detect", "--base", "HEAD"])
        .assert()
        .success();
    repo.mlops_ci()
        .current_dir(repo.path.join("ml/data"))
        .args(["check", "--all", "--base", "HEAD", "--format", "json"])
        .assert()
        .code(0)
        .stdout(contains("\"verdict\": \"pass\""));

    // Above the config, nothing is found: the error says what to do, and no hook is written.
    repo.mlops_ci()
        .args(["check"])
        .assert()
        .code(2)
        .stderr(contains("no mlops-ci.toml in . or its parent directories"))
        .stderr(contains("mlops-ci init"));
    repo.mlops_ci()
        .args(["hook", "install"])
        .assert()
        .code(2)
        .stderr(contains("mlops-ci init"));
    assert!(!repo.path.join(".git/hooks/pre-push").exists());
}
