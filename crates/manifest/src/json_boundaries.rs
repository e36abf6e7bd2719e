//! Where a stream kubectl reads as JSON may be cut between two values.
//!
//! The chunker splits YAML at `---` lines, which a JSON stream (`{…}{…}`,
//! or one object per line as `jq -c` writes them) has none of: all its
//! values were one chunk under `--max-document-size`, so 20 MB of small
//! pods from `jq -c` was refused whole. This follows the stream line by
//! line (brackets and strings, nothing more) and says when a line ends
//! between two values, where the chunker may cut.
//!
//! It only has to be right about JSON. On anything else it stops for good
//! at the first byte JSON cannot have between values (`-` of a `---`, a
//! key, a comment), so a stream that turns to YAML is not cut again; before
//! that, the only place it can see "between values" in a stream that starts
//! like JSON but is YAML (`{a: 1}`) is after a top-level flow collection,
//! where YAML allows nothing but the end of the document.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No content yet.
    Start,
    Json,
    NotJson,
}

/// Follows one stream, fed line by line from its start.
#[derive(Debug, Clone)]
pub struct JsonBoundaries {
    state: State,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Default for JsonBoundaries {
    fn default() -> Self {
        JsonBoundaries {
            state: State::Start,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }
}

impl JsonBoundaries {
    /// Feeds the stream's next line; true when the stream is JSON so far
    /// and this line ends between two values (or after the last).
    pub fn line(&mut self, line: &[u8]) -> bool {
        for &b in line {
            if self.state == State::NotJson {
                return false;
            }
            self.byte(b);
        }
        self.state == State::Json && self.depth == 0 && !self.in_string
    }

    /// Whether the stream has been JSON so far (and has begun).
    pub fn is_json(&self) -> bool {
        self.state == State::Json
    }

    fn byte(&mut self, b: u8) {
        if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
            return;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'{' | b'[' if self.depth > 0 || b == b'{' => {
                self.state = State::Json;
                self.depth += 1;
            }
            // Between values only `{` may start the next one.
            _ if self.depth == 0 => self.state = State::NotJson,
            b'}' | b']' => self.depth -= 1,
            b'"' => self.in_string = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JsonBoundaries;

    /// The line numbers (1-based) after which a cut is allowed, with the
    /// chunker's lines.
    fn cuts(text: &str) -> Vec<usize> {
        let mut b = JsonBoundaries::default();
        crate::line_breaks::split_inclusive(text)
            .enumerate()
            .filter(|(_, l)| b.line(l.as_bytes()))
            .map(|(i, _)| i + 1)
            .collect()
    }

    #[test]
    fn cuts_fall_between_values_only() {
        assert_eq!(cuts("{\"a\": 1}\n{\"b\": [1,\n2]}\n\n{}\n"), [1, 3, 4, 5]);
        // Brackets and quotes inside strings are text.
        assert_eq!(cuts("{\"a\": \"}\\\"{\"}\n{\"b\": \"[\"}\n"), [1, 2]);
        // Values on one line: the line's end is still a boundary.
        assert_eq!(cuts("{}{\"a\":{}}\n"), [1]);
        // A lone `\r` is JSON white space and, to YAML, a line break.
        assert_eq!(cuts("{\"a\": 1}\r{\"b\": [1,\r2]}\r\r\n{}"), [1, 3, 4, 5]);
    }

    #[test]
    fn anything_but_json_between_values_stops_it_for_good() {
        assert!(cuts("kind: Pod\n").is_empty());
        assert!(cuts("# c\n{\"a\": 1}\n").is_empty());
        assert!(cuts("[1]\n").is_empty());
        // A stream that turns to YAML after its first value.
        assert_eq!(cuts("{a: 1}\n---\n{\"b\": 1}\n"), [1]);
        assert_eq!(cuts("{\"a\": 1}\n]\n{}\n"), [1]);
    }
}
