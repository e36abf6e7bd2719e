//! The scratch directory of a trace, `BASE/rootlock-trace.PID` (`BASE` is
//! `/run` as root, the temporary directory otherwise; `PID` is rootlock's),
//! and the removal of the ones a killed rootlock left behind.
//!
//! rootlock removes its scratch directory when the trace ends, and on
//! SIGINT, SIGTERM, SIGQUIT and SIGHUP; SIGKILL skips that and leaves the
//! directory. It is empty then: the scratch tmpfs is mounted on it only in
//! the tracer's private mount namespace (the tracer dies with rootlock, through
//! `PR_SET_PDEATHSIG`), and init has detached the old root, scratch
//! included, after `pivot_root`. So a trace starts by removing such
//! leftovers, conservatively:
//!
//! * only entries named exactly `rootlock-trace.N`, N a process ID as
//!   rootlock writes it (decimal, no sign, no leading zero);
//! * only directories (never through a symlink: `lstat`, and `rmdir` does
//!   not follow a last-component symlink) owned by this effective user (in a
//!   shared `/tmp` another user's are not ours to judge);
//! * never while process N is alive (`kill(N, 0)` is not `ESRCH`): a
//!   running trace's directory looks empty from here, because its tmpfs is
//!   mounted in another namespace, and removing it would detach that
//!   mount. Except when N is rootlock's own PID: its directory is made
//!   only after this, so one already there is a dead rootlock's whose PID
//!   was reused, and keeping it would make creating ours fail (EEXIST);
//! * only when empty: `rmdir`, never a recursive removal.
//!
//! An entry that vanishes or fills up meanwhile (`ENOENT`, `ENOTEMPTY`) is
//! another process's business and skipped silently; any other failure is
//! returned as a warning.

use std::ffi::OsStr;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const PREFIX: &str = "rootlock-trace.";

/// `base/rootlock-trace.PID`: this process's scratch directory.
pub fn dir(base: &Path) -> PathBuf {
    base.join(format!("{PREFIX}{}", std::process::id()))
}

/// Removes the empty scratch directories under `base` whose process is gone
/// (see the module documentation); returns a warning for each failure that
/// is not a race.
pub fn remove_stale(base: &Path) -> Vec<String> {
    let entries = match std::fs::read_dir(base) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => return vec![format!("cannot list {}: {e}", base.display())],
    };
    // SAFETY: trivial getter.
    let euid = unsafe { libc::geteuid() };
    // Ours is not made yet: a directory with our PID is a dead process's.
    let own = libc::pid_t::try_from(std::process::id()).ok();
    let mut warnings = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                warnings.push(format!("cannot list {}: {e}", base.display()));
                break;
            }
        };
        let Some(pid) = pid_of(&entry.file_name()) else {
            continue;
        };
        let path = entry.path();
        // Not following a symlink: the entry itself.
        let stale = std::fs::symlink_metadata(&path).map(|m| {
            m.file_type().is_dir() && m.uid() == euid && (Some(pid) == own || !alive(pid))
        });
        let removed = match stale {
            Ok(false) => continue,
            Ok(true) => std::fs::remove_dir(&path),
            Err(e) => Err(e),
        };
        if let Err(e) = removed
            && !is_race(&e)
        {
            warnings.push(format!(
                "cannot remove the stale scratch directory {}: {e}",
                path.display()
            ));
        }
    }
    warnings
}

/// N in `rootlock-trace.N`, exactly as [`dir`] writes it.
fn pid_of(name: &OsStr) -> Option<libc::pid_t> {
    let digits = name.to_str()?.strip_prefix(PREFIX)?;
    let pid: libc::pid_t = digits.parse().ok()?;
    (pid > 0 && pid.to_string() == digits).then_some(pid)
}

/// Process `pid` exists (whoever owns it): `kill(pid, 0)` is not `ESRCH`.
fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// The entry vanished or is in use after all (POSIX lets `rmdir` report a
/// non-empty directory as `EEXIST` too): not ours to remove, not a problem.
fn is_race(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOENT | libc::ENOTEMPTY | libc::EEXIST)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Above the kernel's PID_MAX_LIMIT (2^22): never a live process.
    const DEAD: libc::pid_t = 4_194_305;

    fn name(pid: impl std::fmt::Display) -> String {
        format!("{PREFIX}{pid}")
    }

    /// A fresh base directory when running as root; otherwise `None`, after
    /// saying that `what` needs root.
    fn root_base(what: &str) -> Option<tempfile::TempDir> {
        // SAFETY: trivial getter.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIP {what} needs root");
            return None;
        }
        Some(tempfile::tempdir().unwrap())
    }

    fn exists(path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }

    #[test]
    fn names_are_exactly_the_ones_rootlock_writes() {
        let pid = |s: &str| pid_of(OsStr::new(s));
        assert_eq!(pid("rootlock-trace.42"), Some(42));
        assert_eq!(pid(&name(DEAD)), Some(DEAD));
        for not in [
            "rootlock-trace.",
            "rootlock-trace.0",
            "rootlock-trace.042",
            "rootlock-trace.+42",
            "rootlock-trace.-42",
            "rootlock-trace.42x",
            "rootlock-trace.4 2",
            "rootlock-trace.99999999999",
            "xrootlock-trace.42",
            "rootlock-trace-42",
        ] {
            assert_eq!(pid(not), None, "{not}");
        }
        assert!(dir(Path::new("/run")).ends_with(name(std::process::id())));
    }

    #[test]
    fn removes_only_empty_directories_of_dead_processes() {
        let base = tempfile::tempdir().unwrap();
        let at = |n: &str| base.path().join(n);
        let dead = at(&name(DEAD));
        // PID 1 and our parent are alive.
        let init = at(&name(1));
        // SAFETY: trivial getter.
        let parent = at(&name(unsafe { libc::getppid() }));
        let full = at(&name(DEAD + 1));
        let lookalikes = [
            "rootlock-trace.04194305",
            "rootlock-trace.4194305x",
            "other",
        ];
        for d in [&dead, &init, &parent, &full] {
            std::fs::create_dir(d).unwrap();
        }
        for n in lookalikes {
            std::fs::create_dir(at(n)).unwrap();
        }
        std::fs::write(full.join("kept"), "x").unwrap();
        // A file and a symlink to an empty directory, with dead PIDs.
        let file = at(&name(DEAD + 2));
        std::fs::write(&file, "").unwrap();
        let target = at("target");
        std::fs::create_dir(&target).unwrap();
        let link = at(&name(DEAD + 3));
        std::os::unix::fs::symlink(&target, &link).unwrap();

        assert_eq!(remove_stale(base.path()), Vec::<String>::new());

        assert!(
            !exists(&dead),
            "the dead process's empty directory is removed"
        );
        for kept in [&init, &parent, &full, &file, &link, &target] {
            assert!(exists(kept), "{} is kept", kept.display());
        }
        for n in lookalikes {
            assert!(exists(&at(n)), "{n} is kept");
        }
        assert!(full.join("kept").exists());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    /// A SIGKILLed rootlock whose PID is now ours (PIDs are reused): its
    /// empty directory has the name this trace is about to create, so
    /// keeping it ("the process is alive") made every trace with this PID
    /// fail with EEXIST.
    #[test]
    fn a_stale_directory_with_our_reused_pid_is_removed() {
        let base = tempfile::tempdir().unwrap();
        let own = dir(base.path());
        std::fs::create_dir(&own).unwrap();
        assert_eq!(remove_stale(base.path()), Vec::<String>::new());
        assert!(!exists(&own), "{} is removed", own.display());
        // Not empty: not ours to judge, kept (and the trace says EEXIST).
        std::fs::create_dir(&own).unwrap();
        std::fs::write(own.join("kept"), "x").unwrap();
        assert_eq!(remove_stale(base.path()), Vec::<String>::new());
        assert!(own.join("kept").exists());
    }

    #[test]
    fn another_users_directory_is_left_alone() {
        let Some(base) = root_base("another_users_directory_is_left_alone: chown") else {
            return;
        };
        let theirs = base.path().join(name(DEAD));
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        assert_eq!(remove_stale(base.path()), Vec::<String>::new());
        assert!(theirs.exists());
    }

    #[test]
    fn races_are_silent_other_failures_are_warnings() {
        let err = io::Error::from_raw_os_error;
        for quiet in [libc::ENOENT, libc::ENOTEMPTY, libc::EEXIST] {
            assert!(is_race(&err(quiet)), "{quiet}");
        }
        for loud in [libc::EBUSY, libc::EACCES, libc::EPERM, libc::EROFS] {
            assert!(!is_race(&err(loud)), "{loud}");
        }
        assert_eq!(
            remove_stale(Path::new("/nonexistent/base")),
            Vec::<String>::new()
        );
        let base = tempfile::tempdir().unwrap();
        let file = base.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let warnings = remove_stale(&file);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("cannot list {}: ", file.display())),
            "{warnings:?}"
        );
    }

    const BUSY_HELPER: &str = "ROOTLOCK_SCRATCH_BUSY_HELPER";

    /// A stale directory that is a mount point here: `rmdir` fails with
    /// EBUSY, which is reported. Runs itself again as the helper inside a
    /// private mount namespace with a tmpfs mounted on the directory.
    #[test]
    fn a_busy_stale_directory_is_a_warning() {
        if let Some(base) = std::env::var_os(BUSY_HELPER) {
            for w in remove_stale(Path::new(&base)) {
                println!("warning: {w}");
            }
            return;
        }
        let Some(base) = root_base("a_busy_stale_directory_is_a_warning: mounting") else {
            return;
        };
        let busy = base.path().join(name(DEAD));
        std::fs::create_dir(&busy).unwrap();
        let out = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount -t tmpfs busy \"$1\" && shift && exec \"$@\"")
            .arg("sh")
            .arg(&busy)
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "scratch::tests::a_busy_stale_directory_is_a_warning",
                "--nocapture",
            ])
            .env(BUSY_HELPER, base.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = format!(
            "warning: cannot remove the stale scratch directory {}: ",
            busy.display()
        );
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&expected) && l.contains("busy")),
            "{stdout}"
        );
        // Outside that namespace it is an empty directory again.
        assert!(busy.is_dir());
    }
}
