//! Data behind pointers: Git LFS pointer files and DVC `.dvc` files change when the data does.

mod support;

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::repo::{Sandbox, TestRepo, example};

const CONFIG: &str = r#"[[suite]]
name = "iris"
model = "models/iris.onnx"
task = "classification"

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
"#;

fn lfs_pointer(content: &[u8]) -> String {
    let hex: String = Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{hex}\nsize {}\n",
        content.len()
    )
}

fn dvc_pointer(md5: &str) -> String {
    format!("outs:\n- md5: {md5}\n  size: 1234\n  hash: md5\n  path: wine.csv\n")
}

fn project(sandbox: &Sandbox) -> TestRepo {
    let repo = sandbox.repo("project");
    repo.write("mlops-ci.toml", CONFIG);
    repo.write(
        ".gitattributes",
        "data/iris.csv filter=lfs diff=lfs merge=lfs -text\n",
    );
    repo.write("models/iris.onnx", "iris model");
    repo.write("models/wine.onnx", "wine model");
    repo.write("data/iris.csv", lfs_pointer(b"a,b,species\n1,2,x\n"));
    // DVC keeps the data out of git and commits a pointer beside it.
    repo.write("data/.gitignore", "/wine.csv\n");
    repo.write("data/wine.csv", "a,y\n1,0\n");
    repo.write(
        "data/wine.csv.dvc",
        dvc_pointer("0123456789abcdef0123456789abcdef"),
    );
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
    serde_json::from_slice(&out.stdout).unwrap()
}

fn first_message(json: &Value) -> String {
    json["affected"][0]["reasons"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_new_lfs_object_is_a_data_change_named_by_its_oids() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("data/iris.csv", lfs_pointer(b"a,b,species\n1,2,x\n3,4,y\n"));
    repo.commit_all("more iris data");

    let json = detect(&repo);
    assert_eq!(json["suites"], serde_json::json!(["iris"]));
    let message = first_message(&json);
    assert!(
        message.contains("data `data/iris.csv` modified")
            && message.contains("Git LFS object sha256:"),
        "{message}"
    );
}

#[test]
fn fetched_lfs_content_matching_its_pointer_is_not_a_change() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    // What `git lfs pull` leaves: the real content where the index has the pointer. libgit2
    // runs no LFS filter, so byte for byte the file differs; the object is the same.
    repo.write("data/iris.csv", "a,b,species\n1,2,x\n");
    assert_eq!(detect(&repo)["any"], false, "{:#}", detect(&repo));

    // Different content is a change.
    repo.write("data/iris.csv", "a,b,species\n1,2,z\n");
    let json = detect(&repo);
    assert_eq!(json["suites"], serde_json::json!(["iris"]));
    assert_eq!(json["affected"][0]["reasons"][0]["origin"], "unstaged");
}

#[test]
fn an_unfetched_lfs_model_is_a_clear_error_naming_git_lfs_pull() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("lfs");
    repo.write(
        "mlops-ci.toml",
        "[[suite]]\nname = \"iris\"\nmodel = \"models/iris.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = \"data/test.csv\"\nlabel = \"species\"\n",
    );
    repo.write(
        "models/iris.onnx",
        lfs_pointer(&std::fs::read(example("iris/models/candidate.onnx")).unwrap()),
    );
    repo.copy(&example("iris/data/test.csv"), "data/test.csv");
    repo.commit_all("model in LFS, not fetched");
    let out = repo.mlops_ci().args(["check", "--all"]).output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Git LFS pointer") && all.contains("git lfs pull"),
        "{all}"
    );
}

#[test]
fn a_changed_dvc_pointer_is_a_change_of_the_data_it_tracks() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    // The data file itself is ignored by git: only the pointer shows the change.
    repo.write("data/wine.csv", "a,y\n1,0\n2,1\n");
    assert_eq!(detect(&repo)["any"], false);

    repo.write(
        "data/wine.csv.dvc",
        dvc_pointer("fedcba9876543210fedcba9876543210"),
    );
    let json = detect(&repo);
    assert_eq!(json["suites"], serde_json::json!(["wine"]));
    let message = first_message(&json);
    assert!(
        message.contains("DVC pointer `data/wine.csv.dvc`"),
        "{message}"
    );

    // A pointer for a directory covers the suite's file inside it.
    repo.git(&["checkout", "-q", "--", "data/wine.csv.dvc"]);
    repo.write(
        "data.dvc",
        "outs:\n- md5: 11111111111111111111111111111111.dir\n  path: data\n",
    );
    let json = detect(&repo);
    assert_eq!(json["suites"], serde_json::json!(["iris", "wine"]));
}
