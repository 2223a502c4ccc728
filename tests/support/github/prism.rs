//! Starts prism (`@stoplight/prism-cli`) as a validating mock of GitHub's REST API, from the
//! OpenAPI description in `@octokit/openapi` trimmed to the operations mlops-ci calls (see
//! .ci/trim-github-openapi.py), on a free loopback port.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tools;

/// How long prism may take to listen. It needs ~2 s on the trimmed description on a 2-core
/// machine (the full 13 MB description: ~16 s); the margin covers a loaded CI machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);

pub struct Prism {
    child: Child,
    pub addr: SocketAddr,
    pub url: String,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
    pub startup: Duration,
}

impl Prism {
    /// Starts prism and waits until it listens; panics with its log if it does not.
    pub fn start() -> Prism {
        let prism = tools::required("node_modules/.bin/prism");
        let spec = tools::required("github-api.trimmed.json");
        let dir = tempfile::tempdir().expect("tempdir");
        let log_path = dir.path().join("prism.log");
        let port = free_port();
        let log = std::fs::File::create(&log_path).expect("create prism log");
        let started = Instant::now();
        let child = Command::new(&prism)
            .args([
                "mock",
                "--errors",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .arg(&spec)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", prism.display()));
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut prism = Prism {
            child,
            addr,
            url: format!("http://{addr}"),
            log_path,
            _dir: dir,
            startup: Duration::ZERO,
        };
        loop {
            if prism.log().contains("Prism is listening") {
                prism.startup = started.elapsed();
                eprintln!("prism listening on {} after {:?}", prism.url, prism.startup);
                return prism;
            }
            if let Ok(Some(status)) = prism.child.try_wait() {
                panic!(
                    "prism exited with {status} before listening:\n{}",
                    prism.log()
                );
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "prism did not listen within {START_TIMEOUT:?}:\n{}",
                    prism.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log_path) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Log lines where prism reports a request that violates the description (an unknown path
    /// or method, a refused accept header, a body or parameter breaking the schema). Violations
    /// in prism's own example responses (`#VIOLATIONS` with a passed request) are not ours.
    pub fn violations(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| {
                l.contains("Request did not pass the validation rules")
                    || l.contains("Violation: request")
                    || (l.contains("Request terminated with error") && !l.contains("#VIOLATIONS"))
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // The port is free when the listener closes; prism binds it a moment later.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
