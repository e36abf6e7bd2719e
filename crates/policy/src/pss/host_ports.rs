//! `hostPorts`: no container port may set `hostPort`.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, pluralize, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "hostPorts",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &["ports"],
    pod_field: &["spec"],
    description: "HostPorts should be disallowed entirely.",
    locate: Some(locate),
};

/// The container's first non-zero hostPort.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let port = c.host_ports.iter().position(|p| *p != 0)?;
    Some(
        FieldPath::container(kind, index)
            .key("ports")
            .index(port)
            .key("hostPort"),
    )
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut bad: Vec<&str> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let before = ports.len();
        ports.extend(
            c.host_ports
                .iter()
                .filter(|p| **p != 0)
                .map(|p| p.to_string()),
        );
        if ports.len() > before {
            bad.push(&c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    // Go's sets.String sorts lexically: "10" < "8080" < "9".
    let ports = sorted_set(ports);
    Some(Violation::new(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn with_ports(name: &str, ports: &[i64]) -> crate::model::Container {
        let mut c = container(name);
        c.host_ports = ports.to_vec();
        c
    }

    #[test]
    fn verb_follows_containers_and_noun_follows_ports() {
        let p = pod(vec![with_ports("a", &[80, 0])]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostPort (container \"a\" uses hostPort 80)"
        );
        let p = pod(vec![with_ports("a", &[9, 8080])]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostPort (container \"a\" uses hostPorts 8080, 9)"
        );
        let p = pod(vec![with_ports("a", &[10]), with_ports("b", &[10])]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostPort (containers \"a\", \"b\" use hostPort 10)"
        );
        let p = pod(vec![with_ports("a", &[0])]);
        assert_eq!(run(v1_0, &p), None);
    }
}
