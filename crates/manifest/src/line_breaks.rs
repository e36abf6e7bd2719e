//! Line breaks as YAML counts them: `\r\n`, `\n`, and a lone `\r` (an old
//! Mac file, or a stray `\r` in an LF or CRLF file). The YAML parser counts
//! lines this way, and every line rootlock prints is the parser's; so
//! whatever else counts or splits lines (the chunker, the offsets of a
//! chunk's parts, the source lines under a finding, fix's line index and
//! diff) counts them the same way, or a line number would name one line
//! here and another there.

/// The length of the line break at byte `i` of `b`: 2 for `\r\n`, 1 for `\n`
/// or a lone `\r`, 0 when there is none.
pub fn break_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => 2,
        Some(b'\r' | b'\n') => 1,
        _ => 0,
    }
}

/// The line breaks in `b`. A `\n` right after a `\r` is that `\r`'s break,
/// so a `\n` at the start of `b` counts: the caller that cut `b` out of a
/// longer text between the two says so by leaving that `\n` out.
pub fn count(b: &[u8]) -> usize {
    let mut after_cr = false;
    let mut n = 0;
    for &c in b {
        n += usize::from(c == b'\r' || (c == b'\n' && !after_cr));
        after_cr = c == b'\r';
    }
    n
}

/// Byte offset just past the last line break of `b`, if it has one.
pub fn last_line_start(b: &[u8]) -> Option<usize> {
    let i = b.iter().rposition(|c| matches!(c, b'\r' | b'\n'))?;
    Some(i + 1)
}

/// The lines of `text`, each with its line break (the last one may have
/// none), as [`str::split_inclusive`] gives them for `\n` alone.
pub fn split_inclusive(text: &str) -> SplitInclusive<'_> {
    SplitInclusive { rest: text }
}

/// The lines of `text` without their line breaks, as [`str::lines`] gives
/// them (a final line break ends the last line; it starts none).
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    split_inclusive(text).map(without_break)
}

/// `line` without the line break that ends it.
pub fn without_break(line: &str) -> &str {
    line.strip_suffix("\r\n")
        .or_else(|| line.strip_suffix(['\n', '\r']))
        .unwrap_or(line)
}

/// See [`split_inclusive`].
#[derive(Debug, Clone)]
pub struct SplitInclusive<'a> {
    rest: &'a str,
}

impl<'a> Iterator for SplitInclusive<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest.as_bytes();
        let end = match b.iter().position(|c| matches!(c, b'\r' | b'\n')) {
            Some(i) => i + break_len(b, i),
            None => b.len(),
        };
        // Line breaks are ASCII: `end` is a character boundary.
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_lf_and_a_lone_cr_are_one_break_each() {
        let text = "a\r\nb\nc\rd\r\r\ne";
        assert_eq!(
            split_inclusive(text).collect::<Vec<_>>(),
            ["a\r\n", "b\n", "c\r", "d\r", "\r\n", "e"]
        );
        assert_eq!(
            lines(text).collect::<Vec<_>>(),
            ["a", "b", "c", "d", "", "e"]
        );
        assert_eq!(count(text.as_bytes()), 5);
        assert_eq!(last_line_start(text.as_bytes()), Some(text.len() - 1));
        assert_eq!(break_len(text.as_bytes(), 1), 2);
        assert_eq!(break_len(text.as_bytes(), 2), 1);
        assert_eq!(break_len(text.as_bytes(), 6), 1);
        assert_eq!(break_len(text.as_bytes(), 0), 0);
    }

    #[test]
    fn like_the_standard_librarys_on_lf_text() {
        for text in ["", "a", "a\n", "a\n\nb", "\n", "a\nb\n\n"] {
            assert_eq!(
                split_inclusive(text).collect::<Vec<_>>(),
                text.split_inclusive('\n').collect::<Vec<_>>(),
                "{text:?}"
            );
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
        assert_eq!(lines("a\r").collect::<Vec<_>>(), ["a"]);
        assert_eq!(count(b"\r"), 1);
        assert_eq!(count(b"\n\r\n"), 2);
        assert_eq!(last_line_start(b"abc"), None);
    }
}
