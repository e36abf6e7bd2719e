//! The pure policy core of rootlock: the pod model, the versioned Pod
//! Security Standards checks, the immutable family, findings, exemptions and
//! PSA message formatting. No I/O, no async: everything here is a function
//! of its input.

pub mod evaluate;
pub mod exemptions;
pub mod finding;
pub mod format;
pub mod immutable;
pub mod level;
pub mod model;
pub mod plan;
pub mod pss;
pub mod quantity;
pub mod sarif;
pub mod scope;
#[cfg(test)]
mod testing;
pub mod windows_nodes;

pub use evaluate::{Evaluation, evaluate};
pub use exemptions::Exemptions;
pub use finding::{ContainerRef, FieldPath, Finding, Origin, Seg, Severity};
pub use level::{Level, LevelVersion, Version};
pub use model::Pod;

/// Rule metadata for reports (SARIF, docs): id, one-sentence description.
pub fn rule_descriptions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = pss::registry()
        .iter()
        .map(|c| (c.id, c.description))
        .collect();
    out.extend(immutable::rules().iter().map(|r| (r.id, r.description)));
    out.push((
        exemptions::INVALID_EXEMPTION,
        "An exempt.rootlock.dev/ annotation that cannot be understood is ignored.",
    ));
    out
}
