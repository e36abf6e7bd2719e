//! Replacing a file so that it is either wholly old or wholly new: the new
//! text goes to a new file in the same directory, is flushed to disk,
//! given the original's permissions, and renamed over the original. Used
//! for manifests `fix` rewrites and plans `logs`/`trace -o` write: written
//! in place, a crash, a full disk or a file size limit left half a file
//! (a manifest cut mid-line, a plan cut mid-path for `fix --plan` to apply).
//!
//! Renaming gives the path a new inode: other hard links to the old one keep
//! the old text. Writing in place instead would keep them, but a crash or a
//! full disk would leave a half-written manifest; so the rename stays, and
//! the caller is told how many links were left behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `content` to `path` atomically. A file without write permission
/// is refused (renaming would bypass its mode); any failure leaves the
/// original untouched and removes the temporary file. A path that does not
/// exist yet is created the same way (with the usual mode, 0666 less the
/// umask); a symbolic link's target is replaced, the link kept; a path that
/// is not a regular file (`/dev/stdout`, a FIFO) is written as it is, since
/// renaming over it would replace it. Returns how many other hard links
/// still name the old text.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<u64, String> {
    use std::os::unix::fs::MetadataExt;
    let shown = path.display();
    let existing = match fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    if let Some(meta) = &existing {
        if !meta.is_file() {
            fs::write(path, content).map_err(|e| format!("{shown}: cannot write: {e}"))?;
            return Ok(0);
        }
        if meta.permissions().readonly() {
            return Err(format!(
                "{shown}: the file is read-only; not changed (make it writable to fix it in place)"
            ));
        }
    }
    let target = match existing {
        Some(_) => {
            fs::canonicalize(path).map_err(|e| format!("{shown}: cannot resolve the path: {e}"))?
        }
        None => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |what: &str, e: std::io::Error| {
        format!("{shown}: cannot {what}: {e}; the original is unchanged")
    };
    let (tmp, mut file) =
        new_file_beside(dir, &target).map_err(|e| fail("create a temporary file beside it", e))?;
    let written = (|| {
        file.write_all(content)
            .map_err(|e| fail("write the new text", e))?;
        file.sync_all()
            .map_err(|e| fail("flush the new text to disk", e))?;
        if let Some(meta) = &existing {
            // Keep the owner too; only root can, and only root needs to.
            // Before the mode: chown clears the set-user-ID and set-group-ID
            // bits.
            let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
            fs::set_permissions(&tmp, meta.permissions())
                .map_err(|e| fail("copy the permissions", e))?;
        }
        fs::rename(&tmp, &target).map_err(|e| fail("replace the file", e))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(existing.map_or(0, |m| m.nlink().saturating_sub(1)))
}

/// A new, empty file in `dir` named after `target`, created exclusively
/// (so with the usual mode, and never an existing file or a link planted
/// there).
fn new_file_beside(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut n = 0u32;
    loop {
        let tmp = dir.join(format!(".{name}.rootlock-{}-{n}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(write_atomic(&p, b"new").unwrap(), 0, "no other links");
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn keeps_the_set_id_and_sticky_bits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o7750)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o7750
        );
    }

    #[test]
    fn counts_the_hard_links_left_with_the_old_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        fs::hard_link(&p, dir.path().join("b.yaml")).unwrap();
        assert_eq!(write_atomic(&p, b"new").unwrap(), 1);
        assert_eq!(
            fs::read_to_string(dir.path().join("b.yaml")).unwrap(),
            "old"
        );
    }

    #[test]
    fn read_only_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
        let e = write_atomic(&p, b"new").unwrap_err();
        assert!(e.contains("read-only"), "{e}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
    }

    #[test]
    fn a_missing_file_is_created_with_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.yaml");
        assert_eq!(write_atomic(&p, b"new").unwrap(), 0);
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // 0666 less the umask: readable by the group at least when the
        // umask is the usual 022 or 002, never 0600 as a temporary file.
        assert_eq!(mode & 0o600, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_new_text() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn a_device_is_written_as_it_is() {
        write_atomic(Path::new("/dev/null"), b"new").unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}
