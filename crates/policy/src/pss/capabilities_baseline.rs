//! `capabilities_baseline`: `capabilities.add` may only hold the default
//! capability set (case-sensitive: `chown` and `CAP_CHOWN` are not allowed).

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "capabilities_baseline",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &["securityContext", "capabilities", "add"],
    pod_field: &["spec"],
    description: "Adding capabilities beyond the default set must be disallowed.",
    locate: Some(|pod, scope, _| first_added(pod, scope, |a| !ALLOWED.contains(&a))),
};

/// The first capability the container in `scope` adds that `bad` refuses.
pub(super) fn first_added(
    pod: &Pod,
    scope: Scope,
    bad: impl Fn(&str) -> bool,
) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let add = &c.sc()?.capabilities.as_ref()?.add;
    let i = add.iter().position(|a| bad(a))?;
    Some(
        FieldPath::container(kind, index)
            .extend(&["securityContext", "capabilities", "add"])
            .index(i),
    )
}

const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut bad: Vec<&str> = Vec::new();
    let mut caps: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let Some(cap) = c.sc().and_then(|s| s.capabilities.as_ref()) else {
            continue;
        };
        let before = caps.len();
        caps.extend(
            cap.add
                .iter()
                .map(String::as_str)
                .filter(|a| !ALLOWED.contains(a)),
        );
        if caps.len() > before {
            bad.push(&c.name);
        }
    }
    (!bad.is_empty()).then(|| {
        Violation::new(
            "non-default capabilities",
            format!(
                "{} must not include {} in securityContext.capabilities.add",
                containers_phrase(&bad),
                join_quote(&sorted_set(caps))
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Capabilities;
    use crate::testing::*;

    fn adds(name: &str, add: &[&str]) -> crate::model::Container {
        with_sc(name, |s| {
            s.capabilities = Some(Capabilities {
                add: add.iter().map(|s| s.to_string()).collect(),
                drop: vec![],
            })
        })
    }

    #[test]
    fn messages() {
        let p = pod(vec![adds("a", &["NET_ADMIN", "CHOWN"])]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "non-default capabilities (container \"a\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)"
        );
        let p = pod(vec![
            adds("a", &["chown", "SYS_ADMIN"]),
            adds("b", &["CAP_CHOWN", "SYS_ADMIN"]),
            adds("c", &["KILL"]),
        ]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "non-default capabilities (containers \"a\", \"b\" must not include \"CAP_CHOWN\", \"SYS_ADMIN\", \"chown\" in securityContext.capabilities.add)"
        );
    }
}
