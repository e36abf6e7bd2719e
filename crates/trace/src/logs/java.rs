//! Java: `java.nio.file.FileSystemException: /tmp/x: Read-only file system`,
//! `java.io.FileNotFoundException: /app/logs/app.log (Read-only file system)`,
//! `FileSystemException: /a -> /b: Read-only file system` (move).
//!
//! Java prints the path verbatim, spaces included (`/app/my data/x.log`),
//! so the path runs to the reason: ` (Read-only file system)` after a
//! `FileNotFoundException`'s path, `: Read-only file system` after a
//! `FileSystemException`'s file (and other file, after ` -> `).

use super::{Frame, Op, path_at};

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
        let absolute = rest.starts_with('/');
        let (first, second) = match until_reason(rest) {
            Some(names) if !absolute => match relative_names(names) {
                Some(found) => found,
                None => continue,
            },
            Some(names) => match names.split_once(" -> ") {
                Some((a, b)) if b.starts_with('/') => (a, Some(b)),
                _ => (names, None),
            },
            None if !absolute => continue,
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
        let (names, op) = match second {
            Some(second) => (vec![first, second], Op::Rename),
            None => (vec![first], Op::File),
        };
        return names.into_iter().map(|n| (n.to_string(), op)).collect();
    }
    Vec::new()
}

/// The relative name (or a rename's two) Java printed before the reason
/// (`logs/app.log`, as the program opened it): the plan warns about it by
/// name. Not when it holds a space: Java would print one, but words
/// (`IOException: Cannot write: …`) are far likelier.
fn relative_names(names: &str) -> Option<(&str, Option<&str>)> {
    let (first, second) = match names.split_once(" -> ") {
        Some((a, b)) => (a, Some(b)),
        None => (names, None),
    };
    let word = |n: &str| !n.is_empty() && !n.contains(char::is_whitespace);
    (word(first) && second.is_none_or(word)).then_some((first, second))
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

/// A `FileSystemException` names a path alone, whatever the call was (a
/// directory's creation, a removal, a chmod): its stack trace may still
/// say which.
pub fn may_be_directory(line: &str) -> bool {
    line.contains("FileSystemException: ")
}

/// The frame `line` is (`\tat java.base/sun.nio.fs.UnixFileSystemProvider.createDirectory(…)`),
/// if it is one, and the operation its method does: the first frame below
/// `UnixException`'s is the JDK's call that failed.
pub fn frame(line: &str) -> Option<Frame> {
    let at = line.trim_start().strip_prefix("at ")?;
    Some(
        FRAMES
            .iter()
            .find(|(method, _)| at.contains(method))
            .map_or(Frame::Other, |&(_, op)| Frame::Op(op)),
    )
}

/// The JDK's own methods (openjdk 17's `sun.nio.fs`) whose frames say the
/// operation.
const FRAMES: [(&str, Op); 5] = [
    // `Files.createDirectory`, `createDirectories`, `createTempDirectory`.
    ("UnixFileSystemProvider.createDirectory(", Op::Mkdir),
    // `Files.delete`, `Files.deleteIfExists`.
    ("UnixFileSystemProvider.implDelete(", Op::Remove),
    // `Files.setPosixFilePermissions`, `Files.setOwner`,
    // `Files.setLastModifiedTime` (and `setAttribute` of these).
    ("UnixFileAttributeViews$Posix.setMode(", Op::Attr),
    ("UnixFileAttributeViews$Posix.setOwners(", Op::Attr),
    ("UnixFileAttributeViews$Basic.setTimes(", Op::Attr),
];
