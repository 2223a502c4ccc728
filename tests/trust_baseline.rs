//! The baseline rule (issue 7, findings 1, 2 and 7): `check`, the pre-push hook and `ci`
//! compare a change with the branch it will merge into, as that branch is now; never with
//! the branch's own upstream, nor with where it forked. Real repositories, a real bare remote.

mod support;

use support::repo::{Sandbox, TestRepo, example};
use support::{fixture, json};

/// Relative gate only: a branch compared with itself would pass it whatever its model.
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

/// `main` with `model` pushed to a bare `remote.git` (no `origin/HEAD`: the remote was
/// added, not cloned).
fn pushed_main(sandbox: &Sandbox, model: &std::path::Path) -> TestRepo {
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let repo = sandbox.repo("work");
    repo.write("mlops-ci.toml", CONFIG);
    repo.copy(model, "models/model.onnx");
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.write("README.md", "iris\n");
    repo.commit_all("main: first model");
    let remote = sandbox.dir.path().join("remote.git");
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()]);
    repo.git(&["push", "-q", "-u", "origin", "main"]);
    repo
}

fn report(repo: &TestRepo, args: &[&str]) -> (i32, serde_json::Value) {
    let out = repo
        .mlops_ci()
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "check failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&out.stdout))
}

fn accuracy(report: &serde_json::Value, side: &str) -> f64 {
    support::metric(&report["suites"][0], "accuracy", side).expect("accuracy")
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

/// Finding 1: after `git push -u origin feature`, the upstream is the branch's own remote
/// copy. `check` used to say "nothing to check since `origin/feature`" and `check --all` passed
/// its relative gate against itself.
#[test]
fn a_pushed_feature_branch_is_compared_with_main_not_its_own_upstream() {
    let sandbox = Sandbox::new();
    let repo = pushed_main(&sandbox, &example("iris/models/baseline.onnx"));
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("feature: a much worse model");
    repo.git(&["push", "-q", "--no-verify", "-u", "origin", "feature"]);

    let (code, affected) = report(&repo, &[]);
    assert_eq!(code, 1, "the regression is found: {affected:#}");
    let description = affected["baseline"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("`origin/main` as it is now (the remote's `main` branch)"),
        "{description}"
    );
    assert!(!description.contains("origin/feature"), "{description}");
    assert!((accuracy(&affected, "baseline") - 0.95).abs() < 1e-9);

    let (code, all) = report(&repo, &["--all"]);
    assert_eq!(code, 1, "--all compares with main too: {all:#}");
    assert_eq!(all["suites"][0]["gates"][0]["outcome"], "fail");

    // Detection names the rule and the base too.
    let out = repo.mlops_ci().arg("detect").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("base: `origin/main` as it is now"), "{text}");
    assert!(
        text.contains("model `models/model.onnx` modified"),
        "{text}"
    );
}

/// Finding 2: a branch forked from an old `main` is compared with `main`'s tip by the hook,
/// as CI compares it, not with the fork point. Old main 0.883, branch 0.917 (+0.033 on the
/// fork point), main now 0.95 (−0.033 for the branch).
#[test]
fn the_hook_and_check_compare_an_old_branch_with_main_as_it_is_now() {
    let sandbox = Sandbox::new();
    let repo = pushed_main(&sandbox, &fixture("models/iris_weak.onnx"));
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&fixture("models/iris_tree2.onnx"), "models/model.onnx");
    repo.commit_all("feature: better than the old main");
    repo.git(&["checkout", "-q", "main"]);
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("main: much better model");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["checkout", "-q", "feature"]);

    let (code, local) = report(&repo, &[]);
    assert_eq!(code, 1, "{local:#}");
    assert!((accuracy(&local, "baseline") - 0.95).abs() < 1e-9);
    assert!((accuracy(&local, "candidate") - 0.9167).abs() < 1e-3);
    let (code, explicit) = report(&repo, &["--base", "origin/main"]);
    assert_eq!(code, 1);
    assert_eq!(explicit["baseline"]["commit"], local["baseline"]["commit"]);
    let description = explicit["baseline"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("`origin/main` given by --base"),
        "{description}"
    );

    let installed = repo.mlops_ci().args(["hook", "install"]).output().unwrap();
    assert!(installed.status.success());
    let (ok, output) = push(&repo, &["-u", "origin", "feature"]);
    assert!(!ok, "the hook refuses, as CI would:\n{output}");
    assert!(
        output.contains("`origin/main` as it is now (the remote's `main` branch)"),
        "{output}"
    );
    assert!(output.contains("accuracy got worse by 0.0333"), "{output}");
}

/// Pushing `main` itself compares with the remote's `main` as it is now: only the pushed
/// commits count.
#[test]
fn pushing_main_compares_with_the_remote_main() {
    let sandbox = Sandbox::new();
    let repo = pushed_main(&sandbox, &example("iris/models/baseline.onnx"));
    repo.mlops_ci().args(["hook", "install"]).assert().success();
    repo.copy(&fixture("models/iris_tree2.onnx"), "models/model.onnx");
    repo.commit_all("main: a worse model");
    let (ok, output) = push(&repo, &["origin", "main"]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("`origin/main` as it is now (the branch being pushed to)"),
        "{output}"
    );
}

/// Finding 7: "as configured" only when `baseline.ref` is configured; a pushed commit checked
/// out in a temporary worktree is labelled with its commit, not "(working tree)".
#[test]
fn labels_say_which_rule_chose_the_baseline_and_what_the_candidate_is() {
    let sandbox = Sandbox::new();
    let repo = pushed_main(&sandbox, &example("iris/models/baseline.onnx"));
    let first = repo.head();
    repo.copy(&fixture("models/iris_tree2.onnx"), "models/model.onnx");
    repo.commit_all("main: another model");

    let (_, given) = report(&repo, &["--base", &first]);
    let description = given["baseline"]["description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("`{first}` given by --base")),
        "{description}"
    );
    assert!(!description.contains("configured"), "{description}");

    repo.write(
        "mlops-ci.toml",
        format!("[baseline]\nref = \"HEAD~1\"\n\n{CONFIG}"),
    );
    let (_, configured) = report(&repo, &["--all"]);
    let description = configured["baseline"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("`HEAD~1` as configured in baseline.ref"),
        "{description}"
    );
    repo.git(&["checkout", "-q", "mlops-ci.toml"]);

    // The pushed commit is not HEAD: the hook checks it out in a temporary worktree.
    repo.mlops_ci().args(["hook", "install"]).assert().success();
    repo.git(&["checkout", "-q", "-b", "retrain"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    let pushed = repo.commit_all("retrain: worse");
    repo.git(&["checkout", "-q", "main"]);
    let (ok, output) = push(&repo, &["origin", "retrain"]);
    assert!(!ok, "{output}");
    assert!(
        output.contains(&format!(
            "commit {} being pushed as `refs/heads/retrain`",
            &pushed[..10]
        )),
        "{output}"
    );
    assert!(!output.contains("working tree"), "{output}");
}
