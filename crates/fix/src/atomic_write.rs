//! Replacing a file so that it is either wholly old or wholly new: the new
//! text goes to a temporary file in the same directory, is flushed to disk,
//! given the original's permissions, and renamed over the original.
//!
//! Renaming gives the path a new inode: other hard links to the old one keep
//! the old text. Writing in place instead would keep them, but a crash or a
//! full disk would leave a half-written manifest; so the rename stays, and
//! the caller is told how many links were left behind.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `content` to `path` atomically. A file without write permission
/// is refused (renaming would bypass its mode); any failure leaves the
/// original untouched and removes the temporary file. Returns how many other
/// hard links still name the old text.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<u64, String> {
    let shown = path.display();
    let target =
        fs::canonicalize(path).map_err(|e| format!("{shown}: cannot resolve the path: {e}"))?;
    let meta = fs::metadata(&target).map_err(|e| format!("{shown}: {e}"))?;
    if meta.permissions().readonly() {
        return Err(format!(
            "{shown}: the file is read-only; not changed (make it writable to fix it in place)"
        ));
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let fail = |what: &str, e: std::io::Error| {
        format!("{shown}: cannot {what}: {e}; the original is unchanged")
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rootlock-fix-")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file beside it", e))?;
    tmp.write_all(content)
        .map_err(|e| fail("write the new text", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail("flush the new text to disk", e))?;
    {
        use std::os::unix::fs::MetadataExt;
        // Keep the owner too; only root can, and only root needs to. Before
        // the mode: chown clears the set-user-ID and set-group-ID bits.
        let _ = std::os::unix::fs::chown(tmp.path(), Some(meta.uid()), Some(meta.gid()));
    }
    fs::set_permissions(tmp.path(), meta.permissions())
        .map_err(|e| fail("copy the permissions", e))?;
    tmp.persist(&target)
        .map_err(|e| fail("replace the file", e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    use std::os::unix::fs::MetadataExt;
    Ok(meta.nlink().saturating_sub(1))
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
}
