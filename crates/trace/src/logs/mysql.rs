//! MySQL / MariaDB: `mysqld: Can't create directory '/var/lib/mysql/' (OS errno 30 - Read-only file system)`,
//! `Can't create/write to file '/tmp/ibXXXXXX' (OS errno 30 - Read-only file system)`;
//! MariaDB: `Can't create directory '/var/lib/mysql/' (Errcode: 30 "Read-only file system")`.
//!
//! The error text follows ` - ` instead of `: `, so no other recogniser
//! sees the operation; the fallback would take every path as a file and
//! mount its parent (`/var/lib` for the data directory, hiding the image's
//! `/var/lib`).

use super::{Op, quoted, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    // MySQL's `(OS errno 30 - …)`, MariaDB's `(Errcode: 30 "…")`.
    let Some(i) = ["(OS errno 30 ", "(Errcode: 30 "]
        .iter()
        .find_map(|mark| line.find(mark))
    else {
        return Vec::new();
    };
    let head = &line[..i];
    let op = if head.contains("Can't create directory") {
        Op::Mkdir
    } else {
        Op::File
    };
    // The path is the quoted word that starts with `/`: the `'` of `Can't`
    // opens no quote.
    let Some(start) = head.find(" '/") else {
        return Vec::new();
    };
    with_op(quoted(&head[start..], '\'', '\'').into_iter().take(1), op)
}
