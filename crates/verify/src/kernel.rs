//! What verify learns about the kernel the inspected process runs on,
//! beside its mounts and status: which user namespace it is in, and whether
//! its `/proc/sys` is a Linux kernel's sysctl tree. Both decide what a
//! writable `/proc/sys` means (see [`crate::verdict::proc_sys_mount`]).

use crate::proc_dir::ProcDir;
use crate::root::Root;
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
    /// `kernel.modules_disabled` is 1: no module can be loaded any more,
    /// whatever capabilities a process holds.
    pub modules_disabled: bool,
}

impl Kernel {
    /// A process of the node's own kernel, in its initial user namespace.
    pub const NODE: Kernel = Kernel {
        user_namespace: UserNamespace::Initial,
        core_pattern: true,
        modules_disabled: false,
    };

    /// Reads `uid_map` of `proc` (the process's `/proc/PID`) and looks up
    /// `kernel/core_pattern` inside `root` (the process's root), if it could
    /// be opened, at every place of `core_pattern_places` (where the
    /// process's proc mounts show it, see
    /// [`crate::mountinfo::core_pattern_places`]): a tmpfs masking
    /// `/proc/sys/kernel` must not pass for a sandbox's sysctl tree while
    /// another proc mount shows the real one.
    pub fn read(
        proc: &ProcDir,
        root: Option<&Root>,
        core_pattern_places: &[String],
    ) -> Result<Kernel, String> {
        let uid_map = proc.path_of("uid_map");
        // A kernel without user namespaces has no uid_map: everything runs
        // in the initial one.
        let user_namespace = match proc.read("uid_map") {
            // The same answer when the process exited (and was reaped)
            // after its mountinfo and status were read: then its stat is
            // gone too, and "initial" would be a guess.
            Err(e) if crate::proc_dir::gone_error(&e) && proc.gone() => {
                return Err(format!(
                    "cannot read {}: {e} (the process has exited)",
                    uid_map.display()
                ));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => UserNamespace::Initial,
            Err(e) => return Err(format!("cannot read {}: {e}", uid_map.display())),
            Ok(text) => userns::parse(&text)
                .map_err(|e| format!("cannot parse {}: {e}", uid_map.display()))?,
        };
        // Looked up the way the process itself would (its symlinks resolve
        // in its root): a path walked through /proc/PID/root follows an
        // absolute `proc` symlink into verify's own tree and could answer
        // for the wrong kernel. Only a definite "not there" counts as
        // absent: any other failure (no ptrace access to /proc/PID/root, no
        // openat2) keeps the stricter assumption of a Linux sysctl tree.
        let core_pattern = match root {
            None => true,
            Some(root) => core_pattern_places
                .iter()
                .any(|place| match root.entry(place) {
                    Ok(_) => true,
                    Err(e) => e.kind() != ErrorKind::NotFound,
                }),
        };
        Ok(Kernel {
            user_namespace,
            core_pattern,
            modules_disabled: modules_disabled(Path::new(KERNEL_SYSCTLS)),
        })
    }
}

/// Where verify reads `kernel.modules_disabled`: its own `/proc`, since the
/// setting is the kernel's, not a namespace's, and the target's could be
/// any file the image ships where no proc is mounted.
const KERNEL_SYSCTLS: &str = "/proc/sys/kernel";

/// Whether the kernel whose sysctls `dir` (a directory of a proc
/// filesystem) holds loads no more modules: `modules_disabled` says 1, or
/// there is none (a kernel built without module support). Anything else
/// (`dir` missing, unreadable, not proc, another value) counts as "not
/// disabled", the answer that fails more verdicts.
fn modules_disabled(dir: &Path) -> bool {
    let Ok(sysctls) = ProcDir::open(dir) else {
        return false;
    };
    if !sysctls.on_procfs().unwrap_or(false) {
        return false;
    }
    match sysctls.read("modules_disabled") {
        Err(e) => e.kind() == ErrorKind::NotFound,
        Ok(text) => text.trim() == "1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    /// A directory standing in for a target's root, with a uid_map beside
    /// it in a stand-in /proc/PID; all of it removed when the first value
    /// is dropped.
    fn target(tag: &str) -> (Scratch, PathBuf, PathBuf) {
        let base = Scratch::new(&format!("kernel-{tag}"));
        let proc_dir = base.join("pid");
        std::fs::create_dir_all(&proc_dir).unwrap();
        std::fs::write(proc_dir.join("uid_map"), "0 0 4294967295\n").unwrap();
        std::fs::write(proc_dir.join("stat"), "7 (app) S 1\n").unwrap();
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        (base, proc_dir, root)
    }

    /// What [`crate::mountinfo::core_pattern_places`] gives for proc at
    /// `/proc` alone.
    fn places() -> Vec<String> {
        vec!["/proc/sys/kernel/core_pattern".to_string()]
    }

    fn proc(proc_dir: &Path) -> ProcDir {
        ProcDir::open(proc_dir).unwrap()
    }

    fn core_pattern(proc_dir: &Path, root: &Path) -> bool {
        let root = Root::open(root).unwrap();
        Kernel::read(&proc(proc_dir), Some(&root), &places())
            .unwrap()
            .core_pattern
    }

    /// kernel.modules_disabled is trusted from a proc filesystem only: a
    /// directory of the same shape anywhere else (an image's, where no
    /// proc is mounted) says nothing about the kernel. On proc, a kernel
    /// without the sysctl (built without modules) loads none.
    #[test]
    fn modules_disabled_is_read_from_proc_only() {
        let real = Path::new(KERNEL_SYSCTLS).join("modules_disabled");
        let expected = match std::fs::read_to_string(&real) {
            Ok(text) => text.trim() == "1",
            Err(e) => e.kind() == ErrorKind::NotFound,
        };
        assert_eq!(modules_disabled(Path::new(KERNEL_SYSCTLS)), expected);
        let (base, _, root) = target("modules");
        assert!(!modules_disabled(&root), "no sysctl, but not proc either");
        std::fs::write(root.join("modules_disabled"), "1\n").unwrap();
        assert!(!modules_disabled(&root));
        assert!(!modules_disabled(&base.join("missing")));
    }

    #[test]
    fn core_pattern_is_looked_up_through_the_targets_own_symlinks() {
        // The target's /proc is an absolute symlink to /sysproc, which only
        // its own root has: walked through a plain path it would be looked
        // up in the verifying process's tree, where it does not exist.
        let (_dir, proc_dir, root) = target("symlink");
        std::fs::create_dir_all(root.join("sysproc/sys/kernel")).unwrap();
        std::fs::write(root.join("sysproc/sys/kernel/core_pattern"), "core\n").unwrap();
        symlink("/sysproc", root.join("proc")).unwrap();
        assert!(!Path::new("/sysproc").exists());
        assert!(core_pattern(&proc_dir, &root));
    }

    #[test]
    fn a_symlink_climbing_out_of_the_root_finds_nothing_outside_it() {
        // A sysctl tree beside the root, and the target's /proc a relative
        // symlink that climbs to `/` and down to it: a plain walk through
        // the root reaches it, a walk inside the root stops at its top.
        let (_dir, proc_dir, root) = target("escape");
        let outside = proc_dir.parent().unwrap().join("outside");
        std::fs::create_dir_all(outside.join("sys/kernel")).unwrap();
        std::fs::write(outside.join("sys/kernel/core_pattern"), "core\n").unwrap();
        let up = "../".repeat(root.components().count());
        let outside_rel = outside.strip_prefix("/").unwrap();
        symlink(format!("{up}{}", outside_rel.display()), root.join("proc")).unwrap();
        assert!(root.join("proc/sys/kernel/core_pattern").exists());
        assert!(!core_pattern(&proc_dir, &root));
    }

    #[test]
    fn a_missing_uid_map_of_a_process_that_is_gone_is_an_error() {
        // No uid_map because the kernel has no user namespaces: /proc/PID
        // is there. No uid_map because the process exited (and was reaped)
        // while being inspected: /proc/PID is gone, and "initial" would be
        // a guess.
        let (_dir, proc_dir, _) = target("gone");
        let opened = proc(&proc_dir);
        std::fs::remove_file(proc_dir.join("uid_map")).unwrap();
        let no_userns = Kernel::read(&opened, None, &places()).unwrap();
        assert_eq!(no_userns.user_namespace, UserNamespace::Initial);
        std::fs::remove_file(proc_dir.join("stat")).unwrap();
        std::fs::remove_dir(&proc_dir).unwrap();
        let err = Kernel::read(&opened, None, &places()).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot read {}/uid_map: ", proc_dir.display())),
            "{err}"
        );
        assert!(err.ends_with("(the process has exited)"), "{err}");
    }

    #[test]
    fn core_pattern_is_found_at_any_place_a_proc_mount_shows_it() {
        // Masked at /proc/sys/kernel (an empty directory there), shown by
        // another proc mount at /proc/fs: a Linux sysctl tree.
        let (_dir, proc_dir, root) = target("places");
        std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(root.join("proc/fs/kernel")).unwrap();
        std::fs::write(root.join("proc/fs/kernel/core_pattern"), "core\n").unwrap();
        let opened = Root::open(&root).unwrap();
        let read = |places: &[&str]| {
            let places: Vec<String> = places.iter().map(|p| p.to_string()).collect();
            Kernel::read(&proc(&proc_dir), Some(&opened), &places)
                .unwrap()
                .core_pattern
        };
        assert!(!read(&["/proc/sys/kernel/core_pattern"]));
        assert!(read(&[
            "/proc/sys/kernel/core_pattern",
            "/proc/fs/kernel/core_pattern"
        ]));
    }

    #[test]
    fn a_root_that_could_not_be_opened_keeps_the_linux_assumption() {
        let (_dir, proc_dir, _) = target("unopened");
        assert!(
            Kernel::read(&proc(&proc_dir), None, &places())
                .unwrap()
                .core_pattern
        );
    }

    #[test]
    fn the_own_root_finds_this_kernels_core_pattern() {
        let (_dir, proc_dir, _) = target("own");
        let root = Root::own().unwrap();
        assert!(
            Kernel::read(&proc(&proc_dir), Some(&root), &places())
                .unwrap()
                .core_pattern
        );
        let missing = root.entry("/proc/sys/kernel/no-such-sysctl").unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    }
}
