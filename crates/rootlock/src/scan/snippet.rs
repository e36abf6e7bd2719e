//! Source lines shown under each finding in the text output.
//!
//! A document's lines are indexed once, not walked from the start for each
//! finding: `kubectl get deploy -A -o json` is one document of tens of
//! thousands of lines with a handful of findings per workload. And a line
//! is shown clipped: a compact List (`jq -c`) is one line of megabytes,
//! which printed whole under each of its thousands of findings made
//! gigabytes of output.

use rootlock_manifest::line_breaks;

/// Characters of a source line shown at most.
pub const WIDTH: usize = 120;
/// Characters shown before the finding's column when a line is clipped.
const LEAD: usize = 30;

/// The lines of one document's text.
pub struct SourceLines<'a> {
    first_line: usize,
    /// Each line, and whether it is ASCII (a column is then a byte offset).
    lines: Vec<(&'a str, bool)>,
}

impl<'a> SourceLines<'a> {
    /// Indexes `text`, whose first line is line `first_line` of the file.
    pub fn new(text: &'a str, first_line: usize) -> Self {
        SourceLines {
            first_line,
            // Lines as the parser numbers them: a lone `\r` ends one too.
            lines: line_breaks::lines(text)
                .map(|l| (l, l.is_ascii()))
                .collect(),
        }
    }

    /// Line `line` of the file (and the one before it, for context),
    /// clipped to [`WIDTH`] characters around `column` on the line itself.
    pub fn snippet(&self, line: usize, column: Option<usize>) -> Vec<(usize, String)> {
        let Some(index) = line.checked_sub(self.first_line) else {
            return Vec::new();
        };
        let start = index.saturating_sub(1);
        (start..=index)
            .filter_map(|i| {
                let (text, ascii) = *self.lines.get(i)?;
                let at = if i == index { column } else { None };
                Some((self.first_line + i, clip(text, ascii, at)))
            })
            .collect()
    }
}

/// `line` whole when it is short, else [`WIDTH`] characters of it from a
/// little before `column` (1-based; from the start without one), with `…`
/// where it was cut.
fn clip(line: &str, ascii: bool, column: Option<usize>) -> String {
    let lead = column.map_or(0, |c| c.saturating_sub(1).saturating_sub(LEAD));
    if ascii {
        if line.len() <= WIDTH {
            return line.to_string();
        }
        let start = lead.min(line.len() - WIDTH);
        return framed(
            &line[start..start + WIDTH],
            start > 0,
            start + WIDTH < line.len(),
        );
    }
    if line.chars().nth(WIDTH).is_none() {
        return line.to_string();
    }
    let mut chars = line.char_indices().skip(lead).peekable();
    let Some(&(from, _)) = chars.peek() else {
        // The column is past the end (it cannot be): show the start.
        return clip(line, ascii, None);
    };
    let mut shown = chars.take(WIDTH + 1).map(|(i, _)| i);
    let to = shown.nth(WIDTH).unwrap_or(line.len());
    framed(&line[from..to], from > 0, to < line.len())
}

fn framed(body: &str, cut_before: bool, cut_after: bool) -> String {
    let before = if cut_before { "…" } else { "" };
    let after = if cut_after { "…" } else { "" };
    format!("{before}{body}{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_shown_whole_with_the_line_before() {
        let s = SourceLines::new("a: 1\nb: 2\nc: 3\n", 10);
        assert_eq!(
            s.snippet(12, Some(4)),
            [(11, "b: 2".to_string()), (12, "c: 3".to_string())]
        );
        assert_eq!(s.snippet(10, None), [(10, "a: 1".to_string())]);
        assert!(s.snippet(9, None).is_empty());
    }

    /// The finding's line is the parser's, which ends lines at a lone `\r`
    /// too: the line shown is that line, and no `\r` is printed (it would
    /// send the terminal's cursor back over the line).
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let s = SourceLines::new("a: 1\rb: 2\r\nc: 3\r", 10);
        assert_eq!(
            s.snippet(12, Some(4)),
            [(11, "b: 2".to_string()), (12, "c: 3".to_string())]
        );
    }

    #[test]
    fn a_long_line_is_clipped_around_the_column() {
        let line: String = (0..1000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let s = SourceLines::new(&line, 1);
        let [(1, shown)] = &s.snippet(1, Some(501))[..] else {
            panic!("one line")
        };
        // 30 characters before column 501, 120 in all, cut on both sides.
        assert_eq!(*shown, format!("…{}…", &line[470..590]));
        // Without a column, from the start; near the end, the last 120.
        assert_eq!(s.snippet(1, None)[0].1, format!("{}…", &line[..120]));
        assert_eq!(s.snippet(1, Some(999))[0].1, format!("…{}", &line[880..]));
    }

    #[test]
    fn non_ascii_lines_are_clipped_by_characters() {
        let line = "é".repeat(300);
        let s = SourceLines::new(&line, 1);
        let shown = &s.snippet(1, Some(101))[0].1;
        assert_eq!(*shown, format!("…{}…", "é".repeat(120)));
        let short = "é".repeat(120);
        assert_eq!(SourceLines::new(&short, 1).snippet(1, Some(50))[0].1, short);
    }
}
