//! Python: `OSError: [Errno 30] Read-only file system: '/app/data.db'`,
//! `[Errno 30] Read-only file system: '/a' -> '/b'` (rename),
//! `FileNotFoundError: [Errno 2] No usable temporary directory found in ['/tmp', …]`.

use super::{Op, any_quoted, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    if let Some(i) = line.find("No usable temporary directory found in [") {
        return with_op(any_quoted(&line[i..]).into_iter().take(1), Op::Dir);
    }
    const MARK: &str = "[Errno 30] Read-only file system: ";
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let rest = &line[i + MARK.len()..];
    let paths = any_quoted(rest);
    let op = if rest.contains("' -> '") || rest.contains("\" -> \"") {
        Op::Rename
    } else {
        Op::File
    };
    with_op(paths.into_iter().take(2), op)
}
