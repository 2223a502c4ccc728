//! The command line: every flag and its help text. Handlers live in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Device, Task};
use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "mlops-ci",
    version,
    about = "Keep bad models out of main: evaluate a candidate ONNX model against its baseline, gate the metrics, report.",
    after_help = "Examples:\n  mlops-ci check                          # the suites your change affects: evaluate, gate, report\n  mlops-ci check --all -C examples/iris   # every suite, in another directory\n  mlops-ci check --format json --output results.json\n  mlops-ci detect                         # which suites a change affects, and why\n  mlops-ci hook install                   # check before every git push\n  mlops-ci ci                             # in GitHub Actions: check, then comment and check run\n  mlops-ci eval --model m.onnx --data test.csv --label y --task regression\n  mlops-ci doctor                         # what ONNX Runtime, devices and git were found\n\nExit status: 0 every gate passed (or no baseline), 1 a gate failed, 2 error."
)]
pub struct Cli {
    /// Run as if started in DIR (like `git -C`).
    #[arg(short = 'C', global = true, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Use this config file instead of DIR/mlops-ci.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to colour terminal output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// More logging on stderr (-v info, -vv debug); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// Where ONNX Runtime comes from; only on the commands that load it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "ONNX Runtime")]
pub struct RuntimeArgs {
    /// ONNX Runtime shared library to load (else MLOPS_CI_ORT_LIB, ORT_DYLIB_PATH, the cache,
    /// python3's onnxruntime, the system paths).
    #[arg(long, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,

    /// Never install ONNX Runtime with pip; fail with instructions instead.
    #[arg(long)]
    pub offline: bool,
}

impl RuntimeArgs {
    pub fn options(&self) -> crate::runtime::RuntimeOptions {
        crate::runtime::RuntimeOptions {
            ort_lib: self.ort_lib.clone(),
            offline: self.offline,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate candidate and baseline models, compare metrics, decide the gates, report.
    #[command(
        after_help = "Examples:\n  mlops-ci check\n  mlops-ci check --base origin/main --suite iris\n  mlops-ci check --format markdown --output report.md\n  mlops-ci check --predictions preds.csv"
    )]
    Check(CheckArgs),

    /// In GitHub Actions: `check`, then the sticky PR comment, a check run, the job summary
    /// and step outputs.
    #[command(
        after_help = "Examples:\n  mlops-ci ci                                  # in a pull_request workflow\n  mlops-ci ci --no-publish --bundle-dir report  # fork PRs: publish later from a trusted run\n  mlops-ci ci --fail-on-gate false --suite iris\n\nNeeds GITHUB_TOKEN with pull-requests: write and checks: write; see README \"GitHub Actions\"."
    )]
    Ci(CheckArgs),

    /// Post a report bundle written by `ci --no-publish` (the trusted half of the two-phase
    /// workflow for pull requests from forks). Runs nothing from the pull request.
    #[command(after_help = "Example (in a workflow_run job):\n  mlops-ci publish --from report")]
    Publish(crate::publish::PublishFromArgs),

    /// Evaluate one model on one data file, without a config or git.
    #[command(
        after_help = "Examples:\n  mlops-ci eval --model model.onnx --data test.csv --label species\n  mlops-ci eval --model new.onnx --baseline old.onnx --data test.npz --task regression"
    )]
    Eval(EvalArgs),

    /// Compare two saved JSON reports (from `check --format json`) and re-evaluate the gates
    /// of the config (`--config`, else mlops-ci.toml in the directory, if any).
    #[command(
        after_help = "Examples:\n  mlops-ci diff yesterday.json today.json\n  mlops-ci --config mlops-ci.toml diff yesterday.json today.json\n\nExit status: 0 every gate passed, or no gate was evaluated (verdict `no_gates`: no config,\nor its suites have no gates); 1 a gate failed; 2 error."
    )]
    Diff(DiffArgs),

    /// Which suites a change affects, and why; loads no model and reads no data.
    #[command(
        after_help = "Examples:\n  mlops-ci detect                    # affected suites since the merge-base\n  mlops-ci detect --base origin/main --json\n  mlops-ci detect --github-output    # in GitHub Actions: `suites` and `any` step outputs\n\nA suite is affected when its model, its data (or the Git LFS/DVC pointer to it), a path\nmatching its `watch` globs, or its settings in mlops-ci.toml changed. Exit status: 0, or 2 on error."
    )]
    Detect(DetectArgs),

    /// Git hooks that run the check before a push or commit.
    #[command(subcommand)]
    Hook(HookCommand),

    /// What an ONNX model is, read from the file without running it: IR version, opsets,
    /// producer, inputs and outputs (symbolic dimensions kept), parameters, custom operators,
    /// external data files.
    #[command(
        after_help = "Examples:\n  mlops-ci inspect models/candidate.onnx\n  mlops-ci inspect model.onnx --json\n\nExit status: 0, or 2 when the file is missing, truncated or not an ONNX model."
    )]
    Inspect(InspectArgs),

    /// Write a starter mlops-ci.toml from the ONNX models and data files found here.
    #[command(
        after_help = "Examples:\n  mlops-ci init          # show what it found, ask, then write mlops-ci.toml\n  mlops-ci init --yes    # no question (also when stdin is not a terminal)\n\nOne suite per .onnx file, with the data file that fits it best, the label column guessed\nfrom the column names, the task from the model's outputs, baseline.ref set to the remote's\ndefault branch, and gates that allow a small regression. Never overwrites a config."
    )]
    Init(InitArgs),

    /// Show what was found: ONNX Runtime, execution providers, GPU, git, GitHub Actions.
    Doctor(RuntimeArgs),

    /// Validate data without the models: the suites' data contracts, drift and the diff
    /// against the base revision's data; or infer a starting contract from a file.
    #[command(subcommand)]
    Data(DataCommand),

    /// Manage the ONNX Runtime library.
    #[command(subcommand)]
    Runtime(RuntimeCommand),
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Print a data contract inferred from FILE (types, nullability, categories, unique
    /// columns; ranges commented out), to paste under a `[[suite]]` and edit.
    #[command(
        after_help = "Examples:\n  mlops-ci data profile data/test.csv --label species >> contract.toml\n  mlops-ci data profile features.parquet\n\nExit status: 0, or 2 when the file cannot be read (the error names the line or row)."
    )]
    Profile(DataProfileArgs),

    /// Check the suites' data: every rule of `[suite.data.schema]` on every row, drift of
    /// each column against the base data (`[suite.drift]`) and the data diff. Loads no model.
    #[command(
        after_help = "Examples:\n  mlops-ci data check                          # against the baseline revision's data\n  mlops-ci data check --base origin/main --suite iris\n  mlops-ci data check --base-file old.csv --format json\n\nExit status: 0 no `fail` rule broken, 1 a `fail` rule broken, 2 error (a malformed file: the\nerror names the file and the line or row)."
    )]
    Check(DataCheckArgs),
}

#[derive(Debug, Args)]
pub struct DataProfileArgs {
    /// The data file (.csv, .jsonl, .parquet, .npy, .npz).
    pub file: PathBuf,

    /// The label column: its classes are listed in the contract.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
}

#[derive(Debug, Args)]
pub struct DataCheckArgs {
    /// Base git revision whose data file drift and the diff compare with (default: the
    /// baseline rule of `check`).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Compare with this data file instead of a git revision's.
    #[arg(long, value_name = "FILE", conflicts_with = "base")]
    pub base_file: Option<PathBuf>,

    /// Only this suite (repeatable); default: every suite.
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,

    /// Check the data against this change's contract even where it loosens the base
    /// revision's (without it, the data must pass both).
    #[arg(long)]
    pub accept_gate_changes: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write the config without asking (what happens anyway when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format (printed to stdout, or written to --output).
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,

    /// Write the report in --format to FILE; the terminal report is still printed.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Directory of templates (terminal.txt.j2, markdown.md.j2) overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Baseline git revision (overrides `baseline.ref` and the baseline rule: the branch the
    /// change merges into, as it is now).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// How the hook or `ci` chose `--base`, for the report (set by mlops-ci itself).
    #[arg(long, value_name = "TEXT", hide = true, requires = "base")]
    pub base_label: Option<String>,

    /// What the candidate is when it is not the working tree (set by the pre-push hook for a
    /// pushed commit checked out in a temporary directory).
    #[arg(long, value_name = "TEXT", hide = true)]
    pub candidate_label: Option<String>,

    /// Apply this change's gates even where it loosens the base revision's (a lower `min`,
    /// a removed gate...). The report says the loosened gates were accepted, and by what.
    #[arg(long)]
    pub accept_gate_changes: bool,

    /// Run only this suite (repeatable), whether or not a change affects it.
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,

    /// Run every suite, not only those the changes since the base affect.
    #[arg(long)]
    pub all: bool,

    /// Device for inference (overrides `runtime.device`).
    #[arg(long, value_enum)]
    pub device: Option<Device>,

    /// Write every per-example prediction of both models as CSV.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,

    #[command(flatten)]
    pub runtime: RuntimeArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Publish to GitHub after checking, as `mlops-ci ci` does.
    #[arg(long)]
    pub github: bool,

    #[command(
        flatten,
        next_help_heading = "GitHub (`mlops-ci ci` or `check --github`)"
    )]
    pub publish: crate::publish::CiArgs,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Base git revision (overrides `baseline.ref` and the baseline rule).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Print JSON (`suites`, `any`, and each affected suite's reasons) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also append `suites` (a JSON array, for a job matrix) and `any` (true/false) to the file
    /// named by $GITHUB_OUTPUT.
    #[arg(long)]
    pub github_output: bool,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the hooks (pre-push when none is named) in this repository's hooks directory
    /// (core.hooksPath is respected). An existing hook is kept and runs first.
    #[command(
        after_help = "Examples:\n  mlops-ci hook install                 # pre-push\n  mlops-ci hook install --pre-commit --pre-push\n  mlops-ci -C models/iris hook install  # config in a subdirectory\n\nSkip once: `git push --no-verify` or MLOPS_CI_SKIP=1. The hook calls this binary by its\nabsolute path; MLOPS_CI_BIN overrides it."
    )]
    Install(HookSelection),
    /// Remove the hooks mlops-ci installed (all when none is named) and restore earlier ones.
    Uninstall(HookSelection),
    /// Run a hook now; this is what the installed scripts call.
    Run {
        /// Which hook to run.
        #[arg(value_enum)]
        hook: crate::hook::HookKind,
        #[command(flatten)]
        runtime: RuntimeArgs,
        /// The arguments git gives the hook (pre-push: remote name and URL).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct HookSelection {
    /// The pre-push hook: checks the suites the pushed commits affect (the default for install).
    #[arg(long)]
    pub pre_push: bool,
    /// The pre-commit hook: checks the suites the staged changes affect.
    #[arg(long)]
    pub pre_commit: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The ONNX model to evaluate.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,

    /// A second model to compare against.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Evaluation data (.csv, .parquet, .jsonl, .npz, .npy).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,

    /// Ground-truth column (CSV) or array (NPZ, default `y`).
    #[arg(long)]
    pub label: Option<String>,

    /// Feature columns, comma-separated (default: all but the label).
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,

    /// What the model predicts: classes (accuracy, f1, ...) or numbers (rmse, mae, r2).
    #[arg(long, value_enum, default_value_t = Task::Classification)]
    pub task: Task,

    /// Device for inference; auto = the best available, said in the report.
    #[arg(long, value_enum, default_value_t = Device::Auto)]
    pub device: Device,

    /// Rows per inference call.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,

    #[command(flatten)]
    pub runtime: RuntimeArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The ONNX model file.
    pub model: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report: its candidate metrics are the baseline.
    pub before: PathBuf,
    /// The later report.
    pub after: PathBuf,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum RuntimeCommand {
    /// Install ONNX Runtime from PyPI into the user cache (~/.cache/mlops-ci) with pip.
    Install {
        /// Install onnxruntime-gpu (CUDA and TensorRT execution providers).
        #[arg(long)]
        gpu: bool,
        /// onnxruntime version to install.
        #[arg(long, default_value = crate::runtime::PINNED_ORT_VERSION)]
        version: String,
    },
}
