//! Node.js: `Error: EROFS: read-only file system, open '/app/.cache/x'`,
//! `[Error: EROFS: read-only file system, mkdir '/home/node/.npm']`,
//! `EROFS: read-only file system, rename '/a' -> '/b'`.
//!
//! And a recursive mkdir's refusal, which Node reports as ENOENT
//! ([`masked_mkdir`]).

use super::{Op, op_from_word, with_op};

/// Lines that give an error's code after (or before) the line that names
/// its path, so are no error of their own to warn about: npm's summary
/// opens with `npm ERR! code EROFS` (`npm error code EROFS` since npm 10)
/// and names the path in its `rofs` line; Node prints an uncaught error's
/// properties below its message, one a line (`code: 'EROFS',`).
pub fn is_code_line(line: &str) -> bool {
    let line = line.trim();
    let property = line.strip_suffix(',').unwrap_or(line);
    ["npm ERR! code EROFS", "npm error code EROFS"].contains(&line) || property == "code: 'EROFS'"
}

pub fn find(line: &str) -> Vec<(String, Op)> {
    const MARK: &str = "EROFS: read-only file system, ";
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let rest = &line[i + MARK.len()..];
    let word = rest.split_whitespace().next().unwrap_or("");
    let op = op_from_word(word).unwrap_or(Op::File);
    // The syscall, then its names.
    let rest = rest.trim_start();
    let names_at = if word.starts_with('\'') {
        rest
    } else {
        &rest[word.len()..]
    };
    let paths = names(names_at);
    match op {
        // copyfile 'src' -> 'dst', link/symlink 'target' -> 'path': the destination is written.
        Op::File if paths.len() == 2 => with_op(paths.into_iter().skip(1), op),
        _ => with_op(paths, op),
    }
}

/// The names after the syscall: `'/a'`, or `'/a' -> '/b'`. Node quotes
/// them with `'` and escapes nothing, so a `'` inside a name is printed
/// as it is (`'/srv/it's dir/x'`): a name ends at the first `'` that
/// ends the text or is followed by what follows a message (white space,
/// `]` of an error printed in an array, `,`, `)`, `"`, `}`), not at the
/// first `'`.
fn names(rest: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = rest.trim_start();
    while out.len() < 2 {
        let Some(name) = rest.strip_prefix('\'') else {
            break;
        };
        let Some(end) = name.match_indices('\'').map(|(i, _)| i).find(|&i| {
            name[i + 1..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || matches!(c, ']' | ',' | ')' | '"' | '}'))
        }) else {
            break;
        };
        out.push(&name[..end]);
        match name[end + 1..].strip_prefix(" -> ") {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

/// The runtime a hit read from [`masked_mkdir`] is reported as: its
/// evidence and its warning say the error was ENOENT, read as EROFS.
pub const MASKED_MKDIR: &str = "node, recursive mkdir";

/// What Node prints for a mkdir that failed with ENOENT, before the name.
const ENOENT_MKDIR: &str = "ENOENT: no such file or directory, mkdir ";

/// Does the line carry Node's ENOENT of a mkdir (see [`masked_mkdir`])?
pub fn mentions_masked_mkdir(line: &str) -> bool {
    // The short word first, on every line: a needle as long as the whole
    // mark is searched without the SIMD path of a short one (the
    // json-file bench ran 1.4x as long with it).
    line.contains("ENOENT") && line.contains(ENOENT_MKDIR)
}

/// A mkdir with `{ recursive: true }` that a read-only file system refused:
/// Node 19 and later (20.20 and 22 measured, nodejs/node#47098 still open)
/// turn its EROFS into `ENOENT: no such file or directory, mkdir '/x'`,
/// naming the whole path asked for (`fs.mkdirSync`) or its first missing
/// directory (`fs.mkdir`, `fs.promises.mkdir`). Recursive creation is how
/// Node programs make their caches, so without this a Node program's most
/// common failure under a read-only root planned nothing. A recursive
/// mkdir has no other ENOENT (it creates the parents); a plain mkdir under
/// a missing parent has the same message, which the plan's warning says.
pub fn masked_mkdir(line: &str) -> Vec<(String, Op)> {
    let Some(i) = line.find(ENOENT_MKDIR) else {
        return Vec::new();
    };
    match names(&line[i + ENOENT_MKDIR.len()..]).as_slice() {
        [name] => vec![(name.to_string(), Op::Mkdir)],
        _ => Vec::new(),
    }
}
