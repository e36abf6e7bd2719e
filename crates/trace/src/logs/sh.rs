//! Shells and coreutils/busybox: `sh: 1: cannot create /var/run/app.pid: Read-only file system`,
//! `sh: can't create /x: …`, `bash: /x: …`, `touch: cannot touch '/x': …`,
//! `mkdir: cannot create directory '/x': …`, `rm: cannot remove '/x': …`,
//! `mv: cannot move 'a' to 'b': …`, `chmod: changing permissions of '/x': …`,
//! `mv: inter-device move failed: 'a' to 'b'; unable to remove target: …`,
//! `cp: cannot create symbolic link 'a' to '/b': …`,
//! busybox's `chmod: /x: …` and `rmdir: '/x': …`.
//! Coreutils quote names with escapes (`'/x/it'\''s'`, `'/x/a'$'\t''b'`,
//! `'/x/it\'s'`): `quotearg` reads them back.

use super::{Op, abs_paths, op_from_word, quotearg, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    let Some(i) = line.find(": Read-only file system") else {
        return Vec::new();
    };
    let head = &line[..i];
    if let Some(path) = redirection(head) {
        return vec![(path.to_string(), Op::File)];
    }
    if let Some(hit) = verb_after_name(head) {
        return vec![hit];
    }
    if let Some(hit) = inter_device_move(head) {
        return vec![hit];
    }
    if let Some(hit) = cp_link(head) {
        return vec![hit];
    }
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
    // `directory`, or git's `dir` (`could not create work tree dir '/x'`).
    let directory = l
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "directory" || w == "dir");
    // git's `cannot mkdir /x` names no directory.
    let mkdir = [
        "cannot mkdir",
        "can't mkdir",
        "failed to mkdir",
        "unable to mkdir",
    ]
    .iter()
    .any(|w| l.contains(w));
    let op = if mkdir || directory && (l.contains("create") || l.contains("mkdir")) {
        Op::Mkdir
    } else if removes(head, &l) {
        Op::Remove
    } else if ["cannot move", "can't move", "cannot rename", "can't rename"]
        .iter()
        .any(|w| l.contains(w))
    {
        Op::Rename
    } else if changes_attributes(head, &l) {
        Op::Attr
    } else if directory {
        // The directory itself (dpkg's `unable to access the dpkg
        // database directory /var/lib/dpkg`, an access(2) check): read as
        // a file, its parent was planned, over the image's whole /var/lib.
        Op::Dir
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
            // Both names: the relative one (`mv 'app.conf' '/etc/app/'`)
            // lies in the working directory, which may be read-only too;
            // the plan warns about it by name rather than drop it.
            quoted
                .into_iter()
                .filter(|q| !q.name.is_empty())
                .map(|q| (q.name, op))
                .collect()
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
            unquoted_to_the_error(head).map_or_else(
                || found.into_iter().last().into_iter().collect(),
                |name| vec![(name.to_string(), op)],
            )
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

/// GNU tar's and cpio's errors put the verb after the name, which they
/// print as it is: `tar: /srv/x: Cannot mkdir`, `tar: x: Cannot change
/// ownership to uid 0, gid 0`. The name, relative ones too (tar strips
/// the leading `/` of members), with the operation.
fn verb_after_name(head: &str) -> Option<(String, Op)> {
    let (program, rest) = head.split_once(": ")?;
    if !matches!(program.rsplit('/').next(), Some("tar" | "cpio")) {
        return None;
    }
    let (name, verb) = rest.rsplit_once(": ")?;
    let word = verb.strip_prefix("Cannot ")?.split(' ').next()?;
    let op = match word {
        "change" => Op::Attr,
        word => op_from_word(word)?,
    };
    (!name.is_empty()).then(|| (name.to_string(), op))
}

/// The words before the name (`l`, lower case) say it was removed: rm's
/// `cannot remove`, rmdir's `failed to remove`, find -delete's `cannot
/// delete`, unlink's `cannot unlink` (busybox: `can't`); busybox's rmdir
/// prints only `rmdir: 'NAME': …`.
fn removes(head: &str, l: &str) -> bool {
    ["remove", "delete", "unlink"].iter().any(|verb| {
        ["cannot ", "can't ", "failed to "]
            .iter()
            .any(|neg| l.contains(&format!("{neg}{verb}")))
    }) || program(head) == "rmdir"
}

/// The words before the name (`l`, lower case) say its mode, owner or
/// times were changed: chmod's `changing permissions of`, chown's
/// `changing ownership of`, chgrp's `changing group of`, install's
/// `cannot change permissions of`, touch's `setting times of` (a
/// directory, which it cannot open to write, or `touch -c`); setfacl and
/// busybox's chmod, chown and chgrp print only `chmod: NAME: …`.
fn changes_attributes(head: &str, l: &str) -> bool {
    [
        "changing permissions",
        "changing ownership",
        "changing group",
        "change permissions",
        "change ownership",
        "setting times of",
    ]
    .iter()
    .any(|w| l.contains(w))
        || matches!(program(head), "setfacl" | "chmod" | "chown" | "chgrp")
}

/// GNU mv across devices copies, then deletes, and before the copy
/// removes the destination (`copy.c`, as a rename would replace it):
/// `mv: inter-device move failed: 'SRC' to 'DST'; unable to remove
/// target` is that removal failing, so DST's directory is read-only and
/// is written (the copy creates DST there); SRC's device is another one.
/// A message that names what it could not remove (`; unable to remove
/// 'SRC'`) removed that name, an entry that existed. Not a rename: the
/// move is across devices on purpose, so its ends need no one volume.
fn inter_device_move(head: &str) -> Option<(String, Op)> {
    let (_, rest) = head.split_once("inter-device move failed: ")?;
    let names = quotearg::names(rest, false);
    let to = names.get(1)?;
    let what = rest[to.end..].strip_prefix("; unable to remove ")?;
    if what == "target" {
        return Some((to.name.clone(), Op::File));
    }
    let removed = names.get(2).filter(|q| q.end == rest.len())?;
    Some((removed.name.clone(), Op::Remove))
}

/// cp's `-l` and `-s` name the link they could not make, then what it
/// links to: `cp: cannot create symbolic link 'LINK' to 'TARGET'`. The
/// link is the entry written, relative or not; the target is only read.
fn cp_link(head: &str) -> Option<(String, Op)> {
    let rest = ["cannot create hard link ", "cannot create symbolic link "]
        .iter()
        .find_map(|verb| head.split_once(verb).map(|(_, rest)| rest))?;
    let [link, target] = quotearg::names(rest, false).try_into().ok()?;
    let linked = rest[link.end..].starts_with(" to ") && target.end == rest.len();
    (linked && !link.name.is_empty()).then_some((link.name, Op::File))
}

/// The program that printed `head` quotes names for people, not for the
/// shell (see `quotearg`): coreutils' `mkdir`, `mktemp` and `install`
/// (`mkdir: cannot create directory '/x/it\'s'`).
fn quotes_for_people(head: &str) -> bool {
    matches!(program(head), "mkdir" | "mktemp" | "install")
}

/// The program that printed `head`: its name before the first `: `,
/// without its directory.
fn program(head: &str) -> &str {
    let program = head.split(": ").next().unwrap_or(head);
    program.rsplit('/').next().unwrap_or(program)
}

/// The file a shell could not open for a redirection, in what it printed
/// before the error: dash's `sh: 1: cannot create /x`, busybox's
/// `sh: can't create /x` (`/entrypoint.sh: line 12: can't create /x`),
/// bash's `bash: line 1: /x` (`bash: /x`). Shells print the name as it
/// is, spaces, quotes and `: ` included, so it is the rest of the text.
fn redirection(head: &str) -> Option<&str> {
    let (program, rest) = head.split_once(": ")?;
    // The script's line, when the shell read a script or `-c`.
    let (line, rest) = match rest.split_once(": ") {
        Some((at, r)) if is_line(at) => (Some(at), r),
        _ => (None, rest),
    };
    let shell = matches!(
        program.rsplit('/').next(),
        Some("sh" | "ash" | "dash" | "bash")
    );
    let create = ["cannot create ", "can't create "]
        .iter()
        .find_map(|verb| rest.strip_prefix(verb));
    let name = match create {
        // `cp: cannot create regular file '/x'` is no shell's.
        Some(name) if shell || line.is_some() => name,
        Some(_) => return None,
        // bash names the file alone (one name: no `: ` in it, unlike
        // `echo: write error`).
        None if (shell && line.is_none() || line.is_some_and(|l| l.starts_with("line ")))
            && !rest.contains(": ") =>
        {
            rest
        }
        None => return None,
    };
    (!name.is_empty() && !name.starts_with(['\'', '"', '‘', '`'])).then_some(name)
}

/// A shell's line number before its error: `12` (dash) or `line 12`
/// (bash, busybox).
fn is_line(s: &str) -> bool {
    let n = s.strip_prefix("line ").unwrap_or(s);
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
}

/// The last unquoted absolute name in `head`, when it runs to the end,
/// spaces and all: printers that put a name right before `: ` and the
/// error print it as it is (`bb_perror_msg("%s", name)`: busybox's
/// `touch: /srv/my dir/a b.txt`; git's `cannot mkdir /srv/my dir/re po`;
/// a Perl `die "Cannot open $p: $!"`). Read to the first space, the name
/// was `/srv/my`. Taken whole when a busybox applet's name alone is
/// before it, git's `cannot mkdir`, or when what follows the first space
/// holds a `/` (the space was in a directory's name) and no words that
/// follow a name (`lock-frontend - open (30`); `None` otherwise.
fn unquoted_to_the_error(head: &str) -> Option<&str> {
    let (at, first) = super::abs_paths_at(head).into_iter().last()?;
    let name = &head[at..];
    let more = &name[first.len()..];
    if more.is_empty() || name.contains(": ") {
        return None;
    }
    let before = &head[..at];
    let applet = before
        .strip_suffix(": ")
        .is_some_and(|p| !p.is_empty() && !p.contains(char::is_whitespace));
    let git_mkdir = before.ends_with("cannot mkdir ");
    let in_a_directory = more.contains('/')
        && !more.contains(['(', ')'])
        && !more.contains("://")
        && !more.contains(" - ");
    (applet || git_mkdir || in_a_directory).then_some(name.trim_end())
}
