//! Splits a YAML stream into documents without parsing it, so a file of any
//! size is read one document at a time and memory stays flat.
//!
//! A line that starts with `---` (followed by white space or the end of the
//! line) or `...` can only be a document marker in YAML: the spec forbids
//! them inside content at column 0, block scalars included. JSON never
//! contains such a line either; a JSON stream is cut between its values
//! instead (see [`crate::json_boundaries`]).
//!
//! Lines end where the YAML parser ends them, at a lone `\r` too (see
//! [`crate::line_breaks`]): a chunk's first line is the parser's line, and
//! a `---` after a lone `\r` starts a document, as it does to the parser.

use crate::json_boundaries::JsonBoundaries;
use crate::line_breaks;
use std::io::{self, BufRead};

/// A JSON stream is cut at the first line end between two values once its
/// chunk has this many bytes (or half the size limit, if less): small
/// enough that only a value (or a line of values) near the limit is
/// refused, large enough that a chunk holds many of `jq -c`'s lines.
const JSON_CUT_BYTES: usize = 64 * 1024;

/// One document's text and where it starts in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// 1-based line number of the chunk's first line.
    pub first_line: usize,
}

/// Why the stream could not be split.
#[derive(Debug)]
pub enum ChunkError {
    Io(io::Error),
    /// A line is not UTF-8 (1-based line).
    NotUtf8 {
        line: usize,
    },
    /// A document grew past the limit; reading stops (1-based first line).
    /// `json_stream`: the text starts a stream kubectl reads as JSON, which
    /// is cut only at line ends, so the limit is on one value or on the
    /// values written on one line.
    TooLarge {
        first_line: usize,
        limit: usize,
        json_stream: bool,
    },
}

/// Reads documents from `reader`, each at most `max_bytes`.
pub struct Chunker<R> {
    reader: R,
    max_bytes: usize,
    line_no: usize,
    current: Vec<u8>,
    current_first_line: usize,
    current_has_content: bool,
    /// Every content line of the current chunk so far is a directive
    /// (`%YAML 1.2`, `%TAG …`): the prolog of the document the next `---`
    /// starts, which must stay with it.
    current_is_prolog: bool,
    line: Vec<u8>,
    finished: bool,
    json: JsonBoundaries,
}

impl<R: BufRead> Chunker<R> {
    pub fn new(reader: R, max_bytes: usize) -> Self {
        Chunker {
            reader,
            max_bytes,
            line_no: 0,
            current: Vec::new(),
            current_first_line: 1,
            current_has_content: false,
            current_is_prolog: true,
            line: Vec::new(),
            finished: false,
            json: JsonBoundaries::default(),
        }
    }

    fn take_current(&mut self, next_first_line: usize) -> Result<Option<Chunk>, ChunkError> {
        let bytes = std::mem::take(&mut self.current);
        let first_line = self.current_first_line;
        let had_content = std::mem::replace(&mut self.current_has_content, false);
        self.current_is_prolog = true;
        self.current_first_line = next_first_line;
        if !had_content {
            return Ok(None);
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            // Find the line of the first invalid byte.
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = first_line + line_breaks::count(valid);
            ChunkError::NotUtf8 { line }
        })?;
        Ok(Some(Chunk { text, first_line }))
    }

    fn too_large(&self) -> ChunkError {
        let start = if self.current.is_empty() {
            &self.line
        } else {
            &self.current
        };
        let text = String::from_utf8_lossy(&start[..start.len().min(8192)]);
        ChunkError::TooLarge {
            first_line: self.current_first_line,
            limit: self.max_bytes,
            json_stream: self.json.is_json()
                || (self.current_first_line == 1 && crate::json_stream::sniffs_as_json(&text)),
        }
    }

    /// Reads one line (with its line break: `\n`, `\r\n` or a lone `\r`, as
    /// the YAML parser counts them) into `self.line`, reading no more than
    /// the space left in the current document. Returns false at EOF.
    fn read_line(&mut self) -> Result<bool, ChunkError> {
        self.line.clear();
        let budget = self.max_bytes.saturating_sub(self.current.len()) + 1;
        loop {
            let buf = self.reader.fill_buf().map_err(ChunkError::Io)?;
            if buf.is_empty() {
                return Ok(!self.line.is_empty());
            }
            let (take, done) = if self.line.last() == Some(&b'\r') {
                // The last read ended in `\r`: a `\n` now makes it `\r\n`.
                if buf[0] != b'\n' {
                    return Ok(true);
                }
                (1, true)
            } else {
                match buf.iter().position(|b| matches!(b, b'\n' | b'\r')) {
                    // A `\r` last in the buffer may be the start of `\r\n`.
                    Some(i) if buf[i] == b'\r' && i + 1 == buf.len() => (i + 1, false),
                    Some(i) => (i + line_breaks::break_len(buf, i), true),
                    None => (buf.len(), false),
                }
            };
            let room = budget.saturating_sub(self.line.len());
            if take > room {
                // What fits, so that the error can tell what the text is.
                let fits = buf[..room].to_vec();
                self.line.extend_from_slice(&fits);
                return Err(self.too_large());
            }
            self.line.extend_from_slice(&buf[..take]);
            self.reader.consume(take);
            if done {
                return Ok(true);
            }
        }
    }
}

fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.starts_with(marker) && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn is_content(line: &[u8]) -> bool {
    let trimmed = line.iter().position(|b| !b" \t\r\n".contains(b));
    trimmed.is_some_and(|i| line[i] != b'#')
}

impl<R: BufRead> Iterator for Chunker<R> {
    type Item = Result<Chunk, ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            match self.read_line() {
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Ok(false) => {
                    self.finished = true;
                    return self.take_current(self.line_no + 1).transpose();
                }
                Ok(true) => {}
            }
            self.line_no += 1;
            if self.line_no == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
                self.line.drain(..3);
            }
            if is_marker(&self.line, b"---")
                && !(self.current_has_content && self.current_is_prolog)
            {
                self.json.line(&self.line);
                let done = self.take_current(self.line_no);
                self.current.extend_from_slice(&self.line);
                self.current_has_content = true;
                self.current_is_prolog = false;
                match done {
                    Ok(None) => continue,
                    other => return other.transpose(),
                }
            }
            let end = is_marker(&self.line, b"...");
            let content = is_content(&self.line) && !end;
            self.current_has_content |= content;
            // A `---` line that follows a prolog starts its content.
            self.current_is_prolog &= !content || self.line.starts_with(b"%");
            self.current.extend_from_slice(&self.line);
            if self.current.len() > self.max_bytes {
                self.finished = true;
                return Some(Err(self.too_large()));
            }
            let between_json_values = self.json.line(&self.line);
            let cut_at = JSON_CUT_BYTES.min(self.max_bytes / 2);
            if between_json_values && self.current.len() >= cut_at {
                match self.take_current(self.line_no + 1) {
                    Ok(None) => continue,
                    other => return other.transpose(),
                }
            }
            if end {
                match self.take_current(self.line_no + 1) {
                    Ok(None) => continue,
                    other => return other.transpose(),
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<(usize, String)> {
        Chunker::new(text.as_bytes(), 1 << 20)
            .map(|c| {
                c.map(|c| (c.first_line, c.text))
                    .map_err(|e| format!("{e:?}"))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn splits_on_document_markers_and_keeps_line_numbers() {
        let got = chunks("a: 1\n---\nb: 2\n--- # c\nc: 3\n...\n# trailing\n---\n\n");
        assert_eq!(
            got,
            vec![
                (1, "a: 1\n".to_string()),
                (2, "---\nb: 2\n".to_string()),
                (4, "--- # c\nc: 3\n...\n".to_string()),
                (8, "---\n\n".to_string()),
            ]
        );
    }

    #[test]
    fn a_directive_stays_with_the_document_it_opens() {
        assert_eq!(
            chunks("%YAML 1.2\n%TAG ! tag:x,2000:\n---\na: 1\n---\n---\nb: 2\n"),
            vec![
                (1, "%YAML 1.2\n%TAG ! tag:x,2000:\n---\na: 1\n".to_string()),
                (5, "---\n".to_string()),
                (6, "---\nb: 2\n".to_string()),
            ]
        );
    }

    #[test]
    fn dashes_inside_content_are_not_markers() {
        let got = chunks("a: |\n  ---\n  text\nb: ----\n---x: 1\n");
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn comment_only_prefix_is_dropped_and_bom_removed() {
        let got = chunks("\u{feff}# header\n---\nkind: Pod\n");
        assert_eq!(got, vec![(2, "---\nkind: Pod\n".to_string())]);
    }

    #[test]
    fn oversized_document_stops_reading() {
        let big = format!("a: {}\n", "x".repeat(5000));
        let mut c = Chunker::new(big.as_bytes(), 1000);
        assert!(matches!(
            c.next(),
            Some(Err(ChunkError::TooLarge {
                first_line: 1,
                limit: 1000,
                json_stream: false
            }))
        ));
        assert!(c.next().is_none());
        // A single huge line without newline is cut off too.
        let line = "y".repeat(10_000);
        let mut c = Chunker::new(line.as_bytes(), 1000);
        assert!(matches!(c.next(), Some(Err(ChunkError::TooLarge { .. }))));
    }

    /// A lone `\r` ends a line, as the YAML parser has it: a document
    /// marker after one starts a document, and the lines after it are
    /// numbered as the parser numbers them.
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        assert_eq!(
            chunks("a: 1\r---\rb: 2\r\r\n---\r\nc: 3\n"),
            vec![
                (1, "a: 1\r".to_string()),
                (2, "---\rb: 2\r\r\n".to_string()),
                (5, "---\r\nc: 3\n".to_string()),
            ]
        );
        // A `\r\n` that a read cuts in two is one line break.
        for split in 1..12 {
            let text = b"a: 1\r\n---\r\nb: 2\r";
            let reader = std::io::BufReader::with_capacity(split, &text[..]);
            let got: Vec<(usize, String)> = Chunker::new(reader, 1 << 20)
                .map(|c| {
                    c.map(|c| (c.first_line, c.text))
                        .map_err(|e| format!("{e:?}"))
                })
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                got,
                vec![
                    (1, "a: 1\r\n".to_string()),
                    (2, "---\r\nb: 2\r".to_string())
                ],
                "reads of {split} bytes"
            );
        }
        let bytes = b"a: 1\rb: \xff\n".to_vec();
        let mut c = Chunker::new(&bytes[..], 1000);
        assert!(matches!(
            c.next(),
            Some(Err(ChunkError::NotUtf8 { line: 2 }))
        ));
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let bytes = b"a: 1\nb: \xff\n".to_vec();
        let mut c = Chunker::new(&bytes[..], 1000);
        assert!(matches!(
            c.next(),
            Some(Err(ChunkError::NotUtf8 { line: 2 }))
        ));
    }
}
