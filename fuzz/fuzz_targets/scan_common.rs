//! Scanning a fuzzed file to its end or its first error, checking what every scanner
//! promises: chunks of at most `CHUNK_ROWS` rows and exactly one cell per column in each
//! row, rows numbered 1, 2, 3… across chunks, and lines (for text formats) in file order.

use std::path::Path;

use mlops_ci::data::Limits;
use mlops_ci::validate::cells::{CHUNK_ROWS, Chunk};
use mlops_ci::validate::scan;

/// A small budget, so that what passes the checks on declared sizes is cheap to read.
const LIMITS: Limits = Limits {
    max_memory_bytes: 64 << 20,
};

pub fn scan_all(path: &Path) {
    let named = |e: &mlops_ci::data::DataError| {
        let text = e.to_string();
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
    };
    let mut scanner = match scan::open_with(path, &LIMITS) {
        Ok(scanner) => scanner,
        Err(e) => return named(&e),
    };
    let width = scanner.columns().len();
    assert!(width <= scan::MAX_COLUMNS);
    // A chunk of another width must be put right by the scanner.
    let mut chunk = Chunk::new(width + 1);
    let mut next_row = 1;
    let mut last_line = 0;
    loop {
        match scanner.fill(&mut chunk) {
            Ok(true) => {}
            Ok(false) => {
                assert!(chunk.is_empty());
                return;
            }
            Err(e) => return named(&e),
        }
        assert!(!chunk.is_empty() && chunk.len() <= CHUNK_ROWS);
        assert_eq!(chunk.width(), width);
        for r in 0..chunk.len() {
            let at = chunk.at(r);
            assert_eq!(at.row, next_row);
            next_row += 1;
            if let Some(line) = at.line {
                assert!(line > 0 && line >= last_line, "line {line} after {last_line}");
                last_line = line;
            }
            // Every cell is there: a short row would read past the last one. (A long one
            // trips `Chunk::start_row`'s assertion, with `cargo fuzz run -a`.)
            for c in 0..width {
                let _ = chunk.cell(r, c);
            }
        }
    }
}
