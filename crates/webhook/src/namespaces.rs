//! Namespaces: invalid rootlock labels are refused (PSA's field-error
//! wording, 422); when an UPDATE makes `enforce` stricter, existing pods are
//! dry-run against the new level and the response warns which would be
//! rejected, grouped by controller, bounded in pods and time.

use crate::admit::{Call, Webhook, exemptions_of, pod_from_json};
use crate::labels::{
    self, AUDIT, AUDIT_VERSION, ENFORCE, ENFORCE_VERSION, Labels, Policy, WARN, WARN_VERSION,
    aggregate, json_str, labels_from_object, policy_to_evaluate,
};
use crate::review::{AdmissionResponse, Status, StatusDetails};
use rootlock_policy::{Level, LevelVersion, Severity, evaluate, immutable};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

pub async fn validate(wh: &Webhook, call: &Call<'_>) -> AdmissionResponse {
    let req = call.req;
    if !req.sub_resource().is_empty() {
        return AdmissionResponse::allow();
    }
    // Only CREATE and UPDATE are judged (all PSA registers for). Checked
    // first, so that a configuration that also sends DELETE (no object)
    // cannot block namespace deletion.
    if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
        return AdmissionResponse::allow();
    }
    // As PSA: a namespace that is not there is a bad request, not a pass.
    let Some(object) = req.object.as_ref() else {
        return bad_request(wh, call, "failed to decode namespace");
    };
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(json_str)
        .unwrap_or_else(|| req.name())
        .to_string();
    let new_labels = labels_from_object(object);
    let defaults = &wh.config.defaults;
    let (new_policy, new_errs) = policy_to_evaluate(&new_labels, defaults);
    match req.operation.as_str() {
        "CREATE" => {
            if !new_errs.is_empty() {
                return invalid(wh, call, &name, &new_errs);
            }
            let mut r = AdmissionResponse::allow();
            if wh.exempt_namespace(&name)
                && let Some(w) = exempt_namespace_warning(&name, &new_policy, defaults, &new_labels)
            {
                r.warnings.push(w);
            }
            r
        }
        "UPDATE" => {
            // Without the old namespace, "did the labels change" has no
            // answer; PSA refuses such an update (the API server always
            // sends it).
            let Some(old) = req.old_object.as_ref() else {
                return bad_request(wh, call, "failed to decode old namespace");
            };
            let old_labels = labels_from_object(old);
            let (old_policy, old_errs) = policy_to_evaluate(&old_labels, defaults);
            if !new_errs.is_empty() && (old_errs.is_empty() || new_errs != old_errs) {
                return invalid(wh, call, &name, &new_errs);
            }
            let (new_e, old_e) = (new_policy.enforce, old_policy.enforce);
            if new_e == old_e
                || new_e.level == Level::Privileged
                || (new_e.version == old_e.version && new_e.level <= old_e.level)
            {
                return AdmissionResponse::allow();
            }
            let mut r = AdmissionResponse::allow();
            if wh.exempt_namespace(&name) {
                if let Some(w) = exempt_namespace_warning(&name, &new_policy, defaults, &new_labels)
                {
                    r.warnings.push(w);
                }
                return r;
            }
            r.warnings = evaluate_pods_in_namespace(wh, call, &name, new_e).await;
            r
        }
        _ => AdmissionResponse::allow(),
    }
}

/// PSA's `badRequestResponse`: denied, 400, with its message.
fn bad_request(wh: &Webhook, call: &Call, message: &str) -> AdmissionResponse {
    wh.metrics
        .evaluation(call.eval_labels("none", "none", "error"));
    AdmissionResponse::deny(Status::failure(400, "BadRequest", message.into()))
}

fn invalid(
    wh: &Webhook,
    call: &Call,
    name: &str,
    errs: &[labels::FieldError],
) -> AdmissionResponse {
    wh.metrics
        .evaluation(call.eval_labels("none", "none", "deny"));
    // PSA's `invalidResponse`, which is the API server's `NewInvalid`: the
    // message aggregates the errors, the details list each as a cause, so
    // clients that read `details.causes` (kubectl, controllers) see them.
    let kind = &call.req.kind;
    let mut status = Status::failure(
        422,
        "Invalid",
        format!(
            "{} {:?} is invalid: {}",
            group_kind(kind),
            name,
            aggregate(errs)
        ),
    );
    status.details = Some(StatusDetails {
        name: name.to_string(),
        group: kind.group.clone(),
        kind: kind.kind.clone(),
        causes: errs.iter().map(labels::FieldError::cause).collect(),
    });
    AdmissionResponse::deny(status)
}

/// Go's `schema.GroupKind.String()`: `Kind`, or `Kind.group`.
fn group_kind(kind: &crate::review::GroupVersionKind) -> String {
    if kind.group.is_empty() {
        kind.kind.clone()
    } else {
        format!("{}.{}", kind.kind, kind.group)
    }
}

/// PSA's warning for an exempt namespace that carries a policy.
pub fn exempt_namespace_warning(
    name: &str,
    policy: &Policy,
    defaults: &Policy,
    labels: &Labels,
) -> Option<String> {
    if policy.fully_privileged() || policy.equivalent(defaults) {
        return None;
    }
    let mut parts = Vec::new();
    for (mode, lv, lkey, vkey) in [
        ("enforce", policy.enforce, ENFORCE, ENFORCE_VERSION),
        ("audit", policy.audit, AUDIT, AUDIT_VERSION),
        ("warn", policy.warn, WARN, WARN_VERSION),
    ] {
        if lv.level != Level::Privileged && (labels.contains_key(lkey) || labels.contains_key(vkey))
        {
            parts.push(format!("{mode}={lv}"));
        }
    }
    Some(format!(
        "namespace {name:?} is exempt from Pod Security, and the policy ({}) will be ignored",
        parts.join(", ")
    ))
}

/// Dry-runs existing pods against `enforce`: one pod per controller first,
/// at most `namespace_max_pods`, within min(configured timeout, half the
/// time left). Warnings only, in PSA's format.
pub async fn evaluate_pods_in_namespace(
    wh: &Webhook,
    call: &Call<'_>,
    ns: &str,
    enforce: LevelVersion,
) -> Vec<String> {
    let Some(lister) = wh.pod_lister.as_ref() else {
        return Vec::new();
    };
    let now = Instant::now();
    let half_left = call.deadline.saturating_duration_since(now) / 2;
    let budget = wh
        .config
        .namespace_check_timeout
        .min(half_left)
        .max(Duration::from_millis(1));
    let deadline = now + budget;
    let pods = match tokio::time::timeout(budget, lister.list(ns)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            tracing::warn!(namespace = ns, error = %e, "failed to list pods");
            return vec!["failed to list pods while checking new PodSecurity enforce level".into()];
        }
        Err(_) => {
            tracing::warn!(namespace = ns, "timed out listing pods");
            return vec!["failed to list pods while checking new PodSecurity enforce level".into()];
        }
    };
    let prioritized = prioritize(wh, &pods);
    let total = prioritized.len();
    let limit = total.min(wh.config.namespace_max_pods);
    let mut checked = limit;
    // reason list -> (smallest pod name, count)
    let mut counts: HashMap<String, (String, usize)> = HashMap::new();
    for (i, obj) in prioritized[..limit].iter().enumerate() {
        if let Ok(pod) = pod_from_json(obj) {
            // With annotation exemptions on, a pod whose every error is
            // exempted is admitted again, so it is no offender; as at
            // admission, the reasons of one that is still denied stay PSA's.
            let ex = wh.config.annotation_exemptions.then(|| exemptions_of(&pod));
            let e = evaluate(&pod, enforce, ex.as_ref());
            let admitted = ex.is_some() && !e.has_errors();
            let mut reasons: Vec<&str> =
                e.pss.iter().map(|r| r.violation.reason.as_str()).collect();
            reasons.extend(
                e.immutable
                    .iter()
                    .filter(|r| {
                        immutable::rule(r.id).is_some_and(|rule| rule.severity == Severity::Error)
                    })
                    .map(|r| r.violation.reason.as_str()),
            );
            if !reasons.is_empty() && !admitted {
                let key = reasons.join(", ");
                let c = counts.entry(key).or_insert_with(|| (pod.name.clone(), 0));
                if pod.name < c.0 {
                    c.0 = pod.name.clone();
                }
                c.1 += 1;
            }
        }
        if Instant::now() >= deadline {
            checked = i + 1;
            break;
        }
    }
    let mut warnings = Vec::new();
    if checked < total {
        warnings.push(format!(
            "new PodSecurity enforce level only checked against the first {checked} of {total} existing pods"
        ));
    }
    if !counts.is_empty() {
        warnings.push(format!(
            "existing pods in namespace {ns:?} violate the new PodSecurity enforce level {:?}",
            enforce.to_string()
        ));
    }
    let mut lines: Vec<String> = counts
        .into_iter()
        .map(|(reasons, (pod, n))| match n {
            1 => format!("{pod}: {reasons}"),
            2 => format!("{pod} (and 1 other pod): {reasons}"),
            n => format!("{pod} (and {} other pods): {reasons}", n - 1),
        })
        .collect();
    lines.sort();
    warnings.extend(lines);
    warnings
}

/// Pods with exempt runtime classes are skipped; the first pod of each
/// controller (by owner uid) goes first, its replicas after everything else.
fn prioritize<'a>(wh: &Webhook, pods: &'a [Value]) -> Vec<&'a Value> {
    let mut first = Vec::with_capacity(pods.len());
    let mut rest = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for p in pods {
        if wh.exempt_runtime_class(p.pointer("/spec/runtimeClassName").and_then(Value::as_str)) {
            continue;
        }
        let owner = p
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
            })
            .and_then(|r| r.get("uid").and_then(Value::as_str));
        match owner {
            None => first.push(p),
            Some(uid) if seen.insert(uid) => first.push(p),
            Some(_) => rest.push(p),
        }
    }
    first.extend(rest);
    first
}
