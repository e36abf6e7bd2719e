//! What backs a mount, whether it sits at or above a system path, and what
//! a kernel-interface (pseudo) mount means for the verdict.
//!
//! Pseudo filesystems (`/proc`, `/sys`, `/dev`, their cgroup/devpts/mqueue
//! children, …) are kernel interfaces: writing there changes kernel state,
//! not files of the image. They are classified `pseudo`. `/dev` itself is a
//! small tmpfs the runtime fills with device nodes, so a tmpfs *at* `/dev`
//! is pseudo too; but `/dev/shm` is ordinary writable memory and is listed.
//!
//! The runtime's own kernel-interface mounts are in every container and do
//! not count ([`kernel_interface`] says `Ignored`). What runc and containerd
//! mount (containerd `oci/mounts.go` `defaultMounts`, CRI `withMounts`):
//! proc at `/proc` (with read-only binds of `/proc/sys`, `/proc/bus`, … and
//! masking tmpfs or `/dev/null` binds below it), a tmpfs at `/dev` with
//! devpts at `/dev/pts`, tmpfs at `/dev/shm` and mqueue at `/dev/mqueue`,
//! sysfs at `/sys` **read-only**, and cgroup at `/sys/fs/cgroup`
//! **read-only**. Only a privileged container gets `/sys` and the cgroup
//! mount writable (containerd's `WithPrivileged` applies
//! `WithWriteableSysfs` and `WithWriteableCgroupfs`), and no runtime ever
//! mounts devtmpfs: it builds `/dev` as a tmpfs. A pseudo mount that is not
//! one of those, in its usual place and mode, is the node's kernel interface
//! (a hostPath volume, `docker -v /dev:/dev`) or a privileged container's,
//! and writing it changes the node rather than the container:
//! [`kernel_interface`] decides which of them fail the verdict.

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
    if is_kernel_interface_path(mount_point) || (mount_point == "/dev" && MEMORY.contains(&fs_type))
    {
        Backing::Pseudo
    } else {
        backing_of_type(fs_type, source)
    }
}

/// [`backing`] by filesystem type and source alone, wherever the mount is:
/// for a mount whose files are known to be the root filesystem's or the
/// node's (not a runtime's mask under `/proc` or `/sys`).
pub fn backing_of_type(fs_type: &str, source: &str) -> Backing {
    if PSEUDO.contains(&fs_type) {
        Backing::Pseudo
    } else if OVERLAY.contains(&fs_type) {
        Backing::Overlay
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

/// What a `pseudo` mount means for the verdict (JSON `kernelInterface`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelInterface {
    /// The runtime's own mount in its usual place and mode, a read-only one
    /// elsewhere, or one that cannot be written at all: not counted.
    Ignored,
    /// Writable and listed with the writable mounts, but it does not fail
    /// the verdict: a cgroup2 at `/sys/fs/cgroup`. containerd ≥ 2.1 mounts
    /// it writable for unprivileged containers when the runtime's
    /// `cgroup_writable` option is set (always inside a cgroup namespace);
    /// cgroup2 has no `release_agent`, and nothing in it writes files or
    /// reaches the node's root filesystem.
    Listed,
    /// Fails the verdict, for this reason.
    Fails(Exposure),
}

impl KernelInterface {
    pub fn as_str(self) -> &'static str {
        match self {
            KernelInterface::Ignored => "ignored",
            KernelInterface::Listed => "listed",
            KernelInterface::Fails(_) => "fails",
        }
    }
}

impl Serialize for KernelInterface {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a kernel-interface mount fails the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exposure {
    /// A writable sysfs, at `/sys` or anywhere: runtimes mount it read-only
    /// unless the container is privileged. Writable, it changes the node's
    /// kernel and device settings — `kernel/uevent_helper` names a program
    /// the kernel runs as root on the node.
    WritableSysfs,
    /// A writable cgroup v1 hierarchy: runtimes mount them read-only unless
    /// the container is privileged. Its `release_agent` is a program the
    /// kernel runs as root on the node; kernels with the CVE-2022-0492 fix
    /// demand CAP_SYS_ADMIN for setting it (which fails the verdict on its
    /// own), older ones only file permissions.
    WritableCgroupV1,
    /// A devtmpfs, anywhere (`/dev` included): the kernel has one devtmpfs,
    /// the node's `/dev`, and runtimes never mount it. It fails when
    /// writable (the process can replace the node's device nodes) and also
    /// when read-only without `nodev`: a read-only mount refuses writes to
    /// files, directories and symlinks, not through device nodes, so the
    /// node's disks (and the image layers on them) can be opened for
    /// writing. Only the device cgroup, which verify does not read, may
    /// still refuse that; a privileged container's allows everything.
    NodeDevices { writable: bool },
    /// A writable proc, devpts, mqueue or cgroup2 somewhere other than where
    /// the runtime mounts it (`standard`): not the runtime's mount but the
    /// node's (a hostPath) or another namespace's. A second proc, for one,
    /// lacks the runtime's read-only `/proc/sys` bind, and
    /// `sys/kernel/core_pattern` names a program the kernel runs as root on
    /// the node.
    Misplaced { standard: &'static str },
    /// A writable kernel interface no runtime mounts in a container
    /// (debugfs, tracefs, securityfs, bpf, configfs, efivarfs, binfmt_misc,
    /// …), wherever it is: the node's, and each of them changes kernel
    /// state of the whole node. verify does not vet their files one by one.
    NotFromRuntime,
}

/// Pseudo filesystem types and where the runtime mounts them: at or below
/// that place they are the runtime's, writable or not.
const RUNTIME_PLACES: &[(&str, &str)] = &[
    ("proc", "/proc"),
    // /dev/pts, and /dev/console (runc binds the terminal's pty there).
    ("devpts", "/dev"),
    ("mqueue", "/dev/mqueue"),
    ("cgroup2", "/sys/fs/cgroup"),
];

/// What a mount means for the verdict if it is a kernel interface (`None`
/// when `fs_type` is not a pseudo filesystem type). A non-pseudo filesystem
/// that is classified pseudo only by its place (the runtime's tmpfs at
/// `/dev`, masking tmpfs under `/proc`) is `Ignored` by the caller.
/// `read_only` is [`crate::mountinfo::MountEntry::read_only`]; `nodev` the
/// per-mount `nodev` flag.
pub fn kernel_interface(
    fs_type: &str,
    mount_point: &str,
    read_only: bool,
    nodev: bool,
) -> Option<KernelInterface> {
    if !PSEUDO.contains(&fs_type) {
        return None;
    }
    let fails = |why| Some(KernelInterface::Fails(why));
    match fs_type {
        "devtmpfs" if read_only && nodev => Some(KernelInterface::Ignored),
        "devtmpfs" => fails(Exposure::NodeDevices {
            writable: !read_only,
        }),
        // A handle on a namespace: nothing in it can be written, and joining
        // the namespace takes CAP_SYS_ADMIN, which fails the verdict itself.
        "nsfs" => Some(KernelInterface::Ignored),
        _ if read_only => Some(KernelInterface::Ignored),
        "sysfs" => fails(Exposure::WritableSysfs),
        "cgroup" => fails(Exposure::WritableCgroupV1),
        _ => match RUNTIME_PLACES.iter().find(|(t, _)| *t == fs_type) {
            Some((_, place)) if at_or_below(mount_point, place) => Some(match fs_type {
                "cgroup2" => KernelInterface::Listed,
                _ => KernelInterface::Ignored,
            }),
            Some((_, place)) => fails(Exposure::Misplaced { standard: place }),
            None => fails(Exposure::NotFromRuntime),
        },
    }
}

/// The device nodes runc gives every container (libcontainer's
/// `AllowedDevices`), as the root of a devtmpfs mount.
const RUNTIME_DEVICE_NODES: &[&str] = &["/null", "/zero", "/full", "/random", "/urandom", "/tty"];

/// A devtmpfs mount of one of the runtime's harmless device nodes alone
/// (`root` is the mount's root in its filesystem). In a user namespace
/// (Kubernetes `hostUsers: false`) runc cannot mknod, so it binds each of
/// them from the node's `/dev`, writable and without `nodev`, and binds
/// `/dev/null` over the masked paths under `/proc`. Such a mount reaches
/// that one node, not the device tree: no disk can be opened and no node
/// replaced through it. A bind of any other node (a hostPath of the node's
/// `/dev/sda`) is still the node's device and fails.
pub fn runtime_device_bind(fs_type: &str, root: &str) -> bool {
    fs_type == "devtmpfs" && RUNTIME_DEVICE_NODES.contains(&root)
}

/// True when a writable mount at `mount_point` would let the container
/// change its own programs, libraries or configuration: `/`, one of the
/// system paths, or an ancestor of one, or a place inside a directory of
/// programs or libraries (`/usr/local/bin/app`). The rule is the
/// policy's, so `verify` judges a running container exactly as `scan`
/// judges its manifest's `writableSystemPath`.
pub fn covers_system_path(mount_point: &str) -> bool {
    rootlock_policy::immutable::is_system_mount_path(mount_point)
}

/// Where a path [`covers_system_path`] lies, for a reason's wording.
pub fn system_place(path: &str) -> &'static str {
    if rootlock_policy::immutable::is_at_or_above_system_path(path) {
        "at or above a system path"
    } else {
        "inside a directory of programs or libraries"
    }
}

/// True when `path` lies inside one of the system paths (`/usr/share`,
/// `/etc/ssl`), below the ones [`covers_system_path`] names.
pub fn inside_system_path(path: &str) -> bool {
    rootlock_policy::immutable::SYSTEM_PATHS
        .iter()
        .any(|dir| at_or_below(path, dir))
}

/// `path` equals `dir` or lies inside it (component-wise, so `/etcetera`
/// is not inside `/etc`). Trailing slashes are ignored.
pub(crate) fn at_or_below(path: &str, dir: &str) -> bool {
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
    fn kernel_interfaces_by_type_place_and_mode() {
        use Exposure::*;
        const RW: bool = false;
        const RO: bool = true;
        let ignored = Some(KernelInterface::Ignored);
        let fails = |why| Some(KernelInterface::Fails(why));
        let misplaced = |standard| fails(Misplaced { standard });
        let node_dev = |writable| fails(NodeDevices { writable });
        let cases = [
            // The runtime's own, writable or not.
            ("proc", "/proc", RW, false, ignored),
            ("proc", "/proc/sys", RO, false, ignored),
            ("devpts", "/dev/pts", RW, false, ignored),
            ("devpts", "/dev/console", RW, false, ignored),
            ("mqueue", "/dev/mqueue", RW, true, ignored),
            ("sysfs", "/sys", RO, true, ignored),
            ("cgroup2", "/sys/fs/cgroup", RO, true, ignored),
            ("cgroup", "/sys/fs/cgroup/cpu", RO, true, ignored),
            // containerd's cgroup_writable.
            (
                "cgroup2",
                "/sys/fs/cgroup",
                RW,
                true,
                Some(KernelInterface::Listed),
            ),
            // What only a privileged container gets.
            ("sysfs", "/sys", RW, true, fails(WritableSysfs)),
            (
                "cgroup",
                "/sys/fs/cgroup/cpu",
                RW,
                true,
                fails(WritableCgroupV1),
            ),
            // The node's, mounted somewhere else.
            ("sysfs", "/host/sys", RW, false, fails(WritableSysfs)),
            ("sysfs", "/host/sys", RO, false, ignored),
            ("proc", "/host/proc", RW, false, misplaced("/proc")),
            ("proc", "/host/proc", RO, false, ignored),
            ("proc", "/procfs", RW, false, misplaced("/proc")),
            ("devpts", "/host/pts", RW, false, misplaced("/dev")),
            ("mqueue", "/dev/mq", RW, false, misplaced("/dev/mqueue")),
            ("cgroup2", "/cg", RW, false, misplaced("/sys/fs/cgroup")),
            ("cgroup", "/cg", RW, false, fails(WritableCgroupV1)),
            // devtmpfs: the node's /dev wherever it is, unless read-only and nodev.
            ("devtmpfs", "/dev", RW, false, node_dev(true)),
            ("devtmpfs", "/host-dev", RW, true, node_dev(true)),
            ("devtmpfs", "/host-dev", RO, false, node_dev(false)),
            ("devtmpfs", "/host-dev", RO, true, ignored),
            // No runtime mounts these; /sys is not their place in a container.
            (
                "debugfs",
                "/sys/kernel/debug",
                RW,
                false,
                fails(NotFromRuntime),
            ),
            (
                "securityfs",
                "/sys/kernel/security",
                RW,
                false,
                fails(NotFromRuntime),
            ),
            ("bpf", "/sys/fs/bpf", RW, false, fails(NotFromRuntime)),
            ("configfs", "/config", RW, false, fails(NotFromRuntime)),
            (
                "binfmt_misc",
                "/proc/sys/fs/binfmt_misc",
                RW,
                false,
                fails(NotFromRuntime),
            ),
            ("bpf", "/sys/fs/bpf", RO, false, ignored),
            ("nsfs", "/run/netns/x", RW, false, ignored),
            // Not pseudo types: the caller decides.
            ("tmpfs", "/dev", RW, false, None),
            ("ext4", "/sys/x", RW, false, None),
        ];
        for (fs_type, mount_point, read_only, nodev, expected) in cases {
            assert_eq!(
                kernel_interface(fs_type, mount_point, read_only, nodev),
                expected,
                "{fs_type} at {mount_point}, read_only {read_only}, nodev {nodev}"
            );
        }
    }

    #[test]
    fn only_the_runtimes_device_nodes_are_runtime_device_binds() {
        for node in ["/null", "/zero", "/full", "/random", "/urandom", "/tty"] {
            assert!(runtime_device_bind("devtmpfs", node), "{node}");
        }
        for root in ["/", "/sda", "/vda1", "/mem", "/kmsg", "/null/x", "/nullx"] {
            assert!(!runtime_device_bind("devtmpfs", root), "{root}");
        }
        assert!(!runtime_device_bind("tmpfs", "/null"));
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
            "/usr/lib/x86_64-linux-gnu",
            "/usr/local/bin/app",
        ] {
            assert!(covers_system_path(covered), "{covered}");
        }
        assert_eq!(system_place("/usr/local"), "at or above a system path");
        assert_eq!(
            system_place("/usr/local/bin/app"),
            "inside a directory of programs or libraries"
        );
        for not in [
            "/tmp",
            "/etc/hosts",
            "/etcetera",
            "/usr/share",
            "/usr/share/nginx/html",
            "/etc/nginx/conf.d",
            "/var",
            "/root/.cache",
            "/dev/shm",
        ] {
            assert!(!covers_system_path(not), "{not}");
        }
    }
}
