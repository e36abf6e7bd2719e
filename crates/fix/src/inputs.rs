//! The PATH arguments: files as given, directories walked as
//! [`rootlock_manifest::files`] does it (the same files `scan` reads), and
//! `-` for standard input.

use rootlock_manifest::utf16::{self, Decoded};
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }

    /// The whole input as text, and how it was encoded.
    pub fn read(&self) -> Result<(String, Encoding), String> {
        let bytes = match self {
            Source::Stdin => {
                let mut b = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut b)
                    .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
                b
            }
            Source::File(p) => {
                std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?
            }
        };
        // UTF-16 with a byte-order mark (PowerShell 5's `>`), as `scan` and
        // kubectl read it; written back the same way.
        if let Ok(mut d @ Decoded::Utf16(_)) = utf16::decode(&bytes[..]) {
            let big_endian = bytes.first() == Some(&0xFE);
            let mut text = String::new();
            d.read_to_string(&mut text)
                .map_err(|e| format!("{}: {e}", self.name()))?;
            return Ok((text, Encoding::Utf16 { big_endian }));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            format!("{}:{line}: not valid UTF-8", self.name())
        })?;
        Ok((text, Encoding::Utf8))
    }
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

/// Expands the arguments; a missing path is an error, never skipped.
pub fn expand(args: &[PathBuf]) -> (Vec<Source>, Vec<String>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in args {
        let path = path.clone();
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if path.is_dir() {
            let (found, walk_errors) = rootlock_manifest::files::manifest_files(&path);
            sources.extend(found.into_iter().map(Source::File));
            errors.extend(
                walk_errors
                    .into_iter()
                    .map(|(at, why)| format!("{at}: {why}")),
            );
        } else if path.exists() {
            sources.push(Source::File(path));
        } else {
            errors.push(format!("{}: no such file or directory", path.display()));
        }
    }
    (sources, errors)
}
