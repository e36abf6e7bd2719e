//! The flow collection an "invalid indentation" error stops in, for a hint.
//!
//! YAML 1.2 wants every line of a flow collection in block context (`args:
//! [` … `]`) indented further than the block it sits in, closing bracket
//! included. kubectl's parser (go-yaml, after libyaml) does not check that,
//! so manifests that `kubectl apply` takes often close a multi-line
//! collection at the column of its key, and the YAML parser here stops
//! there with a bare "invalid indentation". Saying which collection the
//! line belongs to, and what YAML wants, turns that into a one-line edit.

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
