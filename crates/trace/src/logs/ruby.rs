//! Ruby: `Errno::EROFS: Read-only file system @ rb_sysopen - /app/tmp/pids/server.pid`,
//! `Read-only file system @ dir_s_mkdir - /rails/tmp (Errno::EROFS)`,
//! `Read-only file system @ rb_file_s_rename - (/a, /b) (Errno::EROFS)`.
//!
//! The word after `@` is the C function that failed, which says the
//! operation, but for `apply2files`: ruby/ruby's `file.c` runs
//! `File.unlink` (and `File.delete`), `File.chmod`, `File.lchmod`,
//! `File.chown`, `File.lchown`, `File.utime` and `File.lutime` through
//! it. The method is the backtrace's first location, a C method's frame
//! labelled with its name: Ruby 3.3 and before write it ``in `chmod'``,
//! 3.4 `in 'File.chmod'` (NEWS for 3.4: a single quote opens the label,
//! the class name comes before the method's). Ruby's own printer of an
//! uncaught error (`eval_error.c`; `Exception#full_message` alike) writes
//! that location before the message on its line (`x.rb:3:in 'File.chmod':
//! Read-only file system @ apply2files - /srv/x (Errno::EROFS)`), the
//! others below it after `\tfrom `; a logger that writes the message and
//! then `backtrace` a line each (Rails, rake) puts it on the next line
//! (`/app/x.rb:3:in `chmod'`, see [`frame`]; Rails after a line of
//! spaces). Without either, the error
//! is read as a removal, as it was before either was read: a removal's
//! volume (the entry's directory, seeded) also holds a chmod of a file.

use super::{Frame, Op, op_from_word, path_at, with_op};

const MARK: &str = "Read-only file system @ ";

/// The C function several methods share (see the module's comment).
const SHARED: &str = "apply2files";

pub fn find(line: &str) -> Vec<(String, Op)> {
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let rest = &line[i + MARK.len()..];
    let Some((func, args)) = rest.split_once(" - ") else {
        return Vec::new();
    };
    let func = func.trim();
    let located = || location_before(&line[..i]).and_then(method_op);
    let op = match func {
        SHARED => located().unwrap_or(Op::Remove),
        _ => op_from_word(func).unwrap_or(Op::File),
    };
    let args = args.trim_start();
    if let Some(pair) = args.strip_prefix('(') {
        let inner = pair.split(')').next().unwrap_or("");
        let paths: Vec<&str> = inner.split(", ").map(str::trim).collect();
        return match op {
            Op::File => with_op(paths.into_iter().skip(1), op),
            _ => with_op(paths, op),
        };
    }
    if args.starts_with('/') {
        with_op([path_at(args)], op)
    } else {
        Vec::new()
    }
}

/// Whether the method of `line`'s `apply2files` error is left to the
/// backtrace's line below it: the line shows no location before the
/// message that says it.
pub fn awaits_frame(line: &str) -> bool {
    line.find(MARK).is_some_and(|i| {
        line[i + MARK.len()..].trim_start().starts_with(SHARED)
            && location_before(&line[..i]).and_then(method_op).is_none()
    })
}

/// What a line below an `apply2files` error says of it: the backtrace's
/// first line (`/app/x.rb:3:in `chmod'`, `\tfrom /app/x.rb:3:in
/// 'File.chmod'`) the method that failed; `None` when it is no such line,
/// names another method (the first location is the failing one's own),
/// or when the label's quote does not end it (an error's own line, its
/// message after the location). Rails' `DebugExceptions#log_error` writes
/// a line of spaces between the message and the backtrace (after
/// `TaggedLogging`'s tags, `[5f0e2a]   `): that one is read past
/// ([`Frame::Other`]).
pub fn frame(line: &str) -> Option<Frame> {
    if is_spacer(line) {
        return Some(Frame::Other);
    }
    let t = line.trim();
    let t = t.strip_prefix("from ").unwrap_or(t);
    let (place, label) = t.split_once(":in ")?;
    let label = label
        .strip_prefix(['`', '\''])?
        .strip_suffix('\'')
        .filter(|l| !l.contains('\''))?;
    let (_, number) = place.rsplit_once(':')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    method_op(label).map(Frame::Op)
}

/// Spaces alone, after any `[tag] `s: `"  "`, `"[5f0e2a]   "`.
fn is_spacer(line: &str) -> bool {
    let mut t = line.trim();
    while let Some(tagged) = t.strip_prefix('[') {
        let Some((_, after)) = tagged.split_once(']') else {
            return false;
        };
        t = after.trim_start();
    }
    t.is_empty()
}

/// The label of the location that ends `before` (what precedes the
/// message on its line: `/app/x.rb:3:in `chmod': `).
fn location_before(before: &str) -> Option<&str> {
    let at = before.rfind(":in ")?;
    let label = before[at + ":in ".len()..].strip_prefix(['`', '\''])?;
    let (label, after) = label.split_once('\'')?;
    after.trim_start().starts_with(':').then_some(label)
}

/// The operation of a method that fails as `apply2files`, by its label
/// (`chmod`, `File.chmod`).
fn method_op(label: &str) -> Option<Op> {
    let method = label.rsplit(['.', '#', ' ']).next().unwrap_or(label);
    Some(match method {
        "unlink" | "delete" => Op::Remove,
        "chmod" | "lchmod" | "chown" | "lchown" | "utime" | "lutime" => Op::Attr,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backtrace_line_is_read_but_not_an_errors_own() {
        for (line, want) in [
            ("/app/x.rb:3:in `chmod'", Some(Frame::Op(Op::Attr))),
            (
                "\tfrom /app/x.rb:3:in 'File.unlink'",
                Some(Frame::Op(Op::Remove)),
            ),
            ("/app/x.rb:3:in `block in <main>'", None),
            ("  ", Some(Frame::Other)),
            ("[5f0e2a]   ", Some(Frame::Other)),
            ("[5f0e2a] x", None),
            (
                "/app/x.rb:3:in `chmod': Read-only file system @ apply2files - /x (Errno::EROFS)",
                None,
            ),
            ("I, [2024-05-14T09:21:07] INFO -- : in 'x'", None),
        ] {
            assert_eq!(frame(line), want, "{line}");
        }
    }
}
