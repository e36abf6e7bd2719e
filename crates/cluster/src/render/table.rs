//! The default output: one row per container, then a summary per
//! namespace, then the what-if result.

use super::{admitted_after_mutation, mutation_warning, rule_list};
use crate::evaluate::{kind_text, read_only_text};
use crate::report::Report;
use crate::webhook_policy::WebhookPolicy;
use crate::what_if::{MutatedWorkload, NamespaceWhatIf};
use rootlock_policy::format::{pluralize, printable};
use std::io::{self, Write};

struct Row {
    cells: [String; 6],
}

fn rows(report: &Report) -> Vec<Row> {
    let mut out = Vec::new();
    for w in &report.workloads {
        let workload = w.label();
        match (&w.eval, &w.error) {
            (Some(eval), _) => {
                for c in &eval.containers {
                    out.push(Row {
                        cells: [
                            w.namespace.clone(),
                            workload.clone(),
                            c.name.clone(),
                            kind_text(c.kind).into(),
                            read_only_text(c.read_only).into(),
                            rule_list(&c.findings),
                        ],
                    });
                }
                if !eval.pod_findings.is_empty() {
                    out.push(Row {
                        cells: [
                            w.namespace.clone(),
                            workload.clone(),
                            "(pod)".into(),
                            "pod".into(),
                            "-".into(),
                            rule_list(&eval.pod_findings),
                        ],
                    });
                }
            }
            (None, error) => out.push(Row {
                cells: [
                    w.namespace.clone(),
                    workload.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    format!("error: {}", error.as_deref().unwrap_or("not evaluated")),
                ],
            }),
        }
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `enforce=immutable:latest (label) warn=… (default) audit=…`, or that
/// the namespace is exempt.
fn webhook_line(policy: &WebhookPolicy) -> String {
    let modes: Vec<String> = policy
        .modes()
        .iter()
        .map(|(mode, m)| format!("{mode}={} ({})", m.level, m.sources()))
        .collect();
    let modes = modes.join(" ");
    if policy.exempt {
        format!("exempt (exemptions.namespaces); {modes} not applied")
    } else {
        modes
    }
}

/// The workloads the webhook admits whatever they violate, and why; then
/// those its mutation would make pass, and those it leaves rejected.
fn webhook_verdicts(wi: &NamespaceWhatIf, out: &mut dyn Write) -> io::Result<()> {
    for (w, pods, why) in &wi.exempt_workloads {
        writeln!(
            out,
            "  {} ({}) admitted: {}",
            printable(w),
            plural(*pods, "pod", "pods"),
            printable(why)
        )?;
    }
    for m in &wi.mutated_workloads {
        let verdict = format!(
            "admitted after mutation: {}",
            admitted_after_mutation(m.source)
        );
        mutated_workload(m, &verdict, out)?;
    }
    for m in &wi.rejected_after_mutation {
        let verdict = format!(
            "still rejected after mutation ({}): {}",
            m.source,
            m.reasons.join(", ")
        );
        mutated_workload(m, &verdict, out)?;
    }
    Ok(())
}

/// `Kind/name (N pods) VERDICT`, then the mutation's own warnings.
fn mutated_workload(m: &MutatedWorkload, verdict: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  {} ({}) {}",
        printable(&m.workload),
        plural(m.pods, "pod", "pods"),
        printable(verdict)
    )?;
    for w in &m.warnings {
        writeln!(out, "      {}", printable(&mutation_warning(w)))?;
    }
    Ok(())
}

/// Cells longer than this do not widen their column: the longest name the
/// API server accepts (a DNS subdomain, 253 characters). A longer one
/// (from a server that does not check) would pad every row to its width.
const MAX_ALIGNED: usize = 253;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let header = [
        "NAMESPACE".to_string(),
        "WORKLOAD".into(),
        "CONTAINER".into(),
        "TYPE".into(),
        "READONLY".into(),
        format!("FINDINGS ({})", report.level),
    ];
    // Names, label values and messages are the server's: shown raw, a
    // control character in one would drive the terminal (`ESC ]0;…` retitles
    // it, `ESC [2J` clears it) or a newline forge a row.
    let rows: Vec<Row> = rows(report)
        .into_iter()
        .map(|r| Row {
            cells: r.cells.map(|c| printable(&c).into_owned()),
        })
        .collect();
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            let n = c.chars().count();
            if n <= MAX_ALIGNED {
                *w = (*w).max(n);
            }
        }
    }
    // Padded by hand: a format width (`{c:<w$}`) panics above 65535, and
    // a server can send a name of any length.
    let line = |cells: &[String; 6], out: &mut dyn Write| -> io::Result<()> {
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                writeln!(out, "{c}")?;
            } else {
                let pad = widths[i].saturating_sub(c.chars().count());
                write!(out, "{c}{}   ", " ".repeat(pad))?;
            }
        }
        Ok(())
    };
    line(&header, out)?;
    for r in &rows {
        line(&r.cells, out)?;
    }

    writeln!(out)?;
    writeln!(out, "NAMESPACES ({})", report.level)?;
    for ns in &report.namespaces {
        let n = ns.workloads as u64;
        writeln!(
            out,
            "{}: {}, {}, {} failing",
            printable(&ns.namespace.name),
            plural(n, "workload", "workloads"),
            plural(ns.pods, "pod", "pods"),
            ns.failing
        )?;
        let labels: Vec<String> = ns
            .namespace
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", printable(k), printable(v)))
            .collect();
        if labels.is_empty() {
            writeln!(out, "  labels: none")?;
        } else {
            writeln!(out, "  labels: {}", labels.join(" "))?;
        }
        if let Some(policy) = &ns.webhook {
            writeln!(out, "  webhook: {}", webhook_line(policy))?;
        }
        writeln!(out, "  next: {}", printable(&ns.recommendation))?;
    }

    if let Some(lv) = report.what_if {
        writeln!(out)?;
        writeln!(out, "WHAT IF enforce={lv}")?;
        for ns in &report.namespaces {
            let Some(wi) = &ns.what_if else { continue };
            if let Some(why) = &wi.exempt {
                writeln!(
                    out,
                    "{}: no existing pod would be rejected: {why}",
                    printable(&ns.namespace.name)
                )?;
                continue;
            }
            if wi.warnings.is_empty() && wi.templates.is_empty() {
                writeln!(
                    out,
                    "{}: no existing pod would be rejected",
                    printable(&ns.namespace.name)
                )?;
                webhook_verdicts(wi, out)?;
                continue;
            }
            writeln!(out, "{}:", printable(&ns.namespace.name))?;
            if let Some(first) = wi.warnings.first() {
                writeln!(out, "  Warning: {}", printable(first))?;
            }
            for g in &wi.groups {
                writeln!(out, "  Warning: {}", printable(&g.line))?;
                let ws: Vec<String> = g
                    .workloads
                    .iter()
                    .map(|(w, n)| format!("{} ({})", printable(w), plural(*n, "pod", "pods")))
                    .collect();
                writeln!(out, "      {}", ws.join(", "))?;
            }
            for (w, reasons) in &wi.templates {
                writeln!(
                    out,
                    "  {} has no pods now; its template would be rejected: {}",
                    printable(w),
                    printable(reasons)
                )?;
            }
            webhook_verdicts(wi, out)?;
        }
    }

    writeln!(out)?;
    // The containers are the workloads' (replicas counted once), named
    // beside them: after the failing count, "5 fail immutable:latest (8
    // containers)" read as eight failing containers.
    writeln!(
        out,
        "{} in {} ({}) across {}; {} {} {}",
        plural(report.pods, "pod", "pods"),
        plural(report.workload_count() as u64, "workload", "workloads"),
        plural(report.containers() as u64, "container", "containers"),
        plural(report.namespaces.len() as u64, "namespace", "namespaces"),
        report.failing(),
        pluralize("fails", "fail", report.failing()),
        report.level,
    )?;
    Ok(())
}
