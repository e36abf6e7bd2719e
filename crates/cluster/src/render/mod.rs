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
