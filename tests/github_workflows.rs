//! The workflows and the action pass GitHub's linters: actionlint on every workflow (this
//! project's CI and the copyable examples) and check-jsonschema with GitHub's action and
//! workflow schemas. Needs `bash .ci/install-github-tools.sh`.

#[path = "support/github/mod.rs"]
mod github;

use std::path::{Path, PathBuf};
use std::process::Command;

use github::tools;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/workflows"] {
        let entries = std::fs::read_dir(repo().join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs a linter in the repository (actionlint reads .github/actionlint.yaml from there);
/// returns success and the combined output.
fn lint(tool: &str, args: &[&str], files: &[PathBuf]) -> (bool, String) {
    let binary = tools::required(&format!("venv/bin/{tool}"));
    let output = Command::new(&binary)
        .args(args)
        .args(files)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn workflows_pass_actionlint_and_the_workflow_schema() {
    let files = workflows();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    for expected in [
        "ci.yml",
        "mlops-ci.yml",
        "mlops-ci-fork-check.yml",
        "mlops-ci-fork-publish.yml",
        "mlops-ci-gpu-matrix.yml",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(expected)),
            "{expected} missing from {names:?}"
        );
    }
    let (ok, output) = lint("actionlint", &["-no-color"], &files);
    assert!(ok, "actionlint:\n{output}");
    let (ok, output) = lint(
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-workflows"],
        &files,
    );
    assert!(ok, "check-jsonschema:\n{output}");
}

#[test]
fn action_passes_the_action_schema_and_declares_the_contract() {
    let action = repo().join("action.yml");
    let (ok, output) = lint(
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-actions"],
        std::slice::from_ref(&action),
    );
    assert!(ok, "check-jsonschema:\n{output}");

    let text = std::fs::read_to_string(&action).expect("read action.yml");
    for input in [
        "config",
        "suites",
        "base",
        "device",
        "comment",
        "check-run",
        "fail-on-gate",
        "ort-version",
        "version",
        "token",
        "working-directory",
    ] {
        assert!(
            text.contains(&format!("\n  {input}:\n")),
            "input `{input}` missing"
        );
    }
    for output in ["verdict", "failed-gates", "report-path", "json"] {
        assert!(
            text.contains(&format!("\n  {output}:\n")),
            "output `{output}` missing"
        );
    }
    assert!(text.contains("default: ${{ github.token }}"));
    assert!(text.contains("using: composite") && text.contains("branding:"));
    // Inputs reach scripts through env, never spliced into the script (script injection).
    let scripts = text
        .split("run: |")
        .skip(1)
        .map(|s| s.split("\n    - ").next().unwrap_or(""));
    for script in scripts {
        assert!(
            !script.contains("${{"),
            "expression inside a script:\n{script}"
        );
    }
}

/// The linters do reject broken files: these tests can fail.
#[test]
fn linters_reject_broken_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workflow = dir.path().join("broken.yml");
    std::fs::write(
        &workflow,
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n        uses: actions/checkout@v5\n",
    )
    .expect("write");
    let (ok, output) = lint("actionlint", &["-no-color"], &[workflow]);
    assert!(
        !ok,
        "actionlint accepted a step with both run and uses:\n{output}"
    );

    let action = dir.path().join("action.yml");
    std::fs::write(
        &action,
        "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n",
    )
    .expect("write");
    let (ok, output) = lint(
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-actions"],
        &[action],
    );
    assert!(
        !ok,
        "a composite run step without `shell` was accepted:\n{output}"
    );
}

/// The README's "GitHub Actions" section shows the example workflows exactly as they are
/// linted here.
#[test]
fn docs_show_the_linted_example_workflows() {
    let docs = std::fs::read_to_string(repo().join("README.md")).expect("read README");
    for file in workflows()
        .iter()
        .filter(|f| f.starts_with(repo().join("examples")))
    {
        let text = std::fs::read_to_string(file).expect("read workflow");
        assert!(
            docs.contains(&format!("```yaml\n{}\n```", text.trim_end())),
            "README.md does not show {} as it is",
            file.display()
        );
    }
    for permission in [
        "pull-requests: write",
        "checks: write",
        "actions: read",
        "contents: read",
    ] {
        assert!(docs.contains(permission), "{permission}");
    }
}
