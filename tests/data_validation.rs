//! Data validation on real data: scikit-learn's breast_cancer, wine and diabetes, split into
//! a base half and a candidate half, with one fault injected per candidate file
//! (tests/fixtures/validation/generate.py). Each fault must be caught by the right check, at
//! the rows it was injected in; the unmodified half raises no alarm.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{fixture, json, mlops_ci};

fn validation(path: &str) -> PathBuf {
    fixture(&format!("validation/{path}"))
}

fn expected() -> Vec<Value> {
    let text = std::fs::read_to_string(validation("expected.json")).expect("expected.json");
    serde_json::from_str::<Value>(&text)
        .expect("expected.json is JSON")
        .as_array()
        .expect("a list")
        .clone()
}

/// A config in `dir` with one suite on `data`, the set's contract and default drift.
fn write_config(dir: &Path, set: &str, data: &Path, task: &str) -> PathBuf {
    let schema = std::fs::read_to_string(validation(&format!("{set}/schema.toml")))
        .expect("schema.toml")
        .replace("[schema", "[suite.data.schema");
    let config = format!(
        "[[suite]]\nname = \"{set}\"\nmodel = \"model.onnx\"\ntask = \"{task}\"\n\n[suite.data]\npath = {data:?}\nlabel = \"target\"\n\n{schema}"
    );
    let path = dir.join("mlops-ci.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn task_of(set: &str) -> &'static str {
    if set == "diabetes" {
        "regression"
    } else {
        "classification"
    }
}

/// `data check` of `file` against the set's base half: the JSON report and the exit status.
fn data_check(set: &str, file: &str) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let data = validation(&format!("{set}/{file}"));
    write_config(dir.path(), set, &data, task_of(set));
    let output = mlops_ci()
        .args(["data", "check", "--format", "json", "--base-file"])
        .arg(validation(&format!("{set}/base.csv")))
        .current_dir(dir.path())
        .output()
        .unwrap();
    (json(&output.stdout), output.status.code().unwrap())
}

fn gate<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["suites"][0]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == name)
        .unwrap_or_else(|| panic!("no gate {name}: {report:#}"))
}

fn broken(section: &Value) -> Vec<&Value> {
    section["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .collect()
}

fn drifted(section: &Value) -> Vec<&str> {
    section["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["drifted"] == true)
        .map(|d| d["column"].as_str().unwrap())
        .collect()
}

#[test]
fn every_injected_fault_is_caught_by_its_check_at_its_rows() {
    let cases = expected();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for case in &cases {
        let (set, file) = (
            case["set"].as_str().unwrap(),
            case["file"].as_str().unwrap(),
        );
        let (report, status) = data_check(set, file);
        let section = &report["suites"][0]["data_validation"];
        let what = format!("{set}/{file}: {section:#}");
        match case["check"].as_str() {
            None => {
                assert!(broken(section).is_empty(), "no check may break on {what}");
                assert!(drifted(section).is_empty(), "no drift on {what}");
                assert_eq!(status, 0, "{what}");
            }
            Some("drift") => {
                let column = case["column"].as_str().unwrap();
                assert!(
                    drifted(section).contains(&column),
                    "drift of {column}: {what}"
                );
                // Drift is `warn` by default: reported, not failing (a shift may also take
                // values past the contract's maximum, which fails).
                let gate = gate(&report, "data.drift");
                assert_eq!(gate["outcome"], "warn", "{what}");
            }
            Some(check) => {
                let column = case["column"].as_str();
                let hit = broken(section)
                    .into_iter()
                    .find(|c| c["check"] == check && c["column"].as_str() == column)
                    .unwrap_or_else(|| panic!("`{check}` on {column:?} must break: {what}"));
                assert_eq!(hit["outcome"], "fail", "{what}");
                if let Some(rows) = case["rows"].as_array() {
                    let want: Vec<u64> = rows.iter().take(5).map(|r| r.as_u64().unwrap()).collect();
                    let got: Vec<u64> = hit["rows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o["row"].as_u64().unwrap())
                        .collect();
                    assert_eq!(got, want, "offending rows of {what}");
                    assert_eq!(hit["count"].as_u64().unwrap(), rows.len() as u64, "{what}");
                    // CSV data row N is on line N + 1 (the header is line 1).
                    for o in hit["rows"].as_array().unwrap() {
                        assert_eq!(o["line"].as_u64(), Some(o["row"].as_u64().unwrap() + 1));
                    }
                }
                assert_eq!(status, 1, "a broken `fail` rule fails the run: {what}");
            }
        }
    }
}

#[test]
fn an_inferred_contract_passes_the_data_it_came_from_and_catches_a_new_class() {
    let base = validation("wine/base.csv");
    let output = mlops_ci()
        .args(["data", "profile", "--label", "target"])
        .arg(&base)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let contract = String::from_utf8(output.stdout).unwrap();
    let doc: toml::Table = toml::from_str(&contract).expect("the contract is TOML");
    let columns = doc["suite"]["data"]["schema"]["columns"]
        .as_table()
        .unwrap();
    assert_eq!(columns["alcohol"]["type"].as_str(), Some("float"));
    assert_eq!(columns["alcohol"]["nullable"].as_bool(), Some(false));
    assert_eq!(
        columns["target"]["allowed"].as_array().unwrap().len(),
        3,
        "{contract}"
    );

    let dir = tempfile::tempdir().unwrap();
    for (file, status) in [("clean.csv", 0), ("new_class.csv", 1)] {
        let config = format!(
            "[[suite]]\nname = \"wine\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n\n[suite.data]\npath = {:?}\nlabel = \"target\"\n\n{contract}",
            validation(&format!("wine/{file}"))
        );
        std::fs::write(dir.path().join("mlops-ci.toml"), config).unwrap();
        mlops_ci()
            .args(["data", "check"])
            .current_dir(dir.path())
            .assert()
            .code(status);
    }
}

#[test]
fn the_report_shows_the_offending_rows_and_escapes_hostile_cells() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(
        &data,
        "x,label\n1,a\n\"hi\n::error::INJECTED\",b\n3,\"<img src=x onerror=alert(1)>|`\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"label\"\n[suite.data.schema.columns.x]\ntype = \"int\"\n[suite.data.schema.columns.label]\nallowed = [\"a\", \"b\"]\n",
    )
    .unwrap();
    let terminal = mlops_ci()
        .args(["data", "check"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let terminal = String::from_utf8(terminal).unwrap();
    assert!(terminal.contains("row 2 (line 3)"), "{terminal}");
    assert!(
        !terminal.lines().any(|l| l.trim_start().starts_with("::")),
        "a cell cannot issue a workflow command: {terminal}"
    );
    let markdown = mlops_ci()
        .args(["data", "check", "--format", "markdown"])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .stdout;
    let markdown = String::from_utf8(markdown).unwrap();
    // Inside a code span, which GitHub renders as text.
    assert!(
        markdown.contains("`` <img src=x onerror=alert(1)>\\|` ``"),
        "{markdown}"
    );
    assert!(!markdown.contains("\n::error::"), "{markdown}");
    assert!(markdown.contains("row 3 (line 5)"), "{markdown}");
    assert!(markdown.contains("<details open>"), "{markdown}");
}

#[test]
fn malformed_files_are_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = std::fs::read(fixture("typed/data/columns.parquet")).unwrap();
    // An .npy whose header promises 1000 float64 values the file does not hold.
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }";
    let header = format!("{header:<117}\n");
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend_from_slice(&[0u8; 16]);
    let cases: [(&str, &[u8], &str); 5] = [
        ("ragged.csv", b"a,b\n1,2\n3\n", "line 3"),
        ("bad.csv", b"a,b\n1,2\n3,\xff\xfe\n", "line 3"),
        ("bad.jsonl", b"{\"a\": 1}\n{\"a\": \n", "line 2"),
        ("cut.parquet", &parquet[..parquet.len() / 2], "cut.parquet"),
        ("short.npy", &npy, "short.npy"),
    ];
    for (name, bytes, line) in cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        std::fs::write(
            dir.path().join("mlops-ci.toml"),
            format!(
                "[[suite]]\nname = \"s\"\nmodel = \"m.onnx\"\ntask = \"regression\"\n[suite.data]\npath = \"{name}\"\nlabel = \"a\"\n[suite.data.schema]\nmin_rows = 1\n"
            ),
        )
        .unwrap();
        let output = mlops_ci()
            .args(["data", "check", "--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let report = json(&output.stdout);
        let error = report["suites"][0]["error"].as_str().unwrap();
        assert!(
            error.contains(name) && error.contains(line),
            "{name}: {error}"
        );
    }
}

const IRIS_WITH_CONTRACT: &str = r#"[[suite]]
name = "iris"
model = "models/model.onnx"
task = "classification"

[suite.data]
path = "data/test.csv"
label = "species"

[suite.data.schema]
max_duplicate_rows = 0

[suite.data.schema.columns.petal_length]
type = "float"
nullable = false
min = 0.5
max = 8

[suite.data.schema.columns.species]
allowed = ["setosa", "versicolor", "virginica"]

[suite.drift]
severity = "fail"

[[suite.gate]]
metric = "accuracy"
max_regression = 0.05
"#;

/// A repository with the iris example under `config`, committed on `main`, and a branch
/// `branch` checked out for the change.
fn iris_on_a_branch(config: &str, branch: &str) -> support::Project {
    let repo = support::Project::new();
    repo.write("mlops-ci.toml", config);
    repo.copy(&support::example("iris/data/test.csv"), "data/test.csv");
    repo.copy(
        &support::example("iris/models/baseline.onnx"),
        "models/model.onnx",
    );
    repo.commit_all("iris");
    repo.git(&["checkout", "-q", "-b", branch]);
    repo
}

/// `mlops-ci data check --base main` in `repo`, with `extra` arguments: its JSON report and
/// exit status.
fn data_check_against_main(repo: &support::Project, extra: &[&str]) -> (Value, Option<i32>) {
    let output = repo
        .mlops_ci()
        .args(["data", "check", "--base", "main", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    (json(&output.stdout), output.status.code())
}

/// A change that touches only the data: the suite runs, the contract is checked on the new
/// rows and drift is measured against the base revision's data file, read from git.
#[test]
fn a_data_only_change_is_validated_against_the_base_revisions_data() {
    let repo = iris_on_a_branch(IRIS_WITH_CONTRACT, "more-data");
    // Every petal 3 cm longer, and row 10 twice.
    let text = std::fs::read_to_string(support::example("iris/data/test.csv")).unwrap();
    let mut lines = text.lines();
    let mut changed = format!("{}\n", lines.next().unwrap());
    let mut tenth = String::new();
    for (i, line) in lines.enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        cells[2] = format!("{:.1}", cells[2].parse::<f64>().unwrap() + 3.0);
        let row = cells.join(",");
        if i == 9 {
            tenth = row.clone();
        }
        changed.push_str(&row);
        changed.push('\n');
    }
    changed.push_str(&tenth);
    changed.push('\n');
    repo.write("data/test.csv", changed);
    repo.commit_all("new data");

    let detect = repo
        .mlops_ci()
        .args(["detect", "--base", "main", "--json"])
        .output()
        .unwrap();
    let detection = json(&detect.stdout);
    assert!(
        detection.to_string().contains("iris"),
        "a data-only change affects the suite: {detection}"
    );
    let output = repo
        .mlops_ci()
        .args(["check", "--base", "main", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = json(&output.stdout);
    let suite = &report["suites"][0];
    let section = &suite["data_validation"];
    assert_eq!(section["base"]["source"], "main", "{section:#}");
    let duplicates = broken(section)
        .into_iter()
        .find(|c| c["check"] == "duplicate_rows")
        .unwrap_or_else(|| panic!("{section:#}"));
    assert_eq!(duplicates["rows"][0]["row"], 61);
    assert_eq!(duplicates["rows"][0]["line"], 62);
    assert_eq!(duplicates["rows"][0]["value"], "repeats row 10");
    assert!(
        broken(section).iter().any(|c| c["check"] == "max"),
        "{section:#}"
    );
    assert!(drifted(section).contains(&"petal_length"), "{section:#}");
    let diff = &section["diff"];
    assert_eq!(diff["rows_before"], 60);
    assert_eq!(diff["rows_now"], 61);
    assert_eq!(diff["rows_removed"], 60, "every row changed: {diff:#}");
    for name in ["data.contract", "data.drift"] {
        let g = suite["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["metric"] == name)
            .unwrap_or_else(|| panic!("no {name} gate: {suite:#}"));
        assert_eq!(g["outcome"], "fail", "{g:#}");
    }
}

/// A change that loosens the contract together with the data that breaks it: the base
/// revision's contract still applies, unless the loosening is accepted.
#[test]
fn a_change_cannot_loosen_the_contract_its_own_data_is_checked_against() {
    let config = IRIS_WITH_CONTRACT.replace("[suite.drift]\nseverity = \"fail\"\n", "");
    let repo = iris_on_a_branch(&config, "loosen");
    let text = std::fs::read_to_string(support::example("iris/data/test.csv")).unwrap();
    // Row 1's petal length far out of range, and the contract's maximum raised to let it in.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    cells[2] = "42.0".to_owned();
    lines[1] = cells.join(",");
    repo.write("data/test.csv", lines.join("\n") + "\n");
    repo.write("mlops-ci.toml", config.replace("max = 8", "max = 50"));
    repo.commit_all("loosen the contract");

    let run = |extra: &[&str]| data_check_against_main(&repo, extra);
    let (report, status) = run(&[]);
    let section = &report["suites"][0]["data_validation"];
    let max = broken(section)
        .into_iter()
        .find(|c| c["check"] == "max")
        .unwrap_or_else(|| panic!("the base's `max = 8` still holds: {section:#}"));
    assert_eq!(max["rows"][0]["row"], 1);
    assert!(
        max["message"].as_str().unwrap().contains("base revision"),
        "{max:#}"
    );
    assert_eq!(status, Some(1));
    let policy = report["gate_policy"]["notes"].to_string();
    assert!(policy.contains("alters the data contract"), "{policy}");

    let (report, status) = run(&["--accept-gate-changes"]);
    let section = &report["suites"][0]["data_validation"];
    assert!(
        broken(section).iter().all(|c| c["outcome"] == "warn"),
        "accepted: {section:#}"
    );
    assert_eq!(status, Some(0));
}

/// A change that shifts a feature and turns its drift gate down (to `warn`, or off): drift is
/// still measured under the base revision's `[suite.drift]`, and fails there, unless the
/// change is accepted.
#[test]
fn a_change_cannot_loosen_the_drift_settings_its_own_data_is_measured_with() {
    let config = IRIS_WITH_CONTRACT.replace("max = 8", "max = 50");
    for loosened in [
        "[suite.drift]\nseverity = \"warn\"\n",
        "[suite.drift]\nenabled = false\n",
    ] {
        let repo = iris_on_a_branch(&config, "loosen");
        let text = std::fs::read_to_string(support::example("iris/data/test.csv")).unwrap();
        let mut shifted = String::new();
        for (i, line) in text.lines().enumerate() {
            let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
            if i > 0 {
                cells[2] = format!("{:.1}", cells[2].parse::<f64>().unwrap() + 3.0);
            }
            shifted.push_str(&cells.join(","));
            shifted.push('\n');
        }
        repo.write("data/test.csv", shifted);
        repo.write(
            "mlops-ci.toml",
            config.replace("[suite.drift]\nseverity = \"fail\"\n", loosened),
        );
        repo.commit_all("shift the data, quieten drift");

        let run = |extra: &[&str]| data_check_against_main(&repo, extra);
        let (report, status) = run(&[]);
        let suite = &report["suites"][0];
        let section = &suite["data_validation"];
        let petal = section["drift"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["column"] == "petal_length")
            .unwrap_or_else(|| panic!("{loosened}: {section:#}"));
        assert_eq!(petal["drifted"], true, "{petal:#}");
        assert_eq!(petal["severity"], "fail", "{petal:#}");
        assert!(
            petal["chosen"]
                .as_str()
                .unwrap()
                .contains("base's drift settings"),
            "{petal:#}"
        );
        assert_eq!(gate(&report, "data.drift")["outcome"], "fail", "{loosened}");
        assert_eq!(status, Some(1), "{loosened}");
        let policy = report["gate_policy"]["notes"].to_string();
        assert!(policy.contains("alters the drift settings"), "{policy}");

        let (report, status) = run(&["--accept-gate-changes"]);
        let drift = report["suites"][0]["data_validation"]["drift"].to_string();
        assert!(
            !drift.contains("base's drift settings"),
            "accepted: {drift}"
        );
        assert_eq!(status, Some(0), "accepted: {report:#}");
    }
}
