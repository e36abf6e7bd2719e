//! Building the traced root: one overlayfs per filesystem of the lower root,
//! every upper layer on one size-capped tmpfs (the scratch), so every write
//! succeeds and nothing reaches the host.
//!
//! * Rootful: one overlay with `lowerdir=ROOT` (with `redirect_dir=on`, so
//!   renaming an image directory works as on a real filesystem), plus one per
//!   real submount; read-only submounts and non-directories are bound
//!   read-only.
//! * Rootless: `lowerdir=/` fails in a user namespace ("failed to clone
//!   lowerpath": `/` has locked child mounts), so every directory that
//!   contains mounts becomes a read-only tmpfs skeleton (copies of its
//!   symlinks, read-only binds of its files) and every directory below it
//!   without mounts gets its own overlay (`userxattr`).

use crate::canonical::strip_dir_prefix;
use crate::namespaces::{Result, bind, mount, rbind, set_readonly};
use std::fs;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt};
use std::path::{Path, PathBuf};

/// One line of `/proc/self/mountinfo`, the parts we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub path: String,
    pub fstype: String,
    pub read_only: bool,
}

/// Parses `/proc/self/mountinfo` text.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let opts = f.get(5)?;
            Some(MountEntry {
                path: unescape(f.get(4)?),
                fstype: right.split(' ').next()?.to_string(),
                read_only: opts.split(',').any(|o| o == "ro"),
            })
        })
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes a path for an overlay option (`,` `:` `\` are separators).
fn esc(p: &Path) -> String {
    let mut s = String::new();
    for c in p.to_string_lossy().chars() {
        if matches!(c, ',' | ':' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// One overlay: where the program sees it, and the layers behind it.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Mount point inside the traced root.
    pub mountpoint: String,
    /// The upper directory (on the scratch tmpfs).
    pub upper: PathBuf,
    /// The lower directory, as the tracer sees it.
    pub lower: PathBuf,
    /// The upper root's attributes once mounted (not for the root
    /// overlay: a write on `/` itself can take no volume).
    pub root: Option<RootAttrs>,
}

/// Paths inside the new root that are set up separately (pseudo
/// filesystems), never overlaid.
/// The mode, owner and change time of an overlay's upper root directory
/// when it was mounted. The root of an overlay is its upper directory, so
/// a `chmod`, `chown` or `touch` of a mount's root leaves no entry in the
/// upper layer: only a comparison with these shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootAttrs {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ctime: (i64, i64),
}

impl RootAttrs {
    pub fn of(dir: &Path) -> Option<RootAttrs> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(dir).ok()?;
        Some(RootAttrs {
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

pub const PSEUDO: &[&str] = &["/proc", "/dev", "/sys"];

pub struct Builder {
    scratch: PathBuf,
    rootful: bool,
    n: usize,
    pub layers: Vec<Layer>,
    pub warnings: Vec<String>,
    /// Host mounts (those below the lower root), topmost per path.
    mounts: Vec<MountEntry>,
    /// Host paths that must not be recreated (binds, the scratch).
    skip: Vec<String>,
}

impl Builder {
    pub fn new(scratch: &Path, rootful: bool, mounts: Vec<MountEntry>, skip: Vec<String>) -> Self {
        // Keep the topmost mount per path, parents before children.
        let mut uniq: Vec<MountEntry> = Vec::new();
        for m in mounts {
            uniq.retain(|u| u.path != m.path);
            uniq.push(m);
        }
        uniq.sort_by_key(|m| m.path.matches('/').count());
        Builder {
            scratch: scratch.to_path_buf(),
            rootful,
            n: 0,
            layers: Vec::new(),
            warnings: Vec::new(),
            mounts: uniq,
            skip,
        }
    }

    /// The xattr namespace overlayfs uses for its metadata.
    pub fn xattr_prefix(&self) -> &'static str {
        if self.rootful { "trusted." } else { "user." }
    }

    fn skipped(&self, host: &str) -> bool {
        self.skip
            .iter()
            .any(|s| crate::canonical::is_at_or_under(host, s))
    }

    /// Mounts an overlay of `lower` at `target`, seen as `mountpoint`.
    pub fn overlay(&mut self, lower: &Path, target: &Path, mountpoint: &str) -> Result<()> {
        self.n += 1;
        let base = self.scratch.join("layers").join(self.n.to_string());
        let (upper, work) = (base.join("upper"), base.join("work"));
        for d in [&upper, &work] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(d)
                .map_err(|e| format!("mkdir {}: {e}", d.display()))?;
        }
        if mountpoint != "/" {
            crate::layer_root::copy_attrs(lower, &upper);
        }
        let opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            esc(lower),
            esc(&upper),
            esc(&work)
        );
        let result = if self.rootful {
            mount(
                "overlay",
                target,
                Some("overlay"),
                libc::MS_NODEV,
                Some(&format!("{opts},redirect_dir=on,index=off,metacopy=off")),
            )
            .or_else(|_| {
                mount(
                    "overlay",
                    target,
                    Some("overlay"),
                    libc::MS_NODEV,
                    Some(&opts),
                )
            })
        } else {
            mount(
                "overlay",
                target,
                Some("overlay"),
                libc::MS_NODEV,
                Some(&format!("{opts},userxattr")),
            )
        };
        result?;
        // After mounting: overlayfs may set its xattrs on the upper root.
        let root = (mountpoint != "/").then(|| RootAttrs::of(&upper)).flatten();
        self.layers.push(Layer {
            mountpoint: mountpoint.to_string(),
            upper,
            lower: lower.to_path_buf(),
            root,
        });
        Ok(())
    }

    /// Binds `host` read-only at `target` (writes there fail with EROFS).
    fn bind_ro(&mut self, host: &Path, target: &Path) -> Result<()> {
        rbind(host, target)?;
        set_readonly(target, true)
    }

    /// Overlay, or when that is impossible a read-only bind and a warning.
    fn overlay_or_ro(&mut self, host: &Path, target: &Path, mp: &str) -> Result<()> {
        if let Err(e) = self.overlay(host, target, mp) {
            self.warnings.push(format!(
                "{mp}: cannot overlay ({e}); bound read-only, writes there are not captured"
            ));
            self.bind_ro(host, target)?;
        }
        Ok(())
    }

    /// Builds the traced root from `lower` (the host `/` or `--rootfs`) at `target`.
    pub fn build_root(&mut self, lower: &Path, target: &Path) -> Result<()> {
        let lower_s = lower.to_string_lossy().into_owned();
        if self.rootful || lower != Path::new("/") && !self.has_mounts_below(&lower_s) {
            self.overlay(lower, target, "/")?;
            let subs: Vec<MountEntry> = self
                .mounts
                .iter()
                .filter(|m| strip_dir_prefix(&m.path, &lower_s).is_some_and(|r| !r.is_empty()))
                .cloned()
                .collect();
            for m in subs {
                let rel = strip_dir_prefix(&m.path, &lower_s)
                    .unwrap_or("")
                    .to_string();
                if PSEUDO
                    .iter()
                    .any(|p| crate::canonical::is_at_or_under(&rel, p))
                    || self.skipped(&m.path)
                {
                    continue;
                }
                let host = Path::new(&m.path);
                let t = target.join(rel.trim_start_matches('/'));
                if !t.exists() {
                    continue; // hidden under another mount
                }
                if m.read_only || !host.is_dir() {
                    self.bind_ro(host, &t)?;
                } else {
                    self.overlay_or_ro(host, &t, &rel)?;
                }
            }
            Ok(())
        } else {
            self.tree(lower, target, "/")
        }
    }

    fn has_mounts_below(&self, host: &str) -> bool {
        self.mounts.iter().any(|m| {
            strip_dir_prefix(&m.path, host).is_some_and(|r| !r.is_empty()) && !self.skipped(&m.path)
        })
    }

    fn mount_at(&self, host: &str) -> Option<&MountEntry> {
        self.mounts.iter().find(|m| m.path == host)
    }

    /// Rootless: overlay a directory without mounts below it, or make it a
    /// read-only skeleton and recurse.
    fn tree(&mut self, host: &Path, target: &Path, mp: &str) -> Result<()> {
        let host_s = host.to_string_lossy().into_owned();
        if !self.has_mounts_below(&host_s) {
            if self.mount_at(&host_s).is_some_and(|m| m.read_only) {
                return self.bind_ro(host, target);
            }
            return self.overlay_or_ro(host, target, mp);
        }
        mount(
            "rootlock-skeleton",
            target,
            Some("tmpfs"),
            0,
            Some("mode=755"),
        )?;
        let entries = fs::read_dir(host).map_err(|e| format!("read {}: {e}", host.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let (hp, tp) = (host.join(&name), target.join(&name));
            let child_mp = Path::new(mp).join(&name).to_string_lossy().into_owned();
            let Ok(ft) = entry.file_type() else { continue };
            let mk =
                |p: &Path| fs::create_dir(p).map_err(|e| format!("mkdir {}: {e}", p.display()));
            if ft.is_symlink() {
                if let Ok(t) = fs::read_link(&hp) {
                    std::os::unix::fs::symlink(t, &tp)
                        .map_err(|e| format!("symlink {}: {e}", tp.display()))?;
                }
            } else if ft.is_dir() {
                mk(&tp)?;
                let hs = hp.to_string_lossy();
                if PSEUDO.contains(&child_mp.as_str()) || self.skipped(&hs) {
                    continue;
                }
                self.tree(&hp, &tp, &child_mp)?;
            } else if ft.is_file() {
                fs::File::create(&tp).map_err(|e| format!("create {}: {e}", tp.display()))?;
                self.bind_ro(&hp, &tp)?;
            } else if ft.is_socket() || ft.is_fifo() || ft.is_char_device() || ft.is_block_device()
            {
                continue;
            }
        }
        self.warnings.push(format!(
            "{mp}: holds mounts, so it is a read-only skeleton in rootless mode; entries created directly in it fail with EROFS"
        ));
        set_readonly(target, false)
    }
}

/// The directories a runtime mounts on (`/proc`, `/dev`, `/sys`), made
/// in the traced root where the image lacks them, as a runtime makes them
/// (a `FROM scratch` image has none). Called before the root may be made
/// read-only (verify) and before the fanotify watch: they are not the
/// program's writes, and lying under [`PSEUDO`] they are never reported.
pub fn mount_points(target: &Path) -> Result<()> {
    for d in ["proc", "dev", "sys"] {
        let p = target.join(d);
        if fs::symlink_metadata(&p).is_err() {
            fs::create_dir(&p).map_err(|e| format!("mkdir {}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// The mount points of the `--bind` paths inside the traced root, as the
/// program names them there (`/data`). One the image lacks is made, as a
/// runtime makes a volume's, when its parent directory exists: a
/// directory, or an empty file for a file. Called with [`mount_points`],
/// before the root may be made read-only; the walk leaves these paths out.
pub fn bind_points(target: &Path, binds: &[PathBuf]) -> Result<Vec<String>> {
    let mut shown = Vec::new();
    for b in binds {
        let named = b
            .to_str()
            .ok_or_else(|| format!("--bind {}: not a UTF-8 path", b.display()))?;
        let t = crate::canonical::resolve_in_root(target, named)?;
        if fs::symlink_metadata(&t).is_err() && t.parent().is_some_and(Path::is_dir) {
            let made = if b.is_dir() {
                fs::create_dir(&t)
            } else {
                fs::File::create(&t).map(drop)
            };
            made.map_err(|e| format!("--bind {}: mkdir {}: {e}", b.display(), t.display()))?;
        }
        let rel = t.strip_prefix(target).unwrap_or(&t);
        shown.push(format!("/{}", rel.to_string_lossy()));
    }
    Ok(shown)
}

/// The pseudo filesystems and pass-through binds of the new root.
pub fn finish_root(
    target: &Path,
    scratch: &Path,
    binds: &[PathBuf],
    rootfs: Option<&Path>,
) -> Result<()> {
    // /dev: a tmpfs with the usual nodes bound from the host, like a runtime.
    let dev = target.join("dev");
    fs::create_dir_all(&dev).map_err(|e| format!("mkdir {}: {e}", dev.display()))?;
    mount(
        "rootlock-dev",
        &dev,
        Some("tmpfs"),
        // Device nodes work only where they are bound from the host below;
        // one made with mknod (CAP_MKNOD is a default capability) cannot be
        // opened, as a runtime's device cgroup would refuse it.
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=755"),
    )?;
    for node in ["null", "zero", "full", "random", "urandom", "tty"] {
        let t = dev.join(node);
        fs::File::create(&t).map_err(|e| format!("create {}: {e}", t.display()))?;
        bind(&Path::new("/dev").join(node), &t)?;
    }
    for (name, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ] {
        std::os::unix::fs::symlink(to, dev.join(name))
            .map_err(|e| format!("symlink /dev/{name}: {e}"))?;
    }
    for d in ["pts", "shm"] {
        fs::create_dir(dev.join(d)).map_err(|e| format!("mkdir /dev/{d}: {e}"))?;
    }
    // A devpts of its own, as a runtime mounts: the host's would hand the
    // program every terminal on the host (as root, DAC_OVERRIDE opens any
    // of them), to read its keystrokes or write into it. Should the kernel
    // refuse, /dev/pts stays empty: no ptys, but none of the host's.
    let _ = mount(
        "devpts",
        &dev.join("pts"),
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    );
    mount(
        "shm",
        &dev.join("shm"),
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=1777,size=64m"),
    )?;
    // /sys: the host's, read-only.
    let sys = target.join("sys");
    if sys.is_dir() {
        rbind(Path::new("/sys"), &sys)?;
        set_readonly(&sys, true)?;
    }
    if rootfs.is_some() {
        runtime_files(target, scratch)?;
    }
    // --bind: passed through, untracked, like an existing volume. The
    // mount point is resolved inside the traced root, as a runtime
    // resolves a volume's mountPath: joined and left to the kernel, an
    // absolute symlink on the way (`/var/run -> /run`) would be followed
    // from the tracer's root, the host's, and the bind would land outside
    // the traced root, where the program never looks.
    for b in binds {
        let named = b
            .to_str()
            .ok_or_else(|| format!("--bind {}: not a UTF-8 path", b.display()))?;
        let t = crate::canonical::resolve_in_root(target, named)?;
        // The whole root, writable and untracked: nothing would be traced,
        // and the program would write the host's files and see its /dev.
        if t == target {
            return Err(format!(
                "--bind {}: a volume cannot be mounted at / (it would make the whole root writable and trace nothing)",
                b.display()
            ));
        }
        if !t.exists() {
            return Err(format!(
                "--bind {}: does not exist in the traced root",
                b.display()
            ));
        }
        rbind(b, &t)?;
    }
    Ok(())
}

/// The files a pod's runtime mounts over an image's own, as a pod with a
/// read-only root sees them: `/etc/hosts` is the kubelet's mount and stays
/// writable (`ReadOnly: false` in its makeHostsMount), while containerd
/// mounts `/etc/resolv.conf` and `/etc/hostname` read-only when the root
/// is. None of them is in an overlay, so writing `/etc/hosts` succeeds and
/// asks for no volume, as in the pod; and the writable one is a private
/// copy on the scratch tmpfs, so the host's file is never written. Only
/// files the image has are covered: creating a missing one would put it
/// in the overlay as a write of the program's.
fn runtime_files(target: &Path, scratch: &Path) -> Result<()> {
    // Resolved inside the image, as a runtime resolves its mount points:
    // an absolute symlink (`/etc/hosts -> /etc/hosts.real`) is the image's,
    // and joined paths would follow it from the tracer's root, the host's.
    // Only files the image has (a link loop is none).
    let in_image = |p: &str| {
        crate::canonical::resolve_in_root(target, p)
            .ok()
            .filter(|f| f.is_file())
    };
    if let Some(hosts) = in_image("/etc/hosts") {
        let text = fs::read("/etc/hosts").unwrap_or_default();
        bind_copy(&text, &scratch.join("etc-hosts"), &hosts, false)?;
    }
    if let Some(resolv) = in_image("/etc/resolv.conf")
        && Path::new("/etc/resolv.conf").is_file()
    {
        bind(Path::new("/etc/resolv.conf"), &resolv)?;
        set_readonly(&resolv, false)?;
    }
    if let Some(hostname) = in_image("/etc/hostname") {
        let name = fs::read("/proc/sys/kernel/hostname").unwrap_or_default();
        bind_copy(&name, &scratch.join("etc-hostname"), &hostname, true)?;
    }
    Ok(())
}

/// Writes `content` to `copy` (on the scratch tmpfs) and binds it over
/// `target`, read-only if asked.
fn bind_copy(content: &[u8], copy: &Path, target: &Path, read_only: bool) -> Result<()> {
    fs::write(copy, content).map_err(|e| format!("write {}: {e}", copy.display()))?;
    bind(copy, target)?;
    if read_only {
        set_readonly(target, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                    28 27 0:25 / /mnt/with\\040space ro,nosuid - tmpfs t ro,size=4k\n\
                    27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n";
        let m = parse_mountinfo(text);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].path, "/mnt/with space");
        assert!(m[1].read_only && !m[0].read_only);
        assert_eq!(m[2].fstype, "ext4");
        assert_eq!(esc(Path::new("/a:b,c")), "/a\\:b\\,c");
    }
}
