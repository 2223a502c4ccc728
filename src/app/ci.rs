//! `mlops-ci ci` (and `check --github`): `check`, then publishing to GitHub. A failed gate
//! or a failed run is published first, and decides the exit status afterwards.

use std::io::Write;
use std::path::Path;

use super::{CheckOptions, SuiteSelection, check, load_config};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::git::{BaseQuery, Repo};
use crate::publish::{self, FailedGate, FileProblem, PublishRequest};
use crate::report::{self, Format, RenderOptions, Report};

/// Runs the check in the Actions environment and publishes its report.
pub fn run_ci(
    dir: &Path,
    config_file: Option<&Path>,
    args: &CheckArgs,
    mut options: CheckOptions,
    color: bool,
) -> Result<u8> {
    // Before anything else reaches the runner's log, stdout or stderr.
    let mut stdout = std::io::stdout();
    let stopped = publish::CommandsStopped::begin(&mut stdout).map_err(|source| Error::Write {
        path: "(stdout)".into(),
        source,
    })?;
    let ctx = publish::prepare_ci(&args.publish)?;
    let render = |report: &Report, format: Format, color: bool| {
        report::render(
            report,
            format,
            &RenderOptions {
                color,
                templates: args.output.templates.clone(),
            },
        )
    };
    let outcome = (|| -> Result<(Report, PublishRequest)> {
        let config = load_config(dir, config_file)?;
        let repo = Repo::discover(&config.root);
        // On a pull request, the baseline is the base branch as it is now (as GitHub merged
        // it into the test-merge commit).
        if args.base.is_none()
            && let Some(found) = repo.as_ref().and_then(|r| ctx.baseline_revision(&r.repo))
        {
            options.base = Some(found.commit);
            options.base_label = Some(found.how);
        }
        // Loosened gates: `--accept-gate-changes`, else the pull request's label.
        if options.accept_gate_changes.is_none() {
            options.accept_gate_changes = ctx
                .pull_request
                .as_ref()
                .and_then(|pr| pr.accepts_gate_changes());
        }
        let selection = select_suites(&config, args, &options)?;
        let report = check(&config, selection, &options)?;
        let request = publish_request(
            &report,
            &config,
            repo.as_ref(),
            &render(&report, Format::Markdown, false)?,
            &render(&report, Format::Json, false)?,
        );
        Ok((report, request))
    })();
    let request = match outcome {
        Ok((report, request)) => {
            print!("{}", render(&report, Format::Terminal, color)?);
            if let Some(path) = &args.output.output {
                std::fs::write(path, render(&report, args.output.format, false)?).map_err(
                    |source| Error::Write {
                        path: path.clone(),
                        source,
                    },
                )?;
            }
            request
        }
        Err(e) => {
            // The pull request should still learn why the check is red.
            eprintln!("error: {}", report::escape::for_log(&e.to_string()));
            let config_path = config_file.map_or_else(
                || crate::config::CONFIG_FILE_NAME.to_owned(),
                |p| p.display().to_string(),
            );
            PublishRequest::from_error(&e.to_string(), args.suites.clone(), &config_path)
        }
    };
    // The tool's own commands (annotations, the report group) need commands back on; the
    // report inside the group is stopped again by `write_workflow_commands`.
    stopped.resume(&mut stdout).map_err(|source| Error::Write {
        path: "(stdout)".into(),
        source,
    })?;
    let outcome = publish::finish_ci_blocking(&ctx, &request, &args.publish, &mut stdout)?;
    let _ = stdout.flush();
    Ok(args.publish.exit_code(&outcome))
}

/// `--all` or `--suite`: those suites; otherwise the suites the changes since `base` affect.
pub fn select_suites(
    config: &Config,
    args: &CheckArgs,
    options: &CheckOptions,
) -> Result<SuiteSelection> {
    if args.all || !args.suites.is_empty() {
        return Ok(SuiteSelection::all(config));
    }
    let _span = tracing::info_span!("detect changes").entered();
    let query = BaseQuery {
        flag: options.base.as_deref(),
        flag_label: options.base_label.as_deref(),
        ..BaseQuery::default()
    };
    Ok(SuiteSelection::affected(&crate::detect::detect(
        config, &query,
    )?))
}

fn publish_request(
    report: &Report,
    config: &Config,
    repo: Option<&Repo>,
    markdown: &str,
    json: &str,
) -> PublishRequest {
    // Annotations need the config's path from the repository root.
    let config_path = repo
        .and_then(|r| r.relative(&config.path).ok())
        .map_or_else(
            || config.path.display().to_string(),
            |p| p.display().to_string(),
        );
    let failed_gates = report
        .failed_gates()
        .map(|(suite, gate)| FailedGate {
            suite: suite.name.clone(),
            metric: gate.metric.clone(),
            reason: gate.reason.clone(),
            config_path: config_path.clone(),
            line: u32::try_from(gate.line).ok(),
        })
        .collect();
    let verdict = match report.verdict {
        crate::compare::Verdict::Pass => publish::Verdict::Pass,
        crate::compare::Verdict::NoBaseline => publish::Verdict::NoBaseline,
        crate::compare::Verdict::NoGates => publish::Verdict::NoGates,
        crate::compare::Verdict::Fail => publish::Verdict::Fail,
        crate::compare::Verdict::Error => publish::Verdict::Error,
    };
    let repo_path = |data_path: &str| {
        let path = config.resolve(std::path::Path::new(data_path));
        repo.and_then(|r| r.relative(&path).ok())
            .map_or(data_path.to_owned(), |p| p.display().to_string())
    };
    let unreadable = report
        .suites
        .iter()
        .filter_map(|s| Some((s.error_location.as_ref()?, s.error.as_deref()?)))
        .map(|(location, message)| FileProblem {
            path: repo_path(&location.path),
            line: location.line.and_then(|l| u32::try_from(l).ok()),
            message: message.to_owned(),
        });
    // Each row at fault under a broken `fail` rule of the contract, on its line.
    let broken_rows = report
        .suites
        .iter()
        .filter_map(|s| s.data_validation.as_ref())
        .flat_map(|dv| {
            dv.checks
                .iter()
                .filter(|c| c.outcome == crate::report::CheckOutcome::Fail)
                .flat_map(move |c| check_problems(&repo_path(&dv.path), c))
        });
    let data_problems = unreadable.chain(broken_rows).collect();
    PublishRequest {
        markdown: markdown.to_owned(),
        json: json.to_owned(),
        verdict,
        failed_gates,
        data_problems,
        suites: report.suites.iter().map(|s| s.name.clone()).collect(),
        config_path,
    }
}

/// A broken check as annotations: one per offending row with a line, else one on the file.
fn check_problems(path: &str, check: &crate::report::DataCheck) -> Vec<FileProblem> {
    let what = match &check.column {
        Some(column) => format!("`{}` on `{column}`", check.check),
        None => format!("`{}`", check.check),
    };
    let located: Vec<FileProblem> = check
        .rows
        .iter()
        .filter_map(|o| {
            Some(FileProblem {
                path: path.to_owned(),
                line: u32::try_from(o.line?).ok(),
                message: format!("{what}: row {} holds {}; {}", o.row, o.value, check.message),
            })
        })
        .collect();
    if located.is_empty() {
        vec![FileProblem {
            path: path.to_owned(),
            line: None,
            message: format!("{what}: {}", check.message),
        }]
    } else {
        located
    }
}
