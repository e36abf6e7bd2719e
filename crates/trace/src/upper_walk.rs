//! Reading an overlay's upper layer back as a list of changes.
//!
//! * a character device 0:0 is a whiteout: the image entry was deleted;
//! * `{trusted,user}.overlay.opaque = y` on a directory that the image has:
//!   the directory was removed and re-created (replaced);
//! * `overlay.redirect` on a directory: it was renamed from that path;
//! * an entry the lower layer lacks was created (a created directory is one
//!   change covering its whole subtree); one it has was modified;
//! * a directory the image has only counts if its mode or owner changed.

use crate::canonical::is_at_or_under;
use crate::overlay::{Layer, PSEUDO};
use crate::reduce::{Change, ChangeKind};
use std::fs::{self, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Every change recorded in `layer`'s upper directory.
pub fn walk(layer: &Layer, xattr_prefix: &str, out: &mut Vec<Change>) {
    walk_dir(
        &layer.upper,
        &layer.lower,
        &layer.mountpoint,
        &layer.mountpoint,
        xattr_prefix,
        out,
    );
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Reads an extended attribute of `path` without following symlinks.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let c_path = crate::namespaces::cpath(path).ok()?;
    let c_name = crate::namespaces::cstr(name).ok()?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: valid strings and a buffer of the length passed.
    let n = unsafe {
        libc::lgetxattr(
            c_path.as_ptr(),
            c_name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return None;
    }
    buf.truncate(usize::try_from(n).ok()?);
    Some(buf)
}

fn is_whiteout(m: &Metadata) -> bool {
    m.file_type().is_char_device() && m.rdev() == 0
}

fn walk_dir(
    upper: &Path,
    lower: &Path,
    path: &str,
    layer_root: &str,
    px: &str,
    out: &mut Vec<Change>,
) {
    let Ok(entries) = fs::read_dir(upper) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name_os = e.file_name();
        let name = String::from_utf8_lossy(name_os.as_bytes()).into_owned();
        let p = join(path, &name);
        if PSEUDO.iter().any(|x| is_at_or_under(&p, x)) {
            continue;
        }
        let (up, low) = (upper.join(&name_os), lower.join(&name_os));
        let Ok(meta) = fs::symlink_metadata(&up) else {
            continue;
        };
        let lower_meta = fs::symlink_metadata(&low).ok();
        if is_whiteout(&meta) {
            let is_dir = lower_meta.as_ref().is_some_and(|m| m.is_dir());
            out.push(Change {
                path: p,
                kind: ChangeKind::Deleted,
                is_dir,
                bytes: 0,
                note: String::new(),
            });
            continue;
        }
        if meta.is_dir() {
            let redirect = xattr(&up, &format!("{px}overlay.redirect"));
            let opaque = xattr(&up, &format!("{px}overlay.opaque")).is_some_and(|v| v == b"y");
            let in_lower = lower_meta.as_ref().is_some_and(|m| m.is_dir());
            if let Some(r) = redirect {
                let r = String::from_utf8_lossy(&r).into_owned();
                let from = if r.starts_with('/') {
                    join_abs(layer_root, &r)
                } else {
                    join(path, &r)
                };
                let (entries, bytes) = subtree(&up);
                out.push(Change {
                    path: p,
                    kind: ChangeKind::Created,
                    is_dir: true,
                    bytes,
                    note: format!("renamed from {from}; {entries} entries below"),
                });
            } else if !in_lower || opaque {
                let (entries, bytes) = subtree(&up);
                let kind = if in_lower {
                    ChangeKind::Replaced
                } else {
                    ChangeKind::Created
                };
                let note = if entries > 0 {
                    format!("{entries} entries below")
                } else {
                    String::new()
                };
                out.push(Change {
                    path: p,
                    kind,
                    is_dir: true,
                    bytes,
                    note,
                });
            } else {
                if let Some(lm) = &lower_meta
                    && (lm.mode() != meta.mode()
                        || lm.uid() != meta.uid()
                        || lm.gid() != meta.gid())
                {
                    out.push(Change {
                        path: p.clone(),
                        kind: ChangeKind::Attributes,
                        is_dir: true,
                        bytes: 0,
                        note: format!("mode {:o} → {:o}", lm.mode() & 0o7777, meta.mode() & 0o7777),
                    });
                }
                walk_dir(&up, &low, &p, layer_root, px, out);
            }
            continue;
        }
        let kind = if lower_meta.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Created
        };
        let note = if meta.file_type().is_socket() {
            "socket".to_string()
        } else {
            String::new()
        };
        out.push(Change {
            path: p,
            kind,
            is_dir: false,
            bytes: meta.len(),
            note,
        });
    }
}

/// `redirect` absolute paths are relative to the overlay's root.
fn join_abs(layer_root: &str, r: &str) -> String {
    if layer_root == "/" {
        r.to_string()
    } else {
        format!("{layer_root}{r}")
    }
}

/// (entries, bytes) below a directory.
fn subtree(dir: &Path) -> (u64, u64) {
    let mut stack = vec![dir.to_path_buf()];
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            n += 1;
            if let Ok(m) = e.metadata() {
                if m.is_dir() {
                    stack.push(e.path());
                } else {
                    bytes = bytes.saturating_add(m.len());
                }
            }
        }
    }
    (n, bytes)
}
