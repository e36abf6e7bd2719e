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
/// its path alone: `Some(true)` when its frame makes a directory (the
/// frame of `os.makedirs` or `Path.mkdir`: `  File "<frozen os>", line
/// 225, in makedirs`, or a source line calling one: `    os.mkdir(self,
/// mode)`); `None` for a line of carets (`^^^^`) Python 3.11 puts under
/// a source line, which says nothing.
pub fn frame_makes_directory(line: &str) -> Option<bool> {
    let t = line.trim();
    if !t.is_empty() && t.chars().all(|c| matches!(c, '^' | '~')) {
        return None;
    }
    let frame = t.starts_with("File \"")
        && [", in makedirs", ", in mkdir"]
            .iter()
            .any(|f| t.ends_with(f));
    let source = line.starts_with("    ") && ["mkdir(", "makedirs("].iter().any(|c| t.contains(c));
    Some(frame || source)
}

/// The string a Python `repr()` at the start of `s` stands for, and what
/// follows it; `None` when `s` does not start with a complete one.
fn repr_at(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('b').unwrap_or(s);
    let mut chars = s.char_indices();
    let (_, quote) = chars.next().filter(|(_, c)| matches!(c, '\'' | '"'))?;
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, &s[i + c.len_utf8()..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
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
                        // A lone surrogate (`\udcff`, an undecodable byte
                        // under surrogateescape) has no `char`.
                        out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    }
                    // `\\`, `\'`, `\"`, and anything unknown: the character.
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}
