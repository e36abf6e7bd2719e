//! Java: `java.nio.file.FileSystemException: /tmp/x: Read-only file system`,
//! `java.io.FileNotFoundException: /app/logs/app.log (Read-only file system)`,
//! `FileSystemException: /a -> /b: Read-only file system` (move).

use super::{Op, path_at, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    for mark in [
        "FileSystemException: ",
        "FileNotFoundException: ",
        "IOException: ",
    ] {
        let Some(i) = line.find(mark) else {
            continue;
        };
        let rest = &line[i + mark.len()..];
        if !rest.starts_with('/') {
            continue;
        }
        let first = path_at(rest);
        let after = &rest[first.len()..];
        if let Some(second) = after.strip_prefix(" -> ").filter(|s| s.starts_with('/')) {
            return with_op([first, path_at(second)], Op::Rename);
        }
        return with_op([first], Op::File);
    }
    Vec::new()
}
