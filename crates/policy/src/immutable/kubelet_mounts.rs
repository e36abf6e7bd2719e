//! What the kubelet mounts into a container whatever its pod spec says:
//! `fix` must not put a volume there, and `verify` reads the node's layout
//! from where these files come from.

/// Files the kubelet (or the container runtime) binds into every container
/// from the node's per-pod state: `/var/lib/kubelet/pods/UID/etc-hosts`,
/// containerd's `…/sandboxes/ID/hostname`, Docker's
/// `/var/lib/docker/containers/ID/resolv.conf`.
pub const KUBELET_FILES: &[&str] = &["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"];

/// Where the service account token is mounted (by default in every pod),
/// under both spellings: `/var/run` leads to `/run` in most images.
pub const SERVICE_ACCOUNT_DIRS: &[&str] = &[
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "/run/secrets/kubernetes.io/serviceaccount",
];

/// Every place in [`KUBELET_FILES`] and [`SERVICE_ACCOUNT_DIRS`].
pub fn kubelet_mounts() -> impl Iterator<Item = &'static str> {
    KUBELET_FILES.iter().chain(SERVICE_ACCOUNT_DIRS).copied()
}
