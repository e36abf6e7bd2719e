//! `runAsUser` (1.23): neither the pod nor a container may set
//! `runAsUser: 0`. From 1.35, skipped with `hostUsers: false`.

use super::{CheckVersion, PssCheck};
use crate::format::containers_phrase;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "runAsUser",
    level: Level::Restricted,
    versions: &[
        CheckVersion {
            min_minor: 23,
            overrides: &[],
            eval: v1_23,
        },
        CheckVersion {
            min_minor: 35,
            overrides: &[],
            eval: v1_35,
        },
    ],
    container_field: &["securityContext", "runAsUser"],
    pod_field: &["spec", "securityContext", "runAsUser"],
    description: "Containers must not set runAsUser to 0.",
    locate: None,
};

fn v1_23(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut setters: Vec<String> = Vec::new();
    if scope.pod()
        && pod
            .spec
            .security_context
            .as_ref()
            .and_then(|s| s.run_as_user)
            == Some(0)
    {
        setters.push("pod".into());
    }
    let bad: Vec<&str> = scope
        .containers(&pod.spec)
        .filter(|c| c.sc().and_then(|s| s.run_as_user) == Some(0))
        .map(|c| c.name.as_str())
        .collect();
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    (!setters.is_empty()).then(|| {
        Violation::new(
            "runAsUser=0",
            format!("{} must not set runAsUser=0", setters.join(" and ")),
        )
    })
}

fn v1_35(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.host_users == Some(false) {
        return None;
    }
    v1_23(pod, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages() {
        let mut p = pod(vec![
            with_sc("a", |s| s.run_as_user = Some(0)),
            with_sc("b", |s| s.run_as_user = Some(1000)),
        ]);
        assert_eq!(
            run(v1_23, &p).unwrap(),
            "runAsUser=0 (container \"a\" must not set runAsUser=0)"
        );
        pod_sc(&mut p).run_as_user = Some(0);
        p.spec.containers[1]
            .security_context
            .as_mut()
            .unwrap()
            .run_as_user = Some(0);
        assert_eq!(
            run(v1_23, &p).unwrap(),
            "runAsUser=0 (pod and containers \"a\", \"b\" must not set runAsUser=0)"
        );
        p.spec.host_users = Some(false);
        assert_eq!(run(v1_35, &p), None);
    }
}
