//! `writableHostPath`: a `hostPath` volume mounted without `readOnly: true`
//! lets the container write to the node.

use super::ImmutableRule;
use crate::finding::Severity;
use crate::format::{containers_phrase, join_quote, pluralize, sorted_set};
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "writableHostPath",
    severity: Severity::Error,
    eval,
    container_field: &["volumeMounts"],
    description: "hostPath volumes must be mounted with readOnly: true.",
};

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    let mut bad: Vec<&str> = Vec::new();
    let mut volumes: Vec<&str> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let before = volumes.len();
        for m in &c.volume_mounts {
            if !m.read_only && pod.spec.volume(&m.name).is_some_and(|v| v.is_host_path()) {
                volumes.push(&m.name);
            }
        }
        if volumes.len() > before {
            bad.push(&c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let volumes = sorted_set(volumes);
    Some(Violation::new(
        "writable hostPath volume",
        format!(
            "{} {} hostPath {} {} without readOnly: true",
            containers_phrase(&bad),
            pluralize("mounts", "mount", bad.len()),
            pluralize("volume", "volumes", volumes.len()),
            join_quote(&volumes)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Volume, VolumeMount};
    use crate::testing::*;

    #[test]
    fn messages() {
        let mut a = container("a");
        a.volume_mounts.push(VolumeMount {
            name: "host".into(),
            mount_path: "/host".into(),
            read_only: false,
            sub_path: None,
        });
        let mut b = container("b");
        b.volume_mounts.push(VolumeMount {
            name: "host".into(),
            mount_path: "/host".into(),
            read_only: true,
            sub_path: None,
        });
        let mut p = pod(vec![a, b]);
        p.spec.volumes.push(Volume {
            name: "host".into(),
            sources: vec!["hostPath".into()],
            host_path: Some("/var/log".into()),
            ..Default::default()
        });
        assert_eq!(
            run(eval, &p).unwrap(),
            "writable hostPath volume (container \"a\" mounts hostPath volume \"host\" without readOnly: true)"
        );
        p.spec.containers[0].volume_mounts[0].read_only = true;
        assert_eq!(run(eval, &p), None);
    }
}
