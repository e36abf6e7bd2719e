//! The immutable family: what Pod Security Standards leave out about a
//! read-only root filesystem. Each rule lives in its own file.

mod kubelet_mounts;
mod read_only_root_filesystem;
mod rootfs_bypass;
mod unbounded_memory_volume;
mod writable_host_path;
mod writable_system_path;

use crate::finding::{FieldPath, Severity};
use crate::format::sorted_set;
use crate::model::{Container, Pod, Volume, VolumeMount};
use crate::pss::LocateFn;
use crate::scope::{CheckFn, Scope};
use std::collections::HashMap;

pub use kubelet_mounts::{KUBELET_FILES, SERVICE_ACCOUNT_DIRS, kubelet_mounts};
pub use read_only_root_filesystem::POD_LEVEL_FIELD_MESSAGE;
pub use rootfs_bypass::remounts_root;
pub use writable_system_path::{
    KERNEL_PATHS, SCRATCH_IN_KERNEL_PATHS, SYSTEM_PATHS, WRITABLE_BELOW,
    is_at_or_above_system_path, is_inside_code_path, is_kernel_path, is_system_mount_path,
    system_path_refusal,
};

/// A rule of the immutable family.
pub struct ImmutableRule {
    pub id: &'static str,
    pub severity: Severity,
    pub eval: CheckFn,
    /// Field (below a container) a finding points at.
    pub container_field: &'static [&'static str],
    pub description: &'static str,
    /// Where one container's finding points when that depends on the pod
    /// (which mount, which setting); `None` falls back to `container_field`.
    pub locate: Option<LocateFn>,
}

/// The family, in result order.
pub fn rules() -> [&'static ImmutableRule; 5] {
    [
        &read_only_root_filesystem::RULE,
        &rootfs_bypass::RULE,
        &writable_system_path::RULE,
        &writable_host_path::RULE,
        &unbounded_memory_volume::RULE,
    ]
}

pub fn rule(id: &str) -> Option<&'static ImmutableRule> {
    rules().into_iter().find(|r| r.id == id)
}

/// A pod's volumes by name: the first of each name, as `PodSpec::volume`
/// finds it.
struct Volumes<'p> {
    pod: &'p Pod,
    by_name: Option<HashMap<&'p str, &'p Volume>>,
}

impl<'p> Volumes<'p> {
    fn new(pod: &'p Pod) -> Self {
        // A pod has a handful of volumes: a map pays off only past a few
        // dozen (the admission webhook runs this for every pod it reviews).
        let by_name = (pod.spec.volumes.len() > 32).then(|| {
            let mut map = HashMap::new();
            for v in &pod.spec.volumes {
                map.entry(v.name.as_str()).or_insert(v);
            }
            map
        });
        Volumes { pod, by_name }
    }

    fn get(&self, name: &str) -> Option<&'p Volume> {
        match &self.by_name {
            Some(map) => map.get(name).copied(),
            None => self.pod.spec.volume(name),
        }
    }
}

/// The first mount of the container in `scope` that `pick` reports
/// something for, where a mount rule's finding points.
fn first_mount_matching<'p, S>(
    pod: &'p Pod,
    scope: Scope,
    mut pick: impl FnMut(&'p Container, &'p VolumeMount, Option<&'p Volume>) -> Option<S>,
) -> Option<FieldPath> {
    let (kind, index, c) = scope.one_container(&pod.spec)?;
    let volumes = Volumes::new(pod);
    let i = c
        .volume_mounts
        .iter()
        .position(|m| pick(c, m, volumes.get(&m.name)).is_some())?;
    Some(
        FieldPath::container(kind, index)
            .key("volumeMounts")
            .index(i),
    )
}

/// The walk every mount rule makes: the containers in `scope` with at least
/// one mount `pick` reports something for, and what it reported, sorted and
/// without repeats. `None` when no mount matched. `pick` gets each mount
/// with the volume it names (the first of that name, as `PodSpec::volume`
/// finds it), looked up in a map built once: a pod of thousands of mounts
/// and volumes (a `fix --plan` from a large log) made a lookup per mount
/// through the volume list quadratic.
fn mounts_matching<'p, S: Into<String>>(
    pod: &'p Pod,
    scope: Scope,
    mut pick: impl FnMut(&'p Container, &'p VolumeMount, Option<&'p Volume>) -> Option<S>,
) -> Option<(Vec<&'p str>, Vec<String>)> {
    let volumes = Volumes::new(pod);
    let volume = |name: &str| volumes.get(name);
    let mut containers: Vec<&str> = Vec::new();
    let mut found: Vec<S> = Vec::new();
    for c in scope.containers(&pod.spec) {
        let before = found.len();
        found.extend(
            c.volume_mounts
                .iter()
                .filter_map(|m| pick(c, m, volume(&m.name))),
        );
        if found.len() > before {
            containers.push(&c.name);
        }
    }
    (!containers.is_empty()).then(|| (containers, sorted_set(found)))
}
