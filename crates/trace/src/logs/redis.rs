//! Redis: `Failed opening the temp RDB file temp-7.rdb (in server root dir /data) for saving: Read-only file system`,
//! `Can't open the append-only file appendonly.aof (in server root dir /data): Read-only file system`.
//!
//! Redis names the file relative to its working directory and says which
//! directory that is: the directory is where it writes. Taken as an
//! ordinary `/data` path, the write would land one level up (`/`).

use super::{Op, path_at, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    const MARK: &str = "(in server root dir ";
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let rest = &line[i + MARK.len()..];
    // The directory ends at the `)` that closes the parenthesis (a path
    // may hold spaces, which `path_at` would stop at).
    let dir = match rest.find(')') {
        Some(j) => &rest[..j],
        None => path_at(rest),
    };
    with_op([dir], Op::Dir)
}
