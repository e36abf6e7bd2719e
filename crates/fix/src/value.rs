//! Values the fix adds, before they are written in some style.

/// A value to add: booleans and strings are all the fix ever writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum New {
    Bool(bool),
    Str(String),
    Map(Vec<(String, New)>),
    Seq(Vec<New>),
}

impl New {
    pub fn str(s: &str) -> New {
        New::Str(s.to_string())
    }

    pub fn map(entries: Vec<(&str, New)>) -> New {
        New::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }
}

/// Adds `key: value` to `entries`, merging with an entry already there
/// (two additions that both create `securityContext` make one).
pub fn merge_entry(entries: &mut Vec<(String, New)>, key: &str, value: New) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, existing)) => merge_value(existing, value),
        None => entries.push((key.to_string(), value)),
    }
}

/// Merges `value` into `existing`: maps by key, sequences by appending.
pub fn merge_value(existing: &mut New, value: New) {
    match (existing, value) {
        (New::Map(a), New::Map(b)) => {
            for (k, v) in b {
                merge_entry(a, &k, v);
            }
        }
        (New::Seq(a), New::Seq(b)) => a.extend(b),
        (slot, v) => *slot = v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_nests_maps_and_appends_sequences() {
        let mut e = Vec::new();
        merge_entry(&mut e, "sc", New::map(vec![("a", New::Bool(true))]));
        merge_entry(
            &mut e,
            "sc",
            New::map(vec![("d", New::Seq(vec![New::str("ALL")]))]),
        );
        merge_entry(
            &mut e,
            "sc",
            New::map(vec![("d", New::Seq(vec![New::str("X")]))]),
        );
        assert_eq!(
            e,
            vec![(
                "sc".to_string(),
                New::map(vec![
                    ("a", New::Bool(true)),
                    ("d", New::Seq(vec![New::str("ALL"), New::str("X")]))
                ])
            )]
        );
    }
}
