//! `readOnlyRootFilesystem`: every container (init, regular and ephemeral)
//! must set `securityContext.readOnlyRootFilesystem: true`. Not applicable
//! to Windows pods: the API forbids the field there.

use super::ImmutableRule;
use crate::finding::Severity;
use crate::format::containers_phrase;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "readOnlyRootFilesystem",
    severity: Severity::Error,
    eval,
    container_field: &["securityContext", "readOnlyRootFilesystem"],
    description: "Containers must set securityContext.readOnlyRootFilesystem=true so that an attacker cannot drop tools or alter binaries.",
    locate: None,
};

/// Said when a manifest sets the field at pod level, where it does not exist.
pub const POD_LEVEL_FIELD_MESSAGE: &str = "spec.securityContext.readOnlyRootFilesystem is not a Kubernetes API field: the API server drops it and it protects nothing; set securityContext.readOnlyRootFilesystem=true on each container";

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.is_windows() {
        return None;
    }
    let bad: Vec<&str> = scope
        .containers(&pod.spec)
        .filter(|c| c.sc().and_then(|s| s.read_only_root_filesystem) != Some(true))
        .map(|c| c.name.as_str())
        .collect();
    (!bad.is_empty()).then(|| {
        Violation::new(
            "readOnlyRootFilesystem != true",
            format!(
                "{} must set securityContext.readOnlyRootFilesystem=true",
                containers_phrase(&bad)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn every_kind_of_container_is_checked_and_windows_is_not_applicable() {
        let mut p = pod(vec![
            with_sc("app", |s| s.read_only_root_filesystem = Some(true)),
            with_sc("side", |s| s.read_only_root_filesystem = Some(false)),
        ]);
        p.spec.init_containers.push(container("init"));
        p.spec.ephemeral_containers.push(container("debug"));
        assert_eq!(
            run(eval, &p).unwrap(),
            "readOnlyRootFilesystem != true (containers \"init\", \"side\", \"debug\" must set securityContext.readOnlyRootFilesystem=true)"
        );
        p.spec.os_name = Some("windows".into());
        assert_eq!(run(eval, &p), None);
    }
}
