//! `hostProbesAndHostLifecycle` (1.34): probes and lifecycle hooks must not
//! set `httpGet.host` or `tcpSocket.host`.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{containers_phrase, join_quote, pluralize, sorted_set};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "hostProbesAndHostLifecycle",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 34,
        overrides: &[],
        eval: v1_34,
    }],
    container_field: &[],
    pod_field: &["spec"],
    description: "Probes and lifecycle handlers must not target a host other than the pod.",
    locate: Some(locate),
};

/// The container's first handler that names a host.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let p = c.probe_hosts.iter().find(|p| !p.host.is_empty())?;
    Some(FieldPath::container(kind, index).extend(&p.field))
}

fn v1_34(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut containers: Vec<String> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let before = hosts.len();
        hosts.extend(
            c.probe_hosts
                .iter()
                .filter(|p| !p.host.is_empty())
                .map(|p| p.host.clone()),
        );
        if hosts.len() > before {
            containers.push(c.name.clone());
        }
    }
    if containers.is_empty() {
        return None;
    }
    // Unlike the other checks, the container names are a sorted set here.
    let containers = sorted_set(containers);
    let hosts = sorted_set(hosts);
    Some(Violation::new(
        "probe or lifecycle host",
        format!(
            "{} {} probe or lifecycle {} {}",
            containers_phrase(&containers),
            pluralize("uses", "use", containers.len()),
            pluralize("host", "hosts", hosts.len()),
            join_quote(&hosts)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn probing(name: &str, hosts: &[&str]) -> crate::model::Container {
        let mut c = container(name);
        c.probe_hosts = hosts
            .iter()
            .map(|s| crate::model::ProbeHost {
                host: s.to_string(),
                field: vec!["readinessProbe", "httpGet", "host"],
            })
            .collect();
        c
    }

    #[test]
    fn containers_are_sorted_and_deduplicated() {
        let p = pod(vec![probing("a", &["example.com"])]);
        assert_eq!(
            run(v1_34, &p).unwrap(),
            "probe or lifecycle host (container \"a\" uses probe or lifecycle host \"example.com\")"
        );
        let mut p = pod(vec![
            probing("z", &["b.com", "a.com"]),
            probing("a", &["a.com"]),
        ]);
        p.spec.init_containers.push(probing("z", &["a.com"]));
        assert_eq!(
            run(v1_34, &p).unwrap(),
            "probe or lifecycle host (containers \"a\", \"z\" use probe or lifecycle hosts \"a.com\", \"b.com\")"
        );
        assert_eq!(run(v1_34, &pod(vec![probing("a", &[""])])), None);
    }
}
