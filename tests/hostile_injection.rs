//! Findings 1 and 2 of issue 12: text from a pull request (data cells, column names, config
//! strings, saved reports) must not act on the runner (workflow commands) nor on the PR's
//! Markdown (HTML, mentions, links, tables, code spans).

#[path = "support/github/mod.rs"]
mod github;
mod support;

use github::fake::FakeGithub;
use github::fixtures::{Actions, pull_request_event};
use support::*;

const PR: u64 = 9;

/// What a hostile pull request puts in names, labels and cells.
const PAYLOAD: &str = "\n::error::INJECTED\n::stop-commands::x\n @alice <details><summary>S</summary> <img src=https://t.example/p.gif> ![p](https://t.example/p.gif) | `` ` x";

/// An iris repo with a regression whose label column and one class label are hostile (suite
/// names are restricted by the config).
fn hostile_repo() -> Project {
    let repo = iris_repo_with_regression();
    let label = format!("species{PAYLOAD}");
    let toml_string = |s: &str| toml_escape(s);
    repo.write(
        "mlops-ci.toml",
        IRIS_CONFIG.replace(
            "label = \"species\"",
            &format!("label = {}", toml_string(&label)),
        ),
    );
    let data = std::fs::read_to_string(repo.path().join("data/test.csv")).unwrap();
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut lines: Vec<String> = data.lines().map(str::to_owned).collect();
    lines[0] = lines[0].replace("species", &quoted(&label));
    // One row's class becomes a label the model never predicts.
    let last = lines.len() - 1;
    let cells: Vec<&str> = lines[last].rsplitn(2, ',').collect();
    lines[last] = format!("{},{}", cells[1], quoted(&format!("virginica{PAYLOAD}")));
    repo.write("data/test.csv", &(lines.join("\n") + "\n"));
    repo.commit_all("hostile names");
    repo
}

fn toml_escape(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The workflow commands a GitHub runner would execute from this output: a line whose first
/// non-blank characters are `::`, unless commands are stopped (then only the resume token).
fn executed_commands(output: &str) -> Vec<String> {
    let mut stopped: Option<String> = None;
    let mut executed = Vec::new();
    for line in output.lines() {
        let line = line.trim_start();
        if !line.starts_with("::") {
            continue;
        }
        match &stopped {
            Some(token) => {
                if line == format!("::{token}::") {
                    stopped = None;
                }
            }
            None => {
                if let Some(token) = line.strip_prefix("::stop-commands::") {
                    stopped = Some(token.to_owned());
                }
                executed.push(line.to_owned());
            }
        }
    }
    executed
}

fn assert_no_line_starts_a_command(text: &str, what: &str) {
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a line starts a workflow command: {line:?}\n{text}"
        );
        assert!(!line.contains("##["), "{what}: legacy command: {line:?}");
    }
}

/// Markdown that GitHub would render with no HTML, mention, image or extra table cell from the
/// payload.
fn assert_markdown_is_defused(markdown: &str) {
    let text = outside_code_spans(markdown);
    for bad in ["<details><summary>S", "<img", "@alice", "![p]("] {
        assert!(!text.contains(bad), "{bad:?} survived:\n{markdown}");
    }
    assert!(
        markdown.contains("INJECTED"),
        "the text is shown, not dropped"
    );
    // Each table row keeps its column count: `|` in a value is escaped.
    let mut columns = None;
    for line in markdown.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count();
            if line.starts_with("|:") || line.starts_with("|--") {
                columns = Some(cells);
            } else if let Some(n) = columns {
                assert_eq!(cells, n, "a value split a table row: {line}");
            }
        } else {
            columns = None;
        }
    }
}

/// The Markdown with its inline code spans (CommonMark: a run of n backticks up to the next
/// run of exactly n) removed: what GitHub reads as Markdown rather than literal text.
fn outside_code_spans(markdown: &str) -> String {
    let mut out = String::new();
    // A fenced block (CommonMark): from a line opening with n >= 3 backticks to a line of at
    // least n backticks and nothing else; GitHub renders everything between as text.
    let fence = |line: &str| line.trim_start().chars().take_while(|&c| c == '`').count();
    let mut open_fence: Option<usize> = None;
    for line in markdown.lines() {
        if let Some(n) = open_fence {
            let trimmed = line.trim();
            if fence(trimmed) >= n && trimmed.chars().all(|c| c == '`') {
                open_fence = None;
            }
            continue;
        }
        if fence(line) >= 3 {
            open_fence = Some(fence(line));
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '`' && (i == 0 || chars[i - 1] != '\\') {
                let n = chars[i..].iter().take_while(|&&c| c == '`').count();
                let mut j = i + n;
                let mut close = None;
                while j < chars.len() {
                    if chars[j] == '`' {
                        let m = chars[j..].iter().take_while(|&&c| c == '`').count();
                        if m == n {
                            close = Some(j + m);
                            break;
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                }
                match close {
                    Some(end) => i = end,
                    None => {
                        out.extend(&chars[i..i + n]);
                        i += n;
                    }
                }
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn terminal_and_markdown_reports_neutralise_hostile_names_labels_and_cells() {
    let repo = hostile_repo();
    let out = mlops_ci()
        .args(["check", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The regression is found: the hostile label column and class are read, not refused.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("INJECTED"), "{stdout}\n{stderr}");
    assert_no_line_starts_a_command(&stdout, "terminal report");
    assert_no_line_starts_a_command(&stderr, "stderr");

    let out = mlops_ci()
        .args(["check", "--format", "markdown", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert_markdown_is_defused(&markdown);
    assert!(
        markdown.contains("``virginica ::error::INJECTED"),
        "the hostile class is a code span of its own: {markdown}"
    );

    // A saved report is untrusted too: `diff` renders its strings through the same layer.
    let out = mlops_ci()
        .args(["check", "--format", "json", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    let saved = repo.path().join("saved.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let out = mlops_ci()
        .arg("diff")
        .arg(&saved)
        .arg(&saved)
        .output()
        .unwrap();
    assert_no_line_starts_a_command(&String::from_utf8_lossy(&out.stdout), "diff");
    let out = mlops_ci()
        .arg("diff")
        .arg(&saved)
        .arg(&saved)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert_markdown_is_defused(&String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_config_error_quoting_a_hostile_string_is_guarded_on_stderr() {
    let repo = Project::new();
    repo.write(
        "mlops-ci.toml",
        format!(
            "[[suite]]\nname = {}\nmodel = \"m.onnx\"\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"y\"\n",
            toml_escape(&format!("x{PAYLOAD}"))
        ),
    );
    let out = mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_no_line_starts_a_command(&String::from_utf8_lossy(&out.stderr), "stderr");
    repo.write(
        "mlops-ci.toml",
        format!(
            "[[suite]]\nname = \"x\"\nmodel = {}\ntask = \"classification\"\n[suite.data]\npath = \"d.csv\"\nlabel = \"y\"\n",
            toml_escape(&format!("m{PAYLOAD}.onnx"))
        ),
    );
    let out = mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_no_line_starts_a_command(&stdout, "stdout");
    assert_no_line_starts_a_command(&stderr, "stderr");
}

#[tokio::test(flavor = "multi_thread")]
async fn ci_stops_commands_before_printing_anything_and_publishes_defused_markdown() {
    let fake = FakeGithub::start().await;
    let repo = hostile_repo();
    let actions = Actions::new(&fake.url, "pull_request", &pull_request_event(PR, false));
    let mut cmd = mlops_ci();
    cmd.envs(&actions.vars).arg("-C").arg(repo.path()).arg("ci");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.starts_with("::stop-commands::"),
        "the guard comes first: {stdout}"
    );
    assert_no_line_starts_a_command(&stderr, "stderr");
    for command in executed_commands(&stdout) {
        assert!(
            !command.contains("INJECTED") || command.contains("%0A"),
            "a command from the pull request ran: {command}\n{stdout}"
        );
        assert!(
            !command.starts_with("::error::INJECTED") && !command.starts_with("::stop-commands::x"),
            "{command}"
        );
    }
    let comments = fake.comments(PR);
    assert_eq!(comments.len(), 1);
    assert_markdown_is_defused(&comments[0].body);
    assert_markdown_is_defused(&actions.summary());
}
