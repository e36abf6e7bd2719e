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
//! A disk is recognised by its `major:minor` alone, as mountinfo's field 3
//! names it: a partition mounted (`/dev/nvme0n1p1`, 259:1) is found, the
//! whole disk holding it (`/dev/nvme0n1`, 259:0) is not.

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
}

/// The [`DiskNode`]s under `/dev` of `root`, in the order found. Nothing
/// when `/dev` cannot be listed.
pub fn in_dev(root: &Root, mounts: &[MountEntry]) -> Vec<DiskNode> {
    let node_state = crate::mountinfo::node_state_dirs(mounts);
    let holding_root: Vec<&str> = crate::mountinfo::root_mount(mounts)
        .map(|r| r.device.as_str())
        .into_iter()
        .chain(node_state.iter().map(|d| d.device.as_str()))
        .collect();
    let mut mounted: HashMap<&str, &str> = HashMap::new();
    for m in mounts
        .iter()
        .filter(|m| holding_root.contains(&m.device.as_str()))
    {
        mounted.entry(m.device.as_str()).or_insert(&m.mount_point);
    }
    let mut found = Vec::new();
    if let Ok(dev) = root.open_listing("/dev") {
        walk(dev, "/dev", 0, &mounted, &mut found);
    }
    found
}

/// Looks through directory `dir` (at `path`) for block devices whose
/// `major:minor` is in `mounted`, and down into its subdirectories (not
/// through symlinks) to [`MAX_DEPTH`].
fn walk(
    dir: OwnedFd,
    path: &str,
    depth: usize,
    mounted: &HashMap<&str, &str>,
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
                if let Some(mount_point) = mounted.get(device.as_str()) {
                    found.push(DiskNode {
                        path: child,
                        device,
                        mount_point: (*mount_point).to_string(),
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
