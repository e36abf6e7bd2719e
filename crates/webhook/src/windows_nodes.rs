//! Pods bound for Windows nodes by scheduling alone. `spec.os.name:
//! windows` is how the API server and PSA know a Windows pod; a pod that
//! only selects Windows nodes (`nodeSelector`, or a required node affinity
//! on `kubernetes.io/os`) is a Linux pod to both, and is validated as one.
//! But the Windows kubelet drops `readOnlyRootFilesystem` before the
//! runtime sees it (kubernetes/kubernetes#93475): Windows containers have
//! no read-only root. Mutating such a pod would make it pass validation
//! while it runs writable, so `/mutate` leaves it alone and says why.

use serde_json::Value;

/// The node label every kubelet sets to its OS.
const OS_LABEL: &str = "kubernetes.io/os";

/// How `pod` (API JSON) is bound for Windows nodes without `spec.os`, as
/// the warning says it; `None` when it may run on Linux.
pub fn bound_by_scheduling(pod: &Value) -> Option<&'static str> {
    let spec = pod.get("spec")?;
    let selected = spec
        .get("nodeSelector")
        .and_then(|s| s.get(OS_LABEL))
        .and_then(Value::as_str);
    if selected == Some("windows") {
        return Some("nodeSelector kubernetes.io/os=windows");
    }
    // Terms are ORed: every one of them must require Windows.
    let terms = spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")?
        .as_array()?;
    (!terms.is_empty() && terms.iter().all(requires_windows))
        .then_some("a required node affinity for kubernetes.io/os In [windows]")
}

/// The warning for a pod left alone for `how`.
pub fn warning(how: &str) -> String {
    format!(
        "the pod is bound for Windows nodes by {how} but does not set spec.os.name: windows; \
         Windows drops readOnlyRootFilesystem, so rootlock did not mutate it (set spec.os.name: windows)"
    )
}

/// A term's expressions are ANDed: one `kubernetes.io/os In [windows]`
/// (no other value) is enough.
fn requires_windows(term: &Value) -> bool {
    let Some(expressions) = term.get("matchExpressions").and_then(Value::as_array) else {
        return false;
    };
    expressions.iter().any(|e| {
        e.get("key").and_then(Value::as_str) == Some(OS_LABEL)
            && e.get("operator").and_then(Value::as_str) == Some("In")
            && e.get("values")
                .and_then(Value::as_array)
                .is_some_and(|v| !v.is_empty() && v.iter().all(|v| v.as_str() == Some("windows")))
    })
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

    fn os(operator: &str, values: Value) -> Value {
        json!({"key": OS_LABEL, "operator": operator, "values": values})
    }

    #[test]
    fn only_a_pod_that_cannot_run_on_linux_is_bound_for_windows() {
        let selector = |v: Value| json!({"spec": {"nodeSelector": {OS_LABEL: v}}});
        assert!(bound_by_scheduling(&selector(json!("windows"))).is_some());
        assert!(bound_by_scheduling(&selector(json!("linux"))).is_none());
        assert!(bound_by_scheduling(&selector(json!(["windows"]))).is_none());
        let arch = json!({"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]});
        let windows_term =
            json!({"matchExpressions": [arch.clone(), os("In", json!(["windows"]))]});
        assert!(bound_by_scheduling(&affinity(json!([windows_term.clone()]))).is_some());
        assert!(
            bound_by_scheduling(&affinity(json!([
                windows_term.clone(),
                windows_term.clone()
            ])))
            .is_some()
        );
        // Another term may pick a Linux node.
        let arch_term = json!({"matchExpressions": [arch]});
        assert!(bound_by_scheduling(&affinity(json!([windows_term, arch_term]))).is_none());
        for expression in [
            os("In", json!(["windows", "linux"])),
            os("In", json!([])),
            os("NotIn", json!(["linux"])),
            os("Exists", json!(null)),
        ] {
            let term = json!({"matchExpressions": [expression]});
            assert!(
                bound_by_scheduling(&affinity(json!([term]))).is_none(),
                "{term}"
            );
        }
        assert!(bound_by_scheduling(&affinity(json!([]))).is_none());
        assert!(bound_by_scheduling(&affinity(json!([{"matchFields": []}]))).is_none());
        assert!(bound_by_scheduling(&json!({"spec": {}})).is_none());
        assert!(bound_by_scheduling(&json!("not a pod")).is_none());
    }
}
