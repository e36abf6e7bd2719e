//! `procMount` (baseline) and `procMount_restricted`: containers must not set
//! a non-default `procMount`. From 1.35 the baseline check allows anything
//! in a user namespace (`hostUsers: false`); the restricted one never does.

use super::{CheckVersion, PssCheck};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "procMount",
    level: Level::Baseline,
    versions: &[
        CheckVersion {
            min_minor: 0,
            overrides: &[],
            eval: v1_0,
        },
        CheckVersion {
            min_minor: 35,
            overrides: &[],
            eval: v1_35,
        },
    ],
    container_field: &["securityContext", "procMount"],
    pod_field: &["spec"],
    description: "The default /proc masks must be kept.",
    locate: None,
};

pub static RESTRICTED_CHECK: PssCheck = PssCheck {
    id: "procMount_restricted",
    level: Level::Restricted,
    versions: &[CheckVersion {
        min_minor: 35,
        overrides: &["procMount"],
        eval: v1_0,
    }],
    container_field: &["securityContext", "procMount"],
    pod_field: &["spec"],
    description: "The default /proc masks must be kept, even in a user namespace.",
    locate: None,
};

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut bad: Vec<&str> = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        if let Some(pm) = c.sc().and_then(|s| s.proc_mount.as_deref())
            && pm != "Default"
        {
            bad.push(&c.name);
            types.push(pm);
        }
    }
    (!bad.is_empty()).then(|| {
        Violation::new(
            "procMount",
            format!(
                "{} must not set securityContext.procMount to {}",
                containers_phrase(&bad),
                join_quote(&sorted_set(types))
            ),
        )
    })
}

fn v1_35(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.host_users == Some(false) {
        return None;
    }
    v1_0(pod, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages_and_user_namespace_relaxation() {
        let mut p = pod(vec![
            with_sc("a", |s| s.proc_mount = Some("Unmasked".into())),
            with_sc("b", |s| s.proc_mount = Some("Default".into())),
        ]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")"
        );
        p.spec
            .containers
            .push(with_sc("c", |s| s.proc_mount = Some("Other".into())));
        assert_eq!(
            run(v1_35, &p).unwrap(),
            "procMount (containers \"a\", \"c\" must not set securityContext.procMount to \"Other\", \"Unmasked\")"
        );
        p.spec.host_users = Some(false);
        assert_eq!(run(v1_35, &p), None);
        assert!(run(v1_0, &p).is_some());
    }
}
