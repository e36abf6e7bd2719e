//! `rootlock trace` (capture every write a program makes, in namespaces over
//! an overlayfs) and `rootlock logs` (read-only-file-system errors in
//! container logs) — both produce a `rootlock_policy::plan::VolumePlan`.

mod bounded_lines;
mod caller_env;
pub mod canonical;
pub mod fanotify;
mod layer_root;
pub mod logs;
mod made_up_names;
pub mod namespaces;
pub mod overlay;
pub mod plan_render;
pub mod reduce;
pub mod scratch;
pub mod seccomp;
mod shards;
pub mod tracer;
pub mod upper_size;
pub mod upper_walk;
mod verify_plan;
pub mod volume_owner;

use clap::Args;
use plan_render::Format;
use rootlock_policy::format::printable;
use rootlock_policy::plan::VolumePlan;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `rootlock trace [OPTIONS] -- CMD ARGS…`
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Run inside this unpacked image root instead of the host root.
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,
    /// Run the command as UID[:GID] (numbers, or names from the root's /etc/passwd).
    #[arg(long, value_name = "UID[:GID]")]
    pub user: Option<String>,
    /// Pass PATH through untracked, like a volume that already exists (repeatable).
    #[arg(long = "bind", value_name = "PATH")]
    pub binds: Vec<PathBuf>,
    /// Stop the command (and every process it started) after S seconds.
    /// Without it, trace waits until every process the command started has
    /// exited: a server that daemonizes (nginx by default) keeps it waiting,
    /// so run servers in the foreground (`nginx -g 'daemon off;'`) with a
    /// timeout.
    #[arg(long, value_name = "S", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// What to print on standard output: a summary, or the plan itself.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the plan to FILE (JSON for `*.json`, YAML otherwise).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
    /// Then re-run the command under a truly read-only root with only the
    /// planned paths writable, and fail (exit 1) if it still hits EROFS,
    /// exits non-zero or hangs until the timeout where the traced run did not.
    #[arg(long)]
    pub verify: bool,
    /// With --verify: check this plan file (YAML or JSON) instead of tracing first.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub plan: Option<String>,
    /// Give the command its own network namespace (loopback only) in a
    /// rootful trace of the host root too, where it otherwise shares the
    /// host's so that it reaches what it talks to. Shared, it can bind the
    /// host's ports and connect to the host's abstract Unix sockets (an X
    /// server, some daemons' control sockets); `--rootfs` and rootless
    /// traces always have their own.
    #[arg(long)]
    pub private_network: bool,
    /// Size cap of the tmpfs that holds every write (tmpfs `size=`).
    #[arg(long, value_name = "SIZE", default_value = "2g", value_parser = upper_size::parse_upper_size)]
    pub upper_size: String,
    /// The command to run, after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// `rootlock logs [FILE|-]`
#[derive(Debug, Args)]
#[command(
    after_help = "With `kubectl logs POD --all-containers --prefix --previous | rootlock logs`, each path is planned for the container whose errors named it (`container:` in the plan, which `fix --plan` honours)."
)]
pub struct LogsArgs {
    /// Log file to read; `-` or nothing reads standard input.
    // PathBuf, not String: a file name need not be UTF-8 on Linux.
    pub file: Option<PathBuf>,
    /// What to print on standard output: a summary, or the plan itself.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the plan to FILE (JSON for `*.json`, YAML otherwise).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
}

/// Runs `trace`; returns the process exit status: 0 traced (and verified),
/// 1 `--verify` found read-only-file-system errors (or the command failed
/// under it), 2 usage or setup error.
pub fn run_trace(args: &TraceArgs) -> i32 {
    match trace_main(args) {
        Ok(code) => code,
        // The reason is the line just relayed from the traced side.
        Err(e) if e.starts_with(tracer::DID_NOT_START) => {
            eprintln!("rootlock trace: the command did not start (see above); no plan was made");
            2
        }
        Err(e) if e == plan_render::BROKEN_PIPE => 2,
        // Errors quote what was given (a `--bind` or plan path, the
        // command): its control characters are shown escaped, so that an
        // escape sequence cannot drive the terminal, nor a newline forge a
        // line of its own.
        Err(e) => {
            eprintln!("rootlock trace: {}", printable(&e));
            2
        }
    }
}

/// `--timeout S`: seconds, fractions allowed. Checked by clap, so the
/// message quotes the value as it was typed (`1e300`, not its 301 digits).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    // The Duration, not the number, must be positive: below a nanosecond
    // it is zero, and stops the command at once, as `0` would.
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => match Duration::from_secs_f64(s) {
            d if d.is_zero() => Err("expected at least a nanosecond (1e-9 seconds)".to_string()),
            d => Ok(d),
        },
        _ => Err("expected a positive number of seconds, below 1000000000".to_string()),
    }
}

fn trace_main(args: &TraceArgs) -> Result<i32, String> {
    let timeout = args.timeout;
    for b in &args.binds {
        if !b.is_absolute() || !b.exists() {
            return Err(format!(
                "--bind {}: must be an existing absolute path",
                b.display()
            ));
        }
    }
    if let Some(r) = &args.rootfs
        && !r.is_dir()
    {
        return Err(format!("--rootfs {}: not a directory", r.display()));
    }
    let rootfs = match &args.rootfs {
        Some(r) => Some(
            r.canonicalize()
                .map_err(|e| format!("--rootfs {}: {e}", r.display()))?,
        ),
        None => None,
    };
    let mut opts = tracer::Options {
        rootfs,
        user: args.user.clone(),
        binds: args.binds.clone(),
        timeout,
        upper_size: args.upper_size.clone(),
        private_network: args.private_network,
        command: args.command.clone(),
        verify: None,
    };
    let human_out = args.format == Format::Text;
    let say = |s: &str| -> Result<(), String> {
        if human_out {
            plan_render::out(s)
        } else {
            eprint!("{s}");
            Ok(())
        }
    };
    let mut traced = None;
    let plan = if let Some(file) = &args.plan {
        verify_plan::read(file)?
    } else {
        let outcome = tracer::run(&opts)?;
        let source = format!("trace: {}", shell_words(&args.command));
        let mut plan = plan_for(&outcome, opts.rootfs.as_deref(), &source);
        let changed: Vec<&str> = outcome.changes.iter().map(|c| c.path.as_str()).collect();
        let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
        let from_env = caller_env::warnings(
            &changed,
            &planned,
            std::env::vars_os(),
            outcome.home.as_deref(),
        );
        plan.warnings.extend(from_env);
        say(&summary(&outcome))?;
        if args.format == Format::Text {
            say(&plan_render::to_text(&plan))?;
        } else {
            eprint!("{}", plan_render::to_text(&plan));
        }
        plan_render::emit_quiet(&plan, args.format, args.output.as_deref())?;
        traced = Some(outcome);
        plan
    };
    if !args.verify {
        return Ok(0);
    }
    opts.verify = Some(
        plan.paths
            .iter()
            .map(|p| (p.path.clone(), p.seed))
            .collect(),
    );
    let v = tracer::run(&opts)?;
    let mut text = String::from(
        "\nverify: re-ran under a read-only root with only the planned paths writable\n",
    );
    text.push_str(&exit_line(&v));
    let exit_problem = verify_exit_problem(traced.as_ref(), &v);
    let erofs_count = v.erofs_lines.len() + v.erofs_dropped;
    let code = if erofs_count == 0 && exit_problem.is_none() {
        text.push_str("verify: PASS — no read-only file system error\n");
        text.push_str(&failed_both_times(traced.as_ref(), &v).unwrap_or_default());
        0
    } else if let (true, Some(why)) = (erofs_count == 0, &exit_problem) {
        text.push_str(&format!(
            "verify: FAIL — {why}, without a read-only file system error in its output: a volume of the plan may hide files it needs, or it reports the error in its own words\n"
        ));
        let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
        for note in volume_owner::notes(&v.eperm_lines, &planned) {
            text.push_str(&note);
        }
        1
    } else {
        text.push_str(&format!(
            "verify: FAIL — {erofs_count} read-only file system error(s):\n"
        ));
        for l in v.erofs_lines.iter().take(20) {
            text.push_str(&format!("  {l}\n"));
        }
        let scan = logs::scan(&v.erofs_lines.join("\n"));
        let missing = logs::plan_from_scan(&scan, "");
        for p in &missing.paths {
            text.push_str(&format!("  still needs: {} ({})\n", p.path, p.reason));
        }
        1
    };
    say(&text)?;
    Ok(code)
}

/// The plan for a traced outcome (knowing the image, see
/// [`reduce::plan_with_image`]), with the tracer's warnings appended.
pub fn plan_for(outcome: &tracer::Outcome, rootfs: Option<&Path>, source: &str) -> VolumePlan {
    let image = rootfs.unwrap_or(Path::new("/"));
    let entries = |dir: &str| -> Option<Vec<String>> {
        let rd = std::fs::read_dir(image.join(dir.trim_start_matches('/'))).ok()?;
        Some(
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
        )
    };
    let mut plan = reduce::plan_with_image(&outcome.changes, source, &entries);
    plan.warnings.extend(outcome.warnings.iter().cloned());
    // Said in the plan too, not only in the summary: `--format yaml >
    // plan.yaml` in CI would otherwise keep the plan of a run that failed.
    if let (false, Some(code @ 1..)) = (outcome.timed_out, outcome.exit_code) {
        plan.warnings.push(format!(
            "the command exited with status {code}: a run that fails early may not have written everything a full run writes"
        ));
    }
    plan.warnings.extend(erofs_warning(
        &outcome.erofs_lines,
        outcome.erofs_lines.len() + outcome.erofs_dropped,
    ));
    plan
}

/// The traced run's root is writable, so a "Read-only file system" in the
/// program's output is a write that failed anyway (into a read-only
/// `--bind`, or a kernel interface) and left no change to plan from: the
/// plan would pass over it in silence, and the pod would fail there.
/// `count` is every such line, `lines` those kept.
fn erofs_warning(lines: &[String], count: usize) -> Option<String> {
    let first = lines.first()?;
    let scan = logs::scan(&lines.join("\n"));
    let paths: Vec<String> = logs::plan_from_scan(&scan, "")
        .paths
        .into_iter()
        .map(|p| p.path)
        .collect();
    let at = if paths.is_empty() {
        String::new()
    } else {
        format!(" (at {})", rootlock_policy::format::join_some(&paths, 20))
    };
    Some(format!(
        "the program reported {count} read-only file system error(s) while traced, first: {first:?}; those writes failed here too{at}, so they are not in this plan: add what the program needs there by hand (a read-only --bind stands for a volume the pod mounts read-only)"
    ))
}

/// Under `--verify`, why the command's exit status is itself a failure:
/// it exited non-zero where the traced run (`traced`; `None` with
/// `--plan`, where success is expected) did not, or with another status,
/// or it ran until the timeout where the traced run exited. A run stopped
/// at the timeout is how a server ends, and passes when the traced one
/// was stopped so too (or with `--plan`).
fn verify_exit_problem(
    traced: Option<&tracer::Outcome>,
    verified: &tracer::Outcome,
) -> Option<String> {
    if verified.timed_out {
        // A server ends so; a job that exited when traced hangs instead
        // (retrying a write that fails, say).
        return match traced {
            Some(t) if !t.timed_out => Some(format!(
                "the command ran until the timeout under the read-only root (when traced it exited{})",
                t.exit_code
                    .map(|c| format!(" with status {c}"))
                    .unwrap_or_default()
            )),
            _ => None,
        };
    }
    let code = verified.exit_code.filter(|&c| c != 0)?;
    let before = traced.map(|t| (t.timed_out, t.exit_code));
    if before == Some((false, Some(code))) {
        return None;
    }
    let when_traced = match before {
        None => String::new(),
        Some((true, _)) => " (when traced it ran until the timeout)".to_string(),
        Some((false, Some(c))) => format!(" (status {c} when traced)"),
        Some((false, None)) => String::new(),
    };
    Some(format!(
        "the command exited with status {code} under the read-only root{when_traced}"
    ))
}

/// Under `--verify`, the caveat of a pass whose command failed alike in
/// both runs: the read-only root changed nothing, but a run that fails
/// early (a missing setting, a service it cannot reach) stops before the
/// writes a full run makes, so the plan and the pass cover that much.
fn failed_both_times(
    traced: Option<&tracer::Outcome>,
    verified: &tracer::Outcome,
) -> Option<String> {
    let traced = traced?;
    match (
        traced.timed_out,
        traced.exit_code,
        verified.timed_out,
        verified.exit_code,
    ) {
        (false, Some(a @ 1..), false, Some(b)) if a == b => Some(format!(
            "verify: but the command exited with status {a} in both runs: it failed before the end when traced too, so the writes a full run makes may be in neither run; make it run through and trace again\n"
        )),
        _ => None,
    }
}

/// The command as a shell would show it.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| rootlock_policy::format::shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn exit_line(o: &tracer::Outcome) -> String {
    match (o.timed_out, o.exit_code) {
        (true, _) => "command: stopped at the timeout (SIGTERM, then SIGKILL after 2 s, to every process in its pid namespace)\n".into(),
        (false, Some(c)) => format!("command: exited with status {c}\n"),
        (false, None) => "command: exit status unknown\n".into(),
    }
}

/// The human list of changes.
fn summary(o: &tracer::Outcome) -> String {
    let mut s = exit_line(o);
    if o.rootless {
        s.push_str("mode: rootless (user namespace)\n");
    }
    // Those folded into another (past `reduce::LISTED_PER_DIR` in one
    // directory) count too: 300,000 files written are not "1,001 changes".
    let total = o
        .changes
        .iter()
        .fold(0u64, |n, c| n.saturating_add(1).saturating_add(c.folded));
    s.push_str(&match total {
        0 => "no changes captured\n".to_string(),
        1 => "1 change captured:\n".to_string(),
        n => format!("{n} changes captured:\n"),
    });
    const SHOWN: usize = 40;
    for c in o.changes.iter().take(SHOWN) {
        let slash = if c.is_dir { "/" } else { "" };
        let note = if c.note.is_empty() {
            String::new()
        } else {
            format!("  ({})", c.note)
        };
        // A name is the traced program's choice: a newline in it would
        // forge a line of this summary, an escape sequence drive the
        // terminal.
        s.push_str(&format!(
            "  {:<10} {}{slash}{}\n",
            c.kind.as_str(),
            printable(&c.path),
            printable(&note)
        ));
    }
    let shown = o.changes.len().min(SHOWN) as u64;
    if total > shown {
        s.push_str(&format!("  … and {} more\n", total - shown));
    }
    s
}

/// Runs `logs`; returns the process exit status: 0 with or without findings,
/// 2 when the input cannot be read or the plan cannot be written.
pub fn run_logs(args: &LogsArgs) -> i32 {
    // Read as a stream, a line at a time (see `logs::scan_reader`): the
    // input may be endless (`kubectl logs -f … | rootlock logs -`).
    let file = args.file.as_deref().filter(|f| f.as_os_str() != "-");
    let (name, scanned) = match file {
        None => ("-".to_string(), logs::scan_reader(std::io::stdin().lock())),
        Some(file) => match std::fs::File::open(file) {
            Ok(f) => (
                file.display().to_string(),
                logs::scan_reader(std::io::BufReader::with_capacity(64 * 1024, f)),
            ),
            Err(e) => {
                eprintln!("rootlock logs: cannot read {}: {e}", file.display());
                return 2;
            }
        },
    };
    let scan = match scanned {
        Ok(s) => s,
        Err(e) if name == "-" => {
            eprintln!("rootlock logs: cannot read standard input: {e}");
            return 2;
        }
        Err(e) => {
            eprintln!("rootlock logs: cannot read {name}: {e}");
            return 2;
        }
    };
    let plan = logs::plan_from_scan(&scan, &format!("logs: {name}"));
    match plan_render::emit(&plan, args.format, args.output.as_deref()) {
        Ok(()) => {}
        Err(e) if e == plan_render::BROKEN_PIPE => return 2,
        Err(e) => {
            eprintln!("rootlock logs: {e}");
            return 2;
        }
    }
    0
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn the_change_count_reads_as_english() {
        let mut o = tracer::Outcome {
            exit_code: Some(0),
            ..Default::default()
        };
        assert!(
            summary(&o).ends_with("\nno changes captured\n"),
            "{}",
            summary(&o)
        );
        let change = reduce::Change::at("/tmp/x".into(), reduce::ChangeKind::Created);
        o.changes.push(change.clone());
        assert!(
            summary(&o).contains("\n1 change captured:\n  created    /tmp/x\n"),
            "{}",
            summary(&o)
        );
        o.changes.push(change.clone());
        assert!(
            summary(&o).contains("\n2 changes captured:\n"),
            "{}",
            summary(&o)
        );
        // Changes folded into one (many files in one directory) count.
        o.changes[1].folded = 299_998;
        o.changes.extend(std::iter::repeat_n(change, 40));
        let s = summary(&o);
        assert!(s.contains("\n300040 changes captured:\n"), "{s}");
        assert!(s.ends_with("\n  … and 300000 more\n"), "{s}");
    }

    /// Under `--verify` the command's exit status counts, not only EROFS
    /// text: a program that fails under the read-only root without saying
    /// "Read-only file system" (its script hidden by a volume, an error
    /// message of its own) is not a pass.
    #[test]
    fn verify_fails_when_the_command_fails_differently_than_traced() {
        let run = |timed_out, exit_code| tracer::Outcome {
            timed_out,
            exit_code,
            ..Default::default()
        };
        let traced_ok = Some(run(false, Some(0)));
        let server = Some(run(true, Some(143)));
        let traced_3 = Some(run(false, Some(3)));
        // Passes: same success, a server stopped at the timeout, the same
        // failure as when traced (already a warning in the plan).
        assert_eq!(
            verify_exit_problem(traced_ok.as_ref(), &run(false, Some(0))),
            None
        );
        assert_eq!(
            verify_exit_problem(server.as_ref(), &run(true, Some(143))),
            None
        );
        assert_eq!(
            verify_exit_problem(traced_3.as_ref(), &run(false, Some(3))),
            None
        );
        assert_eq!(verify_exit_problem(None, &run(false, Some(0))), None);
        // The same failure passes, but the pass says the run failed both
        // times; a success or a server's timeout says nothing more.
        let caveat = failed_both_times(traced_3.as_ref(), &run(false, Some(3)));
        assert!(
            caveat
                .as_deref()
                .is_some_and(|c| c.contains("exited with status 3 in both runs")),
            "{caveat:?}"
        );
        for (traced, verified) in [
            (traced_ok.as_ref(), run(false, Some(0))),
            (server.as_ref(), run(true, Some(143))),
            (None, run(false, Some(0))),
        ] {
            assert_eq!(failed_both_times(traced, &verified), None);
        }
        // Fails: exited non-zero where the traced run did not.
        for (traced, verified) in [
            (traced_ok.as_ref(), run(false, Some(2))),
            (server.as_ref(), run(false, Some(1))),
            (traced_3.as_ref(), run(false, Some(4))),
            (None, run(false, Some(127))),
        ] {
            let why = verify_exit_problem(traced, &verified);
            assert!(
                why.as_deref()
                    .is_some_and(|w| w.contains("exited with status")),
                "{why:?}"
            );
        }
        // Fails: a job that finished when traced runs until the timeout
        // under the read-only root (retrying a write that fails).
        let why = verify_exit_problem(traced_ok.as_ref(), &run(true, Some(143)));
        assert!(
            why.as_deref().is_some_and(|w| w.contains("timeout")),
            "{why:?}"
        );
    }

    #[test]
    fn a_change_is_one_line_whatever_its_name() {
        let mut o = tracer::Outcome {
            exit_code: Some(0),
            ..Default::default()
        };
        o.changes.push(reduce::Change::at(
            "/tmp/a\n  created    /etc/fake\u{1b}[2K".into(),
            reduce::ChangeKind::Created,
        ));
        let s = summary(&o);
        assert_eq!(s.lines().count(), 3, "{s}");
        assert!(
            s.contains("/tmp/a\\u{a}  created    /etc/fake\\u{1b}[2K\n"),
            "{s}"
        );
    }

    /// `trace --verify --plan` with a path `fix --plan` refuses: a usage
    /// error (exit 2), before anything runs.
    #[test]
    fn verify_of_a_plan_with_a_kernel_path_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.yaml");
        std::fs::write(
            &plan,
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /proc/sys\n  medium: memory\n",
        )
        .unwrap();
        let marker = dir.path().join("ran");
        let args = TraceArgs {
            rootfs: None,
            user: None,
            binds: Vec::new(),
            timeout: None,
            format: Format::Text,
            output: None,
            verify: true,
            plan: Some(plan.to_string_lossy().into_owned()),
            private_network: false,
            upper_size: "16m".into(),
            command: vec!["touch".into(), marker.to_string_lossy().into_owned()],
        };
        assert_eq!(run_trace(&args), 2);
        assert!(!marker.exists(), "the command ran");
    }

    #[test]
    fn timeouts_are_positive_seconds_below_a_billion() {
        assert_eq!(parse_timeout("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout("1e3"), Ok(Duration::from_secs(1000)));
        for bad in ["0", "-1", "1e300", "1e9", "inf", "NaN", "", "5s"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        // Positive, but less than a nanosecond: a zero Duration, which
        // would stop the command at once, as "0" would.
        for tiny in ["1e-10", "0.0000000001", "4.9e-324"] {
            assert!(parse_timeout(tiny).is_err(), "{tiny}");
        }
        assert_eq!(parse_timeout("1e-9"), Ok(Duration::from_nanos(1)));
    }

    #[test]
    fn read_only_errors_of_the_traced_run_are_a_warning_in_the_plan() {
        let mut o = tracer::Outcome::default();
        assert!(plan_for(&o, None, "test").warnings.is_empty());
        o.erofs_lines = vec![
            "touch: cannot touch '/srv/ro/x': Read-only file system".into(),
            "touch: cannot touch '/srv/ro/y': Read-only file system".into(),
        ];
        let plan = plan_for(&o, None, "test");
        assert!(plan.paths.is_empty(), "{:?}", plan.paths);
        assert_eq!(
            plan.warnings,
            [
                "the program reported 2 read-only file system error(s) while traced, first: \"touch: cannot touch '/srv/ro/x': Read-only file system\"; those writes failed here too (at /srv/ro), so they are not in this plan: add what the program needs there by hand (a read-only --bind stands for a volume the pod mounts read-only)"
            ]
        );
    }

    #[test]
    fn a_failed_command_is_a_warning_in_the_plan_itself() {
        let warned = |timed_out, exit_code| {
            let o = tracer::Outcome {
                timed_out,
                exit_code,
                ..Default::default()
            };
            plan_for(&o, None, "test")
                .warnings
                .iter()
                .any(|w| w.starts_with("the command exited with status"))
        };
        assert!(warned(false, Some(3)));
        assert!(warned(false, Some(137)));
        // Success, and a server stopped at the timeout, are how runs end.
        assert!(!warned(false, Some(0)));
        assert!(!warned(true, Some(143)));
    }
}
