//! Log records a runtime cut from one long line (CRI's `P` records, Docker
//! json-file records without a trailing newline): the message goes on in
//! the next record of the same stream, and the other stream's records may
//! come between. Read one record at a time, a path and the words that say
//! `Read-only file system` can land in two records and match neither.
//! Joined per stream, and to the reader's line bound: the records of an
//! endless line would otherwise be held whole.

use super::MAX_LINE;
use std::borrow::Cow;

/// A container's output stream: each is cut and joined on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One record of a runtime's log file.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub stream: Stream,
    /// The message goes on in the stream's next record.
    pub partial: bool,
    /// This record's piece of the message.
    pub message: Cow<'a, str>,
}

/// A whole message.
#[derive(Debug)]
pub struct Message<'a> {
    /// The line of its first record: the one to name as evidence.
    pub line: usize,
    pub container: Option<Cow<'a, str>>,
    pub text: Cow<'a, str>,
    /// It was longer than [`MAX_LINE`]: only the words before the cut are
    /// in `text`.
    pub cut: bool,
}

/// The messages still going on, at most one per stream (so at most
/// 2 × [`MAX_LINE`] bytes held, whatever the input).
#[derive(Debug, Default)]
pub struct Joiner {
    open: [Option<Open>; 2],
}

#[derive(Debug)]
struct Open {
    line: usize,
    container: Option<String>,
    text: String,
    cut: bool,
}

impl Joiner {
    /// Adds the record at `line` of `stream`; `more`: its message goes on
    /// in the stream's next record. Returns the messages it ends: the
    /// stream's open one, as it is, when it was another container's (a
    /// record of the same stream from elsewhere means it will not go on),
    /// then this record's when `more` is false.
    pub fn push<'a>(
        &mut self,
        line: usize,
        container: Option<&'a str>,
        stream: Stream,
        piece: &'a str,
        more: bool,
    ) -> [Option<Message<'a>>; 2] {
        let slot = &mut self.open[stream as usize];
        let other = match slot {
            Some(open) if open.container.as_deref() != container => {
                slot.take().map(Open::into_message)
            }
            _ => None,
        };
        let mut open = match slot.take() {
            Some(open) => open,
            // Most records are whole lines: nothing to copy.
            None if !more => {
                let whole = Message {
                    line,
                    container: container.map(Cow::Borrowed),
                    text: Cow::Borrowed(piece),
                    cut: false,
                };
                return [other, Some(whole)];
            }
            None => Open {
                line,
                container: container.map(String::from),
                text: String::new(),
                cut: false,
            },
        };
        open.add(piece);
        if more {
            *slot = Some(open);
            [other, None]
        } else {
            [other, Some(open.into_message())]
        }
    }

    /// No message of `stream` is open: a whole record of it is a message
    /// of its own and ends none.
    pub fn idle(&self, stream: Stream) -> bool {
        self.open[stream as usize].is_none()
    }

    /// The messages still open at the end of the input, read as they are,
    /// first line first.
    pub fn finish(&mut self) -> Vec<Message<'static>> {
        let mut ended: Vec<_> = self
            .open
            .iter_mut()
            .filter_map(Option::take)
            .map(Open::into_message)
            .collect();
        ended.sort_by_key(|m| m.line);
        ended
    }

    /// The bytes held for open messages.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.open.iter().flatten().map(|o| o.text.capacity()).sum()
    }
}

impl Open {
    fn add(&mut self, piece: &str) {
        if self.cut {
            return;
        }
        let room = MAX_LINE.saturating_sub(self.text.len());
        let fits = piece.len() <= room;
        let taken = if fits {
            piece
        } else {
            // The char boundary at or before `room` (at most 3 bytes back;
            // `str::floor_char_boundary` is newer than the MSRV).
            let end = (0..=room).rev().find(|&i| piece.is_char_boundary(i));
            &piece[..end.unwrap_or(0)]
        };
        // Exact: doubling would hold up to twice the bound.
        self.text.reserve_exact(taken.len());
        self.text.push_str(taken);
        if !fits {
            // Whatever the cut goes through (a path, a quoted string) is
            // not evidence: keep only the words before it, as the reader
            // does with a line longer than the bound.
            let keep = self.text.rfind(|c: char| c.is_ascii_whitespace());
            self.text.truncate(keep.unwrap_or(0));
            self.cut = true;
        }
    }

    fn into_message(self) -> Message<'static> {
        Message {
            line: self.line,
            container: self.container.map(Cow::Owned),
            text: Cow::Owned(self.text),
            cut: self.cut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, container, text, cut) of each message.
    fn ended<'a>(
        out: impl IntoIterator<Item = Option<Message<'a>>>,
    ) -> Vec<(usize, Option<String>, String, bool)> {
        out.into_iter()
            .flatten()
            .map(|m| {
                (
                    m.line,
                    m.container.map(Cow::into_owned),
                    m.text.into_owned(),
                    m.cut,
                )
            })
            .collect()
    }

    #[test]
    fn each_stream_is_joined_on_its_own() {
        let mut j = Joiner::default();
        assert!(ended(j.push(1, None, Stream::Stderr, "open /srv/", true)).is_empty());
        assert_eq!(
            ended(j.push(2, None, Stream::Stdout, "hello", false)),
            [(2, None, "hello".into(), false)]
        );
        assert!(ended(j.push(3, None, Stream::Stderr, "x: read-only ", true)).is_empty());
        assert_eq!(
            ended(j.push(4, None, Stream::Stderr, "file system", false)),
            [(1, None, "open /srv/x: read-only file system".into(), false)]
        );
        assert_eq!(j.held(), 0);
    }

    #[test]
    fn another_containers_record_ends_the_open_message() {
        let mut j = Joiner::default();
        assert!(ended(j.push(1, Some("a"), Stream::Stderr, "one", true)).is_empty());
        assert_eq!(
            ended(j.push(2, Some("b"), Stream::Stderr, "two", false)),
            [
                (1, Some("a".into()), "one".into(), false),
                (2, Some("b".into()), "two".into(), false)
            ]
        );
    }

    #[test]
    fn open_messages_end_with_the_input() {
        let mut j = Joiner::default();
        assert!(ended(j.push(5, None, Stream::Stdout, "b", true)).is_empty());
        assert!(ended(j.push(7, None, Stream::Stderr, "a", true)).is_empty());
        assert_eq!(
            ended(j.finish().into_iter().map(Some)),
            [(5, None, "b".into(), false), (7, None, "a".into(), false)]
        );
        assert!(j.finish().is_empty());
    }

    #[test]
    fn a_message_is_cut_at_the_bound_before_the_word_the_cut_goes_through() {
        let mut j = Joiner::default();
        // Odd-length: the bound falls inside an `é`.
        let piece = "x".to_string() + &"é".repeat(5000) + " /srv/";
        for _ in 0..10_000 {
            assert!(ended(j.push(1, None, Stream::Stdout, &piece, true)).is_empty());
            assert!(j.held() <= MAX_LINE, "{}", j.held());
        }
        let out = ended(j.push(2, None, Stream::Stdout, "x: read-only file system", false));
        assert_eq!(out.len(), 1);
        let (line, _, text, cut) = &out[0];
        assert_eq!((*line, *cut), (1, true));
        assert!(
            text.len() <= MAX_LINE && text.ends_with('é'),
            "{}",
            text.len()
        );
        assert!(!text.contains("read-only"));
    }
}
