//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — rule
//! metadata, physical locations, exempted findings as suppressed notes.

use super::report::ObjectReport;
use rootlock_manifest::InputError;
use rootlock_policy::{Severity, immutable, pss, rule_descriptions};
use serde_json::{Value, json};
use std::io::Write;

const HELP: &str = "https://github.com/rootlock/rootlock/blob/main/docs/rules.md";

fn default_level(id: &str) -> &'static str {
    match immutable::rule(id) {
        Some(r) if r.severity == Severity::Warning => "warning",
        Some(_) => "error",
        None if pss::check(id).is_some() => "error",
        None => "warning",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative, forward-slashed URI for a path as given on the command line.
fn uri(file: &str) -> String {
    let f = file.replace('\\', "/");
    let f = f.strip_prefix("./").unwrap_or(&f);
    f.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn write(objects: &[ObjectReport], errors: &[InputError]) -> std::io::Result<()> {
    for e in errors {
        eprintln!("error: {e}");
    }
    let rules: Vec<(&str, &str)> = rule_descriptions();
    let rule_json: Vec<Value> = rules
        .iter()
        .map(|(id, desc)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": desc},
                "fullDescription": {"text": desc},
                "helpUri": format!("{HELP}#{}", id.to_ascii_lowercase()),
                "defaultConfiguration": {"level": default_level(id)},
                "properties": {"tags": ["security", "kubernetes"]}
            })
        })
        .collect();
    let mut results = Vec::new();
    for o in objects {
        for f in &o.findings {
            let index = rules.iter().position(|(id, _)| *id == f.rule);
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": format!("{} {}: {}", o.kind, o.name.as_deref().unwrap_or("<unnamed>"), f.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&o.file)},
                        "region": {"startLine": f.line.max(1)}
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.field, "kind": "member"}]
                }],
                "partialFingerprints": {
                    "rootlock/v1": format!("{}/{}/{}/{}/{}", o.kind, o.namespace.as_deref().unwrap_or(""), o.name.as_deref().unwrap_or(""), f.rule, f.container.as_deref().unwrap_or(""))
                }
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            if let Some(reason) = &f.exemption {
                r["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
            }
            results.push(r);
        }
    }
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.to_string()},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&e.file)},
                    "region": {"startLine": e.line.max(1)}
                }}]
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rootlock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/rootlock/rootlock",
                "rules": rule_json
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": notifications
            }]
        }]
    });
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, &doc).map_err(std::io::Error::other)?;
    writeln!(stdout)?;
    stdout.flush()
}
