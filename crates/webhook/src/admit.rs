//! The admission core shared by every resource: the webhook's state, the
//! conversion of API JSON into the policy crate's pod model, and PSA's
//! `EvaluatePod` (enforce, audit and warn over one pod, with exemptions).

use crate::cache::{Namespaces, PodLister};
use crate::config::Config;
use crate::labels::{Policy, aggregate};
use crate::metrics::{EvalLabels, Metrics, kind_label, level_label, operation_label};
use crate::object::MAX_DEPTH;
use crate::review::{AdmissionRequest, AdmissionResponse, Status, StatusDetails};
use rootlock_manifest::json::{TOO_DEEP, node_from_json};
use rootlock_policy::format::go_quote;
use rootlock_policy::{Evaluation, Exemptions, LevelVersion, Origin, Pod, Severity, evaluate};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// Everything a decision needs.
pub struct Webhook {
    pub config: Config,
    pub namespaces: Namespaces,
    /// Lists existing pods for the namespace dry-run; `None` offline.
    pub pod_lister: Option<Arc<dyn PodLister>>,
    pub metrics: Metrics,
    /// The namespace dry-runs allowed to list pods at once
    /// ([`crate::namespaces::DRY_RUNS_AT_ONCE`]).
    pub dry_runs: crate::namespaces::DryRuns,
}

/// One request in flight: the review and the time by which it must be answered.
pub struct Call<'a> {
    pub req: &'a AdmissionRequest,
    pub deadline: Instant,
}

impl Call<'_> {
    pub fn eval_labels(
        &self,
        mode: &'static str,
        level: &'static str,
        decision: &'static str,
    ) -> EvalLabels {
        EvalLabels {
            operation: operation_label(&self.req.operation),
            kind: kind_label(&self.req.kind.kind),
            mode,
            level,
            decision,
        }
    }

    pub fn is_create_or_update(&self) -> bool {
        matches!(self.req.operation.as_str(), "CREATE" | "UPDATE")
    }
}

impl Webhook {
    pub fn exempt_namespace(&self, ns: &str) -> bool {
        !ns.is_empty() && self.config.exemptions.namespaces.contains(ns)
    }

    pub fn exempt_user(&self, user: &str) -> bool {
        !user.is_empty() && self.config.exemptions.usernames.contains(user)
    }

    /// PSA's request-level exemptions, in its order: the namespace, then
    /// the requesting user. `Some(why)` names the one that applies.
    pub fn request_exemption(&self, req: &AdmissionRequest) -> Option<&'static str> {
        if self.exempt_namespace(req.namespace()) {
            Some("namespace")
        } else if self.exempt_user(&req.user_info.username) {
            Some("user")
        } else {
            None
        }
    }

    pub fn exempt_runtime_class(&self, rc: Option<&str>) -> bool {
        self.config.exempt_runtime_class(rc)
    }

    /// An exemption: allowed, with `exempt=<why>` for the audit log.
    pub fn exempt(&self, call: &Call, why: &str) -> AdmissionResponse {
        self.metrics
            .evaluation(call.eval_labels("none", "none", "exempt"));
        AdmissionResponse::exempt(why)
    }

    /// Evaluates `pod` in every mode, as PSA's `EvaluatePod`. With
    /// `enforce` false (pod controllers) nothing is ever denied.
    pub fn evaluate_pod(
        &self,
        call: &Call,
        policy: &Policy,
        policy_errors: Option<String>,
        pod: &Pod,
        exemption_source: Option<&Exemptions>,
        enforce: bool,
    ) -> AdmissionResponse {
        if self.exempt_runtime_class(pod.spec.runtime_class_name.as_deref()) {
            return self.exempt(call, "runtimeClass");
        }
        let mut response = AdmissionResponse::allow();
        if let Some(err) = policy_errors {
            response
                .audit_annotations
                .insert("error".into(), format!("Failed to parse policy: {err}"));
        }
        let exemptions = if self.config.annotation_exemptions {
            exemption_source
        } else {
            None
        };
        // Each level is evaluated, and its text built, once: enforce, audit
        // and warn usually share one level.
        let mut cache: Vec<Verdict> = Vec::with_capacity(1);
        fn eval_at(
            cache: &mut Vec<Verdict>,
            pod: &Pod,
            lv: LevelVersion,
            ex: Option<&Exemptions>,
        ) -> usize {
            if let Some(i) = cache.iter().position(|v| v.evaluation.level == lv) {
                return i;
            }
            cache.push(Verdict::new(evaluate_at(pod, lv, ex), ex.is_some()));
            cache.len() - 1
        }
        let ex = exemptions;
        if enforce {
            response
                .audit_annotations
                .insert("enforce-policy".into(), policy.enforce.to_string());
            let i = eval_at(&mut cache, pod, policy.enforce, ex);
            let v = &cache[i];
            let level = level_label(policy.enforce.level);
            if v.violates {
                let violation = if v.parts.is_empty() {
                    format!("violates PodSecurity {:?}", policy.enforce.to_string())
                } else {
                    v.parts.join("; ")
                };
                let message = forbidden_message(
                    &call.req.resource.group,
                    &call.req.resource.resource,
                    call.req.name(),
                    &violation,
                );
                let mut status = Status::failure(403, "Forbidden", message);
                status.details = Some(StatusDetails {
                    name: call.req.name().to_string(),
                    kind: call.req.resource.resource.clone(),
                    ..Default::default()
                });
                response.allowed = false;
                response.status = Some(status);
                self.metrics
                    .evaluation(call.eval_labels("enforce", level, "deny"));
            } else {
                self.metrics
                    .evaluation(call.eval_labels("enforce", level, "allow"));
            }
        }
        let i = eval_at(&mut cache, pod, policy.audit, ex);
        let v = &cache[i];
        if v.violates {
            response
                .audit_annotations
                .insert("audit-violations".into(), v.would_violate().join("; "));
            self.metrics.evaluation(call.eval_labels(
                "audit",
                level_label(policy.audit.level),
                "deny",
            ));
        }
        if response.allowed {
            let i = eval_at(&mut cache, pod, policy.warn, ex);
            let v = &cache[i];
            if v.violates {
                response.warnings.extend(v.would_violate());
                self.metrics.evaluation(call.eval_labels(
                    "warn",
                    level_label(policy.warn.level),
                    "deny",
                ));
            }
            // rootlock's warning-severity findings (and unreadable exemptions)
            // at the warn level: advice, never a verdict.
            for f in v
                .evaluation
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
            {
                if !response.warnings.contains(&f.message) {
                    response.warnings.push(f.message.clone());
                }
            }
        }
        response
    }
}

/// The message of the API server's `NewForbidden`, which PSA's
/// `forbiddenResponse` returns: `pods "p" is forbidden: violates …`, or
/// `pods is forbidden: …` for a CREATE whose name is still to be generated
/// (the resource is `resource.group` for a named API group).
pub fn forbidden_message(group: &str, resource: &str, name: &str, violation: &str) -> String {
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    if name.is_empty() {
        format!("{qualified} is forbidden: {violation}")
    } else {
        format!("{qualified} {} is forbidden: {violation}", go_quote(name))
    }
}

/// [`evaluate`] when annotation exemptions apply; otherwise only the two
/// aggregates the webhook prints (PSA's and the immutable family's), without
/// the per-container findings `scan` reports — the verdict and the text
/// are the same, at a fraction of the cost.
pub fn evaluate_at(pod: &Pod, lv: LevelVersion, ex: Option<&Exemptions>) -> Evaluation {
    if ex.is_some() {
        return evaluate(pod, lv, ex);
    }
    let pss = rootlock_policy::pss::evaluate(pod, lv.level, lv.version);
    let mut immutable = Vec::new();
    let mut findings = Vec::new();
    if lv.level == rootlock_policy::Level::Immutable {
        for rule in rootlock_policy::immutable::rules() {
            if let Some(violation) = (rule.eval)(pod, rootlock_policy::scope::Scope::All) {
                if rule.severity == Severity::Warning {
                    findings.push(rootlock_policy::Finding {
                        rule: rule.id,
                        severity: Severity::Warning,
                        container: None,
                        message: violation.render(),
                        path: Default::default(),
                        origin: Default::default(),
                        exemption: None,
                    });
                }
                immutable.push(rootlock_policy::pss::CheckResult {
                    id: rule.id,
                    violation,
                });
            }
        }
        findings.extend(rootlock_policy::evaluate::pod_warnings(pod));
    }
    Evaluation {
        level: lv,
        pss,
        immutable,
        findings,
    }
}

/// One level's evaluation with its text built once: the parts of
/// [`Evaluation::message`] (PSA's, then the immutable family's).
struct Verdict {
    evaluation: Evaluation,
    parts: Vec<String>,
    violates: bool,
}

impl Verdict {
    /// With annotation exemptions, only unexempted error findings count;
    /// without, any part of the message does (PSA's rule).
    fn new(evaluation: Evaluation, exemptions: bool) -> Verdict {
        let parts: Vec<String> = [
            evaluation.pod_security_message(),
            evaluation.immutable_message(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let violates = if exemptions {
            evaluation.has_errors()
        } else {
            !parts.is_empty()
        };
        Verdict {
            evaluation,
            parts,
            violates,
        }
    }

    /// The warn/audit text: each part as `would violate PodSecurity "<lv>": …`.
    fn would_violate(&self) -> Vec<String> {
        self.parts
            .iter()
            .map(|part| {
                let rest = part.strip_prefix("violates").unwrap_or(part);
                format!("would violate{rest}")
            })
            .collect()
    }
}

/// The policy of a namespace given its labels; the field errors aggregated.
pub fn namespace_policy(wh: &Webhook, labels: &crate::labels::Labels) -> (Policy, Option<String>) {
    let (p, errs) = crate::labels::policy_to_evaluate(labels, &wh.config.defaults);
    (p, (!errs.is_empty()).then(|| aggregate(&errs)))
}

/// An object that cannot be read: denied with a 400 status naming why.
pub fn bad_object(wh: &Webhook, call: &Call, why: &str) -> AdmissionResponse {
    wh.metrics
        .evaluation(call.eval_labels("none", "none", "error"));
    AdmissionResponse::deny(Status::failure(
        400,
        "BadRequest",
        format!("failed to decode object: {why}"),
    ))
}

/// A Pod object parsed as a `Value` (the pods the namespace dry-run lists
/// from the API) as the policy crate's pod.
pub fn pod_from_json(obj: &Value) -> Result<Pod, String> {
    let n = node_from_json(obj, MAX_DEPTH).ok_or_else(|| TOO_DEEP.to_string())?;
    crate::object::pod_from_node(&n)
}

/// Exemption annotations of a pod (or a pod template): only these reach
/// the pods the webhook enforces, unlike a controller's own, which `scan`
/// and `cluster` also honour.
pub fn exemptions_of(pod: &Pod) -> Exemptions {
    Exemptions::from_annotations(
        pod.annotations
            .iter()
            .map(|(k, v)| (Origin::Pod, k.as_str(), v.as_str())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_evaluation_gives_the_same_verdict_and_text() {
        let mut objects = Vec::new();
        for f in [
            "05-pod-create",
            "08-pod-ephemeralcontainers-update",
            "03-deployment-create",
            "04-cronjob-create",
        ] {
            let path = format!(
                "{}/../../testdata/apiserver/admission/{f}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            objects.push(v["body"]["request"]["object"].to_string());
        }
        // The advice about the pod as a whole: bound for Windows nodes by
        // scheduling alone, and a pod-level readOnlyRootFilesystem.
        let mut pod: Value = serde_json::from_str(&objects[0]).unwrap();
        pod["spec"]["nodeSelector"] = serde_json::json!({"kubernetes.io/os": "windows"});
        pod["spec"]["securityContext"]["readOnlyRootFilesystem"] = true.into();
        objects.push(pod.to_string());
        for obj in objects {
            let node = crate::object::slim_from_str(&obj).unwrap().unwrap();
            let pod = rootlock_manifest::workloads(&node)
                .unwrap()
                .swap_remove(0)
                .pod;
            for lv in [
                "privileged",
                "baseline",
                "restricted",
                "immutable",
                "restricted:v1.20",
                "immutable:v1.30",
            ] {
                let lv = LevelVersion::parse(lv).unwrap();
                let full = evaluate(&pod, lv, None);
                let fast = evaluate_at(&pod, lv, None);
                assert_eq!(full.message(), fast.message());
                assert_eq!(full.pss, fast.pss);
                assert_eq!(full.immutable, fast.immutable);
                let warn = |e: &Evaluation| {
                    e.findings
                        .iter()
                        .filter(|f| f.severity == Severity::Warning)
                        .map(|f| f.message.clone())
                        .collect::<Vec<_>>()
                };
                assert_eq!(warn(&full), warn(&fast));
            }
        }
    }
}
