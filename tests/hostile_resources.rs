//! Resource exhaustion from a pull request (issue 12, findings 3–8): every case ends quickly
//! with exit 2 and a message saying what is wrong — never an abort (134), a crash (139), a
//! hang or gigabytes of output.

mod support;

use std::path::Path;
use std::time::Duration;

use predicates::prelude::*;
use predicates::str::contains;
use support::*;

/// Far longer than any of these runs takes, far shorter than a hang.
const LIMIT: Duration = Duration::from_secs(60);

/// A directory with an iris suite reading `data` with model `model` (relative names).
fn suite_dir(data: &str, model: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mlops-ci.toml"),
        format!(
            "{extra}\n[[suite]]\nname = \"s\"\nmodel = \"{model}\"\ntask = \"classification\"\n[suite.data]\npath = \"{data}\"\nlabel = \"y\"\n[[suite.gate]]\nmetric = \"accuracy\"\nmin = 0.5\n"
        ),
    )
    .unwrap();
    dir
}

fn check(dir: &Path) -> assert_cmd::assert::Assert {
    mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir)
        .timeout(LIMIT)
        .assert()
}

fn npy_bytes(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (header.len() + 11) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(body);
    out
}

/// Finding 3: a 192-byte .npy claiming shape (1e11, 4) aborted the process.
#[test]
fn an_npy_header_declaring_a_huge_shape_is_refused_before_allocating() {
    let dir = suite_dir("x.npy", "m.onnx", "");
    let bytes = npy_bytes("<f8", "(100000000000, 4)", &[0u8; 64]);
    assert!(bytes.len() <= 192);
    std::fs::write(dir.path().join("x.npy"), &bytes).unwrap();
    std::fs::write(dir.path().join("y"), npy_bytes("<i8", "(1,)", &[0u8; 8])).unwrap();
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    check(dir.path()).code(2).stdout(contains(
        "x.npy: truncated or corrupt: the header declares shape (100000000000, 4)",
    ));

    // The same inside an .npz archive (stored members, as np.savez writes them).
    let npz = dir.path().join("d.npz");
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('x.npy', bytes.fromhex('{}')); z.writestr('y.npy', bytes.fromhex('{}')); z.close()",
            hex(&bytes),
            hex(&npy_bytes("<i8", "(1,)", &[0u8; 8]))
        ))
        .arg(&npz)
        .status();
    if status.is_ok_and(|s| s.success()) {
        let dir2 = suite_dir("d.npz", "m.onnx", "");
        std::fs::rename(&npz, dir2.path().join("d.npz")).unwrap();
        std::fs::copy(
            example("iris/models/candidate.onnx"),
            dir2.path().join("m.onnx"),
        )
        .unwrap();
        std::fs::write(
            dir2.path().join("mlops-ci.toml"),
            std::fs::read_to_string(dir2.path().join("mlops-ci.toml"))
                .unwrap()
                .replace("label = \"y\"\n", ""),
        )
        .unwrap();
        check(dir2.path())
            .code(2)
            .stdout(contains("array `x`: truncated or corrupt"));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The memory budget: a real array larger than `runtime.max_memory_mb` is refused.
#[test]
fn an_array_above_the_memory_budget_is_refused() {
    let dir = suite_dir("x.npy", "m.onnx", "[runtime]\nmax_memory_mb = 1\n");
    let rows = 40_000;
    let body = vec![0u8; rows * 4 * 8];
    std::fs::write(
        dir.path().join("x.npy"),
        npy_bytes("<f8", &format!("({rows}, 4)"), &body),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("y"),
        npy_bytes("<i8", &format!("({rows},)"), &vec![0u8; rows * 8]),
    )
    .unwrap();
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    check(dir.path())
        .code(2)
        .stdout(contains("above `runtime.max_memory_mb = 1`"));
}

/// Finding 13: a truncated or float16 array said "x.npy: x.npy: not a numeric .npy array".
#[test]
fn truncated_and_float16_arrays_say_what_is_wrong() {
    let dir = suite_dir("x.npy", "m.onnx", "");
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    std::fs::write(dir.path().join("y"), npy_bytes("<i8", "(3,)", &[0u8; 24])).unwrap();
    std::fs::write(
        dir.path().join("x.npy"),
        npy_bytes("<f8", "(3, 4)", &[0u8; 40]),
    )
    .unwrap();
    check(dir.path())
        .code(2)
        .stdout(contains("truncated or corrupt: the header declares shape (3, 4) of `<f8` (96 bytes), but 40 bytes follow"));
    std::fs::write(
        dir.path().join("x.npy"),
        npy_bytes("<f2", "(3, 4)", &[0u8; 24]),
    )
    .unwrap();
    check(dir.path())
        .code(2)
        .stdout(contains("dtype float16 (`<f2`) is not supported"))
        .stdout(contains("x.npy: x.npy").not());
}

/// Finding 4: `batch_size = i64::MAX` panicked, 1e9 aborted, `threads = 100000` hung.
#[test]
fn absurd_batch_sizes_and_thread_counts_are_config_errors() {
    for (runtime, want) in [
        (
            "batch_size = 9223372036854775807",
            "mlops-ci.toml:2: `runtime.batch_size = 9223372036854775807` is out of range",
        ),
        (
            "batch_size = 1000000000",
            "`runtime.batch_size = 1000000000` is out of range",
        ),
        (
            "threads = 100000",
            "mlops-ci.toml:2: `runtime.threads = 100000` is out of range",
        ),
    ] {
        let dir = suite_dir("d.csv", "m.onnx", &format!("[runtime]\n{runtime}\n"));
        check(dir.path()).code(2).stderr(contains(want));
    }
    mlops_ci()
        .args([
            "eval",
            "--task",
            "classification",
            "--label",
            "species",
            "--batch-size",
            "1000000000",
            "--model",
        ])
        .arg(example("iris/models/candidate.onnx"))
        .arg("--data")
        .arg(example("iris/data/test.csv"))
        .timeout(LIMIT)
        .assert()
        .code(2)
        .stderr(contains("--batch-size 1000000000 is out of range"));
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Finding 5: a FIFO as data or model hung forever; a symlink to /dev/zero read until memory
/// ran out.
#[test]
fn fifos_and_devices_are_refused_without_opening_them() {
    let dir = suite_dir("d.csv", "m.onnx", "");
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    mkfifo(&dir.path().join("d.csv"));
    check(dir.path())
        .code(2)
        .stdout(contains("it is a FIFO (named pipe), not a regular file"));
    std::fs::remove_file(dir.path().join("d.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("d.csv")).unwrap();
    check(dir.path())
        .code(2)
        .stdout(contains("it is a character device, not a regular file"));

    let dir = suite_dir("d.csv", "m.onnx", "");
    std::fs::copy(example("iris/data/test.csv"), dir.path().join("d.csv")).unwrap();
    mkfifo(&dir.path().join("m.onnx"));
    check(dir.path())
        .code(2)
        .stdout(contains("it is a FIFO (named pipe), not a regular file"));
    std::fs::remove_file(dir.path().join("m.onnx")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("m.onnx")).unwrap();
    check(dir.path())
        .code(2)
        .stdout(contains("it is a character device, not a regular file"));
}

/// Finding 6: 10,000 distinct labels (a regression target run as classification) took 7 GB.
#[test]
fn ten_thousand_distinct_labels_ask_whether_the_task_is_right() {
    let dir = suite_dir("d.csv", "m.onnx", "");
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    let mut csv = String::from("a,b,c,d,y\n");
    for i in 0..10_000 {
        csv.push_str(&format!("5.1,3.5,1.4,0.2,{}.{i}\n", i % 7));
    }
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    check(dir.path()).code(2).stdout(contains(
        "has more than 1000 distinct values; is `task` right?",
    ));
}

/// Finding 7: a 50 MB cell or header was echoed whole (52 MB on stdout).
#[test]
fn a_huge_cell_or_header_is_not_echoed_whole() {
    let dir = suite_dir("d.csv", "m.onnx", "");
    std::fs::copy(
        example("iris/models/candidate.onnx"),
        dir.path().join("m.onnx"),
    )
    .unwrap();
    let huge = "z".repeat(50 << 20);
    std::fs::write(
        dir.path().join("d.csv"),
        format!("a,b,c,d,y\n5.1,{huge},1.4,0.2,x\n"),
    )
    .unwrap();
    let out = mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.len() + out.stderr.len() < 20_000,
        "{} bytes of output",
        out.stdout.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("bytes in all)"));

    std::fs::write(
        dir.path().join("d.csv"),
        format!("a,b,c,d,{huge}\n5.1,1,1.4,0.2,x\n"),
    )
    .unwrap();
    let out = mlops_ci()
        .args(["check", "--all", "-C"])
        .arg(dir.path())
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.len() + out.stderr.len() < 20_000,
        "{} bytes of output",
        out.stdout.len()
    );
}

/// Finding 14: every run created ONNX Runtime's telemetry store under
/// `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`. With a fresh HOME, a run writes nothing
/// outside its outputs and the mlops-ci cache.
#[test]
fn a_run_writes_nothing_outside_its_outputs_and_cache() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for dir in ["data", "models"] {
        std::fs::create_dir(work.path().join(dir)).unwrap();
    }
    for file in [
        "mlops-ci.toml",
        "data/test.csv",
        "models/baseline.onnx",
        "models/candidate.onnx",
    ] {
        std::fs::copy(example(&format!("iris/{file}")), work.path().join(file)).unwrap();
    }
    let output = work.path().join("out.json");
    let out = mlops_ci()
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .env_remove("ORT_DISABLE_TELEMETRY")
        .args(["check", "--all", "--format", "json", "--output"])
        .arg(&output)
        .arg("-C")
        .arg(work.path())
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut written = Vec::new();
    let mut stack = vec![home.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                written.push(
                    path.strip_prefix(home.path())
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let outside_cache: Vec<&String> = written
        .iter()
        .filter(|p| !p.starts_with(".cache/mlops-ci/"))
        .collect();
    assert!(
        outside_cache.is_empty(),
        "written under HOME: {outside_cache:?}"
    );
    let mut in_work: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_work.sort();
    assert_eq!(in_work, ["data", "mlops-ci.toml", "models", "out.json"]);
}

/// A FIFO given as `--config` or as a saved report to `diff` is refused, not read.
#[test]
fn a_fifo_as_config_or_saved_report_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mlops-ci.toml");
    mkfifo(&fifo);
    mlops_ci()
        .args(["check", "--all", "--config"])
        .arg(&fifo)
        .timeout(LIMIT)
        .assert()
        .code(2)
        .stderr(contains("it is a FIFO (named pipe), not a regular file"));
    mlops_ci()
        .arg("diff")
        .arg(&fifo)
        .arg(&fifo)
        .timeout(LIMIT)
        .assert()
        .code(2)
        .stderr(contains("it is a FIFO (named pipe), not a regular file"));
}
