//! Reading fix's inputs: the PATH arguments are expanded as `scan` expands
//! them ([`rootlock_manifest::files`]); an input is read whole, as text, and
//! its encoding kept so that the fixed text is written back alike.

use std::io::Read;

pub use rootlock_manifest::encoding::{Encoding, decode};
pub use rootlock_manifest::files::{Input as Source, expand_in_order};

/// The whole input as text, and how it was encoded.
pub fn read(source: &Source) -> Result<(String, Encoding), String> {
    let bytes = match source {
        Source::Stdin => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            b
        }
        Source::File(p) | Source::Found(p) => {
            std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?
        }
    };
    decode(bytes, &source.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of a byte that is not UTF-8 is the parser's: a lone `\r`
    /// ends a line too.
    #[test]
    fn invalid_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.yaml");
        std::fs::write(&path, b"a: 1\rb: 2\r\nc: \xff\n").unwrap();
        let e = read(&Source::File(path.clone())).unwrap_err();
        assert_eq!(e, format!("{}:3: not valid UTF-8", path.display()));
    }
}
