//! Pods (and `pods/ephemeralcontainers`, `pods/resize`, …): the only
//! resource enforced, exactly in PSA's order of checks.

use crate::admit::{Call, Webhook, bad_object, exemptions_of, namespace_policy};
use crate::object::pod_from_node;
use crate::review::{AdmissionResponse, Status};
use rootlock_policy::Pod;
use rootlock_policy::format::go_quote;
use rootlock_policy::model::Container;
use std::collections::HashMap;

/// Subresources PSA never evaluates.
pub const IGNORED_SUBRESOURCES: &[&str] = &[
    "attach",
    "binding",
    "eviction",
    "exec",
    "log",
    "portforward",
    "proxy",
    "status",
];

pub async fn validate(wh: &Webhook, call: &Call<'_>) -> AdmissionResponse {
    let req = call.req;
    if IGNORED_SUBRESOURCES.contains(&req.sub_resource()) || !call.is_create_or_update() {
        return AdmissionResponse::allow();
    }
    if let Some(why) = wh.request_exemption(req) {
        return wh.exempt(call, why);
    }
    let labels = match wh.namespaces.labels(req.namespace()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(namespace = req.namespace(), error = %e, "namespace lookup failed");
            wh.metrics
                .evaluation(call.eval_labels("none", "none", "error"));
            // PSA's errorResponse: the status of NewInternalError, and the
            // same message with the lookup's error as the audit `error`.
            let message = format!(
                "Internal error occurred: failed to lookup namespace {}",
                go_quote(req.namespace())
            );
            let annotation = format!("{message}: {e}");
            let mut r = AdmissionResponse::deny(Status::failure(500, "InternalError", message));
            r.audit_annotations.insert("error".into(), annotation);
            return r;
        }
    };
    let (policy, errors) = namespace_policy(wh, &labels);
    if errors.is_none() && policy.fully_privileged() {
        let mut r = AdmissionResponse::allow();
        r.audit_annotations
            .insert("enforce-policy".into(), "privileged:latest".into());
        wh.metrics
            .evaluation(call.eval_labels("enforce", "privileged", "allow"));
        return r;
    }
    let pod = match req.object.as_ref().map(pod_from_node) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return bad_object(wh, call, &e),
        None => return bad_object(wh, call, "request has no object"),
    };
    if req.operation == "UPDATE" {
        let old = match req.old_object.as_ref().map(pod_from_node) {
            Some(Ok(p)) => p,
            Some(Err(e)) => return bad_object(wh, call, &e),
            None => return bad_object(wh, call, "UPDATE request has no oldObject"),
        };
        if !is_significant_update(&pod, &old) {
            return AdmissionResponse::allow();
        }
    }
    let exemptions = wh.config.annotation_exemptions.then(|| exemptions_of(&pod));
    wh.evaluate_pod(call, &policy, errors, &pod, exemptions.as_ref(), true)
}

/// PSA's `isSignificantPodUpdate`: container or init-container count or an
/// image (by index) changed, or an ephemeral container was added or changed
/// image (by name). Anything else (labels, annotations, …) cannot change
/// what runs: the rest of a running pod's spec is immutable, the AppArmor
/// annotations too, and the seccomp ones, still mutable, are read by no
/// kubelet since 1.25. PSA stopped evaluating their changes in 1.27
/// (kubernetes#114846); an update that only changes them is allowed even
/// where a policy before v1.19 would judge the new value.
pub fn is_significant_update(pod: &Pod, old: &Pod) -> bool {
    let (s, o) = (&pod.spec, &old.spec);
    if s.containers.len() != o.containers.len()
        || s.init_containers.len() != o.init_containers.len()
    {
        return true;
    }
    let changed = |c: &Container, oc: &Container| c.image != oc.image;
    if s.containers
        .iter()
        .zip(&o.containers)
        .any(|(c, oc)| changed(c, oc))
        || s.init_containers
            .iter()
            .zip(&o.init_containers)
            .any(|(c, oc)| changed(c, oc))
    {
        return true;
    }
    // By name, hashed, so that a review with thousands (anyone reaching the
    // Service can send one) stays linear; a pod without ephemeral
    // containers allocates nothing. The first of a name wins, as in PSA.
    let before = &o.ephemeral_containers;
    let mut by_name: HashMap<&str, &Container> = HashMap::with_capacity(before.len());
    for oc in before {
        by_name.entry(oc.name.as_str()).or_insert(oc);
    }
    s.ephemeral_containers
        .iter()
        .any(|c| match by_name.get(c.name.as_str()) {
            None => true,
            Some(oc) => changed(c, oc),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_with_ephemeral(names: impl Iterator<Item = usize>) -> Pod {
        let eph: Vec<_> = names
            .map(|i| json!({"name": format!("debugger-{i}"), "image": "busybox"}))
            .collect();
        crate::admit::pod_from_json(&json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}], "ephemeralContainers": eph}
        }))
        .unwrap()
    }

    #[test]
    fn ephemeral_containers_are_matched_by_name() {
        let old = pod_with_ephemeral(0..3);
        assert!(!is_significant_update(&pod_with_ephemeral(0..3), &old));
        assert!(!is_significant_update(
            &pod_with_ephemeral((0..3).rev()),
            &old
        ));
        assert!(is_significant_update(&pod_with_ephemeral(0..4), &old));
        let mut changed = pod_with_ephemeral(0..3);
        changed.spec.ephemeral_containers[1].image = Some("alpine".into());
        assert!(is_significant_update(&changed, &old));
    }

    /// Anyone who reaches the Service can send a review: 40,000 ephemeral
    /// containers (about 2.5 MB, under the body limit) matched by name one
    /// against all took most of a minute here (debug build); by hash, well
    /// under a second. Time is not asserted (timings belong in benchmarks):
    /// a quadratic regression shows as a test that takes a minute.
    #[test]
    fn matching_many_ephemeral_containers_stays_linear() {
        let n = 40_000;
        let old = pod_with_ephemeral(0..n);
        let new = pod_with_ephemeral((0..n).rev());
        assert!(!is_significant_update(&new, &old));
    }
}
