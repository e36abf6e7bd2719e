//! Stopping an exec credential plugin that rootlock gave up waiting for.
//!
//! kube runs the kubeconfig's plugin (`std::process::Command::output`) on a
//! blocking thread and waits for it without a limit; rootlock stops waiting
//! after `--request-timeout`, but the plugin went on running after rootlock
//! had exited: a login helper such as kubelogin kept its browser flow and
//! its local callback port (the next run then failed to bind it), and a
//! script's own children held kube's pipes open. kube gives no handle on
//! the child, so it is found in `/proc`: a child of this process whose
//! command line names the plugin, and everything below it. Not found: a
//! plugin that has `exec`ed another program (`command: env`, a script
//! ending in `exec helper`), whose command line no longer names it, and a
//! process it detached (forked twice, its parent gone: init adopts it).

use std::collections::HashMap;
use std::fs;
use std::time::{Duration, Instant};

use std::os::fd::OwnedFd;

use rustix::process::{Pid, PidfdFlags, Signal, kill_process, pidfd_open, pidfd_send_signal};

/// How long the plugin's processes have to end after SIGTERM (a login
/// helper may remove its lock files) before they are killed.
const GRACE: Duration = Duration::from_millis(500);

/// Stops every running process of `command` started by this process, with
/// its descendants. Returns how many processes were signalled. Nothing
/// found (the plugin already ended, or `/proc` is not readable) is not an
/// error: this only tidies up before rootlock reports the timeout.
pub fn stop_plugin(command: &str) -> usize {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let table = processes(me, command_line);
    let roots = table
        .iter()
        .filter(|(_, p)| p.parent == me && names_command(&p.args, command))
        .map(|(pid, _)| *pid);
    let tree = with_descendants(&table, roots);
    stop(&table, &tree)
}

/// SIGTERM to each of `tree` still the process `table` read, then SIGKILL
/// to those still running after [`GRACE`]. A process of the tree may end
/// and its pid go to another process meanwhile (its parent reaps it;
/// the pid is reused): each is held by a pidfd opened while its start
/// time is still the one read, and signalled through it, so an unrelated
/// process that took the pid is never signalled. Without pidfds (Linux
/// before 5.3) the start time is checked before each signal.
fn stop(table: &HashMap<i32, Process>, tree: &[i32]) -> usize {
    let held: Vec<Held> = tree
        .iter()
        .filter_map(|pid| Held::of(*pid, table.get(pid)?.start))
        .collect();
    for p in &held {
        p.signal(Signal::TERM);
    }
    let deadline = Instant::now() + GRACE;
    while held.iter().any(Held::running) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for p in held.iter().filter(|p| p.running()) {
        p.signal(Signal::KILL);
    }
    held.len()
}

/// One process of the tree: its pid, the start time `/proc` gave it, and
/// a pidfd on it where the kernel has them.
struct Held {
    pid: i32,
    start: u64,
    pidfd: Option<OwnedFd>,
}

impl Held {
    /// `pid`, when it is still the process that started at `start`.
    fn of(pid: i32, start: u64) -> Option<Held> {
        let raw = Pid::from_raw(pid)?;
        let pidfd = pidfd_open(raw, PidfdFlags::empty()).ok();
        // Read after the pidfd is open: the same start time then means the
        // pidfd is on the process read, not on one that took its pid.
        let held = Held { pid, start, pidfd };
        held.is_same().then_some(held)
    }

    fn is_same(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.start == self.start)
    }

    /// Not ended: a zombie (ended, not yet waited for by kube's thread)
    /// counts as ended, and so does a pid now another process's.
    fn running(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.start == self.start && s.state != 'Z' && s.state != 'X')
    }

    fn signal(&self, signal: Signal) {
        // Already gone is the outcome wanted.
        match &self.pidfd {
            Some(fd) => {
                let _ = pidfd_send_signal(fd, signal);
            }
            None => {
                if let Some(pid) = Pid::from_raw(self.pid).filter(|_| self.is_same()) {
                    let _ = kill_process(pid, signal);
                }
            }
        }
    }
}

/// What `/proc` says of one process.
struct Process {
    parent: i32,
    /// When it started (clock ticks after boot): with the pid, which
    /// process it is.
    start: u64,
    args: Vec<String>,
}

/// Every process `/proc` shows, with the command line (`args_of`) of
/// those whose parent is `me` alone: the plugin is one of them, and reading
/// a command line waits for the process's memory map lock, which a process
/// stuck in the kernel (a hung NFS or FUSE read) can hold for good, so
/// reading everyone's could hang rootlock as it reports the timeout.
fn processes(me: i32, args_of: impl Fn(i32) -> Vec<String>) -> HashMap<i32, Process> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let Stat { parent, start, .. } = stat(pid)?;
            let args = if parent == me {
                args_of(pid)
            } else {
                Vec::new()
            };
            Some((
                pid,
                Process {
                    parent,
                    start,
                    args,
                },
            ))
        })
        .collect()
}

/// The arguments of `/proc/PID/cmdline`; none when it cannot be read.
fn command_line(pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| {
            cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// What one `/proc/PID/stat` line says of a process.
#[derive(Debug, PartialEq, Eq)]
struct Stat {
    state: char,
    parent: i32,
    start: u64,
}

fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The state letter (field 3), parent pid (4) and start time (22) of a
/// `/proc/PID/stat` line. The command name in parentheses may itself hold
/// spaces and `)`, so the fields are read after its last `)`.
fn parse_stat(stat: &str) -> Option<Stat> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().take(20).collect();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        parent: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// Whether a command line is the plugin's. kube starts `command` as the
/// kubeconfig writes it, so a binary's `argv[0]` is that text; a script
/// runs as its interpreter with the script's path after it (`/bin/sh
/// /path/plugin`, or `bash /path/plugin` through `/usr/bin/env bash`); a
/// command without a `/` was found on `PATH`, so the path ends in it.
fn names_command(args: &[String], command: &str) -> bool {
    if command.is_empty() {
        return false;
    }
    args.iter().take(3).any(|arg| {
        arg == command || (!command.contains('/') && arg.ends_with(&format!("/{command}")))
    })
}

/// The roots and every process below them, computed before any is
/// signalled: once a parent ends, its children are adopted by init and
/// could no longer be told apart.
fn with_descendants(table: &HashMap<i32, Process>, roots: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut tree: Vec<i32> = roots.collect();
    let mut next = 0;
    while next < tree.len() {
        let parent = tree[next];
        let children: Vec<i32> = table
            .iter()
            .filter(|(pid, p)| p.parent == parent && !tree.contains(pid))
            .map(|(pid, _)| *pid)
            .collect();
        tree.extend(children);
        next += 1;
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_plugin_is_known_by_its_binary_its_script_or_its_name_on_path() {
        assert!(names_command(
            &args(&["/usr/local/bin/kubelogin", "get-token"]),
            "/usr/local/bin/kubelogin"
        ));
        assert!(names_command(
            &args(&["/bin/sh", "/home/me/sso.sh"]),
            "/home/me/sso.sh"
        ));
        assert!(names_command(
            &args(&["bash", "/usr/bin/aws-login"]),
            "aws-login"
        ));
        assert!(names_command(
            &args(&["kubelogin", "get-token"]),
            "kubelogin"
        ));
        assert!(!names_command(
            &args(&["/usr/bin/other", "kubelogin"]),
            "/usr/bin/kubelogin"
        ));
        assert!(!names_command(
            &args(&["/usr/bin/not-kubelogin"]),
            "kubelogin"
        ));
        assert!(!names_command(&args(&["/bin/sh"]), ""));
    }

    #[test]
    fn the_stat_line_is_read_after_the_last_parenthesis_of_the_name() {
        let line =
            "4242 (a) b (c) S 17 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                state: 'S',
                parent: 17,
                start: 98765
            })
        );
        assert_eq!(parse_stat("7 (sh) Z 1 7"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    /// A pid of the tree that is now another process's (the one read
    /// ended, was reaped, and its pid was given again) is not signalled:
    /// here a live child stands for that other process, and the table
    /// read before says the pid's process started at another time.
    #[test]
    fn a_pid_taken_by_another_process_is_not_signalled() {
        let Ok(mut child) = std::process::Command::new("sleep").arg("30").spawn() else {
            eprintln!("skipped: no sleep to run");
            return;
        };
        let pid = child.id() as i32;
        let Some(now) = stat(pid) else {
            let _ = child.kill();
            eprintln!("skipped: no /proc");
            return;
        };
        let read_before = |start| {
            HashMap::from([(
                pid,
                Process {
                    parent: 1,
                    start,
                    args: Vec::new(),
                },
            )])
        };
        assert_eq!(stop(&read_before(now.start + 1), &[pid]), 0);
        assert!(matches!(child.try_wait(), Ok(None)), "signalled");
        // The process read is stopped.
        assert_eq!(stop(&read_before(now.start), &[pid]), 1);
        let status = child.wait().unwrap();
        assert!(!status.success(), "{status:?}");
    }

    #[test]
    fn descendants_are_found_however_deep() {
        let table: HashMap<i32, Process> = [(10, 1), (11, 10), (12, 11), (13, 1), (14, 12)]
            .into_iter()
            .map(|(pid, parent)| {
                (
                    pid,
                    Process {
                        parent,
                        start: 0,
                        args: Vec::new(),
                    },
                )
            })
            .collect();
        let mut tree = with_descendants(&table, [10].into_iter());
        tree.sort();
        assert_eq!(tree, vec![10, 11, 12, 14]);
    }

    /// Only this process's children have their command lines read: no
    /// other process's can hold up the reading (see [`processes`]).
    #[test]
    fn only_the_children_command_lines_are_read() {
        let Ok(mut child) = std::process::Command::new("sleep").arg("30").spawn() else {
            eprintln!("skipped: no sleep to run");
            return;
        };
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let read = std::cell::RefCell::new(Vec::new());
        let table = processes(me, |pid| {
            read.borrow_mut().push(pid);
            Vec::new()
        });
        let _ = child.kill();
        let _ = child.wait();
        if table.is_empty() {
            eprintln!("skipped: no /proc");
            return;
        }
        let read = read.into_inner();
        assert!(read.contains(&(child.id() as i32)), "{read:?}");
        for pid in read {
            assert_eq!(table[&pid].parent, me, "{pid}");
        }
    }
}
