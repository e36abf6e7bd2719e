//! `/mutate` leaves alone a pod bound for Windows nodes by its scheduling
//! alone (see [`rootlock_policy::windows_nodes`]): the Windows kubelet
//! drops `readOnlyRootFilesystem`, so a patched pod would pass validation
//! while it runs writable. This reads the binding from the pod's API JSON.

use rootlock_policy::windows_nodes::{self, OS_LABEL, WindowsBinding};
use serde_json::Value;

/// How `pod` (API JSON) is bound for Windows nodes, if it is.
pub fn bound_by_scheduling(pod: &Value) -> Option<WindowsBinding> {
    let spec = pod.get("spec")?;
    let selector = spec
        .get("nodeSelector")
        .and_then(|s| s.get(OS_LABEL))
        .and_then(Value::as_str);
    let terms = spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .map(|terms| terms.iter().map(requires_windows));
    windows_nodes::binding(selector, terms)
}

/// The warnings for a pod left alone for `binding`: the advice in the
/// words `/validate` (and `scan`) give it, so that the API server, which
/// drops a warning whose text it already has, shows it once when both
/// endpoints review the pod; then the note that it was not mutated.
pub fn warnings(binding: WindowsBinding) -> Vec<String> {
    vec![
        binding.warning(),
        format!(
            "rootlock did not mutate the pod: it is bound for Windows nodes by {}",
            binding.describe()
        ),
    ]
}

fn requires_windows(term: &Value) -> bool {
    let expressions = term
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    fn text<'v>(e: &'v Value, key: &str) -> &'v str {
        e.get(key).and_then(Value::as_str).unwrap_or_default()
    }
    windows_nodes::term_requires_windows(expressions.iter().map(|e| {
        let values = e
            .get("values")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        (
            text(e, "key"),
            text(e, "operator"),
            values.iter().map(Value::as_str),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn affinity(terms: Value) -> Value {
        json!({"spec": {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
        }}}})
    }

    /// The JSON is walked as the manifest reader walks YAML; the decision
    /// itself is the policy's (tested there).
    #[test]
    fn the_binding_is_read_from_api_json() {
        let selector = |v: Value| json!({"spec": {"nodeSelector": {OS_LABEL: v}}});
        assert_eq!(
            bound_by_scheduling(&selector(json!("windows"))),
            Some(WindowsBinding::NodeSelector)
        );
        assert_eq!(bound_by_scheduling(&selector(json!("linux"))), None);
        assert_eq!(bound_by_scheduling(&selector(json!(["windows"]))), None);
        let os_in = |values: Value| json!({"matchExpressions": [{"key": OS_LABEL, "operator": "In", "values": values}]});
        assert_eq!(
            bound_by_scheduling(&affinity(json!([os_in(json!(["windows"]))]))),
            Some(WindowsBinding::NodeAffinity)
        );
        assert_eq!(
            bound_by_scheduling(&affinity(
                json!([os_in(json!(["windows"])), {"matchFields": []}])
            )),
            None
        );
        assert_eq!(
            bound_by_scheduling(&affinity(json!([os_in(json!(["windows", 1]))]))),
            None
        );
        assert_eq!(bound_by_scheduling(&affinity(json!([]))), None);
        assert_eq!(bound_by_scheduling(&json!({"spec": {}})), None);
        assert_eq!(bound_by_scheduling(&json!("not a pod")), None);
    }
}

/// The manifest reader (YAML, `rootlock scan`), the webhook's slim tree
/// read by the extractor (`/validate`) and this function (`/mutate`) must
/// agree on every shape of scheduling: were they to disagree, `/mutate`
/// would patch a pod that validation warns about, or the other way round.
#[cfg(test)]
mod readers_agree {
    use super::*;
    use crate::object::{pod_from_node, slim_from_str};
    use rootlock_manifest::extract::{self, Path};
    use rootlock_manifest::limits::Limits;
    use rootlock_manifest::tree::parse_documents;
    use serde_json::json;

    /// Every combination of a few values in each place the decision reads.
    fn specs() -> Vec<Value> {
        let selectors = [
            None,
            Some(Value::Null),
            Some(json!({})),
            Some(json!({OS_LABEL: "windows"})),
            Some(json!({OS_LABEL: "linux"})),
            Some(json!({OS_LABEL: "Windows"})),
            Some(json!({OS_LABEL: null})),
            Some(json!({OS_LABEL: ""})),
        ];
        let expr = |key: &str, op: &str, values: Value| json!({"key": key, "operator": op, "values": values});
        let terms = [
            json!({"matchExpressions": [expr(OS_LABEL, "In", json!(["windows"]))]}),
            json!({"matchExpressions": [expr(OS_LABEL, "In", json!(["windows", "linux"]))]}),
            json!({"matchExpressions": [expr(OS_LABEL, "NotIn", json!(["linux"]))]}),
            json!({"matchExpressions": [expr("kubernetes.io/arch", "In", json!(["amd64"])), expr(OS_LABEL, "In", json!(["windows"]))]}),
            json!({"matchExpressions": [expr(OS_LABEL, "In", json!([]))]}),
            json!({"matchExpressions": [expr(OS_LABEL, "In", Value::Null)]}),
            json!({"matchExpressions": [{"key": OS_LABEL, "operator": "In"}]}),
            json!({"matchExpressions": null}),
            json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}),
            json!({}),
            Value::Null,
        ];
        let mut term_lists: Vec<Option<Value>> = vec![None, Some(Value::Null), Some(json!([]))];
        for a in &terms {
            term_lists.push(Some(json!([a])));
            for b in &terms {
                term_lists.push(Some(json!([a, b])));
            }
        }
        let mut affinities = vec![
            None,
            Some(Value::Null),
            Some(json!({})),
            Some(json!({"nodeAffinity": null})),
            Some(json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": null}})),
        ];
        for list in term_lists {
            let mut required = json!({});
            if let Some(list) = list {
                required["nodeSelectorTerms"] = list;
            }
            affinities.push(Some(json!({"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": required,
                "preferredDuringSchedulingIgnoredDuringExecution": []
            }})));
        }
        let mut out = Vec::new();
        for s in &selectors {
            for a in &affinities {
                let mut spec = json!({"containers": [{"name": "a", "image": "i"}]});
                if let Some(s) = s {
                    spec["nodeSelector"] = s.clone();
                }
                if let Some(a) = a {
                    spec["affinity"] = a.clone();
                }
                out.push(spec);
            }
        }
        out
    }

    fn from_yaml(text: &str) -> Result<Option<WindowsBinding>, String> {
        let docs =
            parse_documents(text, 0, &Limits::default(), &|_| true).map_err(|e| e.message)?;
        let root = docs
            .into_iter()
            .next()
            .and_then(|d| d.root)
            .ok_or("no document")?;
        extract::pod(&root, &Path::Root(""))
            .map(|p| p.spec.windows_binding)
            .map_err(|e| format!("{}: {}", e.field, e.message))
    }

    #[test]
    fn the_yaml_reader_the_slim_tree_and_mutate_agree() {
        let mut compared = 0;
        for spec in specs() {
            let pod =
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec});
            let json_text = pod.to_string();
            let block_yaml = serde_norway::to_string(&pod).unwrap();
            let slim = slim_from_str(&json_text).unwrap().unwrap();
            let mutate = bound_by_scheduling(&crate::object::to_json(&slim));
            let unslimmed = bound_by_scheduling(&pod);
            assert_eq!(mutate, unslimmed, "the slim tree lost a field: {json_text}");
            let validate = pod_from_node(&slim).map(|p| p.spec.windows_binding);
            for text in [&json_text, &block_yaml] {
                let scan = from_yaml(text);
                assert_eq!(scan, validate, "scan vs /validate: {text}");
                if let Ok(scan) = scan {
                    assert_eq!(scan, mutate, "scan vs /mutate: {text}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000, "{compared}");
    }
}
