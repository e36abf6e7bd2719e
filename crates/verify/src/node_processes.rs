//! Whether a proc filesystem in the process's view shows the node's
//! processes: a proc of the node's PID namespace, which a pod gets with
//! `hostPID: true` (or a hostPath of the node's `/proc`). There,
//! `/proc/PID/root` of a node process is that process's root, for most of
//! them the node's own `/`, writable; ptrace read access opens it, and
//! CAP_SYS_PTRACE gives that access over every process of the user
//! namespace (see [`crate::verdict`]).
//!
//! The node's PID namespace is the only one whose proc shows kernel
//! threads, and its PID 2 is always one (`kthreadd`). The kernel marks
//! them `PF_KTHREAD` in the flags of `/proc/PID/stat`, which no process
//! can set for itself; a parent PID of 0 is no sign, since every process
//! whose parent is outside its PID namespace has it (a `kubectl exec`
//! shell, often PID 2 of a container).

use crate::mountinfo::MountEntry;
use crate::root::Root;

/// `PF_KTHREAD` (include/linux/sched.h): the task is a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The mount points of whole proc filesystems (field 4 `/`) in the
/// process's view, in mountinfo order, each once.
pub fn places(mounts: &[MountEntry]) -> Vec<String> {
    // Duplicates found by hash: a node's table can hold tens of thousands
    // of proc mounts (see mountinfo::core_pattern_places).
    let mut seen = std::collections::HashSet::new();
    mounts
        .iter()
        .filter(|m| m.fs_type == "proc" && m.root == "/")
        .filter(|m| seen.insert(m.mount_point.as_str()))
        .map(|m| m.mount_point.clone())
        .collect()
}

/// The first of `places` (proc mount points) where, looked up inside the
/// process's root, PID 2 is a kernel thread: that proc shows the node's
/// processes. `None` when none does or none can be read (a proc of the
/// process's own PID namespace has no kernel threads; without ptrace
/// access to a `--pid` target's root nothing is looked up).
pub fn shown_at(root: &Root, places: &[String]) -> Option<String> {
    places
        .iter()
        .find(|place| {
            let stat = format!("{}/2/stat", place.trim_end_matches('/'));
            root.read_proc_file(&stat)
                .is_ok_and(|text| kernel_thread(&text))
        })
        .cloned()
}

/// `/proc/PID/stat` is a kernel thread's: `PF_KTHREAD` in its flags, the
/// ninth field, the sixth after the command name (in parentheses, and
/// which may itself hold `)`, so taken after the last one).
fn kernel_thread(stat: &str) -> bool {
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(6))
        .and_then(|flags| flags.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kthreadd_is_a_kernel_thread_a_process_named_so_is_not() {
        // A node's PID 2 (flags 0x208040).
        assert!(kernel_thread(
            "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 1"
        ));
        // A container's PID 2: a `kubectl exec` shell (parent outside the
        // namespace, shown as 0) that even calls itself kthreadd, and one
        // whose name holds `) S 0 0 0 0 -1 2129984`.
        assert!(!kernel_thread(
            "2 (kthreadd) S 0 2 2 34816 2 4194560 1 0 0 0 0 0 0 0 20 0 1 0 9"
        ));
        assert!(!kernel_thread(
            "2 (a) S 0 0 0 0 -1 2129984) S 0 2 2 0 -1 4194560 1 0"
        ));
        assert!(!kernel_thread(""));
        assert!(!kernel_thread("2 (x) S 0"));
    }

    #[test]
    fn places_are_whole_proc_mounts_once_in_order() {
        let mounts = crate::mountinfo::parse(
            "43 42 254:0 / / ro - ext4 /dev/vda rw\n\
             45 43 0:21 / /proc rw - proc proc rw\n\
             48 45 0:21 /sys /proc/sys ro - proc proc rw\n\
             50 43 0:60 / /host/proc rw - proc proc rw\n\
             51 43 0:21 / /proc rw - proc proc rw\n\
             52 43 0:61 / /tmp rw - tmpfs tmpfs rw\n",
        )
        .unwrap();
        assert_eq!(places(&mounts), ["/proc", "/host/proc"]);
    }

    #[test]
    fn a_node_table_of_many_proc_mounts_gives_each_place_once() {
        // fs.mount-max (100,000) proc mounts, two at each place.
        let text: String = (1..=100_000)
            .map(|i| format!("{i} 1 0:21 / /p/{} rw - proc proc rw\n", i / 2))
            .collect();
        let mounts = crate::mountinfo::parse(&text).unwrap();
        // Deduplicated by hash: searching the list (quadratic) took half a
        // minute here in a debug build. No time is asserted (speed is for
        // benchmarks); a return to quadratic shows as a slow test.
        let places = places(&mounts);
        assert_eq!(places.len(), 50_001);
        assert_eq!(places[0], "/p/0");
        assert_eq!(places[50_000], "/p/50000");
    }
}
