//! `writableHostPath`: a `hostPath` volume mounted without `readOnly: true`
//! lets the container write to the node.

use super::{ImmutableRule, first_mount_matching, mounts_matching};
use crate::finding::Severity;
use crate::format::{containers_phrase, join_quote, pluralize};
use crate::model::{Container, Pod, Volume, VolumeMount};
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "writableHostPath",
    severity: Severity::Error,
    eval,
    container_field: &["volumeMounts"],
    description: "hostPath volumes must be mounted with readOnly: true.",
    locate: Some(|pod, scope, _| first_mount_matching(pod, scope, offends)),
};

/// The hostPath volume a mount writes to, if it does.
fn offends<'p>(_: &Container, m: &'p VolumeMount, volume: Option<&Volume>) -> Option<&'p str> {
    (!m.read_only && volume.is_some_and(|v| v.is_host_path())).then_some(m.name.as_str())
}

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    let (bad, volumes) = mounts_matching(pod, scope, offends)?;
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

    /// Two volumes of one name (the API server refuses that; a manifest
    /// may still hold it): a mount names the first, as `PodSpec::volume`
    /// finds it.
    #[test]
    fn a_mount_names_the_first_volume_of_its_name() {
        let mut a = container("a");
        a.volume_mounts.push(VolumeMount {
            name: "v".into(),
            mount_path: "/v".into(),
            read_only: false,
            sub_path: None,
        });
        let mut p = pod(vec![a]);
        let host = Volume {
            name: "v".into(),
            sources: vec!["hostPath".into()],
            host_path: Some("/var/log".into()),
            ..Default::default()
        };
        let empty = Volume {
            name: "v".into(),
            sources: vec!["emptyDir".into()],
            ..Default::default()
        };
        // Few volumes are searched, many are looked up in a map: the same
        // answer either way.
        for fillers in [0, 40] {
            let filler = (0..fillers).map(|i| Volume {
                name: format!("f{i}"),
                sources: vec!["emptyDir".into()],
                ..Default::default()
            });
            p.spec.volumes = [host.clone(), empty.clone()]
                .into_iter()
                .chain(filler.clone())
                .collect();
            assert!(run(eval, &p).is_some(), "{fillers}");
            p.spec.volumes = [empty.clone(), host.clone()]
                .into_iter()
                .chain(filler)
                .collect();
            assert_eq!(run(eval, &p), None, "{fillers}");
        }
    }
}
