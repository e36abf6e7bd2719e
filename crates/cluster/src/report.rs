//! The finished inventory, arranged for the renderers: workloads sorted,
//! namespaces with their counts, recommendation and what-if result.

use crate::inventory::{Namespace, Workload};
use crate::recommend::{Failing, recommend};
use crate::webhook_policy::{WebhookPolicy, webhook_policy};
use crate::what_if::{NamespaceWhatIf, what_if};
use rootlock_policy::LevelVersion;
use rootlock_webhook::config::Config;
use std::ops::Range;

pub struct NamespaceReport {
    pub namespace: Namespace,
    /// This namespace's entries in `Report::workloads`.
    pub range: Range<usize>,
    /// Workloads, not entries: a workload whose revisions judge differently
    /// has an entry per revision.
    pub workloads: usize,
    pub pods: u64,
    /// Workloads with any failing entry.
    pub failing: usize,
    pub recommendation: String,
    pub what_if: Option<NamespaceWhatIf>,
    /// What the webhook of `--config` applies here; `None` without it.
    pub webhook: Option<WebhookPolicy>,
}

pub struct Report {
    pub level: LevelVersion,
    pub what_if: Option<LevelVersion>,
    pub namespaces: Vec<NamespaceReport>,
    pub workloads: Vec<Workload>,
    pub pods: u64,
    pub errors: Vec<String>,
}

impl Report {
    /// `workloads` must be sorted by namespace (as `Inventory::finish` does).
    pub fn build(
        level: LevelVersion,
        what_if_level: Option<LevelVersion>,
        namespaces: Vec<Namespace>,
        workloads: Vec<Workload>,
        pods: u64,
        errors: Vec<String>,
        config: Option<&Config>,
    ) -> Report {
        let mut out = Vec::with_capacity(namespaces.len());
        for ns in namespaces {
            let start = workloads.partition_point(|w| w.namespace < ns.name);
            let end = workloads.partition_point(|w| w.namespace <= ns.name);
            let mine = &workloads[start..end];
            let (count, failing) = count_workloads(mine);
            let webhook = config.map(|c| webhook_policy(&ns, c));
            let recommendation = recommend(&ns, level, count, failing, webhook.as_ref());
            let failing = failing.all;
            let exempt = webhook.as_ref().is_some_and(|p| p.exempt);
            let what_if = what_if_level.map(|lv| {
                if exempt {
                    NamespaceWhatIf::exempt_namespace()
                } else {
                    what_if(&ns.name, lv, mine)
                }
            });
            out.push(NamespaceReport {
                pods: mine.iter().map(|w| w.pods).sum(),
                namespace: ns,
                range: start..end,
                workloads: count,
                failing,
                recommendation,
                what_if,
                webhook,
            });
        }
        Report {
            level,
            what_if: what_if_level,
            namespaces: out,
            workloads,
            pods,
            errors,
        }
    }

    pub fn failing(&self) -> usize {
        self.namespaces.iter().map(|n| n.failing).sum()
    }

    /// Workloads, not entries (see [`NamespaceReport::workloads`]).
    pub fn workload_count(&self) -> usize {
        self.namespaces.iter().map(|n| n.workloads).sum()
    }

    pub fn containers(&self) -> usize {
        self.workloads
            .iter()
            .filter_map(|w| w.eval.as_ref())
            .map(|e| e.containers.len())
            .sum()
    }
}

/// Workloads and failing workloads among entries where a workload's entries
/// are adjacent (as `Inventory::finish` sorts them); of the failing, those
/// whose every failing entry the webhook's mutation fixes.
fn count_workloads(entries: &[Workload]) -> (usize, Failing) {
    let mut failing = Failing::default();
    let mut all = 0;
    for rows in entries.chunk_by(|a, b| a.uid == b.uid) {
        all += 1;
        let mut failing_rows = rows.iter().filter(|w| w.failing()).peekable();
        if failing_rows.peek().is_none() {
            continue;
        }
        failing.all += 1;
        let sources: Option<Vec<&'static str>> = failing_rows
            .map(|w| w.eval.as_ref().and_then(|e| e.fixed_by_mutation))
            .collect();
        // One namespace, one reason it is mutated.
        if let Some(&source) = sources.as_ref().and_then(|s| s.first()) {
            let (n, _) = failing.fixed_by_mutation.get_or_insert((0, source));
            *n += 1;
        }
    }
    (all, failing)
}
