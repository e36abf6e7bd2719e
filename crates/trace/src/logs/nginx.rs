//! nginx: `[emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)`,
//! `open() "/run/nginx.pid" failed (30: …)`, `chown("/x", 101) failed (30: …)`,
//! `rename() "/a" to "/b" failed (30: …)`.

use super::{Op, op_from_word, quoted, with_op};

/// The official image's entrypoint scripts (`10-listen-on-ipv6-by-default.sh`,
/// `20-envsubst-on-templates.sh`) try to edit the default configuration and,
/// when it cannot be written, log this and go on (`touch "$conffile" || {
/// entrypoint_log "$ME: info: can not modify $conffile (read-only file
/// system?)"; exit 0; }`): nginx starts and serves. A volume there would
/// hide the very file it failed to edit.
pub fn is_skipped_edit(line: &str) -> bool {
    line.contains(": info: can not modify ")
        && line.trim_end().ends_with("(read-only file system?)")
}

pub fn find(line: &str) -> Vec<(String, Op)> {
    let Some(fail) = line.find(" failed (30: ") else {
        return Vec::new();
    };
    let head = &line[..fail];
    // The syscall is the last `word(` before the first quoted path.
    let Some(q) = head.find('"') else {
        return Vec::new();
    };
    let call = head[..q].trim_end().trim_end_matches(['(', ')']);
    let word = call
        .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("");
    let op = op_from_word(word).unwrap_or(Op::File);
    with_op(quoted(head, '"', '"'), op)
}
