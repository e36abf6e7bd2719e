//! Go (`*fs.PathError`, `*os.LinkError`): `open /tmp/x: read-only file system`,
//! `mkdir /var/cache/app: read-only file system`, `rename /a /b: read-only file system`.
//!
//! Go prints the path verbatim (`op path: error`): no quotes, spaces kept,
//! relative paths left relative. So the path is everything between the
//! operation and the `: ` before the error text. C programs and scripts
//! print the same layout with `strerror`'s capital (Perl's `die "mkdir
//! $dir: $!"`: `mkdir /x: Read-only file system`), read alike.

use super::{Op, op_from_word};

pub fn find(line: &str) -> Vec<(String, Op)> {
    const MARK: &str = ": read-only file system";
    // ASCII lower case keeps every byte where it was.
    let lower = line.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(MARK) {
        let head = &line[..from + i];
        let go = line[from + i..].starts_with(MARK);
        from += i + MARK.len();
        // The error text is the last `op path [path]` before the mark
        // (`failed to write cache: open /x: …` wraps it, `err="open /x: …"`
        // quotes it, `err=open /x: …` is a logfmt value).
        let seg = head.rsplit(": ").next().unwrap_or(head);
        let seg = seg.rsplit('"').next().unwrap_or(seg).trim();
        let Some((op, word, args)) = op_and_args(seg) else {
            continue;
        };
        // strerror's capital is also the shells' and coreutils' (`mv:
        // can't rename '/x': …`): only a whole line `op /path` is read.
        let whole_line = head.starts_with(word) && args.starts_with('/');
        if !(go || whole_line) {
            continue;
        }
        let paths = split_args(word, args);
        out.extend(
            match op {
                // link/symlink old new: new is the path written.
                Op::File if paths.len() == 2 => paths.into_iter().skip(1).collect(),
                _ => paths,
            }
            .into_iter()
            .map(|p| (p.to_string(), op)),
        );
    }
    out
}

/// The operation, its word and its arguments in `seg`. The operation is the
/// first word Go could have printed as `Op`; only log prefixes may come
/// before it (`2024/05/14 09:21:07`, `E0514`, `main.go:42]`, `ERROR`), not
/// prose (`cannot open the file`), which would turn words into paths.
fn op_and_args(seg: &str) -> Option<(Op, &str, &str)> {
    let mut rest = seg;
    loop {
        let (word, args) = rest.split_once(' ')?;
        let args = args.trim_start();
        // `err=open`: the value of a logfmt key (a path may hold `=` too, so
        // only the word is split).
        let value = word.rsplit('=').next().unwrap_or(word);
        if let Some(op) = op_from_word(value) {
            return Some((op, value, args));
        }
        let prose = word.chars().all(|c| c.is_alphabetic()) && word.chars().any(char::is_lowercase);
        if prose {
            return None;
        }
        rest = args;
    }
}

/// The path(s) in `args`. One path for a `PathError`, kept whole (it may
/// hold spaces); two for a `LinkError` (`rename`, `link`, `symlink`), split
/// before the second absolute path or, failing that, at the only space.
/// A relative path is kept (it becomes a "relative" warning), unless it
/// holds a space: Go would print that, but prose is far likelier.
fn split_args<'a>(word: &str, args: &'a str) -> Vec<&'a str> {
    let args = args.trim();
    if args.is_empty() {
        return Vec::new();
    }
    let two = matches!(
        word.to_ascii_lowercase().as_str(),
        "rename" | "link" | "symlink"
    );
    let parts: Vec<&str> = if two {
        match args.rfind(" /").or_else(|| {
            // Two relative (or relative then absolute) paths without spaces.
            let mut spaces = args.match_indices(' ');
            match (spaces.next(), spaces.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        }) {
            Some(i) if i > 0 => vec![&args[..i], args[i + 1..].trim_start()],
            _ => vec![args],
        }
    } else {
        vec![args]
    };
    parts
        .into_iter()
        .filter(|p| p.starts_with('/') || !p.contains(char::is_whitespace))
        .collect()
}
