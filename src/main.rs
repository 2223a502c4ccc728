use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use mlops_ci::app::{self, CheckOptions};
use mlops_ci::cli::{
    Cli, ColorChoice, Command, HookCommand, HookSelection, OutputArgs, RuntimeCommand,
};
use mlops_ci::detect;
use mlops_ci::error::{Error, Result};
use mlops_ci::git::{BaseQuery, Repo};
use mlops_ci::hook::{self, HookError, HookKind, HookRun};
use mlops_ci::publish;
use mlops_ci::report::{self, Format, RenderOptions, Report};
use mlops_ci::runtime::{self, RuntimeOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

fn run(cli: &Cli) -> Result<u8> {
    let runtime_options = RuntimeOptions {
        ort_lib: cli.ort_lib.clone(),
        offline: cli.offline,
    };
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
            let options = check_options(args, runtime_options);
            let selection = app::select_suites(&config, args, &options)?;
            // Nothing affected: one line, and neither ONNX Runtime nor data is loaded.
            let terminal_only =
                args.output.output.is_none() && args.output.format == Format::Terminal;
            if let (true, true, Some(line)) = (
                selection.run.is_empty(),
                terminal_only,
                &selection.nothing_line,
            ) {
                println!("{line}");
                return Ok(0);
            }
            let report = app::check(&config, selection, &options)?;
            emit(&report, &args.output, color)
        }
        Command::Check(args) | Command::Ci(args) => app::run_ci(
            &cli.dir,
            cli.config.as_deref(),
            args,
            check_options(args, runtime_options),
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
            print!("{text}");
            Ok(0)
        }
        Command::Hook(command) => run_hook(cli, command),
        Command::Eval(args) => {
            let options = CheckOptions {
                runtime: runtime_options,
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
        Command::Doctor => {
            print!("{}", app::doctor(&cli.dir, &runtime_options));
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
            // The hook runs at the work tree root: record where the config is from there.
            let config_dir = repo.relative(&cli.dir)?.to_string_lossy().into_owned();
            let config_dir = if config_dir.is_empty() {
                ".".to_owned()
            } else {
                config_dir
            };
            let binary = std::env::current_exe().map_err(|source| HookError::Io {
                path: "mlops-ci".into(),
                source,
            })?;
            let config_file = cli
                .config
                .as_deref()
                .map(|p| p.to_string_lossy().into_owned());
            for kind in kinds(selection, &[HookKind::PrePush]) {
                println!(
                    "{}",
                    hook::install(&repo, kind, &binary, &config_dir, config_file.as_deref())?
                );
            }
            Ok(0)
        }
        HookCommand::Uninstall(selection) => {
            let repo = repo()?;
            for kind in kinds(selection, &[HookKind::PrePush, HookKind::PreCommit]) {
                println!("{}", hook::uninstall(&repo, kind)?);
            }
            Ok(0)
        }
        HookCommand::Run { hook: kind, args } => {
            let mut passthrough: Vec<std::ffi::OsString> = Vec::new();
            if let Some(lib) = &cli.ort_lib {
                passthrough.extend(["--ort-lib".into(), lib.clone().into_os_string()]);
            }
            if cli.offline {
                passthrough.push("--offline".into());
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
                args,
            };
            hook::run(*kind, &how)
        }
    }
}

/// Prints the report, writes `--output`, and turns the verdict into the exit status.
fn check_options(args: &mlops_ci::cli::CheckArgs, runtime: RuntimeOptions) -> CheckOptions {
    CheckOptions {
        base: args.base.clone(),
        base_label: args.base_label.clone(),
        candidate_label: args.candidate_label.clone(),
        accept_gate_changes: args
            .accept_gate_changes
            .then(|| "--accept-gate-changes".to_owned()),
        suites: args.suites.clone(),
        device: args.device,
        runtime,
        predictions: args.predictions.clone(),
    }
}

fn emit(report: &Report, output: &OutputArgs, color: bool) -> Result<u8> {
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

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
