//! `--format csv`: one row per container (RFC 4180 quoting), for
//! spreadsheets.

use crate::evaluate::{kind_text, read_only_text};
use crate::report::Report;
use std::io::{self, Write};

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn record(out: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    write!(out, "{}\r\n", line.join(","))
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
            let rules: Vec<&str> = c.findings.iter().map(|f| f.rule).collect();
            record(
                out,
                &[
                    &w.namespace,
                    &label,
                    &c.name,
                    kind_text(c.kind),
                    read_only_text(c.read_only),
                    &pods,
                    &rules.join(";"),
                ],
            )?;
        }
        if !eval.pod_findings.is_empty() {
            let rules: Vec<&str> = eval.pod_findings.iter().map(|f| f.rule).collect();
            record(
                out,
                &[&w.namespace, &label, "", "pod", "", &pods, &rules.join(";")],
            )?;
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
    }
}
