//! The YAML parser's own account of a text's outermost flow collections,
//! to check [`crate::flow_spans`] against: used by its tests and by the
//! `flow_spans` fuzz target, never by the reader.

use crate::flow_spans::FlowSpans;
use saphyr_parser::{Event, Parser};
use std::ops::Range;

/// Compares the pre-scan's spans of `text` with the parser's collections:
/// `None` if the parser rejects the text, else the number of collections
/// compared, or what differs.
pub fn compare(text: &str) -> Option<Result<usize, String>> {
    let want = parser_flows(text)?;
    let got: Vec<Range<usize>> = FlowSpans::new(text).map(|s| s.range).collect();
    let same = got.len() == want.len() && got.iter().zip(&want).all(|(g, w)| same_flow(text, g, w));
    Some(if same {
        Ok(want.len())
    } else {
        let got: Vec<&str> = got.iter().map(|r| &text[r.clone()]).collect();
        Err(format!("pre-scan {got:?} vs parser {want:?}"))
    })
}

/// An outermost flow collection in block context as the parser's events
/// place it: where it starts, where the last event inside it starts, and
/// where the first event after it starts. (The events of closing brackets
/// are not used: their positions are those of a later token.)
#[derive(Debug)]
pub struct ParserFlow {
    pub start: usize,
    pub last_inside: Option<usize>,
    pub next: Option<usize>,
}

/// The parser's [`ParserFlow`]s of `text`, or `None` if it rejects it.
pub fn parser_flows(text: &str) -> Option<Vec<ParserFlow>> {
    // The parser's positions count characters; the lexer's, bytes.
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut events = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        // A block collection's start event is empty, at its first entry's
        // content (which may be a bracket): only a flow one spans text.
        let block = span.end.index() == span.start.index();
        events.push((event, bytes[span.start.index()], block));
    }
    let is_end = |e: &Event| matches!(e, Event::SequenceEnd | Event::MappingEnd);
    let mut flows = Vec::new();
    let mut open: Vec<Option<usize>> = Vec::new();
    for k in 0..events.len() {
        match events[k].0 {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                // The event starts at the collection's tag or anchor, if any.
                let at = after_properties(text, events[k].1);
                let flow = !events[k].2 && text[at..].starts_with(['[', '{']);
                events[k].1 = at;
                let outer_flow = open.iter().any(Option::is_some);
                open.push((flow && !outer_flow).then_some(k));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Some(first)) = open.pop() {
                    let events = &events;
                    let inside = &events[first + 1..k];
                    flows.push(ParserFlow {
                        start: events[first].1,
                        last_inside: inside
                            .iter()
                            .filter(|(e, _, _)| !is_end(e))
                            .map(|e| e.1)
                            .max(),
                        next: events[k + 1..]
                            .iter()
                            .find(|(e, _, _)| !is_end(e))
                            .map(|e| e.1),
                    });
                }
            }
            _ => {}
        }
    }
    Some(flows)
}

/// Where the node at `at` starts once its tag and anchor are passed.
fn after_properties(text: &str, mut at: usize) -> usize {
    while text[at..].starts_with(['!', '&']) {
        let rest = &text[at..];
        let len = if rest.starts_with("!<") {
            rest.find('>').map_or(rest.len(), |n| n + 1)
        } else {
            rest.find([' ', '\t', '\n', '\r', '[', '{'])
                .unwrap_or(rest.len())
        };
        at += len;
        at += text[at..].len() - text[at..].trim_start().len();
    }
    at
}

/// Whether the lexer's span is the parser's collection: the same start, an
/// end at a closing bracket after every event inside and before the next.
fn same_flow(text: &str, lexer: &Range<usize>, parser: &ParserFlow) -> bool {
    lexer.start == parser.start
        && text[..lexer.end].ends_with([']', '}'])
        && parser.last_inside.is_none_or(|l| l < lexer.end)
        && parser.next.is_none_or(|n| n >= lexer.end)
}
