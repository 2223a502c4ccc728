//! Files read on a pull request's word (data, models): only regular files, and never more
//! bytes than the file system says they hold.
//!
//! Opening a FIFO blocks until someone writes to it, and `/dev/zero` never ends: both are
//! refused by file type *before* opening, symlinks followed, so a path in the repository
//! cannot hang the run or exhaust its memory.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// What a non-regular file is, in words, for messages.
fn describe(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The size of `path` if it is a regular file (after symlinks); an `InvalidInput` error
/// saying what it is otherwise.
pub fn regular_file_size(path: &Path) -> io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        Ok(meta.len())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file; only regular files are read",
                describe(meta.file_type())
            ),
        ))
    }
}

/// Opens a regular file, and returns it with its size.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let size = regular_file_size(path)?;
    let file = File::open(path)?;
    // The path could have been swapped between the check and the open.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", describe(meta.file_type())),
        ));
    }
    Ok((file, size.min(meta.len())))
}

/// Reads a whole regular file, no further than the size it had when opened.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    let capacity = usize::try_from(size).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(capacity)
        .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "file larger than memory"))?;
    file.take(size).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_before_opening() {
        let err = read_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("character device"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_regular(dir.path())
                .unwrap_err()
                .to_string()
                .contains("a directory")
        );
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Would block forever if it were opened.
        assert!(
            read_regular(&fifo)
                .unwrap_err()
                .to_string()
                .contains("FIFO")
        );
        let link = dir.path().join("model.onnx");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(regular_file_size(&link).is_err());
        std::fs::write(dir.path().join("ok"), b"abc").unwrap();
        assert_eq!(read_regular(&dir.path().join("ok")).unwrap(), b"abc");
    }
}
