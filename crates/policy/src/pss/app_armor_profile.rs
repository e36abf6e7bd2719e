//! `appArmorProfile`: pod and container `appArmorProfile.type` must be
//! `RuntimeDefault` or `Localhost`; the deprecated per-container annotations
//! must be empty, `runtime/default` or `localhost/*`.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, go_quote, join_quote, pluralize, sorted_set};
use crate::level::Level;
use crate::model::{AppArmorProfile, Pod};
use crate::scope::{Scope, Violation};

pub const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

pub static CHECK: PssCheck = PssCheck {
    id: "appArmorProfile",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &["securityContext", "appArmorProfile"],
    pod_field: &["spec", "securityContext", "appArmorProfile"],
    description: "AppArmor may not be disabled or set to a custom profile other than RuntimeDefault or Localhost.",
    locate: Some(locate),
};

/// A pod whose own field is fine but whose annotations are not: the first
/// bad annotation (in the message's order), not a field it does not have.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let pod_field_bad = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.as_ref())
        .is_some_and(|p| !allowed_profile(p));
    if !scope.pod() || pod_field_bad {
        return None;
    }
    pod.annotations
        .iter()
        .filter(|(k, v)| k.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(v))
        .map(|(k, _)| k)
        .min()
        .map(|k| FieldPath::annotation(k))
}

fn allowed_profile(p: &AppArmorProfile) -> bool {
    p.type_ == "RuntimeDefault" || p.type_ == "Localhost"
}

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut setters: Vec<String> = Vec::new();
    let mut bad_values: Vec<String> = Vec::new();
    if scope.pod()
        && let Some(p) = pod
            .spec
            .security_context
            .as_ref()
            .and_then(|s| s.app_armor_profile.as_ref())
        && !allowed_profile(p)
    {
        setters.push("pod".into());
        bad_values.push(p.type_.clone());
    }
    let mut bad_containers: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        if let Some(p) = c.sc().and_then(|s| s.app_armor_profile.as_ref())
            && !allowed_profile(p)
        {
            bad_containers.push(&c.name);
            bad_values.push(p.type_.clone());
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    let mut bad_values = sorted_set(bad_values);
    if scope.pod() {
        let mut forbidden: Vec<String> = pod
            .annotations
            .iter()
            .filter(|(k, v)| k.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(v))
            .map(|(k, v)| format!("{k}={}", go_quote(v)))
            .collect();
        if !forbidden.is_empty() {
            forbidden.sort();
            setters.push(pluralize("annotation", "annotations", forbidden.len()).into());
            bad_values.extend(forbidden);
        }
    }
    (!setters.is_empty()).then(|| {
        Violation::new(
            pluralize(
                "forbidden AppArmor profile",
                "forbidden AppArmor profiles",
                bad_values.len(),
            ),
            format!(
                "{} must not set AppArmor profile type to {}",
                setters.join(" and "),
                join_quote(&bad_values)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn aa(t: &str) -> Option<AppArmorProfile> {
        Some(AppArmorProfile { type_: t.into() })
    }

    #[test]
    fn field_messages() {
        let mut p = pod(vec![with_sc("a", |s| {
            s.app_armor_profile = aa("Unconfined")
        })]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "forbidden AppArmor profile (container \"a\" must not set AppArmor profile type to \"Unconfined\")"
        );
        pod_sc(&mut p).app_armor_profile = aa("Other");
        p.spec
            .containers
            .push(with_sc("b", |s| s.app_armor_profile = aa("Unconfined")));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "forbidden AppArmor profiles (pod and containers \"a\", \"b\" must not set AppArmor profile type to \"Other\", \"Unconfined\")"
        );
        let ok = pod(vec![with_sc("a", |s| {
            s.app_armor_profile = aa("Localhost")
        })]);
        assert_eq!(run(v1_0, &ok), None);
    }

    #[test]
    fn annotation_messages_use_go_quoting() {
        let mut p = pod(vec![container("c1")]);
        p.annotations
            .push((format!("{ANNOTATION_PREFIX}c1"), "unconfined".into()));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/c1=\"unconfined\"\")"
        );
        p.annotations
            .push((format!("{ANNOTATION_PREFIX}c0"), "a\"b".into()));
        p.annotations
            .push((format!("{ANNOTATION_PREFIX}c2"), "localhost/x".into()));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "forbidden AppArmor profiles (annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/c0=\"a\\\"b\"\", \"container.apparmor.security.beta.kubernetes.io/c1=\"unconfined\"\")"
        );
    }
}
