//! The runner-side outputs, which need no token and no network: workflow commands on stdout
//! (`::error file=...::`, `::group::`), the job summary file and the step outputs file.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::Path;

use super::error::PublishError;
use super::fold::{bytes, fold_markdown};
use super::{PublishRequest, Verdict};

/// GitHub refuses a job summary over 1 MiB per step (and then shows none of it).
pub const STEP_SUMMARY_LIMIT_BYTES: usize = 1024 * 1024;

/// Annotations per step that GitHub shows: 10 errors; more are dropped silently, so the rest
/// are summed up in one line instead.
const MAX_ERROR_COMMANDS: usize = 10;

/// Escapes the message part of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Workflow commands off (`::stop-commands::TOKEN`) from the first line `ci` prints until
/// [`CommandsStopped::resume`], so that nothing the run prints on the way — the terminal
/// report, warnings and errors on stderr, all of which hold text from the pull request —
/// can act on the job. The runner reads stdout and stderr as one stream.
pub struct CommandsStopped {
    token: String,
}

impl CommandsStopped {
    pub fn begin(out: &mut dyn Write) -> std::io::Result<CommandsStopped> {
        let token = format!("mlops-ci-{:016x}", random_u64());
        writeln!(out, "::stop-commands::{token}")?;
        out.flush()?;
        Ok(CommandsStopped { token })
    }

    /// Turns workflow commands back on, for the tool's own (escaped) commands.
    pub fn resume(self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "::{}::", self.token)?;
        out.flush()
    }
}

/// `::error file=...,line=...,title=...::message` for each failed gate and data problem, so
/// that they show on the run page and in the PR's changed files, and a group with the report.
pub fn write_workflow_commands(out: &mut dyn Write, req: &PublishRequest) -> std::io::Result<()> {
    // The report holds text from the repository (class labels, paths, messages). Between
    // `::stop-commands::` and its token the runner executes no workflow command, so a label
    // like `::add-mask::` or `::error::` in a pull request's data cannot act on the job.
    let resume = format!("mlops-ci-{:016x}", random_u64());
    writeln!(out, "::group::mlops-ci report ({})", req.verdict.as_str())?;
    writeln!(out, "::stop-commands::{resume}")?;
    writeln!(out, "{}", req.markdown.trim_end())?;
    writeln!(out, "::{resume}::")?;
    writeln!(out, "::endgroup::")?;

    let mut errors: Vec<String> = Vec::new();
    for gate in &req.failed_gates {
        let line = gate.line.map(|l| format!(",line={l}")).unwrap_or_default();
        errors.push(format!(
            "::error file={}{line},title={}::{}",
            escape_property(&gate.config_path),
            escape_property(&format!(
                "mlops-ci: {} gate failed in {}",
                gate.metric, gate.suite
            )),
            escape_data(&gate.reason),
        ));
    }
    for problem in &req.data_problems {
        let line = problem
            .line
            .map(|l| format!(",line={l}"))
            .unwrap_or_default();
        errors.push(format!(
            "::error file={}{line},title={}::{}",
            escape_property(&problem.path),
            escape_property("mlops-ci: data validation failed"),
            escape_data(&problem.message),
        ));
    }
    let shown = errors.len().min(MAX_ERROR_COMMANDS);
    for command in &errors[..shown] {
        writeln!(out, "{command}")?;
    }
    if errors.len() > shown {
        writeln!(
            out,
            "::error::mlops-ci: {} more failures; see the job summary",
            errors.len() - shown
        )?;
    }
    if req.verdict == Verdict::Error && errors.is_empty() {
        writeln!(
            out,
            "::error::mlops-ci could not evaluate every suite; see the report above"
        )?;
    }
    Ok(())
}

/// `::warning::` for a publishing problem that does not change the exit status.
pub(crate) fn write_warning(out: &mut dyn Write, message: &str) -> std::io::Result<()> {
    writeln!(out, "::warning title=mlops-ci::{}", escape_data(message))
}

/// Appends the Markdown report to the job summary (`$GITHUB_STEP_SUMMARY`), folded to its
/// 1 MiB limit.
pub fn append_step_summary(
    path: &Path,
    markdown: &str,
    run_url: Option<&str>,
) -> Result<(), PublishError> {
    let note = match run_url {
        Some(url) => format!(
            "> **Note:** {{folded}} section(s) were left out to fit the job summary's 1 MiB limit; the full report is the `report.md` of the [run's]({url}) report bundle."
        ),
        None => "> **Note:** {folded} section(s) were left out to fit the job summary's 1 MiB limit; the full report is the `report.md` of the report bundle.".to_owned(),
    };
    // Leave room for other steps' summaries: GitHub's limit is per step, so the whole limit.
    let text = fold_markdown(markdown, STEP_SUMMARY_LIMIT_BYTES - 1, &note, bytes);
    append(path, "the job summary", &format!("{}\n", text.trim_end()))
}

/// GitHub keeps at most 1 MB of outputs per job; a larger `json` output would be dropped or
/// fail the job, so it is left empty and report.json in `report-path` is the way to it.
pub const JSON_OUTPUT_LIMIT_BYTES: usize = 900 * 1024;

/// The step outputs of a run: `verdict`, `failed-gates` (a JSON array of the failed gates,
/// `[]` when none), `report-path` (the bundle directory holding report.md and report.json) and
/// `json` (the whole JSON report; empty when over [`JSON_OUTPUT_LIMIT_BYTES`]).
pub fn step_outputs(req: &PublishRequest, report_path: &Path) -> Vec<(&'static str, String)> {
    let json = if req.json.len() <= JSON_OUTPUT_LIMIT_BYTES {
        req.json.clone()
    } else {
        String::new()
    };
    vec![
        ("verdict", req.verdict.as_str().to_owned()),
        (
            "failed-gates",
            serde_json::to_string(&req.failed_gates).unwrap_or_else(|_| "[]".to_owned()),
        ),
        ("report-path", report_path.display().to_string()),
        ("json", json),
    ]
}

/// Appends `outputs` to the `$GITHUB_OUTPUT` file.
pub fn write_step_outputs(path: &Path, outputs: &[(&str, String)]) -> Result<(), PublishError> {
    let text: String = outputs
        .iter()
        .map(|(name, value)| format_step_output(name, value))
        .collect();
    append(path, "the step outputs", &text)
}

/// One output in GitHub's multi-line syntax: `name<<DELIM`, the value, `DELIM`. The delimiter
/// is random and checked not to occur in the value, so a report cannot end the value early
/// and set other outputs.
pub fn format_step_output(name: &str, value: &str) -> String {
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{:016x}", random_u64());
        if !value.contains(&candidate) {
            break candidate;
        }
    };
    let newline = if value.ends_with('\n') { "" } else { "\n" };
    format!("{name}<<{delimiter}\n{value}{newline}{delimiter}\n")
}

fn random_u64() -> u64 {
    // RandomState is seeded from the OS per instance: enough for an unguessable delimiter.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish()
}

fn append(path: &Path, what: &'static str, text: &str) -> Result<(), PublishError> {
    let error = |source| PublishError::WriteFile {
        what,
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    file.write_all(text.as_bytes()).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::FailedGate;

    fn request() -> PublishRequest {
        PublishRequest {
            markdown: "### ❌ failed\n".into(),
            json: "{\"schema_version\": 1,\n \"x\": \"100%\"}".into(),
            verdict: Verdict::Fail,
            failed_gates: vec![FailedGate {
                suite: "iris".into(),
                metric: "accuracy".into(),
                reason: "accuracy 0.80 < min 0.90\nsecond line, 5%".into(),
                config_path: "ml/mlops-ci.toml".into(),
                line: Some(12),
            }],
            data_problems: vec![],
            suites: vec!["iris".into()],
            config_path: "ml/mlops-ci.toml".into(),
        }
    }

    #[test]
    fn error_commands_are_escaped_and_located() {
        let mut out = Vec::new();
        write_workflow_commands(&mut out, &request()).expect("write");
        let out = String::from_utf8(out).expect("utf8");
        assert!(out.starts_with("::group::mlops-ci report (fail)\n"));
        assert!(out.contains(
            "::error file=ml/mlops-ci.toml,line=12,title=mlops-ci%3A accuracy gate failed in iris::accuracy 0.80 < min 0.90%0Asecond line, 5%25\n"
        ), "{out}");
    }

    #[test]
    fn report_text_cannot_issue_workflow_commands() {
        let mut req = request();
        req.markdown = "| `::add-mask::x` |\n::error::injected\n".into();
        let mut out = Vec::new();
        write_workflow_commands(&mut out, &req).expect("write");
        let out = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = out.lines().collect();
        let stop = lines
            .iter()
            .position(|l| l.starts_with("::stop-commands::"))
            .expect("stop-commands");
        let token = &lines[stop]["::stop-commands::".len()..];
        let resume = lines
            .iter()
            .position(|l| *l == format!("::{token}::"))
            .expect("resume");
        let injected = lines
            .iter()
            .position(|l| *l == "::error::injected")
            .expect("report line");
        assert!(stop < injected && injected < resume, "{out}");
        assert!(!req.markdown.contains(token));
    }

    #[test]
    fn outputs_use_unique_delimiters_and_parse_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("output");
        let req = request();
        write_step_outputs(&path, &step_outputs(&req, Path::new("/tmp/report"))).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        // Parse the way the runner does: name<<DELIM, lines until DELIM.
        let mut parsed = std::collections::HashMap::new();
        let mut lines = text.lines();
        while let Some(header) = lines.next() {
            let (name, delimiter) = header.split_once("<<").expect("multi-line syntax");
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            parsed.insert(name.to_owned(), value.join("\n"));
        }
        assert_eq!(parsed["verdict"], "fail");
        assert_eq!(parsed["json"], req.json);
        assert_eq!(parsed["report-path"], "/tmp/report");
        let gates: Vec<FailedGate> = serde_json::from_str(&parsed["failed-gates"]).expect("json");
        assert_eq!(gates, req.failed_gates);
    }

    #[test]
    fn oversized_json_output_is_left_empty() {
        let mut req = request();
        req.json = format!("{{\"x\": \"{}\"}}", "a".repeat(JSON_OUTPUT_LIMIT_BYTES));
        let outputs = step_outputs(&req, Path::new("/tmp/report"));
        assert_eq!(outputs[3], ("json", String::new()));
    }

    #[test]
    fn summary_is_appended_not_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "earlier step\n").expect("write");
        append_step_summary(&path, "### report", None).expect("append");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "earlier step\n### report\n"
        );
    }
}
