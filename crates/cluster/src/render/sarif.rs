//! `--format sarif`: SARIF 2.1.0 with logical locations (cluster objects
//! have no files): `namespace/Kind/name/container`.

use crate::evaluate::FindingRow;
use crate::inventory::Workload;
use crate::report::Report;
use rootlock_policy::sarif::{self, Driver};
use serde_json::{Value, json};
use std::io::{self, Write};

fn result(driver: &Driver, w: &Workload, container: Option<&str>, f: &FindingRow) -> Value {
    // `Kind/name@revision` when the workload's revisions judge differently:
    // the location and message say which one; the fingerprint stays the
    // workload's, so an alert outlives the revision.
    let label = w.label();
    let name = match container {
        Some(c) => format!("{}/{label}/{c}", w.namespace),
        None => format!("{}/{label}", w.namespace),
    };
    let mut r = json!({
        "ruleId": f.rule,
        "level": sarif::level(f.severity),
        "message": {"text": format!("{label} in {}: {}", w.namespace, f.message)},
        "locations": [{"logicalLocations": [{"fullyQualifiedName": name, "kind": "resource"}]}],
        "partialFingerprints": {"rootlock/v1": format!("{}/{}/{}/{}/{}", w.kind, w.namespace, w.name, f.rule, container.unwrap_or(""))},
    });
    if let Some(i) = driver.rule_index(f.rule) {
        r["ruleIndex"] = json!(i);
    }
    if let Some(reason) = &f.exemption {
        r["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
    }
    r
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let driver = sarif::driver();
    let mut results = Vec::new();
    for w in &report.workloads {
        let Some(eval) = &w.eval else { continue };
        for c in &eval.containers {
            for f in &c.findings {
                results.push(result(&driver, w, Some(&c.name), f));
            }
        }
        for f in &eval.pod_findings {
            results.push(result(&driver, w, None, f));
        }
    }
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": e}}))
        .collect();
    // The findings of an exempt namespace are real, but the webhook will
    // never enforce them: a note of the run, not a suppression.
    notifications.extend(
        report
            .namespaces
            .iter()
            .filter(|ns| ns.webhook.as_ref().is_some_and(|w| w.exempt))
            .map(|ns| {
                json!({"level": "note", "message": {"text": format!(
                    "namespace {:?} is exempt in the webhook's config (exemptions.namespaces): the webhook evaluates none of its pods",
                    ns.namespace.name
                )}})
            }),
    );
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "results": results,
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications
            }]
        }]
    });
    serde_json::to_writer(&mut *out, &doc)?;
    out.write_all(b"\n")
}
