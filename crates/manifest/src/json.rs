//! API JSON (AdmissionReview objects, list items from the API server) into
//! the same tree the YAML reader builds, so the webhook and the cluster
//! inventory extract pods with exactly the code `scan` uses.
//!
//! JSON from the API server has no useful line numbers: every node gets
//! line 0. Depth is bounded like YAML input.

use crate::tree::{Entry, Node, Scalar, Value};
use serde_json::Value as J;

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
    Some(Node {
        line: 0,
        column: 0,
        value,
    })
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
}
