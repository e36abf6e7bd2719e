//! `--format csv`: one row per container (RFC 4180 quoting), for
//! spreadsheets.

use crate::evaluate::{FindingRow, kind_text, read_only_text};
use crate::report::Report;
use rootlock_policy::Severity;
use std::io::{self, Write};

/// One cell, quoted as RFC 4180 says. A spreadsheet runs a cell that
/// starts with `=`, `+`, `-` or `@` (or a tab or carriage return before
/// one) as a formula, and names come from the cluster: an owner
/// reference's kind is not checked by the API server, so whoever can create
/// a pod can write one. Such a cell gets a leading `'`, which makes it
/// text (OWASP's advice for CSV injection).
fn field(s: &str) -> String {
    let text = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

fn record(out: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    write!(out, "{}\r\n", line.join(","))
}

/// Rule ids joined with `;`, marked as the table marks them: a warning or
/// an exempted finding does not fail the workload, and a bare id would
/// read as if it did.
fn rules(findings: &[FindingRow]) -> String {
    let ids: Vec<String> = findings
        .iter()
        .map(|f| match f.severity {
            Severity::Error => f.rule.to_string(),
            Severity::Warning => format!("{} (warning)", f.rule),
            Severity::Info => format!("{} (exempt)", f.rule),
        })
        .collect();
    ids.join(";")
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    record(
        out,
        &[
            "namespace",
            "workload",
            "container",
            "type",
            "readonly",
            "pods",
            "findings",
        ],
    )?;
    for w in &report.workloads {
        let label = w.label();
        let pods = w.pods.to_string();
        let Some(eval) = &w.eval else {
            let error = format!("error: {}", w.error.as_deref().unwrap_or("not evaluated"));
            record(out, &[&w.namespace, &label, "", "", "", &pods, &error])?;
            continue;
        };
        for c in &eval.containers {
            let rules = rules(&c.findings);
            record(
                out,
                &[
                    &w.namespace,
                    &label,
                    &c.name,
                    kind_text(c.kind),
                    read_only_text(c.read_only),
                    &pods,
                    &rules,
                ],
            )?;
        }
        if !eval.pod_findings.is_empty() {
            let rules = rules(&eval.pod_findings);
            record(out, &[&w.namespace, &label, "", "pod", "", &pods, &rules])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("=1+1"), "'=1+1");
        assert_eq!(super::field("-2"), "'-2");
        assert_eq!(super::field("@x,y"), "\"'@x,y\"");
        assert_eq!(super::field("a=b"), "a=b");
    }
}
