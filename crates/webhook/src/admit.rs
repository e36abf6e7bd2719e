//! The admission core shared by every resource: the webhook's state, the
//! conversion of API JSON into the policy crate's pod model, and PSA's
//! `EvaluatePod` (enforce, audit and warn over one pod, with exemptions).

use crate::cache::{Namespaces, PodLister};
use crate::config::Config;
use crate::labels::{Policy, aggregate};
use crate::metrics::{EvalLabels, Metrics, kind_label, level_label, operation_label};
use crate::review::{AdmissionRequest, AdmissionResponse, Status, StatusDetails};
use rootlock_manifest::extract::{self, Path};
use rootlock_manifest::json::node_from_json;
use rootlock_manifest::tree::{Entry, Node, Value as NodeValue};
use rootlock_policy::{Evaluation, Exemptions, LevelVersion, Pod, Severity, evaluate};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// Deepest nesting converted from API JSON.
pub const MAX_DEPTH: usize = 64;

/// Everything a decision needs.
pub struct Webhook {
    pub config: Config,
    pub namespaces: Namespaces,
    /// Lists existing pods for the namespace dry-run; `None` offline.
    pub pod_lister: Option<Arc<dyn PodLister>>,
    pub metrics: Metrics,
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

    pub fn exempt_runtime_class(&self, rc: Option<&str>) -> bool {
        rc.is_some_and(|rc| !rc.is_empty() && self.config.exemptions.runtime_classes.contains(rc))
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
        let mut cache: Vec<(LevelVersion, Evaluation)> = Vec::with_capacity(1);
        fn eval_at(
            cache: &mut Vec<(LevelVersion, Evaluation)>,
            pod: &Pod,
            lv: LevelVersion,
            ex: Option<&Exemptions>,
        ) -> usize {
            if let Some(i) = cache.iter().position(|(l, _)| *l == lv) {
                return i;
            }
            cache.push((lv, evaluate_at(pod, lv, ex)));
            cache.len() - 1
        }
        let violates = |e: &Evaluation| -> bool {
            if exemptions.is_some() {
                e.has_errors()
            } else {
                !e.pss.is_empty() || e.immutable_message().is_some()
            }
        };
        if enforce {
            response
                .audit_annotations
                .insert("enforce-policy".into(), policy.enforce.to_string());
            let i = eval_at(&mut cache, pod, policy.enforce, exemptions);
            let e = &cache[i].1;
            if violates(e) {
                let mut status = Status::failure(
                    403,
                    "Forbidden",
                    e.message().unwrap_or_else(|| {
                        format!("violates PodSecurity {:?}", policy.enforce.to_string())
                    }),
                );
                status.details = Some(StatusDetails {
                    name: call.req.name().to_string(),
                    kind: call.req.resource.resource.clone(),
                });
                response.allowed = false;
                response.status = Some(status);
                self.metrics.evaluation(call.eval_labels(
                    "enforce",
                    level_label(policy.enforce.level),
                    "deny",
                ));
            } else {
                self.metrics.evaluation(call.eval_labels(
                    "enforce",
                    level_label(policy.enforce.level),
                    "allow",
                ));
            }
        }
        let i = eval_at(&mut cache, pod, policy.audit, exemptions);
        let e = &cache[i].1;
        if violates(e) {
            response
                .audit_annotations
                .insert("audit-violations".into(), would_violate(e).join("; "));
            self.metrics.evaluation(call.eval_labels(
                "audit",
                level_label(policy.audit.level),
                "deny",
            ));
        }
        if response.allowed {
            let i = eval_at(&mut cache, pod, policy.warn, exemptions);
            let e = &cache[i].1;
            if violates(e) {
                response.warnings.extend(would_violate(e));
                self.metrics.evaluation(call.eval_labels(
                    "warn",
                    level_label(policy.warn.level),
                    "deny",
                ));
            }
            // rootlock's warning-severity findings (and unreadable exemptions)
            // at the warn level: advice, never a verdict.
            for f in e
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
                        exemption: None,
                    });
                }
                immutable.push(rootlock_policy::pss::CheckResult {
                    id: rule.id,
                    violation,
                });
            }
        }
        if pod
            .spec
            .security_context
            .as_ref()
            .is_some_and(|s| s.read_only_root_filesystem_written)
        {
            findings.push(rootlock_policy::Finding {
                rule: "readOnlyRootFilesystem",
                severity: Severity::Warning,
                container: None,
                message: rootlock_policy::immutable::POD_LEVEL_FIELD_MESSAGE.to_string(),
                path: Default::default(),
                exemption: None,
            });
        }
    }
    Evaluation {
        level: lv,
        pss,
        immutable,
        findings,
    }
}

/// The warn/audit text: each part of [`Evaluation::message`] as
/// `would violate PodSecurity "<lv>": …`.
pub fn would_violate(e: &Evaluation) -> Vec<String> {
    let mut out = Vec::new();
    for part in [e.pod_security_message(), e.immutable_message()]
        .into_iter()
        .flatten()
    {
        let rest = part.strip_prefix("violates").unwrap_or(&part);
        out.push(format!("would violate{rest}"));
    }
    out
}

/// The policy of a namespace given its labels; the field errors aggregated.
pub fn namespace_policy(wh: &Webhook, labels: &crate::labels::Labels) -> (Policy, Option<String>) {
    let (p, errs) = crate::labels::policy_to_evaluate(labels, &wh.config.defaults);
    (p, (!errs.is_empty()).then(|| aggregate(&errs)))
}

fn node(v: &Value, depth: usize) -> Result<Node, String> {
    node_from_json(v, depth).ok_or_else(|| "object nests too deeply".to_string())
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_line: 0,
        value,
    }
}

/// The parts of an API object the policy reads (kind, apiVersion, the
/// metadata's name, namespace and annotations, and spec/template), as a
/// tree: `managedFields`, `status` and the rest are never converted.
pub fn slim_node(obj: &Value) -> Result<Node, String> {
    let Some(map) = obj.as_object() else {
        return node(obj, MAX_DEPTH);
    };
    let mut entries = Vec::with_capacity(5);
    for (k, v) in map {
        match k.as_str() {
            "kind" | "apiVersion" | "spec" | "template" => {
                entries.push(entry(k, node(v, MAX_DEPTH)?))
            }
            "metadata" => {
                let Some(meta) = v.as_object() else {
                    entries.push(entry(k, node(v, MAX_DEPTH)?));
                    continue;
                };
                let mut m = Vec::with_capacity(3);
                for key in ["name", "namespace", "annotations"] {
                    if let Some(x) = meta.get(key) {
                        m.push(entry(key, node(x, MAX_DEPTH)?));
                    }
                }
                entries.push(entry(
                    k,
                    Node {
                        line: 0,
                        column: 0,
                        value: NodeValue::Map(m),
                    },
                ));
            }
            _ => {}
        }
    }
    Ok(Node {
        line: 0,
        column: 0,
        value: NodeValue::Map(entries),
    })
}

/// A Pod object (API JSON) as the policy crate's pod.
pub fn pod_from_json(obj: &Value) -> Result<Pod, String> {
    let n = slim_node(obj)?;
    extract::pod(&n, &Path::Root("")).map_err(|e| {
        if e.field.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.field, e.message)
        }
    })
}

/// Exemption annotations of a workload: the object's own, then its pod
/// template's (the template's reach the pods), as `scan` reads them.
pub fn exemptions_of(own: &[(String, String)], pod: &Pod) -> Exemptions {
    Exemptions::from_annotations(
        own.iter()
            .chain(pod.annotations.iter())
            .map(|(k, v)| (k.as_str(), v.as_str())),
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
            objects.push(v["body"]["request"]["object"].clone());
        }
        for obj in objects {
            let node = slim_node(&obj).unwrap();
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
                        .count()
                        > 0
                };
                assert_eq!(warn(&full), warn(&fast));
            }
        }
    }
}
