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

/// The warning for a pod left alone for `binding`.
pub fn warning(binding: WindowsBinding) -> String {
    format!("{}; rootlock did not mutate it", binding.warning())
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
