//! JSON syntax errors as rootlock reports them: serde_json's own words,
//! at a line and a column counted in characters.
//!
//! Streams are checked by skipping values (see [`crate::json_stream`]),
//! which names some errors vaguely: `{"a": 1,}` fails with "key must be a
//! string". serde_json's full parser says "trailing comma", but it recurses
//! and stops at 128 levels, short of what the YAML reader accepts. So when
//! the skipping fails, the stream is checked again with the full parser,
//! and its message is taken when it failed at the same place.

use crate::line_breaks;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON syntax error at a 1-based line and column (in characters) of the
/// text that was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    /// serde_json's message without its position (`trailing comma`).
    pub message: String,
}

impl JsonError {
    /// An error at `line` and `column` saying `message`, for tests.
    #[cfg(test)]
    pub(crate) fn at(line: usize, column: usize, message: &str) -> Self {
        JsonError {
            line,
            column,
            message: message.into(),
        }
    }

    /// The error `skipped` met while skipping the values of `text`, named
    /// as precisely as serde_json can.
    pub fn new(text: &str, skipped: serde_json::Error) -> Self {
        let e = precise(text)
            .filter(|p| (p.line(), p.column()) == (skipped.line(), skipped.column()))
            .unwrap_or(skipped);
        let full = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let (line, column) = yaml_position(text, e.line(), e.column());
        JsonError {
            line,
            column,
            message: full.strip_suffix(&position).unwrap_or(&full).to_string(),
        }
    }
}

/// The first error serde_json's full parser finds in the values of `text`.
fn precise(text: &str) -> Option<serde_json::Error> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Checked>()
        .find_map(Result::err)
}

/// A JSON value checked by serde_json's full parser, kept nowhere.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// serde_json counts lines at `\n` alone and columns in bytes; the YAML
/// reader, and so every other position rootlock prints, counts lines at
/// `\r\n`, `\n` and a lone `\r` (white space to JSON) and columns in
/// characters. The position of serde_json's `line` and `byte_column` as
/// the YAML reader counts them.
fn yaml_position(text: &str, line: usize, byte_column: usize) -> (usize, usize) {
    let line_start = match line.checked_sub(2) {
        None => 0,
        Some(n) => text.match_indices('\n').nth(n).map_or(0, |(i, _)| i + 1),
    };
    let mut at = (line_start + byte_column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.as_bytes().get(..at).unwrap_or_default();
    let start = line_breaks::last_line_start(before).unwrap_or(0);
    let column = text.get(start..at).map_or(0, |s| s.chars().count()) + 1;
    (1 + line_breaks::count(before), column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(text: &str) -> JsonError {
        let skipped = serde_json::Deserializer::from_str(text)
            .into_iter::<IgnoredAny>()
            .find_map(Result::err)
            .expect("an error");
        JsonError::new(text, skipped)
    }

    #[test]
    fn errors_are_named_precisely_at_their_place_in_characters() {
        let cases = [
            ("{\n  \"a\": 1,\n}\n", 3, 1, "trailing comma"),
            ("{}[1, 2,]", 1, 9, "trailing comma"),
            // serde_json counts lines at `\n` alone; JSON white space holds
            // `\r` too, a line break to YAML when it is alone.
            ("{}\r{}\r\n{\"\u{e9}\": 1,}", 3, 9, "trailing comma"),
            ("{}\r{}\r{\"a\": 1,}", 3, 9, "trailing comma"),
            ("{'a': 1}", 1, 2, "key must be a string"),
            ("{\"a\": 1 // c\n}", 1, 9, "expected `,` or `}`"),
            ("{\"a\": 1", 1, 7, "EOF while parsing an object"),
            // serde_json counts the bytes of `é🔒`: 6, not 2.
            ("{}\n{\"é🔒\": 1,}", 2, 10, "trailing comma"),
        ];
        for (text, line, column, message) in cases {
            assert_eq!(
                first_error(text),
                JsonError::at(line, column, message),
                "{text:?}"
            );
        }
    }

    #[test]
    fn past_the_full_parsers_depth_the_skipping_message_stays() {
        // 200 levels: the full parser stops at 128 with "recursion limit
        // exceeded", somewhere else than the error, so the skipping's
        // message is kept.
        let text = format!("{{\"a\": {}1,]{}}}", "[".repeat(200), "]".repeat(199));
        let e = first_error(&text);
        assert_eq!((e.line, e.column), (1, 209));
        assert_eq!(e.message, "expected value");
    }
}
