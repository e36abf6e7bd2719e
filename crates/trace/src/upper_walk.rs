//! Reading an overlay's upper layer back as a list of changes.
//!
//! * a character device 0:0 is a whiteout: the image entry was deleted;
//! * `{trusted,user}.overlay.opaque = y` on a directory that the image has:
//!   the directory was removed and re-created (replaced);
//! * `overlay.redirect` on a directory: it was renamed from that path;
//! * an entry the lower layer lacks was created (a created directory is one
//!   change covering its whole subtree); one it has was modified;
//! * a directory the image has only counts if its mode or owner changed,
//!   or (touched) if it is in the upper layer with nothing below;
//! * a mount's root directory (the root of its own overlay, the upper
//!   directory itself) is compared with its attributes when mounted.

use crate::canonical::{is_at_or_under, parent};
use crate::overlay::{Layer, PSEUDO, RootAttrs};
use crate::reduce::{Change, ChangeKind, LISTED_PER_DIR, names_data};
use rootlock_policy::format::pluralize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::{self, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Every change recorded in `layer`'s upper directory. Names that are not
/// UTF-8 are shown with U+FFFD; each such entry's shown path is added to
/// `not_utf8`, for the warning (a mount path cannot name it). Returns the
/// hard links between directories: (a name, another name of the same file
/// in another directory), shown paths.
pub fn walk(
    layer: &Layer,
    xattr_prefix: &str,
    out: &mut Vec<Change>,
    not_utf8: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut w = Walk {
        layer_root: &layer.mountpoint,
        px: xattr_prefix,
        out,
        not_utf8,
        inodes: HashMap::new(),
        links: Vec::new(),
    };
    if let Some(base) = &layer.root {
        w.root(&layer.upper, base);
    }
    w.dir(&layer.upper, &layer.lower, &layer.mountpoint);
    w.links
}

/// The entries of one directory whose changes anchor at it (files,
/// deletions): how many are listed, and the changes the rest are folded
/// into (one per kind).
#[derive(Default)]
struct DirFiles {
    listed: usize,
    folded: Vec<Change>,
}

/// What one walk of an upper layer writes to, and reads throughout.
struct Walk<'a> {
    layer_root: &'a str,
    px: &'a str,
    out: &'a mut Vec<Change>,
    not_utf8: &'a mut Vec<String>,
    /// The first name seen of each file with more than one (overlayfs
    /// mounted with `index=off` keeps an upper file's links its own, so
    /// the link count is the program's): (device, inode) → shown path.
    inodes: HashMap<(u64, u64), String>,
    /// See [`walk`].
    links: Vec<(String, String)>,
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

/// Why an image directory is in the upper layer with nothing below it and
/// its mode and owner unchanged. overlayfs copies a directory up only for
/// a write in or on it: a parent copied up for a deeper change holds that
/// change. Empty, it was written itself: `touch`, or a `chown`/`chmod` to
/// the values it already had (an entrypoint's `chown -R app /data`), or a
/// file was opened there with `O_TMPFILE` (glibc's `tmpfile()`), or
/// created and removed again. On a read-only root each of these fails
/// with EROFS, so the directory must be writable.
const COPIED_UP_EMPTY: &str = "times, owner or mode set, or an unnamed (O_TMPFILE) or removed file";

/// Why an image directory that holds copied-up entries is itself a write:
/// its modification time is newer than the image's. overlayfs keeps a
/// directory's times when it copies it up, and restores the parent's times
/// after copying a child up into it, so only a write on the directory
/// changes them: `utime` (`touch DIR`), or an entry created or removed in
/// it — which [`Walk::only_copied_up`] rules out, those are changes of
/// their own. Without this, `touch DIR` beside a change further down
/// (`DIR/sub/log` appended) planned only `DIR/sub`, and the `touch` failed
/// with EROFS under the plan. Newer only: the host root traced is live,
/// and a host process that adds a file to the directory after its copy-up
/// makes the image's time the newer one; that is not the program's write
/// (a `utime` back in time, as `tar` restores, is not seen).
const TIMES_SET: &str = "times set";

/// `dir` has no entries (unreadable counts as not empty: nothing is claimed).
fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut rd| rd.next().is_none())
}

fn is_whiteout(m: &Metadata) -> bool {
    m.file_type().is_char_device() && m.rdev() == 0
}

impl Walk<'_> {
    /// `shown` names a file (`meta`): if it has another name, seen before
    /// in another directory, the pair is a hard link the plan must keep in
    /// one volume.
    fn note_link(&mut self, meta: &Metadata, shown: &str) {
        if meta.is_dir() || meta.nlink() < 2 {
            return;
        }
        match self.inodes.entry((meta.dev(), meta.ino())) {
            Entry::Occupied(first) => {
                if parent(first.get()) != parent(shown) {
                    self.links.push((shown.to_string(), first.get().clone()));
                }
            }
            Entry::Vacant(v) => {
                v.insert(shown.to_string());
            }
        }
    }

    /// The layer's root directory itself, against its attributes when
    /// mounted: changed mode or owner, or (with nothing below it) a new
    /// change time, as for an image directory copied up empty.
    fn root(&mut self, upper: &Path, base: &RootAttrs) {
        let Some(now) = RootAttrs::of(upper) else {
            return;
        };
        let (kind, note) = if (now.mode, now.uid, now.gid) != (base.mode, base.uid, base.gid) {
            (
                ChangeKind::Attributes,
                attributes_note(
                    (base.mode, base.uid, base.gid),
                    (now.mode, now.uid, now.gid),
                ),
            )
        } else if now.ctime != base.ctime && is_empty_dir(upper) {
            (ChangeKind::Touched, COPIED_UP_EMPTY.to_string())
        } else {
            return;
        };
        self.out.push(Change {
            is_dir: true,
            note,
            ..Change::at(self.layer_root.to_string(), kind)
        });
    }

    /// A change of an entry of a directory (`files`: what that directory
    /// listed so far): listed, or past [`LISTED_PER_DIR`] folded into the
    /// first such change of its kind. Every one anchors at the directory,
    /// so the plan is the same; a data file's name is kept (the medium
    /// depends on it).
    fn entry_change(&mut self, files: &mut DirFiles, c: Change) {
        if files.listed < LISTED_PER_DIR || names_data(&c.path) {
            files.listed += 1;
            self.out.push(c);
            return;
        }
        match files
            .folded
            .iter_mut()
            .find(|f| (f.kind, f.is_dir) == (c.kind, c.is_dir))
        {
            Some(f) => {
                f.folded += 1;
                f.bytes = f.bytes.saturating_add(c.bytes);
            }
            None => files.folded.push(c),
        }
    }

    fn dir(&mut self, upper: &Path, lower: &Path, path: &str) {
        let Ok(entries) = fs::read_dir(upper) else {
            return;
        };
        let mut files = DirFiles::default();
        // Names only, sorted for a stable order: a directory of 300,000
        // files is held once, as its names.
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort_unstable();
        for name_os in names {
            let name = String::from_utf8_lossy(name_os.as_bytes()).into_owned();
            let p = join(path, &name);
            if PSEUDO.iter().any(|x| is_at_or_under(&p, x)) {
                continue;
            }
            if name_os.to_str().is_none() {
                self.not_utf8.push(p.clone());
            }
            let (up, low) = (upper.join(&name_os), lower.join(&name_os));
            let Ok(meta) = fs::symlink_metadata(&up) else {
                continue;
            };
            let lower_meta = fs::symlink_metadata(&low).ok();
            if is_whiteout(&meta) {
                let is_dir = lower_meta.as_ref().is_some_and(|m| m.is_dir());
                self.entry_change(
                    &mut files,
                    Change {
                        is_dir,
                        ..Change::at(p, ChangeKind::Deleted)
                    },
                );
                continue;
            }
            if meta.is_dir() {
                let redirect = xattr(&up, &format!("{}overlay.redirect", self.px));
                let opaque =
                    xattr(&up, &format!("{}overlay.opaque", self.px)).is_some_and(|v| v == b"y");
                let in_lower = lower_meta.as_ref().is_some_and(|m| m.is_dir());
                if let Some(r) = redirect {
                    let r = String::from_utf8_lossy(&r).into_owned();
                    let from = if r.starts_with('/') {
                        join_abs(self.layer_root, &r)
                    } else {
                        join(path, &r)
                    };
                    let (entries, bytes) = self.subtree(&up, &p);
                    self.out.push(Change {
                        is_dir: true,
                        bytes,
                        note: format!("renamed from {from}; {}", entries_below(entries)),
                        renamed_from: Some(from),
                        ..Change::at(p, ChangeKind::Created)
                    });
                } else if !in_lower || opaque {
                    let (entries, bytes) = self.subtree(&up, &p);
                    let kind = if in_lower {
                        ChangeKind::Replaced
                    } else {
                        ChangeKind::Created
                    };
                    let note = if entries > 0 {
                        entries_below(entries)
                    } else {
                        String::new()
                    };
                    self.out.push(Change {
                        is_dir: true,
                        bytes,
                        note,
                        // What a temp-directory function makes (see
                        // `made_up_private`); a replaced image directory
                        // keeps its name from the image.
                        private: kind == ChangeKind::Created && meta.mode() & 0o7777 == 0o700,
                        ..Change::at(p, kind)
                    });
                } else {
                    if let Some(lm) = &lower_meta
                        && (lm.mode() != meta.mode()
                            || lm.uid() != meta.uid()
                            || lm.gid() != meta.gid())
                    {
                        self.out.push(Change {
                            is_dir: true,
                            note: attributes_note(
                                (lm.mode(), lm.uid(), lm.gid()),
                                (meta.mode(), meta.uid(), meta.gid()),
                            ),
                            ..Change::at(p.clone(), ChangeKind::Attributes)
                        });
                    } else if is_empty_dir(&up) {
                        self.out.push(Change {
                            is_dir: true,
                            note: COPIED_UP_EMPTY.to_string(),
                            ..Change::at(p.clone(), ChangeKind::Touched)
                        });
                    } else if let Some(lm) = &lower_meta
                        && (meta.mtime(), meta.mtime_nsec()) > (lm.mtime(), lm.mtime_nsec())
                        && self.only_copied_up(&up, &low)
                    {
                        self.out.push(Change {
                            is_dir: true,
                            note: TIMES_SET.to_string(),
                            ..Change::at(p.clone(), ChangeKind::Touched)
                        });
                    }
                    self.dir(&up, &low, &p);
                }
                continue;
            }
            let kind = if lower_meta.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Created
            };
            self.note_link(&meta, &p);
            let note = if meta.file_type().is_socket() {
                "socket".to_string()
            } else {
                String::new()
            };
            self.entry_change(
                &mut files,
                Change {
                    bytes: meta.len(),
                    note,
                    ..Change::at(p, kind)
                },
            );
        }
        for f in &mut files.folded {
            if f.folded > 0 && f.note.is_empty() {
                f.note = format!("and {} more like it here, counted only", f.folded);
            }
        }
        self.out.append(&mut files.folded);
    }

    /// Every entry of the copied-up directory `upper` is an image entry
    /// copied up (not a whiteout, not created, not a directory replaced or
    /// renamed there): nothing in it explains a new modification time.
    /// Unreadable counts as explained: nothing is claimed.
    fn only_copied_up(&self, upper: &Path, lower: &Path) -> bool {
        let Ok(entries) = fs::read_dir(upper) else {
            return false;
        };
        entries.into_iter().all(|e| {
            let Ok(e) = e else { return false };
            let up = e.path();
            let (Ok(meta), Ok(lm)) = (
                fs::symlink_metadata(&up),
                fs::symlink_metadata(lower.join(e.file_name())),
            ) else {
                return false;
            };
            if is_whiteout(&meta) || meta.file_type() != lm.file_type() {
                return false;
            }
            !meta.is_dir()
                || (xattr(&up, &format!("{}overlay.redirect", self.px)).is_none()
                    && xattr(&up, &format!("{}overlay.opaque", self.px)).is_none_or(|v| v != b"y"))
        })
    }

    /// (entries, bytes) below a directory, shown as `shown`.
    fn subtree(&mut self, dir: &Path, shown: &str) -> (u64, u64) {
        let mut stack = vec![(dir.to_path_buf(), shown.to_string())];
        let (mut n, mut bytes) = (0u64, 0u64);
        // The first database file below is reported by name: the medium
        // depends on it (see `names_data`), and one is enough for that.
        let mut data_reported = false;
        while let Some((d, d_shown)) = stack.pop() {
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                n += 1;
                let meta = e.metadata();
                let is_dir = meta.as_ref().is_ok_and(|m| m.is_dir());
                let linked = meta.as_ref().is_ok_and(|m| !is_dir && m.nlink() > 1);
                let name = e.file_name();
                let odd = name.to_str().is_none();
                let data = !data_reported && !is_dir && name.to_str().is_some_and(names_data);
                // The shown path, only where it is needed: for a directory
                // to descend, or a name to report or pair with its links.
                if odd || is_dir || linked || data {
                    let e_shown = join(&d_shown, &String::from_utf8_lossy(name.as_bytes()));
                    if data {
                        data_reported = true;
                        // Its bytes are counted in its directory's.
                        self.out
                            .push(Change::at(e_shown.clone(), ChangeKind::Created));
                    }
                    if odd {
                        self.not_utf8.push(e_shown.clone());
                    }
                    if let (true, Ok(m)) = (linked, &meta) {
                        self.note_link(m, &e_shown);
                    }
                    if is_dir {
                        stack.push((e.path(), e_shown));
                    }
                }
                if let Ok(m) = meta
                    && !is_dir
                {
                    bytes = bytes.saturating_add(m.len());
                }
            }
        }
        (n, bytes)
    }
}

/// `N entries below` a directory, in the singular for one.
fn entries_below(n: u64) -> String {
    let word = pluralize("entry", "entries", usize::try_from(n).unwrap_or(usize::MAX));
    format!("{n} {word} below")
}

/// `redirect` absolute paths are relative to the overlay's root.
fn join_abs(layer_root: &str, r: &str) -> String {
    if layer_root == "/" {
        r.to_string()
    } else {
        format!("{layer_root}{r}")
    }
}

/// What changed on an image directory, from (mode, uid, gid) before and
/// after: only the parts that did change (a `chown` alone is not a mode
/// change).
fn attributes_note(before: (u32, u32, u32), after: (u32, u32, u32)) -> String {
    let (mode, uid, gid) = before;
    let mut parts = Vec::new();
    if (mode ^ after.0) & 0o7777 != 0 {
        parts.push(format!("mode {:o} → {:o}", mode & 0o7777, after.0 & 0o7777));
    }
    if (uid, gid) != (after.1, after.2) {
        parts.push(format!("owner {uid}:{gid} → {}:{}", after.1, after.2));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The changes of an upper layer over an (empty) lower one, seen at
    /// `mountpoint`.
    fn walked(
        mountpoint: &str,
        upper: std::path::PathBuf,
        lower: std::path::PathBuf,
    ) -> Vec<Change> {
        fs::create_dir_all(&lower).unwrap();
        let layer = Layer {
            mountpoint: mountpoint.into(),
            upper,
            lower,
            root: None,
        };
        let (mut out, mut not_utf8) = (Vec::new(), Vec::new());
        walk(&layer, "user.", &mut out, &mut not_utf8);
        out
    }

    /// A created directory's note counts what is below it, in the singular
    /// for one entry (`mkdir -p /var/cache/app; touch …/a`).
    #[test]
    fn a_created_directorys_note_counts_its_entries_in_words() {
        let scratch = tempfile::tempdir().unwrap();
        let (upper, lower) = (scratch.path().join("upper"), scratch.path().join("lower"));
        fs::create_dir_all(upper.join("one")).unwrap();
        fs::create_dir_all(upper.join("two")).unwrap();
        fs::write(upper.join("one/a"), "x").unwrap();
        fs::write(upper.join("two/a"), "x").unwrap();
        fs::write(upper.join("two/b"), "x").unwrap();
        let out = walked("/var/cache", upper, lower);
        let mut notes: Vec<(&str, &str)> = out
            .iter()
            .map(|c| (c.path.as_str(), c.note.as_str()))
            .collect();
        notes.sort();
        assert_eq!(
            notes,
            [
                ("/var/cache/one", "1 entry below"),
                ("/var/cache/two", "2 entries below")
            ]
        );
    }

    /// A database file below a created directory is reported by name
    /// (the directory's note only counts it), so that the plan backs the
    /// volume with a PersistentVolumeClaim: `~/.local` made by a web app
    /// holding `share/web/hits.db` was planned on memory (16Mi).
    #[test]
    fn a_database_below_a_created_directory_is_reported() {
        let scratch = tempfile::tempdir().unwrap();
        let (upper, lower) = (scratch.path().join("upper"), scratch.path().join("lower"));
        fs::create_dir_all(upper.join(".local/share/web")).unwrap();
        fs::write(upper.join(".local/share/web/hits.db"), "SQLite").unwrap();
        fs::write(upper.join(".local/share/web/web.log"), "hit").unwrap();
        let out = walked("/home/cloudsdk", upper, lower);
        let mut seen: Vec<(&str, ChangeKind, bool)> = out
            .iter()
            .map(|c| (c.path.as_str(), c.kind, c.is_dir))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("/home/cloudsdk/.local", ChangeKind::Created, true),
                (
                    "/home/cloudsdk/.local/share/web/hits.db",
                    ChangeKind::Created,
                    false
                ),
            ]
        );
        let plan = crate::reduce::plan_from_changes(&out, "t");
        assert_eq!(plan.paths.len(), 1, "{plan:#?}");
        assert_eq!(plan.paths[0].path, "/home/cloudsdk/.local");
        assert_eq!(
            plan.paths[0].medium,
            rootlock_policy::plan::Medium::Persistent
        );
    }

    /// A created directory of mode 0700 (as every temp-directory function
    /// makes one) is flagged private; one of 0755 is not.
    #[test]
    fn a_created_directory_of_mode_0700_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().unwrap();
        let (upper, lower) = (scratch.path().join("upper"), scratch.path().join("lower"));
        for (dir, mode) in [("app-F2xTIP", 0o700), ("open", 0o755)] {
            fs::create_dir_all(upper.join(dir)).unwrap();
            fs::set_permissions(upper.join(dir), fs::Permissions::from_mode(mode)).unwrap();
        }
        let out = walked("/tmp", upper, lower);
        let mut private: Vec<(&str, bool)> =
            out.iter().map(|c| (c.path.as_str(), c.private)).collect();
        private.sort();
        assert_eq!(private, [("/tmp/app-F2xTIP", true), ("/tmp/open", false)]);
    }

    #[test]
    fn an_attributes_note_names_what_changed() {
        // nginx's `chown www-data` of /var/lib/nginx/proxy: owner only.
        assert_eq!(
            attributes_note((0o40700, 0, 0), (0o40700, 33, 0)),
            "owner 0:0 → 33:0"
        );
        assert_eq!(
            attributes_note((0o40755, 0, 0), (0o40700, 0, 0)),
            "mode 755 → 700"
        );
        assert_eq!(
            attributes_note((0o40755, 0, 0), (0o41777, 1, 2)),
            "mode 755 → 1777, owner 0:0 → 1:2"
        );
    }
}
