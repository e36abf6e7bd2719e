//! The text of an input file: UTF-8, or UTF-16 with its byte-order mark
//! (PowerShell 5's `>`), which kubectl reads too; and how it was encoded,
//! so that a file edited in place is written back alike. Shared by every
//! reader of whole files (`fix`'s inputs, volume plans).

use crate::line_breaks;
use crate::utf16::{self, Decoded};
use std::io::Read;

/// Bytes read from `name` as text, and how they were encoded.
pub fn decode(bytes: Vec<u8>, name: &str) -> Result<(String, Encoding), String> {
    // UTF-16 with a byte-order mark (PowerShell 5's `>`), as `scan` and
    // kubectl read it; written back the same way.
    if let Ok(mut d @ Decoded::Utf16(_)) = utf16::decode(&bytes[..]) {
        let big_endian = bytes.first() == Some(&0xFE);
        let mut text = String::new();
        d.read_to_string(&mut text)
            .map_err(|e| format!("{name}: {e}"))?;
        return Ok((text, Encoding::Utf16 { big_endian }));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + line_breaks::count(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
        format!("{name}:{line}: not valid UTF-8")
    })?;
    Ok((text, Encoding::Utf8))
}

/// How an input was encoded, so that the fixed text is written back alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// With its byte-order mark.
    Utf16 {
        big_endian: bool,
    },
}

impl Encoding {
    /// `text` in this encoding.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf16 { big_endian } => {
                let unit = |u: u16| {
                    if big_endian {
                        u.to_be_bytes()
                    } else {
                        u.to_le_bytes()
                    }
                };
                let mut out = Vec::with_capacity(2 + text.len() * 2);
                out.extend_from_slice(&unit(0xFEFF));
                for u in text.encode_utf16() {
                    out.extend_from_slice(&unit(u));
                }
                out
            }
        }
    }
}
