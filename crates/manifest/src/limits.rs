//! Bounds that keep hostile input (alias bombs, huge documents, deep
//! nesting) from costing more than a bounded amount of time and memory.

/// Limits applied to every document read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single YAML/JSON document, in bytes. The Kubernetes API
    /// server refuses request bodies over 3 MiB; the default leaves room for
    /// `kind: List` exports while still failing fast on absurd input.
    pub max_document_bytes: usize,
    /// Deepest nesting of mappings and sequences. Real pods nest about 12
    /// levels; CRD schemas about 40.
    pub max_depth: usize,
    /// Most nodes one document may expand to, counting every node an alias
    /// copies. An alias bomb blows through this in microseconds.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 16 * 1024 * 1024,
            max_depth: 256,
            max_nodes: 4_000_000,
        }
    }
}

impl Limits {
    /// Longest flow collection (`[…]`, `{…}`) the YAML parser may hold
    /// whole, at about 190 bytes of memory per byte (see
    /// [`crate::flow_spans`]): a sixteenth of the document limit (1 MiB,
    /// about 200 MB, by default), and never less than 64 KiB, far above
    /// the `args: [...]` lists of real manifests. JSON is read without
    /// that parser and not limited so.
    pub fn max_flow_bytes(&self) -> usize {
        (self.max_document_bytes / 16).max(64 * 1024)
    }
}

/// Parses a document-size argument (`--max-document-size` of `scan` and
/// `fix`, one grammar for both): bytes, or a number with a binary suffix
/// `Ki`, `Mi` or `Gi` (`3145728`, `3Mi`). Zero is refused: it would reject
/// every document.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let (num, mult) = [("Ki", 1usize << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)]
        .iter()
        .find_map(|(suffix, m)| s.strip_suffix(suffix).map(|n| (n, *m)))
        .unwrap_or((s, 1));
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("invalid size {s:?}: expected bytes, e.g. 3145728 or 3Mi"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_bytes_or_binary_suffixes_and_never_zero() {
        assert_eq!(parse_size("3145728"), Ok(3 << 20));
        assert_eq!(parse_size("1Ki"), Ok(1024));
        assert_eq!(parse_size("16Mi"), Ok(16 << 20));
        assert_eq!(parse_size("1Gi"), Ok(1 << 30));
        for bad in ["0", "0Mi", "", "Mi", "1.5Mi", "1M", "-1", "1 Mi"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
