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
