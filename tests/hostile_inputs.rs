//! Hostile and malformed inputs from a pull request: each gives a clear error (exit 2) or a
//! correct, honest report; never a crash, a hang or a silent wrong answer.

mod support;

use predicates::prelude::*;
use predicates::str::contains;
use support::*;

/// Finding 12: a suite without gates checked nothing. It must say so, not "every gate
/// passed", even while its accuracy falls.
#[test]
fn a_suite_without_gates_says_no_gates_configured_even_when_accuracy_fell() {
    let repo = Project::new();
    let config = IRIS_CONFIG
        .split("[[suite.gate]]")
        .next()
        .expect("the config has a suite");
    repo.write("mlops-ci.toml", config);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.copy(&example("iris/models/baseline.onnx"), "models/model.onnx");
    repo.commit_all("baseline model");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrain: smaller tree");

    check_in(&repo.path)
        .code(0)
        .stdout(contains("NO GATES: no gates configured for iris"))
        .stdout(contains("every gate passed").not())
        .stdout(contains("PASS").not());
    let out = mlops_ci()
        .args(["check", "--format", "markdown", "-C"])
        .arg(&repo.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(
        markdown.contains("no gates configured for `iris`"),
        "{markdown}"
    );
    assert!(!markdown.contains("all gates passed"), "{markdown}");
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(&repo.path)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(report["verdict"], "no_gates");
    let suite = &report["suites"][0];
    let (before, after) = (
        metric(suite, "accuracy", "baseline").unwrap(),
        metric(suite, "accuracy", "candidate").unwrap(),
    );
    assert!(after < before, "the candidate is worse: {before} → {after}");
}

/// Finding 13: `--templates` naming nothing was silently ignored.
#[test]
fn a_templates_directory_that_does_not_exist_is_an_error() {
    mlops_ci()
        .args([
            "check",
            "--all",
            "--templates",
            "/nonexistent/templates",
            "-C",
        ])
        .arg(example("iris"))
        .assert()
        .code(2)
        .stderr(contains(
            "--templates /nonexistent/templates: not a directory",
        ));
}

/// Finding 10: with CRLF line endings every reported line number was one too small (and the
/// annotations pointed at the line above). Quoted multi-line fields and a BOM count right.
#[test]
fn line_numbers_are_right_for_crlf_bom_and_quoted_newlines() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, line) in [
        (
            "lf.csv",
            "a,b,c,d,y\n5.1,3.5,1.4,0.2,setosa\n5.1,bad,1.4,0.2,setosa\n",
            3,
        ),
        (
            "crlf.csv",
            "a,b,c,d,y\r\n5.1,3.5,1.4,0.2,setosa\r\n5.1,bad,1.4,0.2,setosa\r\n",
            3,
        ),
        (
            "bom.csv",
            "\u{feff}a,b,c,d,y\r\n5.1,3.5,1.4,0.2,setosa\r\n5.1,bad,1.4,0.2,setosa\r\n",
            3,
        ),
        (
            "quoted.csv",
            "a,b,c,d,y\r\n5.1,3.5,1.4,0.2,\"set\r\nosa\"\r\n5.1,bad,1.4,0.2,setosa\r\n",
            4,
        ),
        (
            "short.csv",
            "a,b,c,d,y\r\n5.1,3.5,1.4,0.2,setosa\r\n5.1,1.4,0.2,setosa\r\n",
            3,
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        mlops_ci()
            .args([
                "eval",
                "--task",
                "classification",
                "--label",
                "y",
                "--model",
            ])
            .arg(example("iris/models/candidate.onnx"))
            .arg("--data")
            .arg(&path)
            .assert()
            .code(2)
            .stdout(contains(format!("{name}: line {line}: ")));
    }
}

/// Finding 13: duplicate column names silently used the first.
#[test]
fn duplicate_column_names_are_refused_with_their_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    std::fs::write(&path, "a,b,a,d,y\n5.1,3.5,1.4,0.2,setosa\n").unwrap();
    mlops_ci()
        .args([
            "eval",
            "--task",
            "classification",
            "--label",
            "y",
            "--model",
        ])
        .arg(example("iris/models/candidate.onnx"))
        .arg("--data")
        .arg(&path)
        .assert()
        .code(2)
        .stdout(contains("column `a` appears twice (columns 1 and 3)"));
}

/// Finding 13: a data path with no extension, and a config path that is a directory.
#[test]
fn unclear_paths_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::write(&path, "a,b,c,d,y\n5.1,3.5,1.4,0.2,setosa\n").unwrap();
    mlops_ci()
        .args([
            "eval",
            "--task",
            "classification",
            "--label",
            "y",
            "--model",
        ])
        .arg(example("iris/models/candidate.onnx"))
        .arg("--data")
        .arg(&path)
        .assert()
        .code(2)
        .stdout(contains("has no file extension, so its format is unknown"));
    mlops_ci()
        .args(["check", "--all", "--config"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("it is a directory; give the config file itself"));
}

/// A repo whose `main` commits the iris baseline model as a Git LFS pointer, and a `feature`
/// branch with the worse candidate as a plain file. Returns the repo and the LFS object path.
fn lfs_baseline_repo() -> (Project, std::path::PathBuf) {
    use sha2::{Digest, Sha256};
    let repo = Project::new();
    repo.write("mlops-ci.toml", IRIS_CONFIG);
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    let model = std::fs::read(example("iris/models/baseline.onnx")).unwrap();
    let oid: String = Sha256::digest(&model)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    repo.write(
        "models/model.onnx",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            model.len()
        ),
    );
    repo.commit_all("baseline model (LFS)");
    let object = repo
        .path()
        .join(".git/lfs/objects")
        .join(&oid[0..2])
        .join(&oid[2..4])
        .join(&oid);
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::write(&object, &model).unwrap();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
    repo.commit_all("retrain");
    (repo, object)
}

/// Finding 9: a baseline stored with Git LFS always failed against a git baseline (the blob
/// is the pointer), blaming the working-tree file.
#[test]
fn a_git_lfs_baseline_is_read_from_the_local_lfs_store() {
    let (repo, object) = lfs_baseline_repo();
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(
        report["verdict"],
        "fail",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let suite = &report["suites"][0];
    assert!(metric(suite, "accuracy", "baseline").unwrap() > 0.9);

    // Without the object: a message naming the baseline revision and how to fetch it.
    std::fs::remove_file(&object).unwrap();
    check_in(repo.path())
        .code(2)
        .stdout(contains(
            "the baseline `models/model.onnx` at `main` is stored with Git LFS",
        ))
        .stdout(contains("git lfs fetch origin main"));
}

/// Finding 13: a baseline committed as a symbolic link was parsed as a model ("protobuf
/// parsing failed"); a link inside the repository is followed, one outside named.
#[test]
fn a_git_baseline_that_is_a_symlink_is_followed_or_named() {
    // `main` commits models/model.onnx as a link to `target`; `feature` the candidate file.
    let repo_with_link = |target: &str| {
        let repo = Project::new();
        repo.write("mlops-ci.toml", IRIS_CONFIG);
        repo.copy(&example("iris/data/test.csv"), "data/test.csv");
        repo.copy(&example("iris/models/baseline.onnx"), "models/v1.onnx");
        std::os::unix::fs::symlink(target, repo.path().join("models/model.onnx")).unwrap();
        repo.commit_all("baseline model behind a link");
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.remove("models/model.onnx");
        repo.copy(&example("iris/models/candidate.onnx"), "models/model.onnx");
        repo.commit_all("retrain");
        repo
    };
    let repo = repo_with_link("v1.onnx");
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(
        report["verdict"], "fail",
        "the baseline was read through its link"
    );
    assert!(metric(&report["suites"][0], "accuracy", "baseline").unwrap() > 0.9);

    let repo = repo_with_link("/etc/hostname");
    check_in(repo.path())
        .code(2)
        .stdout(contains("is a symbolic link to `/etc/hostname`"));
}

/// Finding 11: `nan`/`inf` cells were taken as numbers with no note; a tree model passed
/// silently, a linear one failed blaming the model with a 0-based row and no file.
#[test]
fn non_finite_cells_are_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let iris = std::fs::read_to_string(example("iris/data/test.csv")).unwrap();
    let mut lines: Vec<String> = iris.lines().map(str::to_owned).collect();
    lines[2] = format!("nan,{}", lines[2].split_once(',').unwrap().1);
    lines[5] = format!("inf,{}", lines[5].split_once(',').unwrap().1);
    let path = dir.path().join("iris.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    mlops_ci()
        .args([
            "eval",
            "--task",
            "classification",
            "--label",
            "species",
            "--model",
        ])
        .arg(example("iris/models/candidate.onnx"))
        .arg("--data")
        .arg(&path)
        .assert()
        .code(0)
        .stdout(contains(
            "column `sepal_length` holds 2 non-finite value(s) (NaN or ±inf; first on line 3)",
        ));

    let diabetes = std::fs::read_to_string(example("diabetes/data/test.csv")).unwrap();
    let mut lines: Vec<String> = diabetes.lines().map(str::to_owned).collect();
    lines[4] = format!("nan,{}", lines[4].split_once(',').unwrap().1);
    let path = dir.path().join("diabetes.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    mlops_ci()
        .args([
            "eval",
            "--task",
            "regression",
            "--label",
            "target",
            "--model",
        ])
        .arg(example("diabetes/models/baseline.onnx"))
        .arg("--data")
        .arg(&path)
        .assert()
        .code(2)
        .stdout(contains("non-finite values the model cannot take"))
        .stdout(contains(
            "diabetes.csv: column `age` holds 1 non-finite value(s) (NaN or ±inf; first on line 5)",
        ));
}
