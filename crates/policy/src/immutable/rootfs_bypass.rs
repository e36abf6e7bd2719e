//! `rootfsBypass`: a read-only root is only read-only if the container
//! cannot remount it. `privileged: true`, or `SYS_ADMIN` (or `ALL`) in
//! `capabilities.add`, lets it run `mount -o remount,rw /`.

use super::ImmutableRule;
use crate::finding::{FieldPath, Severity};
use crate::format::{containers_phrase, join_quote, sorted_set};
use crate::model::{Container, Pod};
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "rootfsBypass",
    severity: Severity::Error,
    eval,
    container_field: &["securityContext"],
    description: "A container with a read-only root must not be privileged or add SYS_ADMIN: either can remount the root read-write.",
    locate: Some(locate),
};

/// `privileged`, else the first capability that undoes the read-only root.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let sc = c.sc()?;
    let path = FieldPath::container(kind, index).key("securityContext");
    if sc.privileged == Some(true) {
        return Some(path.key("privileged"));
    }
    let i = sc
        .capabilities
        .as_ref()?
        .add
        .iter()
        .position(|a| remounts_root(a))?;
    Some(path.key("capabilities").key("add").index(i))
}

/// The ways this container can undo its read-only root.
fn bypasses(c: &Container) -> Vec<String> {
    let Some(sc) = c.sc() else { return Vec::new() };
    let mut out = Vec::new();
    if sc.privileged == Some(true) {
        out.push("securityContext.privileged=true".to_string());
    }
    if let Some(caps) = &sc.capabilities {
        for add in caps.add.iter().filter(|a| remounts_root(a)) {
            out.push(format!("capabilities.add {}", join_quote(&[add])));
        }
    }
    out
}

/// Whether an added capability (`capabilities.add` entry) lets the
/// container remount its root read-write: `SYS_ADMIN`, or `ALL`, in either
/// spelling and any case (the runtime accepts them all).
pub fn remounts_root(add: &str) -> bool {
    let upper = add.to_ascii_uppercase();
    let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
    name == "SYS_ADMIN" || name == "ALL"
}

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut bad: Vec<&str> = Vec::new();
    let mut causes: Vec<String> = Vec::new();
    for c in scope.containers(&pod.spec) {
        if c.sc().and_then(|s| s.read_only_root_filesystem) != Some(true) {
            continue;
        }
        let found = bypasses(c);
        if !found.is_empty() {
            bad.push(&c.name);
            causes.extend(found);
        }
    }
    (!bad.is_empty()).then(|| {
        Violation::new(
            "readOnlyRootFilesystem bypass",
            format!(
                "{} can remount the read-only root filesystem read-write: {}",
                containers_phrase(&bad),
                sorted_set(causes).join(", ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Capabilities;
    use crate::testing::*;

    #[test]
    fn privileged_and_sys_admin_undo_a_read_only_root() {
        let p = pod(vec![
            with_sc("a", |s| {
                s.read_only_root_filesystem = Some(true);
                s.privileged = Some(true);
            }),
            with_sc("b", |s| {
                s.read_only_root_filesystem = Some(true);
                s.capabilities = Some(Capabilities {
                    add: vec!["cap_sys_admin".into()],
                    drop: vec![],
                });
            }),
            with_sc("c", |s| s.privileged = Some(true)),
        ]);
        assert_eq!(
            run(eval, &p).unwrap(),
            "readOnlyRootFilesystem bypass (containers \"a\", \"b\" can remount the read-only root filesystem read-write: capabilities.add \"cap_sys_admin\", securityContext.privileged=true)"
        );
        let ok = pod(vec![with_sc("a", |s| {
            s.read_only_root_filesystem = Some(true);
            s.capabilities = Some(Capabilities {
                add: vec!["NET_BIND_SERVICE".into()],
                drop: vec!["ALL".into()],
            });
        })]);
        assert_eq!(run(eval, &ok), None);
    }
}
