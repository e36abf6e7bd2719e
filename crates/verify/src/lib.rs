//! `rootlock verify`: proves from inside a running container that the root
//! filesystem really is read-only and that nothing can undo it.
//!
//! It reads `/proc/PID/mountinfo`, `/proc/PID/status` and
//! `/proc/PID/uid_map` of the inspected process (self by default), looks
//! for `/proc/sys/kernel/core_pattern` in its view and, only with
//! `--probe-write`, tries to create a file in `/` and a system directory.
//! Exit status: 0 pass, 1 fail, 2 error.

pub mod classify;
pub mod disk_nodes;
pub mod held;
pub mod kernel;
pub mod mountinfo;
pub mod node_processes;
pub mod probe;
pub mod proc_dir;
pub mod report;
pub mod root;
pub mod runtime_socket;
#[cfg(test)]
mod scratch;
pub mod status;
pub mod userns;
pub mod verdict;

use clap::Args;
use kernel::Kernel;
use proc_dir::ProcDir;
use report::Report;
use root::Root;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `rootlock verify [--pid PID] [--probe-write] [--format text|json]`
// Scripts branch on the status, so --help states it, not only the README.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 pass (/ is read-only and nothing found can undo it), 1 fail (the report lists every reason), 2 error (nothing was judged, e.g. /proc/PID unreadable; the message names the file)."
)]
pub struct VerifyArgs {
    /// Inspect this process (its /proc/PID/mountinfo and status) instead of self.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Really try to create (and remove) a file in / and a system directory.
    #[arg(long)]
    pub probe_write: bool,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Exit status: the root is read-only and nothing found can undo it.
pub const EXIT_PASS: i32 = 0;
/// Exit status: at least one reason in the report.
pub const EXIT_FAIL: i32 = 1;
/// Exit status: could not inspect (unreadable /proc/PID, bad input…).
pub const EXIT_ERROR: i32 = 2;

/// Runs the command; returns the process exit status (0 read-only and safe,
/// 1 not, 2 error).
pub fn run(args: &VerifyArgs) -> i32 {
    let result = inspect(args).and_then(|report| {
        let rendered = match args.format.as_str() {
            "json" => report
                .to_json()
                .map(|json| json + "\n")
                .map_err(|e| format!("cannot render JSON: {e}"))?,
            "text" => report.to_text(&who(args.pid)),
            other => return Err(format!("unknown --format {other:?} (text or json)")),
        };
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(rendered.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write the report: {e}"))?;
        Ok(report)
    });
    match result {
        Ok(report) if report.passed() => EXIT_PASS,
        Ok(_) => EXIT_FAIL,
        Err(message) => {
            eprintln!("rootlock verify: {message}");
            EXIT_ERROR
        }
    }
}

/// Reads everything and builds the report (no output). Errors name the file.
pub fn inspect(args: &VerifyArgs) -> Result<Report, String> {
    let proc_path = match args.pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}")),
        None => PathBuf::from("/proc/self"),
    };
    // Opened once: every read below is of this process, even if it exits
    // and its PID is reused meanwhile (see proc_dir).
    let proc = open_proc(&proc_path, args.pid)?;
    let mounts = mountinfo::parse_bytes(&read_of(&proc, "mountinfo", args.pid)?)
        .map_err(|e| format!("cannot parse {}: {e}", proc.path_of("mountinfo").display()))?;
    // `Name:` is whatever the process called itself (prctl PR_SET_NAME),
    // bytes the kernel shows as they are; the fields read are ASCII, so a
    // name that is not UTF-8 must not stop the inspection.
    let status = status::parse(&String::from_utf8_lossy(&read_of(
        &proc, "status", args.pid,
    )?))
    .map_err(|e| format!("cannot parse {}: {e}", proc.path_of("status").display()))?;
    // The root the process sees, opened once for every lookup inside it.
    let root = open_root(&proc, args.pid);
    let kernel = Kernel::read(
        &proc,
        root.as_ref().ok(),
        &mountinfo::core_pattern_places(&mounts),
    )?;
    let probes = if args.probe_write {
        probe::probe_all(root.as_ref().map_err(String::clone)?)
    } else {
        Vec::new()
    };
    // Where the system paths really lead (symlinks followed in the
    // process's root) and whether the root's own mount is read-only;
    // nothing when the root could not be opened.
    let mut facts = match &root {
        Ok(root) => crate::root::RootFacts::read(root, &mounts),
        // Not an error of the run (the mount table is judged), but what
        // only a look inside the root finds was not looked for: the
        // verdict says so instead of passing without it.
        Err(message) => crate::root::RootFacts {
            unopened: Some(message.clone()),
            ..Default::default()
        },
    };
    facts.held = held::read(&proc);
    Ok(Report::new(&mounts, &status, kernel, probes, &facts))
}

/// Opens `path`, the `/proc/PID` of process `pid` (`None` for self), and
/// makes sure it is a proc filesystem's.
fn open_proc(path: &Path, pid: Option<u32>) -> Result<ProcDir, String> {
    let shown = path.display();
    let proc = ProcDir::open(path).map_err(|e| {
        let missing = match (pid, e.kind()) {
            (Some(pid), std::io::ErrorKind::NotFound) => format!(" (no process {pid})"),
            _ => String::new(),
        };
        format!("cannot open {shown}: {e}{missing}")
    })?;
    match proc.on_procfs() {
        Ok(true) => Ok(proc),
        Ok(false) => Err(format!(
            "{shown} is not on a proc filesystem: its files cannot be trusted to describe the process"
        )),
        Err(e) => Err(format!("cannot statfs {shown}: {e}")),
    }
}

/// The root of the inspected process. Failing to open it is an error of
/// the run when probes need it, not a probe result: the probes would never
/// reach the target, so an `EACCES` here (no ptrace access to
/// `/proc/PID/root`) says nothing about its filesystem and must not count
/// as a refused write.
fn open_root(proc: &ProcDir, pid: Option<u32>) -> Result<Root, String> {
    let (path, root) = match pid {
        Some(_) => (proc.path_of("root"), Root::of_process(proc)),
        None => (PathBuf::from("/"), Root::own()),
    };
    root.map_err(|e| {
        let access = match (pid, e.kind()) {
            (Some(pid), std::io::ErrorKind::PermissionDenied) => format!(
                " (--pid needs ptrace read access to process {pid} to look inside its root: \
                 the same UID and no capability it lacks, or CAP_SYS_PTRACE)"
            ),
            _ => exited(proc, pid),
        };
        format!("cannot open {}: {e}{access}", path.display())
    })
}

/// Reads entry `name` of `proc` (the `/proc/PID` of process `pid`, `None`
/// for self). When that fails because the process has exited, the message
/// says so.
fn read_of(proc: &ProcDir, name: &str, pid: Option<u32>) -> Result<Vec<u8>, String> {
    proc.read_bytes(name).map_err(|e| {
        format!(
            "cannot read {}: {e}{}",
            proc.path_of(name).display(),
            exited(proc, pid)
        )
    })
}

/// Why a read of `proc` (the `/proc/PID` of process `pid`) failed, when
/// the reason is that the process has exited: a zombie (exited, not yet
/// reaped) keeps its `/proc/PID` but has no mount namespace left
/// (`mountinfo` gives `EINVAL`); a reaped one is gone from the descriptor
/// opened before. Empty otherwise, and for self.
fn exited(proc: &ProcDir, pid: Option<u32>) -> String {
    let Some(pid) = pid else {
        return String::new();
    };
    match proc.read("stat") {
        Ok(stat) if zombie(&stat) => format!(
            " (process {pid} has exited and is a zombie, not yet reaped by its parent: its \
             mounts are gone)"
        ),
        Ok(_) => String::new(),
        Err(e) if proc_dir::gone_error(&e) => {
            format!(" (process {pid} has exited)")
        }
        Err(_) => String::new(),
    }
}

/// `/proc/PID/stat` says the process is a zombie (`Z`) or dead (`X`): the
/// state is the first field after the command name, which is in
/// parentheses and may itself hold `)`.
fn zombie(stat: &str) -> bool {
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| matches!(state, "Z" | "X"))
}

fn who(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("process {pid}"),
        None => format!("this process ({})", std::process::id()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Command;

    #[test]
    fn a_missing_process_is_an_error_naming_it() {
        let args = VerifyArgs {
            pid: Some(4294967295),
            probe_write: false,
            format: "text".into(),
        };
        let err = inspect(&args).unwrap_err();
        assert!(
            err.starts_with("cannot open /proc/4294967295: ")
                && err.ends_with("(no process 4294967295)"),
            "{err}"
        );
    }

    #[test]
    fn a_proc_directory_that_is_not_procfs_is_refused() {
        let dir = crate::scratch::Scratch::new("fake-proc");
        std::fs::write(dir.join("mountinfo"), "forged\n").unwrap();
        let err = open_proc(&dir, Some(7)).unwrap_err();
        assert_eq!(
            err,
            format!(
                "{} is not on a proc filesystem: its files cannot be trusted to describe the process",
                dir.display()
            )
        );
        assert!(open_proc(Path::new("/proc/self"), None).is_ok());
    }

    #[test]
    fn an_error_of_a_process_that_exited_says_so() {
        let dir = crate::scratch::Scratch::new("exited");
        let proc = ProcDir::open(&dir).unwrap();
        // Reaped after /proc/PID was opened: its entries are gone.
        assert_eq!(exited(&proc, Some(7)), " (process 7 has exited)");
        assert_eq!(exited(&proc, None), "");
        std::fs::write(dir.join("stat"), "7 (true) Z 1 7\n").unwrap();
        assert!(exited(&proc, Some(7)).contains("zombie"));
        std::fs::write(dir.join("stat"), "7 (sleep) S 1 7\n").unwrap();
        assert_eq!(exited(&proc, Some(7)), "");
        // The root of a process without one (here: a stand-in with no
        // `root` entry, whose stat says it is still running) is named.
        let err = open_root(&proc, Some(7)).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot open {}/root: ", dir.display())),
            "{err}"
        );
        assert!(!err.contains("ptrace"), "{err}");
    }

    #[test]
    fn the_state_follows_the_last_parenthesis_of_stat() {
        assert!(zombie("42 (true) Z 1 42 42 0 -1"));
        assert!(zombie("42 (x) X 1"));
        // A command name may hold ") Z": the state is after the last ")".
        assert!(!zombie("42 (a) Z) S 1 42"));
        assert!(!zombie("42 (sleep) S 1"));
        assert!(!zombie(""));
    }

    #[test]
    fn help_states_the_exit_statuses() {
        let help = VerifyArgs::augment_args(Command::new("verify"))
            .render_help()
            .to_string();
        let statuses = [
            (EXIT_PASS, "pass"),
            (EXIT_FAIL, "fail"),
            (EXIT_ERROR, "error"),
        ];
        for (code, word) in statuses {
            assert!(help.contains(&format!("{code} {word}")), "{help}");
        }
    }
}
