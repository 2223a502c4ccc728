//! `mlops-ci detect` against real repositories: which suites a change affects, and why.

mod support;

use predicates::str::contains;
use serde_json::Value;
use support::repo::{Sandbox, TestRepo};

const CONFIG: &str = r#"[[suite]]
name = "iris"
model = "models/iris.onnx"
task = "classification"
watch = ["features/**", "src/prep.py"]

[suite.data]
path = "data/iris.csv"
label = "species"

[[suite]]
name = "wine"
model = "models/wine.onnx"
task = "classification"

[suite.data]
path = "data/wine.csv"
label = "y"

[[suite.gate]]
metric = "accuracy"
min = 0.8
"#;

/// Two suites committed on `main`, then a `feature` branch: the base is `main`.
fn project(sandbox: &Sandbox) -> TestRepo {
    let repo = sandbox.repo("project");
    repo.write("mlops-ci.toml", CONFIG);
    repo.write("models/iris.onnx", "iris model v1");
    repo.write("models/wine.onnx", "wine model v1");
    repo.write("data/iris.csv", "a,b,species\n1,2,x\n");
    repo.write("data/wine.csv", "a,y\n1,0\n");
    repo.write("features/scale.py", "def scale(x): return x\n");
    repo.write("README.md", "hello\n");
    repo.write(".gitignore", "*.pyc\n");
    repo.commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

fn detect(repo: &TestRepo) -> Value {
    let out = repo.mlops_ci().args(["detect", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "detect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("detect --json prints JSON")
}

fn suites(json: &Value) -> Vec<&str> {
    json["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

fn reasons<'a>(json: &'a Value, suite: &str) -> &'a Vec<Value> {
    let entry = json["affected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == suite)
        .unwrap_or_else(|| panic!("{suite} not affected: {json:#}"));
    entry["reasons"].as_array().unwrap()
}

#[test]
fn a_committed_model_change_affects_only_its_suite() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("models/iris.onnx", "iris model v2");
    repo.commit_all("retrain iris");

    let json = detect(&repo);
    assert_eq!(suites(&json), ["iris"]);
    assert_eq!(json["any"], true);
    let reason = &reasons(&json, "iris")[0];
    assert_eq!(reason["kind"], "model");
    assert_eq!(reason["change"], "modified");
    assert_eq!(reason["origin"], "committed");
    assert_eq!(json["unaffected"], serde_json::json!(["wine"]));
    assert!(
        json["base"]["how"]
            .as_str()
            .unwrap()
            .starts_with("`main` (the local default branch"),
        "{json:#}"
    );
}

#[test]
fn renames_count_for_both_paths() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    // The wine data moves away (the suite's path loses its file); the README moves (irrelevant).
    repo.git(&["mv", "data/wine.csv", "data/archive-wine.csv"]);
    repo.git(&["mv", "README.md", "README.txt"]);
    repo.commit_all("move files");

    let json = detect(&repo);
    assert_eq!(suites(&json), ["wine"]);
    let reason = &reasons(&json, "wine")[0];
    assert_eq!(reason["kind"], "data");
    assert_eq!(reason["change"], "renamed");
    assert!(
        reason["message"]
            .as_str()
            .unwrap()
            .contains("from `data/wine.csv`"),
        "{reason:#}"
    );
}

#[test]
fn a_deleted_model_in_the_working_tree_is_a_change() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.remove("models/wine.onnx");

    let json = detect(&repo);
    assert_eq!(suites(&json), ["wine"]);
    let reason = &reasons(&json, "wine")[0];
    assert_eq!(
        (reason["change"].as_str(), reason["origin"].as_str()),
        (Some("deleted"), Some("unstaged"))
    );
}

#[test]
fn untracked_files_count_and_ignored_ones_do_not() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("features/cache.pyc", "ignored");
    assert_eq!(
        detect(&repo)["any"],
        false,
        "an ignored file is not a change"
    );

    repo.write("features/deep/new_feature.py", "x = 1\n");
    let json = detect(&repo);
    assert_eq!(suites(&json), ["iris"]);
    let reason = &reasons(&json, "iris")[0];
    assert_eq!(
        (reason["kind"].as_str(), reason["origin"].as_str()),
        (Some("watch"), Some("untracked"))
    );
    assert_eq!(reason["path"], "features/deep/new_feature.py");
}

#[test]
fn staged_only_changes_are_seen() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("data/wine.csv", "a,y\n1,0\n2,1\n");
    repo.git(&["add", "data/wine.csv"]);

    let json = detect(&repo);
    assert_eq!(suites(&json), ["wine"]);
    assert_eq!(reasons(&json, "wine")[0]["origin"], "staged");
}

#[test]
fn watch_globs_match_like_gitignore() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    // `features/**` must not match `features_old/…`; `src/prep.py` is a literal path.
    repo.write("features_old/a.py", "old\n");
    repo.commit_all("unrelated lookalike");
    assert_eq!(detect(&repo)["any"], false);

    repo.write("src/prep.py", "def prep(): pass\n");
    repo.commit_all("preprocessing");
    let json = detect(&repo);
    assert_eq!(suites(&json), ["iris"]);
    let message = reasons(&json, "iris")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("matches `src/prep.py`"), "{message}");
}

#[test]
fn a_config_change_affects_only_the_suites_whose_settings_changed() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    // Comments and formatting are not settings.
    repo.write(
        "mlops-ci.toml",
        format!(
            "# evaluation suites\n\n{}",
            CONFIG.replace("min = 0.8", "min   =   0.8")
        ),
    );
    repo.commit_all("reformat");
    assert_eq!(detect(&repo)["any"], false);

    repo.write("mlops-ci.toml", CONFIG.replace("min = 0.8", "min = 0.85"));
    repo.commit_all("stricter wine gate");
    let json = detect(&repo);
    assert_eq!(suites(&json), ["wine"]);
    let reason = &reasons(&json, "wine")[0];
    assert_eq!(reason["kind"], "config");
    assert!(
        reason["message"].as_str().unwrap().contains("`gate`"),
        "{reason:#}"
    );

    // `[runtime]` applies to every suite.
    repo.write(
        "mlops-ci.toml",
        format!("[runtime]\nbatch_size = 64\n\n{CONFIG}"),
    );
    assert_eq!(suites(&detect(&repo)), ["iris", "wine"]);
}

#[test]
fn nothing_relevant_changed_is_one_line_and_exit_0_without_onnx_runtime() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("README.md", "hello again\n");
    repo.commit_all("docs");
    repo.write("notes.txt", "untracked and irrelevant\n");

    let text = repo
        .mlops_ci()
        .arg("detect")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("nothing to check"), "{text}");

    // `check` takes the same path: no ONNX Runtime is looked for (this library does not
    // exist, so any attempt to load it would fail with exit 2) and no data is read (the
    // "models" are not even ONNX).
    let out = repo
        .mlops_ci()
        .arg("check")
        .env("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("nothing to check") && stdout.contains("--all"),
        "{stdout}"
    );

    // `--all` does look for the runtime, which proves the line above did not.
    repo.mlops_ci()
        .args(["check", "--all"])
        .env("MLOPS_CI_ORT_LIB", "/nonexistent/libonnxruntime.so")
        .assert()
        .code(2)
        .stderr(contains("MLOPS_CI_ORT_LIB"));
}

#[test]
fn a_shallow_clone_without_the_base_says_how_to_fetch_it() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    for i in 0..3 {
        repo.write("models/iris.onnx", format!("iris v{i}"));
        repo.commit_all("retrain");
    }
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "main moves on\n");
    repo.commit_all("main moves on");
    let url = format!("file://{}", repo.path.display());
    sandbox.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        "--branch",
        "feature",
        &url,
        "shallow",
    ]);
    let clone = sandbox.open("shallow");

    // As in a pull request: the base branch is known, its history with HEAD is not.
    clone
        .mlops_ci()
        .arg("detect")
        .env("GITHUB_BASE_REF", "main")
        .assert()
        .code(2)
        .stderr(contains("shallow"))
        .stderr(contains("fetch-depth: 0"))
        .stderr(contains("git fetch --deepen"));

    // After fetching the history, the same command works.
    clone.git(&["fetch", "-q", "--unshallow"]);
    let out = clone
        .mlops_ci()
        .args(["detect", "--json"])
        .env("GITHUB_BASE_REF", "main")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(suites(&json), ["iris"]);
}

#[test]
fn an_explicit_base_overrides_the_merge_base() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    let before = repo.head();
    repo.write("models/wine.onnx", "wine v2");
    repo.commit_all("wine");
    repo.write("models/iris.onnx", "iris v2");
    let after_wine = repo.commit_all("iris");
    let json: Value = serde_json::from_slice(
        &repo
            .mlops_ci()
            .args(["detect", "--json", "--base", "HEAD~1"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(suites(&json), ["iris"]);
    assert_eq!(json["base"]["revision"], "HEAD~1");
    assert_ne!(before, after_wine);
    repo.mlops_ci()
        .args(["detect", "--base", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(contains("no-such-branch"));
}

#[test]
fn a_changed_fixed_baseline_file_affects_every_suite() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("fixed");
    repo.write(
        "mlops-ci.toml",
        format!("[baseline]\npath = \"models/prod.onnx\"\n\n{CONFIG}"),
    );
    for file in [
        "models/prod.onnx",
        "models/iris.onnx",
        "models/wine.onnx",
        "data/iris.csv",
        "data/wine.csv",
    ] {
        repo.write(file, "v1");
    }
    repo.commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("models/prod.onnx", "v2");

    let json = detect(&repo);
    assert_eq!(suites(&json), ["iris", "wine"]);
    assert_eq!(reasons(&json, "wine")[0]["kind"], "baseline");
}

/// The quick index reader must agree with libgit2 whatever the index format: version 4
/// compresses paths, version 2 pads entries.
#[test]
fn every_index_version_gives_the_same_answers() {
    for version in ["2", "3", "4"] {
        let sandbox = Sandbox::new();
        let repo = project(&sandbox);
        // File times have a coarse clock on some file systems: let the index be written
        // strictly later than the files, or they are racily clean (and rightly unproven).
        std::thread::sleep(std::time::Duration::from_millis(50));
        repo.git(&["update-index", "--index-version", version]);
        assert_eq!(detect(&repo)["any"], false, "index v{version}: clean");
        // The quick reader, not the libgit2 fallback, proved it.
        repo.mlops_ci()
            .args(["-vv", "detect"])
            .assert()
            .success()
            .stderr(contains("proven clean"));

        std::thread::sleep(std::time::Duration::from_millis(20));
        repo.write("features/scale.py", "def scale(x): return 2 * x\n");
        assert_eq!(
            suites(&detect(&repo)),
            ["iris"],
            "index v{version}: unstaged edit"
        );
        repo.git(&["add", "features/scale.py"]);
        let json = detect(&repo);
        assert_eq!(
            reasons(&json, "iris")[0]["origin"],
            "staged",
            "index v{version}"
        );
        repo.git(&["reset", "-q", "--hard"]);
        assert_eq!(detect(&repo)["any"], false, "index v{version}: clean again");
    }
}

/// Paths in a config below the repository root are relative to the config's directory.
#[test]
fn a_config_in_a_subdirectory_resolves_paths_and_globs_from_there() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("mono");
    repo.write("ml/mlops-ci.toml", CONFIG);
    for file in [
        "ml/models/iris.onnx",
        "ml/models/wine.onnx",
        "ml/data/iris.csv",
        "ml/data/wine.csv",
        "features/top.py",
        "ml/features/scale.py",
    ] {
        repo.write(file, "v1");
    }
    repo.commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let detect_in_ml = || -> Value {
        let out = repo
            .mlops_ci()
            .args(["-C", "ml", "detect", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };

    repo.write("features/top.py", "v2"); // outside the config's directory
    repo.write("models/iris.onnx", "not the suite's model");
    assert_eq!(detect_in_ml()["any"], false);

    repo.write("ml/features/scale.py", "v2");
    let json = detect_in_ml();
    assert_eq!(suites(&json), ["iris"]);
    assert_eq!(reasons(&json, "iris")[0]["path"], "ml/features/scale.py");

    // The same from inside the directory, without -C.
    let out = repo
        .mlops_ci()
        .current_dir(repo.path.join("ml"))
        .args(["detect", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(suites(&json), ["iris"]);
    let iris = reasons(&json, "iris");
    assert_eq!(iris.len(), 1, "{json:#}");
    assert_eq!(iris[0]["path"], "ml/features/scale.py");
}

/// A glob without a literal directory makes the whole working tree the scope; the quick
/// index reader narrows libgit2's look to the dirty paths, which must not change the answer.
#[test]
fn a_whole_tree_glob_sees_untracked_modified_and_renamed_files() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("wide");
    repo.write(
        "mlops-ci.toml",
        CONFIG.replace(
            r#"watch = ["features/**", "src/prep.py"]"#,
            r#"watch = ["**/*.py"]"#,
        ),
    );
    for file in [
        "models/iris.onnx",
        "models/wine.onnx",
        "data/iris.csv",
        "data/wine.csv",
        "lib/a/util.py",
        "docs/readme.txt",
    ] {
        repo.write(file, "v1\n");
    }
    repo.write(".gitignore", "build/\n");
    repo.commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    repo.git(&["update-index", "-q", "--refresh"]);
    repo.write("docs/readme.txt", "v2\n");
    repo.write("build/generated.py", "ignored\n");
    assert_eq!(detect(&repo)["any"], false);

    repo.write("tools/new/deep.py", "untracked\n");
    let json = detect(&repo);
    assert_eq!(suites(&json), ["iris"]);
    assert_eq!(reasons(&json, "iris")[0]["path"], "tools/new/deep.py");
    std::fs::remove_dir_all(repo.path.join("tools")).unwrap();

    repo.write("lib/a/util.py", "v2\n");
    let json = detect(&repo);
    assert_eq!(
        (
            reasons(&json, "iris")[0]["path"].as_str(),
            reasons(&json, "iris")[0]["origin"].as_str()
        ),
        (Some("lib/a/util.py"), Some("unstaged"))
    );
    repo.git(&["checkout", "-q", "--", "lib/a/util.py"]);

    repo.git(&["mv", "lib/a/util.py", "lib/b_util.py"]);
    let json = detect(&repo);
    let reason = &reasons(&json, "iris")[0];
    assert_eq!(
        (reason["change"].as_str(), reason["origin"].as_str()),
        (Some("renamed"), Some("staged")),
        "{json:#}"
    );
}

#[test]
fn a_model_replaced_by_a_symlink_is_a_type_change() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("models/store/wine-v2.onnx", "wine model v2");
    repo.remove("models/wine.onnx");
    std::os::unix::fs::symlink("store/wine-v2.onnx", repo.path.join("models/wine.onnx")).unwrap();
    let json = detect(&repo);
    assert_eq!(suites(&json), ["wine"]);
    assert_eq!(
        reasons(&json, "wine")[0]["change"],
        "type_changed",
        "{json:#}"
    );

    repo.commit_all("model behind a symlink");
    let json = detect(&repo);
    let reason = &reasons(&json, "wine")[0];
    assert_eq!(
        (reason["change"].as_str(), reason["origin"].as_str()),
        (Some("type_changed"), Some("committed"))
    );
}
