//! API JSON (AdmissionReview objects, list items from the API server) into
//! the same tree the YAML reader builds, so the webhook and the cluster
//! inventory extract pods with exactly the code `scan` uses.
//!
//! Two ways in: [`node_from_json`] from a parsed `serde_json::Value`, and
//! [`NodeSeed`] straight from JSON text, in one pass without building a
//! `Value` first (the webhook's hot path: a third of a review's CPU went
//! into the intermediate `Value`). Both give the same tree.
//!
//! JSON from the API server has no useful line numbers: every node gets
//! line 0. Depth is bounded like YAML input.

use crate::tree::{Entry, Node, Scalar, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as J;
use std::cell::Cell;
use std::fmt;

/// Converts a JSON value; `None` when it nests deeper than `max_depth`.
pub fn node_from_json(v: &J, max_depth: usize) -> Option<Node> {
    convert(v, max_depth)
}

fn scalar(text: String, plain: bool) -> Value {
    Value::Scalar(Scalar {
        text,
        plain,
        tag: None,
    })
}

fn leaf(value: Value) -> Node {
    Node {
        line: 0,
        column: 0,
        value,
    }
}

fn convert(v: &J, depth: usize) -> Option<Node> {
    let value = match v {
        J::Null => scalar("null".into(), true),
        J::Bool(b) => scalar(b.to_string(), true),
        J::Number(n) => scalar(n.to_string(), true),
        // Quoted: a JSON string is a string, whatever it looks like.
        J::String(s) => scalar(s.clone(), false),
        J::Array(items) => {
            let d = depth.checked_sub(1)?;
            Value::Seq(items.iter().map(|i| convert(i, d)).collect::<Option<_>>()?)
        }
        J::Object(map) => {
            let d = depth.checked_sub(1)?;
            Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        convert(v, d).map(|value| Entry {
                            key: k.clone(),
                            key_line: 0,
                            value,
                        })
                    })
                    .collect::<Option<_>>()?,
            )
        }
    };
    Some(leaf(value))
}

/// The JSON a tree built from JSON came from ([`node_from_json`],
/// [`NodeSeed`]): plain scalars back to null, booleans and numbers, quoted
/// ones to strings. For code that edits API objects as JSON (the webhook's
/// mutation) after they were read once into a tree.
pub fn json_from_node(n: &Node) -> J {
    match &n.value {
        Value::Scalar(s) if !s.plain => J::String(s.text.clone()),
        Value::Scalar(s) => match s.text.as_str() {
            "null" => J::Null,
            "true" => J::Bool(true),
            "false" => J::Bool(false),
            t => t
                .parse::<i64>()
                .map(J::from)
                .or_else(|_| t.parse::<u64>().map(J::from))
                .ok()
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(J::Number)
                })
                // A plain scalar that is no JSON literal (a tree from YAML).
                .unwrap_or_else(|| J::String(t.to_string())),
        },
        Value::Seq(items) => J::Array(items.iter().map(json_from_node).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), json_from_node(&e.value)))
                .collect(),
        ),
    }
}

/// The error text when JSON nests deeper than the seed allows.
pub const TOO_DEEP: &str = "object nests too deeply";

/// How many more nodes a deserialisation may build, shared by every seed
/// of one value. A node costs about 150 bytes built, and the pod model,
/// the findings and a denial that names every container grow with them:
/// without a bound, a 3 MiB pod of tiny containers took hundreds of MB.
#[derive(Debug)]
pub struct NodeBudget {
    left: Cell<usize>,
    max: usize,
}

impl NodeBudget {
    pub fn new(max: usize) -> NodeBudget {
        NodeBudget {
            left: Cell::new(max),
            max,
        }
    }

    /// Takes one node; an error once `max` have been built.
    pub fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "object too large to review: more than {} values",
                self.max
            ))),
        }
    }
}

/// Deserialises one JSON value into a [`Node`] (any serde deserializer;
/// meant for `serde_json`), at most `depth` levels of arrays and objects
/// deep, and at most as many nodes as `budget` allows (none: unbounded).
/// A key repeated in one object is an error, as it is in YAML input: the
/// API server never sends one, and a silent last-wins would let two
/// readers of the same bytes disagree.
#[derive(Debug, Clone, Copy)]
pub struct NodeSeed<'b> {
    pub depth: usize,
    pub budget: Option<&'b NodeBudget>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'b> NodeSeed<'b> {
    fn inner<E: de::Error>(self) -> Result<NodeSeed<'b>, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(NodeSeed { depth, ..self }),
            None => Err(E::custom(TOO_DEEP)),
        }
    }

    /// A node, counted against the budget.
    fn node<E: de::Error>(self, value: Value) -> Result<Node, E> {
        if let Some(b) = self.budget {
            b.take::<E>()?;
        }
        Ok(leaf(value))
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        self.node(scalar(b.to_string(), true))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
        self.node(scalar(n.to_string(), true))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
        self.node(scalar(n.to_string(), true))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
        // serde_json's own rendering (`1.0`, `1e+100`), as `node_from_json`
        // gives it; JSON text has no non-finite numbers.
        let text = serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |n| n.to_string());
        self.node(scalar(text, true))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        self.node(scalar(s.to_owned(), false))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        self.node(scalar(s, false))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        self.node(scalar("null".into(), true))
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        self.node(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let inner = self.inner()?;
        // Most maps in a pod are small: one allocation instead of growing.
        let mut entries: Vec<Entry> = Vec::with_capacity(4);
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(inner)?;
            entries.push(Entry {
                key,
                key_line: 0,
                value,
            });
        }
        if let Some(b) = self.budget {
            b.take::<A::Error>()?;
        }
        map_node(entries)
    }
}

/// A map node of JSON entries; a key given twice is an error.
pub fn map_node<E: de::Error>(entries: Vec<Entry>) -> Result<Node, E> {
    if let Some(k) = crate::map_keys::first_duplicate(&entries) {
        return Err(E::custom(format_args!("duplicate key {k:?}")));
    }
    Ok(leaf(Value::Map(entries)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Path, pod};

    #[test]
    fn json_strings_stay_strings_and_bools_stay_bools() {
        let v: J = serde_json::from_str(
            r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","securityContext":{"readOnlyRootFilesystem":true,"runAsUser":0}}]}}"#,
        )
        .unwrap();
        let n = node_from_json(&v, 64).unwrap();
        let p = pod(&n, &Path::Root("")).unwrap();
        let sc = p.spec.containers[0].security_context.as_ref().unwrap();
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.run_as_user, Some(0));
        let v: J = serde_json::from_str(r#"{"spec":{"containers":[{"name":"a","securityContext":{"readOnlyRootFilesystem":"true"}}]}}"#).unwrap();
        assert!(pod(&node_from_json(&v, 64).unwrap(), &Path::Root("")).is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let deep: J =
            serde_json::from_str(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap();
        assert!(node_from_json(&deep, 50).is_none());
        assert!(node_from_json(&deep, 200).is_some());
    }

    fn seed(text: &str, depth: usize) -> Result<Node, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        let n = NodeSeed {
            depth,
            budget: None,
        }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(n)
    }

    fn sorted(mut n: Node) -> Node {
        n.value = match n.value {
            Value::Map(mut entries) => {
                entries.sort_by(|a, b| a.key.cmp(&b.key));
                for e in &mut entries {
                    e.value = sorted(std::mem::replace(&mut e.value, leaf(Value::Seq(vec![]))));
                }
                Value::Map(entries)
            }
            Value::Seq(items) => Value::Seq(items.into_iter().map(sorted).collect()),
            v => v,
        };
        n
    }

    #[test]
    fn the_seed_builds_the_same_tree_as_the_value_conversion() {
        for text in [
            r#"{"a":1,"b":-2,"c":1.0,"d":1e100,"e":"x","f":true,"g":null,"h":[1,"2",[]],"i":{}}"#,
            r#"{"metadata":{"name":"p","annotations":{"k":"v"}},"spec":{"containers":[{"name":"a","securityContext":{"readOnlyRootFilesystem":true,"runAsUser":0}}]}}"#,
            r#"[18446744073709551615, -9223372036854775808, 0.5, "\u00e9\n"]"#,
            r#""just a string""#,
        ] {
            let v: J = serde_json::from_str(text).unwrap();
            assert_eq!(json_from_node(&seed(text, 64).unwrap()), v, "{text}");
            // The Value sorts keys; the seed keeps the document's order.
            assert_eq!(
                sorted(seed(text, 64).unwrap()),
                node_from_json(&v, 64).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_seed_bounds_depth_and_rejects_duplicate_keys() {
        let deep = format!("{}{}", "[".repeat(60), "]".repeat(60));
        assert!(seed(&deep, 50).unwrap_err().contains(TOO_DEEP));
        assert!(seed(&deep, 64).is_ok());
        let err = seed(r#"{"spec":{"a":1,"a":2}}"#, 64).unwrap_err();
        assert!(err.contains("duplicate key \"a\""), "{err}");
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        let err = seed(&format!("{{{many}\"k7\":0}}"), 64).unwrap_err();
        assert!(err.contains("duplicate key \"k7\""), "{err}");
        assert!(seed(&format!("{{{}}}", many.trim_end_matches(',')), 64).is_ok());
    }
}
