//! Where the inspected process holds its working directory and its open
//! descriptors. A mount covered by a later one is out of reach of path
//! lookups, not of a directory or file the process already holds in it:
//! `cwd` into a writable alias of the root filesystem, covered after the
//! process moved there, still writes the root's files (`echo > etc/x`).

use crate::proc_dir::ProcDir;

/// Something the process holds, and the mount it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// What it is, for a reason: `its working directory`, `descriptor 5`.
    pub what: String,
    /// The mount ID (mountinfo field 1) it is in.
    pub mount_id: u64,
    /// A directory: `openat(2)` relative to it, `..` included, walks on
    /// from there.
    pub directory: bool,
}

/// The working directory and every open descriptor of the process whose
/// `/proc/PID` is `proc`, with their mounts. What cannot be read (no
/// ptrace access to another user's process, statx without mount IDs
/// before Linux 5.8, a descriptor closed meanwhile) is left out: the
/// mount table still judges everything path lookups reach.
pub fn read(proc: &ProcDir) -> Vec<Held> {
    let mut held = Vec::new();
    if let Ok(mount_id) = proc.dir_mount_id("cwd") {
        held.push(Held {
            what: "its working directory".to_string(),
            mount_id,
            directory: true,
        });
    }
    for fd in proc.entries("fd").unwrap_or_default() {
        let what = format!("descriptor {fd}");
        if let Ok(mount_id) = proc.dir_mount_id(&format!("fd/{fd}")) {
            held.push(Held {
                what,
                mount_id,
                directory: true,
            });
        } else if let Some(mount_id) = proc
            .read(&format!("fdinfo/{fd}"))
            .ok()
            .and_then(|info| fdinfo_mount_id(&info))
        {
            held.push(Held {
                what,
                mount_id,
                directory: false,
            });
        }
    }
    held
}

/// The `mnt_id:` line of `/proc/PID/fdinfo/N` (Linux ≥ 3.15).
fn fdinfo_mount_id(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|line| line.strip_prefix("mnt_id:"))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn fdinfo_gives_the_mount_id() {
        assert_eq!(
            fdinfo_mount_id("pos:\t0\nflags:\t02100000\nmnt_id:\t29\nino:\t7\n"),
            Some(29)
        );
        assert_eq!(fdinfo_mount_id("pos:\t0\nflags:\t02\n"), None);
        assert_eq!(fdinfo_mount_id("mnt_id:\tx\n"), None);
    }

    #[test]
    fn this_process_holds_its_working_directory_and_an_open_file() {
        let proc = ProcDir::open(Path::new("/proc/self")).unwrap();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let held = read(&proc);
        assert_eq!(held[0].what, "its working directory");
        assert!(held[0].directory);
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
        let open = held
            .iter()
            .find(|h| h.what == format!("descriptor {fd}"))
            .unwrap();
        assert_eq!(Some(open.mount_id), fdinfo_mount_id(&info));
        assert!(!open.directory);
    }
}
