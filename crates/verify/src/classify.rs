//! What backs a mount, and whether it sits at or above a system path.
//!
//! Pseudo filesystems (`/proc`, `/sys`, `/dev`, their cgroup/devpts/mqueue
//! children, …) are kernel interfaces: writing there changes kernel state,
//! not files of the image, and the container runtime provides them in every
//! container. They are classified `pseudo` and do not count as writable
//! mounts that matter. `/dev` itself is a devtmpfs or a small tmpfs the
//! runtime fills with device nodes, so a tmpfs *at* `/dev` is pseudo too;
//! but `/dev/shm` is ordinary writable memory and is listed.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Backing {
    /// tmpfs/ramfs/hugetlbfs: writes land in RAM (counted against the pod's memory).
    Memory,
    /// A block device: writes land on the node's disk.
    Disk,
    /// NFS, CIFS, Ceph, FUSE…: writes leave the node.
    Network,
    /// overlay/aufs: usually the container's own writable layer.
    Overlay,
    /// Kernel interfaces (/proc, /sys, /dev and friends).
    Pseudo,
    Other,
}

impl Backing {
    pub fn as_str(self) -> &'static str {
        match self {
            Backing::Memory => "memory",
            Backing::Disk => "disk",
            Backing::Network => "network",
            Backing::Overlay => "overlay",
            Backing::Pseudo => "pseudo",
            Backing::Other => "other",
        }
    }
}

const MEMORY: &[&str] = &["tmpfs", "ramfs", "hugetlbfs"];
const NETWORK: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "lustre",
    "9p",
    "afs",
    "ocfs2",
    "gfs2",
];
const OVERLAY: &[&str] = &["overlay", "aufs", "fuse.fuse-overlayfs"];
const PSEUDO: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "devtmpfs",
    "mqueue",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "binfmt_misc",
    "autofs",
    "nsfs",
    "efivarfs",
    "selinuxfs",
    "rpc_pipefs",
];
const DISK: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat", "ntfs", "ntfs3", "jfs",
    "reiserfs", "squashfs", "erofs", "iso9660",
];

/// Classifies by filesystem type first, then by mount point (kernel
/// interface trees), then by a `/dev/…` block-device source.
pub fn backing(fs_type: &str, source: &str, mount_point: &str) -> Backing {
    if PSEUDO.contains(&fs_type) || is_kernel_interface_path(mount_point) {
        Backing::Pseudo
    } else if OVERLAY.contains(&fs_type) {
        Backing::Overlay
    } else if mount_point == "/dev" && MEMORY.contains(&fs_type) {
        Backing::Pseudo
    } else if MEMORY.contains(&fs_type) {
        Backing::Memory
    } else if NETWORK.contains(&fs_type) || fs_type.starts_with("fuse.") || fs_type == "fuse" {
        Backing::Network
    } else if DISK.contains(&fs_type) || source.starts_with("/dev/") {
        Backing::Disk
    } else {
        Backing::Other
    }
}

/// `/proc` and `/sys` and everything below them.
fn is_kernel_interface_path(mount_point: &str) -> bool {
    ["/proc", "/sys"]
        .iter()
        .any(|p| at_or_below(mount_point, p))
}

/// True when a writable mount at `mount_point` would let the container
/// change its own programs, libraries or configuration: `/`, one of the
/// system paths, or an ancestor of one. The list is the policy's, so
/// `verify` judges a running container exactly as `scan` judges its
/// manifest's `writableSystemPath`.
pub fn covers_system_path(mount_point: &str) -> bool {
    rootlock_policy::immutable::is_at_or_above_system_path(mount_point)
}

/// `path` equals `dir` or lies inside it (component-wise, so `/etcetera`
/// is not inside `/etc`). Trailing slashes are ignored.
fn at_or_below(path: &str, dir: &str) -> bool {
    let path = trim(path);
    let dir = trim(dir);
    dir == "/"
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn trim(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backing_by_type_source_and_place() {
        assert_eq!(backing("tmpfs", "tmpfs", "/tmp"), Backing::Memory);
        assert_eq!(backing("tmpfs", "shm", "/dev/shm"), Backing::Memory);
        assert_eq!(backing("ramfs", "none", "/x"), Backing::Memory);
        assert_eq!(backing("tmpfs", "tmpfs", "/dev"), Backing::Pseudo);
        assert_eq!(backing("devtmpfs", "devtmpfs", "/dev"), Backing::Pseudo);
        assert_eq!(backing("tmpfs", "tmpfs", "/sys/fs/cgroup"), Backing::Pseudo);
        assert_eq!(backing("tmpfs", "tmpfs", "/proc/acpi"), Backing::Pseudo);
        assert_eq!(backing("mqueue", "mqueue", "/dev/mqueue"), Backing::Pseudo);
        assert_eq!(backing("ext4", "/dev/vda", "/"), Backing::Disk);
        assert_eq!(backing("ext4", "/dev/sda1", "/etc/hosts"), Backing::Disk);
        assert_eq!(backing("xfs", "none", "/data"), Backing::Disk);
        assert_eq!(backing("weirdfs", "/dev/nvme0n1p1", "/data"), Backing::Disk);
        assert_eq!(backing("nfs4", "srv:/export", "/data"), Backing::Network);
        assert_eq!(backing("fuse.sshfs", "me@h:/", "/data"), Backing::Network);
        assert_eq!(backing("overlay", "overlay", "/"), Backing::Overlay);
        assert_eq!(
            backing("fuse.fuse-overlayfs", "fuse-overlayfs", "/"),
            Backing::Overlay
        );
        assert_eq!(backing("weirdfs", "thing", "/data"), Backing::Other);
    }

    #[test]
    fn system_paths_at_or_above() {
        for covered in [
            "/",
            "/etc",
            "/etc/",
            "/usr",
            "/usr/local",
            "/usr/local/bin",
            "/usr/local/lib",
            "/usr/libexec",
            "/usr/lib64",
            "/libx32",
            "/lib64",
        ] {
            assert!(covers_system_path(covered), "{covered}");
        }
        for not in [
            "/tmp",
            "/etc/hosts",
            "/etcetera",
            "/usr/share",
            "/usr/lib/x86_64-linux-gnu",
            "/var",
            "/root/.cache",
            "/dev/shm",
        ] {
            assert!(!covers_system_path(not), "{not}");
        }
    }
}
