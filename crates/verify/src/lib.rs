//! `rootlock verify`: proves from inside a running container that the root
//! filesystem really is read-only and that nothing can undo it.
//!
//! It reads `/proc/PID/mountinfo`, `/proc/PID/status` and
//! `/proc/PID/uid_map` of the inspected process (self by default), looks
//! for `/proc/sys/kernel/core_pattern` in its view and, only with
//! `--probe-write`, tries to create a file in `/` and a system directory.
//! Exit status: 0 pass, 1 fail, 2 error.

pub mod classify;
pub mod kernel;
pub mod mountinfo;
pub mod probe;
pub mod report;
pub mod root;
#[cfg(test)]
mod scratch;
pub mod status;
pub mod userns;
pub mod verdict;

use clap::Args;
use kernel::Kernel;
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
    let proc_dir = match args.pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}")),
        None => PathBuf::from("/proc/self"),
    };
    let mountinfo_path = proc_dir.join("mountinfo");
    let mounts = mountinfo::parse(&read_of(&mountinfo_path, args.pid)?)
        .map_err(|e| format!("cannot parse {}: {e}", mountinfo_path.display()))?;
    let status_path = proc_dir.join("status");
    let status = status::parse(&read_of(&status_path, args.pid)?)
        .map_err(|e| format!("cannot parse {}: {e}", status_path.display()))?;
    // The root the process sees, opened once for every lookup inside it.
    let root = open_root(&proc_dir, args.pid);
    let kernel = Kernel::read(
        &proc_dir,
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
    let facts = root
        .as_ref()
        .map(crate::root::RootFacts::read)
        .unwrap_or_default();
    Ok(Report::new(&mounts, &status, kernel, probes, &facts))
}

/// The root of the inspected process. Failing to open it is an error of
/// the run when probes need it, not a probe result: the probes would never
/// reach the target, so an `EACCES` here (no ptrace access to
/// `/proc/PID/root`) says nothing about its filesystem and must not count
/// as a refused write.
fn open_root(proc_dir: &Path, pid: Option<u32>) -> Result<Root, String> {
    let (path, root) = match pid {
        Some(_) => {
            let path = proc_dir.join("root");
            let root = Root::open(&path);
            (path, root)
        }
        None => (PathBuf::from("/"), Root::own()),
    };
    root.map_err(|e| {
        let access = match (pid, e.kind()) {
            (Some(pid), std::io::ErrorKind::PermissionDenied) => format!(
                " (--probe-write with --pid needs ptrace read access to process {pid}: \
                 the same UID and no capability it lacks, or CAP_SYS_PTRACE)"
            ),
            _ => exited(proc_dir, pid, &e),
        };
        format!("cannot open {}: {e}{access}", path.display())
    })
}

/// Reads `path`, a file of `/proc/PID` (of process `pid`, `None` for
/// self). When that fails because the process has exited, the message
/// says so: a zombie (exited, not yet reaped) keeps its `/proc/PID` but
/// has no mount namespace left (`mountinfo` gives `EINVAL`), a reaped one
/// has no `/proc/PID` (`ENOENT`).
fn read_of(path: &Path, pid: Option<u32>) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        let exited = path
            .parent()
            .map(|dir| exited(dir, pid, &e))
            .unwrap_or_default();
        format!("cannot read {}: {e}{exited}", path.display())
    })
}

/// Why a file of `proc_dir` (`/proc/PID` of process `pid`) failed with
/// `error`, when the reason is that the process has exited: a zombie
/// (exited, not yet reaped) keeps `/proc/PID` but has no mount namespace
/// left (`mountinfo` gives `EINVAL`); a reaped one has no `/proc/PID`,
/// which also happens when it is reaped between two reads. Empty
/// otherwise, and for self.
fn exited(proc_dir: &Path, pid: Option<u32>, error: &std::io::Error) -> String {
    let Some(pid) = pid else {
        return String::new();
    };
    match std::fs::read_to_string(proc_dir.join("stat")) {
        Ok(stat) if zombie(&stat) => format!(
            " (process {pid} has exited and is a zombie, not yet reaped by its parent: its \
             mounts are gone)"
        ),
        Ok(_) => String::new(),
        Err(gone) if gone.kind() == std::io::ErrorKind::NotFound => {
            if error.kind() == std::io::ErrorKind::NotFound {
                format!(" (no process {pid})")
            } else {
                format!(" (process {pid} has exited)")
            }
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
    fn unopenable_root_is_an_error_naming_it() {
        let err = open_root(Path::new("/proc/4294967295"), Some(4294967295)).unwrap_err();
        assert!(
            err.starts_with("cannot open /proc/4294967295/root: "),
            "{err}"
        );
        // Only a permission refusal is about ptrace access.
        assert!(!err.contains("ptrace"), "{err}");
    }

    #[test]
    fn an_error_of_a_process_that_exited_says_so() {
        let dir = crate::scratch::Scratch::new("exited");
        let einval = std::io::Error::from_raw_os_error(22);
        let enoent = std::io::Error::from_raw_os_error(2);
        // Reaped after an earlier read succeeded, or never there.
        assert_eq!(
            exited(&dir.join("7"), Some(7), &einval),
            " (process 7 has exited)"
        );
        assert_eq!(exited(&dir.join("7"), Some(7), &enoent), " (no process 7)");
        assert_eq!(exited(&dir.join("7"), None, &enoent), "");
        std::fs::write(dir.join("stat"), "7 (true) Z 1 7\n").unwrap();
        assert!(exited(&dir, Some(7), &einval).contains("zombie"));
        std::fs::write(dir.join("stat"), "7 (sleep) S 1 7\n").unwrap();
        assert_eq!(exited(&dir, Some(7), &einval), "");
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
