//! `unboundedMemoryVolume` (warning): an `emptyDir` with `medium: Memory` is
//! a tmpfs; without a `sizeLimit` and without a container memory limit,
//! writes to it can exhaust the node's memory. A pod-level memory limit
//! (`spec.resources.limits.memory`, Kubernetes 1.32+) bounds it too: the
//! kubelet sizes the tmpfs to the smallest positive of node allocatable,
//! the pod cgroup's limit (the pod-level one when set) and `sizeLimit`
//! (`calculateEmptyDirMemorySize`, pkg/volume/emptydir), and the pod's
//! cgroup caps what its containers write there.

use super::{ImmutableRule, first_mount_matching, mounts_matching};
use crate::finding::Severity;
use crate::format::{containers_phrase, join_quote, pluralize};
use crate::model::{Container, Pod, Volume, VolumeMount};
use crate::quantity::is_positive;
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "unboundedMemoryVolume",
    severity: Severity::Warning,
    eval,
    container_field: &["volumeMounts"],
    description: "A memory-backed emptyDir needs a sizeLimit, a container memory limit or a pod-level memory limit, or it is an unbounded tmpfs.",
    locate: Some(|pod, scope, _| {
        if bounded_by_pod(pod) {
            return None;
        }
        first_mount_matching(pod, scope, offends)
    }),
};

/// A limit of zero is no limit (see `quantity`), as the kubelet ignores it.
fn bounds(limit: &Option<String>) -> bool {
    limit.as_deref().is_some_and(is_positive)
}

/// The pod-level memory limit bounds every tmpfs of the pod.
fn bounded_by_pod(pod: &Pod) -> bool {
    bounds(&pod.spec.memory_limit)
}

/// The memory-backed volume a mount leaves unbounded, if it does.
fn offends<'p>(c: &Container, m: &'p VolumeMount, volume: Option<&Volume>) -> Option<&'p str> {
    // A container memory limit bounds every tmpfs it mounts.
    let unbounded = !bounds(&c.memory_limit)
        && volume.is_some_and(|v| {
            v.is_empty_dir()
                && v.empty_dir_medium.as_deref() == Some("Memory")
                && !bounds(&v.empty_dir_size_limit)
        });
    unbounded.then_some(m.name.as_str())
}

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    if bounded_by_pod(pod) {
        return None;
    }
    let (bad, volumes) = mounts_matching(pod, scope, offends)?;
    Some(Violation::new(
        "unbounded memory volume",
        format!(
            "{} {} memory-backed emptyDir {} {} with no sizeLimit and no resources.limits.memory",
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
    fn size_limit_or_memory_limit_bounds_it() {
        let mut a = container("a");
        a.volume_mounts.push(VolumeMount {
            name: "tmp".into(),
            mount_path: "/tmp".into(),
            read_only: false,
            sub_path: None,
        });
        let mut p = pod(vec![a]);
        p.spec.volumes.push(Volume {
            name: "tmp".into(),
            sources: vec!["emptyDir".into()],
            empty_dir_medium: Some("Memory".into()),
            ..Default::default()
        });
        assert_eq!(
            run(eval, &p).unwrap(),
            "unbounded memory volume (container \"a\" mounts memory-backed emptyDir volume \"tmp\" with no sizeLimit and no resources.limits.memory)"
        );
        p.spec.containers[0].memory_limit = Some("128Mi".into());
        assert_eq!(run(eval, &p), None);
        p.spec.containers[0].memory_limit = None;
        p.spec.volumes[0].empty_dir_size_limit = Some("64Mi".into());
        assert_eq!(run(eval, &p), None);
        // Zero is no limit, for either.
        p.spec.volumes[0].empty_dir_size_limit = Some("0".into());
        p.spec.containers[0].memory_limit = Some("0Mi".into());
        assert!(run(eval, &p).is_some());
        // A pod-level memory limit (spec.resources) sizes the tmpfs too;
        // zero is no limit there either.
        p.spec.memory_limit = Some("0".into());
        assert!(run(eval, &p).is_some());
        p.spec.memory_limit = Some("1Gi".into());
        assert_eq!(run(eval, &p), None);
        let scope = Scope::Container(crate::model::ContainerKind::Regular, 0);
        assert_eq!((RULE.locate.unwrap())(&p, scope, 0), None);
    }
}
