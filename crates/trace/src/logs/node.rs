//! Node.js: `Error: EROFS: read-only file system, open '/app/.cache/x'`,
//! `[Error: EROFS: read-only file system, mkdir '/home/node/.npm']`,
//! `EROFS: read-only file system, rename '/a' -> '/b'`.

use super::{Op, op_from_word, quoted, with_op};

/// npm's error summary opens with `npm ERR! code EROFS` (`npm error code
/// EROFS` since npm 10), which names no path; the same report's `rofs`
/// line names it in Node's words. The opening line is not an error of its
/// own to warn about.
pub fn is_npm_code_line(line: &str) -> bool {
    let line = line.trim();
    ["npm ERR! code EROFS", "npm error code EROFS"].contains(&line)
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
