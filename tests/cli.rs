//! The command line itself: help on every flag, runtime flags only where a runtime is loaded,
//! `eval` errors in its own words, `--output` folders, and `-v` stage timings.

mod support;

use clap::CommandFactory;
use predicates::prelude::*;
use predicates::str::contains;
use support::{example, mlops_ci};

#[test]
fn every_flag_and_argument_has_help() {
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_help().is_none() && !["help", "version"].contains(&id) {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&mlops_ci::cli::Cli::command(), "mlops-ci", &mut missing);
    assert!(missing.is_empty(), "flags without help: {missing:?}");
}

#[test]
fn runtime_flags_appear_only_on_commands_that_load_a_runtime() {
    for command in ["detect", "diff", "publish"] {
        mlops_ci()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(contains("--ort-lib").not());
    }
    for command in ["check", "ci", "eval", "doctor", "init"] {
        mlops_ci()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(contains("--ort-lib"))
            .stdout(contains("--offline"));
    }
    mlops_ci()
        .args(["detect", "--offline"])
        .assert()
        .code(2)
        .stderr(contains("unexpected argument '--offline'"));
}

#[test]
fn eval_errors_name_its_own_flags() {
    let data = example("iris/data/test.csv");
    mlops_ci()
        .args(["eval", "--model", "missing.onnx", "--data"])
        .arg(&data)
        .assert()
        .code(2)
        .stderr(contains("--model missing.onnx: no such file"))
        .stderr(contains("config").not());
    mlops_ci()
        .args(["eval", "--model"])
        .arg(example("iris/models/baseline.onnx"))
        .arg("--data")
        .arg(&data)
        .assert()
        .code(2)
        .stderr(contains("--label is required with CSV data"))
        .stderr(contains(
            "sepal_length, sepal_width, petal_length, petal_width, species",
        ))
        .stderr(contains("data.label").not());
}

#[test]
fn output_creates_missing_folders_and_v_shows_stage_timings() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("reports/pr-7/report.json");
    mlops_ci()
        .args([
            "-v", "eval", "--label", "species", "--format", "json", "--model",
        ])
        .arg(example("iris/models/baseline.onnx"))
        .arg("--data")
        .arg(example("iris/data/test.csv"))
        .arg("--output")
        .arg(&output)
        .assert()
        .success()
        .stderr(contains("load ONNX Runtime: close time.busy="))
        .stderr(contains("evaluate: close time.busy="));
    let report = support::json(&std::fs::read(&output).unwrap());
    assert_eq!(report["suites"][0]["name"], "baseline");
}
