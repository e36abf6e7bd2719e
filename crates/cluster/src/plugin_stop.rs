//! Stopping an exec credential plugin that rootlock gave up waiting for.
//!
//! kube runs the kubeconfig's plugin (`std::process::Command::output`) on a
//! blocking thread and waits for it without a limit; rootlock stops waiting
//! after `--request-timeout`, but the plugin went on running after rootlock
//! had exited: a login helper such as kubelogin kept its browser flow and
//! its local callback port (the next run then failed to bind it), and a
//! script's own children held kube's pipes open. kube gives no handle on
//! the child, so it is found in `/proc`: a child of this process whose
//! command line names the plugin, and everything below it.

use std::collections::HashMap;
use std::fs;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

/// How long the plugin's processes have to end after SIGTERM (a login
/// helper may remove its lock files) before they are killed.
const GRACE: Duration = Duration::from_millis(500);

/// Stops every running process of `command` started by this process, with
/// its descendants. Returns how many processes were signalled. Nothing
/// found (the plugin already ended, or `/proc` is not readable) is not an
/// error: this only tidies up before rootlock reports the timeout.
pub fn stop_plugin(command: &str) -> usize {
    let table = processes();
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let roots = table
        .iter()
        .filter(|(_, p)| p.parent == me && names_command(&p.args, command))
        .map(|(pid, _)| *pid);
    let tree = with_descendants(&table, roots);
    for pid in &tree {
        signal(*pid, Signal::TERM);
    }
    let deadline = Instant::now() + GRACE;
    while tree.iter().any(|pid| running(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in tree.iter().filter(|pid| running(**pid)) {
        signal(*pid, Signal::KILL);
    }
    tree.len()
}

/// What `/proc` says of one process.
struct Process {
    parent: i32,
    args: Vec<String>,
}

fn processes() -> HashMap<i32, Process> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (parent, _) = parent_and_state(&stat)?;
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            Some((pid, Process { parent, args }))
        })
        .collect()
}

/// The parent pid and state letter of a `/proc/PID/stat` line. The command
/// name in parentheses may itself hold spaces and `)`, so the fields are
/// read after its last `)`.
fn parent_and_state(stat: &str) -> Option<(i32, char)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((parent, state))
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

/// A process that has not ended: a zombie (ended, not yet waited for by
/// kube's thread) counts as ended.
fn running(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| parent_and_state(&stat))
        .is_some_and(|(_, state)| state != 'Z' && state != 'X')
}

fn signal(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        // Already gone is the outcome wanted.
        let _ = kill_process(pid, signal);
    }
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
        assert_eq!(
            parent_and_state("4242 (a) b (c) S 17 4242 4242 0 -1"),
            Some((17, 'S'))
        );
        assert_eq!(parent_and_state("7 (sh) Z 1 7"), Some((1, 'Z')));
        assert_eq!(parent_and_state("garbage"), None);
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
                        args: Vec::new(),
                    },
                )
            })
            .collect();
        let mut tree = with_descendants(&table, [10].into_iter());
        tree.sort();
        assert_eq!(tree, vec![10, 11, 12, 14]);
    }
}
