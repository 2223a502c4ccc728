use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use mlops_ci::app::{self, CheckOptions, SuiteSelection};
use mlops_ci::cli::{Cli, ColorChoice, Command, OutputArgs, RuntimeCommand};
use mlops_ci::error::{Error, Result};
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
        Command::Check(args) => {
            let config = app::load_config(&cli.dir, cli.config.as_deref())?;
            let options = CheckOptions {
                base: args.base.clone(),
                suites: args.suites.clone(),
                device: args.device,
                runtime: runtime_options,
                predictions: args.predictions.clone(),
            };
            let report = app::check(&config, SuiteSelection::all(&config), &options)?;
            emit(&report, &args.output, color)
        }
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
            let report =
                app::diff_reports(&cli.dir.join(&args.before), &cli.dir.join(&args.after))?;
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

/// Prints the report, writes `--output`, and turns the verdict into the exit status.
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
