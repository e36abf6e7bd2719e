//! The parser events of one JSON value, read straight from its text, for
//! the tree builder that otherwise reads YAML parser events.
//!
//! JSON is YAML, and the YAML parser read it until it cost too much: its
//! scanner holds back every token after a `[` or `{` that might turn out to
//! be a key, and in flow style (all of JSON) it never gives up on one
//! before the bracket closes, so a whole `kubectl get -o json` List was
//! queued as tokens before the first node was built: 3 GB for a 15 MB
//! array, found only after the node limit tripped. It also refused the
//! surrogate pairs JSON writes for characters past U+FFFF (`"\ud83d\ude00"`,
//! Python's `json.dumps` default), which kubectl reads. This reader emits
//! an event as soon as its token is read, so memory is the depth of the
//! nesting, not the size of the value.
//!
//! Only texts already checked as JSON come here (a stream kubectl reads as
//! JSON, split by [`crate::json_stream`]), so an unexpected byte is an
//! error, not a case to recover from. Positions are the YAML parser's
//! (1-based line, 0-based column and index in characters, an event at the
//! first character of its token), so nodes, errors and fix's edits land
//! where they did: a test compares every event and position with the YAML
//! parser's over real and generated JSON.

use saphyr_parser::{Event, Marker, ScalarStyle, ScanError, Span};
use std::borrow::Cow;

/// What the next token may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    StreamStart,
    DocumentStart,
    Value,
    /// After `[`: a value or `]`.
    FirstItem,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After a value: `,`, the closing bracket, or the end of the text.
    Next,
    StreamEnd,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Array,
    Object,
}

/// Iterator over the events of the one JSON value in `text`, in the YAML
/// parser's shape: stream start, an implicit document, the value's events,
/// document end, stream end.
pub struct JsonEvents<'a> {
    text: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    mark: Marker,
    open: Vec<Open>,
    expect: Expect,
}

type Item<'a> = Result<(Event<'a>, Span), ScanError>;

impl<'a> JsonEvents<'a> {
    pub fn new(text: &'a str) -> JsonEvents<'a> {
        JsonEvents {
            text,
            pos: 0,
            mark: Marker::new(0, 1, 0),
            open: Vec::new(),
            expect: Expect::StreamStart,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Moves past `n` bytes that hold no line break, counting characters
    /// (UTF-8 continuation bytes are not).
    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.text.len());
        let chars = self.text.as_bytes()[self.pos..end]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        self.pos = end;
        self.mark = Marker::new(
            self.mark.index() + chars,
            self.mark.line(),
            self.mark.col() + chars,
        );
    }

    /// Skips JSON's whitespace; `\r\n` is one line break, as YAML counts it.
    fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => self.advance(1),
                b'\n' | b'\r' => {
                    let crlf = b == b'\r' && self.text.as_bytes().get(self.pos + 1) == Some(&b'\n');
                    let len = if crlf { 2 } else { 1 };
                    self.pos += len;
                    self.mark = Marker::new(self.mark.index() + len, self.mark.line() + 1, 0);
                }
                _ => break,
            }
        }
    }

    /// The position of the end of the text, as the YAML parser gives it:
    /// it reads a last line without a line break as if it had one.
    fn end_mark(&self) -> Marker {
        if self.mark.col() == 0 {
            self.mark
        } else {
            Marker::new(self.mark.index(), self.mark.line() + 1, 0)
        }
    }

    fn error(&self, what: &str) -> ScanError {
        ScanError::new(self.mark, format!("invalid JSON: {what}"))
    }

    /// An event for the token of `len` bytes at the current position.
    fn token(&mut self, event: Event<'a>, len: usize) -> Item<'a> {
        let start = self.mark;
        self.advance(len);
        Ok((event, Span::new(start, self.mark)))
    }

    /// A value: a scalar, or the start of an array or object.
    fn value(&mut self) -> Item<'a> {
        match self.peek() {
            Some(b'{') => {
                self.open.push(Open::Object);
                self.expect = Expect::FirstKey;
                self.token(Event::MappingStart(0, None), 1)
            }
            Some(b'[') => {
                self.open.push(Open::Array);
                self.expect = Expect::FirstItem;
                self.token(Event::SequenceStart(0, None), 1)
            }
            Some(b'"') => {
                self.expect = Expect::Next;
                self.string()
            }
            Some(_) => {
                self.expect = Expect::Next;
                self.literal()
            }
            None => Err(self.error("a value was expected")),
        }
    }

    /// A number, `true`, `false` or `null`, as written: a plain scalar.
    fn literal(&mut self) -> Item<'a> {
        let rest = &self.text[self.pos..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
            .count();
        if len == 0 {
            return Err(self.error("a value was expected"));
        }
        let text = Cow::Borrowed(&rest[..len]);
        self.token(Event::Scalar(text, ScalarStyle::Plain, 0, None), len)
    }

    /// A string: a double-quoted scalar with its escapes decoded.
    fn string(&mut self) -> Item<'a> {
        let start = self.mark;
        let body = &self.text[self.pos + 1..];
        let Some(close) = closing_quote(body.as_bytes()) else {
            return Err(self.error("unterminated string"));
        };
        let raw = &body[..close];
        let text = if raw.contains('\\') {
            match unescape(raw) {
                Some(s) => Cow::Owned(s),
                None => return Err(self.error("invalid escape in a string")),
            }
        } else {
            Cow::Borrowed(raw)
        };
        self.advance(close + 2);
        let event = Event::Scalar(text, ScalarStyle::DoubleQuoted, 0, None);
        Ok((event, Span::new(start, self.mark)))
    }

    /// A key, and the `:` after it.
    fn key(&mut self) -> Item<'a> {
        if self.peek() != Some(b'"') {
            return Err(self.error("a string key was expected"));
        }
        let item = self.string()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.error("`:` was expected after a key"));
        }
        self.advance(1);
        self.expect = Expect::Value;
        Ok(item)
    }

    /// Closes the innermost array or object.
    fn close(&mut self) -> Item<'a> {
        let event = match self.open.pop() {
            Some(Open::Array) => Event::SequenceEnd,
            Some(Open::Object) => Event::MappingEnd,
            None => return Err(self.error("unbalanced brackets")),
        };
        self.expect = Expect::Next;
        self.token(event, 1)
    }

    /// After a value: the next item or key, a closing bracket, or the end
    /// of the document.
    fn next_after_value(&mut self) -> Item<'a> {
        let Some(&open) = self.open.last() else {
            if self.peek().is_some() {
                return Err(self.error("text after the value"));
            }
            self.expect = Expect::StreamEnd;
            return Ok((Event::DocumentEnd, Span::empty(self.end_mark())));
        };
        match (open, self.peek()) {
            (_, Some(b',')) => {
                self.advance(1);
                self.skip_whitespace();
                match open {
                    Open::Array => self.value(),
                    Open::Object => self.key(),
                }
            }
            (Open::Array, Some(b']')) | (Open::Object, Some(b'}')) => self.close(),
            _ => Err(self.error("`,` or a closing bracket was expected")),
        }
    }
}

impl<'a> Iterator for JsonEvents<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.expect != Expect::StreamStart {
            self.skip_whitespace();
        }
        let item = match self.expect {
            Expect::StreamStart => {
                self.expect = Expect::DocumentStart;
                Ok((Event::StreamStart, Span::empty(self.mark)))
            }
            Expect::DocumentStart => {
                self.expect = Expect::Value;
                Ok((Event::DocumentStart(false), Span::empty(self.mark)))
            }
            Expect::Value => self.value(),
            Expect::FirstItem if self.peek() == Some(b']') => self.close(),
            Expect::FirstItem => self.value(),
            Expect::FirstKey if self.peek() == Some(b'}') => self.close(),
            Expect::FirstKey => self.key(),
            Expect::Next => self.next_after_value(),
            Expect::StreamEnd => {
                self.expect = Expect::Done;
                Ok((Event::StreamEnd, Span::empty(self.end_mark())))
            }
            Expect::Done => return None,
        };
        if item.is_err() {
            self.expect = Expect::Done;
        }
        Some(item)
    }
}

/// The byte offset of the `"` that ends a string whose body starts `body`.
fn closing_quote(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// A string body with JSON's escapes decoded; `None` for an escape JSON
/// does not have. A surrogate without its pair becomes U+FFFD, as Go's
/// `encoding/json` (kubectl) decodes it: serde_json's check of a value it
/// skips lets one through.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate: with the low half that follows as
                    // `\uXXXX`, one character.
                    let mut ahead = chars.clone();
                    let low = (ahead.next() == Some('\\') && ahead.next() == Some('u'))
                        .then(|| hex4(&mut ahead))
                        .flatten()
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    match low {
                        Some(low) => {
                            chars = ahead;
                            let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        None => char::REPLACEMENT_CHARACTER,
                    }
                } else {
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}
