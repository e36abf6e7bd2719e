//! Python: `OSError: [Errno 30] Read-only file system: '/app/data.db'`,
//! `[Errno 30] Read-only file system: '/a' -> '/b'` (rename),
//! `FileNotFoundError: [Errno 2] No usable temporary directory found in ['/tmp', …]`.
//!
//! Python prints the file names with `repr()`: quoted with `'` (or `"` when
//! the name holds a `'`), with backslash escapes, `b'…'` for bytes.

use super::{Op, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    if let Some(i) = line.find("No usable temporary directory found in [") {
        let rest = &line[i + "No usable temporary directory found in [".len()..];
        return match repr_at(rest) {
            Some((dir, _)) => with_op([dir.as_str()], Op::Dir),
            None => Vec::new(),
        };
    }
    const MARK: &str = "[Errno 30] Read-only file system: ";
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let Some((first, after)) = repr_at(&line[i + MARK.len()..]) else {
        return Vec::new();
    };
    // `'/a' -> '/b'`: os.rename, os.replace, shutil.move.
    let (names, op) = match after.strip_prefix(" -> ").and_then(repr_at) {
        Some((second, _)) => (vec![first, second], Op::Rename),
        None => (vec![first], Op::File),
    };
    // A relative name (`'logs'`) is kept: the plan warns about it by name,
    // to be resolved against the working directory.
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| (n, op))
        .collect()
}

/// What a traceback line says of the `OSError` below it, which names
/// its path alone: `Some(Some(op))` when its frame or source line does
/// `op` (the frame of `os.makedirs`: `File "<frozen os>", line 225, in
/// makedirs`; a source line calling `os.chmod(self, mode)`), `Some(None)`
/// when it says nothing of it, `None` for a line of carets (`^^^^`)
/// Python 3.11 puts under a source line.
pub fn frame_op(line: &str) -> Option<Option<Op>> {
    let t = line.trim();
    if !t.is_empty() && t.chars().all(|c| matches!(c, '^' | '~')) {
        return None;
    }
    if t.starts_with("File \"") {
        let function = t.rsplit_once(", in ").map_or("", |(_, f)| f);
        return Some(call_op(function));
    }
    if !line.starts_with("    ") {
        return Some(None);
    }
    // `tempfile.mkdtemp`'s own line: the name it makes is random, not
    // one to mount a volume at (see [`CALLS`]).
    if t.starts_with("_os.mkdir(file, ") {
        return Some(Some(Op::File));
    }
    // The first call of a function that says an operation.
    let first = CALLS
        .iter()
        .filter_map(|&(name, op)| {
            t.match_indices(name)
                .find(|&(at, _)| t[at + name.len()..].starts_with('('))
                .map(|(at, _)| (at, op))
        })
        .min_by_key(|&(at, _)| at);
    Some(first.map(|(_, op)| op))
}

/// Whether a json-file record whose `log` is escaped without `\u` (one
/// [`super::json_file::quiet`] finds silent, so one line) may hold a line
/// [`frame_op`] reads an operation in. `log` is the record's `log` string
/// as written, escapes and all ([`super::json_file::raw_log`]): a frame's
/// line starts, after blanks, with `File "` (its quote written `\"`), a
/// source line with four spaces (no escape stands for a space). Such a
/// record is skipped undecoded otherwise, and a frame Docker wrote as a
/// record of its own went unread. It runs on most records of a json-file
/// log, so it looks at the line's start only: searching every record for
/// four spaces and `File \"` made the scan of a node's 92 MB log 28 %
/// slower (`bench/logs_json_file.sh`).
pub fn may_say_op(log: &str) -> bool {
    log.starts_with("    ") || after_blanks(log).starts_with("File \\\"")
}

/// `log` (escaped) after the white space `str::trim` takes: raw, or
/// written as `\t`, `\r` or `\f`.
fn after_blanks(mut log: &str) -> &str {
    loop {
        if let Some(rest) = ["\\t", "\\r", "\\f"]
            .iter()
            .find_map(|e| log.strip_prefix(e))
        {
            log = rest;
            continue;
        }
        match log.chars().next() {
            Some(c) if c.is_whitespace() => log = &log[c.len_utf8()..],
            _ => return log,
        }
    }
}

/// Python's functions (`os`, `pathlib`, `shutil`, `tempfile`) that say
/// what their `OSError` was, by name. `tempfile.mkdtemp` (under
/// `TemporaryDirectory` too) makes a directory with a random name (after
/// the caller's prefix: `/srv/job-7hygnmwa`) that no run asks for again:
/// the directory it is made in must be writable, as for a file's creation.
const CALLS: [(&str, Op); 10] = [
    ("mkdtemp", Op::File),
    ("makedirs", Op::Mkdir),
    ("mkdir", Op::Mkdir),
    ("chmod", Op::Attr),
    ("chown", Op::Attr),
    ("utime", Op::Attr),
    ("remove", Op::Remove),
    ("unlink", Op::Remove),
    ("rmdir", Op::Remove),
    ("rmtree", Op::Remove),
];

/// The operation the function `name` does, if it is one of [`CALLS`].
fn call_op(name: &str) -> Option<Op> {
    CALLS.iter().find(|(n, _)| *n == name).map(|&(_, op)| op)
}

/// The string a Python `repr()` at the start of `s` stands for, and what
/// follows it; `None` when `s` does not start with a complete one. A
/// bytes `repr()` (`b'/srv/caf\xc3\xa9'`, a path given as bytes) writes
/// each byte past ASCII as `\xNN`: its bytes are read as UTF-8, and one
/// that is not reads as U+FFFD (the plan then warns rather than mount a
/// name that is not there). In a str, `\xNN` is a code point.
fn repr_at(s: &str) -> Option<(String, &str)> {
    let (bytes, s) = match s.strip_prefix('b') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut chars = s.char_indices();
    let (_, quote) = chars.next().filter(|(_, c)| matches!(c, '\'' | '"'))?;
    let mut out = Vec::new();
    let push =
        |out: &mut Vec<u8>, c: char| out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => {
                let text = String::from_utf8_lossy(&out).into_owned();
                return Some((text, &s[i + c.len_utf8()..]));
            }
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push(b'\n'),
                    't' => out.push(b'\t'),
                    'r' => out.push(b'\r'),
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut code = 0u32;
                        for _ in 0..digits {
                            let d = chars.next()?.1.to_digit(16)?;
                            code = code * 16 + d;
                        }
                        match u8::try_from(code) {
                            Ok(byte) if bytes && e == 'x' => out.push(byte),
                            // A lone surrogate (`\udcff`, an undecodable byte
                            // under surrogateescape) has no `char`.
                            _ => push(
                                &mut out,
                                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                            ),
                        }
                    }
                    // `\\`, `\'`, `\"`, and anything unknown: the character.
                    other => push(&mut out, other),
                }
            }
            c => push(&mut out, c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indented lines are common in any log; only one that starts as a
    /// frame or a source line does, in a record of one line.
    #[test]
    fn only_a_line_that_starts_as_a_frame_or_source_line_may_say_an_operation() {
        for log in [
            r#"    os.makedirs(path)\n","stream":"stderr"}"#,
            r#"  File \"/app/x.py\", line 3, in mkdir\n","stream":"stderr"}"#,
            r#"\t File \"/app/x.py\", line 3, in mkdir\n","stream":"stderr"}"#,
        ] {
            assert!(may_say_op(log), "{log}");
        }
        for log in [
            r#"GET /healthz    200\n","stream":"stdout"}"#,
            r#"see File \"/app/x.py\"\n","stream":"stdout"}"#,
            r#"\b File \"/app/x.py\"\n","stream":"stdout"}"#,
        ] {
            assert!(!may_say_op(log), "{log}");
        }
    }
}
