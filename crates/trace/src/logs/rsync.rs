//! rsync: `rsync: [Receiver] mkdir "/srv/x" failed: Read-only file system (30)`,
//! `rsync: [generator] symlink "/srv/link" -> "/target" failed: …`,
//! `rsync: [generator] failed to set permissions on "/srv/x": …`,
//! `rsync: [generator] delete_file: unlink(old.txt) failed: …`.
//!
//! rsync quotes the full name after the call that failed (`full_fname`),
//! and a second name after ` -> ` (a symlink's target, a rename's new
//! name beside the first), which is not what was written.

use super::{Op, op_from_word, quoted};

pub fn find(line: &str) -> Vec<(String, Op)> {
    const REASON: &str = ": Read-only file system (30)";
    let Some(end) = line.find(REASON) else {
        return Vec::new();
    };
    let Some(start) = line[..end].find("rsync: ") else {
        return Vec::new();
    };
    let mut msg = &line[start + "rsync: ".len()..end];
    // The process that failed: `[Receiver]`, `[generator]`, `[sender]`.
    if msg.starts_with('[')
        && let Some(j) = msg.find("] ")
    {
        msg = &msg[j + 2..];
    }
    let msg = msg.strip_suffix(" failed").unwrap_or(msg);
    // A deletion names the entry as it is, relative to the destination.
    if let Some(call) = msg.strip_prefix("delete_file: ") {
        return call
            .split_once('(')
            .and_then(|(_, name)| name.strip_suffix(')'))
            .filter(|name| !name.is_empty())
            .map(|name| vec![(name.to_string(), Op::Remove)])
            .unwrap_or_default();
    }
    let Some(q) = msg.find('"') else {
        return Vec::new();
    };
    let words = msg[..q].trim_end();
    let op = if words.starts_with("failed to set ") {
        // `failed to set permissions on`, `failed to set times on`.
        Op::Attr
    } else {
        match words.rsplit(' ').next().unwrap_or(words) {
            "chgrp" => Op::Attr,
            word => op_from_word(word).unwrap_or(Op::File),
        }
    };
    quoted(msg, '"', '"')
        .into_iter()
        .take(1)
        .filter(|name| !name.is_empty())
        .map(|name| (name.to_string(), op))
        .collect()
}
