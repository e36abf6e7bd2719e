//! `runAsNonRoot`: the pod or every container must set `runAsNonRoot: true`
//! and none may set it to false. From 1.35, skipped with `hostUsers: false`.

use super::{CheckVersion, PssCheck};
use crate::format::containers_phrase;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "runAsNonRoot",
    level: Level::Restricted,
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
    container_field: &["securityContext", "runAsNonRoot"],
    pod_field: &["spec", "securityContext", "runAsNonRoot"],
    description: "Containers must be required to run as non-root users.",
    locate: None,
};

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut setters: Vec<String> = Vec::new();
    let pod_value = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    if pod_value == Some(false) && scope.pod() {
        setters.push("pod".into());
    }
    let pod_true = pod_value == Some(true);
    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        match c.sc().and_then(|s| s.run_as_non_root) {
            Some(false) => explicit.push(&c.name),
            Some(true) => {}
            None if !pod_true => implicit.push(&c.name),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return Some(Violation::new(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        ));
    }
    (!implicit.is_empty()).then(|| {
        Violation::new(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
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
    fn explicit_false_wins_over_missing() {
        let mut p = pod(vec![
            container("a"),
            with_sc("b", |s| s.run_as_non_root = Some(false)),
        ]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "runAsNonRoot != true (container \"b\" must not set securityContext.runAsNonRoot=false)"
        );
        pod_sc(&mut p).run_as_non_root = Some(false);
        p.spec
            .containers
            .push(with_sc("c", |s| s.run_as_non_root = Some(false)));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "runAsNonRoot != true (pod and containers \"b\", \"c\" must not set securityContext.runAsNonRoot=false)"
        );
    }

    #[test]
    fn missing_values_and_pod_level_cover() {
        let mut p = pod(vec![container("a"), container("b")]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "runAsNonRoot != true (pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true)"
        );
        p.spec.containers[1].security_context = Some(Default::default());
        p.spec.containers[1]
            .security_context
            .as_mut()
            .unwrap()
            .run_as_non_root = Some(true);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)"
        );
        pod_sc(&mut p).run_as_non_root = Some(true);
        assert_eq!(run(v1_0, &p), None);
        pod_sc(&mut p).run_as_non_root = None;
        p.spec.host_users = Some(false);
        assert_eq!(run(v1_35, &p), None);
        assert!(run(v1_0, &p).is_some());
    }
}
