//! Node.js: `Error: EROFS: read-only file system, open '/app/.cache/x'`,
//! `[Error: EROFS: read-only file system, mkdir '/home/node/.npm']`,
//! `EROFS: read-only file system, rename '/a' -> '/b'`.

use super::{Op, op_from_word, quoted, with_op};

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
    let paths = quoted(rest, '\'', '\'');
    match op {
        // copyfile 'src' -> 'dst', link/symlink 'target' -> 'path': the destination is written.
        Op::File if paths.len() == 2 => with_op(paths.into_iter().skip(1), op),
        _ => with_op(paths, op),
    }
}
