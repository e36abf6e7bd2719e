//! The flow collection an "invalid indentation" error stops in: named in
//! the error, and moved right in a copy so that the text is read as
//! kubectl reads it (see [`reindent_flow_collections`]).
//!
//! YAML 1.2 wants every line of a flow collection in block context (`args:
//! [` … `]`) indented further than the block it sits in, closing bracket
//! included. kubectl's parser (go-yaml, after libyaml) does not check that,
//! so manifests that `kubectl apply` takes often close a multi-line
//! collection at the column of its key, and the YAML parser here stops
//! there with a bare "invalid indentation". Saying which collection the
//! line belongs to, and what YAML wants, turns that into a one-line edit;
//! `scan` does not even need it.

use crate::flow_spans::FlowSpans;
use crate::line_breaks;
use saphyr_parser::{Event, Marker, Parser};

/// Where the outermost flow collection open at the parser's first error
/// starts: the one in block context, whose block's indentation every line
/// of it must pass. `None` if the text parses, or the error is not inside
/// a flow collection. (Not the innermost: the parser may stop on a line
/// before it reports a nested collection opened on the line above.) Runs the parser over `text`
/// again, so it is for the error path only (the text met the same limits
/// on the first run, and this run stops at the same error).
pub fn open_flow_at_error(text: &str) -> Option<Marker> {
    let mut open: Vec<Option<Marker>> = Vec::new();
    for event in Parser::new_from_str(text) {
        match event {
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), span)) => {
                // A block collection's start event is empty (it sits at its
                // first entry); a flow one spans its bracket.
                let flow = span.end.index() > span.start.index();
                open.push(flow.then_some(span.start));
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => {
                open.pop();
            }
            Ok(_) => {}
            Err(_) => return open.into_iter().flatten().next(),
        }
    }
    None
}

/// `text` with its multi-line flow collections in block context indented
/// as YAML 1.2 wants: the lines of each after its first (closing bracket
/// included) moved right, all by the same number of spaces, until none
/// starts left of the column after its opening bracket, which is past the
/// key or `-` holding it. kubectl reads the original as it reads this: the
/// leading white space of a flow collection's lines is not content (quoted
/// and plain scalars fold it away, and blank lines are left alone), so
/// every value is the same, and so is every line number; only columns and
/// byte offsets on and after those lines move. All at once, so one more
/// parse reads the text whatever their number. With the copy, the byte
/// offset of the first moved collection's opening bracket; `None` when no
/// collection needs moving (the error is something else).
pub fn reindent_flow_collections(text: &str) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let blank = |l: &str| {
        line_breaks::without_break(l)
            .trim_matches([' ', '\t'])
            .is_empty()
    };
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let mut out = String::new();
    let mut copied = 0;
    let mut first_moved = None;
    for span in FlowSpans::new(text).map(|s| s.range) {
        // The line after the opening bracket's.
        let Some(first) = (span.start..span.end).find_map(|i| match line_breaks::break_len(b, i) {
            0 => None,
            n => Some(i + n),
        }) else {
            continue;
        };
        let Some(body) = text.get(first..span.end) else {
            continue;
        };
        let line_start = line_breaks::last_line_start(&b[..span.start]).unwrap_or(0);
        let column = text[line_start..span.start].chars().count();
        let lines: Vec<&str> = line_breaks::split_inclusive(body).collect();
        let Some(least) = lines.iter().filter(|l| !blank(l)).map(|l| indent(l)).min() else {
            continue;
        };
        let Some(shift) = (column + 1).checked_sub(least).filter(|&n| n > 0) else {
            continue;
        };
        first_moved.get_or_insert(span.start);
        out.push_str(&text[copied..first]);
        let pad = " ".repeat(shift);
        for line in lines {
            if !blank(line) {
                out.push_str(&pad);
            }
            out.push_str(line);
        }
        copied = span.end;
    }
    let first_moved = first_moved?;
    out.push_str(&text[copied..]);
    Some((out, first_moved))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(usize, usize)> {
        open_flow_at_error(text).map(|m| (m.line(), m.col()))
    }

    #[test]
    fn a_closing_bracket_at_the_keys_column_is_inside_its_collection() {
        let text = "spec:\n  args: [\n    \"a\",\n  ]\n";
        assert_eq!(at(text), Some((2, 8)));
        // Content lines too, and mappings.
        let text = "spec:\n  containers: [\n  {name: c}\n]\n";
        assert_eq!(at(text), Some((2, 14)));
        let text = "a:\n  b: {\n    c: d,\n }\n";
        assert_eq!(at(text), Some((2, 5)));
    }

    #[test]
    fn nested_flow_collections_name_the_outermost() {
        let text = "a:\n  b: [1, [2,\n  3]]\n";
        assert_eq!(at(text), Some((2, 5)));
        let text = "a:\n  b: [1, [\n  2]]\n";
        assert_eq!(at(text), Some((2, 5)));
        // A flow collection after a block one in the same document.
        let text = "a:\n  - x\n  - [1,\n  2]\n";
        assert_eq!(at(text), None, "this one parses");
        let text = "a:\n  b:\n    c: [1,\n   2]\n";
        assert_eq!(at(text), Some((3, 7)));
    }

    fn reindent(text: &str) -> Option<String> {
        reindent_flow_collections(text).map(|(t, _)| t)
    }

    #[test]
    fn the_open_collection_is_moved_past_its_bracket_and_nothing_else() {
        // Both lines moved by the same 7 spaces: the least indented one
        // lands in the column after the bracket's. Line count unchanged.
        let text = "spec:\n  args: [\n    \"a\",\n  ]\nnext: 1\n";
        let (copy, bracket) = reindent_flow_collections(text).unwrap();
        assert_eq!(bracket, text.find('[').unwrap());
        assert_eq!(
            copy,
            "spec:\n  args: [\n           \"a\",\n         ]\nnext: 1\n"
        );
        assert!(open_flow_at_error(&copy).is_none());
        // Blank lines stay blank (in a quoted scalar one is a line break);
        // a comment after the bracket and CRLF and lone-CR breaks are kept.
        assert_eq!(
            reindent("a:\r\n  b: [\"x\r\n\r\n y\",\r\n  ] # c\r\n").as_deref(),
            Some("a:\r\n  b: [\"x\r\n\r\n      y\",\r\n       ] # c\r\n")
        );
        assert_eq!(
            reindent("a:\r  b: {\r c: d}\r").as_deref(),
            Some("a:\r  b: {\r      c: d}\r")
        );
        // Every collection at once; one already far enough right and a
        // one-line one stay as they were.
        assert_eq!(
            reindent("a: [\n1]\nb: [\n2]\nc: [\n     3]\nd: [4]\n").as_deref(),
            Some("a: [\n    1]\nb: [\n    2]\nc: [\n     3]\nd: [4]\n")
        );
    }

    #[test]
    fn nothing_to_move_is_none() {
        // No flow collection; one line; already past its bracket.
        assert_eq!(reindent("a:\n  - b\n - c\n"), None);
        assert_eq!(reindent("a: [1, 2]\nb: {c: d}\n"), None);
        assert_eq!(reindent("a: [1,\n     2: 3: 4]\n"), None);
    }

    #[test]
    fn errors_outside_flow_collections_get_no_collection() {
        // Bad block indentation, after a flow collection that closed.
        let text = "a:\n  b: [1]\n   c: d\n";
        assert_eq!(at(text), None);
        let text = "a:\n  - b\n - c\n";
        assert_eq!(at(text), None);
        // Text that parses.
        assert_eq!(at("a: [1,\n  2]\n"), None);
    }
}
