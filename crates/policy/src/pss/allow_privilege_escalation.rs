//! `allowPrivilegeEscalation`: every container must set it to `false`
//! explicitly. From 1.25, Windows pods are skipped.

use super::{CheckVersion, PssCheck};
use crate::format::containers_phrase;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "allowPrivilegeEscalation",
    level: Level::Restricted,
    versions: &[
        CheckVersion {
            min_minor: 8,
            overrides: &[],
            eval: v1_8,
        },
        CheckVersion {
            min_minor: 25,
            overrides: &[],
            eval: v1_25,
        },
    ],
    container_field: &["securityContext", "allowPrivilegeEscalation"],
    pod_field: &["spec"],
    description: "Containers must set securityContext.allowPrivilegeEscalation=false.",
    locate: None,
};

fn v1_8(pod: &Pod, scope: Scope) -> Option<Violation> {
    let bad: Vec<&str> = scope
        .containers(&pod.spec)
        .filter(|c| c.sc().and_then(|s| s.allow_privilege_escalation) != Some(false))
        .map(|c| c.name.as_str())
        .collect();
    (!bad.is_empty()).then(|| {
        Violation::new(
            "allowPrivilegeEscalation != false",
            format!(
                "{} must set securityContext.allowPrivilegeEscalation=false",
                containers_phrase(&bad)
            ),
        )
    })
}

fn v1_25(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.is_windows() {
        return None;
    }
    v1_8(pod, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages_and_windows_skip() {
        let mut p = pod(vec![
            container("a"),
            with_sc("b", |s| s.allow_privilege_escalation = Some(true)),
            with_sc("c", |s| s.allow_privilege_escalation = Some(false)),
        ]);
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false)"
        );
        p.spec.containers.truncate(1);
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "allowPrivilegeEscalation != false (container \"a\" must set securityContext.allowPrivilegeEscalation=false)"
        );
        p.spec.os_name = Some("windows".into());
        assert_eq!(run(v1_25, &p), None);
        assert!(
            run(v1_8, &p).is_some(),
            "before 1.25 Windows is not skipped"
        );
    }
}
