//! `--what-if LEVEL`: what switching a namespace's enforce label to LEVEL
//! would report about its existing pods, in PSA's dry-run wording, grouped
//! by workload beneath each line.

use crate::evaluate::{Evaluated, MutatedWhatIf};
use crate::inventory::Workload;
use rootlock_policy::LevelVersion;
use std::collections::BTreeMap;

/// One PSA line: the pods with one distinct reason list.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `<pod>: …`, `<pod> (and 1 other pod): …`, `<pod> (and N other pods): …`
    pub line: String,
    pub reasons: String,
    pub pods: u64,
    /// The workloads whose pods gave these reasons (`Kind/name`, pods).
    pub workloads: Vec<(String, u64)>,
}

/// The dry-run result for one namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceWhatIf {
    /// PSA's warnings in order: the namespace line, then the sorted group
    /// lines. Empty when every existing pod would be admitted.
    pub warnings: Vec<String>,
    pub groups: Vec<Group>,
    /// Controllers without pods whose template would be rejected when they
    /// next create pods (PSA's dry-run cannot see these).
    pub templates: Vec<(String, String)>,
    /// Why the whole namespace is exempt (`--config`'s
    /// `exemptions.namespaces`); nothing is evaluated there then.
    pub exempt: Option<String>,
    /// Workloads the webhook of `--config` admits whatever they violate
    /// (`Kind/name`, pods, why), in inventory order.
    pub exempt_workloads: Vec<(String, u64, String)>,
    /// Workloads the webhook's mutation would make pass, in inventory
    /// order. Their running pods stay in `warnings` and `groups` (they run
    /// unmutated, and PSA reports them), but are not in `templates`.
    pub mutated_workloads: Vec<MutatedWorkload>,
    /// Workloads that the mutation leaves rejected, with why, in inventory
    /// order: those for which it changes PSA's reasons or warns.
    pub rejected_after_mutation: Vec<MutatedWorkload>,
}

/// A workload that violates the what-if level, in a namespace where the
/// webhook mutates.
#[derive(Debug, Clone, PartialEq)]
pub struct MutatedWorkload {
    /// `Kind/name`.
    pub workload: String,
    pub pods: u64,
    /// Why the namespace is mutated.
    pub source: &'static str,
    /// PSA's reasons for the mutated pod; empty when admitted.
    pub reasons: Vec<String>,
    /// The mutation's own warnings.
    pub warnings: Vec<String>,
}

impl NamespaceWhatIf {
    /// A namespace the webhook's config exempts: nothing would be rejected.
    pub fn exempt_namespace() -> NamespaceWhatIf {
        NamespaceWhatIf {
            warnings: Vec::new(),
            groups: Vec::new(),
            templates: Vec::new(),
            exempt: Some("namespace is exempt (exemptions.namespaces)".into()),
            exempt_workloads: Vec::new(),
            mutated_workloads: Vec::new(),
            rejected_after_mutation: Vec::new(),
        }
    }
}

/// What enforcing the what-if level would do with one workload's new
/// pods, as the webhook of `--config` would (a namespace it exempts aside:
/// nothing is evaluated there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict<'a> {
    /// PSA's reasons.
    Rejected(&'a [String]),
    Admitted,
    /// Why the webhook admits it whatever it violates.
    Exempt(&'a str),
    AdmittedAfterMutation(&'a MutatedWhatIf),
    /// Said only where the mutation changes what enforce judges or warns:
    /// at a level that does not ask for a read-only root it would repeat
    /// PSA's reasons for every workload; there the verdict is `Rejected`.
    RejectedAfterMutation(&'a MutatedWhatIf),
}

impl Evaluated {
    /// The workload's what-if verdict (`Admitted` without `--what-if`).
    pub fn verdict(&self) -> Verdict<'_> {
        if let Some(why) = &self.what_if_exempt {
            return Verdict::Exempt(why);
        }
        if let Some(m) = &self.what_if_mutation {
            if m.admitted {
                return Verdict::AdmittedAfterMutation(m);
            }
            if m.reasons != self.what_if || !m.warnings.is_empty() {
                return Verdict::RejectedAfterMutation(m);
            }
        }
        if self.what_if.is_empty() {
            Verdict::Admitted
        } else {
            Verdict::Rejected(&self.what_if)
        }
    }
}

/// A reason list's pods so far: smallest pod name, pod count, workloads.
type Pending = (String, u64, Vec<(String, u64)>);

/// Evaluates the namespace's workloads (already judged at `level`).
pub fn what_if<'a>(
    namespace: &str,
    level: LevelVersion,
    workloads: impl IntoIterator<Item = &'a Workload>,
) -> NamespaceWhatIf {
    let mut by_reasons: BTreeMap<String, Pending> = BTreeMap::new();
    let mut templates = Vec::new();
    let mut exempt_workloads = Vec::new();
    let mut mutated_workloads = Vec::new();
    let mut rejected_after_mutation = Vec::new();
    for w in workloads {
        let Some(eval) = &w.eval else { continue };
        let entry = |m: &MutatedWhatIf| MutatedWorkload {
            workload: w.label(),
            pods: w.pods,
            source: m.source,
            reasons: m.reasons.clone(),
            warnings: m.warnings.clone(),
        };
        let verdict = eval.verdict();
        match verdict {
            Verdict::Exempt(why) => exempt_workloads.push((w.label(), w.pods, why.to_string())),
            Verdict::AdmittedAfterMutation(m) => mutated_workloads.push(entry(m)),
            Verdict::RejectedAfterMutation(m) => rejected_after_mutation.push(entry(m)),
            Verdict::Rejected(_) | Verdict::Admitted => {}
        }
        let admitted_after_mutation = matches!(verdict, Verdict::AdmittedAfterMutation(_));
        if eval.what_if.is_empty() {
            continue;
        }
        let reasons = eval.what_if.join(", ");
        match (&w.smallest_pod, w.pods) {
            (Some(pod), n) if n > 0 => {
                let slot = by_reasons
                    .entry(reasons)
                    .or_insert_with(|| (pod.clone(), 0, Vec::new()));
                if pod < &slot.0 {
                    slot.0 = pod.clone();
                }
                slot.1 += n;
                slot.2.push((w.label(), n));
            }
            // A controller's next pods are what its template would make
            // of them: mutated, they pass.
            _ if admitted_after_mutation => {}
            _ => templates.push((w.label(), reasons)),
        }
    }
    let mut groups: Vec<Group> = by_reasons
        .into_iter()
        .map(|(reasons, (pod, pods, workloads))| {
            let prefix = match pods {
                0 | 1 => pod,
                2 => format!("{pod} (and 1 other pod)"),
                n => format!("{pod} (and {} other pods)", n - 1),
            };
            Group {
                line: format!("{prefix}: {reasons}"),
                reasons,
                pods,
                workloads,
            }
        })
        .collect();
    groups.sort_by(|a, b| a.line.cmp(&b.line));
    let mut warnings = Vec::new();
    if !groups.is_empty() {
        warnings.push(format!(
            "existing pods in namespace \"{namespace}\" violate the new PodSecurity enforce level \"{level}\""
        ));
        warnings.extend(groups.iter().map(|g| g.line.clone()));
    }
    NamespaceWhatIf {
        warnings,
        groups,
        templates,
        exempt: None,
        exempt_workloads,
        mutated_workloads,
        rejected_after_mutation,
    }
}
