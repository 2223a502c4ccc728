//! `detect --github-output`: step outputs a workflow can feed into a job matrix.

mod support;

use predicates::str::contains;
use support::repo::{Sandbox, TestRepo, parse_github_output};

const CONFIG: &str = "[[suite]]\nname = \"iris\"\nmodel = \"models/iris.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = \"data/iris.csv\"\n\n\
                      [[suite]]\nname = \"wine-gpu\"\nmodel = \"models/wine.onnx\"\ntask = \"regression\"\nwatch = [\"features/**\"]\n\n[suite.data]\npath = \"data/wine.csv\"\n";

fn project(sandbox: &Sandbox) -> TestRepo {
    let repo = sandbox.repo("project");
    repo.write("mlops-ci.toml", CONFIG);
    for file in [
        "models/iris.onnx",
        "models/wine.onnx",
        "data/iris.csv",
        "data/wine.csv",
        "features/f.py",
        "README.md",
    ] {
        repo.write(file, "v1");
    }
    repo.commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

#[test]
fn github_output_gives_a_matrix_array_and_a_flag() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("models/iris.onnx", "v2");
    repo.write("features/f.py", "v2");
    repo.commit_all("both");

    // The file already holds another step's output, in the multi-line form.
    let output = sandbox.dir.path().join("github_output");
    std::fs::write(
        &output,
        "earlier<<ghadelimiter_1\nline one\nline two\nghadelimiter_1\n",
    )
    .unwrap();
    repo.mlops_ci()
        .args(["detect", "--github-output"])
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .success()
        .stdout(contains("2 of 2 suite(s) affected"));

    let outputs = parse_github_output(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(
        outputs["earlier"], "line one\nline two",
        "earlier outputs are kept"
    );
    assert_eq!(outputs["any"], "true");
    // `fromJSON(needs.detect.outputs.suites)` in a matrix: a JSON array of names.
    let suites: Vec<String> = serde_json::from_str(&outputs["suites"]).unwrap();
    assert_eq!(suites, ["iris", "wine-gpu"]);
}

#[test]
fn github_output_says_false_and_an_empty_array_when_nothing_is_affected() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write("README.md", "v2");
    repo.commit_all("docs");
    let output = sandbox.dir.path().join("github_output");
    repo.mlops_ci()
        .args(["detect", "--github-output"])
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .success()
        .stdout(contains("nothing to check"));
    let outputs = parse_github_output(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(outputs["any"], "false");
    assert_eq!(
        serde_json::from_str::<Vec<String>>(&outputs["suites"]).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn github_output_without_the_variable_is_an_error() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.mlops_ci()
        .args(["detect", "--github-output"])
        .assert()
        .code(2)
        .stderr(contains("GITHUB_OUTPUT"));
}

#[test]
fn a_bad_watch_glob_names_the_file_line_and_suite() {
    let sandbox = Sandbox::new();
    let repo = project(&sandbox);
    repo.write(
        "mlops-ci.toml",
        CONFIG.replace("features/**", "features/[a-"),
    );
    repo.mlops_ci()
        .arg("detect")
        .assert()
        .code(2)
        .stderr(contains("mlops-ci.toml:13"))
        .stderr(contains("`wine-gpu`"))
        .stderr(contains("features/[a-"));
}
