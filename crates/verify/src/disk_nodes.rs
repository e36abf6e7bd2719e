//! Block device nodes in the process's `/dev` that are the disk of a
//! filesystem it has mounted: what a runtime puts there for `docker run
//! --device /dev/sda` or a device plugin, and the device cgroup then lets
//! the process open. A read-only mount refuses writes to files, not to the
//! disk under them: written raw, that disk changes every file on it, the
//! image layers of a read-only root included where they live there (the
//! node's disk behind the runtime's `/etc/hosts` bind usually holds them).
//! Only the device cgroup, which verify does not read, may refuse it.
//!
//! Only the disks that hold the root's files count: the root's own
//! filesystem, and the node's disk the runtime's `/etc/hosts`,
//! `/etc/hostname` or `/etc/resolv.conf` binds come from (see
//! [`crate::mountinfo::node_state_dirs`]), where runtimes keep image
//! layers; a raw block volume's own disk is none of this container's root.
//! A disk is recognised by its `major:minor`: the one mountinfo's field 3
//! names (a partition mounted, `/dev/nvme0n1p1`, 259:1), and the devices
//! under it as the root's sysfs tells (see [`under`]): the whole disk
//! holding a partition (`/dev/nvme0n1`, 259:0), and what a device-mapper
//! or md device is built on. Written raw, each of them changes the
//! filesystem on top as surely.
//!
//! btrfs gives each filesystem an anonymous device number (`0:N`) that no
//! node has: there the device is the one mountinfo names as the mount's
//! source (`/dev/nvme0n1p2`), found by its kernel name in the root's
//! sysfs (see [`by_source`]), and the disks under it as for any other. A
//! btrfs over several devices names one of them as its source; only that
//! one (and what is under it) is found.

use crate::mountinfo::MountEntry;
use crate::root::Root;
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use std::collections::HashMap;
use std::os::fd::OwnedFd;

/// How deep below `/dev` nodes are looked for (`/dev/mapper/x`,
/// `/dev/disk/by-id/x`): a runtime makes them at most a level or two down.
const MAX_DEPTH: usize = 3;

/// A block device node in view that is the disk of a mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskNode {
    /// The node, as the process sees it (`/dev/sda1`).
    pub path: String,
    /// Its `major:minor`.
    pub device: String,
    /// The first mount (in mountinfo order) of that device.
    pub mount_point: String,
    /// The mounted device (`major:minor`) this disk holds, when the node is
    /// a disk under it (a partition's whole disk) rather than the device
    /// mounted.
    pub holds: Option<String>,
}

/// sysfs' `f_type` (statfs(2)).
const SYSFS_MAGIC: u64 = 0x6265_6572;
/// How many layers of devices are followed down from a mounted one: a
/// filesystem on dm-crypt on an md RAID of partitions is three.
const MAX_LAYERS: usize = 4;
/// Most devices one device-mapper or md device is read as built on.
const MAX_SLAVES: usize = 64;

/// The [`DiskNode`]s under `/dev` of `root`, in the order found. Nothing
/// when `/dev` cannot be listed.
pub fn in_dev(root: &Root, mounts: &[MountEntry]) -> Vec<DiskNode> {
    let node_state = crate::mountinfo::node_state_dirs(mounts);
    let holding_root: Vec<&str> = crate::mountinfo::root_mount(mounts)
        .map(|r| r.device.as_str())
        .into_iter()
        .chain(node_state.iter().map(|d| d.device.as_str()))
        .collect();
    let mut mounted: HashMap<String, Held<'_>> = HashMap::new();
    for m in mounts
        .iter()
        .filter(|m| holding_root.contains(&m.device.as_str()))
    {
        mounted.entry(m.device.clone()).or_insert(Held {
            mount_point: &m.mount_point,
            holds: None,
        });
    }
    for m in mounts
        .iter()
        .filter(|m| m.device.starts_with("0:") && holding_root.contains(&m.device.as_str()))
    {
        if let Some(source) = by_source(root, &m.source) {
            mounted.entry(source).or_insert(Held {
                mount_point: &m.mount_point,
                holds: Some(m.device.clone()),
            });
        }
    }
    let direct: Vec<(String, &str)> = mounted
        .iter()
        .filter(|(device, _)| !device.starts_with("0:"))
        .map(|(device, held)| (device.clone(), held.mount_point))
        .collect();
    for (device, mount_point) in direct {
        for disk in under(root, &device) {
            mounted.entry(disk).or_insert(Held {
                mount_point,
                holds: Some(device.clone()),
            });
        }
    }
    let mut found = Vec::new();
    if let Ok(dev) = root.open_listing("/dev") {
        walk(dev, "/dev", 0, &mounted, &mut found);
    }
    found
}

/// What a disk device holds of the root: the mount it is the disk of, and
/// the mounted device it is under, if it is not that device.
struct Held<'m> {
    mount_point: &'m str,
    holds: Option<String>,
}

/// The devices under `device` (`major:minor`) as the root's sysfs tells
/// (`/sys/dev/block/MAJ:MIN`): a partition's whole disk (`partition` is
/// there; the disk is the directory above), and the devices a
/// device-mapper or md device is built on (`slaves/`), with theirs, to
/// [`MAX_LAYERS`]. Nothing where the root has no sysfs at `/sys`: a
/// directory there that is not sysfs (the image's own files) is not read,
/// so it can neither stall verify (a FIFO) nor name a disk.
fn under(root: &Root, device: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo = vec![(device.to_string(), 0)];
    while let Some((dev, layer)) = todo.pop() {
        if layer == MAX_LAYERS {
            continue;
        }
        let Some(dir) = sys_block(root, &dev) else {
            continue;
        };
        let mut next = Vec::new();
        if rustix::fs::statat(&dir, "partition", AtFlags::empty()).is_ok() {
            next.extend(read_device(&dir, "../dev"));
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if let Ok(slaves) = rustix::fs::openat(&dir, "slaves", flags, Mode::empty())
            && let Ok(listing) = slaves.try_clone()
            && let Ok(entries) = Dir::new(listing)
        {
            for entry in entries.flatten().take(MAX_SLAVES + 2) {
                let name = entry.file_name();
                if name.to_bytes() == b"." || name.to_bytes() == b".." {
                    continue;
                }
                if let Ok(slave) = rustix::fs::openat(&slaves, name, flags, Mode::empty()) {
                    next.extend(read_device(&slave, "dev"));
                }
            }
        }
        for d in next {
            if d != device && !out.contains(&d) {
                out.push(d.clone());
                todo.push((d, layer + 1));
            }
        }
    }
    out
}

/// The `major:minor` of the block device a mount's `source` names, by its
/// kernel name in the root's sysfs (`/sys/class/block/NAME/dev`): the last
/// component of `/dev/nvme0n1p2` (or of wherever the node was when it was
/// mounted), or for `/dev/mapper/NAME` the `dm-N` whose `dm/name` is NAME.
/// `None` for a source that is no path (`overlay`, `none`), or names no
/// device the sysfs knows.
fn by_source(root: &Root, source: &str) -> Option<String> {
    let (dir, name) = source.rsplit_once('/')?;
    if name.is_empty() || name == "." || name == ".." {
        return None;
    }
    if dir == "/dev/mapper" {
        return device_mapper(root, name);
    }
    let block = sysfs_dir(root, &format!("/sys/class/block/{name}"))?;
    read_device(&block, "dev")
}

/// The device of the device-mapper device named `name` (`dm/name` of one
/// of `/sys/class/block/dm-*`).
fn device_mapper(root: &Root, name: &str) -> Option<String> {
    let class = sysfs_dir(root, "/sys/class/block")?;
    let listing = class.try_clone().ok()?;
    let entries = Dir::new(listing).ok()?;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    entries
        .flatten()
        .filter(|e| e.file_name().to_bytes().starts_with(b"dm-"))
        .filter_map(|e| rustix::fs::openat(&class, e.file_name(), flags, Mode::empty()).ok())
        .find(|dm| read_text(dm, "dm/name").is_some_and(|n| n == name))
        .and_then(|dm| read_device(&dm, "dev"))
}

/// Directory `path` inside the root (symlinks followed there), when it is
/// on sysfs.
fn sysfs_dir(root: &Root, path: &str) -> Option<OwnedFd> {
    let dir = root.open_listing(path).ok()?;
    let on_sysfs = rustix::fs::fstatfs(&dir).is_ok_and(|st| st.f_type as u64 == SYSFS_MAGIC);
    on_sysfs.then_some(dir)
}

/// `/sys/dev/block/DEVICE` inside the root (its symlink followed there),
/// when it is a directory of sysfs.
fn sys_block(root: &Root, device: &str) -> Option<OwnedFd> {
    if !is_device_number(device) {
        return None;
    }
    sysfs_dir(root, &format!("/sys/dev/block/{device}"))
}

/// The `major:minor` sysfs file `name` (relative to `dir`) holds.
fn read_device(dir: &OwnedFd, name: &str) -> Option<String> {
    read_text(dir, name).filter(|text| is_device_number(text))
}

/// The first line of sysfs file `name` (relative to `dir`), at most 256
/// bytes, trimmed.
fn read_text(dir: &OwnedFd, name: &str) -> Option<String> {
    use std::io::Read as _;
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).ok()?;
    let mut text = String::new();
    std::fs::File::from(fd)
        .take(256)
        .read_to_string(&mut text)
        .ok()?;
    Some(text.trim().to_string())
}

/// `MAJ:MIN`, decimal: what mountinfo and sysfs write, and all that may go
/// into a path below `/sys/dev/block`.
fn is_device_number(s: &str) -> bool {
    s.split_once(':').is_some_and(|(major, minor)| {
        [major, minor]
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Looks through directory `dir` (at `path`) for block devices whose
/// `major:minor` is in `mounted`, and down into its subdirectories (not
/// through symlinks) to [`MAX_DEPTH`].
fn walk(
    dir: OwnedFd,
    path: &str,
    depth: usize,
    mounted: &HashMap<String, Held<'_>>,
    found: &mut Vec<DiskNode>,
) {
    let Ok(listing) = dir.try_clone() else {
        return;
    };
    let Ok(entries) = Dir::new(listing) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "." || name == ".." {
            continue;
        }
        let Ok(st) = rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let child = format!("{path}/{name}");
        match FileType::from_raw_mode(st.st_mode) {
            FileType::BlockDevice => {
                let rdev = st.st_rdev;
                let device = format!("{}:{}", rustix::fs::major(rdev), rustix::fs::minor(rdev));
                if let Some(held) = mounted.get(device.as_str()) {
                    found.push(DiskNode {
                        path: child,
                        device,
                        mount_point: held.mount_point.to_string(),
                        holds: held.holds.clone(),
                    });
                }
            }
            FileType::Directory if depth + 1 < MAX_DEPTH => {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                if let Ok(sub) = rustix::fs::openat(&dir, name.as_str(), flags, Mode::empty()) {
                    walk(sub, &child, depth + 1, mounted, found);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    /// Makes block device node `name` (under the scratch root's /dev) of
    /// `major:minor`; false when this process may not (not root).
    fn block_node(root: &std::path::Path, name: &str, major: u32, minor: u32) -> bool {
        let path = root.join("dev").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            FileType::BlockDevice,
            Mode::from_raw_mode(0o600),
            rustix::fs::makedev(major, minor),
        )
        .is_ok()
    }

    #[test]
    fn a_sys_that_is_not_sysfs_names_no_disk() {
        // The image's own files at /sys/dev/block, laid out as sysfs lays
        // out a partition of 254:0: not read, since they are no sysfs.
        let dir = Scratch::new("fake-sysfs");
        let partition = dir.join("sys/dev/block/254:1");
        std::fs::create_dir_all(&partition).unwrap();
        std::fs::write(partition.join("partition"), "1\n").unwrap();
        std::fs::write(dir.join("sys/dev/block/dev"), "254:0\n").unwrap();
        let root = Root::open(&dir).unwrap();
        assert_eq!(under(&root, "254:1"), Vec::<String>::new());
        // And a device number that is not one never becomes a path.
        assert!(sys_block(&root, "../../etc").is_none());
        assert!(!is_device_number("254:"));
        assert!(!is_device_number("254:1/.."));
        assert!(is_device_number("259:12"));
    }

    /// A mount's source names its device by the kernel's name for it,
    /// wherever its node was; a source that is no path, or names nothing
    /// the sysfs knows, names no device.
    #[test]
    fn a_source_is_found_by_its_kernel_name() {
        let root = Root::open(std::path::Path::new("/")).unwrap();
        for source in ["overlay", "none", "/dev/", "/dev/..", "/dev/no-such-disk-9"] {
            assert_eq!(by_source(&root, source), None, "{source}");
        }
        assert_eq!(device_mapper(&root, "no-such-volume-9"), None);
        let Some(name) = std::fs::read_dir("/sys/class/block")
            .ok()
            .and_then(|mut d| {
                d.find_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            })
        else {
            eprintln!("skipped: no block device in /sys/class/block");
            return;
        };
        let dev = std::fs::read_to_string(format!("/sys/class/block/{name}/dev")).unwrap();
        let want = Some(dev.trim().to_string());
        assert_eq!(by_source(&root, &format!("/dev/{name}")), want);
        assert_eq!(by_source(&root, &format!("/run/elsewhere/{name}")), want);
    }

    #[test]
    fn only_disks_holding_the_roots_files_are_found() {
        let dir = Scratch::new("disk-nodes");
        let made = block_node(&dir, "root-disk", 254, 0)
            && block_node(&dir, "mapper/node-disk", 259, 1)
            && block_node(&dir, "volume-disk", 8, 16)
            && block_node(&dir, "a/b/c/too-deep", 254, 0);
        if !made {
            eprintln!("skipped: cannot mknod here (not root)");
            return;
        }
        std::os::unix::fs::symlink("../dev/root-disk", dir.join("dev/link")).unwrap();
        // The root on 254:0; the kubelet's /etc/hosts from the node's disk
        // 259:1; a volume on 8:16, whose node is no disk of the root.
        let mounts = crate::mountinfo::parse(
            "43 42 254:0 / / ro - ext4 /dev/vda rw\n\
             50 43 259:1 /var/lib/kubelet/pods/u/etc-hosts /etc/hosts rw - ext4 /dev/nvme0n1p1 rw\n\
             51 43 8:16 / /data rw - ext4 /dev/sdb rw\n",
        )
        .unwrap();
        let root = Root::open(&dir).unwrap();
        let mut found: Vec<(String, String, String)> = in_dev(&root, &mounts)
            .into_iter()
            .map(|n| (n.path, n.device, n.mount_point))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "/dev/mapper/node-disk".into(),
                    "259:1".into(),
                    "/etc/hosts".into()
                ),
                ("/dev/root-disk".into(), "254:0".into(), "/".into()),
            ]
        );
    }
}
