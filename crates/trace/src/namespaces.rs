//! Thin, checked wrappers over the Linux calls the tracer needs: unshare, id
//! maps, mounts, `mount_setattr`, `pivot_root`, bringing up `lo`.
//! Every error carries the call and the path it was about.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub type Result<T> = std::result::Result<T, String>;

/// `what: strerror(errno)`.
pub fn os_err(what: impl std::fmt::Display) -> String {
    format!("{what}: {}", io::Error::last_os_error())
}

/// The last OS error number.
pub fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn cpath(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| format!("{}: path contains a NUL byte", p.display()))
}

pub fn cstr(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| format!("{s:?}: contains a NUL byte"))
}

/// `unshare(2)`.
pub fn unshare(flags: libc::c_int) -> Result<()> {
    // SAFETY: plain syscall with integer flags.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(os_err("unshare"));
    }
    Ok(())
}

/// `mount(2)`.
pub fn mount(
    src: &str,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<()> {
    let c_src = cstr(src)?;
    let c_target = cpath(target)?;
    let c_type = fstype.map(cstr).transpose()?;
    let c_data = data.map(cstr).transpose()?;
    // SAFETY: all pointers are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(
            c_src.as_ptr(),
            c_target.as_ptr(),
            c_type.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            flags,
            c_data
                .as_ref()
                .map_or(std::ptr::null(), |c| c.as_ptr().cast()),
        )
    };
    if rc != 0 {
        return Err(os_err(format_args!(
            "mount {} on {} ({})",
            src,
            target.display(),
            fstype.unwrap_or("bind")
        )));
    }
    Ok(())
}

/// Makes every mount below (and at) `/` private, so nothing propagates back
/// to the host.
pub fn make_rprivate() -> Result<()> {
    mount(
        "none",
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
}

/// Recursive bind mount.
pub fn rbind(src: &Path, target: &Path) -> Result<()> {
    let s = src.to_string_lossy();
    mount(&s, target, None, libc::MS_BIND | libc::MS_REC, None)
}

/// Non-recursive bind mount.
pub fn bind(src: &Path, target: &Path) -> Result<()> {
    let s = src.to_string_lossy();
    mount(&s, target, None, libc::MS_BIND, None)
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}
const MOUNT_ATTR_RDONLY: u64 = 0x1;
const AT_RECURSIVE: libc::c_int = 0x8000;

/// Makes the mount at `path` read-only (with every mount below it when
/// `recursive`) via `mount_setattr(2)`.
pub fn set_readonly(path: &Path, recursive: bool) -> Result<()> {
    let c = cpath(path)?;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { AT_RECURSIVE } else { 0 };
    // SAFETY: valid path and a correctly laid out `struct mount_attr`.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            c.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc != 0 {
        return Err(os_err(format_args!(
            "mount_setattr(read-only) {}",
            path.display()
        )));
    }
    Ok(())
}

/// `chdir(new_root); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")`.
pub fn pivot_into(new_root: &Path) -> Result<()> {
    std::env::set_current_dir(new_root)
        .map_err(|e| format!("chdir {}: {e}", new_root.display()))?;
    let dot = cstr(".")?;
    // SAFETY: valid strings; the syscall has no libc wrapper.
    if unsafe { libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) } != 0 {
        return Err(os_err("pivot_root"));
    }
    // SAFETY: valid string.
    if unsafe { libc::umount2(dot.as_ptr(), libc::MNT_DETACH) } != 0 {
        return Err(os_err("detach old root"));
    }
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))
}

/// Writes a whole small file (for `/proc/PID/{uid_map,gid_map,setgroups}`).
pub fn write_file(path: &str, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| format!("write {path}: {e}"))
}

/// Brings up the loopback interface in a fresh network namespace.
pub fn loopback_up() -> Result<()> {
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: libc::c_short,
        pad: [u8; 22],
    }
    // SAFETY: socket/ioctl with a correctly sized `struct ifreq`.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(os_err("socket"));
        }
        let mut req = IfReq {
            name: [0; 16],
            flags: 0,
            pad: [0; 22],
        };
        req.name[..2].copy_from_slice(b"lo");
        let mut rc = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req as *mut IfReq);
        if rc == 0 {
            req.flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            rc = libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req as *mut IfReq);
        }
        let err = os_err("bring up lo");
        libc::close(fd);
        if rc != 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// Subordinate id range of `user` (name or uid) from `/etc/subuid`-style text.
pub fn subid_range(text: &str, name: &str, id: u32) -> Option<(u32, u32)> {
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let (who, start, count) = (f.next()?, f.next()?, f.next()?);
        if who != name && who.parse::<u32>().ok() != Some(id) {
            return None;
        }
        Some((start.parse().ok()?, count.parse().ok()?))
    })
}

/// The login name of `uid` from `/etc/passwd`.
pub fn user_name(uid: u32) -> Option<String> {
    user_name_in(Path::new("/etc/passwd"), uid)
}

/// A passwd, group or subuid file, read whole as text; empty when it
/// cannot be read (as a missing file: no entries).
pub fn read_lossy(path: &Path) -> String {
    read_bytes_lossy(path).unwrap_or_default()
}

/// Bytes, not UTF-8: a GECOS field in Latin-1 (`José`) made the whole
/// file unreadable as a string. Names and ids are ASCII, so a lossy
/// decoding loses nothing of them.
fn read_bytes_lossy(path: &Path) -> io::Result<String> {
    std::fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// The login name of `uid` from the passwd file at `path`.
fn user_name_in(path: &Path, uid: u32) -> Option<String> {
    let text = read_lossy(path);
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2].parse::<u32>().ok() == Some(uid)).then(|| f[0].to_string())
    })
}

/// The ids the command runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the primary one first).
    pub groups: Vec<u32>,
    /// `HOME` for the command: the user's home in `/etc/passwd`, or `/`
    /// for a uid it does not list, as runc sets it for a container (the
    /// caller's own HOME is no place the pod's user writes to).
    pub home: String,
}

/// The command's environment: the caller's, with `HOME` set to `home`
/// when `--user` gives one ([`Ids::home`]). A variable that cannot be a
/// C string (no such thing comes from a real environment) is left out.
pub fn command_env(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    home: Option<&str>,
) -> Vec<CString> {
    let mut env: Vec<CString> = vars
        .filter(|(k, _)| home.is_none() || k.as_bytes() != b"HOME")
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    if let Some(home) = home.and_then(|h| CString::new(format!("HOME={h}")).ok()) {
        env.push(home);
    }
    env
}

/// Resolves `--user NAME|UID[:GROUP|GID]` against the target root's
/// `/etc/passwd` and `/etc/group` as containerd does for a container
/// (`WithUserID`, `WithUsername`, `WithAdditionalGIDs`): the primary group
/// is the user's in `/etc/passwd`, or 0 for a uid without an entry there
/// (images for arbitrary uids make their directories writable by group
/// 0); without an explicit group, the groups that list the user as a
/// member are added. A trace that ran with other groups than the pod's
/// would miss writes the pod makes (or make ones it cannot). The home is
/// runc's `HOME` (see [`Ids::home`]).
pub fn parse_user(spec: &str, root: &Path) -> Result<Ids> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    // Lossily (see `read_bytes_lossy`): as a string, a Latin-1 GECOS made
    // the file empty, `--user app` "no user" and `--user 1000` run with
    // group 0 instead of the user's.
    // Looked up inside the root (an image's absolute symlink is its own
    // path, not the host's). Missing, the image has no users (a numeric
    // uid still runs, as under containerd); unreadable, it is an error.
    let read = |file: &str| -> Result<String> {
        let path = crate::canonical::resolve_in_root(root, file)
            .map_err(|e| format!("--user {spec}: {file}: {e}"))?;
        match read_bytes_lossy(&path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(format!("--user {spec}: cannot read the root's {file}: {e}")),
        }
    };
    let passwd = read("/etc/passwd")?;
    let group = read("/etc/group")?;
    let entries = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
            .filter(|f| f.len() > 3)
            .collect()
    };
    let (passwd, group) = (entries(&passwd), entries(&group));
    let id = |f: &[String], i: usize| f.get(i).and_then(|v| v.parse::<u32>().ok());
    // runc's default for a uid without an entry (or an entry without a home).
    let home = |f: &[String]| {
        f.get(5)
            .filter(|h| !h.is_empty())
            .map_or_else(|| "/".to_string(), String::clone)
    };
    // (name, uid, primary gid, home)
    let (name, uid, primary, home) = match u.parse::<u32>() {
        Ok(n) => match passwd.iter().find(|f| id(f, 2) == Some(n)) {
            Some(f) => (Some(f[0].clone()), n, id(f, 3).unwrap_or(0), home(f)),
            None => (None, n, 0, "/".to_string()),
        },
        Err(_) => passwd
            .iter()
            .find(|f| f[0] == u)
            .and_then(|f| Some((Some(f[0].clone()), id(f, 2)?, id(f, 3)?, home(f))))
            .ok_or_else(|| format!("--user {spec}: no user {u:?} in the root's /etc/passwd"))?,
    };
    let Some(g) = g else {
        let mut groups = vec![primary];
        if let Some(name) = &name {
            for f in &group {
                if f[3].split(',').any(|m| m == name)
                    && let Some(gid) = id(f, 2)
                    && !groups.contains(&gid)
                {
                    groups.push(gid);
                }
            }
        }
        return Ok(Ids {
            uid,
            gid: primary,
            groups,
            home,
        });
    };
    let gid = match g.parse::<u32>() {
        Ok(n) => n,
        Err(_) => group
            .iter()
            .find(|f| f[0] == g)
            .and_then(|f| id(f, 2))
            .ok_or_else(|| format!("--user {spec}: no group {g:?} in the root's /etc/group"))?,
    };
    Ok(Ids {
        uid,
        gid,
        groups: vec![gid],
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rootless mode names the caller for `/etc/subuid`: a host passwd
    /// with a Latin-1 GECOS field (`José`) was unreadable as UTF-8, so no
    /// name was found and the caller's subordinate ids went unused.
    #[test]
    fn the_callers_name_is_found_in_a_passwd_that_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            b"root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Jos\xe9 Garc\xeda:/home/alice:/bin/sh\n",
        )
        .unwrap();
        assert_eq!(user_name_in(&passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(user_name_in(&passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name_in(&passwd, 1001), None);
        let subuid = dir.path().join("subuid");
        std::fs::write(&subuid, b"# \xe9\nalice:100000:65536\n").unwrap();
        assert_eq!(
            subid_range(&read_lossy(&subuid), "alice", 1000),
            Some((100000, 65536))
        );
    }

    /// `--user`'s home replaces the caller's HOME; without it the
    /// environment is the caller's as it is.
    #[test]
    fn the_users_home_replaces_the_callers() {
        let vars = || {
            [("PATH", "/bin"), ("HOME", "/root"), ("LANG", "C")]
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
        };
        let strings = |e: Vec<CString>| -> Vec<String> {
            e.into_iter().map(|c| c.into_string().unwrap()).collect()
        };
        assert_eq!(
            strings(command_env(vars(), Some("/home/app"))),
            ["PATH=/bin", "LANG=C", "HOME=/home/app"]
        );
        assert_eq!(
            strings(command_env(vars(), None)),
            ["PATH=/bin", "HOME=/root", "LANG=C"]
        );
    }

    #[test]
    fn subordinate_ranges() {
        let t = "alice:100000:65536\n1001:200000:1000\n";
        assert_eq!(subid_range(t, "alice", 1000), Some((100000, 65536)));
        assert_eq!(subid_range(t, "bob", 1001), Some((200000, 1000)));
        assert_eq!(subid_range(t, "carol", 1002), None);
    }

    /// The ids parsed, without the home (see `homes_are_runcs`).
    fn ids(uid: u32, gid: u32, groups: &[u32]) -> (u32, u32, Vec<u32>) {
        (uid, gid, groups.to_vec())
    }

    fn without_home(i: Ids) -> (u32, u32, Vec<u32>) {
        (i.uid, i.gid, i.groups)
    }

    /// An image root holding only `/etc/passwd`, as given.
    fn image_with_passwd(passwd: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        dir
    }

    /// `HOME` as runc sets it: the user's in the image's /etc/passwd,
    /// whether named or given by uid, also with an explicit group; `/`
    /// for a uid the image does not list, or an entry without a home.
    #[test]
    fn homes_are_runcs() {
        let dir = image_with_passwd(
            "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnohome:x:1001:1001:::/bin/sh\n",
        );
        let root = dir.path();
        let home = |spec: &str| parse_user(spec, root).unwrap().home;
        assert_eq!(home("app"), "/home/app");
        assert_eq!(home("1000"), "/home/app");
        assert_eq!(home("app:0"), "/home/app");
        assert_eq!(home("root"), "/root");
        assert_eq!(home("4242"), "/");
        assert_eq!(home("4242:7"), "/");
        assert_eq!(home("nohome"), "/");
    }

    /// As containerd sets a container's ids from the image (WithUserID,
    /// WithAdditionalGIDs): a numeric uid takes its primary group from
    /// the image's /etc/passwd, or 0 when it has no entry there (an
    /// OpenShift-style image for arbitrary uids: directories writable by
    /// group 0); the groups that list the user as a member are added.
    #[test]
    fn ids_are_those_a_runtime_gives() {
        let dir = image_with_passwd("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n");
        let root = dir.path();
        std::fs::write(
            root.join("etc/group"),
            "root:x:0:\nadm:x:4:app\napp:x:1000:\ncache:x:2000:other,app\nx:bad\n",
        )
        .unwrap();
        let at = |spec: &str| without_home(parse_user(spec, root).unwrap());
        assert_eq!(at("app"), ids(1000, 1000, &[1000, 4, 2000]));
        assert_eq!(at("1000"), ids(1000, 1000, &[1000, 4, 2000]));
        assert_eq!(at("4242"), ids(4242, 0, &[0]));
        assert_eq!(at("app:cache"), ids(1000, 2000, &[2000]));
        assert_eq!(at("4242:7"), ids(4242, 7, &[7]));
        assert_eq!(at("root"), ids(0, 0, &[0]));
    }

    /// An image's /etc/passwd with a Latin-1 GECOS field (not UTF-8), and
    /// /etc/group an absolute symlink inside the image: both are read.
    #[test]
    fn users_are_found_in_files_that_are_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("usr/share/base")).unwrap();
        std::fs::write(
            root.join("etc/passwd"),
            b"root:x:0:0::/root:/bin/sh\njose:x:999:999:Jos\xe9:/home/jose:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            root.join("usr/share/base/group"),
            "app:x:1000:\ncache:x:2000:app\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("/usr/share/base/group", root.join("etc/group")).unwrap();
        assert_eq!(
            without_home(parse_user("app", root).unwrap()),
            ids(1000, 1000, &[1000, 2000])
        );
        assert_eq!(
            without_home(parse_user("1000", root).unwrap()),
            ids(1000, 1000, &[1000, 2000])
        );
    }

    #[test]
    fn user_specs() {
        let root = Path::new("/");
        assert_eq!(
            without_home(parse_user("33:44", root).unwrap()),
            ids(33, 44, &[44])
        );
        assert_eq!(
            without_home(parse_user("0", root).unwrap()),
            ids(0, 0, &[0])
        );
        assert_eq!(
            without_home(parse_user("root", root).unwrap()),
            ids(0, 0, &[0])
        );
        assert!(
            parse_user("no-such-user-xyz", root)
                .unwrap_err()
                .contains("no user")
        );
    }
}
