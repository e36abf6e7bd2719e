//! What still fails after the fix and was not already reported.
//!
//! `fix` sets the fields it can (read-only root, privilege escalation,
//! capabilities, seccomp, non-root) and reports the explicit contrary
//! values it keeps. Other rules (a writable hostPath, a volume over
//! `/etc`, host namespaces, …) need a person's decision; without a note,
//! `fix` would exit 0 while `scan` still fails the same file.

use crate::verify::Kept;
use rootlock_manifest::Workload;
use rootlock_manifest::line_of;
use rootlock_manifest::tree::Node;
use rootlock_policy::{Finding, LevelVersion, Severity, evaluate};

/// The error findings of `findings` that `kept` does not already explain.
pub fn unexplained(findings: Vec<Finding>, kept: &Kept) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .filter(|f| {
            let who = f.container.as_ref().map(|c| c.name.clone());
            !kept.iter().any(|(rule, c)| {
                (*rule == f.rule || follows(f.rule, rule)) && (c.is_none() || *c == who)
            })
        })
        .collect()
}

/// The error findings of an unedited workload that `kept` does not
/// explain: it is judged as it is.
pub fn of_unedited(w: &Workload, kept: &Kept, level: LevelVersion) -> Vec<Finding> {
    unexplained(
        evaluate(&w.pod, level, Some(&w.exemptions())).findings,
        kept,
    )
}

/// The note for one finding left, at the line of the file as given
/// (`root`, `w` as read before the fix): where the finding's field is not
/// there yet, the line of its nearest parent.
pub fn note(name: &str, root: &Node, w: &Workload, f: &Finding, level: LevelVersion) -> String {
    let line = line_of(root, &w.finding_path(f));
    format!(
        "{name}:{line}: {} {:?}: still fails {} at {level}, which fix does not change: {}",
        w.kind,
        w.name.as_deref().unwrap_or(""),
        f.rule,
        f.message
    )
}

/// Whether a failing `rule` is the consequence of a kept value of `kept`:
/// a kept `privileged: true` or an added SYS_ADMIN is what makes
/// `rootfsBypass` fail, and its note already says how to change it.
fn follows(rule: &str, kept: &str) -> bool {
    rule == "rootfsBypass" && matches!(kept, "privileged" | "capabilities_restricted")
}
