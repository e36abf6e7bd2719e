//! Namespaces: invalid rootlock labels are refused (PSA's field-error
//! wording, 422); when an UPDATE makes `enforce` stricter, existing pods are
//! dry-run against the new level and the response warns which would be
//! rejected, grouped by controller, bounded in pods and time.

use crate::admit::{Call, Webhook, exemptions_of};
use crate::labels::{
    self, AUDIT, AUDIT_VERSION, ENFORCE, ENFORCE_VERSION, Labels, Policy, WARN, WARN_VERSION,
    aggregate, json_str, labels_from_object, policy_to_evaluate,
};
use crate::pod_pages::ListedPod;
use crate::review::{AdmissionResponse, Status, StatusDetails};
use rootlock_policy::{Level, LevelVersion, Severity, evaluate, immutable};
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

/// Namespace dry-runs that list pods at once. One holds a page of listed
/// pods as text (at most [`crate::pod_pages::MAX_PAGE_BYTES`]) and up to
/// `maxPods` pod models: a namespace of 3,000 running pods (9 KB of JSON
/// each) peaks at 32 MB of RSS for one dry-run (`bench/webhook_memory.py`,
/// release build, 2026-11-30; 90 MB when pages were read as typed Pods).
/// Anyone who reaches the Service can ask for one, again and again; the
/// API server sends one per `kubectl label ns`, rarely two at once. Four
/// clients asking at once peaked at 147–170 MB before dry-runs were taken
/// one at a time, and one at a time leaves room for the reviews.
pub const DRY_RUNS_AT_ONCE: usize = 1;

/// The permits of [`DRY_RUNS_AT_ONCE`].
pub struct DryRuns(tokio::sync::Semaphore);

impl Default for DryRuns {
    fn default() -> Self {
        DryRuns(tokio::sync::Semaphore::new(DRY_RUNS_AT_ONCE))
    }
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
    // Waiting for another dry-run to end counts in this one's time.
    let Ok(Ok(_slot)) = tokio::time::timeout(budget, wh.dry_runs.0.acquire()).await else {
        tracing::warn!(namespace = ns, "another namespace dry-run is running");
        return vec![
            "existing pods not checked against the new PodSecurity enforce level: another namespace's check was running".into(),
        ];
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let mut chosen = Chosen::new(wh.config.namespace_max_pods);
    let mut offer = |pod| chosen.offer(wh, pod);
    match tokio::time::timeout(left, lister.list(ns, &mut offer)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(namespace = ns, error = %e, "failed to list pods");
            return vec!["failed to list pods while checking new PodSecurity enforce level".into()];
        }
        Err(_) => {
            tracing::warn!(namespace = ns, "timed out listing pods");
            return vec!["failed to list pods while checking new PodSecurity enforce level".into()];
        }
    };
    let total = chosen.total;
    let prioritized = chosen.in_order();
    let mut checked = prioritized.len();
    // reason list -> (smallest pod name, count)
    let mut counts: HashMap<String, (String, usize)> = HashMap::new();
    // Pods that could not be read (past the bounds a review has): counted
    // as checked, as PSA counts a pod it cannot convert, but said, so that
    // no warning is not taken for "no offender".
    let mut unreadable: Vec<&str> = Vec::new();
    for (i, listed) in prioritized.iter().enumerate() {
        if let Err(why) = &listed.pod {
            unreadable.push(why);
        }
        if let Ok(pod) = &listed.pod {
            // With annotation exemptions on, a pod whose every error is
            // exempted is admitted again, so it is no offender; as at
            // admission, the reasons of one that is still denied stay PSA's.
            let ex = wh.config.annotation_exemptions.then(|| exemptions_of(pod));
            let e = evaluate(pod, enforce, ex.as_ref());
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
    if let Some(first) = unreadable.first() {
        warnings.push(match unreadable.len() {
            1 => format!(
                "1 existing pod could not be read and was not checked against the new PodSecurity enforce level: {first}"
            ),
            n => format!(
                "{n} existing pods could not be read and were not checked against the new PodSecurity enforce level; the first: {first}"
            ),
        });
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

/// The pods a dry-run evaluates, chosen as they are listed, in PSA's
/// order: the first pod of each controller (by owner uid) and every pod of
/// none, in list order, then the other replicas, in list order; pods of
/// exempt runtime classes are skipped. Only the first `limit` of that order
/// are evaluated, so only they are kept: the firsts only grow, and each one
/// pushes the last kept replica out.
struct Chosen {
    limit: usize,
    firsts: Vec<ListedPod>,
    rest: Vec<ListedPod>,
    controllers: HashSet<String>,
    /// Every pod offered that is not exempt.
    total: usize,
}

impl Chosen {
    fn new(limit: usize) -> Chosen {
        Chosen {
            limit,
            firsts: Vec::new(),
            rest: Vec::new(),
            controllers: HashSet::new(),
            total: 0,
        }
    }

    fn offer(&mut self, wh: &Webhook, pod: ListedPod) {
        if wh.exempt_runtime_class(pod.runtime_class.as_deref()) {
            return;
        }
        self.total += 1;
        if self.firsts.len() == self.limit {
            // Full of firsts: nothing later is evaluated, it is only counted.
            return;
        }
        let first = pod
            .controller
            .as_ref()
            .is_none_or(|uid| self.controllers.insert(uid.clone()));
        if first {
            self.firsts.push(pod);
            self.rest.truncate(self.limit - self.firsts.len());
        } else if self.firsts.len() + self.rest.len() < self.limit {
            self.rest.push(pod);
        }
    }

    fn in_order(self) -> Vec<ListedPod> {
        let mut pods = self.firsts;
        pods.extend(self.rest);
        pods
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Namespaces;
    use crate::config::Config;
    use crate::metrics::Metrics;
    use serde_json::{Value, json};

    fn pod(name: &str, owner: Option<&str>, runtime_class: Option<&str>) -> Value {
        let owners: Vec<Value> = owner
            .map(|uid| json!({"uid": uid, "controller": true}))
            .into_iter()
            .collect();
        json!({
            "metadata": {"name": name, "ownerReferences": owners},
            "spec": {"runtimeClassName": runtime_class, "containers": [{"name": "c", "image": "nginx"}]},
        })
    }

    /// PSA's order over the whole list, cut at `limit`: what the dry-run
    /// evaluated when it kept every listed pod.
    fn whole_list_order(pods: &[Value], limit: usize) -> Vec<String> {
        let (mut firsts, mut rest) = (Vec::new(), Vec::new());
        let mut seen = HashSet::new();
        for p in pods
            .iter()
            .filter(|p| p["spec"]["runtimeClassName"] != "kata")
        {
            match p["metadata"]["ownerReferences"][0]["uid"].as_str() {
                Some(uid) if !seen.insert(uid) => rest.push(p),
                _ => firsts.push(p),
            }
        }
        firsts.extend(rest);
        let name = |p: &&Value| p["metadata"]["name"].as_str().unwrap().to_string();
        firsts.iter().take(limit).map(name).collect()
    }

    #[test]
    fn pods_are_chosen_as_listed_in_psas_order_keeping_at_most_the_limit() {
        let wh = Webhook {
            config: Config::parse("exemptions:\n  runtimeClasses: [kata]\n").unwrap(),
            namespaces: Namespaces::Offline,
            pod_lister: None,
            metrics: Metrics::new(),
            dry_runs: Default::default(),
        };
        let pods = [
            pod("a1", Some("A"), None),
            pod("a2", Some("A"), None),
            pod("lone1", None, None),
            pod("b1", Some("B"), None),
            pod("k1", Some("K"), Some("kata")),
            pod("a3", Some("A"), None),
            pod("b2", Some("B"), None),
            pod("c1", Some("C"), None),
            pod("lone2", None, None),
        ];
        for limit in 0..=pods.len() + 1 {
            let mut chosen = Chosen::new(limit);
            for p in &pods {
                chosen.offer(&wh, ListedPod::from_json(p));
                assert!(chosen.firsts.len() + chosen.rest.len() <= limit, "{limit}");
            }
            assert_eq!(chosen.total, 8, "the exempt pod is not counted");
            let names: Vec<String> = chosen
                .in_order()
                .iter()
                .map(|p| p.pod.as_ref().unwrap().name.clone())
                .collect();
            assert_eq!(names, whole_list_order(&pods, limit), "limit {limit}");
        }
    }
}
