//! Streams that kubectl reads as JSON, split as kubectl splits them.
//!
//! `kubectl apply -f` decodes every file with apimachinery's
//! `YAMLOrJSONDecoder`. It looks at the first 4096 bytes (after a
//! byte-order mark, which kubectl's file reader drops): when the first
//! character that is not white space is `{`, the stream is a sequence of
//! JSON values, concatenated (`{…}{…}`) or one per line as `jq -c` writes
//! them, each checked strictly by Go's `encoding/json` (no comments,
//! trailing commas or single quotes). Only `{` is sniffed, not `[`: a
//! stream starting with `[` is YAML to kubectl (a flow sequence).
//!
//! Since Kubernetes 1.33 (kubernetes/kubernetes#130666) a JSON error is not
//! final while at most one value has been decoded: `{a: 1}` and `{"a": 1,}`
//! are YAML that merely starts like JSON, so the decoder goes back to just
//! after the last value it decoded and reads the rest of the stream as
//! YAML. Once two values have been decoded, the stream is JSON for good and
//! a JSON error is the stream's error. kubectl 1.32 and older had no way
//! back and refused such files; rootlock reads as current kubectl does,
//! since flagging a file that kubectl applies would be a false input error.
//!
//! The JSON is checked with serde_json without building it: its skipping is
//! iterative, so it neither recurses nor has a recursion limit of its own.
//! Each value is then built by the tree builder from
//! [`crate::json_events`], which gives every node its line as the YAML
//! reader would, and the depth and node limits apply exactly as for any
//! other document.

use crate::json_error::JsonError;
use serde::de::IgnoredAny;
use serde_json::de::StrRead;
use serde_json::{Deserializer, StreamDeserializer};
use std::ops::Range;

/// How far into a stream kubectl looks for the `{` (`bufferSize` of
/// `NewYAMLOrJSONDecoder` in kubectl's stream visitor).
const SNIFF_BYTES: usize = 4096;

/// Whether kubectl decodes a stream that starts with `text` as JSON.
/// White space is Unicode's, as Go's `unicode.IsSpace` has it.
pub fn sniffs_as_json(text: &str) -> bool {
    let rest = text.trim_start();
    text.len() - rest.len() < SNIFF_BYTES && rest.starts_with('{')
}

/// Whether a chunk kubectl reads as YAML is one JSON array or object (a
/// file of `kubectl get -o json | jq .items`, or a JSON object after a
/// `---`). Its YAML reading is the same tree, and the JSON reader builds it
/// without the YAML parser's token queue, which grows with the length of a
/// flow collection.
pub fn is_one_json_collection(text: &str) -> bool {
    // JSON's white space only: the JSON reader gets the whole text.
    let rest = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if !rest.starts_with(['[', '{']) {
        return false;
    }
    // serde_json skips a value it ignores without recursing (see above).
    let mut de = Deserializer::from_str(text);
    serde::Deserialize::deserialize(&mut de).is_ok_and(|IgnoredAny| de.end().is_ok())
}

/// What one chunk of a JSON stream holds, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// One JSON value. The range starts where the previous value ended, so
    /// it holds the white space before the value, which YAML ignores.
    Value(Range<usize>),
    /// JSON failed while the stream was still ambiguous: the chunk is YAML
    /// from byte `from` on, and so is the rest of the stream. `error` is
    /// what kubectl reports if the YAML fails too.
    Yaml { from: usize, error: JsonError },
    /// JSON failed after two values or more: the stream's error.
    Broken(JsonError),
}

/// The [`Piece`]s of one chunk, the stream having had `decoded` values in
/// earlier chunks.
pub struct Pieces<'a> {
    text: &'a str,
    values: StreamDeserializer<'a, StrRead<'a>, IgnoredAny>,
    decoded: usize,
    /// Where the chunk's last value so far ended.
    end: usize,
    failed: bool,
}

impl<'a> Pieces<'a> {
    pub fn new(text: &'a str, decoded: usize) -> Self {
        Pieces {
            text,
            values: Deserializer::from_str(text).into_iter(),
            decoded,
            end: 0,
            failed: false,
        }
    }

    /// Values decoded in the stream so far, earlier chunks included.
    pub fn decoded(&self) -> usize {
        self.decoded
    }
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if self.failed {
            return None;
        }
        match self.values.next()? {
            Ok(IgnoredAny) => {
                let start = self.end;
                self.end = self.values.byte_offset();
                self.decoded += 1;
                Some(Piece::Value(start..self.end))
            }
            Err(e) => {
                self.failed = true;
                let error = JsonError::new(self.text, e);
                if self.decoded > 1 {
                    return Some(Piece::Broken(error));
                }
                // No value of this chunk was decoded: kubectl goes back to
                // the chunk's start, or to an earlier chunk's last value,
                // after which there is only white space. The white space it
                // skips comes before a `{` or a `---`, where YAML ignores
                // it: reading the whole chunk keeps its positions exactly
                // as they always were.
                let from = if self.end == 0 {
                    0
                } else {
                    resume(self.text, self.end)
                };
                Some(Piece::Yaml { from, error })
            }
        }
    }
}

/// Where kubectl's YAML takes over after the last JSON value: past the
/// white space that follows it, up to and including the first line break
/// (apimachinery's `consumeWhitespace`, which stops at `\n` alone). YAML
/// that follows on the same line is read as if it started a line: its
/// indentation is not the line's. A lone `\r` skipped on the way ends a
/// line that holds only white space, which YAML would skip as well.
fn resume(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    for (i, c) in rest.char_indices() {
        if c == '\n' {
            return at + i + 1;
        }
        if !c.is_whitespace() {
            return at + i;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, decoded: usize) -> Vec<Piece> {
        Pieces::new(text, decoded).collect()
    }

    #[test]
    fn only_a_leading_brace_within_4096_bytes_makes_a_json_stream() {
        assert!(sniffs_as_json("{\"a\": 1}"));
        assert!(sniffs_as_json(" \r\n\t\u{a0}{"));
        assert!(sniffs_as_json(&format!("{}{{", " ".repeat(4095))));
        assert!(!sniffs_as_json(&format!("{}{{", " ".repeat(4096))));
        assert!(!sniffs_as_json("[{\"a\": 1}]"));
        assert!(!sniffs_as_json("# c\n{\"a\": 1}"));
        assert!(!sniffs_as_json("a: {}"));
        assert!(!sniffs_as_json(""));
    }

    #[test]
    fn concatenated_values_are_split_with_the_white_space_before_them() {
        let text = " {\"a\": 1}{\"b\": 2}\n\n[3] \"x\" \n";
        assert_eq!(
            pieces(text, 0),
            [
                Piece::Value(0..9),
                Piece::Value(9..17),
                Piece::Value(17..22),
                Piece::Value(22..26),
            ]
        );
    }

    #[test]
    fn a_json_error_falls_back_to_yaml_until_two_values_were_decoded() {
        // Nothing decoded: the whole chunk is YAML.
        let text = "{\n  \"a\": 1,\n}\n";
        assert_eq!(
            pieces(text, 0),
            [Piece::Yaml {
                from: 0,
                error: JsonError::at(3, 1, "trailing comma")
            }]
        );
        // One value decoded: YAML from the line after it.
        let text = "{\"a\": 1}  \n{'b': 2}\n";
        assert_eq!(
            pieces(text, 0),
            [
                Piece::Value(0..8),
                Piece::Yaml {
                    from: 11,
                    error: JsonError::at(2, 2, "key must be a string")
                }
            ]
        );
        // … or from the next character on the same line.
        let text = "{\"a\": 1}  {b: 2}";
        assert_eq!(pieces(text, 0)[1], {
            Piece::Yaml {
                from: 10,
                error: JsonError::at(1, 12, "key must be a string"),
            }
        });
        // Two values decoded: JSON for good.
        let text = "{}\n{}\n{\"c\": 3 // c\n}";
        assert_eq!(
            pieces(text, 0)[2],
            Piece::Broken(JsonError::at(3, 9, "expected `,` or `}`"))
        );
        // Values of earlier chunks count.
        assert_eq!(
            pieces("---\n{}\n", 2),
            [Piece::Broken(JsonError::at(1, 2, "invalid number"))]
        );
        assert_eq!(
            pieces("---\n{}\n", 1),
            [Piece::Yaml {
                from: 0,
                error: JsonError::at(1, 2, "invalid number")
            }]
        );
    }

    /// Exactly one JSON array or object, with JSON's white space around
    /// it: the JSON reader is given the whole text.
    #[test]
    fn one_json_collection_is_the_whole_text() {
        for yes in ["[1]", " \r\n\t{\"a\": [1]}\n", "[{}, []]"] {
            assert!(is_one_json_collection(yes), "{yes:?}");
        }
        for no in [
            "\x0c[1]",
            "\u{a0}[1]",
            "[1] x",
            "[1][2]",
            "1",
            "---\n{}",
            "{a: 1}",
            "",
        ] {
            assert!(!is_one_json_collection(no), "{no:?}");
        }
    }

    #[test]
    fn nesting_is_not_limited_by_serde_json() {
        // Deeper than serde_json's recursion limit (128) and far deeper
        // than any YAML limit: the check itself neither recurses nor
        // refuses; the YAML reader's limits apply when a value is built.
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(pieces(&deep, 0), [Piece::Value(0..deep.len())]);
    }
}
