use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use mlops_ci::app::{self, CheckOptions};
use mlops_ci::cli::{
    Cli, ColorChoice, Command, DataCommand, HookCommand, HookSelection, OutputArgs, RuntimeCommand,
};
use mlops_ci::detect;
use mlops_ci::error::{Error, Result};
use mlops_ci::git::{BaseQuery, Repo};
use mlops_ci::hook::{self, HookError, HookKind, HookRun};
use mlops_ci::publish;
use mlops_ci::report::{self, Format, RenderOptions, Report};
use mlops_ci::runtime;

fn main() -> ExitCode {
    let (name, value) = runtime::TELEMETRY_OFF_ENV;
    // SAFETY: the first statement of main: no other thread exists yet to read the environment.
    unsafe { std::env::set_var(name, value) };
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors quote config strings, paths and data cells from the pull request.
            eprintln!(
                "error: {}",
                mlops_ci::report::escape::for_log(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // With -v, each stage (a tracing span) is printed with its time when it ends.
    let span_events = if verbose > 0 {
        tracing_subscriber::fmt::format::FmtSpan::CLOSE
    } else {
        tracing_subscriber::fmt::format::FmtSpan::NONE
    };
    // No timestamps on events, but span timings stay (`Layer::without_time` would drop both).
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_span_events(span_events)
        .event_format(
            tracing_subscriber::fmt::format()
                .without_time()
                .with_target(false)
                .with_ansi(ansi),
        )
        .init();
}

fn run(cli: &Cli) -> Result<u8> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    match &cli.command {
        Command::Check(args) if !args.github => {
            let config = app::load_config(&cli.dir, cli.config.as_deref())?;
            let options = check_options(args);
            let selection = app::select_suites(&config, args, &options)?;
            // Nothing affected: one line, and neither ONNX Runtime nor data is loaded.
            let terminal_only =
                args.output.output.is_none() && args.output.format == Format::Terminal;
            if let (true, true, Some(line)) = (
                selection.run.is_empty(),
                terminal_only,
                &selection.nothing_line,
            ) {
                println!("{}", report::escape::neutralise_workflow_commands(line));
                return Ok(0);
            }
            let report = app::check(&config, selection, &options)?;
            emit(&report, &args.output, color)
        }
        Command::Check(args) | Command::Ci(args) => app::run_ci(
            &cli.dir,
            cli.config.as_deref(),
            args,
            check_options(args),
            color,
        ),
        Command::Publish(args) => {
            let outcome = publish::publish_from_dir_blocking(args, &mut std::io::stdout())?;
            Ok(args.exit_code(&outcome))
        }
        Command::Detect(args) => {
            let config = app::load_config(&cli.dir, cli.config.as_deref())?;
            let detection = detect::detect(
                &config,
                &BaseQuery {
                    flag: args.base.as_deref(),
                    ..BaseQuery::default()
                },
            )?;
            if args.github_output {
                detect::write_github_output(&detection)?;
            }
            let text = if args.json {
                detect::render_json(&detection)
            } else {
                detect::render_text(&detection)
            };
            print!("{}", report::escape::neutralise_workflow_commands(&text));
            Ok(0)
        }
        Command::Hook(command) => run_hook(cli, command),
        Command::Eval(args) => {
            let options = CheckOptions {
                runtime: args.runtime.options(),
                predictions: None,
                ..CheckOptions::default()
            };
            let report = app::eval_adhoc(args, &cli.dir, &options)?;
            emit(&report, &args.output, color)
        }
        Command::Diff(args) => {
            // `--config`, else the directory's config when there is one; none evaluates no gate.
            let config = match &cli.config {
                Some(_) => Some(app::load_config(&cli.dir, cli.config.as_deref())?),
                None if cli.dir.join(mlops_ci::config::CONFIG_FILE_NAME).is_file() => {
                    Some(app::load_config(&cli.dir, None)?)
                }
                None => None,
            };
            let report = app::diff_reports(
                &cli.dir.join(&args.before),
                &cli.dir.join(&args.after),
                config.as_ref(),
            )?;
            emit(&report, &args.output, color)
        }
        Command::Inspect(args) => {
            let display = args.model.display().to_string();
            let summary = app::inspect_file(&cli.dir.join(&args.model), &display)?;
            if args.json {
                let text = serde_json::to_string_pretty(&summary)
                    .map_err(|e| mlops_ci::error::Error::Usage(e.to_string()))?;
                println!("{text}");
            } else {
                print!("{}", app::render_summary(&display, &summary));
            }
            Ok(0)
        }
        Command::Init(args) => init(&cli.dir, args.yes),
        Command::Data(DataCommand::Profile(args)) => {
            let text = app::data_profile(&cli.dir.join(&args.file), args.label.as_deref())?;
            print!("{text}");
            Ok(0)
        }
        Command::Data(DataCommand::Check(args)) => {
            let config = app::load_config(&cli.dir, cli.config.as_deref())?;
            let report = app::data_check(
                &config,
                &args.suites,
                args.base.as_deref(),
                args.base_file
                    .as_deref()
                    .map(|f| cli.dir.join(f))
                    .as_deref(),
                args.accept_gate_changes.then_some("--accept-gate-changes"),
            )?;
            emit(&report, &args.output, color)
        }
        Command::Doctor(runtime) => {
            print!("{}", app::doctor(&cli.dir, &runtime.options()));
            Ok(0)
        }
        Command::Runtime(RuntimeCommand::Install { gpu, version }) => {
            let path = runtime::provision(*gpu, version)?;
            println!("{}", path.display());
            Ok(0)
        }
    }
}

fn run_hook(cli: &Cli, command: &HookCommand) -> Result<u8> {
    let kinds = |selection: &HookSelection, default: &[HookKind]| -> Vec<HookKind> {
        let mut kinds = Vec::new();
        if selection.pre_push {
            kinds.push(HookKind::PrePush);
        }
        if selection.pre_commit {
            kinds.push(HookKind::PreCommit);
        }
        if kinds.is_empty() {
            default.to_vec()
        } else {
            kinds
        }
    };
    let repo = || {
        Repo::discover(&cli.dir).ok_or_else(|| HookError::NotARepository {
            dir: cli.dir.clone(),
        })
    };
    match command {
        HookCommand::Install(selection) => {
            let repo = repo()?;
            // The config the hook will use, found as `check` finds it (here or in a parent
            // directory). Refuse without one: a hook that fails every push helps nobody.
            let config_path = match &cli.config {
                Some(file) => cli.dir.join(file),
                None => mlops_ci::config::find_config_file(&cli.dir)?,
            };
            let config = mlops_ci::config::Config::load(&config_path)?;
            // The hook runs at the work tree root: record where the config is from there.
            let relative = repo.relative(&config_path)?;
            let config_dir = match relative.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_string_lossy().into_owned(),
                _ => ".".to_owned(),
            };
            let config_file = relative
                .file_name()
                .filter(|name| *name != mlops_ci::config::CONFIG_FILE_NAME)
                .map(|name| name.to_string_lossy().into_owned());
            let binary = std::env::current_exe().map_err(|source| HookError::Io {
                path: "mlops-ci".into(),
                source,
            })?;
            for kind in kinds(selection, &[HookKind::PrePush]) {
                println!(
                    "{}",
                    hook::install(&repo, kind, &binary, &config_dir, config_file.as_deref())?
                );
            }
            println!(
                "it checks with {}; {}",
                relative.display(),
                hook::policy_summary(&config.hook)
            );
            Ok(0)
        }
        HookCommand::Uninstall(selection) => {
            let repo = repo()?;
            for kind in kinds(selection, &[HookKind::PrePush, HookKind::PreCommit]) {
                println!("{}", hook::uninstall(&repo, kind)?);
            }
            Ok(0)
        }
        HookCommand::Run {
            hook: kind,
            runtime,
            args,
        } => {
            let mut passthrough: Vec<std::ffi::OsString> = Vec::new();
            let mut check_args: Vec<std::ffi::OsString> = Vec::new();
            if let Some(lib) = &runtime.ort_lib {
                check_args.extend(["--ort-lib".into(), lib.clone().into_os_string()]);
            }
            if runtime.offline {
                check_args.push("--offline".into());
            }
            let color = match cli.color {
                ColorChoice::Auto => "auto",
                ColorChoice::Always => "always",
                ColorChoice::Never => "never",
            };
            passthrough.extend(["--color".into(), color.into()]);
            for _ in 0..cli.verbose {
                passthrough.push("-v".into());
            }
            let how = HookRun {
                dir: &cli.dir,
                config: cli.config.as_deref(),
                passthrough,
                check_args,
                args,
            };
            hook::run(*kind, &how)
        }
    }
}

/// `mlops-ci init`: plan, show, ask on a terminal (unless --yes), write.
fn init(dir: &Path, yes: bool) -> Result<u8> {
    let plan = mlops_ci::init::plan(dir)?;
    let summary = mlops_ci::init::summary(&plan);
    if !yes && std::io::stdin().is_terminal() {
        print!("mlops-ci init will write {summary}Write it? [Y/n] ");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "n" | "no") {
            println!("nothing written");
            return Ok(0);
        }
    }
    mlops_ci::init::write(&plan)?;
    print!("wrote {summary}");
    println!(
        "Check the lines marked CHECK in the file, then:\n  mlops-ci check --all     # evaluate every suite against the baseline\n  mlops-ci hook install    # check before every push"
    );
    Ok(0)
}

/// Prints the report, writes `--output`, and turns the verdict into the exit status.
fn check_options(args: &mlops_ci::cli::CheckArgs) -> CheckOptions {
    CheckOptions {
        base: args.base.clone(),
        base_label: args.base_label.clone(),
        candidate_label: args.candidate_label.clone(),
        accept_gate_changes: args
            .accept_gate_changes
            .then(|| "--accept-gate-changes".to_owned()),
        suites: args.suites.clone(),
        device: args.device,
        runtime: args.runtime.options(),
        predictions: args.predictions.clone(),
    }
}

fn emit(report: &Report, output: &OutputArgs, color: bool) -> Result<u8> {
    let _span = tracing::info_span!("report").entered();
    let render = |format: Format, color: bool| {
        report::render(
            report,
            format,
            &RenderOptions {
                color,
                templates: output.templates.clone(),
            },
        )
    };
    match &output.output {
        Some(path) => {
            write_file(path, &render(output.format, false)?)?;
            if output.format != Format::Terminal {
                print!("{}", render(Format::Terminal, color)?);
            }
        }
        None => print!(
            "{}",
            render(output.format, color && output.format == Format::Terminal)?
        ),
    }
    Ok(report.exit_code())
}

/// Writes `--output`, creating its folder (`reports/pr-12/report.md`) when missing.
fn write_file(path: &Path, text: &str) -> Result<()> {
    let error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::write(path, text).map_err(error)
}
