//! `seLinuxOptions`: the SELinux type must be a container type and `user`
//! and `role` must be empty. 1.31 adds `container_engine_t`.

use super::{CheckVersion, PssCheck};
use crate::format::{containers_phrase, join_quote, pluralize, sorted_set};
use crate::level::Level;
use crate::model::{Pod, SeLinuxOptions};
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "seLinuxOptions",
    level: Level::Baseline,
    versions: &[
        CheckVersion {
            min_minor: 0,
            overrides: &[],
            eval: v1_0,
        },
        CheckVersion {
            min_minor: 31,
            overrides: &[],
            eval: v1_31,
        },
    ],
    container_field: &["securityContext", "seLinuxOptions"],
    pod_field: &["spec", "securityContext", "seLinuxOptions"],
    description: "Setting a custom SELinux user or role, or a non-container type, is forbidden.",
    locate: None,
};

const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, TYPES_1_0)
}

fn v1_31(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, TYPES_1_31)
}

#[derive(Default)]
struct Bad<'a> {
    types: Vec<&'a str>,
    user: bool,
    role: bool,
}

impl<'a> Bad<'a> {
    /// Records what is wrong with `o`; true when something is.
    fn record(&mut self, o: &'a SeLinuxOptions, allowed: &[&str]) -> bool {
        let mut valid = true;
        if !allowed.contains(&o.type_.as_str()) {
            valid = false;
            self.types.push(&o.type_);
        }
        if !o.user.is_empty() {
            valid = false;
            self.user = true;
        }
        if !o.role.is_empty() {
            valid = false;
            self.role = true;
        }
        !valid
    }
}

fn check(pod: &Pod, scope: Scope, allowed: &[&str]) -> Option<Violation> {
    let mut bad = Bad::default();
    let mut setters: Vec<String> = Vec::new();
    if scope.pod()
        && let Some(o) = pod
            .spec
            .security_context
            .as_ref()
            .and_then(|s| s.se_linux_options.as_ref())
        && bad.record(o, allowed)
    {
        setters.push("pod".into());
    }
    let mut containers: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        if let Some(o) = c.sc().and_then(|s| s.se_linux_options.as_ref())
            && bad.record(o, allowed)
        {
            containers.push(&c.name);
        }
    }
    if !containers.is_empty() {
        setters.push(containers_phrase(&containers));
    }
    if setters.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let types = sorted_set(bad.types);
    if !types.is_empty() {
        parts.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if bad.user {
        parts.push("user may not be set".into());
    }
    if bad.role {
        parts.push("role may not be set".into());
    }
    Some(Violation::new(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            parts.join("; ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn se(t: &str, user: &str, role: &str) -> Option<SeLinuxOptions> {
        Some(SeLinuxOptions {
            type_: t.into(),
            user: user.into(),
            role: role.into(),
            level: String::new(),
        })
    }

    #[test]
    fn messages() {
        let mut p = pod(vec![with_sc("a", |s| {
            s.se_linux_options = se("bad_t", "", "")
        })]);
        assert_eq!(
            run(v1_31, &p).unwrap(),
            "seLinuxOptions (container \"a\" set forbidden securityContext.seLinuxOptions: type \"bad_t\")"
        );
        pod_sc(&mut p).se_linux_options = se("x_t", "u", "r");
        p.spec.containers.push(with_sc("b", |s| {
            s.se_linux_options = se("container_t", "u", "")
        }));
        assert_eq!(
            run(v1_31, &p).unwrap(),
            "seLinuxOptions (pod and containers \"a\", \"b\" set forbidden securityContext.seLinuxOptions: types \"bad_t\", \"x_t\"; user may not be set; role may not be set)"
        );
    }

    #[test]
    fn container_engine_t_is_allowed_from_1_31() {
        let p = pod(vec![with_sc("a", |s| {
            s.se_linux_options = se("container_engine_t", "", "")
        })]);
        assert!(run(v1_0, &p).is_some());
        assert_eq!(run(v1_31, &p), None);
    }
}
