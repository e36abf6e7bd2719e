//! Output formats. Each renderer only reads the finished report.

pub mod csv;
pub mod json;
pub mod sarif;
pub mod table;

use crate::evaluate::FindingRow;
use rootlock_policy::Severity;

/// The rule ids of findings, compactly: `readOnlyRootFilesystem,
/// runAsNonRoot`; warnings and exempted ones marked.
pub fn rule_list(findings: &[FindingRow]) -> String {
    if findings.is_empty() {
        return "-".into();
    }
    let mut parts: Vec<String> = Vec::new();
    for f in findings {
        let text = match f.severity {
            Severity::Error => f.rule.to_string(),
            Severity::Warning => format!("{} (warning)", f.rule),
            Severity::Info => format!("{} (exempt)", f.rule),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.join(", ")
}

/// Why a workload is admitted after the webhook's mutation (mutated by
/// `source`), as the table and the CSV say it.
pub fn admitted_after_mutation(source: &str) -> String {
    format!(
        "the webhook's /mutate ({source}) sets what its new pods lack; running pods change only when recreated"
    )
}

/// One of the mutation's own warnings, as the table and the CSV say it.
pub fn mutation_warning(warning: &str) -> String {
    format!("mutation warning: {warning}")
}
