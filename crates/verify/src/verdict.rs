//! The verdict: pass only when the root is read-only and nothing that this
//! tool can see would let the process undo it. Every failing check adds its
//! own reason, so a report names everything that has to be fixed.

use crate::classify::Backing;
use crate::classify::{self, Exposure, KernelInterface};
use crate::kernel::Kernel;
use crate::mountinfo::{self, MountEntry};
use crate::probe::{Outcome, Probe};
use crate::report::MountReport;
use crate::root::{RootFacts, SystemDir};
use crate::status::{
    CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, ProcStatus,
};
use crate::userns::UserNamespace;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Reasons the verdict fails; empty means pass.
pub fn reasons(
    root: Option<&MountEntry>,
    mounts: &[MountReport],
    status: &ProcStatus,
    kernel: Kernel,
    probes: &[Probe],
    facts: &RootFacts,
) -> Vec<String> {
    let mut reasons = Vec::new();
    match root {
        // The root is a directory inside a mount whose mount point lies
        // outside the process's view (a chroot): mountinfo leaves that
        // mount out, statfs(2) on the root still tells its mode.
        None => match facts.read_only {
            Some(true) => {}
            Some(false) => reasons.push(
                "root filesystem / is writable (a directory inside a mount that mountinfo does \
                 not show, as in a chroot: statfs(2) on the root reports it writable)"
                    .into(),
            ),
            None => reasons.push(
                "no mount for / in mountinfo (the root is a directory inside a mount the \
                 process cannot see, as in a chroot) and the root could not be opened to ask \
                 statfs(2): cannot tell what the root is"
                    .into(),
            ),
        },
        Some(root) if !root.read_only() => reasons.push(format!(
            "root filesystem / is writable ({} from {})",
            root.fs_type, root.source
        )),
        Some(_) => {}
    }
    let root_id = root.map(|r| r.mount_id);
    for m in mounts
        .iter()
        .filter(|m| matters(m) && Some(m.mount_id) != root_id)
    {
        let before = reasons.len();
        if m.mount_point == "/" {
            // Not the root (that one is judged above) but stacked on it:
            // see mountinfo::covered for why it is reached.
            reasons.push(format!(
                "writable mount stacked on / above the root ({} from {}, {}): `..` at the root \
                 leads into it (`/..`), and it is the root of every process that joins the \
                 container's mount namespace later (kubectl exec, exec probes)",
                m.fs_type,
                m.source,
                m.backing.as_str()
            ));
        } else if m.system_path {
            reasons.push(format!(
                "writable mount at {} is {} ({} from {}, {})",
                m.mount_point,
                classify::system_place(&m.mount_point),
                m.fs_type,
                m.source,
                m.backing.as_str()
            ));
        } else if let (Some(root), Some(path)) = (root, shown_root_system_path(m)) {
            let fs = format!(
                "{} from {}, device {}",
                root.fs_type, root.source, root.device
            );
            reasons.push(if path == "/" {
                format!(
                    "writable mount at {} shows / of the root filesystem ({fs}): every file of \
                     the root filesystem can be written through it",
                    m.mount_point
                )
            } else {
                let place = if classify::covers_system_path(path) {
                    classify::system_place(path)
                } else {
                    "inside a system path"
                };
                format!(
                    "writable mount at {} shows {path} of the root filesystem ({fs}), {place}: \
                     its files can be written through it",
                    m.mount_point
                )
            });
        } else if let Some(dir) = m.node_state_path.as_ref().filter(|_| m.root_layer) {
            reasons.push(format!(
                "writable mount at {} shows {dir} of the node's filesystem ({} from {}), a \
                 layer of this container's root overlay (its upperdir or a lowerdir): through \
                 it the process changes the files of its read-only root",
                m.mount_point, m.fs_type, m.source
            ));
        } else if let Some(dir) = &m.node_state_path {
            reasons.push(format!(
                "writable mount at {} shows {dir} of the node's filesystem ({} from {}), where \
                 the kubelet or the container runtime keeps every pod's files (the directory \
                 above this pod's own /etc/hosts, /etc/hostname or /etc/resolv.conf): through \
                 it the process changes other containers' files, and its own root's layers \
                 where the runtime keeps them on the same filesystem",
                m.mount_point, m.fs_type, m.source
            ));
        } else if let Some(path) = &m.node_system_path {
            reasons.push(format!(
                "writable mount at {} shows {path} of the node's root filesystem ({} from {}, \
                 where this pod's /etc/hosts, /etc/hostname or /etc/resolv.conf lie under \
                 /var/lib/), {} of the node: what is written there runs as root on the node, \
                 which can then change this container's root",
                m.mount_point,
                m.fs_type,
                m.source,
                classify::system_place(path)
            ));
        }
        // A covered mount counts only through what the process holds in
        // it: the reason says so, or it would name an unreachable place.
        if let (Some(held), Some(reason)) = (
            &m.held,
            reasons.get_mut(before..).and_then(<[String]>::first_mut),
        ) {
            reason.push_str(&format!(
                " (a later mount covers it, but the process holds {held} in it)"
            ));
        }
    }
    reasons.extend(outside_root_reasons(root_id, mounts, facts));
    reasons.extend(symlinked_system_dir_reasons(
        root_id,
        mounts,
        &facts.system_dirs,
    ));
    if !facts.magic_linked.is_empty() {
        let (what, verb) = if facts.magic_linked.len() == 1 {
            ("system path", "leads")
        } else {
            ("system paths", "lead")
        };
        reasons.push(format!(
            "{what} {} {verb} through a magic link of /proc (a symlink to /proc/self/root/…, \
             /proc/1/cwd/…, …), which the process follows with its own /proc and verify, \
             looking from outside it, cannot: it may lead into a writable mount",
            facts.magic_linked.join(", ")
        ));
    }
    if let Some(why) = &facts.unopened {
        reasons.push(format!(
            "cannot look inside the root of the process ({why}): container runtime sockets, \
             system paths that lead elsewhere through symlinks, block device nodes in /dev \
             and the node's processes in view were not looked for, so the verdict cannot be \
             a pass"
        ));
    }
    reasons.extend(facts.disk_nodes.iter().map(|node| {
        let mount = mounts
            .iter()
            .find(|m| m.mount_point == node.mount_point)
            .map(|m| format!("{} from {}", m.fs_type, m.source))
            .unwrap_or_default();
        let holds = node
            .holds
            .as_ref()
            .map(|d| format!(", which holds {d}"))
            .unwrap_or_default();
        format!(
            "block device {} ({}{holds}) is the disk of the mount at {} ({mount}), which holds \
             the root's files (its own, or the node's disk where the runtime keeps image \
             layers): opened for writing, which only the device cgroup (not read by verify) \
             may refuse, it changes every file of that filesystem, read-only mounts of it \
             included",
            node.path, node.device, node.mount_point
        )
    }));
    reasons.extend(facts.runtime_sockets.iter().map(|socket| {
        format!(
            "container runtime socket at {socket}: whoever connects to it can start a \
             privileged container with the node's / mounted, read-only root or not (a \
             read-only mount does not stop connect(2))"
        )
    }));
    reasons.extend(kernel_interface_reasons(mounts));
    if kernel.user_namespace == UserNamespace::Initial
        && kernel.core_pattern
        && let Some(proc) = proc_sys_mount(mounts)
    {
        let how = if proc.mount_point == "/proc" {
            "not bound read-only"
        } else {
            "mounted writable"
        };
        reasons.push(format!(
            "/proc/sys is writable ({} at {}, {how}): runtimes bind it read-only unless the \
             container is privileged or its procMount is Unmasked; in the node's user \
             namespace a process running as root writes sysctls without any capability, and \
             kernel/core_pattern names a program the kernel runs as root on the node",
            proc.fs_type, proc.mount_point
        ));
    }
    match held(status, CAP_SYS_ADMIN) {
        Some(Held::Effective) => reasons.push(
            "CAP_SYS_ADMIN is in the effective capability set: `mount -o remount,rw /` would succeed"
                .into(),
        ),
        Some(Held::Permitted) => reasons.push(
            "CAP_SYS_ADMIN is in the permitted capability set: the process can make it \
             effective with capset(2), without exec, and then `mount -o remount,rw /` \
             would succeed"
                .into(),
        ),
        Some(Held::Bounding) => reasons.push(
            "CAP_SYS_ADMIN is in the bounding set and NoNewPrivs is off: executing a program \
             as root (or any set-uid/file-capability program) regains it"
                .into(),
        ),
        Some(Held::Inheritable) => reasons.push(
            "CAP_SYS_ADMIN is in the inheritable set and NoNewPrivs is off: executing a \
             program as root, or one whose file capabilities make it inheritable, regains \
             it (the bounding set does not limit what is inherited)"
                .into(),
        ),
        None => {}
    }
    reasons.extend(module_reason(status, kernel));
    reasons.extend(ptrace_reason(status, kernel, facts));
    reasons.extend(shocker_reason(root_id, mounts, status, kernel));
    reasons.extend(
        probes
            .iter()
            .filter(|p| !p.refused())
            .map(|p| match p.outcome {
                Outcome::Created => format!(
                    "write probe created a file in {}: it is writable",
                    p.directory
                ),
                _ => format!(
                    "write probe in {} was inconclusive: {}",
                    p.directory, p.message
                ),
            }),
    );
    reasons
}

/// Directories the process holds (its working directory, a directory
/// descriptor) on a mount outside its view: mountinfo shows every mount
/// at or below the process's root, so such a directory is outside the
/// root, as after chroot(2) without a chdir into the new root. Relative
/// lookups from it, `..` included, walk the filesystem around the root,
/// whatever the root's mode. Judged only when the root's own mount is
/// known (from mountinfo or statx), since a chroot into a directory that
/// is no mount point leaves that mount out of mountinfo too.
fn outside_root_reasons(
    root_id: Option<u64>,
    mounts: &[MountReport],
    facts: &RootFacts,
) -> Vec<String> {
    let Some(root_id) = facts.root_mount_id.or(root_id) else {
        return Vec::new();
    };
    let in_view: std::collections::HashSet<u64> = mounts.iter().map(|m| m.mount_id).collect();
    facts
        .held
        .iter()
        .filter(|h| h.directory && h.mount_id != root_id && !in_view.contains(&h.mount_id))
        .map(|h| {
            format!(
                "the process holds {} outside its root (on mount {}, which its mountinfo does \
                 not show: chroot(2) without a chdir into the new root): `..` from there \
                 walks the filesystem around the root, read-only root or not",
                h.what, h.mount_id
            )
        })
        .collect()
}

/// System paths whose lookup ends, through a symlink of the root
/// (`/etc -> /tmp/etc`), in a writable mount that is not at or above a
/// system path itself (that one has its own reason): files there are the
/// process's `/etc`, however read-only `/` is. One reason per mount, naming
/// every such path, in the policy's order.
fn symlinked_system_dir_reasons(
    root_id: Option<u64>,
    mounts: &[MountReport],
    system_dirs: &[SystemDir],
) -> Vec<String> {
    let mut groups: Vec<(&MountReport, Vec<&str>)> = Vec::new();
    for dir in system_dirs {
        let Some(m) = mounts.iter().rev().find(|m| m.mount_id == dir.mount_id) else {
            continue;
        };
        if Some(m.mount_id) == root_id
            || !(matters(m) || writable_files(m))
            || m.system_path
            || shown_root_system_path(m).is_some()
        {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| g.mount_id == m.mount_id) {
            Some((_, paths)) => paths.push(&dir.path),
            None => groups.push((m, vec![&dir.path])),
        }
    }
    groups
        .into_iter()
        .map(|(m, paths)| {
            let (what, verb) = if paths.len() == 1 {
                ("system path", "leads")
            } else {
                ("system paths", "lead")
            };
            format!(
                "{what} {} {verb}, through a symlink, into writable mount at {} ({} from {}, \
                 {}): its files can be written there",
                paths.join(", "),
                m.mount_point,
                m.fs_type,
                m.source,
                classify::backing_of_type(&m.fs_type, &m.source).as_str()
            )
        })
        .collect()
}

/// A writable mount of files (not a kernel interface) the process can
/// reach, wherever it is mounted. [`matters`] leaves out a non-pseudo
/// filesystem under `/proc` or `/sys`, taken by its place for a runtime's
/// mask; but where a system path's lookup ends, or what a file handle is
/// opened through, is files of that filesystem whatever the place (a
/// volume mounted at `/sys/appcfg`).
fn writable_files(m: &MountReport) -> bool {
    !m.read_only
        && !m.covered
        && classify::backing_of_type(&m.fs_type, &m.source) != Backing::Pseudo
}

/// The writable proc mount through which the process reaches the node's
/// `kernel/core_pattern`, if there is one at or below `/proc` (a proc
/// elsewhere fails as misplaced on its own). For each such mount, the place
/// where it shows `sys/kernel/core_pattern` (`/proc/sys/kernel/core_pattern`
/// for the whole proc at `/proc`; the mount point itself for a bind of the
/// file) is looked up through the mounts: the uncovered mount with the
/// deepest mount point at or above it (the last of equals, the one on top)
/// must be that writable proc. Runtimes bind `/proc/sys` read-only over
/// their writable `/proc` (runc's `readonlyPaths`, containerd's and CRI-O's
/// defaults); a privileged container, `procMount: Unmasked` or Docker's
/// `systempaths=unconfined` goes without, and a writable bind of part of
/// the tree (`/proc/sys/kernel`) on top of the read-only one undoes it.
pub fn proc_sys_mount(mounts: &[MountReport]) -> Option<&MountReport> {
    mounts
        .iter()
        .filter(|m| {
            m.fs_type == "proc"
                && !m.read_only
                && !m.covered
                && classify::at_or_below(&m.mount_point, "/proc")
        })
        .find(|m| {
            let Some(place) = mountinfo::shown_at(&m.root, &m.mount_point, mountinfo::CORE_PATTERN)
            else {
                return false;
            };
            reached(mounts, &place).is_some_and(|r| r.mount_id == m.mount_id)
        })
}

/// The mount a lookup of `path` ends in: the uncovered mount with the
/// deepest mount point at or above it (the last of equals, the one on
/// top).
fn reached<'m>(mounts: &'m [MountReport], path: &str) -> Option<&'m MountReport> {
    mounts
        .iter()
        .filter(|m| !m.covered && classify::at_or_below(path, &m.mount_point))
        .max_by_key(|m| m.mount_point.len())
}

/// The root filesystem's path a mount shows when that is `/` or at or
/// above a system path (see [`MountReport::root_filesystem_path`]).
fn shown_root_system_path(m: &MountReport) -> Option<&str> {
    // Inside one too (the root's /usr/share, /etc/ssl): unlike a volume
    // mounted there, which shadows the image's files, an alias of the
    // root filesystem changes them, and the runtime never makes one (its
    // binds of /etc/hosts and the like come from other filesystems).
    m.root_filesystem_path
        .as_deref()
        .filter(|path| classify::covers_system_path(path) || classify::inside_system_path(path))
}

/// A mount whose writes change the root filesystem's own files at or above
/// a system path, whatever its mount point: judged like a writable mount
/// at that path (when it [`matters`]).
pub fn shows_root_system_path(m: &MountReport) -> bool {
    matters(m) && shown_root_system_path(m).is_some()
}

/// A writable mount the process can reach, unless it is one of the
/// runtime's own kernel interfaces (or otherwise ignored, see
/// [`crate::classify::kernel_interface`]).
/// How a process holds a capability, or can get it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Effective,
    /// capset(2) raises a permitted capability into the effective set at
    /// any time; NoNewPrivs only stops exec from adding to the permitted.
    Permitted,
    /// NoNewPrivs off: exec of a root (or set-uid, or file-capability)
    /// program regains it.
    Bounding,
    /// NoNewPrivs off: exec computes the new permitted set as (inheritable
    /// & file inheritable) | (file permitted & bounding); the first term is
    /// not masked by the bounding set, and for root the file sets are full.
    Inheritable,
}

impl Held {
    /// Where the capability is, and how the process gets it, for a reason.
    fn how(self) -> &'static str {
        match self {
            Held::Effective => "in the effective capability set",
            Held::Permitted => "in the permitted capability set (capset(2) makes it effective)",
            Held::Bounding => {
                "in the bounding set and NoNewPrivs is off (exec of a root program regains it)"
            }
            Held::Inheritable => {
                "in the inheritable set and NoNewPrivs is off (exec can regain it)"
            }
        }
    }
}

fn held(status: &ProcStatus, cap: u32) -> Option<Held> {
    if status.effective.has(cap) {
        Some(Held::Effective)
    } else if status.permitted.has(cap) {
        Some(Held::Permitted)
    } else if status.no_new_privs {
        None
    } else if status.bounding.has(cap) {
        Some(Held::Bounding)
    } else if status.inheritable.has(cap) {
        Some(Held::Inheritable)
    } else {
        None
    }
}

/// CAP_SYS_MODULE in the node's user namespace loads a module: code in
/// the node's kernel, which can remount `/` read-write or write any file
/// beneath it. Not in a nested user namespace (the kernel asks for the
/// capability in the initial one), nor on a sandbox kernel without the
/// node's sysctl tree (gVisor loads no modules), nor once
/// `kernel.modules_disabled` is 1 (it cannot be set back without a
/// reboot).
///
/// CAP_SYS_RAWIO, its neighbour, fails nothing on its own: its ways to
/// write the node's disk go through a device node (the devtmpfs check
/// covers the node's) or raw port I/O, which verify cannot judge.
fn module_reason(status: &ProcStatus, kernel: Kernel) -> Option<String> {
    if kernel.user_namespace != UserNamespace::Initial
        || !kernel.core_pattern
        || kernel.modules_disabled
    {
        return None;
    }
    let how = held(status, CAP_SYS_MODULE)?.how();
    Some(format!(
        "CAP_SYS_MODULE is {how}, and kernel.modules_disabled is not 1: finit_module(2) of \
         a module written to any writable mount runs code in the node's kernel, which can \
         remount / read-write"
    ))
}

/// CAP_SYS_PTRACE in the node's user namespace, with a proc of the node's
/// PID namespace in view (`hostPID: true`, see [`crate::node_processes`]):
/// ptrace read access to a node process opens its `/proc/PID/root`, the
/// node's own root for most of them, writable, read-only root or not. Not
/// in a nested user namespace, where the capability does not cover the
/// node's processes.
fn ptrace_reason(status: &ProcStatus, kernel: Kernel, facts: &RootFacts) -> Option<String> {
    if kernel.user_namespace != UserNamespace::Initial {
        return None;
    }
    let proc = facts.node_processes.as_deref()?;
    let how = held(status, CAP_SYS_PTRACE)?.how();
    Some(format!(
        "CAP_SYS_PTRACE is {how}, and {proc} shows the node's processes (kernel threads are \
         in view: the node's PID namespace, as with hostPID): {proc}/PID/root of a node \
         process is that process's root, the node's own / for most of them, which the \
         capability opens for writing"
    ))
}

/// CAP_DAC_READ_SEARCH in the node's user namespace lets open_by_handle_at(2)
/// open any file of a filesystem by its handle, given any descriptor on a
/// mount of it (the 2014 "Shocker" escape from Docker). Through a writable
/// mount of the node's disk (an emptyDir, a hostPath, the kubelet's binds
/// of `/etc/hosts`) the file opens for writing: the runtime's copy of this
/// container's image, kept on the same disk, is then as writable as the
/// volume, read-only root or not.
fn shocker_reason(
    root_id: Option<u64>,
    mounts: &[MountReport],
    status: &ProcStatus,
    kernel: Kernel,
) -> Option<String> {
    if kernel.user_namespace != UserNamespace::Initial {
        return None;
    }
    let how = held(status, CAP_DAC_READ_SEARCH)?.how();
    // By filesystem type, wherever the mount is (see writable_files): a
    // handle opened through a disk mounted under /sys is a file of that disk.
    let disks: Vec<&str> = mounts
        .iter()
        .filter(|m| {
            writable_files(m)
                && classify::backing_of_type(&m.fs_type, &m.source) == Backing::Disk
                && Some(m.mount_id) != root_id
        })
        .map(|m| m.mount_point.as_str())
        .collect();
    if disks.is_empty() {
        return None;
    }
    Some(format!(
        "CAP_DAC_READ_SEARCH is {how}, and {} {} writable on the node's disk: \
         open_by_handle_at(2) through such a mount opens any file of that filesystem for \
         writing, the runtime's copy of this container's image included when it is kept on \
         the same disk (the \"Shocker\" escape)",
        disks.join(", "),
        if disks.len() == 1 { "is" } else { "are" }
    ))
}

pub fn matters(mount: &MountReport) -> bool {
    !mount.read_only
        && (!mount.covered || mount.held.is_some())
        && mount.kernel_interface != Some(KernelInterface::Ignored)
}

/// One reason per failing kernel interface: mounts failing for the same
/// cause with the same type and source (a host's cgroup v1 hierarchies,
/// one devtmpfs bound at two places) share one, naming every mount point,
/// in mountinfo order.
fn kernel_interface_reasons(mounts: &[MountReport]) -> Vec<String> {
    let mut groups: Vec<(Exposure, &MountReport, Vec<&str>)> = Vec::new();
    // Each group's index by its key, not a search of the groups: a node's
    // mount table can hold thousands of failing mounts of distinct sources.
    let mut index: HashMap<(Exposure, &str, &str), usize> = HashMap::new();
    for m in mounts.iter().filter(|m| !m.covered) {
        let Some(KernelInterface::Fails(why)) = m.kernel_interface else {
            continue;
        };
        match index.entry((why, &m.fs_type, &m.source)) {
            Entry::Occupied(at) => groups[*at.get()].2.push(&m.mount_point),
            Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push((why, m, vec![&m.mount_point]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(why, first, places)| {
            kernel_interface_reason(&first.fs_type, &places.join(", "), &first.source, why)
        })
        .collect()
}

/// The reason a kernel-interface mount fails the verdict: what it is, where
/// (`at`, one or more mount points), and how it undoes the read-only root.
fn kernel_interface_reason(fs: &str, at: &str, from: &str, why: Exposure) -> String {
    match why {
        Exposure::WritableSysfs => format!(
            "writable {fs} at {at} (from {from}): runtimes mount sysfs read-only unless the \
             container is privileged; writable, it changes the node's kernel and device \
             settings, and kernel/uevent_helper names a program the kernel runs as root on \
             the node"
        ),
        Exposure::WritableCgroupV1 => format!(
            "writable {fs} at {at} (from {from}): runtimes mount cgroup v1 hierarchies \
             read-only unless the container is privileged; a hierarchy's release_agent is a \
             program the kernel runs as root on the node (settable without CAP_SYS_ADMIN on kernels \
             without the CVE-2022-0492 fix)"
        ),
        Exposure::NodeDevices { writable } => {
            let (mode, how) = if writable {
                (
                    "writable",
                    "the process can replace the node's device nodes and open its disks",
                )
            } else {
                (
                    "read-only but not nodev",
                    "a read-only mount does not stop writes through device nodes, so the \
                     process can open the node's disks",
                )
            };
            format!(
                "{fs} at {at} (from {from}, {mode}) is the node's device tree, which runtimes \
                 never mount (they build /dev as a tmpfs): {how}, and with them the image \
                 layers, for writing; only the device cgroup (not read by verify) may refuse \
                 that"
            )
        }
        Exposure::Misplaced { standard } => {
            let example = if fs == "proc" {
                "; it lacks the runtime's read-only /proc/sys, and sys/kernel/core_pattern \
                 names a program the kernel runs as root on the node"
            } else {
                ""
            };
            format!(
                "writable {fs} at {at} (from {from}) is outside {standard}, where the runtime \
                 mounts {fs}: it is the node's kernel interface (a hostPath) or another \
                 namespace's, and writing it changes the node{example}"
            )
        }
        Exposure::NotFromRuntime => format!(
            "writable {fs} at {at} (from {from}): container runtimes never mount {fs}; it is \
             the node's kernel interface, and writing it changes kernel state of the whole node"
        ),
    }
}
