//! Shells and coreutils/busybox: `sh: 1: cannot create /var/run/app.pid: Read-only file system`,
//! `sh: can't create /x: …`, `bash: /x: …`, `touch: cannot touch '/x': …`,
//! `mkdir: cannot create directory '/x': …`, `rm: cannot remove '/x': …`,
//! `mv: cannot move 'a' to 'b': …`, `chmod: changing permissions of '/x': …`.
//! Coreutils quote names with escapes (`'/x/it'\''s'`, `'/x/a'$'\t''b'`,
//! `'/x/it\'s'`): `quotearg` reads them back.

use super::{Op, abs_paths, quotearg, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    let Some(i) = line.find(": Read-only file system") else {
        return Vec::new();
    };
    let head = &line[..i];
    // The operation is in the words before the path: a path such as
    // `/srv/directory/app.pid` must not turn a file into a mkdir. The path
    // starts at a word that opens with a quote or `/` (the `'` in `can't`
    // opens nothing).
    let verb_end = head
        .char_indices()
        .zip(head.chars().skip(1))
        .find(|((_, c), next)| {
            c.is_whitespace() && matches!(next, '\'' | '"' | '‘' | '“' | '`' | '/')
        })
        .map_or(head.len(), |((i, _), _)| i);
    let l = head[..verb_end].to_ascii_lowercase();
    let op = if l.contains("directory") && (l.contains("create") || l.contains("mkdir")) {
        Op::Mkdir
    } else if l.contains("cannot remove") || l.contains("can't remove") {
        Op::Remove
    } else if l.contains("cannot move") || l.contains("can't move") || l.contains("cannot rename") {
        Op::Rename
    } else if l.contains("changing permissions") || l.contains("changing ownership") {
        Op::Attr
    } else {
        Op::File
    };
    let quoted = quotearg::names(head, quotes_for_people(head));
    let absolute: Vec<(String, Op)> = quoted
        .iter()
        .filter(|q| q.name.starts_with('/'))
        .map(|q| (q.name.clone(), op))
        .collect();
    if !absolute.is_empty() {
        return if op == Op::Rename {
            absolute
        } else {
            absolute.into_iter().take(1).collect()
        };
    }
    // Unquoted (`sh: 1: cannot create /x: …`): the path right before the error.
    let found = with_op(abs_paths(head), op);
    if !found.is_empty() {
        return if op == Op::Rename {
            found
        } else {
            found.into_iter().last().into_iter().collect()
        };
    }
    // A relative name (`mkdir: cannot create directory 'cache': …`) is
    // evidence too, of a path the log cannot place: the plan warns about
    // it by name. Only when quoted right before the error, where coreutils
    // put names: another quoted word is not taken for one.
    if quoted.last().is_none_or(|q| q.end != head.len()) {
        return Vec::new();
    }
    let mut relative = quoted
        .into_iter()
        .filter(|q| !q.name.is_empty())
        .map(|q| (q.name, op));
    if op == Op::Rename {
        relative.collect()
    } else {
        relative.next_back().into_iter().collect()
    }
}

/// The program that printed `head` quotes names for people, not for the
/// shell (see `quotearg`): coreutils' `mkdir`, `mktemp` and `install`
/// (`mkdir: cannot create directory '/x/it\'s'`).
fn quotes_for_people(head: &str) -> bool {
    let program = head.split(": ").next().unwrap_or(head);
    let program = program.rsplit('/').next().unwrap_or(program);
    matches!(program, "mkdir" | "mktemp" | "install")
}
