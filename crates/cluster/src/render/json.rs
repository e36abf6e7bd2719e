//! `--format json`: one document, written workload by workload so a large
//! cluster is never held twice in memory.

use crate::evaluate::{FindingRow, kind_text};
use crate::inventory::Workload;
use crate::report::{NamespaceReport, Report};
use crate::webhook_policy::WebhookPolicy;
use crate::what_if::MutatedWorkload;
use serde_json::{Value, json};
use std::io::{self, Write};

fn findings(rows: &[FindingRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|f| {
                let mut v = json!({
                    "rule": f.rule,
                    "severity": f.severity.as_str(),
                    "message": f.message,
                });
                if let Some(reason) = &f.exemption {
                    v["exemption"] = json!(reason);
                }
                v
            })
            .collect(),
    )
}

fn workload(w: &Workload) -> Value {
    let containers: Vec<Value> = w
        .eval
        .iter()
        .flat_map(|e| e.containers.iter())
        .map(|c| {
            json!({
                "name": c.name,
                "type": kind_text(c.kind),
                "readOnlyRootFilesystem": c.read_only,
                "findings": findings(&c.findings),
            })
        })
        .collect();
    json!({
        "namespace": w.namespace,
        "kind": w.kind,
        "name": w.name,
        "uid": w.uid,
        "pods": w.pods,
        "revision": w.revision,
        "source": if w.from_template { "template" } else { "pod" },
        "podSecurity": w.eval.as_ref().and_then(|e| e.pod_security.clone()),
        "immutable": w.eval.as_ref().and_then(|e| e.immutable.clone()),
        "failing": w.failing(),
        "containers": containers,
        "findings": w.eval.as_ref().map(|e| findings(&e.pod_findings)).unwrap_or(json!([])),
        "error": w.error,
    })
}

/// `{"exempt", "enforce": {"level", "source", "versionSource"}, "warn": …,
/// "audit": …}`.
fn webhook_policy(policy: &WebhookPolicy) -> Value {
    let mut v = json!({"exempt": policy.exempt});
    for (mode, m) in policy.modes() {
        v[mode] = json!({"level": m.level.to_string(), "source": m.source.as_str(),
            "versionSource": m.version_source.as_str()});
    }
    v
}

/// `{"workload", "pods", "mutatedBy", "reasons", "warnings"}`: `reasons`
/// joined as in `rejected`, empty for one admitted after mutation.
fn mutated_workload(m: &MutatedWorkload) -> Value {
    json!({"workload": m.workload, "pods": m.pods, "mutatedBy": m.source,
        "reasons": m.reasons.join(", "), "warnings": m.warnings})
}

fn namespace(ns: &NamespaceReport, report: &Report) -> Value {
    let labels: serde_json::Map<String, Value> = ns
        .namespace
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut v = json!({
        "name": ns.namespace.name,
        "labels": labels,
        "workloads": ns.workloads,
        "pods": ns.pods,
        "failingWorkloads": ns.failing,
        "recommendation": ns.recommendation,
        // Without --what-if: null, like every unset field.
        "whatIf": null,
        // Without --config: null.
        "webhook": ns.webhook.as_ref().map(webhook_policy),
    });
    if let (Some(wi), Some(lv)) = (&ns.what_if, report.what_if) {
        v["whatIf"] = json!({
            "level": lv.to_string(),
            "warnings": wi.warnings,
            "rejected": wi.groups.iter().map(|g| json!({
                "reasons": g.reasons,
                "pods": g.pods,
                "workloads": g.workloads.iter().map(|(w, n)| json!({"workload": w, "pods": n})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "templates": wi.templates.iter().map(|(w, r)| json!({"workload": w, "reasons": r})).collect::<Vec<_>>(),
            "exempt": wi.exempt,
            "exemptWorkloads": wi.exempt_workloads.iter().map(|(w, n, why)| json!({"workload": w, "pods": n, "reason": why})).collect::<Vec<_>>(),
            "mutatedWorkloads": wi.mutated_workloads.iter().map(mutated_workload).collect::<Vec<_>>(),
            "rejectedAfterMutation": wi.rejected_after_mutation.iter().map(mutated_workload).collect::<Vec<_>>(),
        });
    }
    v
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let head = json!({
        "level": report.level.to_string(),
        "whatIf": report.what_if.map(|l| l.to_string()),
        "summary": {
            "namespaces": report.namespaces.len(),
            "workloads": report.workload_count(),
            "pods": report.pods,
            "containers": report.containers(),
            "failingWorkloads": report.failing(),
        },
    });
    // The head's fields, then the arrays written element by element.
    let head_text = serde_json::to_string(&head)?;
    let head_body = head_text.strip_suffix('}').unwrap_or(&head_text);
    write!(out, "{head_body},\"namespaces\":[")?;
    for (i, ns) in report.namespaces.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &namespace(ns, report))?;
    }
    out.write_all(b"],\"workloads\":[")?;
    for (i, w) in report.workloads.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut *out, &workload(w))?;
    }
    out.write_all(b"],\"errors\":")?;
    serde_json::to_writer(&mut *out, &report.errors)?;
    out.write_all(b"}\n")?;
    Ok(())
}
