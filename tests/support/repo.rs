//! Temporary git repositories built with the real `git` CLI, isolated from the developer's
//! configuration (HOME is a temp dir, no system config), and the binary run inside them.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example models and data the hook tests reuse.
pub fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path)
}

/// A scratch area holding a fake HOME and any number of repositories.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(sandbox.home()).expect("home");
        sandbox
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A new repository `name` on branch `main`, with an identity.
    pub fn repo(&self, name: &str) -> TestRepo {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("repo dir");
        let repo = TestRepo {
            path,
            home: self.home(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// An existing directory (a clone) as a repository.
    pub fn open(&self, name: &str) -> TestRepo {
        TestRepo {
            path: self.dir.path().join(name),
            home: self.home(),
        }
    }

    /// Runs git in the sandbox root (clones, bare repositories).
    pub fn git(&self, args: &[&str]) -> String {
        run_git(self.dir.path(), &self.home(), args)
    }
}

pub struct TestRepo {
    pub path: PathBuf,
    home: PathBuf,
}

impl TestRepo {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, &self.home, args)
    }

    /// Runs git and returns the whole output, without requiring success.
    pub fn git_output(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut command = git_command(&self.path, &self.home);
        command.args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("git runs")
    }

    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) {
        let path = self.path.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(path, content).expect("write");
    }

    pub fn copy(&self, from: &Path, relative: &str) {
        self.write(relative, std::fs::read(from).expect("read example file"));
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.path.join(relative)).expect("remove");
    }

    /// `git add -A && git commit`; returns the new commit id.
    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The binary under test, run in this repository with the sandbox's HOME.
    pub fn mlops_ci(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("mlops-ci").expect("binary is built");
        cmd.current_dir(&self.path);
        isolate(&mut cmd, &self.home);
        cmd
    }
}

fn git_command(dir: &Path, home: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    isolate_std(&mut command, home);
    command
}

fn run_git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let out = git_command(dir, home)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const ISOLATED_VARS: [&str; 12] = [
    "GITHUB_BASE_REF",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "MLOPS_CI_SKIP",
    "MLOPS_CI_BIN",
    "PRE_COMMIT_FROM_REF",
    "PRE_COMMIT_TO_REF",
    "XDG_CONFIG_HOME",
    "RUST_LOG",
];

fn isolate_std(command: &mut Command, home: &Path) {
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("NO_COLOR", "1");
    for var in ISOLATED_VARS {
        command.env_remove(var);
    }
}

fn isolate(command: &mut assert_cmd::Command, home: &Path) {
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("NO_COLOR", "1");
    for var in ISOLATED_VARS {
        command.env_remove(var);
    }
}

/// Parses a `$GITHUB_OUTPUT` file the way the Actions runner does: `name=value` lines and
/// `name<<DELIMITER` … `DELIMITER` blocks; a later value of a name replaces an earlier one.
pub fn parse_github_output(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut outputs = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            (Some(h), e) if e.is_none_or(|e| h < e) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                loop {
                    let next = lines
                        .next()
                        .unwrap_or_else(|| panic!("unterminated `{name}<<{delimiter}` block"));
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(name.to_owned(), value.join("\n"));
            }
            (_, Some(e)) => {
                outputs.insert(line[..e].to_owned(), line[e + 1..].to_owned());
            }
            _ => panic!("invalid GITHUB_OUTPUT line: {line}"),
        }
    }
    outputs
}
