//! Line index over a file's text: 1-based lines to byte offsets, character
//! columns (what the parser reports) to bytes, and the file's line ending.
//! Lines end where the YAML parser ends them, at `\r\n`, `\n` or a lone
//! `\r` ([`line_breaks`]): the lines the parser gives nodes are these.

use rootlock_manifest::line_breaks;

/// A file's text with the offsets of its lines.
pub struct Text<'a> {
    pub src: &'a str,
    starts: Vec<usize>,
    /// Per line, whether it is ASCII: there a column is a byte offset, and
    /// a long line (compact JSON on one line) is not walked per lookup.
    ascii: Vec<bool>,
    /// The line ending most of the file's lines have: `"\n"`, `"\r\n"`,
    /// or `"\r"` (an old Mac file); `"\n"` when there is none.
    pub eol: &'static str,
}

impl<'a> Text<'a> {
    pub fn new(src: &'a str) -> Self {
        let b = src.as_bytes();
        let mut starts = vec![0];
        let (mut lf, mut crlf, mut cr) = (0usize, 0usize, 0usize);
        let mut at = 0;
        while let Some(n) = b[at..].iter().position(|c| matches!(c, b'\r' | b'\n')) {
            let len = line_breaks::break_len(b, at + n);
            match (b[at + n], len) {
                (b'\n', _) => lf += 1,
                (_, 2) => crlf += 1,
                _ => cr += 1,
            }
            at += n + len;
            starts.push(at);
        }
        // A final line break does not start another line.
        if starts.len() > 1 && starts.last() == Some(&src.len()) {
            starts.pop();
        }
        // Most lines, not the first: a CRLF file often starts with a line
        // that a script added (`echo --- >> all.yaml`) with LF alone. On a
        // tie LF wins, then CRLF: a file whose every line ends in `\r\r\n`
        // (CRLF converted once too often) is a CRLF file to its editor.
        let eol = if crlf > lf && crlf >= cr {
            "\r\n"
        } else if cr > lf && cr > crlf {
            "\r"
        } else {
            "\n"
        };
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = starts.get(i + 1).copied().unwrap_or(src.len());
                src.as_bytes().get(start..end).is_some_and(<[u8]>::is_ascii)
            })
            .collect();
        Text {
            src,
            starts,
            ascii,
            eol,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 1-based `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        match line.checked_sub(1).and_then(|i| self.starts.get(i)) {
            Some(s) => *s,
            None => self.src.len(),
        }
    }

    /// Byte offset just past the line's terminator (the start of the next line).
    pub fn line_end_incl(&self, line: usize) -> usize {
        self.line_start(line + 1)
    }

    /// The line without its terminator; empty past the end.
    pub fn line(&self, line: usize) -> &'a str {
        let s = self.line_start(line);
        let e = self.line_end_incl(line);
        line_breaks::without_break(&self.src[s..e])
    }

    /// Whether the line ends with a line terminator (the last may not).
    pub fn has_eol(&self, line: usize) -> bool {
        self.src[..self.line_end_incl(line)].ends_with(['\n', '\r'])
    }

    /// Byte offset of a 1-based character column on a line.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let text = self.line(line);
        let idx = column.saturating_sub(1);
        if line.checked_sub(1).and_then(|i| self.ascii.get(i)) == Some(&true) {
            return self.line_start(line) + idx.min(text.len());
        }
        let within = text
            .char_indices()
            .nth(idx)
            .map(|(b, _)| b)
            .unwrap_or(text.len());
        self.line_start(line) + within
    }

    /// 1-based line holding a byte offset.
    pub fn line_of_offset(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Leading spaces of a line (YAML indentation never uses tabs).
pub fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line holding nothing, or only a comment.
pub fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// A document marker line (`---` or `...` at column 0).
pub fn is_doc_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && matches!(line.as_bytes().get(3), None | Some(b' ' | b'\t' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_offsets_and_crlf() {
        let t = Text::new("a: 1\r\nb: é x\r\nc");
        assert_eq!(t.eol, "\r\n");
        assert_eq!(t.line_count(), 3);
        assert_eq!(t.line(2), "b: é x");
        assert_eq!(t.line(3), "c");
        assert!(!t.has_eol(3));
        // Column 6 is `x`, after a two-byte character.
        assert_eq!(&t.src[t.offset(2, 6)..t.offset(2, 7)], "x");
        assert_eq!(t.line_of_offset(t.line_start(2) + 1), 2);
        assert_eq!(Text::new("a\n").line_count(), 1);
        assert_eq!(Text::new("a\n").eol, "\n");
        assert_eq!(Text::new("a\r\n").eol, "\r\n");
        assert_eq!(Text::new("---\na: 1\r\nb: 2\r\n").eol, "\r\n");
        assert_eq!(Text::new("a: 1\r\nb: 2\nc: 3\n").eol, "\n");
    }

    /// A lone `\r` ends a line, as it does to the YAML parser, and a file
    /// whose lines mostly end that way gets new lines ending that way.
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let t = Text::new("a: 1\rb: é x\r\nc\nd\r");
        assert_eq!(t.line_count(), 4);
        assert_eq!(
            (1..=4).map(|l| t.line(l)).collect::<Vec<_>>(),
            ["a: 1", "b: é x", "c", "d"]
        );
        assert!(t.has_eol(4));
        assert_eq!(&t.src[t.offset(2, 6)..t.offset(2, 7)], "x");
        assert_eq!(t.line_of_offset(t.line_start(2) + 1), 2);
        assert_eq!(t.line_start(3), "a: 1\rb: é x\r\n".len());
        assert_eq!(Text::new("a\rb\r").eol, "\r");
        assert_eq!(Text::new("---\na: 1\rb: 2\r").eol, "\r");
        assert_eq!(Text::new("a: 1\rb: 2\nc: 3\n").eol, "\n");
        assert_eq!(Text::new("a: 1\rb: 2\r\nc: 3\r\n").eol, "\r\n");
        assert_eq!(Text::new("a: 1\r\r\nb: 2\r\r\n").eol, "\r\n");
        let t = Text::new("a\r\r\nb");
        assert_eq!((t.line_count(), t.line(2), t.line(3)), (3, "", "b"));
    }

    #[test]
    fn columns_are_characters_on_ascii_and_other_lines() {
        let src = "a: x\r\nb: é x\nc: ü\n";
        let t = Text::new(src);
        for (line, text) in [(1, "a: x"), (2, "b: é x"), (3, "c: ü")] {
            for (column, (byte, _)) in text.char_indices().enumerate() {
                assert_eq!(t.offset(line, column + 1), t.line_start(line) + byte);
            }
            // Past the end: the end of the line, before its terminator.
            assert_eq!(t.offset(line, 99), t.line_start(line) + text.len());
        }
    }

    #[test]
    fn markers_and_blank_lines() {
        assert!(is_doc_marker("--- # x"));
        assert!(!is_doc_marker("----"));
        assert!(is_blank_or_comment("   # c"));
        assert_eq!(indent_of("    - a"), 4);
    }
}
