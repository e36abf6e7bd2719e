//! The finished inventory, arranged for the renderers: workloads sorted,
//! namespaces with their counts, recommendation and what-if result.

use crate::inventory::{Namespace, Workload};
use crate::recommend::recommend;
use crate::what_if::{NamespaceWhatIf, what_if};
use rootlock_policy::LevelVersion;
use std::ops::Range;

pub struct NamespaceReport {
    pub namespace: Namespace,
    /// This namespace's workloads in `Report::workloads`.
    pub range: Range<usize>,
    pub pods: u64,
    pub failing: usize,
    pub recommendation: String,
    pub what_if: Option<NamespaceWhatIf>,
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
    ) -> Report {
        let mut out = Vec::with_capacity(namespaces.len());
        for ns in namespaces {
            let start = workloads.partition_point(|w| w.namespace < ns.name);
            let end = workloads.partition_point(|w| w.namespace <= ns.name);
            let mine = &workloads[start..end];
            let failing = mine.iter().filter(|w| w.failing()).count();
            let recommendation = recommend(&ns, level, mine.len(), failing);
            let what_if = what_if_level.map(|lv| what_if(&ns.name, lv, mine));
            out.push(NamespaceReport {
                pods: mine.iter().map(|w| w.pods).sum(),
                namespace: ns,
                range: start..end,
                failing,
                recommendation,
                what_if,
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

    pub fn containers(&self) -> usize {
        self.workloads
            .iter()
            .filter_map(|w| w.eval.as_ref())
            .map(|e| e.containers.len())
            .sum()
    }
}
