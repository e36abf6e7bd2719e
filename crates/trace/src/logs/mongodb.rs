//! MongoDB refuses to start on a read-only `dbPath` before writing to it,
//! so it never reports EROFS; it says (in its JSON log's `attr.error`):
//! `Attempted to create a lock file on a read-only directory: /data/db`.
//! The directory is the database itself.

use super::{Op, path_at, with_op};

/// The words MongoDB uses instead of `Read-only file system`.
pub const MARK: &str = "on a read-only directory: ";

pub fn find(line: &str) -> Vec<(String, Op)> {
    match line.find(MARK) {
        Some(i) => with_op([path_at(&line[i + MARK.len()..])], Op::Dir),
        None => Vec::new(),
    }
}
