//! Splitting a byte stream into lines while holding at most a fixed number
//! of bytes of any one line: `logs` reads a log of any size this way, and
//! `trace` the output of the program it runs. Input with no newline
//! (`/dev/zero`, a binary file, progress printed with `\r`) would otherwise
//! be held whole.

pub struct BoundedLines {
    line: Vec<u8>,
    max: usize,
    /// The current line was longer than `max`: its rest was dropped.
    cut: bool,
}

impl BoundedLines {
    /// Keeps at most `max` bytes of each line.
    pub fn new(max: usize) -> BoundedLines {
        BoundedLines {
            line: Vec::with_capacity(max.min(1024)),
            max,
            cut: false,
        }
    }

    /// Feeds the next bytes; calls `each(line, cut)` for every line they
    /// end (without its `\n`; `cut` when bytes past `max` were dropped).
    pub fn feed(&mut self, mut chunk: &[u8], mut each: impl FnMut(&[u8], bool)) {
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            self.push(&chunk[..nl]);
            each(&self.line, self.cut);
            self.line.clear();
            self.cut = false;
            chunk = &chunk[nl + 1..];
        }
        self.push(chunk);
    }

    /// At the end of the stream: the last line, if it had no newline.
    pub fn finish(&mut self, mut each: impl FnMut(&[u8], bool)) {
        if !self.line.is_empty() || self.cut {
            each(&self.line, self.cut);
            self.line.clear();
            self.cut = false;
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = self.max.saturating_sub(self.line.len());
        if bytes.len() > room {
            self.cut = true;
        }
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]], max: usize) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut split = BoundedLines::new(max);
        let mut each = |l: &[u8], cut| out.push((String::from_utf8_lossy(l).into_owned(), cut));
        for c in chunks {
            split.feed(c, &mut each);
        }
        split.finish(&mut each);
        out
    }

    #[test]
    fn lines_across_chunks_are_joined_and_long_ones_cut() {
        assert_eq!(
            lines(&[b"ab", b"c\nde", b"fghij\n\nx"], 4),
            [
                ("abc".to_string(), false),
                ("defg".to_string(), true),
                (String::new(), false),
                ("x".to_string(), false),
            ]
        );
        // Exactly `max` bytes is not cut; a cut last line still counts.
        assert_eq!(lines(&[b"abcd\n"], 4), [("abcd".to_string(), false)]);
        assert_eq!(lines(&[b"abcd", b"e"], 4), [("abcd".to_string(), true)]);
        assert!(lines(&[b""], 4).is_empty());
    }
}
