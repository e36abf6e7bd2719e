//! Where byte offsets of a chunk are in its file, for the parts of a chunk
//! that are parsed on their own (the values of a JSON stream, the YAML after
//! them). Offsets only grow, so the chunk is walked once however many parts
//! it has.

use crate::line_breaks;
use crate::tree::Origin;

pub struct Offsets<'a> {
    text: &'a str,
    /// The offset reached so far…
    at: usize,
    /// … the file line it is on, minus one…
    line_offset: usize,
    /// … and the characters before it on that line. Counted as the offset
    /// moves on, so that a long line of many values costs nothing extra.
    column: usize,
}

impl<'a> Offsets<'a> {
    /// For a chunk whose first line is line `first_line` (1-based) of its file.
    pub fn new(text: &'a str, first_line: usize) -> Self {
        Offsets {
            text,
            at: 0,
            line_offset: first_line.saturating_sub(1),
            column: 0,
        }
    }

    /// The origin of a text that starts at byte `offset` of the chunk (at or
    /// after the offset asked for before).
    pub fn origin(&mut self, offset: usize) -> Origin {
        if let Some(passed) = self.text.get(self.at..offset) {
            // Line breaks as the YAML parser counts them; the `\n` of a
            // `\r\n` that the last offset cut in two was counted with its `\r`.
            let cut_crlf = passed.starts_with('\n')
                && self
                    .at
                    .checked_sub(1)
                    .and_then(|i| self.text.as_bytes().get(i))
                    == Some(&b'\r');
            let passed = if cut_crlf { &passed[1..] } else { passed };
            match line_breaks::last_line_start(passed.as_bytes()) {
                Some(start) => {
                    self.line_offset += line_breaks::count(passed.as_bytes());
                    self.column = passed.get(start..).map_or(0, |s| s.chars().count());
                }
                None => self.column += passed.chars().count(),
            }
            self.at = offset;
        }
        Origin {
            line_offset: self.line_offset,
            column_offset: self.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_of_growing_offsets() {
        let text = "{}\n  é{}{}\n\n{}";
        let mut o = Offsets::new(text, 10);
        let at = |line_offset, column_offset| Origin {
            line_offset,
            column_offset,
        };
        assert_eq!(o.origin(0), at(9, 0));
        assert_eq!(o.origin(2), at(9, 2));
        assert_eq!(o.origin(7), at(10, 3));
        assert_eq!(o.origin(9), at(10, 5));
        assert_eq!(o.origin(text.len() - 2), at(12, 0));
    }

    /// Line breaks are the YAML parser's: `\r\n`, `\n` and a lone `\r`,
    /// a `\r\n` one break even when an offset falls inside it.
    #[test]
    fn a_lone_carriage_return_is_a_line_break() {
        let text = "{}\r  é{}\r\n{}\r\r{}";
        let mut o = Offsets::new(text, 1);
        let at = |line_offset, column_offset| Origin {
            line_offset,
            column_offset,
        };
        assert_eq!(o.origin(2), at(0, 2));
        assert_eq!(o.origin(7), at(1, 3));
        assert_eq!(o.origin(9), at(1, 5));
        // Inside the `\r\n`, and after it: the next line's start.
        assert_eq!(o.origin(10), at(2, 0));
        assert_eq!(o.origin(11), at(2, 0));
        assert_eq!(o.origin(13), at(2, 2));
        assert_eq!(o.origin(text.len() - 2), at(4, 0));
    }
}
