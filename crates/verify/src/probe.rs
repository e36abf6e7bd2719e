//! `--probe-write`: really try to create a file, and remove it at once.
//!
//! `EROFS` is the proof that the *mount* refuses writes. `EACCES`/`EPERM`
//! only show that *this process's credentials* may not write there (file
//! permissions, an LSM…); another user in the container might. They are
//! accepted, because the mount table still has to show a read-only root for
//! the verdict to pass, but they are reported as `denied`, not `readOnly`.

use serde::Serialize;
use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Directories probed: `/` and the first system directory that exists.
pub const PROBE_DIRS: &[&str] = &["/"];
pub const SYSTEM_DIR_CANDIDATES: &[&str] = &["/etc", "/usr", "/bin"];

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
/// (`/` for self, `/proc/PID/root` for another process: paths below that
/// magic link resolve through the target's mounts).
pub fn probe_all(root: &Path) -> Vec<Probe> {
    let system = SYSTEM_DIR_CANDIDATES
        .iter()
        .find(|dir| under(root, dir).is_dir());
    PROBE_DIRS
        .iter()
        .chain(system)
        .map(|dir| probe_dir(root, dir))
        .collect()
}

/// Tries `O_CREAT|O_EXCL` of a new uniquely named file in `dir` (relative to
/// `root`); removes it immediately if that succeeded.
pub fn probe_dir(root: &Path, dir: &str) -> Probe {
    let file = unique_name();
    let path = under(root, dir).join(&file);
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    let (outcome, errno, message) = match created {
        Ok(handle) => {
            drop(handle);
            let message = match std::fs::remove_file(&path) {
                Ok(()) => "created and removed: the directory is writable".to_string(),
                Err(e) => format!(
                    "created, but removing {} failed: {e}; remove it by hand",
                    path.display()
                ),
            };
            (Outcome::Created, None, message)
        }
        Err(e) => {
            let outcome = match e.kind() {
                ErrorKind::ReadOnlyFilesystem => Outcome::ReadOnly,
                ErrorKind::PermissionDenied => Outcome::Denied,
                _ => Outcome::Error,
            };
            (outcome, e.raw_os_error().map(errno_name), e.to_string())
        }
    };
    Probe {
        directory: dir.to_string(),
        file,
        outcome,
        errno,
        message,
    }
}

fn under(root: &Path, dir: &str) -> PathBuf {
    root.join(dir.trim_start_matches('/'))
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
        13 => "EACCES",
        17 => "EEXIST",
        20 => "ENOTDIR",
        22 => "EINVAL",
        24 => "EMFILE",
        28 => "ENOSPC",
        30 => "EROFS",
        36 => "ENAMETOOLONG",
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

    fn scratch_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rootlock-verify-{tag}-{}", unique_name()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        dir
    }

    #[test]
    fn writable_directory_is_created_and_cleaned_up() {
        let root = scratch_dir("writable");
        let probes = probe_all(&root);
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
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn missing_directory_is_an_inconclusive_error() {
        let root = scratch_dir("missing");
        let p = probe_dir(&root, "/nope");
        assert_eq!(p.outcome, Outcome::Error);
        assert_eq!(p.errno.as_deref(), Some("ENOENT"));
        assert!(!p.refused());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(30), "EROFS");
        assert_eq!(errno_name(13), "EACCES");
        assert_eq!(errno_name(1), "EPERM");
        assert_eq!(errno_name(4242), "errno 4242");
    }
}
