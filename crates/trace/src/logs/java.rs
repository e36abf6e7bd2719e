//! Java: `java.nio.file.FileSystemException: /tmp/x: Read-only file system`,
//! `java.io.FileNotFoundException: /app/logs/app.log (Read-only file system)`,
//! `FileSystemException: /a -> /b: Read-only file system` (move).
//!
//! Java prints the path verbatim, spaces included (`/app/my data/x.log`),
//! so the path runs to the reason: ` (Read-only file system)` after a
//! `FileNotFoundException`'s path, `: Read-only file system` after a
//! `FileSystemException`'s file (and other file, after ` -> `).

use super::{Op, path_at, with_op};

const REASON: &str = "Read-only file system";

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
        let (first, second) = match until_reason(rest) {
            Some(names) => match names.split_once(" -> ") {
                Some((a, b)) if b.starts_with('/') => (a, Some(b)),
                _ => (names, None),
            },
            // No reason where Java puts it: read the path up to a space.
            None => {
                let first = path_at(rest);
                let after = &rest[first.len()..];
                let second = after
                    .strip_prefix(" -> ")
                    .filter(|s| s.starts_with('/'))
                    .map(path_at);
                (first, second)
            }
        };
        return match second {
            Some(second) => with_op([first, second], Op::Rename),
            None => with_op([first], Op::File),
        };
    }
    Vec::new()
}

/// The text before the reason, in either of Java's layouts.
fn until_reason(rest: &str) -> Option<&str> {
    let paren = format!(" ({REASON})");
    let colon = format!(": {REASON}");
    [paren, colon]
        .iter()
        .filter_map(|end| rest.find(end.as_str()))
        .min()
        .map(|i| &rest[..i])
}
