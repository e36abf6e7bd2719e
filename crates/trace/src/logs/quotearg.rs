//! File names as GNU coreutils quote them in messages (gnulib's
//! `quotearg`), read back to the names. Two styles, as coreutils 9.1
//! prints them:
//!
//! * For the shell (`quoteaf`: `touch`, `rm`, `mv`, `cp`, `chmod`, `chown`,
//!   `ln`, `truncate`, `tee`, …): `'/srv/a b'`; `"/srv/it's"` when the
//!   name holds a `'` but nothing a shell expands in double quotes;
//!   otherwise `'/srv/it'\''s "x"'`; control characters (and, in the C
//!   locale, every byte that is not ASCII) in ANSI-C quotes:
//!   `'/srv/a'$'\t''b'`, `'/srv/'$'\303\251'`. Inside `'…'` a backslash
//!   is itself: `'/srv/a\b'` names `a\b`.
//! * For people (`quote`: `mkdir`, `mkdir -p`, `mktemp`, `install -d`):
//!   `‘/srv/a b’` in a UTF-8 locale, `'/srv/a b'` in the C locale, with C
//!   escapes inside: `'/srv/it\'s'`, `'/srv/a\\b'`, `'/srv/a\tb'`,
//!   `'/srv/\303\251'`, `‘/srv/\’x’`.
//!
//! An ASCII-quoted name that only one style reads to its end is read that
//! way; one both read (a backslash inside, not before a quote) is read in
//! the style of the program that printed it. A name neither reads
//! (busybox prints names as they are: `'/srv/it's'`) is taken as it is, to
//! the quote that ends it.

/// One quoted name.
#[derive(Debug, PartialEq, Eq)]
pub struct Quoted {
    /// The name, decoded (bytes that are not UTF-8 read as U+FFFD).
    pub name: String,
    /// Where its quoting ends in the text it was read from.
    pub end: usize,
}

/// Every quoted name in `s`, in order: each opens with a quote at the
/// start of `s` or after white space, `(`, `[` or `=` (the `'` of `can't`
/// opens nothing),
/// and its quoting ends at the end of `s`, white space, or `:`, `,`, `;`,
/// `)`. `for_people`: the program quotes names for people (`mkdir`), so a
/// name both styles read is read with C escapes.
///
/// Each quote that may open a name is read to where its quoting could end,
/// up to the end of `s`: only the first [`MAX_OPENINGS`] are read, or a
/// line of them (`'a 'a 'a …`, 64 KiB) would be read over and over.
pub fn names(s: &str, for_people: bool) -> Vec<Quoted> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev: Option<char> = None;
    let mut openings = 0;
    while let Some(c) = s[i..].chars().next() {
        if openings == MAX_OPENINGS {
            break;
        }
        if prev.is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | '='))
            && OPENS.contains(&c)
            && let Some((name, len)) = {
                openings += 1;
                one(&s[i..], for_people)
            }
        {
            out.push(Quoted {
                name: String::from_utf8_lossy(&name).into_owned(),
                end: i + len,
            });
            i += len;
            prev = s[..i].chars().next_back();
            continue;
        }
        i += c.len_utf8();
        prev = Some(c);
    }
    out
}

/// A message names one file, or two (`mv`): a line with more quotes than
/// this that may open a name is not a coreutils message.
pub const MAX_OPENINGS: usize = 16;

/// The characters that may open a quoted name.
const OPENS: [char; 5] = ['\'', '"', '‘', '“', '`'];

/// The name quoted at the start of `s` and the length of its quoting.
fn one(s: &str, for_people: bool) -> Option<(Vec<u8>, usize)> {
    if s.starts_with('‘') {
        return c_style(s, '‘', '’').or_else(|| as_is(s, '‘', '’'));
    }
    if s.starts_with('\'') {
        let (first, second): (Reader, Reader) = if for_people {
            (|s| c_style(s, '\'', '\''), shell)
        } else {
            (shell, |s| c_style(s, '\'', '\''))
        };
        return first(s)
            .or_else(|| second(s))
            .or_else(|| as_is(s, '\'', '\''));
    }
    if s.starts_with('"') {
        return shell(s).or_else(|| as_is(s, '"', '"'));
    }
    if s.starts_with('“') {
        return as_is(s, '“', '”');
    }
    if s.starts_with('`') {
        // Coreutils before 8.25 in the C locale: `/srv/x'.
        return as_is(s, '`', '\'');
    }
    None
}

/// A reader of one quoting style.
type Reader = fn(&str) -> Option<(Vec<u8>, usize)>;

/// Whether a quoted name may end just before `rest`.
fn ends_name(rest: &[u8]) -> bool {
    rest.first()
        .is_none_or(|&b| b.is_ascii_whitespace() || matches!(b, b':' | b',' | b';' | b')'))
}

/// A name quoted for the shell: pieces in `'…'`, `"…"` (only as coreutils
/// writes them: nothing in them a shell would expand or unescape), `\'`
/// and `$'…'`, one after the other.
fn shell(s: &str) -> Option<(Vec<u8>, usize)> {
    let b = s.as_bytes();
    let mut name = Vec::new();
    let mut i = 0;
    loop {
        match (b.get(i), b.get(i + 1)) {
            (Some(b'\''), _) => {
                let len = b[i + 1..].iter().position(|&c| c == b'\'')?;
                name.extend_from_slice(&b[i + 1..i + 1 + len]);
                i += len + 2;
            }
            (Some(b'"'), _) => {
                let len = b[i + 1..].iter().position(|&c| c == b'"')?;
                let piece = &b[i + 1..i + 1 + len];
                if piece.iter().any(|c| matches!(c, b'\\' | b'$' | b'`')) {
                    return None;
                }
                name.extend_from_slice(piece);
                i += len + 2;
            }
            (Some(b'\\'), Some(b'\'')) => {
                name.push(b'\'');
                i += 2;
            }
            (Some(b'$'), Some(b'\'')) => {
                i += 2;
                loop {
                    match *b.get(i)? {
                        b'\'' => break,
                        b'\\' => {
                            let (byte, len) = c_escape(&b[i + 1..])?;
                            name.push(byte);
                            i += 1 + len;
                        }
                        byte => {
                            name.push(byte);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            _ => break,
        }
    }
    (i > 0 && ends_name(&b[i..])).then_some((name, i))
}

/// A name between `open` and `close` with C escapes: `\\`, `\'`, `\"`,
/// `\?`, `\a` … `\v`, octal bytes, and `\` before the closing quote.
fn c_style(s: &str, open: char, close: char) -> Option<(Vec<u8>, usize)> {
    let b = s.as_bytes();
    let mut close_buf = [0; 4];
    let close = close.encode_utf8(&mut close_buf).as_bytes();
    let mut name = Vec::new();
    let mut i = open.len_utf8();
    loop {
        let rest = b.get(i..)?;
        if rest.starts_with(close) {
            i += close.len();
            break;
        }
        match *rest.first()? {
            b'\\' if rest[1..].starts_with(close) => {
                name.extend_from_slice(close);
                i += 1 + close.len();
            }
            b'\\' => {
                let (byte, len) = c_escape(&rest[1..])?;
                name.push(byte);
                i += 1 + len;
            }
            byte => {
                name.push(byte);
                i += 1;
            }
        }
    }
    ends_name(&b[i..]).then_some((name, i))
}

/// The byte a C escape stands for (what follows its backslash) and the
/// length of what follows; `None` for one quotearg does not write.
fn c_escape(after: &[u8]) -> Option<(u8, usize)> {
    let byte = match *after.first()? {
        b'a' => 7,
        b'b' => 8,
        b'e' => 27,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 11,
        c @ (b'\\' | b'\'' | b'"' | b'?') => c,
        b'0'..=b'7' => {
            let digits = after
                .iter()
                .take(3)
                .take_while(|d| matches!(d, b'0'..=b'7'))
                .count();
            let value = after[..digits]
                .iter()
                .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
            return Some((u8::try_from(value).ok()?, digits));
        }
        _ => return None,
    };
    Some((byte, 1))
}

/// The name between `open` and the first `close` that may end it, as it is.
fn as_is(s: &str, open: char, close: char) -> Option<(Vec<u8>, usize)> {
    let start = open.len_utf8();
    let mut from = start;
    loop {
        let at = from + s[from..].find(close)?;
        let end = at + close.len_utf8();
        if ends_name(&s.as_bytes()[end..]) {
            return Some((s.as_bytes()[start..at].to_vec(), end));
        }
        from = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(s: &str, for_people: bool) -> Vec<String> {
        names(s, for_people).into_iter().map(|q| q.name).collect()
    }

    /// What coreutils 9.1 printed (LANG=C and C.UTF-8) for names in a
    /// read-only tmpfs, in a user and mount namespace
    /// (`unshare -Urm`, `mount -t tmpfs -o ro`).
    #[test]
    fn names_quoted_for_the_shell_are_read_back() {
        for (quoted, name) in [
            ("'/tmp/rox/a b'", "/tmp/rox/a b"),
            ("\"/tmp/rox/it's\"", "/tmp/rox/it's"),
            ("'/tmp/rox/it'\\''s \"both\"'", "/tmp/rox/it's \"both\""),
            ("'/tmp/rox/q\"x'", "/tmp/rox/q\"x"),
            ("'/tmp/rox/a\\b'", "/tmp/rox/a\\b"),
            ("'/tmp/rox/d$x'", "/tmp/rox/d$x"),
            ("'/tmp/rox/a'$'\\t''b'", "/tmp/rox/a\tb"),
            ("'/tmp/rox/x'$'\\001''y'", "/tmp/rox/x\u{1}y"),
            ("'/tmp/rox/'$'\\303\\251'", "/tmp/rox/é"),
            ("'/tmp/rox/'$'\\377\\376'", "/tmp/rox/\u{fffd}\u{fffd}"),
            ("'/tmp/rox/nl'$'\\n''x'", "/tmp/rox/nl\nx"),
            ("\"/tmp/rox/'abc\"", "/tmp/rox/'abc"),
            ("'/tmp/rox/'$'\\t''a'", "/tmp/rox/\ta"),
            ("'/tmp/rox/a'\\'''$'\\t''b'", "/tmp/rox/a'\tb"),
            ("'/tmp/rox/a\"'$'\\t'\\''b'", "/tmp/rox/a\"\t'b"),
            ("'/tmp/rox/x\\'\\''y'", "/tmp/rox/x\\'y"),
            ("'/tmp/rox/a'$'\\t''\\b'", "/tmp/rox/a\t\\b"),
        ] {
            assert_eq!(read(quoted, false), [name], "{quoted}");
            let line = format!("touch: cannot touch {quoted}");
            assert_eq!(read(&line, false), [name], "{line}");
        }
    }

    #[test]
    fn names_quoted_for_people_are_read_back() {
        for (quoted, name) in [
            ("'/tmp/rox/new\\'dir'", "/tmp/rox/new'dir"),
            ("'/tmp/rox/a\\\\b'", "/tmp/rox/a\\b"),
            ("'/tmp/rox/\\303\\251'", "/tmp/rox/é"),
            ("'/tmp/rox/x\\001y'", "/tmp/rox/x\u{1}y"),
            ("'/tmp/rox/nl\\nx'", "/tmp/rox/nl\nx"),
            ("'/tmp/rox/a\"\\t\\'b'", "/tmp/rox/a\"\t'b"),
            ("‘/tmp/rox/new'dir’", "/tmp/rox/new'dir"),
            ("‘/tmp/rox/a\\\\b’", "/tmp/rox/a\\b"),
            ("‘/tmp/rox/d\\tx’", "/tmp/rox/d\tx"),
            ("‘/tmp/rox/‘q\\’’", "/tmp/rox/‘q’"),
            ("‘/tmp/rox/sp ace’", "/tmp/rox/sp ace"),
        ] {
            assert_eq!(read(quoted, true), [name], "{quoted}");
        }
        // Read with the other style first, only the ambiguous ones differ.
        assert_eq!(read("'/tmp/rox/new\\'dir'", false), ["/tmp/rox/new'dir"]);
        assert_eq!(read("'/tmp/rox/a\\\\b'", false), ["/tmp/rox/a\\\\b"]);
        assert_eq!(read("‘/tmp/rox/a\\\\b’", false), ["/tmp/rox/a\\b"]);
    }

    #[test]
    fn several_names_and_names_no_style_reads() {
        assert_eq!(
            read(
                "mv: cannot move '/tmp/rox/plain' to \"/tmp/rox/b'c\"",
                false
            ),
            ["/tmp/rox/plain", "/tmp/rox/b'c"]
        );
        // busybox: as it is, to the quote before the end.
        assert_eq!(
            read("mkdir: can't create directory '/srv/it's'", false),
            ["/srv/it's"]
        );
        assert_eq!(read("`/srv/x'", false), ["/srv/x"]);
        assert!(read("can't open it's", false).is_empty());
        assert!(read("'/srv/open", false).is_empty());
        // Past the bound on quotes that may open a name, none is read.
        let many = "\"a\"x ".repeat(MAX_OPENINGS - 1);
        assert_eq!(read(&format!("{many}'/srv/x'"), false), ["/srv/x"]);
        assert!(read(&format!("{many}\"a\"x '/srv/x'"), false).is_empty());
        let q = names("x '/a b': y", false);
        assert_eq!(
            q,
            [Quoted {
                name: "/a b".into(),
                end: 8
            }]
        );
    }

    /// Quotes `name` as `quoteaf` does (gnulib's shell-escape-always
    /// style, C locale): double quotes when they need nothing escaped,
    /// else `'…'` pieces, `\'` and `$'\ooo'` for control and non-ASCII bytes.
    fn for_the_shell(name: &str) -> String {
        let plain = |b: u8| (b' '..=b'~').contains(&b);
        if name.contains('\'') && name.bytes().all(plain) && !name.contains(['"', '$', '`', '\\']) {
            return format!("\"{name}\"");
        }
        let mut out = String::from("'");
        for b in name.bytes() {
            match b {
                b'\'' => out.push_str("'\\''"),
                b if plain(b) => out.push(char::from(b)),
                b => out.push_str(&format!("'$'\\{b:03o}''")),
            }
        }
        out.push('\'');
        out
    }

    /// Quotes `name` as `quote` does in the C locale: `'…'` with C escapes.
    fn for_people(name: &str) -> String {
        let mut out = String::from("'");
        for b in name.bytes() {
            match b {
                b'\'' | b'\\' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                b'\t' => out.push_str("\\t"),
                b'\n' => out.push_str("\\n"),
                b' '..=b'~' => out.push(char::from(b)),
                b => out.push_str(&format!("\\{b:03o}")),
            }
        }
        out.push('\'');
        out
    }

    fn name_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => proptest::char::range('a', 'c'),
            4 => proptest::sample::select(vec![
                '/', ' ', '\'', '"', '\\', '$', '`', ':', '\t', '\n', '\u{1}', '\u{7f}', 'é',
                '‘', '’', 't', 'n', '0', '7',
            ]),
            1 => proptest::char::any(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Any name, quoted either way, is read back whole, alone or as
        /// the second name of a line.
        #[test]
        fn quoted_names_read_back(
            name in proptest::collection::vec(name_char(), 1..16).prop_map(String::from_iter),
        ) {
            let shell = for_the_shell(&name);
            prop_assert_eq!(read(&format!("touch: cannot touch {shell}"), false), [name.clone()], "{}", shell);
            prop_assert_eq!(read(&format!("mv: cannot move '/a' to {shell}"), false), ["/a".to_string(), name.clone()], "{}", shell);
            let people = for_people(&name);
            prop_assert_eq!(read(&format!("mkdir: cannot create directory {people}"), true), [name.clone()], "{}", people);
        }

        /// Whatever the text, reading it ends (no panic on any byte).
        #[test]
        fn any_text_is_read_without_panic(text in proptest::collection::vec(name_char(), 0..40).prop_map(String::from_iter)) {
            for q in names(&text, false).into_iter().chain(names(&text, true)) {
                prop_assert!(q.end <= text.len());
            }
        }
    }
}
