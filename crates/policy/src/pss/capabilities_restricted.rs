//! `capabilities_restricted` (1.22): every container must drop `ALL` and may
//! add only `NET_BIND_SERVICE`. From 1.25, Windows pods are skipped.

use super::capabilities_baseline::first_added;
use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "capabilities_restricted",
    level: Level::Restricted,
    versions: &[
        CheckVersion {
            min_minor: 22,
            overrides: &["capabilities_baseline"],
            eval: v1_22,
        },
        CheckVersion {
            min_minor: 25,
            overrides: &["capabilities_baseline"],
            eval: v1_25,
        },
    ],
    container_field: &["securityContext", "capabilities"],
    pod_field: &["spec"],
    description: "Containers must drop ALL capabilities and may only add back NET_BIND_SERVICE.",
    locate: Some(locate),
};

/// `drop`, where `ALL` is missing from it; else the first capability
/// added. No `capabilities` at all keeps the fixed field.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let cap = c.sc()?.capabilities.as_ref()?;
    if !cap.drop.iter().any(|d| d == "ALL") {
        return Some(FieldPath::container(kind, index).extend(&[
            "securityContext",
            "capabilities",
            "drop",
        ]));
    }
    first_added(pod, scope, |a| a != "NET_BIND_SERVICE")
}

fn v1_22(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut missing_drop: Vec<&str> = Vec::new();
    let mut adding: Vec<&str> = Vec::new();
    let mut caps: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let Some(cap) = c.sc().and_then(|s| s.capabilities.as_ref()) else {
            missing_drop.push(&c.name);
            continue;
        };
        // Case-sensitive: `all` does not drop anything as far as PSA is concerned.
        if !cap.drop.iter().any(|d| d == "ALL") {
            missing_drop.push(&c.name);
        }
        let before = caps.len();
        caps.extend(
            cap.add
                .iter()
                .map(String::as_str)
                .filter(|a| *a != "NET_BIND_SERVICE"),
        );
        if caps.len() > before {
            adding.push(&c.name);
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !missing_drop.is_empty() {
        parts.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        parts.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&sorted_set(caps))
        ));
    }
    (!parts.is_empty()).then(|| Violation::new("unrestricted capabilities", parts.join("; ")))
}

fn v1_25(pod: &Pod, scope: Scope) -> Option<Violation> {
    if pod.spec.is_windows() {
        return None;
    }
    v1_22(pod, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Capabilities;
    use crate::testing::*;

    fn caps(name: &str, add: &[&str], drop: &[&str]) -> crate::model::Container {
        with_sc(name, |s| {
            s.capabilities = Some(Capabilities {
                add: add.iter().map(|s| s.to_string()).collect(),
                drop: drop.iter().map(|s| s.to_string()).collect(),
            })
        })
    }

    #[test]
    fn messages() {
        let p = pod(vec![container("a")]);
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"])"
        );
        let p = pod(vec![
            caps("a", &["NET_BIND_SERVICE"], &["all"]),
            caps("b", &["SYS_ADMIN", "CHOWN"], &["ALL"]),
            caps("c", &["CHOWN"], &[]),
        ]);
        assert_eq!(
            run(v1_25, &p).unwrap(),
            "unrestricted capabilities (containers \"a\", \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"b\", \"c\" must not include \"CHOWN\", \"SYS_ADMIN\" in securityContext.capabilities.add)"
        );
        let ok = pod(vec![caps("a", &["NET_BIND_SERVICE"], &["ALL"])]);
        assert_eq!(run(v1_25, &ok), None);
        let mut win = pod(vec![container("a")]);
        win.spec.os_name = Some("windows".into());
        assert_eq!(run(v1_25, &win), None);
        assert!(run(v1_22, &win).is_some());
    }
}
