//! The report bundle of fork-safe two-phase publishing.
//!
//! A pull request from a fork runs `pull_request` workflows with a read-only token, so that run
//! (`mlops-ci ci --no-publish`) writes a bundle for `actions/upload-artifact`. A `workflow_run`
//! workflow, which runs the base repository's trusted code with a write token, downloads it and
//! runs `mlops-ci publish --from DIR`. The bundle is data only, and written by untrusted code:
//! it is checked against the triggering run (same repository, run id and head commit, files
//! unchanged since the manifest was written) before anything is posted, and nothing in it is
//! ever executed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::context::GithubContext;
use super::error::PublishError;
use super::{FailedGate, FileProblem, PublishRequest, Verdict};

pub const BUNDLE_FORMAT: u32 = 1;
const MANIFEST: &str = "bundle.json";
const REPORT_MD: &str = "report.md";
const REPORT_JSON: &str = "report.json";
/// Larger files are refused unread: the bundle comes from untrusted code.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// `bundle.json`: who the report is for, and the digests of the report files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleManifest {
    pub bundle_format: u32,
    /// `owner/name` of the base repository.
    pub repository: String,
    pub pull_request: Option<u64>,
    /// The commit the report is about (the PR head).
    pub head_sha: String,
    /// GITHUB_RUN_ID of the run that wrote the bundle.
    pub run_id: Option<u64>,
    pub event_name: String,
    pub verdict: Verdict,
    pub failed_gates: Vec<FailedGate>,
    #[serde(default)]
    pub data_problems: Vec<FileProblem>,
    pub suites: Vec<String>,
    pub config_path: String,
    pub report_md_sha256: String,
    pub report_json_sha256: String,
}

/// A bundle read back and checked against the `workflow_run` that is publishing it.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: BundleManifest,
    pub request: PublishRequest,
}

/// Writes `report.md`, `report.json` and `bundle.json` into `dir` (created if needed).
pub fn write_bundle(
    dir: &Path,
    ctx: &GithubContext,
    req: &PublishRequest,
) -> Result<(), PublishError> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| PublishError::WriteFile {
            what: "the report bundle",
            path,
            source,
        })
    };
    std::fs::create_dir_all(dir).map_err(|source| PublishError::WriteFile {
        what: "the report bundle",
        path: dir.to_path_buf(),
        source,
    })?;
    let manifest = BundleManifest {
        bundle_format: BUNDLE_FORMAT,
        repository: ctx.repository.clone(),
        pull_request: ctx.pull_request.as_ref().map(|pr| pr.number),
        head_sha: ctx.head_sha().to_owned(),
        run_id: ctx.run_id,
        event_name: ctx.event_name.clone(),
        verdict: req.verdict,
        failed_gates: req.failed_gates.clone(),
        data_problems: req.data_problems.clone(),
        suites: req.suites.clone(),
        config_path: req.config_path.clone(),
        report_md_sha256: sha256_hex(req.markdown.as_bytes()),
        report_json_sha256: sha256_hex(req.json.as_bytes()),
    };
    write(REPORT_MD, &req.markdown)?;
    write(REPORT_JSON, &req.json)?;
    // Serialising plain strings and numbers cannot fail.
    let manifest = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    write(MANIFEST, &manifest)
}

/// Reads the bundle in `dir` and checks it against the triggering run of this `workflow_run`
/// event: same repository, same run id, same head commit, files matching their digests, and
/// the pull request among the run's pull requests when GitHub lists them. (For a fork, GitHub
/// lists none; the publisher then asks the API whether the PR's head is that commit.)
pub fn read_and_validate_bundle(dir: &Path, ctx: &GithubContext) -> Result<Bundle, PublishError> {
    let run = ctx.workflow_run.as_ref().ok_or_else(|| PublishError::BundleRejected {
        reason: format!(
            "this run was started by `{}`, not `workflow_run`, so there is no triggering run to check the bundle against",
            ctx.event_name
        ),
    })?;
    let manifest_text = read_limited(dir, MANIFEST)?;
    let manifest: BundleManifest =
        serde_json::from_str(&manifest_text).map_err(|e| PublishError::ReadBundle {
            path: dir.to_path_buf(),
            message: format!("{MANIFEST} is not a bundle manifest: {e}"),
        })?;
    let reject = |reason: String| Err(PublishError::BundleRejected { reason });

    if manifest.bundle_format != BUNDLE_FORMAT {
        return reject(format!(
            "bundle format {} is not {BUNDLE_FORMAT}; use the same mlops-ci version in both workflows",
            manifest.bundle_format
        ));
    }
    if !manifest.repository.eq_ignore_ascii_case(&ctx.repository) {
        return reject(format!(
            "it is for {}, this is {}",
            manifest.repository, ctx.repository
        ));
    }
    if manifest.run_id != Some(run.id) {
        return reject(format!(
            "it was written by run {}, the triggering run is {}",
            manifest
                .run_id
                .map_or("(unknown)".to_owned(), |id| id.to_string()),
            run.id
        ));
    }
    if manifest.head_sha != run.head_sha {
        return reject(format!(
            "it is for commit {}, the triggering run tested {}",
            manifest.head_sha, run.head_sha
        ));
    }
    let Some(number) = manifest.pull_request else {
        return reject("it names no pull request".to_owned());
    };
    if !run.pull_request_numbers.is_empty() && !run.pull_request_numbers.contains(&number) {
        return reject(format!(
            "it names pull request #{number}, the triggering run belongs to {:?}",
            run.pull_request_numbers
        ));
    }

    let markdown = read_limited(dir, REPORT_MD)?;
    let json = read_limited(dir, REPORT_JSON)?;
    if sha256_hex(markdown.as_bytes()) != manifest.report_md_sha256
        || sha256_hex(json.as_bytes()) != manifest.report_json_sha256
    {
        return reject(format!(
            "{REPORT_MD} or {REPORT_JSON} does not match the digest in {MANIFEST}"
        ));
    }
    let request = PublishRequest {
        markdown,
        json,
        verdict: manifest.verdict,
        failed_gates: manifest.failed_gates.clone(),
        data_problems: manifest.data_problems.clone(),
        suites: manifest.suites.clone(),
        config_path: manifest.config_path.clone(),
    };
    Ok(Bundle { manifest, request })
}

fn read_limited(dir: &Path, name: &str) -> Result<String, PublishError> {
    let path: PathBuf = dir.join(name);
    let error = |message: String| PublishError::ReadBundle {
        path: dir.to_path_buf(),
        message,
    };
    // symlink_metadata: a link in an artifact could point at a runner's secret file.
    let meta = std::fs::symlink_metadata(&path).map_err(|e| error(format!("{name}: {e}")))?;
    if !meta.is_file() {
        return Err(error(format!("{name} is not a plain file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(error(format!(
            "{name} is larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    std::fs::read_to_string(&path).map_err(|e| error(format!("{name}: {e}")))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
