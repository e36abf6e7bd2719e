//! `seccompProfile_restricted` (1.19): the pod or every container must set
//! `seccompProfile.type` to `RuntimeDefault` or `Localhost`. From 1.25,
//! Windows pods are skipped.

use super::seccomp_baseline::valid_type;
use super::{CheckVersion, PssCheck};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "seccompProfile_restricted",
    level: Level::Restricted,
    versions: &[
        CheckVersion {
            min_minor: 19,
            overrides: &["seccompProfile_baseline"],
            eval: v1_19,
        },
        CheckVersion {
            min_minor: 25,
            overrides: &["seccompProfile_baseline"],
            eval: v1_25,
        },
    ],
    container_field: &["securityContext", "seccompProfile"],
    pod_field: &["spec", "securityContext", "seccompProfile"],
    description: "Seccomp profile must be explicitly set to RuntimeDefault or Localhost.",
    locate: None,
};

fn v1_19(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    let mut pod_set = false;
    if let Some(p) = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        if valid_type(&p.type_) {
            pod_set = true;
        } else if scope.pod() {
            setters.push("pod".into());
            values.push(&p.type_);
        }
    }
    let mut explicit: Vec<&str> = Vec::new();
    let mut implicit: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        match c.sc().and_then(|s| s.seccomp_profile.as_ref()) {
            Some(p) if !valid_type(&p.type_) => {
                explicit.push(&c.name);
                values.push(&p.type_);
            }
            Some(_) => {}
            None if !pod_set => implicit.push(&c.name),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        return Some(Violation::new(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&sorted_set(values))
            ),
        ));
    }
    (!implicit.is_empty()).then(|| {
        Violation::new(
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit)
            ),
        )
    })
}

fn v1_25(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.is_windows() {
        return None;
    }
    v1_19(pod, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SeccompProfile;
    use crate::testing::*;

    fn sp(t: &str) -> Option<SeccompProfile> {
        Some(SeccompProfile { type_: t.into() })
    }

    #[test]
    fn messages() {
        let mut p = pod(vec![container("a"), container("b")]);
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "seccompProfile (pod or containers \"a\", \"b\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        p.spec.containers[1].security_context = Some(Default::default());
        p.spec.containers[1]
            .security_context
            .as_mut()
            .unwrap()
            .seccomp_profile = sp("Localhost");
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "seccompProfile (pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        pod_sc(&mut p).seccomp_profile = sp("RuntimeDefault");
        assert_eq!(run(v1_25, &p), None);
        pod_sc(&mut p).seccomp_profile = sp("Unconfined");
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"
        );
        p.spec.containers[0].security_context = Some(Default::default());
        p.spec.containers[0]
            .security_context
            .as_mut()
            .unwrap()
            .seccomp_profile = sp("");
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "seccompProfile (pod and container \"a\" must not set securityContext.seccompProfile.type to \"\", \"Unconfined\")"
        );
        p.spec.os_name = Some("windows".into());
        assert_eq!(run(v1_25, &p), None);
        assert!(run(v1_19, &p).is_some());
    }
}
