//! UTF-16 input, as Windows PowerShell 5 writes it with `>`: kubectl reads
//! such a file (its file visitor honours a UTF-16 byte-order mark), so the
//! reader does too, decoding to UTF-8 as the bytes stream in. Without a
//! UTF-16 byte-order mark the bytes pass through untouched.

use std::io::{self, BufRead, Read};

/// A stream as UTF-8: passed through, or decoded from UTF-16.
pub enum Decoded<R> {
    Utf8(R),
    Utf16(Utf16<R>),
}

pub struct Utf16<R> {
    inner: R,
    big_endian: bool,
    /// Decoded UTF-8 not yet consumed: `out[pos..]`.
    out: Vec<u8>,
    pos: usize,
    /// A byte of a code unit split across reads.
    odd: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
}

/// Looks at the first bytes of `reader` for a UTF-16 byte-order mark.
pub fn decode<R: BufRead>(mut reader: R) -> io::Result<Decoded<R>> {
    let first = match reader.fill_buf()? {
        [first @ (0xFE | 0xFF), ..] => *first,
        _ => return Ok(Decoded::Utf8(reader)),
    };
    // 0xFE and 0xFF never occur in UTF-8, so the first byte can be taken
    // before the second is seen (a pipe may deliver one byte at a time).
    reader.consume(1);
    let second = reader.fill_buf()?.first().copied();
    let big_endian = match (first, second) {
        (0xFE, Some(0xFF)) => true,
        (0xFF, Some(0xFE)) => false,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not valid UTF-8 (line 1 starts with byte 0xFE or 0xFF) and not a UTF-16 byte-order mark",
            ));
        }
    };
    reader.consume(1);
    Ok(Decoded::Utf16(Utf16 {
        inner: reader,
        big_endian,
        out: Vec::new(),
        pos: 0,
        odd: None,
        high: None,
    }))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not valid UTF-16: {what}"),
    )
}

impl<R: BufRead> Utf16<R> {
    fn unit(&mut self, unit: u16) -> io::Result<()> {
        let c = match (self.high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                char::from_u32(c).ok_or_else(|| invalid("bad surrogate pair"))?
            }
            (Some(_), _) => return Err(invalid("a high surrogate without its low half")),
            (None, 0xD800..=0xDBFF) => {
                self.high = Some(unit);
                return Ok(());
            }
            (None, 0xDC00..=0xDFFF) => {
                return Err(invalid("a low surrogate without its high half"));
            }
            (None, u) => char::from_u32(u32::from(u)).ok_or_else(|| invalid("bad code unit"))?,
        };
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// Decodes the next bytes of `inner` into `out`; leaves `out` empty
    /// only at the end of the stream.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            let bytes = self.inner.fill_buf()?.to_vec();
            if bytes.is_empty() {
                if self.odd.is_some() || self.high.is_some() {
                    return Err(invalid("the stream ends inside a character"));
                }
                return Ok(());
            }
            self.inner.consume(bytes.len());
            for b in bytes {
                let Some(first) = self.odd.take() else {
                    self.odd = Some(b);
                    continue;
                };
                let pair = [first, b];
                let unit = if self.big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                };
                self.unit(unit)?;
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Decoded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Decoded::Utf8(r) => r.fill_buf(),
            Decoded::Utf16(d) => {
                if d.pos >= d.out.len() {
                    d.refill()?;
                }
                Ok(&d.out[d.pos..])
            }
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Decoded::Utf8(r) => r.consume(n),
            Decoded::Utf16(d) => d.pos = (d.pos + n).min(d.out.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> io::Result<String> {
        // A one-byte buffer, so code units and surrogate pairs are split
        // across reads.
        let mut out = String::new();
        decode(io::BufReader::with_capacity(1, bytes))?.read_to_string(&mut out)?;
        Ok(out)
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn both_byte_orders_decode_and_utf8_passes_through() {
        let text = "kind: Pod # é, 🔒\nmetadata: {name: p}\n";
        assert_eq!(read_all(&utf16(text, false)).unwrap(), text);
        assert_eq!(read_all(&utf16(text, true)).unwrap(), text);
        assert_eq!(read_all(text.as_bytes()).unwrap(), text);
        assert_eq!(read_all(b"").unwrap(), "");
    }

    #[test]
    fn broken_utf16_is_an_error() {
        let mut lone_high = utf16("a", false);
        lone_high.extend_from_slice(&0xD83Du16.to_le_bytes());
        lone_high.extend_from_slice(&u16::from(b'b').to_le_bytes());
        assert!(read_all(&lone_high).is_err());
        let mut odd = utf16("a", false);
        odd.push(b'b');
        assert!(read_all(&odd).is_err());
        let mut lone_low = utf16("", false);
        lone_low.extend_from_slice(&0xDC00u16.to_le_bytes());
        assert!(read_all(&lone_low).is_err());
        assert!(read_all(b"\xFFkind: Pod").is_err());
    }
}
