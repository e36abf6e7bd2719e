//! `hostNamespaces`: no `hostNetwork`, `hostPID` or `hostIPC`.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "hostNamespaces",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &[],
    pod_field: &["spec"],
    description: "Sharing the host namespaces must be disallowed.",
    locate: Some(locate),
};

/// The first host namespace the pod shares.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let s = &pod.spec;
    let field = [
        (s.host_network, "hostNetwork"),
        (s.host_pid, "hostPID"),
        (s.host_ipc, "hostIPC"),
    ]
    .into_iter()
    .find_map(|(on, field)| on.then_some(field))?;
    scope.pod().then(|| FieldPath::keys(&["spec", field]))
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    if !scope.pod() {
        return None;
    }
    let s = &pod.spec;
    let set: Vec<&str> = [
        (s.host_network, "hostNetwork=true"),
        (s.host_pid, "hostPID=true"),
        (s.host_ipc, "hostIPC=true"),
    ]
    .into_iter()
    .filter_map(|(on, text)| on.then_some(text))
    .collect();
    (!set.is_empty()).then(|| Violation::new("host namespaces", set.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages_in_fixed_order() {
        let mut p = pod(vec![container("a")]);
        assert_eq!(run(v1_0, &p), None);
        p.spec.host_ipc = true;
        assert_eq!(run(v1_0, &p).unwrap(), "host namespaces (hostIPC=true)");
        p.spec.host_network = true;
        p.spec.host_pid = true;
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"
        );
        assert_eq!(
            v1_0(
                &p,
                Scope::Container(crate::model::ContainerKind::Regular, 0)
            ),
            None
        );
    }
}
