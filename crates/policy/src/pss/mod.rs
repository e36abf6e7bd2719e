//! The Pod Security Standards checks, versioned as in Pod Security Admission.
//!
//! Each check lives in its own file and declares its versions; this module
//! holds the registry, the per-level/version selection (with restricted
//! checks overriding baseline ones) and PSA's result ordering.

mod allow_privilege_escalation;
mod app_armor_profile;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes;
mod privileged;
mod proc_mount;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod se_linux_options;
mod seccomp_baseline;
mod seccomp_restricted;
mod sysctls;
mod windows_host_process;

/// The deprecated seccomp annotations policy v1.0–v1.18 judges, for
/// `fix`, which must recognise what that check rejects.
pub use seccomp_baseline::{
    CONTAINER_ANNOTATION_PREFIX as SECCOMP_CONTAINER_ANNOTATION_PREFIX,
    FIELDS_FROM_MINOR as SECCOMP_FIELDS_FROM_MINOR, POD_ANNOTATION as SECCOMP_POD_ANNOTATION,
    valid_annotation as valid_seccomp_annotation,
};

use crate::finding::FieldPath;
use crate::level::{Level, MAX_MINOR, Version};
use crate::model::Pod;
use crate::scope::{CheckFn, Scope, Violation};
use std::sync::OnceLock;

/// One implementation of a check, used from `min_minor` until a newer one.
pub struct CheckVersion {
    pub min_minor: u32,
    /// Baseline check ids this restricted implementation replaces.
    pub overrides: &'static [&'static str],
    pub eval: CheckFn,
}

/// A check: its PSA id, level, versions, and where in a pod it points.
pub struct PssCheck {
    pub id: &'static str,
    pub level: Level,
    pub versions: &'static [CheckVersion],
    /// Field (below a container) a finding points at.
    pub container_field: &'static [&'static str],
    /// Field (below the pod object) a pod-level finding points at.
    pub pod_field: &'static [&'static str],
    /// One sentence for rule metadata (SARIF, docs).
    pub description: &'static str,
    /// Where one subject's finding points when that depends on the pod:
    /// which annotation, volume, port or sysctl offends. `None` (or no
    /// answer) falls back to `pod_field` / `container_field`.
    pub locate: Option<LocateFn>,
}

/// Points a subject's finding at the entry that offends, at a policy minor
/// version; the path is relative to the pod, like `pod_field`.
pub type LocateFn = fn(&Pod, Scope, u32) -> Option<FieldPath>;

impl PssCheck {
    /// The implementation in force at `minor`, if the check exists there.
    pub fn at(&self, minor: u32) -> Option<&CheckVersion> {
        self.versions.iter().rev().find(|v| v.min_minor <= minor)
    }
}

/// Every check, in PSA's result order: baseline ids then restricted ids,
/// each sorted by byte order.
pub fn registry() -> &'static [&'static PssCheck] {
    static REGISTRY: OnceLock<Vec<&'static PssCheck>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut all: Vec<&'static PssCheck> = vec![
            &app_armor_profile::CHECK,
            &capabilities_baseline::CHECK,
            &host_namespaces::CHECK,
            &host_path_volumes::CHECK,
            &host_ports::CHECK,
            &host_probes::CHECK,
            &privileged::CHECK,
            &proc_mount::CHECK,
            &se_linux_options::CHECK,
            &seccomp_baseline::CHECK,
            &sysctls::CHECK,
            &windows_host_process::CHECK,
            &allow_privilege_escalation::CHECK,
            &capabilities_restricted::CHECK,
            &proc_mount::RESTRICTED_CHECK,
            &restricted_volumes::CHECK,
            &run_as_non_root::CHECK,
            &run_as_user::CHECK,
            &seccomp_restricted::CHECK,
        ];
        all.sort_by(|a, b| (a.level, a.id.as_bytes()).cmp(&(b.level, b.id.as_bytes())));
        all
    })
}

/// Looks a check up by id.
pub fn check(id: &str) -> Option<&'static PssCheck> {
    registry().iter().copied().find(|c| c.id == id)
}

/// The checks (with the implementation in force) that a PSS level runs at
/// a version, in result order. `Immutable` runs what `Restricted` runs.
pub fn checks_for(
    level: Level,
    version: Version,
) -> &'static [(&'static PssCheck, &'static CheckVersion)] {
    type Table = Vec<Vec<(&'static PssCheck, &'static CheckVersion)>>;
    static TABLE: OnceLock<[Table; 2]> = OnceLock::new();
    let tables = TABLE.get_or_init(|| {
        let build =
            |level: Level| -> Table { (0..=MAX_MINOR).map(|minor| select(level, minor)).collect() };
        [build(Level::Baseline), build(Level::Restricted)]
    });
    let minor = version.effective_minor() as usize;
    match level.pss_level() {
        Level::Privileged => &[],
        Level::Baseline => &tables[0][minor],
        _ => &tables[1][minor],
    }
}

fn select(level: Level, minor: u32) -> Vec<(&'static PssCheck, &'static CheckVersion)> {
    let active: Vec<(&'static PssCheck, &'static CheckVersion)> = registry()
        .iter()
        .filter(|c| c.level <= level)
        .filter_map(|c| c.at(minor).map(|v| (*c, v)))
        .collect();
    let overridden: Vec<&str> = active
        .iter()
        .flat_map(|(_, v)| v.overrides.iter().copied())
        .collect();
    active
        .into_iter()
        .filter(|(c, _)| !overridden.contains(&c.id))
        .collect()
}

/// One failed check with PSA's reason and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub id: &'static str,
    pub violation: Violation,
}

/// Runs every check of `level` at `version` over the whole pod.
pub fn evaluate(pod: &Pod, level: Level, version: Version) -> Vec<CheckResult> {
    checks_for(level, version)
        .iter()
        .filter_map(|(check, imp)| {
            (imp.eval)(pod, Scope::All).map(|violation| CheckResult {
                id: check.id,
                violation,
            })
        })
        .collect()
}

/// PSA's aggregate: `reason (detail), reason (detail)`; an empty reason
/// becomes `unknown forbidden reason`.
pub fn aggregate(results: &[CheckResult]) -> String {
    let mut out = String::new();
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if r.violation.reason.is_empty() {
            out.push_str("unknown forbidden reason");
        } else {
            out.push_str(&r.violation.reason);
        }
        if !r.violation.detail.is_empty() {
            out.push_str(" (");
            out.push_str(&r.violation.detail);
            out.push(')');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(level: Level, minor: u32) -> Vec<&'static str> {
        checks_for(level, Version::Minor(u64::from(minor)))
            .iter()
            .map(|(c, _)| c.id)
            .collect()
    }

    #[test]
    fn result_order_is_baseline_then_restricted_by_bytes() {
        assert_eq!(
            ids(Level::Restricted, 37),
            vec![
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "procMount_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted",
            ]
        );
    }

    #[test]
    fn overrides_only_apply_once_the_restricted_check_exists() {
        let v18 = ids(Level::Restricted, 18);
        assert!(v18.contains(&"capabilities_baseline"));
        assert!(v18.contains(&"seccompProfile_baseline"));
        assert!(
            !v18.contains(&"allowPrivilegeEscalation") || v18.contains(&"allowPrivilegeEscalation")
        );
        assert!(!ids(Level::Restricted, 7).contains(&"allowPrivilegeEscalation"));
        assert!(ids(Level::Restricted, 8).contains(&"allowPrivilegeEscalation"));
        assert!(!ids(Level::Restricted, 22).contains(&"capabilities_baseline"));
        assert!(ids(Level::Restricted, 34).contains(&"procMount"));
        assert!(!ids(Level::Restricted, 35).contains(&"procMount"));
        assert!(!ids(Level::Baseline, 33).contains(&"hostProbesAndHostLifecycle"));
        assert!(ids(Level::Baseline, 34).contains(&"hostProbesAndHostLifecycle"));
        assert!(ids(Level::Baseline, 37).contains(&"procMount"));
        assert!(checks_for(Level::Privileged, Version::Latest).is_empty());
    }

    #[test]
    fn aggregate_formats_like_psa() {
        let rs = vec![
            CheckResult {
                id: "a",
                violation: Violation::new("r1", "d1"),
            },
            CheckResult {
                id: "b",
                violation: Violation::new("r2", ""),
            },
            CheckResult {
                id: "c",
                violation: Violation::new("", "d3"),
            },
        ];
        assert_eq!(aggregate(&rs), "r1 (d1), r2, unknown forbidden reason (d3)");
    }
}
