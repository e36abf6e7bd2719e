//! `--format csv`: one row per container (RFC 4180 quoting), for
//! spreadsheets; with `--what-if`, each row also says what enforcing that
//! level would do with its workload.

use super::{admitted_after_mutation, mutation_warning};
use crate::evaluate::{FindingRow, kind_text, read_only_text};
use crate::inventory::Workload;
use crate::report::Report;
use crate::what_if::Verdict;
use rootlock_policy::Severity;
use std::collections::HashMap;
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

/// `what_if` and `what_if_reasons` of a workload's rows: the verdict the
/// table gives it beneath its namespace, with the table's words joined
/// with `;` (PSA's reasons, which the table joins with commas, hold no
/// `;`). `exempt_namespace`: why the config exempts its namespace. A
/// workload that could not be judged has none, as in the table.
fn what_if_cells(w: &Workload, exempt_namespace: Option<&str>) -> [String; 2] {
    if let Some(why) = exempt_namespace {
        return ["exempt".into(), why.into()];
    }
    let Some(eval) = &w.eval else {
        return [String::new(), String::new()];
    };
    let joined = |first: String, reasons: &[String], warnings: &[String]| {
        let parts: Vec<String> = std::iter::once(first)
            .chain(reasons.iter().cloned())
            .chain(warnings.iter().map(|w| mutation_part(w)))
            .collect();
        parts.join(";")
    };
    match eval.verdict() {
        Verdict::Rejected(reasons) => ["rejected".into(), reasons.join(";")],
        Verdict::Admitted => ["admitted".into(), String::new()],
        Verdict::Exempt(why) => ["exempt".into(), why.into()],
        Verdict::AdmittedAfterMutation(m) => [
            "admitted after mutation".into(),
            joined(admitted_after_mutation(m.source), &[], &m.warnings),
        ],
        // What mutates the namespace, as the table's `still rejected after
        // mutation (SOURCE): REASONS` puts it first.
        Verdict::RejectedAfterMutation(m) => [
            "rejected after mutation".into(),
            joined(m.source.to_string(), &m.reasons, &m.warnings),
        ],
    }
}

/// A mutation warning as a part of `what_if_reasons`. Parts are joined
/// by a `;` without a space and a part may hold `; ` (the README's
/// contract, so a script can split them); a warning quotes an exemption
/// annotation's reason, the user's own text, whose bare `;` is written
/// `; ` so that it does not start a part.
fn mutation_part(warning: &str) -> String {
    let text = mutation_warning(warning);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == ';' && chars.peek() != Some(&' ') {
            out.push(' ');
        }
    }
    out
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut header = vec![
        "namespace",
        "workload",
        "container",
        "type",
        "readonly",
        "pods",
        "findings",
    ];
    // Only with --what-if: without it the columns stay those scripts
    // already read.
    if report.what_if.is_some() {
        header.extend(["what_if", "what_if_reasons"]);
    }
    record(out, &header)?;
    let exempt: HashMap<&str, &str> = report
        .namespaces
        .iter()
        .filter_map(|ns| {
            let why = ns.what_if.as_ref()?.exempt.as_deref()?;
            Some((ns.namespace.name.as_str(), why))
        })
        .collect();
    for w in &report.workloads {
        let what_if = report
            .what_if
            .map(|_| what_if_cells(w, exempt.get(w.namespace.as_str()).copied()));
        let row = |out: &mut dyn Write, cells: &[&str]| match &what_if {
            Some([verdict, reasons]) => {
                let mut cells = cells.to_vec();
                cells.extend([verdict.as_str(), reasons.as_str()]);
                record(out, &cells)
            }
            None => record(out, cells),
        };
        let label = w.label();
        let pods = w.pods.to_string();
        let Some(eval) = &w.eval else {
            let error = format!("error: {}", w.error.as_deref().unwrap_or("not evaluated"));
            row(out, &[&w.namespace, &label, "", "", "", &pods, &error])?;
            continue;
        };
        for c in &eval.containers {
            let rules = rules(&c.findings);
            row(
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
            row(out, &[&w.namespace, &label, "", "pod", "", &pods, &rules])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The README's contract: parts are joined by a `;` without a space, a
    /// part may hold `; `. A mutation warning quotes an exemption
    /// annotation's reason, which is the user's text: `legacy;T-1` there
    /// split the cell into one part too many.
    #[test]
    fn a_part_holds_no_bare_semicolon() {
        let warning = "container \"app\" is exempt from readOnlyRootFilesystem (exempt.rootlock.dev/app: legacy;T-1;); rootlock did not change it";
        let part = super::mutation_part(warning);
        assert_eq!(
            part,
            "mutation warning: container \"app\" is exempt from readOnlyRootFilesystem (exempt.rootlock.dev/app: legacy; T-1; ); rootlock did not change it"
        );
        let cell = ["rootlock.dev/mutate=true", part.as_str()].join(";");
        let parts: Vec<&str> = cell.split(';').filter(|p| !p.starts_with(' ')).collect();
        assert_eq!(parts.len(), 2, "{parts:?}");
    }

    #[test]
    fn quoting() {
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("=1+1"), "'=1+1");
        assert_eq!(super::field("-2"), "'-2");
        assert_eq!(super::field("@x,y"), "\"'@x,y\"");
        assert_eq!(super::field("a=b"), "a=b");
        // PSA's wording, with its details: one cell, quotes doubled.
        assert_eq!(
            super::field(
                "allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false)"
            ),
            "\"allowPrivilegeEscalation != false (containers \"\"a\"\", \"\"b\"\" must set securityContext.allowPrivilegeEscalation=false)\""
        );
    }
}
