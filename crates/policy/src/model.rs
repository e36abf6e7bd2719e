//! The pod model the checks read: only the fields Pod Security Standards and
//! the immutable family look at, in the shape of the Kubernetes API.
//!
//! It is filled by the manifest reader (from YAML/JSON with positions) and by
//! the webhook and cluster code (from API JSON); both go through the same
//! extraction so they cannot disagree about what a field means.

use crate::windows_nodes::WindowsBinding;

/// Which list of the pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// The name used in reports (`containerType` in JSON output).
    pub fn type_name(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainer",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeralContainer",
        }
    }
}

/// A pod, or the pod template of a workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pod {
    /// `metadata.name` (may be empty for templates and generateName pods).
    pub name: String,
    pub namespace: Option<String>,
    /// Pod (template) annotations in document order.
    pub annotations: Vec<(String, String)>,
    pub spec: PodSpec,
}

impl Pod {
    /// The value of an annotation, if present.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSpec {
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    /// `spec.hostUsers`; `Some(false)` means a user namespace.
    pub host_users: Option<bool>,
    /// `spec.os.name`.
    pub os_name: Option<String>,
    /// How `nodeSelector` or a required node affinity binds the pod to
    /// Windows nodes, if they do (see [`crate::windows_nodes`]).
    pub windows_binding: Option<WindowsBinding>,
    pub runtime_class_name: Option<String>,
    pub security_context: Option<PodSecurityContext>,
    pub volumes: Vec<Volume>,
    pub init_containers: Vec<Container>,
    pub containers: Vec<Container>,
    pub ephemeral_containers: Vec<Container>,
    /// `spec.resources.limits.memory` (pod-level resources, Kubernetes
    /// 1.32+), as written: the pod cgroup's limit, which also sizes a
    /// memory-backed emptyDir's tmpfs.
    pub memory_limit: Option<String>,
}

impl PodSpec {
    /// True for `spec.os.name: windows`.
    pub fn is_windows(&self) -> bool {
        self.os_name.as_deref() == Some("windows")
    }

    /// The containers of one kind.
    pub fn containers_of(&self, kind: ContainerKind) -> &[Container] {
        match kind {
            ContainerKind::Init => &self.init_containers,
            ContainerKind::Regular => &self.containers,
            ContainerKind::Ephemeral => &self.ephemeral_containers,
        }
    }

    /// Every container in PSA's visiting order: init, regular, ephemeral.
    pub fn all_containers(&self) -> impl Iterator<Item = (ContainerKind, usize, &Container)> {
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            self.containers_of(kind)
                .iter()
                .enumerate()
                .map(move |(i, c)| (kind, i, c))
        })
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSecurityContext {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub seccomp_profile: Option<SeccompProfile>,
    pub se_linux_options: Option<SeLinuxOptions>,
    pub app_armor_profile: Option<AppArmorProfile>,
    pub windows_options: Option<WindowsOptions>,
    pub sysctls: Vec<String>,
    /// `spec.securityContext.readOnlyRootFilesystem` was written. The API has
    /// no such field (the server drops it), so it protects nothing; we keep
    /// its presence only to tell the user so.
    pub read_only_root_filesystem_written: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityContext {
    pub privileged: Option<bool>,
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub capabilities: Option<Capabilities>,
    pub proc_mount: Option<String>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub seccomp_profile: Option<SeccompProfile>,
    pub se_linux_options: Option<SeLinuxOptions>,
    pub app_armor_profile: Option<AppArmorProfile>,
    pub windows_options: Option<WindowsOptions>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capabilities {
    pub add: Vec<String>,
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeccompProfile {
    /// `type`; an absent type is the empty string, as in Go.
    pub type_: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeLinuxOptions {
    pub user: String,
    pub role: String,
    pub type_: String,
    pub level: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppArmorProfile {
    pub type_: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowsOptions {
    pub host_process: Option<bool>,
}

/// The `host` of one probe or lifecycle handler.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeHost {
    pub host: String,
    /// Where it is written, below the container
    /// (`livenessProbe.httpGet.host`, `lifecycle.preStop.tcpSocket.host`).
    pub field: Vec<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    /// `ports[*].hostPort`, 0 when unset.
    pub host_ports: Vec<i64>,
    pub security_context: Option<SecurityContext>,
    /// The `host` of httpGet/tcpSocket handlers of the liveness, readiness
    /// and startup probes and the postStart/preStop hooks, where set.
    pub probe_hosts: Vec<ProbeHost>,
    pub volume_mounts: Vec<VolumeMount>,
    /// `volumeDevices`: raw block devices, which the API server forbids
    /// at a `mountPath` of the same container or under a mounted name.
    pub volume_devices: Vec<VolumeDevice>,
    /// `resources.limits.memory`, as written.
    pub memory_limit: Option<String>,
}

impl Container {
    pub fn sc(&self) -> Option<&SecurityContext> {
        self.security_context.as_ref()
    }

    /// Whether some mount of this container is at exactly `path`.
    pub fn mounts_at(&self, path: &str) -> bool {
        self.volume_mounts
            .iter()
            .any(|m| normalize_path(&m.mount_path) == normalize_path(path))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub read_only: bool,
    pub sub_path: Option<String>,
}

/// A raw block device a container maps (`volumeDevices[*]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeDevice {
    pub name: String,
    pub device_path: String,
}

/// A pod volume: its name and which source fields are set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    /// The VolumeSource fields present (non-null), e.g. `["emptyDir"]`.
    /// Empty means no source: the API server defaults that to `emptyDir`.
    pub sources: Vec<String>,
    /// `emptyDir.medium`.
    pub empty_dir_medium: Option<String>,
    /// `emptyDir.sizeLimit`, as written.
    pub empty_dir_size_limit: Option<String>,
    /// `hostPath.path`.
    pub host_path: Option<String>,
    /// A source-level `readOnly: true`, on a source that has that field
    /// ([`READ_ONLY_SOURCES`]).
    pub source_read_only: bool,
}

/// The VolumeSource types whose API type has a `readOnly` field. On any
/// other (`emptyDir`, `hostPath`, …) a `readOnly` key is an unknown field
/// the API server drops, so the volume stays writable and the key must not
/// be believed.
pub const READ_ONLY_SOURCES: &[&str] = &[
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "fc",
    "azureFile",
    "quobyte",
    "azureDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
];

impl Volume {
    pub fn has_source(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s == source)
    }

    /// `emptyDir` set explicitly, or no source at all (API defaulting).
    pub fn is_empty_dir(&self) -> bool {
        self.sources.is_empty() || self.has_source("emptyDir")
    }

    pub fn is_host_path(&self) -> bool {
        self.has_source("hostPath")
    }

    /// Sources the kubelet always mounts read-only.
    pub fn is_always_read_only(&self) -> bool {
        !self.sources.is_empty()
            && self.sources.iter().all(|s| {
                matches!(
                    s.as_str(),
                    "configMap" | "secret" | "downwardAPI" | "projected" | "image"
                )
            })
    }

    /// Whether a mount of this volume can be written to.
    pub fn writable_through(&self, mount: &VolumeMount) -> bool {
        !mount.read_only && !self.source_read_only && !self.is_always_read_only()
    }
}

/// Every field of the API's VolumeSource, in the API's order.
pub const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// The path a runtime mounts at, written one way: `/var/run/` → `/var/run`,
/// `//tmp/./x` → `/tmp/x`, `/tmp/../etc` → `/etc`; `/` stays `/`. `..`
/// is resolved lexically and stops at `/`, as the kernel's path walk does:
/// the API server accepts `..` in a `mountPath` (it only forbids it in
/// `subPath`), and the runtime cleans the path before mounting, so
/// `/tmp/../etc` must be judged as `/etc`.
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return "/".into();
    }
    let mut out = String::with_capacity(path.len());
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_path_removes_duplicate_and_trailing_slashes() {
        assert_eq!(normalize_path("/var/run/"), "/var/run");
        assert_eq!(normalize_path("//tmp/./x"), "/tmp/x");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path(""), "/");
    }

    #[test]
    fn normalize_path_resolves_backsteps_as_the_runtime_does() {
        assert_eq!(normalize_path("/tmp/../etc"), "/etc");
        assert_eq!(normalize_path("/a/b/../../usr/./lib/"), "/usr/lib");
        assert_eq!(normalize_path("/../../etc"), "/etc");
        assert_eq!(normalize_path("/tmp/.."), "/");
        assert_eq!(normalize_path("/tmp/..x"), "/tmp/..x");
    }

    #[test]
    fn volume_without_source_is_an_empty_dir() {
        let v = Volume {
            name: "v".into(),
            ..Default::default()
        };
        assert!(v.is_empty_dir());
        assert!(!v.is_always_read_only());
    }
}
