//! The keys of one YAML mapping while it is built, to refuse a duplicate.
//!
//! API objects' mappings are small, and a scan of the keys before is the
//! cheapest check for them. But a workload's labels, annotations or
//! nodeSelector may hold as many keys as fit under the document limit, and
//! scanning every earlier key for each new one is quadratic: 40,000 keys
//! took 14 s, 500,000 (6 MB, under the 16 MiB default limit) would take
//! more than half an hour. Beyond [`SCANNED`] keys they are hashed, so a
//! mapping of n keys costs O(n).

use crate::tree::Entry;
use std::collections::HashSet;

/// Up to this many keys, a new key is compared with each one before it.
pub const SCANNED: usize = 16;

/// The keys seen so far in one mapping (the entries themselves hold them;
/// this adds the hash set once the mapping outgrows [`SCANNED`]).
#[derive(Debug, Default)]
pub struct MapKeys {
    hashed: Option<HashSet<String>>,
    /// Key comparisons made by scanning: bounded by `SCANNED²` per mapping,
    /// whatever its size (what the tests assert, rather than a timing).
    pub compared: usize,
}

impl MapKeys {
    /// Whether `key` is not among `entries`' keys (the mapping's keys so
    /// far, in order); records it when it is new, so the caller must then
    /// push it onto `entries`.
    pub fn is_new(&mut self, entries: &[Entry], key: &str) -> bool {
        if let Some(set) = &mut self.hashed {
            return set.insert(key.to_string());
        }
        if entries.len() < SCANNED {
            self.compared += entries.len();
            return !entries.iter().any(|e| e.key == key);
        }
        let mut set: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
        let new = set.insert(key.to_string());
        self.hashed = Some(set);
        new
    }
}

/// The first key of a whole mapping that appears twice: scanned up to
/// [`SCANNED`] keys, hashed beyond, like [`MapKeys`] for a mapping being
/// built (JSON objects are read whole before they are checked).
pub fn first_duplicate(entries: &[Entry]) -> Option<&str> {
    if entries.len() <= SCANNED {
        for (i, e) in entries.iter().enumerate() {
            if entries[..i].iter().any(|p| p.key == e.key) {
                return Some(&e.key);
            }
        }
        return None;
    }
    let mut seen = HashSet::with_capacity(entries.len());
    entries
        .iter()
        .find(|e| !seen.insert(e.key.as_str()))
        .map(|e| e.key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Node, Value};

    fn entry(key: &str) -> Entry {
        Entry {
            key: key.to_string(),
            key_line: 1,
            value: Node {
                line: 1,
                column: 1,
                value: Value::Seq(Vec::new()),
            },
        }
    }

    /// Feeds `keys` in order; the index of the first duplicate, if any.
    fn first_duplicate(keys: &mut MapKeys, names: &[String]) -> Option<usize> {
        let mut entries = Vec::new();
        for (i, k) in names.iter().enumerate() {
            if !keys.is_new(&entries, k) {
                return Some(i);
            }
            entries.push(entry(k));
        }
        None
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_mappings() {
        for n in [2, SCANNED, SCANNED + 1, 1000] {
            let mut names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            assert_eq!(first_duplicate(&mut MapKeys::default(), &names), None);
            names.push("k0".into());
            assert_eq!(first_duplicate(&mut MapKeys::default(), &names), Some(n));
            names.push(format!("k{}", n - 1));
            assert_eq!(first_duplicate(&mut MapKeys::default(), &names), Some(n));
        }
    }

    #[test]
    fn a_large_mapping_is_not_scanned_key_by_key() {
        let names: Vec<String> = (0..100_000).map(|i| format!("k{i}")).collect();
        let mut keys = MapKeys::default();
        assert_eq!(first_duplicate(&mut keys, &names), None);
        // Scanning each key against all before it would be ~5·10⁹.
        assert!(keys.compared <= SCANNED * SCANNED, "{}", keys.compared);
    }
}
