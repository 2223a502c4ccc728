//! The README's "Add mlops-ci to your repository" steps, run as they are written on a fresh
//! clone of a bare remote. Two lines are stood in for: `pip install` (the binary under test is
//! on PATH instead; `.ci/test-dist.sh` installs the real wheel) and the `curl` of the workflow
//! (copied from examples/workflows, the file it downloads); `gh pr create` needs GitHub and is
//! left out (the comment itself is covered by the github_* tests).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::repo::{Sandbox, example};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shell block of the README section.
fn readme_steps() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let section = readme
        .split("## Add mlops-ci to your repository")
        .nth(1)
        .expect("the README has the section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section has a sh block");
    block.to_owned()
}

/// The steps as a script for this machine; panics on a line it does not know how to run here,
/// so that a new step cannot slip past the test.
fn script(steps: &str) -> String {
    let workflow = repo_root().join("examples/workflows/mlops-ci.yml");
    let mut out = String::from("set -ex\n");
    for line in steps.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "pip install mlops-ci" || line == "gh pr create --fill" {
            out.push_str(&format!("# stood in for: {line}\n"));
        } else if line.starts_with("curl ") {
            assert!(line.ends_with("examples/workflows/mlops-ci.yml"), "{line}");
            let target = line
                .split_whitespace()
                .nth(3)
                .expect("curl -fsSL -o FILE URL");
            out.push_str(&format!("cp '{}' {target}\n", workflow.display()));
        } else if line.starts_with("mlops-ci ")
            || line.starts_with("git ")
            || line.starts_with("mkdir ")
            || line.starts_with("cp ")
        {
            out.push_str(line);
            out.push('\n');
        } else {
            panic!("the README step `{line}` is not run by this test; teach the test about it");
        }
    }
    out
}

fn git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_five_steps_work_on_a_fresh_clone() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let home = sandbox.home();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
    sandbox.git(&["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let seed = sandbox.repo("seed");
    seed.copy(&example("iris/models/baseline.onnx"), "models/iris.onnx");
    seed.copy(&example("iris/data/test.csv"), "data/iris/test.csv");
    seed.commit_all("the iris model and its test data");
    seed.git(&[
        "push",
        "-q",
        &root.join("remote.git").to_string_lossy(),
        "main",
    ]);
    sandbox.git(&["clone", "-q", "remote.git", "work"]);
    // Step 5 copies the retrained model from beside the clone.
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        root.join("retrained.onnx"),
    )
    .unwrap();

    // `mlops-ci` on PATH, as `pip install` would put it.
    let bin_dir = root.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("mlops-ci"),
        bin_dir.join("mlops-ci"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let script = script(&readme_steps());
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(root.join("work"))
        .env("PATH", path)
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1");
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_BASE_REF",
        "GITHUB_OUTPUT",
        "MLOPS_CI_SKIP",
        "MLOPS_CI_BIN",
        "GIT_DIR",
        "GIT_WORK_TREE",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the README steps failed:\n{script}\n{text}"
    );

    // init found the model, its data and label, and the remote's default branch.
    assert!(text.contains("label `species`"), "{text}");
    assert!(text.contains("baseline  origin/main"), "{text}");
    // The retrained model fails a gate: on `retrain` the hook warns, shows the report, pushes.
    assert!(text.contains("accuracy got worse"), "{text}");
    assert!(
        text.contains("warning: the check failed for refs/heads/retrain"),
        "{text}"
    );
    let remote = root.join("remote.git");
    let pushed = git(&remote, &home, &["ls-tree", "--name-only", "-r", "main"]);
    assert!(
        pushed.contains("mlops-ci.toml") && pushed.contains(".github/workflows/mlops-ci.yml"),
        "{pushed}"
    );
    git(
        &remote,
        &home,
        &["rev-parse", "--verify", "refs/heads/retrain"],
    );
}
