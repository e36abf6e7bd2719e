//! The process layout of a trace (and of `--verify`).
//!
//! ```text
//! P  rootlock            writes id maps (rootless), collects the outcome, removes the scratch dir
//! └─ T  tracer           [user ns] + mount ns: scratch tmpfs, overlays, /dev, /sys, fanotify;
//!    │                   then unshare(pid [+ net]); polls fanotify, the output pipe and I's pidfd
//!    └─ I  init (pid 1)  own mount ns copy: /proc, lo, pivot_root; reaps until no child is left
//!       └─ C  command    --user, exec
//! ```
//! When the timeout expires T kills I, and the kernel kills the rest of the
//! pid namespace. T then walks the upper layers and sends the outcome to P
//! as JSON over a pipe. The scratch directory is `scratch::dir`; P first
//! removes the empty ones a SIGKILLed rootlock left (`scratch::remove_stale`).

use crate::bounded_lines::BoundedLines;
use crate::canonical::resolve_in_root;
use crate::fanotify::Watch;
use crate::namespaces::{self as ns, Result, errno, os_err};
use crate::overlay::{Builder, finish_root, parse_mountinfo};
use crate::reduce::{Change, ChangeKind};
use crate::scratch;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The capabilities containerd and Docker give a container by default
/// (`CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
/// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP`): a traced
/// program gets these and no others.
const CONTAINER_CAPS: [libc::c_ulong; 14] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31];
const CAP_NET_RAW: libc::c_ulong = 13;

/// The descriptor on which the command's child reports, up to `exec`,
/// why the command could not be started (close-on-exec: a successful
/// `exec` closes it unwritten).
const STATUS_FD: RawFd = 3;

/// How [`run`]'s error begins when the command never started; the rest is
/// the line init or the child printed, which the caller has already seen
/// (the program's output is relayed as it comes).
pub const DID_NOT_START: &str = "the command did not start: ";

/// After the timeout, SIGTERM; after this much more, SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);

/// What to run, and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub rootfs: Option<PathBuf>,
    pub user: Option<String>,
    pub binds: Vec<PathBuf>,
    pub timeout: Option<Duration>,
    pub upper_size: String,
    /// Own network namespace even where the host's would be shared (a
    /// rootful trace of the host root).
    pub private_network: bool,
    pub command: Vec<String>,
    /// `None`: trace. `Some(paths)`: verify, with (path, seed) writable.
    pub verify: Option<Vec<(String, bool)>>,
}

/// What a run produced.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Lines that report a read-only file system (program output and, in
    /// verify mode, files written to the volumes, and Node's masked mkdir
    /// there), as many as [`ErofsLines::MAX_BYTES`] holds.
    pub erofs_lines: Vec<String>,
    /// Such lines seen past that, counted only.
    #[serde(default)]
    pub erofs_dropped: usize,
    /// The first [`OutputFound::MAX_EPERM_LINES`] lines of the program's
    /// output that report EPERM, each cut at [`OutputFound::MAX_EPERM_LINE`]
    /// bytes: under --verify, a chmod or chown of a volume's own directory
    /// (see `volume_owner_notes`).
    #[serde(default)]
    pub eperm_lines: Vec<String>,
    /// The command's `HOME` when `--user` set it from the root's
    /// `/etc/passwd` (see [`ns::Ids::home`]); `None`: the caller's.
    #[serde(default)]
    pub home: Option<String>,
    pub rootless: bool,
    pub error: Option<String>,
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(os_err("pipe"));
    }
    // SAFETY: both were just returned by the kernel.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn write_all(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: writing from a valid slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n <= 0 {
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            return;
        }
        data = &data[n as usize..];
    }
}

fn read_byte(fd: RawFd) -> bool {
    let mut b = [0u8; 1];
    loop {
        // SAFETY: reading one byte into a valid buffer.
        let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), 1) };
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        return n == 1;
    }
}

/// Runs the command under the tracer and returns what happened.
pub fn run(opts: &Options) -> Result<Outcome> {
    // SAFETY: trivial getters.
    let (euid, uid, gid) = unsafe { (libc::geteuid(), libc::getuid(), libc::getgid()) };
    let rootful = euid == 0;
    let base = if rootful {
        PathBuf::from("/run")
    } else {
        std::env::temp_dir()
    };
    // Ctrl-C, Ctrl-\, `kill` of rootlock or its terminal closing (SIGHUP:
    // an ssh session that drops): stop the trace through the tracer (its
    // death takes init and the command with it) and still clean up here,
    // instead of dying with the scratch directory left behind. Installed
    // before the scratch directory exists, so no signal finds it there
    // with nobody to remove it.
    TRACER.store(0, Ordering::SeqCst);
    INTERRUPTED.store(false, Ordering::SeqCst);
    // SAFETY: installing a handler that only calls kill(2) and stores an
    // atomic; the previous handlers are put back below.
    let previous = unsafe {
        STOP_SIGNALS.map(|sig| {
            (
                sig,
                libc::signal(sig, stop_tracer as *const () as libc::sighandler_t),
            )
        })
    };
    // What a SIGKILLed rootlock left behind (see `scratch`).
    for warning in scratch::remove_stale(&base) {
        eprintln!("rootlock trace: warning: {warning}");
    }
    let scratch = scratch::dir(&base);
    let result = match std::fs::create_dir(&scratch) {
        Err(e) => Err(format!("mkdir {}: {e}", scratch.display())),
        Ok(()) => {
            let result = if INTERRUPTED.load(Ordering::SeqCst) {
                Err(String::new())
            } else {
                run_in(opts, &scratch, rootful, uid, gid)
            };
            let _ = std::fs::remove_dir(&scratch);
            result
        }
    };
    for (sig, handler) in previous {
        // SAFETY: restoring what was installed before.
        unsafe { libc::signal(sig, handler) };
    }
    if INTERRUPTED.load(Ordering::SeqCst) {
        // Under --verify the plan was printed before this run began: it
        // stands, but unverified; saying that nothing was planned would
        // contradict the output just above.
        return Err(match opts.verify {
            None => "interrupted: the traced command was stopped and nothing was planned",
            Some(_) => "interrupted: the verify run was stopped; the plan above was not verified",
        }
        .into());
    }
    result
}

/// The signals that stop a trace cleanly (see [`run`]).
const STOP_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

fn run_in(opts: &Options, scratch: &Path, rootful: bool, uid: u32, gid: u32) -> Result<Outcome> {
    let (res_r, res_w) = pipe()?;
    let (up_r, up_w) = pipe()?; // T → P: "user namespace created"
    let (go_r, go_w) = pipe()?; // P → T: "id maps written"
    // SAFETY: the child only runs the tracer and then `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_err("fork"));
    }
    if pid == 0 {
        drop(res_r);
        drop(up_r);
        drop(go_w);
        // SAFETY: ask to die with the parent; and die of the stop signals
        // as before `run` caught them (the handler is the parent's).
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            for sig in STOP_SIGNALS {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut out = tracer(opts, scratch, rootful, up_w, go_r);
        if out.error.is_none() && out.exit_code.is_none() && !out.timed_out {
            out.error = Some("the traced command did not run".into());
        }
        let text = serde_json::to_vec(&out).unwrap_or_default();
        write_all(res_w.as_raw_fd(), &text);
        // SAFETY: leave without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(0) };
    }
    drop(res_w);
    drop(up_w);
    drop(go_r);
    // From here a stop signal kills the tracer (see `run`); one that came
    // before the tracer's PID was stored kills it now.
    TRACER.store(pid, Ordering::SeqCst);
    if INTERRUPTED.load(Ordering::SeqCst) {
        // SAFETY: killing our own child, reaped by `collect`.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let result = collect(pid, rootful, uid, gid, up_r, go_w, res_r);
    TRACER.store(0, Ordering::SeqCst);
    result
}

static TRACER: AtomicI32 = AtomicI32::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn stop_tracer(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let pid = TRACER.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// P's side once the tracer runs: id maps (rootless), then its report.
fn collect(
    pid: i32,
    rootful: bool,
    uid: u32,
    gid: u32,
    up_r: OwnedFd,
    go_w: OwnedFd,
    res_r: OwnedFd,
) -> Result<Outcome> {
    let mut warnings = Vec::new();
    if !rootful {
        if read_byte(up_r.as_raw_fd()) {
            warnings.extend(write_id_maps(pid, uid, gid));
        }
        write_all(go_w.as_raw_fd(), b"g");
    }
    drop(go_w);
    let mut text = Vec::new();
    let mut f = std::fs::File::from(res_r);
    let _ = f.read_to_end(&mut text);
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let mut out: Outcome = serde_json::from_slice(&text).map_err(|_| {
        format!("the tracer process failed (wait status {status:#x}) before reporting")
    })?;
    if let Some(e) = out.error.take() {
        return Err(e);
    }
    out.warnings.splice(0..0, warnings);
    Ok(out)
}

/// P: maps root in T's user namespace to us, plus subordinate ids when the
/// system grants some (newuidmap/newgidmap). Returns fidelity warnings.
fn write_id_maps(pid: i32, uid: u32, gid: u32) -> Vec<String> {
    let name = ns::user_name(uid).unwrap_or_default();
    let sub = |file: &str, id: u32| ns::subid_range(&ns::read_lossy(Path::new(file)), &name, id);
    if let (Some((us, uc)), Some((gs, gc))) = (sub("/etc/subuid", uid), sub("/etc/subgid", gid)) {
        let run = |tool: &str, id: u32, start: u32, count: u32| {
            std::process::Command::new(tool)
                .args([
                    pid.to_string(),
                    "0".into(),
                    id.to_string(),
                    "1".into(),
                    "1".into(),
                    start.to_string(),
                    count.to_string(),
                ])
                .status()
                .is_ok_and(|s| s.success())
        };
        if run("newuidmap", uid, us, uc) && run("newgidmap", gid, gs, gc) {
            return Vec::new();
        }
    }
    let _ = ns::write_file(&format!("/proc/{pid}/setgroups"), "deny");
    let _ = ns::write_file(&format!("/proc/{pid}/uid_map"), &format!("0 {uid} 1"));
    let _ = ns::write_file(&format!("/proc/{pid}/gid_map"), &format!("0 {gid} 1"));
    vec![format!(
        "rootless without subordinate ids (none for {} in /etc/subuid, or newuidmap missing): only root is mapped, so files owned by other users appear as nobody and chown to them fails; the trace may miss writes (fidelity warning)",
        if name.is_empty() {
            uid.to_string()
        } else {
            name
        }
    )]
}

/// T: everything inside the namespaces. Never panics; errors go in `error`.
fn tracer(opts: &Options, scratch: &Path, rootful: bool, up_w: OwnedFd, go_r: OwnedFd) -> Outcome {
    let mut out = Outcome {
        rootless: !rootful,
        ..Outcome::default()
    };
    if let Err(e) = tracer_inner(opts, scratch, rootful, up_w, go_r, &mut out) {
        out.error = Some(e);
    }
    out
}

fn tracer_inner(
    opts: &Options,
    scratch: &Path,
    rootful: bool,
    up_w: OwnedFd,
    go_r: OwnedFd,
    out: &mut Outcome,
) -> Result<()> {
    if !rootful {
        ns::unshare(libc::CLONE_NEWUSER).map_err(|e| {
            format!("{e}: unprivileged user namespaces are not allowed here (kernel.unprivileged_userns_clone / user.max_user_namespaces / AppArmor); run as root")
        })?;
        write_all(up_w.as_raw_fd(), b"u");
        if !read_byte(go_r.as_raw_fd()) {
            return Err("the parent did not write the id maps".into());
        }
    }
    drop(up_w);
    drop(go_r);
    ns::unshare(libc::CLONE_NEWNS)?;
    ns::make_rprivate()?;
    let mounts = parse_mountinfo(
        &std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("read mountinfo: {e}"))?,
    );
    ns::mount(
        "rootlock-scratch",
        scratch,
        Some("tmpfs"),
        0,
        Some(&format!("size={},mode=700", opts.upper_size)),
    )?;
    let merged = scratch.join("root");
    std::fs::create_dir(&merged).map_err(|e| format!("mkdir {}: {e}", merged.display()))?;
    let lower = opts.rootfs.clone().unwrap_or_else(|| PathBuf::from("/"));
    // A bind covers the host's mounts below it, named as given or, for
    // the host root, as the host resolves it (mountinfo has no symlinks).
    let mut skip: Vec<String> = opts
        .binds
        .iter()
        .flat_map(|b| {
            let real = opts
                .rootfs
                .is_none()
                .then(|| b.canonicalize().ok())
                .flatten();
            std::iter::once(b.clone()).chain(real)
        })
        .map(|b| b.to_string_lossy().into_owned())
        .collect();
    skip.push(scratch.to_string_lossy().into_owned());
    let mut b = Builder::new(scratch, rootful, mounts, skip);
    b.build_root(&lower, &merged)?;
    crate::overlay::mount_points(&merged)?;
    let bind_points = crate::overlay::bind_points(&merged, &opts.binds)?;
    if !rootful && opts.rootfs.is_none() {
        b.warnings.push(
            "unprivileged trace of the host root: files owned by the real root appear as nobody, so writes to them fail (EACCES; EOVERFLOW, \"Value too large for defined data type\", in a directory of root's that everyone may write, as /tmp and /var/tmp, where overlayfs cannot give the copy it makes root as owner) and are missing from the plan; run as root or use --rootfs".into(),
        );
    }
    let mut volumes = Vec::new();
    if let Some(paths) = &opts.verify {
        // Resolved inside the traced root, as the program will see them: a
        // `..` or an absolute symlink (`/var/run -> /run`) must not lead
        // to a directory of the host.
        let targets: Vec<(PathBuf, PathBuf, bool)> = paths
            .iter()
            .map(|(p, seed)| {
                let t = resolve_in_root(&merged, p)?;
                // `/` in other words (`/var/..`, a link to `/`): the whole
                // root writable would pass any program.
                if t == merged {
                    return Err(format!(
                        "plan path {p}: resolves to /, which a volume cannot be (it would make the whole root writable)"
                    ));
                }
                // A symlink of the root (`/data -> /etc`) leads the
                // runtime there too: the volume would be over what the
                // plan may not hold, and pass for it.
                let shown = Path::new("/").join(t.strip_prefix(&merged).unwrap_or(&t));
                let shown = shown.to_string_lossy();
                if let Some(why) = rootlock_policy::immutable::system_path_refusal(&shown) {
                    return Err(format!(
                        "plan path {p}: resolves to {shown} in the traced root: {why}"
                    ));
                }
                Ok((t, resolve_in_root(&lower, p)?, *seed))
            })
            .collect::<Result<_>>()?;
        for (t, _, _) in &targets {
            std::fs::create_dir_all(t).map_err(|e| format!("mkdir {}: {e}", t.display()))?;
        }
        ns::set_readonly(&merged, true)?;
        // Parents before the volumes inside them, as the kubelet orders a
        // pod's mounts: `/tmp` mounted after `/tmp/x` would hide it, and
        // mounted before, it hides the mount point made above, which is
        // made again inside it (as a runtime makes one in a volume).
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by_key(|&i| targets[i].0.components().count());
        for i in order {
            let ((p, _), (t, host, seed)) = (&paths[i], &targets[i]);
            let (t, seed) = (t.clone(), *seed);
            std::fs::create_dir_all(&t).map_err(|e| format!("mkdir {}: {e}", t.display()))?;
            let shown = Path::new("/").join(t.strip_prefix(&merged).unwrap_or(&t));
            if seed && host.is_dir() {
                b.overlay(host, &t, p)?;
                // Only what this run wrote: the image's own files there
                // (old logs that mention EROFS) are not the program's errors.
                if let Some(layer) = b.layers.last() {
                    volumes.push((layer.upper.clone(), shown));
                }
            } else {
                ns::mount(
                    "rootlock-volume",
                    &t,
                    Some("tmpfs"),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some("mode=1777"),
                )?;
                volumes.push((t, shown));
            }
        }
    }
    finish_root(&merged, scratch, &opts.binds, opts.rootfs.as_deref())?;
    out.warnings.append(&mut b.warnings);
    let watch = if opts.verify.is_none() {
        let uppers: Vec<PathBuf> = b.layers.iter().map(|l| l.upper.clone()).collect();
        match Watch::new(scratch, &uppers) {
            Ok(w) => Some(w),
            Err(e) => {
                out.warnings
                    .push(format!("transient files are not captured: {e}"));
                None
            }
        }
    } else {
        None
    };
    let mut watch = watch;
    let ids = opts
        .user
        .as_deref()
        .map(|u| ns::parse_user(u, &lower))
        .transpose()?;
    out.home = ids.as_ref().map(|i| i.home.clone());
    let argv: Vec<CString> = opts
        .command
        .iter()
        .map(|a| ns::cstr(a))
        .collect::<Result<_>>()?;
    if argv.is_empty() {
        return Err("no command given".into());
    }
    let cwd = std::env::current_dir().ok().filter(|d| {
        opts.rootfs.is_none() && merged.join(d.strip_prefix("/").unwrap_or(d)).is_dir()
    });
    let cwd = ns::cpath(cwd.as_deref().unwrap_or(Path::new("/")))?;
    let proc_dir = merged.join("proc");
    let (out_r, out_w) = pipe()?;
    // Init and the command's child say on this pipe, not on the program's
    // output (which the program controls), that the command did not start.
    let (status_r, status_w) = pipe()?;
    let new_net = opts.private_network || opts.rootfs.is_some() || !rootful;
    // Own hostname and IPC as in a pod: a traced `hostname x` or a SysV
    // segment must not reach the host.
    let mut flags = libc::CLONE_NEWPID | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    if new_net {
        flags |= libc::CLONE_NEWNET;
    }
    ns::unshare(flags)?;
    // SAFETY: the child execs or `_exit`s.
    let init = unsafe { libc::fork() };
    if init < 0 {
        return Err(os_err("fork"));
    }
    if init == 0 {
        drop(out_r);
        drop(watch);
        let code = match init_main(
            &merged,
            &proc_dir,
            new_net,
            ids,
            &cwd,
            &argv,
            InitFds {
                out_w: out_w.as_raw_fd(),
                status_w: status_w.as_raw_fd(),
            },
        ) {
            Ok(code) => code,
            Err(e) => {
                write_all(
                    out_w.as_raw_fd(),
                    // It may quote what was given (`--user`, the
                    // command): control characters escaped, on one line.
                    format!(
                        "rootlock trace: {}\n",
                        rootlock_policy::format::printable(&e)
                    )
                    .as_bytes(),
                );
                write_all(status_w.as_raw_fd(), e.as_bytes());
                125
            }
        };
        // SAFETY: leave without unwinding into the tracer's state.
        unsafe { libc::_exit(code) };
    }
    drop(out_w);
    // Ours closed, the pipe ends once init and the command's exec have
    // closed theirs.
    drop(status_w);
    let started = Instant::now();
    // SAFETY: pidfd of our own child.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, init, 0) } as RawFd;
    if pidfd < 0 {
        return Err(os_err("pidfd_open"));
    }
    // SAFETY: fd just returned by the kernel.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let mut output = OutputScan::default();
    output.found.read_only_root = opts.verify.is_some();
    let mut out_open = true;
    let mut init_alive = true;
    while init_alive || out_open {
        let mut fds = vec![
            libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if out_open { out_r.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if let Some(w) = &watch {
            fds.push(libc::pollfd {
                fd: w.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let wait_ms = match opts.timeout {
            Some(t) if init_alive && !out.timed_out => {
                t.saturating_sub(started.elapsed()).as_millis().min(1000) as i32
            }
            Some(t) if init_alive => (t + TERM_GRACE)
                .saturating_sub(started.elapsed())
                .as_millis()
                .min(1000) as i32,
            _ => 1000,
        };
        // SAFETY: polling a valid array.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
        if n < 0 && errno() != libc::EINTR {
            return Err(os_err("poll"));
        }
        if let Some(w) = watch.as_mut() {
            w.drain();
        }
        if fds[1].revents != 0 {
            let mut buf = [0u8; 8192];
            // SAFETY: reading into a valid buffer.
            let r = unsafe { libc::read(out_r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if r > 0 {
                let chunk = &buf[..r as usize];
                let _ = std::io::stderr().write_all(chunk);
                output.feed(chunk);
            } else if r == 0 || errno() != libc::EINTR {
                out_open = false;
            }
        }
        if init_alive && fds[0].revents != 0 {
            let mut status = 0;
            // SAFETY: reaping our own child.
            unsafe { libc::waitpid(init, &mut status, 0) };
            init_alive = false;
            if libc::WIFEXITED(status) {
                out.exit_code = Some(libc::WEXITSTATUS(status));
            } else if libc::WIFSIGNALED(status) {
                out.exit_code = Some(128 + libc::WTERMSIG(status));
            }
        }
        if let Some(t) = opts.timeout
            && init_alive
        {
            if !out.timed_out && started.elapsed() >= t {
                // SAFETY: init forwards SIGTERM to every process in the namespace.
                unsafe { libc::kill(init, libc::SIGTERM) };
                out.timed_out = true;
            } else if out.timed_out && started.elapsed() >= t + TERM_GRACE {
                // SAFETY: killing pid 1 of the namespace kills all of it.
                unsafe { libc::kill(init, libc::SIGKILL) };
            }
        }
    }
    output.finish();
    // The command never started (not found, --user not mapped, the root
    // could not be set up): init or the child said why on the status pipe
    // (and, for the user, on the output). An empty plan would read as
    // "needs nothing". What the program itself prints cannot say this.
    let why = read_status(&status_r);
    if !why.is_empty() {
        return Err(format!("{DID_NOT_START}{why}"));
    }
    if let Some(w) = scratch_full_warning(scratch, &opts.upper_size, output.found.enospc) {
        out.warnings.push(w);
    }
    let mut erofs = std::mem::take(&mut output.found.erofs);
    if opts.verify.is_some() {
        for (dir, shown) in &volumes {
            scan_files(dir, shown, &mut erofs);
        }
    }
    (out.erofs_lines, out.erofs_dropped) = (erofs.kept, erofs.dropped);
    out.eperm_lines = std::mem::take(&mut output.found.eperm);
    if opts.verify.is_some() {
        return Ok(());
    }
    let px = b.xattr_prefix();
    let mut not_utf8 = Vec::new();
    let mut links = Vec::new();
    for layer in &b.layers {
        links.extend(crate::upper_walk::walk(
            layer,
            px,
            &mut out.changes,
            &mut not_utf8,
        ));
    }
    if let Some(w) = watch.as_mut() {
        w.drain();
        if w.overflow {
            out.warnings.push(
                "the fanotify queue overflowed: the list of transient files is incomplete".into(),
            );
        }
        record_transients(&w.created, &b.layers, &mut out.changes, &mut not_utf8);
    }
    if let Some(w) = &watch {
        record_renames(&w.renamed, &b.layers, &mut out.changes);
        links.extend(w.linked.values().filter_map(|(from, to)| {
            let (from_layer, from) = shown_in_layer(&b.layers, from)?;
            let (to_layer, to) = shown_in_layer(&b.layers, to)?;
            std::ptr::eq(from_layer, to_layer).then_some((to, from))
        }));
    }
    record_links(&links, &b.layers, &mut out.changes);
    // Passed through, untracked (and a mount point made for one is the
    // runtime's, not the program's).
    out.changes.retain(|c| {
        !bind_points
            .iter()
            .any(|b| crate::canonical::is_at_or_under(&c.path, b))
    });
    out.warnings.extend(not_utf8_warning(&not_utf8));
    Ok(())
}

/// What fanotify saw created that is gone at the end: transient (a pid
/// file, a socket, a temporary file). Entries of a directory past
/// [`crate::reduce::LISTED_PER_DIR`] were counted, not named: which of
/// them are gone is not known, but each would anchor at that directory.
/// So where no change recorded already anchors at or above it, the
/// directory gets one change of its own (touched: written in place).
fn record_transients(
    created: &std::collections::BTreeMap<PathBuf, crate::fanotify::CreatedIn>,
    layers: &[crate::overlay::Layer],
    changes: &mut Vec<Change>,
    not_utf8: &mut Vec<String>,
) {
    let change = |path, kind, is_dir, note, folded| Change {
        is_dir,
        note,
        folded,
        ..Change::at(path, kind)
    };
    let anchored: std::collections::HashSet<String> = changes
        .iter()
        .filter_map(crate::reduce::anchor_of)
        .map(|a| a.path)
        .collect();
    let covered = |dir: &str| {
        let mut at = dir;
        loop {
            if anchored.contains(at) {
                return true;
            }
            if at == "/" {
                return false;
            }
            at = crate::canonical::parent(at);
        }
    };
    for (dir, made) in created {
        for (name, is_dir) in &made.names {
            let p = dir.join(name);
            if std::fs::symlink_metadata(&p).is_ok() {
                continue;
            }
            let Some((_, path)) = shown_in_layer(layers, &p) else {
                continue;
            };
            if p.to_str().is_none() {
                not_utf8.push(path.clone());
            }
            changes.push(change(
                path,
                ChangeKind::Transient,
                *is_dir,
                String::new(),
                0,
            ));
        }
        // `/` itself cannot be planned; what was made there is warned of
        // by the names listed.
        if let (1.., Some((_, path))) = (made.folded, shown_in_layer(layers, dir))
            && path != "/"
            && !covered(&path)
        {
            let note = format!(
                "{} more entries made here, not followed one by one",
                made.folded
            );
            // The change itself is one of them.
            let folded = made.folded - 1;
            changes.push(change(path, ChangeKind::Touched, true, note, folded));
        }
    }
}

/// Renames from one directory into another, seen by fanotify, on the
/// changes: the entry at the new name (as the upper layers' walk reported
/// it) gets `renamed_from`, so its anchor holds both parents (rename(2)
/// between two volumes fails with EXDEV: `write work/x.part, rename to
/// done/x` planned `work` and `done` apart). A new name the walk did not
/// report on its own (gone again, or inside a directory reported whole) is
/// added, transient or created. Renames between two layers (rootless)
/// failed already (EXDEV) and are left out.
fn record_renames(
    renamed: &[(PathBuf, PathBuf, bool)],
    layers: &[crate::overlay::Layer],
    changes: &mut Vec<Change>,
) {
    let mut at = index_by_path(changes);
    for (from, to_upper, is_dir) in renamed {
        let (Some((from_layer, from)), Some((to_layer, to))) = (
            shown_in_layer(layers, from),
            shown_in_layer(layers, to_upper),
        ) else {
            continue;
        };
        if !std::ptr::eq(from_layer, to_layer) {
            continue;
        }
        let present = std::fs::symlink_metadata(to_upper).is_ok();
        attach_other_name(changes, &mut at, to, from, *is_dir, present, false);
    }
}

/// Hard links between directories (`links`: (new name, other name), shown
/// paths; from the upper layers' walk and fanotify), on the changes as
/// renames are (see [`record_renames`]), in `linked_with`.
fn record_links(
    links: &[(String, String)],
    layers: &[crate::overlay::Layer],
    changes: &mut Vec<Change>,
) {
    if links.is_empty() {
        return;
    }
    let mut at = index_by_path(changes);
    for (to, from) in links {
        // Whether the new name is still there, for a name the walk did
        // not report (fanotify's, removed again).
        let present = layers.iter().any(|l| {
            crate::canonical::strip_dir_prefix(to, &l.mountpoint).is_some_and(|rel| {
                std::fs::symlink_metadata(l.upper.join(rel.trim_start_matches('/'))).is_ok()
            })
        });
        attach_other_name(
            changes,
            &mut at,
            to.clone(),
            from.clone(),
            false,
            present,
            true,
        );
    }
}

/// Each change's index by its path.
fn index_by_path(changes: &[Change]) -> HashMap<String, usize> {
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.clone(), i))
        .collect()
}

/// A path of the upper layers as the program saw it, with its layer.
fn shown_in_layer<'l>(
    layers: &'l [crate::overlay::Layer],
    p: &Path,
) -> Option<(&'l crate::overlay::Layer, String)> {
    let layer = layers.iter().find(|l| p.starts_with(&l.upper))?;
    let rel = p.strip_prefix(&layer.upper).ok()?.to_string_lossy();
    let shown = if rel.is_empty() {
        layer.mountpoint.clone()
    } else {
        format!("{}/{rel}", layer.mountpoint.trim_end_matches('/'))
    };
    if crate::overlay::PSEUDO
        .iter()
        .any(|x| crate::canonical::is_at_or_under(&shown, x))
    {
        return None;
    }
    Some((layer, shown))
}

/// The change at `to` gets `from` as the other name it needs in its mount
/// (`linked`: a hard link's, `linked_with`; else a rename's,
/// `renamed_from`). A name with no change of its own, or whose change has
/// another such name already (renamed twice), gets one added, created or
/// (no longer `present`) transient.
fn attach_other_name(
    changes: &mut Vec<Change>,
    at: &mut HashMap<String, usize>,
    to: String,
    from: String,
    is_dir: bool,
    present: bool,
    linked: bool,
) {
    let note = if linked {
        format!("hard link of {from}")
    } else {
        format!("renamed from {from}")
    };
    let (renamed_from, linked_with) = if linked {
        (None, Some(from))
    } else {
        (Some(from), None)
    };
    match at.get(&to) {
        Some(&i) if changes[i].renamed_from.is_none() && changes[i].linked_with.is_none() => {
            let c = &mut changes[i];
            if c.note.is_empty() {
                c.note = note;
            }
            c.renamed_from = renamed_from;
            c.linked_with = linked_with;
        }
        _ => {
            let kind = if present {
                ChangeKind::Created
            } else {
                ChangeKind::Transient
            };
            at.insert(to.clone(), changes.len());
            changes.push(Change {
                is_dir,
                note,
                renamed_from,
                linked_with,
                ..Change::at(to, kind)
            });
        }
    }
}

/// What was written to the status pipe (every writer has exited: init is
/// reaped, the command's child exec'd or exited). Read without blocking
/// all the same.
fn read_status(status_r: &OwnedFd) -> String {
    let fd = status_r.as_raw_fd();
    // SAFETY: setting O_NONBLOCK on a descriptor we own.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut why = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        let Ok(n @ 1..) = usize::try_from(n) else {
            break;
        };
        if why.len() < 4096 {
            why.extend_from_slice(&buf[..n]);
        }
    }
    String::from_utf8_lossy(&why).trim().to_string()
}

/// Paths are reported as UTF-8 (a manifest's `mountPath` is a string), so a
/// name that is not is shown with U+FFFD and no volume can be mounted at
/// it by that name. `found`: such paths as shown, from the upper layers'
/// walk and the transient files.
fn not_utf8_warning(found: &[String]) -> Option<String> {
    let first = found.first()?;
    Some(format!(
        "{} written name(s) are not valid UTF-8 and are shown with U+FFFD (first: {first}); a Kubernetes mountPath is UTF-8, so mount a parent directory instead",
        found.len()
    ))
}

/// The program's output, read a line at a time as it is relayed, for what
/// the outcome needs of it: the lines that report a read-only file system,
/// and how many report ENOSPC. All of it, however much there is, but not
/// kept: a server's debug output at the timeout can be any size, and its
/// EROFS may come last.
struct OutputScan {
    lines: BoundedLines,
    found: OutputFound,
}

/// What [`OutputScan`] found in the lines read.
#[derive(Debug, Default)]
struct OutputFound {
    erofs: ErofsLines,
    enospc: usize,
    eperm: Vec<String>,
    /// Put before each EROFS or EPERM line kept (a log file's name).
    prefix: String,
    /// The program runs under a read-only root (`--verify`): Node's ENOENT
    /// of a recursive mkdir is then the EROFS it hides (see
    /// [`crate::logs::mentions_refusal`]); on the traced run's writable
    /// root it is a real ENOENT, no read-only error.
    read_only_root: bool,
}

impl Default for OutputScan {
    fn default() -> OutputScan {
        OutputScan {
            lines: BoundedLines::new(Self::MAX_LINE),
            found: OutputFound::default(),
        }
    }
}

impl OutputScan {
    /// Longer lines are read up to this much.
    const MAX_LINE: usize = 64 << 10;

    fn feed(&mut self, chunk: &[u8]) {
        self.lines.feed(chunk, |line, _| self.found.line(line));
    }

    /// The last line, if the output did not end with a newline.
    fn finish(&mut self) {
        self.lines.finish(|line, _| self.found.line(line));
    }
}

impl OutputFound {
    /// EPERM lines kept: the first few say what failed.
    pub const MAX_EPERM_LINES: usize = 16;
    /// Bytes kept of each.
    pub const MAX_EPERM_LINE: usize = 1024;

    fn line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if text.contains("No space left on device") {
            self.enospc += 1;
        }
        let refused = if self.read_only_root {
            crate::logs::mentions_refusal(text)
        } else {
            crate::logs::mentions_erofs(text)
        };
        if refused {
            self.erofs.push(&self.prefix, text);
        }
        // strerror(EPERM), as C, Python and Java print it; Go and Node
        // write it in lower case. And a program that refuses a directory
        // it does not own (git's "dubious ownership", PostgreSQL's "has
        // wrong ownership"): both tell of a volume's directory being
        // root's (see `volume_owner`).
        if self.eperm.len() < Self::MAX_EPERM_LINES
            && (text.contains("Operation not permitted")
                || text.contains("operation not permitted")
                || text.contains("ownership"))
        {
            let mut end = text.len().min(Self::MAX_EPERM_LINE);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.eperm.push(format!("{}{}", self.prefix, &text[..end]));
        }
    }
}

/// The lines that report a read-only file system, of the output and (under
/// --verify) of every log in the volumes together: kept up to a total size,
/// the rest counted. A count of lines alone let 10,000 lines of 64 KiB
/// each (640 MiB) be held, then copied into the tracer's report, the
/// parent's copy of it and the joined text `logs` reads.
#[derive(Debug, Default)]
pub struct ErofsLines {
    pub kept: Vec<String>,
    bytes: usize,
    pub dropped: usize,
}

impl ErofsLines {
    /// Text kept, in all.
    pub const MAX_BYTES: usize = 4 << 20;

    fn push(&mut self, prefix: &str, line: &str) {
        let len = prefix.len() + line.len();
        if self.bytes + len > Self::MAX_BYTES {
            self.dropped += 1;
            return;
        }
        self.bytes += len;
        self.kept.push(format!("{prefix}{line}"));
    }
}

/// Every write lands on the scratch tmpfs (`--upper-size`); once it is
/// full, the program's writes fail with ENOSPC and never reach the plan.
/// That is said when the tmpfs is (nearly) out of space or inodes at the
/// end, or when the program reported ENOSPC on its output (a file that
/// filled it and was then deleted leaves no other trace).
fn scratch_full_warning(scratch: &Path, upper_size: &str, reported: usize) -> Option<String> {
    let full_now = ns::cpath(scratch).ok().is_some_and(|c| {
        // SAFETY: a plain C struct, all zeroes valid; statvfs on a valid
        // path writes into it.
        let (rc, st) = unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            (libc::statvfs(c.as_ptr(), &mut st), st)
        };
        let free = st.f_bavail as u128 * st.f_frsize as u128;
        rc == 0 && (free < 1 << 20 || (st.f_files > 0 && st.f_favail == 0))
    });
    if !full_now && reported == 0 {
        return None;
    }
    let why = if full_now {
        "is full".to_string()
    } else {
        format!(
            "may have filled up (the program reported \"No space left on device\" {reported} time(s))"
        )
    };
    Some(format!(
        "the tmpfs that holds every write (--upper-size {upper_size}) {why}: writes may have failed with ENOSPC and be missing from the plan; trace again with a larger --upper-size"
    ))
}

/// Verify: text files the program wrote to a volume (logs) that report
/// EROFS. `dir` holds them (the volume, or a seeded volume's upper layer);
/// `shown` is where the program sees `dir`.
fn scan_files(dir: &Path, shown: &Path, found: &mut ErofsLines) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                // Read whole, a line at a time: the error a log ends with
                // is as much the program's as its first line.
                let path = e.path();
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let shown = shown.join(rel);
                erofs_in_file(&path, &format!("{}: ", shown.display()), found);
            }
        }
    }
}

/// Adds to `found` the lines of a text file that report EROFS, each after
/// `prefix` (none for a file whose first 8 KiB hold a NUL: data, not a
/// log).
fn erofs_in_file(path: &Path, prefix: &str, found: &mut ErofsLines) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return;
    };
    // The file's lines share one budget with everything found before.
    let mut scan = OutputScan::default();
    scan.found.prefix = prefix.to_string();
    // Only --verify reads the volumes' files.
    scan.found.read_only_root = true;
    scan.found.erofs = std::mem::take(found);
    let mut buf = vec![0u8; 64 << 10];
    let mut first = true;
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if first && buf[..n.min(8 << 10)].contains(&0) {
                    break;
                }
                first = false;
                scan.feed(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    scan.finish();
    *found = scan.found.erofs;
}

/// Init's write ends: the program's output, and the status pipe on which
/// it (or the command's child) says why the command did not start.
struct InitFds {
    out_w: RawFd,
    status_w: RawFd,
}

/// The command's child, before `exec`: says why the command does not
/// start, to the user (on the output, relayed) and to the tracer (on the
/// status pipe). Only `write(2)`: async-signal-safe.
fn not_started(why: &[u8]) {
    let prefix = b"rootlock trace: ";
    // SAFETY: writing valid slices to descriptors of this process.
    unsafe {
        libc::write(2, prefix.as_ptr().cast(), prefix.len());
        libc::write(2, why.as_ptr().cast(), why.len());
        libc::write(STATUS_FD, why.as_ptr().cast(), why.len());
    }
}

/// I: pid 1 of the new pid namespace. Returns the command's exit code once
/// no process is left.
fn init_main(
    merged: &Path,
    proc_dir: &Path,
    new_net: bool,
    ids: Option<ns::Ids>,
    cwd: &CString,
    argv: &[CString],
    fds: InitFds,
) -> Result<i32> {
    let InitFds { out_w, status_w } = fds;
    // SAFETY: ask to die with the tracer.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    ns::unshare(libc::CLONE_NEWNS)?;
    if new_net {
        ns::loopback_up()?;
    }
    ns::mount(
        "proc",
        proc_dir,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )?;
    // What a runtime makes read-only in /proc (runc's readonlyPaths): the
    // sysctls and kernel knobs are the host's, not the trace's.
    for sub in ["sys", "sysrq-trigger", "irq", "bus", "fs"] {
        let p = proc_dir.join(sub);
        if p.exists() {
            ns::bind(&p, &p)?;
            ns::set_readonly(&p, true)?;
        }
    }
    ns::pivot_into(merged)?;
    extern "C" fn forward_term(_: libc::c_int) {
        // SAFETY: kill is async-signal-safe; -1 is every process in the
        // namespace but this one.
        unsafe { libc::kill(-1, libc::SIGTERM) };
    }
    // SAFETY: installing a handler that only calls kill(2).
    unsafe {
        libc::signal(
            libc::SIGTERM,
            forward_term as *const () as libc::sighandler_t,
        )
    };
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env = ns::command_env(std::env::vars_os(), ids.as_ref().map(|i| i.home.as_str()));
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    // Built here: the child only makes system calls.
    let filter = crate::seccomp::Filter::new();
    // SAFETY: the child only calls async-signal-safe functions before exec.
    let cmd = unsafe { libc::fork() };
    if cmd < 0 {
        return Err(os_err("fork"));
    }
    if cmd == 0 {
        // SAFETY: fd juggling, capability and id changes and exec with
        // prepared arguments: syscalls only.
        unsafe {
            libc::dup2(out_w, 1);
            libc::dup2(out_w, 2);
            // Nothing of the caller's but stdio reaches the program: an
            // inherited descriptor to a host directory would be a way out
            // of the traced root.
            // Except the status pipe, at STATUS_FD and closed by exec.
            if status_w != STATUS_FD {
                libc::dup3(status_w, STATUS_FD, libc::O_CLOEXEC);
            }
            libc::syscall(libc::SYS_close_range, STATUS_FD as u32 + 1, u32::MAX, 0u32);
            // A session of its own, as runc gives a container without a
            // tty: otherwise the caller's terminal stays the program's
            // controlling tty, and TIOCSTI on it (allowed without any
            // capability where dev.tty.legacy_tiocsti=1) types commands
            // into the caller's shell, which runs them on the host after
            // the trace. Stdin stays readable; it is just not the ctty.
            libc::setsid();
            // The capabilities a container runtime grants by default, no
            // more: without CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_NET_ADMIN, …
            // a program traced as root cannot mount, load modules or change
            // the host. Dropped from the bounding set, so root's exec gets
            // only these.
            // In the host's network namespace (a rootful trace of the host
            // root, so the program can reach what it talks to), NET_RAW
            // would reach the host's own interfaces, to sniff or forge
            // their traffic, which a pod's NET_RAW never does: dropped too.
            for cap in 0..64 {
                let host_net_raw = !new_net && cap == CAP_NET_RAW;
                if !CONTAINER_CAPS.contains(&cap) || host_net_raw {
                    libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
                }
            }
            // What a runtime's default seccomp profile refuses (see
            // `seccomp`). Installed while CAP_SYS_ADMIN is still effective
            // (before --user), so no_new_privs is not needed: set-uid
            // programs in the image keep working as in a pod.
            if filter.install().is_err() {
                not_started(b"cannot install the seccomp filter (a kernel without seccomp?)\n");
                libc::_exit(126);
            }
            if let Some(ids) = &ids {
                // runc gives a container's stdio to its user
                // (fixStdioPermissions), so that it may open /dev/stdout
                // and /dev/stderr (nginx's `error_log /dev/stderr`); ours
                // is the output pipe made for this command, nothing of the
                // caller's (stdin, possibly the caller's terminal, stays).
                // Where the uid is not mapped (rootless) it stays root's.
                libc::fchown(1, ids.uid, u32::MAX);
                // The pod's supplementary groups (see `parse_user`); in a
                // rootless trace without them mapped this fails, and the
                // groups stay the namespace's.
                libc::setgroups(ids.groups.len(), ids.groups.as_ptr());
                if libc::setgid(ids.gid) != 0 || libc::setuid(ids.uid) != 0 {
                    not_started(b"cannot switch to --user (is the id mapped?)\n");
                    libc::_exit(126);
                }
            }
            if libc::chdir(cwd.as_ptr()) != 0 {
                libc::chdir(c"/".as_ptr());
            }
            libc::execvpe(ptrs[0], ptrs.as_ptr(), env_ptrs.as_ptr());
            not_started(b"cannot execute the command: not found or not executable\n");
            libc::_exit(127);
        }
    }
    // SAFETY: closing our copies of the output and status pipes.
    unsafe {
        libc::close(out_w);
        libc::close(status_w);
    }
    let mut code = 0;
    loop {
        let mut status = 0;
        // SAFETY: reaping any child.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            break;
        }
        if pid == cmd {
            code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_scanned_a_line_at_a_time_across_reads() {
        let mut scan = OutputScan::default();
        // A line split across reads, CRLF, and a last line without a newline.
        scan.feed(b"noise\nsh: can't create /etc/a: Read-on");
        scan.feed(b"ly file system\r\nwrite: No space left on device\n");
        scan.feed(&vec![b'x'; 3 * OutputScan::MAX_LINE]);
        scan.feed(b"\nmkdir: /var/b: Read-only file system");
        scan.finish();
        assert_eq!(
            scan.found.erofs.kept,
            [
                "sh: can't create /etc/a: Read-only file system",
                "mkdir: /var/b: Read-only file system"
            ]
        );
        assert_eq!(scan.found.enospc, 1);
    }

    /// Node's ENOENT of a recursive mkdir is kept as a read-only error
    /// under --verify's read-only root, where it hides EROFS, and not on
    /// the traced run's writable root, where it is a real ENOENT.
    #[test]
    fn nodes_masked_mkdir_is_a_read_only_error_under_a_read_only_root_only() {
        let line = b"Error: ENOENT: no such file or directory, mkdir '/srv/app/.cache'\n";
        let mut traced = OutputScan::default();
        traced.feed(line);
        assert!(traced.found.erofs.kept.is_empty());
        let mut verified = OutputScan::default();
        verified.found.read_only_root = true;
        verified.feed(line);
        assert_eq!(
            verified.found.erofs.kept,
            ["Error: ENOENT: no such file or directory, mkdir '/srv/app/.cache'"]
        );
    }

    /// EPERM lines: the first few, each cut at a character boundary.
    #[test]
    fn a_program_refusing_a_directory_it_does_not_own_is_kept() {
        let mut scan = OutputScan::default();
        scan.feed(b"fatal: detected dubious ownership in repository at '/srv/repo'\nok\n");
        scan.feed(b"FATAL:  data directory \"/srv/pg\" has wrong ownership\n");
        assert_eq!(
            scan.found.eperm,
            [
                "fatal: detected dubious ownership in repository at '/srv/repo'",
                "FATAL:  data directory \"/srv/pg\" has wrong ownership"
            ]
        );
    }

    #[test]
    fn eperm_lines_are_kept_few_and_short() {
        let mut scan = OutputScan::default();
        scan.feed(b"chown /srv/a: Operation not permitted\nok\n");
        scan.feed(b"Error: EPERM: operation not permitted, chmod '/srv/b'\n");
        let long = format!(
            "{}\u{e9} Operation not permitted\n",
            "x".repeat(OutputFound::MAX_EPERM_LINE - 1)
        );
        for _ in 0..OutputFound::MAX_EPERM_LINES {
            scan.feed(long.as_bytes());
        }
        scan.finish();
        assert_eq!(scan.found.eperm.len(), OutputFound::MAX_EPERM_LINES);
        assert_eq!(scan.found.eperm[0], "chown /srv/a: Operation not permitted");
        assert_eq!(
            scan.found.eperm[1],
            "Error: EPERM: operation not permitted, chmod '/srv/b'"
        );
        // The two-byte é straddles the cut: the line ends before it.
        assert_eq!(
            scan.found.eperm[2],
            "x".repeat(OutputFound::MAX_EPERM_LINE - 1)
        );
    }

    #[test]
    fn read_only_lines_are_kept_up_to_a_total_size_and_all_counted() {
        // 200 lines of 64 KiB that report EROFS, three times the budget
        // (the old limit, 10,000 such lines, held 640 MiB). Those past the
        // budget are counted.
        let mut scan = OutputScan::default();
        let mut line = vec![b'x'; OutputScan::MAX_LINE - 40];
        line.extend_from_slice(b" /var/x: Read-only file system\n");
        for _ in 0..200 {
            scan.feed(&line);
        }
        scan.finish();
        let kept: usize = scan.found.erofs.kept.iter().map(String::len).sum();
        assert!(kept <= ErofsLines::MAX_BYTES, "{kept}");
        assert!(!scan.found.erofs.kept.is_empty() && scan.found.erofs.dropped > 0);
        assert_eq!(scan.found.erofs.kept.len() + scan.found.erofs.dropped, 200);
        // A log file's lines share what is left, named by the file.
        let dir = std::env::temp_dir().join(format!("rootlock-erofs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("app.log");
        std::fs::write(&log, "open /var/y: Read-only file system\n").unwrap();
        let mut found = ErofsLines::default();
        erofs_in_file(&log, "/logs/app.log: ", &mut found);
        erofs_in_file(&log, "/logs/app.log: ", &mut found);
        assert_eq!(
            found.kept,
            ["/logs/app.log: open /var/y: Read-only file system"; 2]
        );
        let mut full = scan.found.erofs;
        erofs_in_file(&log, "/logs/app.log: ", &mut full);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(full.kept.len() + full.dropped, 201);
    }
}
