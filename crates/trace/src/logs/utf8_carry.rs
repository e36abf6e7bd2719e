//! A character the runtime cut between two CRI records. containerd cuts a
//! long line into `P` records at a byte count (`max_container_log_line_size`),
//! not at a character: `é` (`c3 a9`) may end one record and begin the
//! next of its stream. Read as text one record at a time, each half was
//! U+FFFD, and a path through it planned no volume. The bytes of the cut
//! character are held from the `P` record and put back at the start of
//! the next record's message of the same source and stream.

use super::{cri, join::Stream, prefix};
use std::borrow::Cow;

/// The cut character's first bytes, waiting for its stream's next record.
#[derive(Debug, Default)]
pub struct Carry(Option<Held>);

#[derive(Debug)]
struct Held {
    /// The line's `kubectl logs --prefix` prefix (empty without one).
    source: String,
    stream: Stream,
    /// At most three bytes: a character's start.
    bytes: Vec<u8>,
}

/// Where a line's CRI record is, as [`super::Scan::line`] reads it.
struct At<'a> {
    source: &'a str,
    stream: Stream,
    partial: bool,
    /// Where its message starts in the line.
    message: usize,
}

fn record_at(line: &str) -> Option<At<'_>> {
    let (_, rest) = prefix::split(line);
    let record = cri::record(rest)?;
    Some(At {
        source: &line[..line.len() - rest.len()],
        stream: record.stream,
        partial: record.partial,
        message: line.len() - record.message.len(),
    })
}

impl Carry {
    /// A line that is UTF-8: a record of the held character's stream
    /// does not continue it (it would start with the character's rest,
    /// which is not UTF-8 alone), so the held bytes are dropped.
    pub fn read_whole(&mut self, line: &str) {
        if let Some(held) = &self.0
            && record_at(line).is_some_and(|r| r.source == held.source && r.stream == held.stream)
        {
            self.0 = None;
        }
    }

    /// A line that is not UTF-8 past byte `valid`: with the held bytes put
    /// back where its message starts, when it is the next record of their
    /// stream and starts with their character's rest; and without the
    /// start of a character it ends in, when it is a `P` record (those
    /// bytes are then held).
    pub fn mend<'a>(&mut self, line: &'a [u8], valid: usize) -> Cow<'a, [u8]> {
        let mut line = Cow::Borrowed(line);
        if let Some(held) = self.0.take() {
            match std::str::from_utf8(&line[..valid]).ok().and_then(record_at) {
                Some(r) if r.source == held.source && r.stream == held.stream => {
                    if r.message == valid {
                        line = Cow::Owned([&line[..valid], &held.bytes, &line[valid..]].concat());
                    }
                }
                // Another stream's record, or no record: still waiting.
                _ => self.0 = Some(held),
            }
        }
        let Err(e) = std::str::from_utf8(&line) else {
            return line;
        };
        let valid = e.valid_up_to();
        // A bad byte before the end (not a cut character).
        if e.error_len().is_some() {
            return line;
        }
        let Some(r) = std::str::from_utf8(&line[..valid]).ok().and_then(record_at) else {
            return line;
        };
        if !r.partial {
            return line;
        }
        self.0 = Some(Held {
            source: r.source.to_string(),
            stream: r.stream,
            bytes: line[valid..].to_vec(),
        });
        match line {
            Cow::Borrowed(b) => Cow::Borrowed(&b[..valid]),
            Cow::Owned(mut v) => {
                v.truncate(valid);
                Cow::Owned(v)
            }
        }
    }
}
