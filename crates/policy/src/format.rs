//! String helpers that reproduce Pod Security Admission's wording exactly,
//! and one that makes any text safe to print on a terminal.

use std::borrow::Cow;

/// `pluralize("container", "containers", n)`.
pub fn pluralize<'a>(singular: &'a str, plural: &'a str, n: usize) -> &'a str {
    if n == 1 { singular } else { plural }
}

/// Each item wrapped in double quotes (no escaping), joined by `, `.
pub fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item.as_ref());
        out.push('"');
    }
    out
}

/// The first `shown` items joined by `, `, then `and N more` for the rest:
/// a message about a hostile input's many paths stays one readable line.
pub fn join_some<S: AsRef<str>>(items: &[S], shown: usize) -> String {
    let mut out = items
        .iter()
        .take(shown)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > shown {
        out.push_str(&format!(" and {} more", items.len() - shown));
    }
    out
}

/// `container "a"` / `containers "a", "b"`.
pub fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// Distinct values in byte order (Go's `sets.NewString(...).List()`).
pub fn sorted_set<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut v: Vec<String> = items.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    v
}

/// Go's `strconv.Quote` (`%q`): backslash-escapes `"` and `\`, uses the short
/// escapes for control characters and `\xNN`, `\uNNNN`, `\UNNNNNNNN` for
/// other non-printable characters; printable Unicode is kept as it is.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `s` for a terminal: control characters (C0, DEL, C1) but the tab
/// written as `\u{1b}`. Names, messages (PSA's are byte-exact and quote names without
/// escaping), exemption reasons and paths come from manifests, logs and
/// traced programs; printed raw, an escape sequence in them would be run by
/// the terminal (retitle it, recolour, erase the lines above) instead of
/// shown. JSON, YAML and SARIF output escape them on their own.
pub fn printable(s: &str) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\t';
    if !s.contains(escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escaped(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` cut to its first `max` characters, with `…` where it was cut: for
/// text that comes from elsewhere (a server's message, a request's names)
/// and is quoted in an error or a log line, which must stay short.
pub fn shortened(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

/// `s` as one word a POSIX shell reads back as `s`: as it is when it holds
/// only characters no shell treats specially, else in single quotes (a
/// quote inside written `'\''`). For the commands messages suggest, which
/// must work as typed.
pub fn shell_word(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', "'\\''")))
    }
}

/// An approximation of Go's `unicode.IsPrint`: letters, marks, numbers,
/// punctuation, symbols and the ASCII space. Other spaces, control and
/// format characters, surrogates and private-use characters are not.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Cf) commonly met, private use and non-characters.
    let format = matches!(u, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB);
    let private = matches!(u, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
    let nonchar = (u & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&u);
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shortened_cuts_at_a_character_not_a_byte() {
        assert_eq!(shortened("short", 5), "short");
        assert_eq!(shortened("abcdef", 4), "abcd…");
        assert_eq!(shortened("abcé!", 4), "abcé…");
        assert_eq!(shortened("", 0), "");
        assert_eq!(shortened("a", 0), "…");
    }

    #[test]
    fn join_some_shows_the_first_items_and_counts_the_rest() {
        assert_eq!(join_some(&["a", "b"], 3), "a, b");
        assert_eq!(join_some(&["a", "b", "c"], 3), "a, b, c");
        assert_eq!(join_some(&["a", "b", "c", "d", "e"], 2), "a, b and 3 more");
        assert_eq!(join_some::<&str>(&[], 2), "");
    }
    use super::*;

    #[test]
    fn pluralize_and_join_quote() {
        assert_eq!(containers_phrase(&["a"]), "container \"a\"");
        assert_eq!(containers_phrase(&["a", "b"]), "containers \"a\", \"b\"");
        assert_eq!(join_quote::<&str>(&[]), "");
    }

    #[test]
    fn shell_words_read_back_as_written() {
        assert_eq!(shell_word("d/app-1.yaml"), "d/app-1.yaml");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("#1"), "'#1'");
        assert_eq!(shell_word("~x"), "'~x'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        assert_eq!(go_quote("unconfined"), "\"unconfined\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("tab\there\nnl"), "\"tab\\there\\nnl\"");
        assert_eq!(go_quote("\u{1}\u{7f}"), "\"\\x01\\x7f\"");
        assert_eq!(go_quote("é☃"), "\"é☃\"");
        assert_eq!(go_quote("\u{a0}"), "\"\\u00a0\"");
        assert_eq!(go_quote("\u{feff}"), "\"\\ufeff\"");
        assert_eq!(go_quote("\u{10ffff}"), "\"\\U0010ffff\"");
        assert_eq!(go_quote(""), "\"\"");
    }

    #[test]
    fn printable_escapes_control_characters_only() {
        assert!(matches!(
            printable("a é\u{a0}b"),
            Cow::Borrowed("a é\u{a0}b")
        ));
        assert_eq!(
            printable("x\u{1b}]0;t\u{7}\ty\n\u{7f}\u{9b}"),
            "x\\u{1b}]0;t\\u{7}\ty\\u{a}\\u{7f}\\u{9b}"
        );
        // A tab (met in YAML source lines) moves the cursor, no more.
        assert!(matches!(printable("a\tb"), Cow::Borrowed(_)));
    }

    #[test]
    fn sorted_set_is_byte_ordered_and_distinct() {
        assert_eq!(sorted_set(["b", "B", "a", "b"]), vec!["B", "a", "b"]);
    }
}
