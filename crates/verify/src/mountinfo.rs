//! Parser for `/proc/PID/mountinfo`, exactly as laid out in proc(5):
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)    (10)         (11)
//! ```
//!
//! (7) is zero or more optional fields ended by the single `-` (8). Paths
//! (4), (5) and the source (10) escape space, tab, newline and backslash as
//! three-digit octal (`\040`, `\011`, `\012`, `\134`).

use crate::classify;
use rootlock_policy::immutable::KUBELET_FILES;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// One line of mountinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub mount_id: u64,
    pub parent_id: u64,
    /// `major:minor` of the filesystem (field 3): mounts with the same one
    /// show the same files, whatever their flags.
    pub device: String,
    /// Path inside the filesystem that is mounted (field 4), unescaped.
    pub root: String,
    /// Mount point relative to the inspected process's root (field 5), unescaped.
    pub mount_point: String,
    /// Per-mount options (field 6), e.g. `ro,nosuid`.
    pub mount_options: Vec<String>,
    pub fs_type: String,
    /// Mount source (field 10), unescaped; `none` when the kernel gives none.
    pub source: String,
    /// Per-superblock options (field 11).
    pub super_options: Vec<String>,
}

impl MountEntry {
    /// Read-only when either the mount (a read-only bind) or the superblock
    /// (the whole filesystem) is read-only: both stop writes.
    pub fn read_only(&self) -> bool {
        has_ro(&self.mount_options) || has_ro(&self.super_options)
    }

    /// The mount does not let device nodes be opened (`nodev`, a per-mount
    /// flag).
    pub fn nodev(&self) -> bool {
        self.mount_options.iter().any(|o| o == "nodev")
    }

    /// Programs on the mount can be run: no per-mount `noexec`.
    pub fn executable(&self) -> bool {
        !self.mount_options.iter().any(|o| o == "noexec")
    }
}

fn has_ro(options: &[String]) -> bool {
    options.iter().any(|o| o == "ro")
}

/// A malformed mountinfo line, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Parses the whole file; blank lines are skipped, any malformed line is an
/// error (a half-understood mount table must not produce a verdict).
pub fn parse(text: &str) -> Result<Vec<MountEntry>, ParseError> {
    parse_bytes(text.as_bytes())
}

/// [`parse`] of the file's bytes. The kernel shows paths as they are but
/// for its four escapes, so a mount point need not be UTF-8; mount paths
/// are compared as text, and two that differ only in such bytes would
/// compare equal if replaced (a mount "covered" by one at another place),
/// so such a line is an error naming it, not a guess.
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<MountEntry>, ParseError> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .map(|(i, line)| {
            let error = |reason| ParseError {
                line: i + 1,
                reason,
            };
            let line = std::str::from_utf8(line).map_err(|e| {
                error(format!(
                    "byte {} is not UTF-8 (a mount path or source with such a name: verify \
                     compares them as text and cannot judge this mount table)",
                    e.valid_up_to() + 1
                ))
            })?;
            parse_line(line).map_err(error)
        })
        .collect()
}

fn parse_line(line: &str) -> Result<MountEntry, String> {
    let fields: Vec<&str> = line.split(' ').collect();
    // The first bare `-` is the separator: fields 1-6 are numbers, paths
    // (always starting with `/`) and options, optional fields are `tag:value`
    // or `unbindable`, so none of them can be a bare `-`.
    let separator = fields
        .iter()
        .position(|f| *f == "-")
        .ok_or_else(|| "no ' - ' separator before the filesystem type".to_string())?;
    if separator < 6 {
        return Err(format!(
            "expected at least 6 fields before ' - ', found {separator}"
        ));
    }
    let after = &fields[separator + 1..];
    let fs_type = after
        .first()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "missing filesystem type after ' - '".to_string())?;
    let source = after.get(1).copied().unwrap_or("");
    let super_options = after.get(2).copied().unwrap_or("");
    Ok(MountEntry {
        mount_id: number(fields[0], "mount ID")?,
        parent_id: number(fields[1], "parent ID")?,
        device: fields[2].to_string(),
        root: unescape(fields[3]),
        mount_point: unescape(fields[4]),
        mount_options: options(fields[5]),
        fs_type: unescape(fs_type),
        source: if source.is_empty() {
            "none".to_string()
        } else {
            unescape(source)
        },
        super_options: options(super_options),
    })
}

fn number(field: &str, what: &str) -> Result<u64, String> {
    field
        .parse()
        .map_err(|_| format!("{what} {field:?} is not a number"))
}

fn options(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

/// Decodes the kernel's `\ooo` octal escapes. Anything that is not a valid
/// three-digit escape is kept verbatim; bytes that are not UTF-8 are shown
/// as U+FFFD (the result is for reporting and comparing with ASCII paths).
pub fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(value) = bytes.get(i + 1..i + 4).and_then(octal)
        {
            out.push(value);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn octal(digits: &[u8]) -> Option<u8> {
    digits.iter().try_fold(0u8, |acc, d| match d {
        b'0'..=b'7' => acc.checked_mul(8)?.checked_add(d - b'0'),
        _ => None,
    })
}

/// The mount the process sees at `/`: its root. Mounts stacked on `/` later
/// do not change a process's root (the kernel keeps the old one), so this is
/// the bottom `/` entry, the one whose parent lies outside the process's view.
pub fn root_mount(mounts: &[MountEntry]) -> Option<&MountEntry> {
    let at_root = || mounts.iter().filter(|m| m.mount_point == "/");
    at_root()
        .find(|m| {
            !mounts
                .iter()
                .any(|p| p.mount_id == m.parent_id && p.mount_id != m.mount_id)
        })
        .or_else(|| at_root().next())
}

/// What of the root's files `m` shows, if it is another mount of the root's
/// filesystem (same device) whose tree overlaps the root's: `/` when `m`'s
/// tree holds the root's whole tree, otherwise the path of `m`'s tree as
/// the root shows it (`/etc` for a bind of the root's `/etc`). `None` for
/// the root itself, another filesystem, or a part of the same one the root
/// does not show (the node's disk behind Kubernetes' `/etc/hosts` when the
/// root is a directory of that disk). A read-only bind is only a view:
/// through any writable one the same files change.
pub fn root_filesystem_path(m: &MountEntry, root: &MountEntry) -> Option<String> {
    if m.mount_id == root.mount_id || m.device != root.device {
        return None;
    }
    if classify::at_or_below(&root.root, &m.root) {
        return Some("/".to_string());
    }
    if !classify::at_or_below(&m.root, &root.root) {
        return None;
    }
    let rest = m.root.strip_prefix(root.root.trim_end_matches('/'))?;
    Some(rest.to_string())
}

/// Where a mount of tree `root` (field 4) at `mount_point` shows `path` of
/// its filesystem, as a path of the process's view (`None` when its tree
/// does not hold `path`): `/proc/sys/kernel/core_pattern` for proc's
/// `/sys/kernel/core_pattern` through proc at `/proc`, the mount point
/// itself for a bind of the file.
pub fn shown_at(root: &str, mount_point: &str, path: &str) -> Option<String> {
    if !classify::at_or_below(path, root) {
        return None;
    }
    let rest = path.strip_prefix(root.trim_end_matches('/'))?;
    Some(format!("{}{rest}", mount_point.trim_end_matches('/')))
}

/// proc's `kernel/core_pattern`, as a path of proc's filesystem.
pub const CORE_PATTERN: &str = "/sys/kernel/core_pattern";

/// Every place the process's proc mounts show `kernel/core_pattern` at
/// (`/proc/sys/kernel/core_pattern` first, then in mountinfo order).
pub fn core_pattern_places(mounts: &[MountEntry]) -> Vec<String> {
    let mut places = vec![format!("/proc{CORE_PATTERN}")];
    // Duplicates are found by hash, not by searching the list: a mount
    // table of thousands of proc mounts (a node's) made that quadratic.
    let mut seen: std::collections::HashSet<String> = places.iter().cloned().collect();
    for place in mounts
        .iter()
        .filter(|m| m.fs_type == "proc")
        .filter_map(|m| shown_at(&m.root, &m.mount_point, CORE_PATTERN))
    {
        if seen.insert(place.clone()) {
            places.push(place);
        }
    }
    places
}

/// A directory of the node's filesystem where the kubelet or the runtime
/// keeps every pod's files, as the binds of [`KUBELET_FILES`] show it: the
/// parent of such a file's per-pod directory (`/var/lib/kubelet/pods` for
/// `/var/lib/kubelet/pods/UID/etc-hosts`, containerd's
/// `…/io.containerd.grpc.v1.cri/sandboxes` for `…/sandboxes/ID/hostname`,
/// Docker's `/var/lib/docker/containers`). Also a layer of the root's
/// overlay (`root_layer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStateDir {
    /// The `major:minor` of the filesystem it is on.
    pub device: String,
    /// Its path in that filesystem.
    pub path: String,
    /// A layer directory of the process's root overlay (its `upperdir` or
    /// one of its `lowerdir`s): the root's own files, on the node.
    pub root_layer: bool,
}

/// The [`NodeStateDir`]s the process's mounts reveal.
pub fn node_state_dirs(mounts: &[MountEntry]) -> Vec<NodeStateDir> {
    let mut dirs: Vec<NodeStateDir> = Vec::new();
    for m in mounts
        .iter()
        .filter(|m| KUBELET_FILES.contains(&m.mount_point.as_str()))
    {
        // The file's per-pod directory, then that directory's parent; a
        // file too near the filesystem's top says nothing about the node.
        let Some(path) = parent(&m.root).and_then(parent) else {
            continue;
        };
        let dir = NodeStateDir {
            device: m.device.clone(),
            path: path.to_string(),
            root_layer: false,
        };
        if !dirs
            .iter()
            .any(|d| d.device == dir.device && d.path == dir.path)
        {
            dirs.push(dir);
        }
    }
    let layers = root_layer_dirs(mounts, &dirs);
    dirs.extend(layers);
    dirs
}

/// The root's overlay layers as [`NodeStateDir`]s, after `dirs`: the
/// runtime keeps them beside its per-pod files (containerd's snapshots and
/// its `sandboxes` both under `/var/lib/containerd`, Docker's `overlay2`
/// beside its `containers`), so on each filesystem those binds come from.
/// The overlay's options name them as node paths; they match a mount's
/// tree (a path in its filesystem) when that filesystem is the node's
/// `/`, the usual single-disk node. A writable mount of a layer changes
/// the read-only root's files under it: the upper layer is this
/// container's own, a lower layer is the image's, shared.
fn root_layer_dirs(mounts: &[MountEntry], dirs: &[NodeStateDir]) -> Vec<NodeStateDir> {
    let Some(root) = root_mount(mounts).filter(|r| r.fs_type == "overlay") else {
        return Vec::new();
    };
    let mut devices: Vec<&str> = dirs.iter().map(|d| d.device.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    let mut layers: Vec<&str> = Vec::new();
    for option in &root.super_options {
        let Some((key, value)) = option.split_once('=') else {
            continue;
        };
        match key {
            "upperdir" | "lowerdir+" | "datadir+" => layers.push(value),
            // `a:b:c`, top first; `::` marks data-only layers (6.5+).
            "lowerdir" => layers.extend(value.split(':')),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for device in devices {
        for layer in layers.iter().filter(|l| l.starts_with('/')) {
            out.push(NodeStateDir {
                device: device.to_string(),
                path: unescape(layer),
                root_layer: true,
            });
        }
    }
    out
}

/// `/a/b` for `/a/b/c`; `None` for `/` and its children.
fn parent(path: &str) -> Option<&str> {
    let (up, _) = path.trim_end_matches('/').rsplit_once('/')?;
    (!up.is_empty()).then_some(up)
}

/// The node state directory `m` shows, if it is another mount of that
/// directory's filesystem whose tree holds it (a hostPath of the node's
/// `/`, `/var/lib` or `/var/lib/kubelet`; not a volume inside one pod's
/// directory, such as an emptyDir). For a layer of the root's overlay,
/// also a mount of part of it (its `etc`: the root's `/etc`).
pub fn node_state_path<'d>(m: &MountEntry, dirs: &'d [NodeStateDir]) -> Option<&'d NodeStateDir> {
    dirs.iter().find(|d| {
        d.device == m.device
            && (classify::at_or_below(&d.path, &m.root)
                || (d.root_layer && classify::at_or_below(&m.root, &d.path)))
    })
}

/// The path (field 4) of a system directory of the node's own root
/// filesystem that `m` shows (`/etc` for a hostPath of the node's `/etc`),
/// if `m` is on the filesystem of a [`NodeStateDir`] under `/var/lib/` of
/// its filesystem: where the kubelet's or the runtime's per-pod files lie
/// at `/var/lib/…` of their filesystem, that filesystem is the node's `/`
/// (a separate `/var` would show them at `/lib/…`). `m`'s tree then is at
/// or above a system path of the node: its programs, libraries or
/// configuration, which run as root on the node. `None` otherwise.
pub fn node_system_path<'m>(m: &'m MountEntry, dirs: &[NodeStateDir]) -> Option<&'m str> {
    let on_node_root = dirs
        .iter()
        .any(|d| !d.root_layer && d.device == m.device && d.path.starts_with("/var/lib/"));
    (on_node_root && classify::covers_system_path(&m.root)).then_some(m.root.as_str())
}

/// Mounts the process cannot reach, by mount ID: one with another mount
/// stacked on it at the same mount point (path lookup finds the top of the
/// stack), one under a later mount of the same parent on a directory above
/// its mount point, and every mount beneath a covered one. Such a mount may
/// be writable, but nothing the process does can write to it.
///
/// A stack on `/` above the process's root (see [`root_mount`]) is not
/// covered: its top is reached by `..` at the root (the kernel crosses
/// into the mounts on a directory `..` arrives at, the root included, so
/// `/..` and `/tmp/..` lead there), and it is the root of every process
/// that joins the mount namespace later (setns(2) takes the top of the
/// stack on the namespace's root: `kubectl exec`, `nsenter`).
pub fn covered(mounts: &[MountEntry]) -> HashSet<u64> {
    let root_id = root_mount(mounts).map(|r| r.mount_id);
    let by_id: HashMap<u64, &MountEntry> = mounts.iter().map(|m| (m.mount_id, m)).collect();
    let has_cover: HashSet<(u64, &str)> = mounts
        .iter()
        .filter(|m| m.parent_id != m.mount_id)
        .map(|m| (m.parent_id, m.mount_point.as_str()))
        .collect();
    let on_top = |m: &MountEntry| !has_cover.contains(&(m.mount_id, m.mount_point.as_str()));
    // A mount on a directory *above* `m`'s mount point in the same parent
    // (`/usr` mounted after `/usr/lib`): a lookup crosses into it before it
    // reaches `m`'s place. It must have come later (mounted first, it
    // would be `m`'s parent). Only directories strictly between the
    // parent's mount point and `m`'s count: one at the parent's own place
    // is a stack on the parent, handled below.
    let hidden_by_sibling = |m: &MountEntry, parent: &MountEntry| -> bool {
        let mut dir = m.mount_point.as_str();
        while let Some((up, _)) = dir.rsplit_once('/') {
            dir = if up.is_empty() { "/" } else { up };
            if dir == "/" || !classify::at_or_below(dir, &parent.mount_point) {
                return false;
            }
            if dir != parent.mount_point && has_cover.contains(&(parent.mount_id, dir)) {
                return true;
            }
        }
        false
    };
    // Whether path lookup can arrive at the place `m` is mounted at: walk up
    // to the root; a mount that `m` lies inside must be on top of its own
    // stack. Lookups start in the process's root, at the bottom of a stack
    // on `/`, so the root need not be on top; the top of that stack is
    // still entered, through `..` (see above). Malformed input (a parent
    // loop) ends the walk after `mounts.len()` steps and counts the mount
    // as reachable: judged, not hidden.
    let reachable = |m: &MountEntry| -> bool {
        let mut at = m;
        for _ in 0..=mounts.len() {
            if Some(at.mount_id) == root_id {
                return true;
            }
            let Some(parent) = by_id
                .get(&at.parent_id)
                .filter(|p| p.mount_id != at.mount_id)
            else {
                return true;
            };
            let is_root = Some(parent.mount_id) == root_id;
            if hidden_by_sibling(at, parent) {
                return false;
            }
            // Stacked on `parent`, at the same place, `at` is what a lookup
            // of that place finds; inside `parent`, `parent` must be the
            // top of its own stack.
            let stacked = parent.mount_point == at.mount_point;
            if !stacked && !is_root && !on_top(parent) {
                return false;
            }
            at = parent;
        }
        true
    };
    mounts
        .iter()
        .filter(|m| Some(m.mount_id) != root_id && !(on_top(m) && reachable(m)))
        .map(|m| m.mount_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_proc5_example() {
        let m = parse(
            "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n",
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        let m = &m[0];
        assert_eq!((m.mount_id, m.parent_id), (36, 35));
        assert_eq!(m.device, "98:0");
        assert_eq!(m.root, "/mnt1");
        assert_eq!(m.mount_point, "/mnt2");
        assert_eq!(m.mount_options, ["rw", "noatime"]);
        assert_eq!(m.fs_type, "ext3");
        assert_eq!(m.source, "/dev/root");
        assert_eq!(m.super_options, ["rw", "errors=continue"]);
        assert!(!m.read_only());
    }

    #[test]
    fn optional_fields_any_count() {
        let none = parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw").unwrap();
        let many = parse(
            "1 0 8:1 / / rw shared:1 master:2 propagate_from:3 unbindable - ext4 /dev/sda1 rw",
        )
        .unwrap();
        assert_eq!(none[0].fs_type, "ext4");
        assert_eq!(many[0].fs_type, "ext4");
        assert_eq!(many[0].source, "/dev/sda1");
    }

    #[test]
    fn octal_escapes_in_paths_and_source() {
        let m =
            parse(r"40 1 0:50 /a\134b /mnt/my\040dir\011x rw - fuse.sshfs me@h:/with\040space rw")
                .unwrap();
        assert_eq!(m[0].root, r"/a\b");
        assert_eq!(m[0].mount_point, "/mnt/my dir\tx");
        assert_eq!(m[0].source, "me@h:/with space");
        // Not a valid three-digit octal escape: kept verbatim.
        assert_eq!(unescape(r"\09"), r"\09");
        assert_eq!(unescape(r"end\"), r"end\");
        assert_eq!(unescape(r"\777"), r"\777");
    }

    #[test]
    fn read_only_from_mount_or_superblock() {
        let m = parse(
            "1 0 8:1 / / ro,relatime - ext4 /dev/sda1 rw\n\
             2 1 8:2 / /data rw,relatime - ext4 /dev/sda2 ro\n\
             3 1 8:3 / /w rw,relatime - ext4 /dev/sda3 rw,errors=remount-ro\n",
        )
        .unwrap();
        assert!(m[0].read_only());
        assert!(m[1].read_only());
        assert!(!m[2].read_only(), "errors=remount-ro is not ro");
    }

    #[test]
    fn a_line_that_is_not_utf8_is_an_error_naming_it() {
        let text = b"1 0 8:1 / / ro - ext4 /dev/sda1 ro\n\
                     2 1 0:40 / /mnt/\xff rw - tmpfs tmpfs rw\n";
        let e = parse_bytes(text).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.starts_with("byte 17 is not UTF-8"), "{e}");
        assert_eq!(parse_bytes(&text[..35]).unwrap().len(), 1);
    }

    #[test]
    fn a_system_directory_of_the_nodes_root_filesystem_is_named() {
        // 8:1 holds the kubelet's files under /var/lib/: the node's `/`.
        // 8:2 holds them under /lib/: a separate /var, whose /lib is the
        // node's /var/lib, no system path.
        let m = parse(
            "43 42 0:50 / / ro - overlay overlay ro\n\
             50 43 8:1 /var/lib/kubelet/pods/u1/etc-hosts /etc/hosts rw - ext4 /dev/sda1 rw\n\
             51 43 8:2 /lib/kubelet/pods/u1/etc-hostname /etc/hostname rw - ext4 /dev/sda2 rw\n\
             60 43 8:1 /usr /host/usr rw - ext4 /dev/sda1 rw\n\
             61 43 8:1 /opt/data /data rw - ext4 /dev/sda1 rw\n\
             62 43 8:2 /lib /host/var-lib rw - ext4 /dev/sda2 rw\n\
             63 43 8:3 /etc /pv rw - ext4 /dev/sdb rw\n",
        )
        .unwrap();
        let dirs = node_state_dirs(&m);
        let shown: Vec<Option<&str>> = m.iter().map(|m| node_system_path(m, &dirs)).collect();
        assert_eq!(shown, [None, None, None, Some("/usr"), None, None, None]);
    }

    #[test]
    fn empty_source_is_none() {
        let m = parse("5 1 0:5 / /x rw - tmpfs  rw").unwrap();
        assert_eq!(m[0].source, "none");
        assert_eq!(m[0].super_options, ["rw"]);
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let e = parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n1 0 8:1 / / rw ext4\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse("x 0 8:1 / / rw - ext4 s rw").is_err());
        assert!(parse("1 0 8:1 / - ext4 s rw").is_err());
        assert!(parse("1 0 8:1 / / rw -").is_err());
    }

    #[test]
    fn mounts_under_another_mount_are_covered() {
        let m = parse(
            "43 42 254:0 / / ro,relatime - ext4 /dev/vda rw\n\
             50 43 0:30 / /etc rw - tmpfs writable rw\n\
             51 50 0:31 / /etc/ssl rw - tmpfs below-the-cover rw\n\
             52 50 0:32 / /etc ro - tmpfs cover ro\n\
             60 43 0:40 / /dev/shm rw - tmpfs shm rw\n\
             61 60 0:41 / /dev/shm rw - tmpfs shm rw\n\
             70 43 0:50 / /tmp rw - tmpfs tmp rw\n",
        )
        .unwrap();
        let mut ids: Vec<u64> = covered(&m).into_iter().collect();
        ids.sort_unstable();
        assert_eq!(ids, [50, 51, 60]);
        assert!(covered(&m[..1]).is_empty());
    }

    #[test]
    fn the_top_of_a_stack_on_the_root_is_reached_through_dotdot() {
        // The process's root stays the bottom mount, but `/..` crosses into
        // the top of the stack on it (and a process joining the namespace
        // gets that top as its root): the top and what is mounted in it
        // count; a mount under the top of the stack does not.
        let m = parse(
            "43 42 254:0 / / ro,relatime - ext4 /dev/vda rw\n\
             63 43 0:39 / / rw - tmpfs under-the-top rw\n\
             64 63 0:42 / /data rw - tmpfs in-the-covered-one rw\n\
             65 63 0:43 / / rw - tmpfs top-of-the-stack rw\n\
             66 65 0:44 / /etc rw - tmpfs in-the-top rw\n\
             70 43 0:50 / /tmp rw - tmpfs tmp rw\n",
        )
        .unwrap();
        assert_eq!(root_mount(&m).map(|r| r.mount_id), Some(43));
        let mut ids: Vec<u64> = covered(&m).into_iter().collect();
        ids.sort_unstable();
        assert_eq!(ids, [63, 64]);
    }

    #[test]
    fn mounts_below_a_later_mount_on_an_ancestor_directory_are_covered() {
        // /usr/lib mounted first, then /usr: both sit in the root mount
        // (had /usr come first, /usr/lib's parent would be it), and a
        // lookup of /usr/lib now ends in the /usr tmpfs. So is everything
        // mounted in or on the hidden one. A later mount on a directory of
        // a non-root mount hides that mount's children the same way; a
        // mount stacked on the root at `/` does not (the process's root
        // stays at the bottom; the stack itself is reached through `..`),
        // nor does a sibling at an unrelated place.
        let m = parse(
            "43 42 254:0 / / ro,relatime - ext4 /dev/vda rw\n\
             50 43 0:30 / /usr/lib rw - tmpfs hidden rw\n\
             51 50 0:31 / /usr/lib/x rw - tmpfs in-hidden rw\n\
             52 50 0:32 / /usr/lib rw - tmpfs on-hidden rw\n\
             53 43 0:33 / /usr ro - tmpfs cover ro\n\
             54 43 0:34 / /usr2 rw - tmpfs not-below rw\n\
             60 43 0:40 / /tmp rw - tmpfs tmp rw\n\
             61 60 0:41 / /tmp/a/b rw - tmpfs hidden-in-tmp rw\n\
             62 60 0:42 / /tmp/a rw - tmpfs cover-in-tmp rw\n\
             63 43 0:39 / / rw - tmpfs above-the-root rw\n\
             70 43 0:50 / /data rw - tmpfs beside-the-stack rw\n",
        )
        .unwrap();
        let mut ids: Vec<u64> = covered(&m).into_iter().collect();
        ids.sort_unstable();
        assert_eq!(ids, [50, 51, 52, 61]);
    }

    /// A node's mount table with as many proc mounts as the kernel allows
    /// (verify run against a host process): each mount point gives its
    /// place once, in mountinfo order.
    #[test]
    fn many_proc_mounts_give_each_place_once_in_order() {
        let text: String = std::iter::once("1 0 8:1 / / ro - ext4 /dev/sda1 ro\n".to_string())
            .chain((2..100_002).map(|i| format!("{i} 1 0:21 / /p/{} rw - proc proc rw\n", i / 2)))
            .collect();
        let places = core_pattern_places(&parse(&text).unwrap());
        // Two mounts at each of 50,000 mount points (fs.mount-max is
        // 100,000 by default).
        assert_eq!(places.len(), 1 + 50_000);
        assert_eq!(places[0], "/proc/sys/kernel/core_pattern");
        assert_eq!(places[1], "/p/1/sys/kernel/core_pattern");
        assert_eq!(places[50_000], "/p/50000/sys/kernel/core_pattern");
    }

    #[test]
    fn core_pattern_is_shown_wherever_a_proc_mount_holds_it() {
        let m = parse(
            "45 43 0:21 / /proc rw - proc proc rw\n\
             48 45 0:21 /sys /proc/sys ro - proc proc rw\n\
             49 45 0:21 /sys /proc/fs rw - proc proc rw\n\
             50 43 0:21 /sys/kernel/core_pattern /cp rw - proc proc rw\n\
             51 45 0:21 /sys/net /proc/net2 rw - proc proc rw\n\
             52 48 0:30 / /proc/sys/kernel ro - tmpfs tmpfs ro\n",
        )
        .unwrap();
        assert_eq!(
            core_pattern_places(&m),
            [
                "/proc/sys/kernel/core_pattern",
                "/proc/fs/kernel/core_pattern",
                "/cp"
            ]
        );
    }

    #[test]
    fn root_is_the_bottom_of_a_stack_on_slash() {
        let m = parse(
            "43 42 254:0 / / ro,relatime - ext4 /dev/vda rw\n\
             45 43 0:21 / /proc rw - proc proc rw\n\
             63 43 0:39 / / rw - tmpfs t rw\n",
        )
        .unwrap();
        assert_eq!(root_mount(&m).map(|r| r.mount_id), Some(43));
        assert_eq!(root_mount(&m[1..2]).map(|r| r.mount_id), None);
    }
}
