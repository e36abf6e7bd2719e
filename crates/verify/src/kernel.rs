//! What verify learns about the kernel the inspected process runs on,
//! beside its mounts and status: which user namespace it is in, and whether
//! its `/proc/sys` is a Linux kernel's sysctl tree. Both decide what a
//! writable `/proc/sys` means (see [`crate::verdict::proc_sys_mount`]).

use crate::userns::{self, UserNamespace};
use std::io::ErrorKind;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel {
    pub user_namespace: UserNamespace,
    /// `/proc/sys/kernel/core_pattern` exists where the process looks it
    /// up. Linux always has it; a sandbox kernel that emulates its own
    /// sysctl tree (gVisor, which ignores the runtime's read-only binds and
    /// needs none) does not, and writing that tree reaches no node.
    pub core_pattern: bool,
}

impl Kernel {
    /// A process of the node's own kernel, in its initial user namespace.
    pub const NODE: Kernel = Kernel {
        user_namespace: UserNamespace::Initial,
        core_pattern: true,
    };

    /// Reads `proc_dir/uid_map` and looks up `proc/sys/kernel/core_pattern`
    /// under `root` (the process's root: `/`, or `/proc/PID/root`).
    pub fn read(proc_dir: &Path, root: &Path) -> Result<Kernel, String> {
        let uid_map = proc_dir.join("uid_map");
        // A kernel without user namespaces has no uid_map: everything runs
        // in the initial one.
        let user_namespace = match std::fs::read_to_string(&uid_map) {
            Err(e) if e.kind() == ErrorKind::NotFound => UserNamespace::Initial,
            Err(e) => return Err(format!("cannot read {}: {e}", uid_map.display())),
            Ok(text) => userns::parse(&text)
                .map_err(|e| format!("cannot parse {}: {e}", uid_map.display()))?,
        };
        let core_pattern = root.join("proc/sys/kernel/core_pattern");
        // Only a definite "not there" counts as absent: any other failure
        // (no ptrace access through /proc/PID/root) keeps the stricter
        // assumption of a Linux sysctl tree.
        let core_pattern = !matches!(
            std::fs::symlink_metadata(&core_pattern),
            Err(e) if e.kind() == ErrorKind::NotFound
        );
        Ok(Kernel {
            user_namespace,
            core_pattern,
        })
    }
}
