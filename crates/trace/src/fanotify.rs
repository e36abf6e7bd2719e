//! Transient files: a fanotify filesystem mark on the scratch tmpfs that
//! holds every upper layer. Directory entry events carry the parent's file
//! handle and the name (`FAN_REPORT_DFID_NAME`) plus the child's handle
//! (`FAN_REPORT_TARGET_FID`); paths are rebuilt from a handle → path map
//! seeded with the upper directories and extended by every directory
//! creation, so no privilege (`open_by_handle_at`) is needed.

use crate::namespaces::{Result, cpath, os_err};
use crate::reduce::LISTED_PER_DIR;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const FAN_CLOEXEC: u32 = 0x1;
const FAN_NONBLOCK: u32 = 0x2;
const FAN_REPORT_FID: u32 = 0x200;
const FAN_REPORT_DIR_FID: u32 = 0x400;
const FAN_REPORT_NAME: u32 = 0x800;
const FAN_REPORT_TARGET_FID: u32 = 0x1000;
const FAN_MARK_ADD: u32 = 0x1;
const FAN_MARK_FILESYSTEM: u32 = 0x100;
const FAN_MOVED_TO: u64 = 0x80;
const FAN_CREATE: u64 = 0x100;
const FAN_Q_OVERFLOW: u64 = 0x4000;
const FAN_RENAME: u64 = 0x1000_0000;
const FAN_ONDIR: u64 = 0x4000_0000;
const INFO_FID: u8 = 1;
const INFO_DFID_NAME: u8 = 2;
const INFO_OLD_DFID_NAME: u8 = 10;
const INFO_NEW_DFID_NAME: u8 = 12;
const METADATA_LEN: usize = 24;

/// How many of the latest files [`Watch`] remembers for hard links.
const RECENT_FILES: usize = 4096;

pub struct Watch {
    fd: OwnedFd,
    dirs: HashMap<Vec<u8>, PathBuf>,
    /// What was created or moved in under each known directory.
    pub created: BTreeMap<PathBuf, CreatedIn>,
    /// Every rename from one known directory into another (a different
    /// one): (from, to, is_dir). rename(2) does not cross mounts, so the
    /// plan needs both places in one volume; the upper layers show only
    /// where the entry ended up.
    pub renamed: Vec<(PathBuf, PathBuf, bool)>,
    /// Hard links from one known directory into another: (existing name,
    /// new name), the first pair for each pair of directories. link(2) does
    /// not cross mounts either; and the first name may be gone by the end
    /// (a Maildir delivery links `tmp/m` to `new/m`, then unlinks `tmp/m`).
    pub linked: BTreeMap<(PathBuf, PathBuf), (PathBuf, PathBuf)>,
    /// The latest files made, by file handle: where a later FAN_CREATE of
    /// the same inode (a new name, so a hard link) finds its other name.
    /// A window of [`RECENT_FILES`], not every file: a link made long after
    /// its file was written is still seen by the upper layers' walk while
    /// both names exist.
    recent: HashMap<Vec<u8>, PathBuf>,
    recent_order: VecDeque<Vec<u8>>,
    /// The kernel dropped events: the transient list may be incomplete.
    pub overflow: bool,
}

/// The entries created (or moved in) in one directory: their names, up to
/// [`LISTED_PER_DIR`], then a count. Only the names are needed (to find
/// those removed again, transient), and a directory written a
/// million times needs no more than its name in the plan: every entry
/// anchors there.
#[derive(Debug, Default)]
pub struct CreatedIn {
    /// (name, is_dir).
    pub names: BTreeSet<(OsString, bool)>,
    /// Entries made past those, counted only.
    pub folded: u64,
}

impl CreatedIn {
    fn add(&mut self, name: &OsStr, is_dir: bool) {
        let key = (name.to_owned(), is_dir);
        if self.names.len() < LISTED_PER_DIR || self.names.contains(&key) {
            self.names.insert(key);
        } else {
            self.folded += 1;
        }
    }
}

/// A directory's file handle as the map key (type + bytes).
fn handle_of(path: &Path) -> Result<Vec<u8>> {
    #[repr(C)]
    struct Fh {
        bytes: u32,
        kind: i32,
        data: [u8; 128],
    }
    let c = cpath(path)?;
    let mut fh = Fh {
        bytes: 128,
        kind: 0,
        data: [0; 128],
    };
    let mut mount_id: libc::c_int = 0;
    // SAFETY: a `struct file_handle` with room for MAX_HANDLE_SZ bytes.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            libc::AT_FDCWD,
            c.as_ptr(),
            &mut fh as *mut Fh,
            &mut mount_id as *mut libc::c_int,
            0,
        )
    };
    if rc != 0 {
        return Err(os_err(format_args!("name_to_handle_at {}", path.display())));
    }
    let n = (fh.bytes as usize).min(128);
    Ok(key(fh.kind, &fh.data[..n]))
}

fn key(kind: i32, bytes: &[u8]) -> Vec<u8> {
    let mut k = kind.to_ne_bytes().to_vec();
    k.extend_from_slice(bytes);
    k
}

impl Watch {
    /// Marks the filesystem holding `fs_path`; `dirs` are the directories
    /// whose descendants are reported.
    pub fn new(fs_path: &Path, dirs: &[PathBuf]) -> Result<Watch> {
        let flags = FAN_CLOEXEC
            | FAN_NONBLOCK
            | FAN_REPORT_FID
            | FAN_REPORT_DIR_FID
            | FAN_REPORT_NAME
            | FAN_REPORT_TARGET_FID;
        // SAFETY: plain syscall.
        let fd = unsafe { libc::fanotify_init(flags, (libc::O_RDONLY | libc::O_LARGEFILE) as u32) };
        if fd < 0 {
            return Err(os_err("fanotify_init"));
        }
        // SAFETY: fd was just returned by the kernel and is owned here.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let c = cpath(fs_path)?;
        let mask = FAN_CREATE | FAN_MOVED_TO | FAN_RENAME | FAN_ONDIR;
        // SAFETY: valid fd and path.
        let rc = unsafe {
            libc::fanotify_mark(
                fd.as_raw_fd(),
                FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                mask,
                libc::AT_FDCWD,
                c.as_ptr(),
            )
        };
        if rc != 0 {
            return Err(os_err(format_args!("fanotify_mark {}", fs_path.display())));
        }
        let mut map = HashMap::new();
        for d in dirs {
            map.insert(handle_of(d)?, d.clone());
        }
        Ok(Watch {
            fd,
            dirs: map,
            created: BTreeMap::new(),
            renamed: Vec::new(),
            linked: BTreeMap::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            overflow: false,
        })
    }

    /// A file got the name `path` (`created`: a new directory entry, not
    /// a rename): a file already known under a name in another directory
    /// was hard-linked here.
    fn file_named(&mut self, handle: &[u8], path: &Path, created: bool) {
        if let Some(other) = self.recent.get(handle)
            && created
            && let (Some(from_dir), Some(to_dir)) = (other.parent(), path.parent())
            && from_dir != to_dir
        {
            self.linked
                .entry((from_dir.to_path_buf(), to_dir.to_path_buf()))
                .or_insert_with(|| (other.clone(), path.to_path_buf()));
            return;
        }
        if self
            .recent
            .insert(handle.to_vec(), path.to_path_buf())
            .is_none()
        {
            self.recent_order.push_back(handle.to_vec());
        }
        while self.recent_order.len() > RECENT_FILES {
            if let Some(old) = self.recent_order.pop_front() {
                self.recent.remove(&old);
            }
        }
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Reads every queued event (the fd is non-blocking).
    pub fn drain(&mut self) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: reading into a buffer of the given length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n) = usize::try_from(n) else { return };
            if n == 0 {
                return;
            }
            self.parse(&buf[..n]);
        }
    }

    fn parse(&mut self, buf: &[u8]) {
        let u16_at = |b: &[u8], i: usize| {
            b.get(i..i + 2)
                .map(|s| u16::from_ne_bytes([s[0], s[1]]) as usize)
        };
        let u32_at = |b: &[u8], i: usize| {
            b.get(i..i + 4)
                .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
        };
        let mut off = 0;
        while off + METADATA_LEN <= buf.len() {
            let Some(event_len) = u32_at(buf, off).map(|v| v as usize) else {
                return;
            };
            let Some(meta_len) = u16_at(buf, off + 6) else {
                return;
            };
            if event_len < METADATA_LEN || off + event_len > buf.len() {
                return;
            }
            let mask = buf
                .get(off + 8..off + 16)
                .map(|s| u64::from_ne_bytes(s.try_into().unwrap_or([0; 8])))
                .unwrap_or(0);
            if mask & FAN_Q_OVERFLOW != 0 {
                self.overflow = true;
            }
            let (mut dir, mut name, mut target) = (None, None, None);
            // FAN_RENAME: the old and the new parent and name.
            let (mut old, mut new) = (None, None);
            let mut i = off + meta_len;
            while i + 4 <= off + event_len {
                let info_type = buf[i];
                let Some(len) = u16_at(buf, i + 2) else { break };
                if len < 4 || i + len > off + event_len {
                    break;
                }
                let rec = &buf[i..i + len];
                // header(4) fsid(8) handle_bytes(4) handle_type(4) handle… [name\0]
                if let (Some(hb), Some(ht)) = (u32_at(rec, 12), u32_at(rec, 16)) {
                    let hb = hb as usize;
                    if let Some(h) = rec.get(20..20 + hb) {
                        let k = key(ht as i32, h);
                        if matches!(
                            info_type,
                            INFO_DFID_NAME | INFO_OLD_DFID_NAME | INFO_NEW_DFID_NAME
                        ) {
                            let rest = &rec[20 + hb..];
                            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                            // The name's bytes as they are: a lossy
                            // decoding would name another file, which the
                            // transient check would then find missing.
                            let n = std::ffi::OsStr::from_bytes(&rest[..end]).to_owned();
                            match info_type {
                                INFO_OLD_DFID_NAME => old = Some((k, n)),
                                INFO_NEW_DFID_NAME => new = Some((k, n)),
                                _ => (name, dir) = (Some(n), Some(k)),
                            }
                        } else if info_type == INFO_FID {
                            target = Some(k);
                        }
                    }
                }
                i += len;
            }
            off += event_len;
            // Both parents must be known directories of the upper layers
            // (overlayfs's own copy-up renames come from its work
            // directory, which is not); a rename within one directory
            // needs no more than that directory.
            if mask & FAN_RENAME != 0
                && let (Some((old_dir, old_name)), Some((new_dir, new_name))) = (old, new)
                && old_dir != new_dir
                && let (Some(from), Some(to)) = (self.dirs.get(&old_dir), self.dirs.get(&new_dir))
            {
                self.renamed.push((
                    from.join(old_name),
                    to.join(new_name),
                    mask & FAN_ONDIR != 0,
                ));
            }
            let (Some(dir), Some(name)) = (dir, name) else {
                continue;
            };
            let Some(parent) = self.dirs.get(&dir) else {
                continue;
            };
            let path = parent.join(&name);
            let ondir = mask & FAN_ONDIR != 0;
            if mask & (FAN_CREATE | FAN_MOVED_TO) != 0 {
                self.created
                    .entry(parent.clone())
                    .or_default()
                    .add(&name, ondir);
                if !ondir && let Some(t) = &target {
                    self.file_named(t, &path, mask & FAN_CREATE != 0);
                }
                if ondir
                    && let Some(t) = target
                    && let Some(old) = self.dirs.insert(t, path.clone())
                {
                    // A directory moved: re-root everything known below it.
                    for p in self.dirs.values_mut() {
                        if let Ok(rest) = p.strip_prefix(&old)
                            && !rest.as_os_str().is_empty()
                        {
                            *p = path.join(rest);
                        }
                    }
                }
            }
        }
    }
}
