//! `--probe-write`: really try to create a file, and remove it at once.
//!
//! `EROFS` is the proof that the *mount* refuses writes. `EACCES`/`EPERM`
//! only show that *this process's credentials* may not write there (file
//! permissions, an LSM…); another user in the container might. They are
//! accepted, because the mount table still has to show a read-only root for
//! the verdict to pass, but they are reported as `denied`, not `readOnly`.

use crate::root::Root;
use rustix::fs::{AtFlags, Mode, OFlags};
use serde::Serialize;
use std::io::{self, ErrorKind};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Directories probed: `/` and the first system directory that exists.
pub const PROBE_DIRS: &[&str] = &["/"];
pub const SYSTEM_DIR_CANDIDATES: &[&str] = &["/etc", "/usr", "/bin"];

const ENOENT: i32 = 2;
const ENOTDIR: i32 = 20;
const ENOSYS: i32 = 38;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The file was created: the directory is writable.
    Created,
    /// `EROFS`: the filesystem refuses writes.
    ReadOnly,
    /// `EACCES`/`EPERM`: this process may not write here.
    Denied,
    /// Anything else (`ENOENT`, `ENOSPC`…): inconclusive.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// Directory as the inspected process sees it.
    pub directory: String,
    /// File name tried.
    pub file: String,
    pub outcome: Outcome,
    /// Symbolic errno of the create (`EROFS`…), absent when it succeeded.
    pub errno: Option<String>,
    pub message: String,
}

impl Probe {
    /// `EROFS`, or a permission refusal: the write did not happen.
    pub fn refused(&self) -> bool {
        matches!(self.outcome, Outcome::ReadOnly | Outcome::Denied)
    }
}

/// Probes `/` and a system directory of the process whose root is `root`
/// (`/` for self, `/proc/PID/root` for another process). Every directory is
/// looked up inside that root (see [`Root`]), never by a path through it.
pub fn probe_all(root: &Root) -> Vec<Probe> {
    let mut probes: Vec<Probe> = PROBE_DIRS.iter().map(|dir| probe_dir(root, dir)).collect();
    // The first candidate that is there; one that cannot be looked up for
    // another reason (no openat2, a symlink loop…) is reported, not skipped:
    // it may well be there.
    for dir in SYSTEM_DIR_CANDIDATES {
        match root.dir(dir) {
            Err(e) if matches!(e.raw_os_error(), Some(ENOENT | ENOTDIR)) => continue,
            found => {
                probes.push(probe_in(root, dir, found));
                break;
            }
        }
    }
    probes
}

/// Tries `O_CREAT|O_EXCL` of a new uniquely named file in `dir` (as the
/// process whose root is `root` sees it); removes it at once if created.
pub fn probe_dir(root: &Root, dir: &str) -> Probe {
    probe_in(root, dir, root.dir(dir))
}

/// The probe of `dir`, already looked up as `found`.
fn probe_in(root: &Root, dir: &str, found: io::Result<OwnedFd>) -> Probe {
    let file = unique_name();
    let dir_fd = match found {
        Ok(fd) => fd,
        Err(e) => {
            let why = if e.raw_os_error() == Some(ENOSYS) {
                format!(
                    "openat2(2) is not available (Linux < 5.6): {dir} cannot be looked up \
                     safely inside {}, so it was not probed ({e})",
                    root.path().display()
                )
            } else {
                format!("cannot open {dir} inside {}: {e}", root.path().display())
            };
            // No write was tried: whatever the errno (EPERM from a seccomp
            // profile that refuses openat2, EACCES on the way), it is no
            // evidence that the directory refuses writes.
            return failed(dir, file, &e, why, Outcome::Error);
        }
    };
    // The name has no `/`: created right in the directory found above, and
    // O_NOFOLLOW (with O_EXCL) never follows a symlink planted under it.
    let created = rustix::fs::openat(
        &dir_fd,
        file.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    );
    match created {
        Ok(handle) => {
            drop(handle);
            // Removed relative to the same descriptor: the very directory
            // the file was created in, whatever a path to it says now.
            let message = match rustix::fs::unlinkat(&dir_fd, file.as_str(), AtFlags::empty()) {
                Ok(()) => "created and removed: the directory is writable".to_string(),
                Err(e) => format!(
                    "created, but removing {file} from {dir} failed: {}; remove it by hand",
                    io::Error::from(e)
                ),
            };
            Probe {
                directory: dir.to_string(),
                file,
                outcome: Outcome::Created,
                errno: None,
                message,
            }
        }
        Err(e) => {
            let e = io::Error::from(e);
            let message = e.to_string();
            let outcome = write_outcome(&e);
            failed(dir, file, &e, message, outcome)
        }
    }
}

/// What a refused create says about the directory, by its errno.
fn write_outcome(error: &io::Error) -> Outcome {
    match error.kind() {
        ErrorKind::ReadOnlyFilesystem => Outcome::ReadOnly,
        ErrorKind::PermissionDenied => Outcome::Denied,
        _ => Outcome::Error,
    }
}

/// A probe that created nothing, with the errno of `error`.
fn failed(dir: &str, file: String, error: &io::Error, message: String, outcome: Outcome) -> Probe {
    Probe {
        directory: dir.to_string(),
        file,
        outcome,
        errno: error.raw_os_error().map(errno_name),
        message,
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        ".rootlock-verify-probe-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Symbolic names for the errnos a create can plausibly return (Linux
/// generic numbering, as on x86-64 and arm64).
fn errno_name(code: i32) -> String {
    let name = match code {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        11 => "EAGAIN",
        13 => "EACCES",
        17 => "EEXIST",
        18 => "EXDEV",
        20 => "ENOTDIR",
        22 => "EINVAL",
        24 => "EMFILE",
        28 => "ENOSPC",
        30 => "EROFS",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        40 => "ELOOP",
        95 => "EOPNOTSUPP",
        122 => "EDQUOT",
        _ => return format!("errno {code}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// A root with an empty /etc, removed when dropped.
    fn scratch_dir(tag: &str) -> Scratch {
        let dir = Scratch::new(&format!("verify-{tag}"));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        dir
    }

    fn root(path: &Path) -> Root {
        Root::open(path).unwrap()
    }

    #[test]
    fn writable_directory_is_created_and_cleaned_up() {
        let root = scratch_dir("writable");
        let probes = probe_all(&Root::open(&root).unwrap());
        let dirs: Vec<_> = probes.iter().map(|p| p.directory.as_str()).collect();
        assert_eq!(dirs, ["/", "/etc"]);
        for p in &probes {
            assert_eq!(p.outcome, Outcome::Created, "{p:?}");
            assert!(!p.refused());
            assert_eq!(p.errno, None);
            assert!(p.file.starts_with(".rootlock-verify-probe-"));
        }
        assert_ne!(probes[0].file, probes[1].file);
        // Nothing left behind.
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
        assert_eq!(std::fs::read_dir(root.join("etc")).unwrap().count(), 0);
    }

    #[test]
    fn missing_directory_is_an_inconclusive_error() {
        let dir = scratch_dir("missing");
        let p = probe_dir(&root(&dir), "/nope");
        assert_eq!(p.outcome, Outcome::Error);
        assert_eq!(p.errno.as_deref(), Some("ENOENT"));
        assert!(!p.refused());
    }

    #[test]
    fn missing_candidates_are_skipped() {
        let dir = scratch_dir("candidates");
        std::fs::remove_dir(dir.join("etc")).unwrap();
        // A dangling /etc and a regular file /usr: neither is a directory.
        std::os::unix::fs::symlink("/nowhere", dir.join("etc")).unwrap();
        std::fs::write(dir.join("usr"), "").unwrap();
        std::fs::create_dir(dir.join("bin")).unwrap();
        let probes = probe_all(&root(&dir));
        let dirs: Vec<_> = probes.iter().map(|p| p.directory.as_str()).collect();
        assert_eq!(dirs, ["/", "/bin"]);
    }

    /// Sets `dir`'s mtime far in the past; creating and removing a file in
    /// it sets the mtime to now.
    fn age(dir: &Path) -> SystemTime {
        let old = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        std::fs::File::open(dir)
            .and_then(|f| f.set_modified(old))
            .unwrap();
        old
    }

    fn mtime(dir: &Path) -> SystemTime {
        std::fs::metadata(dir).unwrap().modified().unwrap()
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        // `outside` has an absolute path; the root holds a directory at that
        // same path below itself. /etc -> that path, absolute or climbing
        // with `..` above the root, must mean the root's copy.
        let outside = scratch_dir("outside");
        let rel = outside.strip_prefix("/").unwrap();
        let ups = "../".repeat(rel.components().count() + 3);
        for target in [
            outside.clone(),
            PathBuf::from(format!("{ups}{}", rel.display())),
        ] {
            let dir = scratch_dir("in-root");
            std::fs::remove_dir(dir.join("etc")).unwrap();
            std::fs::create_dir_all(dir.join(rel)).unwrap();
            std::os::unix::fs::symlink(&target, dir.join("etc")).unwrap();
            let old = age(&outside);
            let inside_old = age(&dir.join(rel));
            let probes = probe_all(&root(&dir));
            assert_eq!(probes[1].directory, "/etc");
            assert_eq!(probes[1].outcome, Outcome::Created, "{:?}", probes[1]);
            assert_eq!(mtime(&outside), old, "escaped through etc -> {target:?}");
            assert_ne!(mtime(&dir.join(rel)), inside_old, "{target:?}");
        }
    }

    #[test]
    fn without_openat2_the_directory_is_an_error_not_probed() {
        // A kernel < 5.6 answers openat2 with ENOSYS: reported, and nothing
        // is created in the directory by any other route.
        let dir = scratch_dir("enosys");
        let no_openat2 = Err(io::Error::from_raw_os_error(ENOSYS));
        let p = probe_in(&root(&dir), "/etc", no_openat2);
        assert_eq!(p.outcome, Outcome::Error);
        assert_eq!(p.errno.as_deref(), Some("ENOSYS"));
        assert!(p.message.contains("not probed"), "{}", p.message);
        assert_eq!(std::fs::read_dir(dir.join("etc")).unwrap().count(), 0);
    }

    #[test]
    fn a_directory_that_could_not_be_looked_up_is_no_refused_write() {
        // openat2 refused with EPERM by a seccomp profile, or EACCES on the
        // way: no write was tried, so the probe proves nothing, whatever
        // the errno says.
        let dir = scratch_dir("lookup");
        for errno in [1, 13, 30] {
            let refused = Err(io::Error::from_raw_os_error(errno));
            let p = probe_in(&root(&dir), "/etc", refused);
            assert_eq!(p.outcome, Outcome::Error, "errno {errno}: {p:?}");
            assert!(!p.refused());
            assert_eq!(p.errno, Some(errno_name(errno)));
            assert!(
                p.message.starts_with("cannot open /etc inside "),
                "{}",
                p.message
            );
        }
        assert_eq!(std::fs::read_dir(dir.join("etc")).unwrap().count(), 0);
    }

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(30), "EROFS");
        assert_eq!(errno_name(13), "EACCES");
        assert_eq!(errno_name(1), "EPERM");
        assert_eq!(errno_name(38), "ENOSYS");
        assert_eq!(errno_name(4242), "errno 4242");
    }
}
