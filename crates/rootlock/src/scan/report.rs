//! What a scan found, in the shape of the JSON contract.

use crate::scan::snippet::SourceLines;
use rootlock_manifest::{InputError, Workload, position_of};
use rootlock_policy::{Evaluation, Finding, LevelVersion, Severity, evaluate};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReport {
    pub file: String,
    pub line: usize,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub pod_security: Option<String>,
    pub findings: Vec<FindingReport>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingReport {
    pub rule: &'static str,
    pub severity: Severity,
    pub container: Option<String>,
    pub container_type: Option<&'static str>,
    pub message: String,
    /// Line the finding points at.
    pub line: usize,
    /// Field the finding points at (`spec.template.spec.containers[0]…`).
    pub field: String,
    /// Why the finding was exempted, for `info` findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<String>,
    /// Source lines around `line`, for the text output only.
    #[serde(skip)]
    pub snippet: Vec<(usize, String)>,
}

/// Everything found in one input.
#[derive(Debug, Default)]
pub struct FileReport {
    pub objects: Vec<ObjectReport>,
    pub errors: Vec<InputError>,
}

/// Options for building reports.
pub struct ReportOptions {
    pub level: LevelVersion,
    pub annotation_exemptions: bool,
    /// Source lines under each finding (the text output).
    pub snippets: bool,
}

/// Evaluates one workload and points each finding at its line.
pub fn object_report(
    file: &str,
    root: &rootlock_manifest::tree::Node,
    lines: Option<&SourceLines>,
    w: &Workload,
    opts: &ReportOptions,
) -> ObjectReport {
    let exemptions = opts.annotation_exemptions.then(|| w.exemptions());
    let eval: Evaluation = evaluate(&w.pod, opts.level, exemptions.as_ref());
    let findings = eval
        .findings
        .iter()
        .map(|f: &Finding| {
            let path = w.finding_path(f);
            let (line, column) = position_of(root, &path);
            FindingReport {
                rule: f.rule,
                severity: f.severity,
                container: f.container.as_ref().map(|c| c.name.clone()),
                container_type: f.container.as_ref().map(|c| c.kind.type_name()),
                message: f.message.clone(),
                line,
                field: path.to_string(),
                exemption: f.exemption.clone(),
                snippet: lines.map_or_else(Vec::new, |l| l.snippet(line, column)),
            }
        })
        .collect();
    ObjectReport {
        file: file.to_string(),
        line: w.line,
        api_version: w.api_version.clone(),
        kind: w.kind.clone(),
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        pod_security: eval.pod_security_message(),
        findings,
    }
}
