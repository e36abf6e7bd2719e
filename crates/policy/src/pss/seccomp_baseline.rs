//! `seccompProfile_baseline`: 1.0 reads the deprecated seccomp annotations
//! (an empty value is forbidden); from 1.19 the `seccompProfile.type`
//! fields, which must not be `Unconfined` (annotations are then ignored).

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, go_quote, join_quote, pluralize, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
/// The first policy minor version that reads the `seccompProfile` fields
/// and ignores the annotations.
pub const FIELDS_FROM_MINOR: u32 = 19;

pub static CHECK: PssCheck = PssCheck {
    id: "seccompProfile_baseline",
    level: Level::Baseline,
    versions: &[
        CheckVersion {
            min_minor: 0,
            overrides: &[],
            eval: v1_0,
        },
        CheckVersion {
            min_minor: FIELDS_FROM_MINOR,
            overrides: &[],
            eval: v1_19,
        },
    ],
    container_field: &["securityContext", "seccompProfile"],
    pod_field: &["spec", "securityContext", "seccompProfile"],
    description: "Seccomp profile must not be explicitly set to Unconfined.",
    locate: Some(locate),
};

/// Before 1.19 the check reads annotations only: a finding points at the
/// subject's annotation, not at a `seccompProfile` field it ignores.
fn locate(pod: &Pod, scope: Scope, minor: u32) -> Option<FieldPath> {
    if minor >= FIELDS_FROM_MINOR {
        return None;
    }
    let key = match scope {
        Scope::Pod => POD_ANNOTATION.to_string(),
        Scope::Container(..) => {
            let (_, _, c) = scope.one_container(&pod.spec)?;
            format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name)
        }
        Scope::All => return None,
    };
    pod.annotation(&key)?;
    Some(FieldPath::annotation(&key))
}

pub fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

pub(crate) fn valid_type(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut forbidden: Vec<String> = Vec::new();
    if scope.pod()
        && let Some(v) = pod.annotation(POD_ANNOTATION)
        && !valid_annotation(v)
    {
        forbidden.push(format!("{POD_ANNOTATION}={}", go_quote(v)));
    }
    for c in scope.containers(&pod.spec) {
        let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name);
        if let Some(v) = pod.annotation(&key)
            && !valid_annotation(v)
        {
            forbidden.push(format!("{key}={}", go_quote(v)));
        }
    }
    let forbidden = sorted_set(forbidden);
    (!forbidden.is_empty()).then(|| {
        Violation::new(
            "seccompProfile",
            format!(
                "forbidden {} {}",
                pluralize("annotation", "annotations", forbidden.len()),
                forbidden.join(", ")
            ),
        )
    })
}

fn v1_19(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut setters: Vec<String> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    if scope.pod()
        && let Some(p) = pod
            .spec
            .security_context
            .as_ref()
            .and_then(|s| s.seccomp_profile.as_ref())
        && !valid_type(&p.type_)
    {
        setters.push("pod".into());
        values.push(&p.type_);
    }
    let mut bad: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        if let Some(p) = c.sc().and_then(|s| s.seccomp_profile.as_ref())
            && !valid_type(&p.type_)
        {
            bad.push(&c.name);
            values.push(&p.type_);
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    (!setters.is_empty()).then(|| {
        Violation::new(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&sorted_set(values))
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SeccompProfile;
    use crate::testing::*;

    #[test]
    fn annotation_messages() {
        let mut p = pod(vec![container("a"), container("b")]);
        p.annotations
            .push((POD_ANNOTATION.into(), "unconfined".into()));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
        );
        p.annotations
            .push((format!("{CONTAINER_ANNOTATION_PREFIX}b"), "".into()));
        p.annotations.push((
            format!("{CONTAINER_ANNOTATION_PREFIX}a"),
            "docker/default".into(),
        ));
        p.annotations.push((
            format!("{CONTAINER_ANNOTATION_PREFIX}zz"),
            "unconfined".into(),
        ));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/b=\"\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
        );
        assert_eq!(run(v1_19, &p), None, "1.19 ignores annotations");
    }

    #[test]
    fn field_messages() {
        let mut p = pod(vec![with_sc("a", |s| {
            s.seccomp_profile = Some(SeccompProfile {
                type_: "Unconfined".into(),
            })
        })]);
        assert_eq!(
            run(v1_19, &p).unwrap(),
            "seccompProfile (container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\")"
        );
        pod_sc(&mut p).seccomp_profile = Some(SeccompProfile {
            type_: "Bogus".into(),
        });
        p.spec.containers.push(with_sc("b", |s| {
            s.seccomp_profile = Some(SeccompProfile {
                type_: "Unconfined".into(),
            })
        }));
        assert_eq!(
            run(v1_19, &p).unwrap(),
            "seccompProfile (pod and containers \"a\", \"b\" must not set securityContext.seccompProfile.type to \"Bogus\", \"Unconfined\")"
        );
    }
}
