//! The inspected process's root directory, opened once, and directories
//! looked up inside it the way that process itself would see them.
//!
//! `/proc/PID/root` is a magic link to the target's root, but a path walked
//! *through* it (`/proc/PID/root/etc`) is still resolved with verify's own
//! root: an absolute symlink in the target (`etc -> /var/tmp`) lands in
//! verify's filesystem, and `..` climbs above the target's root into the
//! mounts around it. openat2(2) with `RESOLVE_IN_ROOT` resolves every
//! component, symlinks included, as if the opened directory were `/`, so
//! the lookup stays inside the target whatever its symlinks say.

use crate::proc_dir::ProcDir;
use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, StatVfsMountFlags, StatxFlags};
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Root {
    /// `O_PATH` descriptor of the root directory.
    fd: OwnedFd,
    /// What was opened (`/` or `/proc/PID/root`), for messages.
    path: PathBuf,
    /// The root of verify's own process: lookups in it resolve as that
    /// process's own would, so they need no openat2 (absent before Linux
    /// 5.6, in gVisor before 2026, and refused by older seccomp profiles).
    own: bool,
}

impl Root {
    /// Opens another process's root (`/proc/PID/root`, or a directory
    /// standing in for one) as a directory.
    pub fn open(path: &Path) -> io::Result<Root> {
        Root::open_as(path, false)
    }

    /// The root of the process whose `/proc/PID` is `proc` (its `root`
    /// entry), bound to that process as [`ProcDir`] explains.
    pub fn of_process(proc: &ProcDir) -> io::Result<Root> {
        Ok(Root {
            fd: proc.open_dir("root")?,
            path: proc.path_of("root"),
            own: false,
        })
    }

    /// Opens verify's own root, `/`.
    pub fn own() -> io::Result<Root> {
        Root::open_as(Path::new("/"), true)
    }

    fn open_as(path: &Path, own: bool) -> io::Result<Root> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root {
            fd,
            path: path.to_path_buf(),
            own,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens directory `dir` (as the process sees it, e.g. `/etc`) inside
    /// the root, as an `O_PATH` descriptor to create files relative to.
    ///
    /// No fallback to a plain path walk where openat2(2) is missing
    /// (`ENOSYS`): that walk is exactly what may leave the root. The caller
    /// reports the directory as not probed.
    pub fn dir(&self, dir: &str) -> io::Result<OwnedFd> {
        self.lookup(dir, OFlags::DIRECTORY)
    }

    /// The mount ID (mountinfo field 1) of the mount where directory `dir`
    /// (as the process sees it) ends up, symlinks followed inside the
    /// root: the kernel's own answer to "which mount would a write in
    /// `dir` go to". `Unsupported` before Linux 5.8 (no `STATX_MNT_ID`).
    pub fn mount_id(&self, dir: &str) -> io::Result<u64> {
        mount_id_of(&self.dir(dir)?)
    }

    /// The target of symlink `path` (as the process sees it; the symlink
    /// itself, not followed), looked up inside the root.
    pub fn readlink(&self, path: &str) -> io::Result<String> {
        let fd = self.lookup(path, OFlags::NOFOLLOW)?;
        let target = rustix::fs::readlinkat(&fd, "", Vec::new())?;
        Ok(String::from_utf8_lossy(target.as_bytes()).into_owned())
    }

    /// The mount ID of the mount where directory `path` is, or would be
    /// created: a lookup that ends in "no such file" follows the missing
    /// path's own symlink, if it is one (`/etc -> /tmp/etc` with no
    /// `/tmp/etc` yet), and otherwise names the mount of its parent
    /// directory (found the same way), where whoever may write there can
    /// create it. Gives up
    /// (the lookup's error) after as many symlinks as the kernel follows.
    pub fn mount_of_place(&self, path: &str) -> io::Result<u64> {
        let mut path = path.to_string();
        for _ in 0..40 {
            let missing = match self.mount_id(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => e,
                Err(e) if self.refused_magic_link(&path, &e) => {
                    return Err(io::Error::other(MagicLink));
                }
                found => return found,
            };
            let parent = match path.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((up, _)) => up.to_string(),
                None => return Err(missing),
            };
            match self.readlink(&path) {
                Ok(target) if target.starts_with('/') => path = target,
                Ok(target) => path = format!("{}/{target}", parent.trim_end_matches('/')),
                // Not a symlink, or itself in a missing directory: it
                // would be created in its parent, which may be missing too
                // or a dangling symlink (`/usr/local -> /tmp/local`, no
                // `/tmp/local` yet, for `/usr/local/bin`), so the parent is
                // looked up the same way, not only by its mount ID (which
                // left such a path out, unjudged).
                Err(_) => path = parent,
            }
        }
        Err(io::Error::from_raw_os_error(40))
    }

    /// Whether a lookup of `path` failed (`error`) at a magic link of
    /// `/proc` rather than at a symlink loop: in another process's root
    /// `RESOLVE_NO_MAGICLINKS` refuses both with `ELOOP`, and
    /// `RESOLVE_IN_ROOT` alone refuses the magic link's jump with `EXDEV`
    /// (openat2(2)). Never in verify's own root, where the kernel follows
    /// magic links as the process itself would.
    fn refused_magic_link(&self, path: &str, error: &io::Error) -> bool {
        if self.own || error.raw_os_error() != Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return false;
        }
        rustix::fs::openat2(
            &self.fd,
            path.trim_start_matches('/'),
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT,
        )
        .is_err_and(|e| e == rustix::io::Errno::XDEV)
    }

    /// Whether the mount the root directory is in refuses writes
    /// (statfs(2) `ST_RDONLY`: a read-only mount or superblock).
    pub fn read_only(&self) -> io::Result<bool> {
        let st = rustix::fs::fstatvfs(&self.fd)?;
        Ok(st.f_flag.contains(StatVfsMountFlags::RDONLY))
    }

    /// Looks `path` (file or directory, as the process sees it) up inside
    /// the root without opening it for I/O: `Ok` when it is there, the
    /// lookup's error (`NotFound`, `ENOSYS` without openat2, …) when not.
    pub fn entry(&self, path: &str) -> io::Result<OwnedFd> {
        self.lookup(path, OFlags::empty())
    }

    /// The whole text of file `path` (as the process sees it), looked up
    /// inside the root, when it is a file of a proc filesystem (anything
    /// else is an `InvalidData` error: the image or a volume could hold a
    /// file of any content there).
    pub fn read_proc_file(&self, path: &str) -> io::Result<String> {
        use std::io::Read as _;
        let fd = self.open_in_root(path, OFlags::RDONLY)?;
        if rustix::fs::fstatfs(&fd)?.f_type != rustix::fs::PROC_SUPER_MAGIC {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path} is not on a proc filesystem"),
            ));
        }
        let mut text = String::new();
        std::fs::File::from(fd).read_to_string(&mut text)?;
        Ok(text)
    }

    /// Opens directory `path` (as the process sees it, not `/`) inside the
    /// root for listing its entries.
    pub fn open_listing(&self, path: &str) -> io::Result<OwnedFd> {
        self.open_in_root(path, OFlags::RDONLY | OFlags::DIRECTORY)
    }

    fn lookup(&self, path: &str, kind: OFlags) -> io::Result<OwnedFd> {
        // `/` itself: the descriptor already held, no lookup to escape from
        // (so it is found even without openat2).
        if path.trim_start_matches('/').is_empty() {
            return self.fd.try_clone();
        }
        self.open_in_root(path, OFlags::PATH | kind)
    }

    /// Opens `path` (not `/`) inside the root with `mode` (`O_PATH`, or
    /// `O_RDONLY` to read it).
    fn open_in_root(&self, path: &str, mode: OFlags) -> io::Result<OwnedFd> {
        let relative = path.trim_start_matches('/');
        let flags = mode | OFlags::CLOEXEC;
        if self.own {
            // Symlinks resolve in the root they are read in, which is this
            // process's own: a plain lookup cannot leave it.
            return rustix::fs::openat(&self.fd, relative, flags, Mode::empty())
                .map_err(io::Error::from);
        }
        rustix::fs::openat2(
            &self.fd,
            // Relative: an absolute path would ignore the descriptor unless
            // RESOLVE_IN_ROOT is set, so this stays right on its own.
            relative,
            flags,
            Mode::empty(),
            // NO_MAGICLINKS: a /proc/…/root or /proc/…/fd/N link in the
            // target's tree would jump out of the root again.
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
        )
        .map_err(io::Error::from)
    }
}

/// The mount ID (mountinfo field 1) of the mount `fd` is in.
/// `Unsupported` before Linux 5.8 (no `STATX_MNT_ID`).
pub(crate) fn mount_id_of(fd: &OwnedFd) -> io::Result<u64> {
    let st = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID)?;
    if st.stx_mask & StatxFlags::MNT_ID.bits() == 0 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "statx(2) gave no mount ID (Linux < 5.8)",
        ));
    }
    Ok(st.stx_mnt_id)
}

/// The error of [`Root::mount_of_place`] for a path that leads through a
/// magic link of `/proc` (`/etc -> /proc/self/root/tmp/etc`). The process
/// follows it with its own `/proc` (its `self`, its PIDs, its root), which
/// verify, looking from another process, cannot: where it leads is not
/// known, and it may be a writable mount.
#[derive(Debug)]
pub struct MagicLink;

impl std::fmt::Display for MagicLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("leads through a magic link of /proc")
    }
}

impl std::error::Error for MagicLink {}

/// A system path (`/etc`, `/usr/bin`, … the policy's list) as the
/// inspected process reaches it: the mount a lookup of it ends in, after
/// every symlink on the way (`/etc -> /tmp/etc` ends in the `/tmp` mount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemDir {
    pub path: String,
    pub mount_id: u64,
}

/// What verify learns by looking inside the process's root, beside the
/// mount table (empty when the root could not be opened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootFacts {
    /// Why the root could not be opened (with `--pid`: no ptrace access),
    /// when it could not: then every other fact here is unknown, not
    /// absent.
    pub unopened: Option<String>,
    /// See [`system_dirs`].
    pub system_dirs: Vec<SystemDir>,
    /// Whether the mount holding the root directory refuses writes, from
    /// statfs(2). Only used when mountinfo has no `/` line: a root that is
    /// a directory inside a mount (a chroot, not a mount point) makes the
    /// kernel leave that mount out, its mount point being outside the
    /// process's view.
    pub read_only: Option<bool>,
    /// System paths that lead through a magic link of `/proc` (see
    /// [`MagicLink`]), in the policy's order.
    pub magic_linked: Vec<String>,
    /// See [`crate::runtime_socket`].
    pub runtime_sockets: Vec<String>,
    /// See [`crate::node_processes`].
    pub node_processes: Option<String>,
    /// See [`crate::disk_nodes`].
    pub disk_nodes: Vec<crate::disk_nodes::DiskNode>,
    /// The mount ID of the mount the root directory is in (known even
    /// when mountinfo leaves that mount out, as for a chroot).
    pub root_mount_id: Option<u64>,
    /// What the process holds, and where (see [`crate::held`]). Read from
    /// `/proc/PID`, not the root, by the caller: it is known even when the
    /// root cannot be opened.
    pub held: Vec<crate::held::Held>,
}

impl RootFacts {
    /// `mounts`: the process's mount table, for where runtime sockets may be.
    pub fn read(root: &Root, mounts: &[crate::mountinfo::MountEntry]) -> RootFacts {
        let (system_dirs, magic_linked) = system_dirs_and_magic_links(root);
        RootFacts {
            unopened: None,
            system_dirs,
            read_only: root.read_only().ok(),
            magic_linked,
            runtime_sockets: crate::runtime_socket::reachable(
                root,
                &crate::runtime_socket::places(mounts),
            ),
            node_processes: crate::node_processes::shown_at(
                root,
                &crate::node_processes::places(mounts),
            ),
            disk_nodes: crate::disk_nodes::in_dev(root, mounts),
            root_mount_id: root.mount_id("/").ok(),
            held: Vec::new(),
        }
    }
}

/// Every system path of the policy's list, with the mount it ends in or,
/// when missing, would be created in (see [`Root::mount_of_place`]). One
/// that is no directory or cannot be looked up (no openat2, no statx mount
/// ID, a symlink loop) is left out: the mount table still judges it by its
/// mount points.
pub fn system_dirs(root: &Root) -> Vec<SystemDir> {
    system_dirs_and_magic_links(root).0
}

/// [`system_dirs`], and apart the system paths whose lookup was refused at
/// a magic link: left out of the first like any other failed lookup, they
/// must not pass for safe.
fn system_dirs_and_magic_links(root: &Root) -> (Vec<SystemDir>, Vec<String>) {
    let mut dirs = Vec::new();
    let mut magic = Vec::new();
    for path in rootlock_policy::immutable::SYSTEM_PATHS {
        match root.mount_of_place(path) {
            Ok(mount_id) => dirs.push(SystemDir {
                path: (*path).to_string(),
                mount_id,
            }),
            Err(e) if e.get_ref().is_some_and(|inner| inner.is::<MagicLink>()) => {
                magic.push((*path).to_string());
            }
            Err(_) => {}
        }
    }
    (dirs, magic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;
    use std::os::unix::fs::symlink;

    fn mount_of(dirs: &[SystemDir], path: &str) -> Option<u64> {
        dirs.iter().find(|d| d.path == path).map(|d| d.mount_id)
    }

    #[test]
    fn a_dangling_system_path_leads_where_it_would_be_created() {
        // /etc -> /var/x/etc, /bin -> ../var/y -> /var/x/bin, none of the
        // targets there yet: whoever can write /var/x can create them, so
        // they lead into /var/x's mount. /sbin is a symlink loop: nowhere.
        let dir = Scratch::new("root-dangling");
        std::fs::create_dir_all(dir.join("var/x")).unwrap();
        symlink("/var/x/etc", dir.join("etc")).unwrap();
        symlink("../var/y", dir.join("bin")).unwrap();
        symlink("/var/x/bin", dir.join("var/y")).unwrap();
        symlink("sbin2", dir.join("sbin")).unwrap();
        symlink("sbin", dir.join("sbin2")).unwrap();
        let root = Root::open(&dir).unwrap();
        let here = root.mount_id("/var/x").unwrap();
        let dirs = system_dirs(&root);
        assert_eq!(mount_of(&dirs, "/etc"), Some(here), "{dirs:?}");
        assert_eq!(mount_of(&dirs, "/bin"), Some(here), "{dirs:?}");
        assert_eq!(mount_of(&dirs, "/sbin"), None, "{dirs:?}");
        // Missing outright: it would be created in the root's own mount.
        assert_eq!(mount_of(&dirs, "/usr"), Some(here), "{dirs:?}");
        // Nothing was created.
        assert!(!dir.join("var/x/etc").exists());
        assert!(!dir.join("usr").exists());
    }

    #[test]
    fn a_system_path_below_a_dangling_symlink_leads_where_it_would_be_created() {
        // /usr/local -> /var/x/local, no /var/x/local yet: /usr/local/bin,
        // lib and sbin are created there by whoever can write /var/x.
        let dir = Scratch::new("root-dangling-parent");
        std::fs::create_dir_all(dir.join("var/x")).unwrap();
        std::fs::create_dir_all(dir.join("usr")).unwrap();
        symlink("/var/x/local", dir.join("usr/local")).unwrap();
        let root = Root::open(&dir).unwrap();
        let here = root.mount_id("/var/x").unwrap();
        let dirs = system_dirs(&root);
        for path in ["/usr/local/bin", "/usr/local/lib", "/usr/local/sbin"] {
            assert_eq!(mount_of(&dirs, path), Some(here), "{path}: {dirs:?}");
        }
        assert!(!dir.join("var/x/local").exists());
    }

    #[test]
    fn a_symlink_loop_is_no_magic_link() {
        // Both fail the lookup with ELOOP; a loop leads nowhere and is left
        // out. (A magic link needs a proc in the root: see the namespace
        // test pid_with_etc_magic_linked_into_a_writable_mount_fails.)
        let dir = Scratch::new("root-loop");
        symlink("sbin2", dir.join("sbin")).unwrap();
        symlink("sbin", dir.join("sbin2")).unwrap();
        symlink("/etc2", dir.join("etc")).unwrap();
        symlink("/etc", dir.join("etc2")).unwrap();
        let facts = RootFacts::read(&Root::open(&dir).unwrap(), &[]);
        assert_eq!(facts.magic_linked, Vec::<String>::new());
        assert_eq!(mount_of(&facts.system_dirs, "/sbin"), None);
        assert_eq!(mount_of(&facts.system_dirs, "/etc"), None);
        // In verify's own root the kernel follows magic links as the
        // process itself would: none is ever reported.
        assert!(
            RootFacts::read(&Root::own().unwrap(), &[])
                .magic_linked
                .is_empty()
        );
    }
}
