//! `rootlock trace` on real programs in real namespaces. As root (CI) these
//! run for real; elsewhere they print why they are skipped.
//!
//! The tracer forks its own processes, so the library entry points are
//! called in-process; the tests are serialised because each one builds
//! namespaces and overlays.

use rootlock_policy::plan::{Medium, VolumePlan};
use rootlock_trace::reduce::{Change, ChangeKind};
use rootlock_trace::tracer::{self, Options, Outcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn is_root() -> bool {
    // SAFETY: trivial getter.
    unsafe { libc::geteuid() == 0 }
}

fn skip_unless_root(test: &str) -> bool {
    if !is_root() {
        eprintln!(
            "SKIP {test}: needs root (mount namespaces, overlayfs on the host root); CI runs as root"
        );
        return true;
    }
    false
}

fn opts(cmd: &[&str], timeout: Option<f64>) -> Options {
    Options {
        rootfs: None,
        user: None,
        binds: Vec::new(),
        timeout: timeout.map(Duration::from_secs_f64),
        upper_size: "1g".into(),
        private_network: false,
        command: cmd.iter().map(|s| s.to_string()).collect(),
        verify: None,
    }
}

fn find(changes: &[Change], path: &str) -> Vec<ChangeKind> {
    changes
        .iter()
        .filter(|c| c.path == path)
        .map(|c| c.kind)
        .collect()
}

/// Content (or listing) and metadata of every sentinel, recursively.
fn snapshot(paths: &[&Path]) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut stack: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            out.insert(p, "absent".into());
            continue;
        };
        let mut desc = format!(
            "mode={:o} uid={} size={} mtime={}.{}",
            m.mode(),
            m.uid(),
            m.size(),
            m.mtime(),
            m.mtime_nsec()
        );
        if m.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                let mut names: Vec<String> = rd
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                desc.push_str(&format!(" entries={names:?}"));
                stack.extend(names.iter().map(|n| p.join(n)));
            }
        } else if m.is_file() {
            desc.push_str(&format!(
                " content={:?}",
                std::fs::read(&p).unwrap_or_default()
            ));
        }
        out.insert(p, desc);
    }
    out
}

fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// python3, when running as root with it installed; otherwise `None`,
/// after saying why `test` is skipped (or failing in CI).
fn root_and_python(test: &str) -> Option<&'static str> {
    if skip_unless_root(test) {
        return None;
    }
    let py = python();
    require_or_skip("python3", py.is_some(), test);
    py
}

fn require_or_skip(what: &str, found: bool, test: &str) -> bool {
    if found {
        return false;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {what} is missing in CI (.ci/install-deps installs it)");
    }
    eprintln!("SKIP {test}: {what} is not installed (apt-get install it; .ci/install-deps does)");
    true
}

#[test]
fn python_script_events_are_classified_and_the_host_is_unchanged() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "python_script";
    let Some(py) = root_and_python(test) else {
        return;
    };
    let id = std::process::id();
    // The fixture has an untouched sibling: were it alone in its parent, the
    // plan would rightly lift the volume to the parent (as it did when
    // /var/tmp held nothing else), and the plan asserted below would move.
    let base = PathBuf::from(format!("/var/tmp/rootlock-test-{id}"));
    let fixture = base.join("fixture");
    let _ = std::fs::remove_dir_all(&base);
    let _cleanup = RemoveOnDrop(base.clone());
    std::fs::create_dir_all(fixture.join("olddir")).unwrap();
    std::fs::write(base.join("untouched"), b"sibling").unwrap();
    std::fs::write(fixture.join("olddir/keep.txt"), b"keep").unwrap();
    std::fs::write(fixture.join("image.txt"), b"image content").unwrap();
    let cache = PathBuf::from(format!("/root/.cache/rootlock-test-{id}"));
    let tmp_file = PathBuf::from(format!("/tmp/rootlock-test-{id}.txt"));
    let script = format!(
        r#"
import os, tempfile
open("{tmp}", "w").write("hello")
os.makedirs("{cache}/sub", exist_ok=True)
open("{cache}/sub/f", "w").write("cached")
fd, name = tempfile.mkstemp(dir="{fx}")
os.write(fd, b"x"); os.close(fd); os.remove(name)
os.rename("{fx}/olddir", "{fx}/newdir")
os.remove("{fx}/image.txt")
"#,
        tmp = tmp_file.display(),
        cache = cache.display(),
        fx = fixture.display()
    );
    let sentinels = [
        fixture.as_path(),
        Path::new("/etc/hostname"),
        Path::new("/etc/nginx"),
    ];
    let before = snapshot(&sentinels);
    let out = tracer::run(&opts(&["env", "HOME=/root", py, "-c", &script], Some(30.0))).unwrap();
    let after = snapshot(&sentinels);
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let fx = fixture.display();
    let c = &out.changes;
    assert_eq!(
        find(c, &tmp_file.to_string_lossy()),
        [ChangeKind::Created],
        "{c:#?}"
    );
    // ~/.cache may or may not exist on the host: the topmost created directory is reported.
    let created_cache = c.iter().any(|x| {
        x.kind == ChangeKind::Created
            && x.is_dir
            && (x.path == cache.to_string_lossy() || x.path == "/root/.cache")
    });
    assert!(created_cache, "{c:#?}");
    assert_eq!(
        find(c, &format!("{fx}/image.txt")),
        [ChangeKind::Deleted],
        "{c:#?}"
    );
    assert_eq!(
        find(c, &format!("{fx}/olddir")),
        [ChangeKind::Deleted],
        "{c:#?}"
    );
    let renamed = c
        .iter()
        .find(|x| x.path == format!("{fx}/newdir"))
        .expect("newdir reported");
    assert_eq!(renamed.kind, ChangeKind::Created);
    assert!(
        renamed.note.contains(&format!("renamed from {fx}/olddir")),
        "{renamed:?}"
    );
    let transient: Vec<&Change> = c
        .iter()
        .filter(|x| x.kind == ChangeKind::Transient && x.path.starts_with(&format!("{fx}/tmp")))
        .collect();
    assert_eq!(transient.len(), 1, "the mkstemp file is transient: {c:#?}");
    let plan = rootlock_trace::plan_for(&out, None, "test");
    let paths: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"/tmp"), "{paths:?}");
    let fx_plan = plan
        .paths
        .iter()
        .find(|p| p.path == fixture.to_string_lossy())
        .expect("fixture dir planned");
    assert!(fx_plan.seed, "deleting image content seeds: {fx_plan:?}");
    // Byte for byte: nothing changed on the host.
    assert_eq!(before, after, "the host changed");
    assert!(!tmp_file.exists() && !cache.exists());
}

fn verify(paths: &[(&str, bool)]) -> Outcome {
    let mut o = opts(&["nginx", "-g", "daemon off;"], Some(1.0));
    o.verify = Some(paths.iter().map(|(p, s)| (p.to_string(), *s)).collect());
    tracer::run(&o).unwrap()
}

#[test]
fn nginx_plan_and_verify() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "nginx";
    if skip_unless_root(test) {
        return;
    }
    if require_or_skip("nginx", Path::new("/usr/sbin/nginx").exists(), test) {
        return;
    }
    let sentinels = [
        Path::new("/var/log/nginx"),
        Path::new("/var/lib/nginx"),
        Path::new("/etc/nginx"),
    ];
    let before = snapshot(&sentinels);
    let run_dir_before = std::fs::read_dir("/run").unwrap().count();
    // Host root as the lower layer: no debootstrap (55 s and a mirror) needed.
    let out = tracer::run(&opts(&["nginx", "-g", "daemon off;"], Some(1.0))).unwrap();
    assert!(out.timed_out, "nginx runs until the timeout: {out:?}");
    assert_eq!(
        find(&out.changes, "/run/nginx.pid"),
        [ChangeKind::Transient],
        "{:#?}",
        out.changes
    );
    let plan: VolumePlan = rootlock_trace::plan_for(&out, None, "trace: nginx");
    let get = |p: &str| plan.paths.iter().find(|x| x.path == p).cloned();
    let run = get("/run").expect("/run planned");
    assert!(run.reason.contains("transient /run/nginx.pid"), "{run:?}");
    assert!(get("/var/lib/nginx").is_some(), "{plan:#?}");
    let log = get("/var/log/nginx").expect("/var/log/nginx planned");
    assert!(log.seed, "existing logs are flagged: {log:?}");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("/var/log/nginx:") && w.contains("init container"))
    );
    assert_eq!(snapshot(&sentinels), before, "the host changed");
    assert_eq!(std::fs::read_dir("/run").unwrap().count(), run_dir_before);

    let all: Vec<(&str, bool)> = plan
        .paths
        .iter()
        .map(|p| (p.path.as_str(), p.seed))
        .collect();
    let ok = verify(&all);
    assert!(
        ok.erofs_lines.is_empty(),
        "verify with the whole plan passes: {:?}",
        ok.erofs_lines
    );
    for missing in ["/run", "/var/lib/nginx", "/var/log/nginx"] {
        let fewer: Vec<(&str, bool)> = all.iter().copied().filter(|(p, _)| *p != missing).collect();
        let v = verify(&fewer);
        assert!(
            v.erofs_lines
                .iter()
                .any(|l| l.contains("Read-only file system")),
            "without {missing} verify must fail: {v:?}"
        );
    }
    assert_eq!(
        snapshot(&sentinels),
        before,
        "the host changed during verify"
    );
}

/// A temp directory the program keeps (Python's `tempfile.mkdtemp`) has
/// a made-up name the next run will not ask for: the plan is the
/// directory it was made in, and that plan verifies (a volume at the
/// made-up name failed the next run's mkdtemp with EROFS).
#[test]
fn a_kept_temp_directory_plans_where_it_was_made() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "kept_temp_directory";
    let Some(py) = root_and_python(test) else {
        return;
    };
    let script = "import tempfile, os; d = tempfile.mkdtemp(dir='/var/tmp'); open(os.path.join(d, 'x'), 'w').write('1')";
    let traced = tracer::run(&opts(&[py, "-c", script], Some(30.0))).unwrap();
    assert_eq!(traced.exit_code, Some(0), "{traced:?}");
    let plan = rootlock_trace::plan_for(&traced, None, "trace: mkdtemp");
    let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(planned, ["/var/tmp"], "{plan:#?}");
    let mut o = opts(&[py, "-c", script], Some(30.0));
    o.verify = Some(vec![("/var/tmp".to_string(), false)]);
    let verified = tracer::run(&o).unwrap();
    assert_eq!(verified.exit_code, Some(0), "{verified:?}");
    assert!(verified.erofs_lines.is_empty(), "{verified:?}");
}

/// Perl's `File::Temp::tempdir` makes ten random letters, digits and `_`
/// (`/var/tmp/QqQIfSKtAF`), no prefix that says "temporary": the
/// directory's mode (0700, as every temp function makes one) does, and
/// the plan is the directory it was made in. A volume at the made-up name
/// failed the next run ("Error in tempdir() … Read-only file system").
/// Seeded (`srand`) so that the traced name is always the same; verified
/// with a new random one, as the next run makes it.
#[test]
fn a_kept_perl_temp_directory_plans_where_it_was_made() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "kept_perl_temp_directory";
    if skip_unless_root(test) {
        return;
    }
    if require_or_skip("perl", Path::new("/usr/bin/perl").exists(), test) {
        return;
    }
    // Not alone in its directory: a directory that is all its parent holds
    // is lifted to the parent whatever its name.
    let (base, _cleanup) = image_dir("perl-tempdir", &["other"], &["other/keep"]);
    let script = |seed: &str| {
        format!(
            r#"use File::Temp qw(tempdir); {seed} my $d = tempdir(DIR => "{}"); open(my $f, ">", "$d/x") or die "$d/x: $!"; print "$d\n";"#,
            base.display()
        )
    };
    let seeded = script("srand(7);");
    let traced = tracer::run(&opts(&["perl", "-e", &seeded], Some(30.0))).unwrap();
    assert_eq!(traced.exit_code, Some(0), "{traced:?}");
    let plan = rootlock_trace::plan_for(&traced, None, "trace: tempdir");
    let [volume] = plan.paths.as_slice() else {
        panic!("one volume: {plan:#?}");
    };
    assert!(
        base.starts_with(&volume.path),
        "the directory tempdir made its name in, or above: {plan:#?}"
    );
    let random = script("");
    let mut o = opts(&["perl", "-e", &random], Some(30.0));
    o.verify = Some(vec![(volume.path.clone(), volume.seed)]);
    let verified = tracer::run(&o).unwrap();
    assert_eq!(verified.exit_code, Some(0), "{verified:?}");
    assert!(verified.erofs_lines.is_empty(), "{verified:?}");
}

/// PostgreSQL's `initdb`, run as `postgres`, makes its data directory
/// and sets its mode. Traced, that directory is planned as a volume;
/// verified, the volume's directory is root's (as in Kubernetes), initdb
/// cannot set its mode and exits 1 with EPERM and no EROFS, which verify
/// explains by naming the directory. With the data directory one level
/// down, inside the volume (the advice), the same plan passes.
#[test]
fn postgres_initdb_needs_a_directory_of_its_own_inside_its_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "postgres_initdb";
    if skip_unless_root(test) {
        return;
    }
    let initdb = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|v| v.path().join("bin/initdb"))
        .find(|p| p.exists());
    if require_or_skip("postgresql (initdb)", initdb.is_some(), test) {
        return;
    }
    let initdb = initdb.unwrap();
    let initdb = initdb.to_str().unwrap();
    let run = |data: &str, verify: Option<Vec<(String, bool)>>| {
        let mut o = opts(&[initdb, "-D", data], Some(60.0));
        o.user = Some("postgres".into());
        o.verify = verify;
        tracer::run(&o).unwrap()
    };
    let data = "/var/lib/postgresql/data";
    let traced = run(data, None);
    assert_eq!(traced.exit_code, Some(0), "{traced:?}");
    let plan = rootlock_trace::plan_for(&traced, None, "trace: initdb");
    let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(planned, [data], "{plan:#?}");
    let volumes = || Some(vec![(data.to_string(), false)]);

    let verified = run(data, volumes());
    assert_eq!(verified.exit_code, Some(1), "{verified:?}");
    assert!(verified.erofs_lines.is_empty(), "{verified:?}");
    let notes = rootlock_trace::volume_owner::notes(&verified.eperm_lines, &planned);
    assert_eq!(notes.len(), 1, "{:?}", verified.eperm_lines);
    assert!(
        notes[0].contains("could not change permissions of directory \"/var/lib/postgresql/data\": Operation not permitted"),
        "{notes:?}"
    );
    assert!(notes[0].contains("PGDATA=/var/lib/postgresql/data/pgdata"));

    let inside = run("/var/lib/postgresql/data/pgdata", volumes());
    assert_eq!(inside.exit_code, Some(0), "{inside:?}");
    assert!(inside.erofs_lines.is_empty() && inside.eperm_lines.is_empty());
    assert!(
        !Path::new(data).exists(),
        "the host's {data} was left alone"
    );
}

#[test]
fn waits_for_daemons_and_kills_them_at_the_timeout() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("daemons") {
        return;
    }
    let t0 = Instant::now();
    // The command exits at once, leaving a daemon that ignores SIGTERM.
    let out = tracer::run(&opts(
        &["sh", "-c", "(trap '' TERM; sleep 60) & echo started"],
        Some(0.5),
    ))
    .unwrap();
    assert!(out.timed_out, "{out:?}");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    let quick = tracer::run(&opts(&["sh", "-c", "exit 3"], Some(30.0))).unwrap();
    assert_eq!(quick.exit_code, Some(3));
    assert!(!quick.timed_out);
}

#[test]
fn a_program_traced_as_root_cannot_change_the_host() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("host-safety") {
        return;
    }
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let before = (
        read("/proc/sys/vm/swappiness"),
        read("/proc/sys/kernel/hostname"),
    );
    // A descriptor the caller leaks (no close-on-exec), to a host directory.
    let dir = std::fs::File::open("/").unwrap();
    // SAFETY: duplicating a descriptor we own; closed below.
    let leaked = unsafe { libc::dup(std::os::fd::AsRawFd::as_raw_fd(&dir)) };
    assert!(leaked > 2);
    // Each escape that works exits with its own status. The bounding set
    // is a container's default less NET_RAW (bit 13), as this trace shares
    // the host's network namespace.
    let script = format!(
        "echo 17 > /proc/sys/vm/swappiness 2>/dev/null && exit 10; \
         hostname rootlock-escaped 2>/dev/null && exit 11; \
         [ -e /proc/self/fd/{leaked} ] && exit 12; \
         mknod /tmp/disk b 254 0 2>/dev/null && head -c1 /tmp/disk >/dev/null 2>&1 && exit 13; \
         mkdir -p /tmp/m && mount -t tmpfs x /tmp/m 2>/dev/null && exit 14; \
         grep -q 'CapBnd:.00000000a80405fb' /proc/self/status || exit 15; \
         exit 0"
    );
    let out = tracer::run(&opts(&["sh", "-c", &script], Some(30.0))).unwrap();
    // SAFETY: closing the descriptor duplicated above.
    unsafe { libc::close(leaked) };
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let after = (
        read("/proc/sys/vm/swappiness"),
        read("/proc/sys/kernel/hostname"),
    );
    assert_eq!(before, after, "the host changed");
}

/// `trace --verify` end to end: the command's script is in /tmp, which the
/// plan makes an emptyDir (as a pod's would be), so under the read-only
/// root it cannot even start. It printed no "Read-only file system", and
/// verify said PASS with the command's exit status 127 shown above it.
#[test]
fn verify_fails_when_the_command_fails_under_the_read_only_root() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-exit") {
        return;
    }
    let script = PathBuf::from(format!(
        "/tmp/rootlock-verify-exit-{}.sh",
        std::process::id()
    ));
    std::fs::write(&script, "echo x > /tmp/rootlock-verify-written\n").unwrap();
    let _cleanup = RemoveOnDrop(script.clone());
    let args = rootlock_trace::TraceArgs {
        rootfs: None,
        user: None,
        binds: Vec::new(),
        timeout: Some(std::time::Duration::from_secs(30)),
        format: rootlock_trace::plan_render::Format::Json,
        output: None,
        verify: true,
        plan: None,
        private_network: false,
        upper_size: "1g".into(),
        command: vec!["sh".into(), script.to_string_lossy().into_owned()],
    };
    assert_eq!(rootlock_trace::run_trace(&args), 1);
    // The same program with its script where the plan keeps it: passes.
    let kept = PathBuf::from(format!(
        "/var/tmp/rootlock-verify-exit-{}.sh",
        std::process::id()
    ));
    std::fs::write(&kept, "echo x > /tmp/rootlock-verify-written\n").unwrap();
    let _cleanup_kept = RemoveOnDrop(kept.clone());
    let args = rootlock_trace::TraceArgs {
        command: vec!["sh".into(), kept.to_string_lossy().into_owned()],
        ..args
    };
    assert_eq!(rootlock_trace::run_trace(&args), 0);
}

/// Verify reads the program's whole output for read-only-file-system
/// errors, not only its first 8 MiB: a chatty server at debug level
/// reports the EROFS of its first request long after startup. (Nor does
/// it keep all of it: the output is read a line at a time.)
#[test]
fn verify_finds_an_erofs_error_after_much_output() {
    // The 10 MiB are relayed to standard error: run as a helper whose
    // standard error goes nowhere, not into the test log.
    if std::env::var_os(LONG_OUTPUT_HELPER).is_none() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        if skip_unless_root("verify-long-output") {
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "verify_finds_an_erofs_error_after_much_output",
                "--nocapture",
            ])
            .env(LONG_OUTPUT_HELPER, "1")
            .stderr(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        return;
    }
    // 10 MiB of 100-byte lines, then an error the program survives.
    let script = "i=0; line=$(printf '%099d' 0); \
                  while [ $i -lt 1024 ]; do j=0; \
                  while [ $j -lt 100 ]; do echo $line; j=$((j+1)); done; i=$((i+1)); done; \
                  (echo x > /etc/rootlock-late) 2>&1; exit 0";
    let mut o = opts(&["sh", "-c", script], Some(120.0));
    o.verify = Some(Vec::new());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{:?}", out.warnings);
    let found = out
        .erofs_lines
        .iter()
        .any(|l| l.contains("/etc/rootlock-late"));
    // Printed: this runs with standard error discarded.
    println!("erofs lines: {:?}", out.erofs_lines);
    assert!(found, "{:?}", out.erofs_lines);
}

const LONG_OUTPUT_HELPER: &str = "ROOTLOCK_TEST_LONG_OUTPUT_HELPER";

/// Verify also reads the logs the program wrote to its volumes: a log
/// over 1 MiB was skipped whole, with the EROFS error at its end.
#[test]
fn verify_reads_a_large_log_written_to_a_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-large-log") {
        return;
    }
    let vol = format!("/var/tmp/rootlock-verify-log-{}", std::process::id());
    let _cleanup = RemoveOnDrop(PathBuf::from(&vol));
    // 2 MiB of 100-byte lines, then the error, all in the volume's log.
    let script = format!(
        "exec >> {vol}/app.log 2>&1; i=0; line=$(printf '%099d' 0); \
         while [ $i -lt 20480 ]; do echo $line; i=$((i+1)); done; \
         (echo x > /etc/rootlock-late); exit 0"
    );
    let mut o = opts(&["sh", "-c", &script], Some(120.0));
    o.verify = Some(vec![(vol.clone(), false)]);
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{:?}", out.warnings);
    assert!(
        out.erofs_lines
            .iter()
            .any(|l| l.starts_with(&format!("{vol}/app.log: ")) && l.contains("/etc/rootlock-late")),
        "{:?}",
        out.erofs_lines
    );
}

/// A plan path that names `/` in other words (`/var/..`, `/.`, a symlink
/// to `/`) passed the plan's check (`"/"` only) and made the whole root
/// writable under verify: a seeded one an overlay of all of it, so verify
/// passed whatever the program wrote. Refused like `/` itself.
#[test]
fn verify_refuses_a_plan_path_that_resolves_to_the_root() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-root-path") {
        return;
    }
    for (path, seed) in [("/var/..", true), ("/.", false)] {
        let mut o = opts(
            &["sh", "-c", "echo x > /etc/rootlock-verify-root"],
            Some(30.0),
        );
        o.verify = Some(vec![(path.to_string(), seed)]);
        let e = tracer::run(&o).unwrap_err();
        assert!(e.contains(path), "{path}: {e}");
    }
}

/// A plan path that is a symlink in the traced root to a path a plan may
/// not hold (`/var/tmp/x -> /etc`): the runtime follows it inside the
/// root too, so the volume would be mounted over `/etc`. Refused as the
/// path itself would be, not verified.
#[test]
fn verify_refuses_a_plan_path_that_resolves_to_a_system_path() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-system-symlink") {
        return;
    }
    let link = PathBuf::from(format!("/var/tmp/rootlock-to-etc-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let _cleanup = RemoveOnDrop(link.clone());
    let mut o = opts(&["sh", "-c", "echo x > /etc/rootlock-verify"], Some(30.0));
    o.verify = Some(vec![(link.to_string_lossy().into_owned(), false)]);
    let e = tracer::run(&o).map(|v| v.exit_code).unwrap_err();
    assert!(
        e.contains(&format!("{}: resolves to /etc", link.display())) && e.contains("system path"),
        "{e}"
    );
}

#[test]
fn verify_paths_stay_inside_the_traced_root() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-paths") {
        return;
    }
    let escape = PathBuf::from(format!("/var/tmp/rootlock-escape-{}", std::process::id()));
    let mut o = opts(
        &["sh", "-c", "echo x > /run/rootlock-verify-probe/f"],
        Some(30.0),
    );
    // `..` climbing out, and a path through the host's `/var/run -> /run`.
    o.verify = Some(vec![
        (format!("/../../..{}", escape.display()), false),
        ("/var/run/rootlock-verify-probe".into(), false),
    ]);
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    assert!(out.erofs_lines.is_empty(), "{out:?}");
    assert!(!escape.exists(), "created on the host");
    assert!(
        !Path::new("/run/rootlock-verify-probe").exists(),
        "created on the host"
    );
}

#[test]
fn a_command_that_cannot_start_is_an_error_not_an_empty_plan() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("not-started") {
        return;
    }
    let e = tracer::run(&opts(&["/nonexistent/program"], Some(30.0))).unwrap_err();
    assert!(
        e.contains("the command did not start: cannot execute"),
        "{e}"
    );
    // A program of its own that exits 127 is traced as usual.
    let out = tracer::run(&opts(&["sh", "-c", "exit 127"], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(127));
    // Also when its output looks like rootlock's own: what it prints is
    // not how the tracer learns that the command started. (It was: exit
    // 125-127 plus a line beginning `rootlock trace: ` discarded the
    // plan of a program that ran and wrote.)
    for code in [125, 126, 127] {
        let script = format!(
            "echo x > /tmp/rootlock-ran; echo 'rootlock trace: cannot execute the command'; exit {code}"
        );
        let out = tracer::run(&opts(&["sh", "-c", &script], Some(30.0)))
            .unwrap_or_else(|e| panic!("exit {code}: {e}"));
        assert_eq!(out.exit_code, Some(code));
        assert_eq!(
            find(&out.changes, "/tmp/rootlock-ran"),
            [ChangeKind::Created]
        );
    }
    // And a --user that cannot be switched to is still "did not start".
    let mut o = opts(&["true"], Some(30.0));
    o.user = Some("4294967295".into());
    let e = tracer::run(&o).unwrap_err();
    assert!(e.starts_with(tracer::DID_NOT_START), "{e}");
}

#[test]
fn bind_passes_a_path_through_untracked() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("bind") {
        return;
    }
    let vol = PathBuf::from(format!("/var/tmp/rootlock-vol-{}", std::process::id()));
    std::fs::create_dir_all(&vol).unwrap();
    let _cleanup = RemoveOnDrop(vol.clone());
    let mut o = opts(
        &["sh", "-c", &format!("echo v > {}/written", vol.display())],
        Some(30.0),
    );
    o.binds.push(vol.clone());
    let out = tracer::run(&o).unwrap();
    assert!(
        out.changes
            .iter()
            .all(|c| !c.path.starts_with(&*vol.to_string_lossy())),
        "{:?}",
        out.changes
    );
    assert_eq!(
        std::fs::read_to_string(vol.join("written")).unwrap(),
        "v\n",
        "a --bind path is the real one"
    );
}

/// `--bind /var/run/app` where `/var/run -> /run`: the path is bound where
/// the program finds it, inside the traced root, not where the host's
/// root would resolve the absolute link (outside it, where the program
/// never looks, so its writes were captured instead of passed through).
#[test]
fn bind_through_an_absolute_symlink_passes_the_path_through() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("bind-symlink") {
        return;
    }
    let id = std::process::id();
    let real = PathBuf::from(format!("/var/tmp/rootlock-bind-real-{id}"));
    let link = PathBuf::from(format!("/var/tmp/rootlock-bind-link-{id}"));
    let _cleanup = (RemoveOnDrop(real.clone()), RemoveOnDrop(link.clone()));
    std::fs::create_dir_all(real.join("vol")).unwrap();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let via_link = link.join("vol");
    let mut o = opts(
        &[
            "sh",
            "-c",
            &format!("echo v > {}/written", via_link.display()),
        ],
        Some(30.0),
    );
    o.binds.push(via_link);
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(
        out.changes
            .iter()
            .all(|c| !c.path.starts_with(&*real.to_string_lossy())),
        "a write to a --bind path is not captured: {:?}",
        out.changes
    );
    assert_eq!(
        std::fs::read_to_string(real.join("vol/written"))
            .ok()
            .as_deref(),
        Some("v\n"),
        "a --bind path named through a symlink is the real one"
    );
}

/// `--bind /` (or a path that resolves to it) would pass the whole host
/// root through, writable: the program then writes the host's files, sees
/// the host's /dev, and the plan says it needs nothing. A volume cannot
/// be mounted at `/`; it is a usage error, and nothing runs.
#[test]
fn bind_of_the_root_is_refused() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("bind-root") {
        return;
    }
    let probe = PathBuf::from(format!(
        "/var/tmp/rootlock-bind-root-{}",
        std::process::id()
    ));
    let _cleanup = RemoveOnDrop(probe.clone());
    for bind in ["/", "/var/.."] {
        let mut o = opts(
            &["sh", "-c", &format!("echo x > {}", probe.display())],
            Some(30.0),
        );
        o.binds.push(PathBuf::from(bind));
        let e = tracer::run(&o).unwrap_err();
        assert!(e.contains(&format!("--bind {bind}")), "{e}");
        assert!(!probe.exists(), "--bind {bind}: the program wrote the host");
    }
}

/// Rootless: re-run this test binary as an unprivileged user.
#[test]
fn rootless_mode_as_an_unprivileged_user() {
    if std::env::var_os("ROOTLOCK_ROOTLESS_CHILD").is_some() {
        let marker = std::env::var("ROOTLOCK_ROOTLESS_CHILD").unwrap_or_default();
        let out = tracer::run(&opts(
            &["sh", "-c", &format!("echo x > {marker}")],
            Some(30.0),
        ));
        match out {
            Ok(o) => println!(
                "ROOTLESS-RESULT {}",
                serde_json::to_string(&o).unwrap_or_default()
            ),
            Err(e) => println!("ROOTLESS-ERROR {e}"),
        }
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("rootless (needs root to create the test user)") {
        return;
    }
    let user = "rootlock-test";
    let exists = std::process::Command::new("id")
        .arg(user)
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        let ok = std::process::Command::new("useradd")
            .args(["--system", "--no-create-home", user])
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            eprintln!("SKIP rootless: useradd {user} failed");
            return;
        }
    }
    let exe = std::env::current_exe().unwrap();
    let marker = format!("/tmp/rootlock-rootless-{}", std::process::id());
    let child = std::process::Command::new("runuser")
        .args(["-u", user, "--"])
        .arg(&exe)
        .args([
            "--exact",
            "rootless_mode_as_an_unprivileged_user",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ROOTLOCK_ROOTLESS_CHILD", &marker)
        .env("TMPDIR", "/tmp")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    if let Some(err) = stdout
        .lines()
        .find_map(|l| l.split_once("ROOTLESS-ERROR ").map(|x| x.1))
    {
        if err.contains("unshare")
            && (err.contains("Operation not permitted") || err.contains("No space left"))
        {
            eprintln!("SKIP rootless: the kernel forbids unprivileged user namespaces here: {err}");
            return;
        }
        panic!("rootless trace failed: {err}");
    }
    let json = stdout
        .lines()
        .find_map(|l| l.split_once("ROOTLESS-RESULT ").map(|x| x.1))
        .unwrap_or_else(|| {
            panic!(
                "no result from the unprivileged run: {stdout}\n{}",
                String::from_utf8_lossy(&child.stderr)
            )
        });
    let out: Outcome = serde_json::from_str(json).unwrap();
    assert!(out.rootless);
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    assert_eq!(
        find(&out.changes, &marker),
        [ChangeKind::Created],
        "{:?}",
        out.changes
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("unprivileged trace of the host root")),
        "{:?}",
        out.warnings
    );
    assert!(!Path::new(&marker).exists(), "the host changed");
}

/// The helper of the next test: a trace that is SIGKILLed from outside.
const KILLED_HELPER: &str = "ROOTLOCK_TRACE_KILLED_HELPER";

/// SIGKILL skips rootlock's cleanup and leaves its empty scratch directory
/// /run/rootlock-trace.PID; the next trace removes it.
#[test]
fn a_killed_traces_scratch_directory_is_removed_by_the_next_trace() {
    if std::env::var_os(KILLED_HELPER).is_some() {
        let _ = tracer::run(&opts(&["sleep", "30"], Some(60.0)));
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("killed") {
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_killed_traces_scratch_directory_is_removed_by_the_next_trace",
            "--nocapture",
        ])
        .env(KILLED_HELPER, "1")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let scratch = PathBuf::from(format!("/run/rootlock-trace.{}", child.id()));
    let _cleanup = RemoveOnDrop(scratch.clone());
    let mut child = KillOnDrop(child);
    let child = &mut child.0;
    // The command runs once the tracer is set up: its scratch tmpfs is
    // mounted (in the tracer's namespace) and the sleep has started.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !scratch.is_dir() || !sleeping_under(child.id()) {
        assert!(
            Instant::now() < deadline,
            "the helper's trace did not start"
        );
        assert!(child.try_wait().unwrap().is_none(), "the helper ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .expect("SIGKILL leaves the scratch directory")
        .collect();
    assert!(left.is_empty(), "and it is empty here: {left:?}");
    let out = tracer::run(&opts(&["true"], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(
        !scratch.exists(),
        "the next trace removed {}",
        scratch.display()
    );
}

/// Kills and reaps a child when dropped (also when a test panics).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `sleep` runs among the descendants of `pid`.
fn sleeping_under(pid: u32) -> bool {
    // Children are listed per thread (the trace runs in a test's thread).
    let children = |p: u32| -> Vec<u32> {
        let tasks = std::fs::read_dir(format!("/proc/{p}/task"));
        tasks
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| {
                c.split_whitespace()
                    .filter_map(|c| c.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    };
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        if p != pid && comm.trim() == "sleep" {
            return true;
        }
        stack.extend(children(p));
    }
    false
}

/// Removes a directory (or a file) when dropped (also when a test panics).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if std::fs::remove_dir_all(&self.0).is_err() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// A fresh [`image_root`] at `/var/tmp/rootlock-rootfs-NAME-PID`, removed
/// when the returned guard drops (also when the test panics).
fn temp_image_root(name: &str) -> (PathBuf, RemoveOnDrop) {
    let rootfs = PathBuf::from(format!(
        "/var/tmp/rootlock-rootfs-{name}-{}",
        std::process::id()
    ));
    let cleanup = RemoveOnDrop(rootfs.clone());
    image_root(&rootfs);
    (rootfs, cleanup)
}

/// A minimal image root: the host's `/bin/sh` and the libraries `ldd`
/// names, copied, plus the directories and `/etc/passwd` an image has.
fn image_root(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_dir_all(dir);
    // /var/cache holds another cache and /var more than caches, so the
    // plan cannot lift the app's cache into a parent without hiding them.
    for d in [
        "bin",
        "etc",
        "tmp",
        "var/cache/app",
        "var/cache/other",
        "var/lib",
        "proc",
        "sys",
        "dev",
    ] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::set_permissions(dir.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let ldd = std::process::Command::new("ldd")
        .arg("/bin/sh")
        .output()
        .unwrap();
    let libs: Vec<String> = String::from_utf8_lossy(&ldd.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(str::to_string)
        .collect();
    assert!(!libs.is_empty(), "ldd /bin/sh named no libraries");
    for file in libs.iter().map(String::as_str).chain(["/bin/sh"]) {
        let target = dir.join(file.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(file, &target).unwrap();
    }
    std::fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/tmp:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(dir.join("etc/group"), "root:x:0:\napp:x:1000:\n").unwrap();
    // The files a runtime mounts over the image's own.
    for f in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] {
        std::fs::write(dir.join(f), "from the image\n").unwrap();
    }
    std::os::unix::fs::chown(dir.join("var/cache/app"), Some(1000), Some(1000)).unwrap();
}

/// `--bind` into an image that lacks the path: a runtime creates a
/// volume's mount point, so the bind is made (and its mount point is not
/// a write of the program's). It was "does not exist in the traced root".
#[test]
fn bind_into_an_image_without_the_mount_point() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("bind-missing-mount-point") {
        return;
    }
    let id = std::process::id();
    let (rootfs, _cleanup) = temp_image_root("bind");
    std::fs::create_dir_all(rootfs.join("var/tmp")).unwrap();
    let vol = PathBuf::from(format!("/var/tmp/rootlock-bind-vol-{id}"));
    let _cleanup_vol = RemoveOnDrop(vol.clone());
    std::fs::create_dir_all(&vol).unwrap();
    let before = snapshot(&[rootfs.as_path()]);
    let mut o = opts(
        &[
            "/bin/sh",
            "-c",
            &format!("echo v > {}/written", vol.display()),
        ],
        Some(30.0),
    );
    o.rootfs = Some(rootfs.clone());
    o.binds.push(vol.clone());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert_eq!(
        std::fs::read_to_string(vol.join("written")).ok().as_deref(),
        Some("v\n")
    );
    assert_eq!(
        before,
        snapshot(&[rootfs.as_path()]),
        "the image root changed"
    );
}

/// `--user` gets the groups a pod gets: the image's supplementary groups
/// of the user, and group 0 for a uid the image does not list (an image
/// for arbitrary uids, its directories writable by group 0). With the
/// uid as its group and no supplementary groups, these writes failed
/// with EACCES and were missing from the plan.
#[test]
fn user_runs_with_the_groups_a_runtime_gives() {
    use std::os::unix::fs::PermissionsExt;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("user-groups") {
        return;
    }
    let (rootfs, _cleanup) = temp_image_root("groups");
    std::fs::write(
        rootfs.join("etc/group"),
        "root:x:0:\napp:x:1000:\ncache:x:2000:app\n",
    )
    .unwrap();
    for (dir, gid) in [("var/cache/shared", 2000), ("var/lib/anyuid", 0)] {
        let d = rootfs.join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::os::unix::fs::chown(&d, Some(0), Some(gid)).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o775)).unwrap();
    }
    for (user, file) in [
        ("app", "/var/cache/shared/by-member"),
        ("4242", "/var/lib/anyuid/by-any-uid"),
    ] {
        let mut o = opts(&["/bin/sh", "-c", &format!("echo x > {file}")], Some(30.0));
        o.rootfs = Some(rootfs.clone());
        o.user = Some(user.into());
        let out = tracer::run(&o).unwrap();
        assert_eq!(out.exit_code, Some(0), "--user {user}: {out:?}");
        assert_eq!(find(&out.changes, file), [ChangeKind::Created], "{user}");
    }
}

/// `--user` runs the command with the user's home in the root's
/// /etc/passwd as `HOME` (`/` for a uid it does not list), as runc sets it
/// for a container, not the caller's: a cache under `~` as the caller's
/// HOME (`/root`) failed with EACCES, was planned nowhere, and the pod's
/// run hit EROFS in the user's home.
#[test]
fn user_runs_with_its_home_from_the_roots_passwd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("user-home") {
        return;
    }
    let (rootfs, _cleanup) = temp_image_root("home");
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
    )
    .unwrap();
    let home = rootfs.join("home/app");
    std::fs::create_dir_all(home.join("keep")).unwrap();
    std::os::unix::fs::chown(&home, Some(1000), Some(1000)).unwrap();
    // The image has a shell and nothing more: a history file, not a cache directory.
    let script = r#"echo x > "$HOME/.app_history""#;
    let mut o = opts(&["/bin/sh", "-c", script], Some(30.0));
    o.rootfs = Some(rootfs.clone());
    o.user = Some("app".into());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    // The outcome says which HOME the command had (for the plan's
    // warning about the caller's environment).
    assert_eq!(out.home.as_deref(), Some("/home/app"));
    let plan = rootlock_trace::plan_for(&out, None, "trace: home");
    let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(planned, ["/home/app"], "{plan:#?}");
    o.verify = Some(vec![("/home/app".to_string(), true)]);
    let verified = tracer::run(&o).unwrap();
    assert_eq!(verified.exit_code, Some(0), "{verified:?}");
    assert!(verified.erofs_lines.is_empty(), "{verified:?}");

    // A uid the image does not list: runc's default home, `/`.
    let mut o = opts(&["/bin/sh", "-c", "test \"$HOME\" = /"], Some(30.0));
    o.rootfs = Some(rootfs.clone());
    o.user = Some("4242".into());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "HOME is / for 4242: {out:?}");
}

/// Run as a user, the command can open `/dev/stdout` and `/dev/stderr`, as
/// in a pod, where runc gives the container's stdio to its user: nginx's
/// `error_log /dev/stderr` (the official image links its logs there)
/// failed with EACCES, since the output pipe was root's.
#[test]
fn a_user_can_open_its_own_stdout_and_stderr() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("user_stdio") {
        return;
    }
    let mut o = opts(
        &[
            "sh",
            "-c",
            "echo out > /dev/stdout && echo err > /dev/stderr",
        ],
        Some(30.0),
    );
    o.user = Some("65534".into());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
}

/// A `FROM scratch` image (a static binary and little else) has no /proc,
/// /dev or /sys: a runtime creates its mount points. The trace failed
/// with "mount proc on …/proc: No such file or directory", and verify
/// could not create /dev on its read-only root.
#[test]
fn rootfs_without_proc_dev_and_sys_is_traced_and_verified() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("rootfs-scratch") {
        return;
    }
    let (rootfs, _cleanup) = temp_image_root("bare");
    for d in ["proc", "dev", "sys"] {
        std::fs::remove_dir(rootfs.join(d)).unwrap();
    }
    let before = snapshot(&[rootfs.as_path()]);
    let script = "echo x > /tmp/x && read -r _ < /proc/self/stat && echo y > /dev/null";
    let mut o = opts(&["/bin/sh", "-c", script], Some(30.0));
    o.rootfs = Some(rootfs.clone());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let c: Vec<&str> = out.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(c, ["/tmp/x"], "only the program's write");
    o.verify = Some(vec![("/tmp".into(), false)]);
    let v = tracer::run(&o).unwrap();
    assert_eq!(v.exit_code, Some(0), "{v:?}");
    assert_eq!(
        before,
        snapshot(&[rootfs.as_path()]),
        "the image root changed"
    );
}

/// An image whose `/etc/hosts` and `/etc/hostname` are absolute symlinks
/// (to files of the image): a runtime resolves its mount points inside the
/// image's root, so the kubelet's writable `/etc/hosts` and the read-only
/// `/etc/hostname` cover the link targets there. Resolved from the host's
/// root instead, the targets were missing and the program wrote the
/// image's files in the overlay, planned as writes under `/etc`.
#[test]
fn rootfs_runtime_files_behind_absolute_symlinks_are_the_runtimes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("rootfs-runtime-symlinks") {
        return;
    }
    let id = std::process::id();
    let (rootfs, _cleanup) = temp_image_root("links");
    for f in ["hosts", "hostname"] {
        let link = rootfs.join("etc").join(f);
        std::fs::remove_file(&link).unwrap();
        let target = format!("/etc/{f}.image-{id}");
        std::fs::write(
            rootfs.join(target.trim_start_matches('/')),
            "from the image\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
    }
    let mut o = opts(
        &[
            "/bin/sh",
            "-c",
            "echo '10.1.2.3 rootlock-extra' >> /etc/hosts || exit 3; \
             (echo x > /etc/hostname) 2>/dev/null && exit 5; exit 0",
        ],
        Some(30.0),
    );
    o.rootfs = Some(rootfs.clone());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    assert!(
        out.changes.iter().all(|c| !c.path.starts_with("/etc")),
        "{:?}",
        out.changes
    );
}

#[test]
fn rootfs_image_root_is_traced_as_the_root_and_left_unchanged() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("rootfs") {
        return;
    }
    let id = std::process::id();
    // Removed however the test ends, so a failure leaves nothing behind.
    let (rootfs, _cleanup) = temp_image_root("plain");
    let host_probe = PathBuf::from(format!("/tmp/rootlock-rootfs-{id}"));
    let before = snapshot(&[rootfs.as_path()]);

    // As root: writes to /tmp, a cache directory and /etc, all inside the image.
    let script = format!(
        "echo hi > {probe} && echo x > /var/cache/app/b && echo y > /etc/app.conf",
        probe = host_probe.display()
    );
    let mut o = opts(&["/bin/sh", "-c", &script], Some(30.0));
    o.rootfs = Some(rootfs.clone());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let c = &out.changes;
    for path in [
        host_probe.to_string_lossy().as_ref(),
        "/var/cache/app/b",
        "/etc/app.conf",
    ] {
        assert_eq!(find(c, path), [ChangeKind::Created], "{path}: {c:#?}");
    }
    let plan = rootlock_trace::plan_for(&out, Some(&rootfs), "test");
    let planned: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert!(planned.contains(&"/tmp"), "{planned:?}");
    assert!(planned.contains(&"/var/cache/app"), "{planned:?}");

    // As the image's own user, looked up in the image's /etc/passwd: the
    // cache it owns is writable, /etc is not.
    let mut o = opts(
        &[
            "/bin/sh",
            "-c",
            "echo x > /var/cache/app/c; echo y > /etc/other.conf",
        ],
        Some(30.0),
    );
    o.rootfs = Some(rootfs.clone());
    o.user = Some("app".into());
    let out = tracer::run(&o).unwrap();
    assert_ne!(
        out.exit_code,
        Some(0),
        "the write to /etc must fail: {out:?}"
    );
    assert_eq!(
        find(&out.changes, "/var/cache/app/c"),
        [ChangeKind::Created]
    );
    assert!(
        find(&out.changes, "/etc/other.conf").is_empty(),
        "{:?}",
        out.changes
    );

    // In its own network namespace, the program keeps NET_RAW (exit 7).
    // As in a pod with a read-only root: the kubelet's /etc/hosts is
    // writable (and a private copy: the host's is untouched), containerd's
    // /etc/hostname and /etc/resolv.conf are not; none asks for a volume.
    let host_hosts = std::fs::read("/etc/hosts").ok();
    let resolv_on_host = Path::new("/etc/resolv.conf").is_file();
    let script = format!(
        "echo '10.1.2.3 rootlock-extra' >> /etc/hosts || exit 3; found=0; \
         while read a b; do [ \"$b\" = rootlock-extra ] && found=1; done < /etc/hosts; \
         [ $found = 1 ] || exit 4; \
         (echo x > /etc/hostname) 2>/dev/null && exit 5; \
         while read k v; do [ \"$k\" = CapBnd: ] && [ \"$v\" != 00000000a80425fb ] && exit 7; done < /proc/self/status; \
         {resolv} exit 0",
        resolv = if resolv_on_host {
            "(echo x > /etc/resolv.conf) 2>/dev/null && exit 6;"
        } else {
            ""
        }
    );
    let mut o = opts(&["/bin/sh", "-c", &script], Some(30.0));
    o.rootfs = Some(rootfs.clone());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    for path in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"] {
        assert!(
            find(&out.changes, path).is_empty(),
            "{path}: {:?}",
            out.changes
        );
    }
    assert_eq!(
        host_hosts,
        std::fs::read("/etc/hosts").ok(),
        "the host's /etc/hosts changed"
    );

    assert_eq!(
        before,
        snapshot(&[rootfs.as_path()]),
        "the image root changed"
    );
    assert!(!host_probe.exists(), "a write escaped to the host");
}

#[test]
fn a_full_upper_tmpfs_is_reported_not_silently_missing_from_the_plan() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("upper full") {
        return;
    }
    let dir = format!("/tmp/rootlock-full-{}", std::process::id());
    // 10 MiB into a 4 MiB upper: the write fails with ENOSPC part way.
    let script = format!("mkdir {dir} && head -c 10485760 /dev/zero > {dir}/big");
    let mut o = opts(&["/bin/sh", "-c", &script], Some(30.0));
    o.upper_size = "4m".into();
    let out = tracer::run(&o).unwrap();
    assert_ne!(
        out.exit_code,
        Some(0),
        "the write should have failed: {out:?}"
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("--upper-size 4m") && w.contains("ENOSPC")),
        "{:?}",
        out.warnings
    );
    assert!(!Path::new(&dir).exists(), "a write escaped to the host");

    // Filled, then deleted: only the program's own report is left to see.
    let script = format!("head -c 10485760 /dev/zero > {dir}.big; rm -f {dir}.big; exit 0");
    let mut o = opts(&["/bin/sh", "-c", &script], Some(30.0));
    o.upper_size = "4m".into();
    let out = tracer::run(&o).unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("may have filled up") && w.contains("1 time(s)")),
        "{:?}",
        out.warnings
    );

    // Room to spare: no such warning.
    let mut o = opts(
        &["/bin/sh", "-c", "echo x > /tmp/rootlock-small"],
        Some(30.0),
    );
    o.upper_size = "64m".into();
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    assert!(
        !out.warnings.iter().any(|w| w.contains("upper-size")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn names_that_are_not_utf8_are_reported_once_and_flagged() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("not utf-8") {
        return;
    }
    let id = std::process::id();
    // A directory that stays, and a file that comes and goes.
    let script = format!(
        "d=$(printf '/tmp/rl-{id}-d\\377'); mkdir \"$d\" && echo x > \"$d/f\" && \
         f=$(printf '/tmp/rl-{id}-f\\376'); echo y > \"$f\" && rm \"$f\""
    );
    let out = tracer::run(&opts(&["sh", "-c", &script], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let dir = format!("/tmp/rl-{id}-d\u{FFFD}");
    // The directory that still exists is created, not also transient.
    assert_eq!(
        find(&out.changes, &dir),
        [ChangeKind::Created],
        "{:?}",
        out.changes
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.starts_with("2 written name(s) are not valid UTF-8")),
        "{:?}",
        out.warnings
    );
}

/// Set by [`the_callers_terminal_is_not_the_programs_controlling_tty`] in
/// the copy of this test binary it starts on a fresh pty.
const TTY_HELPER: &str = "ROOTLOCK_TEST_TTY_HELPER";

/// Runs only inside the copy started below, whose controlling tty (and
/// stdin) is a pty: traces a program that pushes a byte into the input of
/// the terminal on its stdin with TIOCSTI, as a hostile program would type
/// a command into the caller's shell. Exits 0 when that worked.
#[test]
fn tty_helper() {
    if std::env::var_os(TTY_HELPER).is_none() {
        return;
    }
    let script = "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSTI, b'#')";
    let out = tracer::run(&opts(&["python3", "-c", script], Some(30.0))).unwrap();
    println!("TIOCSTI-EXIT={:?}", out.exit_code);
}

#[test]
fn the_callers_terminal_is_not_the_programs_controlling_tty() {
    use std::os::unix::process::CommandExt;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "controlling_tty";
    if skip_unless_root(test) {
        return;
    }
    if python().is_none() {
        require_or_skip("python3", false, test);
        return;
    }
    // With legacy TIOCSTI off the kernel refuses it anyway: nothing to show.
    if std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").is_ok_and(|v| v.trim() == "0") {
        eprintln!("SKIP {test}: dev.tty.legacy_tiocsti=0");
        return;
    }
    let (master, slave) = open_pty();
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["tty_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env(TTY_HELPER, "1");
    // SAFETY: between fork and exec only syscalls: a new session whose
    // controlling terminal is the pty, which also becomes stdin.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0
                || libc::ioctl(slave, libc::TIOCSCTTY, 0) < 0
                || libc::dup2(slave, 0) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    // SAFETY: closing the descriptors openpty gave us.
    unsafe {
        libc::close(slave);
        libc::close(master);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Python exits 1 on the PermissionError: the program is not in the
    // caller's session, so it cannot type into the caller's terminal.
    assert!(stdout.contains("TIOCSTI-EXIT=Some(1)"), "{stdout}");
}

/// A new pty pair (master, slave); the caller closes both.
fn open_pty() -> (libc::c_int, libc::c_int) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills in two descriptors the caller owns.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty");
    (master, slave)
}

#[test]
fn the_hosts_terminals_are_not_in_the_traced_root() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("host_terminals") {
        return;
    }
    let (master, slave) = open_pty();
    let name = std::fs::read_link(format!("/proc/self/fd/{slave}")).unwrap();
    // The host's pty must not be there to open; the program's own ptys work.
    let script = format!(
        "[ -e {} ] && exit 10; \
         python3 -c 'import os; os.openpty()' 2>/dev/null || exit 11; exit 0",
        name.display()
    );
    let out = tracer::run(&opts(&["sh", "-c", &script], Some(30.0))).unwrap();
    // SAFETY: closing the descriptors openpty gave us.
    unsafe {
        libc::close(slave);
        libc::close(master);
    }
    assert_eq!(out.exit_code, Some(0), "{name:?}: {out:?}");
}

#[test]
fn private_network_keeps_a_root_trace_off_the_hosts_abstract_sockets() {
    use std::os::linux::net::SocketAddrExt;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "private-network";
    let Some(py) = root_and_python(test) else {
        return;
    };
    // An abstract Unix socket, as an X server or a daemon's control socket
    // listens on: it lives in the network namespace, not the filesystem.
    let name = format!("rootlock-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    let connect = format!(
        "import socket, sys\n\
         s = socket.socket(socket.AF_UNIX)\n\
         try:\n    s.connect('\\0{name}')\nexcept OSError:\n    sys.exit(9)\n"
    );
    // Shared by default in a rootful trace of the host root: reachable.
    let shared = tracer::run(&opts(&[py, "-c", &connect], Some(30.0))).unwrap();
    assert_eq!(shared.exit_code, Some(0), "{shared:?}");
    // With its own namespace: not reachable, and NET_RAW is a container's
    // again (it reaches only the namespace's loopback).
    let mut o = opts(&[py, "-c", &connect], Some(30.0));
    o.private_network = true;
    let private = tracer::run(&o).unwrap();
    assert_eq!(private.exit_code, Some(9), "{private:?}");
    let mut o = opts(
        &[
            "sh",
            "-c",
            "grep -q 'CapBnd:.00000000a80425fb' /proc/self/status",
        ],
        Some(30.0),
    );
    o.private_network = true;
    assert_eq!(tracer::run(&o).unwrap().exit_code, Some(0));
}

#[test]
fn the_traced_program_runs_under_the_runtime_default_refusals() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "seccomp";
    let Some(py) = root_and_python(test) else {
        return;
    };
    // io_uring_setup(1, params): a ring, or EPERM as under containerd 2.0's
    // default profile; keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING,
    // 0): root's user keyring, which is not namespaced; then a new user
    // namespace; then a thread (clone3 refused with ENOSYS, so glibc falls
    // back to clone). Each refusal exits with its own status; 0 means all
    // held. `skip` names the checks to pass over (to test the premises one
    // at a time outside the trace).
    let script = |skip: &str| {
        format!(
            "import ctypes, os, sys, threading\n\
             skip = '{skip}'\n\
             libc = ctypes.CDLL(None, use_errno=True)\n\
             params = ctypes.create_string_buffer(120)\n\
             if 'uring' not in skip and (libc.syscall({uring}, 1, params) != -1 or ctypes.get_errno() != 1): sys.exit(5)\n\
             if 'keyctl' not in skip and (libc.syscall({keyctl}, 0, -4, 0) != -1 or ctypes.get_errno() != 1): sys.exit(3)\n\
             if os.system('unshare --user true 2>/dev/null') == 0: sys.exit(4)\n\
             t = threading.Thread(target=lambda: None); t.start(); t.join()\n",
            uring = libc::SYS_io_uring_setup,
            keyctl = libc::SYS_keyctl
        )
    };
    // The premises, outside the trace: as root here, each call succeeds.
    let outside = |skip: &str| {
        std::process::Command::new(py)
            .args(["-c", &script(skip)])
            .status()
            .unwrap()
            .code()
    };
    // (A kernel with io_uring switched off refuses it anyway, and then the
    // check inside proves nothing; this one has it on.)
    let uring_on = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .is_ok_and(|v| v.trim() == "0");
    if uring_on {
        assert_eq!(outside(""), Some(5), "io_uring works outside the trace");
    }
    assert_eq!(outside("uring"), Some(3), "keyctl works outside the trace");
    let unshared = std::process::Command::new("unshare")
        .args(["--user", "true"])
        .status()
        .unwrap();
    assert!(unshared.success(), "unshare --user works outside the trace");
    let script = script("");
    let out = tracer::run(&opts(&[py, "-c", &script], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
}

const TMPFS_MOUNT_HELPER: &str = "ROOTLOCK_TMPFS_MOUNT_HELPER";

/// A filesystem mounted below the root (a tmpfs `/tmp`, as on many
/// distributions) gets an overlay of its own, whose root must keep the
/// host directory's mode: a `1777` tmpfs shown as `0755 root` refused a
/// `--user` program's writes, and they were missing from the plan. Runs
/// itself again as the helper inside a private mount namespace holding the
/// tmpfs, so nothing is mounted on the host.
#[test]
fn a_mounted_sticky_tmp_keeps_its_mode_for_another_user() {
    if let Some(dir) = std::env::var_os(TMPFS_MOUNT_HELPER) {
        let dir = PathBuf::from(dir);
        let file = dir.join("written-by-nobody");
        let mut o = opts(
            &["sh", "-c", &format!("echo x > {}", file.display())],
            Some(30.0),
        );
        o.user = Some("65534:65534".into());
        let out = tracer::run(&o).unwrap();
        assert_eq!(out.exit_code, Some(0), "{out:?}");
        assert_eq!(
            find(&out.changes, &file.to_string_lossy()),
            [ChangeKind::Created],
            "{:#?}",
            out.changes
        );
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("tmpfs-mode") {
        return;
    }
    let dir = PathBuf::from(format!("/var/tmp/rootlock-tmpfs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = RemoveOnDrop(dir.clone());
    rerun_with_tmpfs_at(
        &dir,
        "1777",
        "a_mounted_sticky_tmp_keeps_its_mode_for_another_user",
        TMPFS_MOUNT_HELPER,
    );
    // The tmpfs lived in the helper's namespace only.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

/// Set in the re-run of `attributes_of_a_mounts_root_directory_are_recorded`
/// inside its mount namespace: the mounted directory.
const LAYER_ROOT_HELPER: &str = "ROOTLOCK_TEST_LAYER_ROOT_DIR";

/// The root directory of a mount is the root of its own overlay, whose
/// upper directory always exists: a `chmod`, `chown` or `touch` of it (an
/// entrypoint's `chown app /data` on a mounted /data, a tmpfs /tmp or /run
/// on the host) left no entry to find, and was missing from the plan,
/// though it fails with EROFS on a read-only root. Reading it, nothing.
#[test]
fn attributes_of_a_mounts_root_directory_are_recorded() {
    if let Some(dir) = std::env::var_os(LAYER_ROOT_HELPER) {
        let dir = PathBuf::from(dir);
        let shown = dir.to_string_lossy().into_owned();
        let run = |script: &str| {
            let out = tracer::run(&opts(&["sh", "-c", script], Some(30.0))).unwrap();
            assert_eq!(out.exit_code, Some(0), "{out:?}");
            find(&out.changes, &shown)
        };
        let q = format!("'{shown}'");
        assert_eq!(run(&format!("ls {q} >/dev/null")), []);
        assert_eq!(run(&format!("chmod 700 {q}")), [ChangeKind::Attributes]);
        assert_eq!(run(&format!("chown 65534 {q}")), [ChangeKind::Attributes]);
        assert_eq!(run(&format!("touch {q}")), [ChangeKind::Touched]);
        return;
    }
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("layer-root-attributes") {
        return;
    }
    let dir = PathBuf::from(format!(
        "/var/tmp/rootlock-layer-root-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = RemoveOnDrop(dir.clone());
    rerun_with_tmpfs_at(
        &dir,
        "755",
        "attributes_of_a_mounts_root_directory_are_recorded",
        LAYER_ROOT_HELPER,
    );
}

/// Runs this binary's test `name` again in a private mount namespace with
/// a tmpfs of mode `mode` mounted at `dir`, given to it in `env`, and
/// asserts that it passed: a host mount the trace meets, with nothing left
/// on the host.
fn rerun_with_tmpfs_at(dir: &Path, mode: &str, name: &str, env: &str) {
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o mode={mode} rootlock-test \"$1\" && shift && exec \"$@\""
        ))
        .arg("sh")
        .arg(dir)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture"])
        .env(env, dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes to an image directory that leave nothing in it: a `touch`, a
/// `chown` to the owner it already has (entrypoints' `chown -R app /data`),
/// an `O_TMPFILE` file (glibc's `tmpfile()`). Each fails with EROFS on a
/// read-only root, so each directory must be in the plan; a directory
/// copied up only as the parent of a deeper change must not be.
#[test]
fn writes_in_place_on_image_directories_are_planned() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("in-place") else {
        return;
    };
    let base = PathBuf::from(format!("/var/tmp/rootlock-inplace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let _cleanup = RemoveOnDrop(base.clone());
    for d in ["touched", "chowned", "tmpfile", "parent/child"] {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    std::fs::write(base.join("parent/child/log"), "image").unwrap();
    let script = format!(
        r#"
import os
b = "{b}"
os.utime(b + "/touched")
st = os.stat(b + "/chowned"); os.chown(b + "/chowned", st.st_uid, st.st_gid)
fd = os.open(b + "/tmpfile", os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, b"x")
open(b + "/parent/child/log", "a").write("more")
"#,
        b = base.display()
    );
    let out = tracer::run(&opts(&[py, "-c", &script], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let at = |d: &str| base.join(d).to_string_lossy().into_owned();
    for d in ["touched", "chowned", "tmpfile"] {
        assert_eq!(
            find(&out.changes, &at(d)),
            [ChangeKind::Touched],
            "{d}: {:#?}",
            out.changes
        );
    }
    assert_eq!(find(&out.changes, &at("parent")), [], "{:#?}", out.changes);
    assert_eq!(
        find(&out.changes, &at("parent/child/log")),
        [ChangeKind::Modified]
    );
}

/// `touch DIR` (utime) on an image directory that also holds a deeper
/// write (`DIR/child/log` appended) is a write on `DIR` itself: it fails
/// with EROFS unless `DIR` is writable. The copied-up `DIR` is not empty,
/// so only its changed modification time tells; a directory merely copied
/// up for the deeper write (`other`) keeps the image's times and is not
/// reported.
#[test]
fn touching_an_image_directory_beside_a_deeper_write_is_planned() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("touch-beside-write") else {
        return;
    };
    let base = PathBuf::from(format!(
        "/var/tmp/rootlock-touchdeep-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&base);
    let _cleanup = RemoveOnDrop(base.clone());
    for d in ["parent/child", "other/child"] {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    for f in [
        "parent/child/log",
        "parent/sibling",
        "other/child/log",
        "other/sibling",
    ] {
        std::fs::write(base.join(f), "image").unwrap();
    }
    let script = format!(
        r#"
b = "{b}"
import os
os.utime(b + "/parent")
open(b + "/parent/child/log", "a").write("more")
open(b + "/other/child/log", "a").write("more")
"#,
        b = base.display()
    );
    let out = tracer::run(&opts(&[py, "-c", &script], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let at = |d: &str| base.join(d).to_string_lossy().into_owned();
    assert_eq!(
        find(&out.changes, &at("parent")),
        [ChangeKind::Touched],
        "{:#?}",
        out.changes
    );
    assert_eq!(find(&out.changes, &at("other")), [], "{:#?}", out.changes);
    assert_eq!(
        find(&out.changes, &at("other/child")),
        [],
        "{:#?}",
        out.changes
    );
}

/// The traced host root is live: a file the host adds to an image
/// directory after the program copied it up (a deeper write) makes the
/// image's time the newer one. That is no write of the program's, and the
/// directory is not reported (only a newer time in the upper layer is).
#[test]
fn a_host_change_to_a_copied_up_directory_is_not_the_programs() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("host-churn") else {
        return;
    };
    let base = PathBuf::from(format!(
        "/var/tmp/rootlock-hostchurn-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&base);
    let _cleanup = RemoveOnDrop(base.clone());
    std::fs::create_dir_all(base.join("dir/child")).unwrap();
    for f in ["dir/child/log", "dir/sibling", "keep"] {
        std::fs::write(base.join(f), "image").unwrap();
    }
    let script = format!(
        r#"
import time
open("{b}/dir/child/log", "a").write("more")
time.sleep(2)
"#,
        b = base.display()
    );
    let host = {
        let file = base.join("dir/added-by-the-host");
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            std::fs::write(file, "host").unwrap();
        })
    };
    let out = tracer::run(&opts(&[py, "-c", &script], Some(30.0))).unwrap();
    host.join().unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let at = |d: &str| base.join(d).to_string_lossy().into_owned();
    assert_eq!(
        find(&out.changes, &at("dir/child/log")),
        [ChangeKind::Modified]
    );
    assert_eq!(find(&out.changes, &at("dir")), [], "{:#?}", out.changes);
}

/// `os.rename` of an image directory into another directory of the image:
/// the plan must hold both places in one volume, or the rename fails with
/// EXDEV under it (`--verify` runs it for real).
#[test]
fn a_directory_renamed_across_directories_is_planned_in_one_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("rename-across") else {
        return;
    };
    let (base, _cleanup) = image_dir(
        "renamedir",
        &["from/moved", "to"],
        &["from/moved/log", "from/keep", "to/keep", "keep"],
    );
    let script = format!(
        r#"import os; os.rename("{b}/from/moved", "{b}/to/renamed")"#,
        b = base.display()
    );
    let mut o = opts(&[py, "-c", &script], Some(30.0));
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let (_, seed) = one_volume_over_and_verified(&mut o, &out, &base);
    assert!(seed, "the image's directories are seeded");
}

/// A directory of the host root for a test (`/var/tmp/rootlock-NAME-PID`,
/// removed when the guard drops) holding `dirs` and the files `files`:
/// neighbours of what the program writes, so that no anchor is lifted to
/// its parent as its only content.
fn image_dir(name: &str, dirs: &[&str], files: &[&str]) -> (PathBuf, RemoveOnDrop) {
    let base = PathBuf::from(format!("/var/tmp/rootlock-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let cleanup = RemoveOnDrop(base.clone());
    for d in dirs {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    for f in files {
        std::fs::write(base.join(f), "image").unwrap();
    }
    (base, cleanup)
}

/// A file written into an empty directory of the image, alone in its
/// parent (`base/sub/f`): the plan may lift the volume above `sub`, but
/// it must then hold `sub`, as the image does (seeded), or verify's run
/// fails with "Directory nonexistent".
#[test]
fn a_file_written_into_an_empty_image_directory_verifies() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("empty_image_directory") {
        return;
    }
    let (base, _cleanup) = image_dir("lonely", &["sub"], &[]);
    let script = format!("echo x > {}/sub/f", base.display());
    let mut o = opts(&["sh", "-c", &script], Some(30.0));
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let plan = rootlock_trace::plan_for(&out, None, "trace: sub");
    let volumes: Vec<(String, bool)> = plan
        .paths
        .iter()
        .map(|p| (p.path.clone(), p.seed))
        .collect();
    o.verify = Some(volumes);
    let v = tracer::run(&o).unwrap();
    assert_eq!(v.exit_code, Some(0), "{plan:#?} {v:?}");
}

/// git stores an object in `objects/43/…`, a shard named by its hash: the
/// next run's object goes to another (`objects/64/…`), so the plan is the
/// object store, seeded with the image's objects. Planned at `objects/43`
/// itself, the next object failed with EROFS.
#[test]
fn a_git_object_plans_the_object_store_not_its_shard() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "git_object_shard";
    if skip_unless_root(test) {
        return;
    }
    let git = ["/usr/bin/git", "/usr/local/bin/git"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if require_or_skip("git", git.is_some(), test) {
        return;
    }
    let (base, _cleanup) = image_dir("git-shard", &[], &[]);
    let repo = base.join("repo");
    let sh = |script: &str| {
        let ok = std::process::Command::new("sh")
            .args(["-c", script])
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
    };
    // An object already in the image: objects/47.
    sh(&format!(
        "git init -q {r} && printf image | git -C {r} hash-object -w --stdin",
        r = repo.display()
    ));
    // "one" is stored under objects/43, "two" under objects/64.
    let store = |content: &str| {
        let script = format!(
            "printf {content} | git -C {} hash-object -w --stdin",
            repo.display()
        );
        opts(&["sh", "-c", &script], Some(30.0))
    };
    let out = tracer::run(&store("one")).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let plan = rootlock_trace::plan_for(&out, None, "trace: git");
    let objects = repo.join(".git/objects");
    let volumes: Vec<(String, bool)> = plan
        .paths
        .iter()
        .map(|p| (p.path.clone(), p.seed))
        .collect();
    assert_eq!(
        volumes,
        [(objects.to_string_lossy().into_owned(), true)],
        "{plan:#?}"
    );
    let mut o = store("two");
    o.verify = Some(volumes);
    let v = tracer::run(&o).unwrap();
    assert_eq!(v.exit_code, Some(0), "{v:?}");
    assert!(v.erofs_lines.is_empty(), "{v:?}");
}

/// A web app's SQLite database in a directory it made (`state/web/hits.db`):
/// the directory is one volume, and the database makes it a
/// PersistentVolumeClaim, not memory (it was 16Mi of memory: the created
/// directory's entries were only counted, and its name says nothing).
#[test]
fn a_database_in_a_created_directory_is_planned_persistent() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("database_in_created_directory") else {
        return;
    };
    let (base, _cleanup) = image_dir("sqlite", &["app"], &["app/main.py"]);
    let script = format!(
        "import os, sqlite3; d = '{}/state/web'; os.makedirs(d); db = sqlite3.connect(d + '/hits.db'); db.execute('create table h(t)'); db.commit(); open(d + '/web.log', 'w').write('hit')",
        base.display()
    );
    let out = tracer::run(&opts(&[py, "-c", &script], Some(30.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let plan = rootlock_trace::plan_for(&out, None, "trace: sqlite");
    let state = base.join("state");
    let [volume] = plan.paths.as_slice() else {
        panic!("one volume: {plan:#?}");
    };
    assert_eq!(volume.path, state.to_string_lossy(), "{plan:#?}");
    assert_eq!(volume.medium, Medium::Persistent, "{plan:#?}");
}

/// git, run as a user, makes a repository; planned as a volume, the
/// repository's directory is root's, and git refuses it ("detected dubious
/// ownership"), as it would in the pod. Verify says so, naming the line,
/// instead of only "a volume may hide files it needs".
#[test]
fn git_refusing_a_volume_it_does_not_own_is_explained() {
    use std::os::unix::fs::PermissionsExt;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let test = "git_dubious_ownership";
    if skip_unless_root(test) {
        return;
    }
    if require_or_skip("git", Path::new("/usr/bin/git").exists(), test) {
        return;
    }
    let (base, _cleanup) = image_dir("git-owner", &["other"], &[]);
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let repo = base.join("repo");
    let script = format!(
        "git init -q {r} && cd {r} && git -c user.email=a@b -c user.name=n commit -q --allow-empty -m x",
        r = repo.display()
    );
    let mut o = opts(&["sh", "-c", &script], Some(30.0));
    o.user = Some("65534".into());
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let repo = repo.to_string_lossy().into_owned();
    o.verify = Some(vec![(repo.clone(), false)]);
    let v = tracer::run(&o).unwrap();
    assert_ne!(v.exit_code, Some(0), "{v:?}");
    let notes = rootlock_trace::volume_owner::notes(&v.eperm_lines, &[repo.as_str()]);
    assert_eq!(notes.len(), 1, "{v:?}");
    assert!(notes[0].contains("dubious ownership"), "{notes:?}");
    assert!(
        notes[0].contains("refused it as not its user's"),
        "{notes:?}"
    );
}

/// The plan of a traced rename across directories: one volume at or above
/// `base` (it may be lifted above the test's directory, where that is all
/// there is), under which the program runs again (`--verify`) without an
/// error. Its path and seed.
fn one_volume_over_and_verified(o: &mut Options, out: &Outcome, base: &Path) -> (String, bool) {
    let plan: VolumePlan = rootlock_trace::plan_for(out, None, "trace: rename");
    let paths: Vec<(String, bool)> = plan
        .paths
        .iter()
        .map(|p| (p.path.clone(), p.seed))
        .collect();
    assert!(
        matches!(&paths[..], [(p, _)] if base.starts_with(p)),
        "{plan:#?}"
    );
    o.verify = Some(paths.clone());
    let v = tracer::run(o).unwrap();
    assert_eq!(v.exit_code, Some(0), "{v:?}");
    paths[0].clone()
}

/// A file written in one directory and renamed into another (the usual
/// atomic write: `work/x.part`, then `done/x`): the upper layers show only
/// `done/x`; fanotify's FAN_RENAME tells where it came from, and the plan
/// holds both directories in one volume, or the rename fails with EXDEV
/// under it.
#[test]
fn a_file_renamed_across_directories_is_planned_in_one_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("rename-file-across") else {
        return;
    };
    let (base, _cleanup) = image_dir(
        "renamefile",
        &["work", "done"],
        &["work/keep", "done/keep", "keep"],
    );
    let script = format!(
        r#"
import os
open("{b}/work/x.part", "w").write("data")
os.rename("{b}/work/x.part", "{b}/done/x")
"#,
        b = base.display()
    );
    let mut o = opts(&[py, "-c", &script], Some(30.0));
    let out = tracer::run(&o).unwrap();
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let done = base.join("done/x").to_string_lossy().into_owned();
    let work = base.join("work/x.part").to_string_lossy().into_owned();
    let x = out.changes.iter().find(|c| c.path == done);
    assert_eq!(
        x.and_then(|c| c.renamed_from.as_deref()),
        Some(work.as_str()),
        "{:#?}",
        out.changes
    );
    one_volume_over_and_verified(&mut o, &out, &base);
}

/// A file written in one directory and hard-linked into another: link(2)
/// does not cross mounts either, so the plan must hold both directories in
/// one volume, or the link fails with EXDEV under it. Both names stay (the
/// upper layer holds one inode under two names), or the first is removed
/// again (a Maildir delivery: `tmp/m`, linked to `new/m`, then unlinked;
/// only fanotify saw the first name).
#[test]
fn a_file_hard_linked_across_directories_is_planned_in_one_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("link-across") {
        return;
    }
    for (name, script) in [
        ("kept", "echo data > cache/f && ln cache/f lib/g"),
        (
            "maildir",
            "echo data > cache/f && ln cache/f lib/g && rm cache/f",
        ),
    ] {
        let (base, _cleanup) = image_dir(
            &format!("link-{name}"),
            &["cache", "lib"],
            &["cache/keep", "lib/keep", "keep"],
        );
        let script = format!("cd {} && {script}", base.display());
        let mut o = opts(&["sh", "-c", &script], Some(30.0));
        let out = tracer::run(&o).unwrap();
        assert_eq!(out.exit_code, Some(0), "{name}: {out:?}");
        let g = base.join("lib/g").to_string_lossy().into_owned();
        let f = base.join("cache/f").to_string_lossy().into_owned();
        let linked = out.changes.iter().find(|c| c.path == g);
        assert_eq!(
            linked.and_then(|c| c.linked_with.as_deref()),
            Some(f.as_str()),
            "{name}: {:#?}",
            out.changes
        );
        one_volume_over_and_verified(&mut o, &out, &base);
    }
}

/// 20,000 files written into a directory of the image, and 20,000 made and
/// removed again in another: what the trace records stays bounded per
/// directory (a change and a fanotify entry per file made a trace of
/// 300,000 files peak at 275 MB), and the plan is what it was: one volume
/// each, its reason counting every file.
#[test]
fn many_files_in_one_directory_are_recorded_in_bounded_state() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(py) = root_and_python("many-files") else {
        return;
    };
    let (base, _cleanup) = image_dir(
        "many",
        &["kept", "scratch"],
        &["kept/keep", "scratch/keep", "keep"],
    );
    let script = format!(
        r#"
import os
os.chdir("{b}")
for i in range(20000):
    open(f"kept/f{{i}}", "w").close()
for i in range(20000):
    open(f"scratch/t{{i}}", "w").close()
    os.unlink(f"scratch/t{{i}}")
"#,
        b = base.display()
    );
    let out = tracer::run(&opts(&[py, "-c", &script], Some(60.0))).unwrap();
    assert_eq!(out.exit_code, Some(0), "{:?}", out.warnings);
    assert!(
        out.changes.len() <= 2 * rootlock_trace::reduce::LISTED_PER_DIR + 10,
        "{} changes recorded",
        out.changes.len()
    );
    // The 19,000 files past those listed: one change, that says so.
    assert!(
        out.changes
            .iter()
            .any(|c| c.folded == 18_999 && c.note == "and 18999 more like it here, counted only"),
        "{:#?}",
        out.changes
            .iter()
            .filter(|c| c.folded > 0)
            .collect::<Vec<_>>()
    );
    let plan = rootlock_trace::plan_for(&out, None, "trace: many");
    let at = |d: &str| base.join(d).to_string_lossy().into_owned();
    let paths: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, [at("kept"), at("scratch")], "{plan:#?}");
    assert!(plan.paths.iter().all(|p| p.seed), "{plan:#?}");
    assert!(
        plan.paths[0].reason.ends_with("; and 19997 more"),
        "{}",
        plan.paths[0].reason
    );
}

/// A plan with a volume inside another (`/tmp` and `/tmp/x`, a plan from
/// `logs` or edited by hand) is verified as a pod runs it, in either
/// order: the parent mounted first, the inner volume's mount point made in
/// it. Mounted in the plan's order, `/tmp` then `/tmp/x` was an error (its
/// mount point hidden: ENOENT, exit 2), and `/tmp/x` then `/tmp` hid the
/// inner volume.
#[test]
fn verify_mounts_nested_plan_paths_parent_first() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("nested-plan") {
        return;
    }
    let script = r#"echo a > /tmp/x/f && echo b > /tmp/g && [ "$(stat -c %d /tmp/x)" != "$(stat -c %d /tmp)" ]"#;
    for order in [["/tmp", "/tmp/x"], ["/tmp/x", "/tmp"]] {
        let mut o = opts(&["sh", "-c", script], Some(30.0));
        o.verify = Some(order.iter().map(|p| (p.to_string(), false)).collect());
        let v = tracer::run(&o);
        assert!(
            matches!(&v, Ok(v) if v.exit_code == Some(0) && v.erofs_lines.is_empty()),
            "{order:?}: {v:?}"
        );
    }
}

/// `--verify` reads the files the program wrote to a volume for EROFS
/// errors; a seeded volume also shows the image's own files, and an old
/// log there that mentions EROFS is not this run's error.
#[test]
fn verify_reads_only_what_the_program_wrote_to_a_seeded_volume() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("verify-seeded") {
        return;
    }
    let vol = PathBuf::from(format!("/var/tmp/rootlock-seeded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&vol);
    let _cleanup = RemoveOnDrop(vol.clone());
    std::fs::create_dir_all(&vol).unwrap();
    std::fs::write(
        vol.join("old.log"),
        "open() \"/x\" failed (30: Read-only file system)\n",
    )
    .unwrap();
    let run = |script: String| {
        let mut o = opts(&["sh", "-c", &script], Some(30.0));
        o.verify = Some(vec![(vol.to_string_lossy().into_owned(), true)]);
        tracer::run(&o).unwrap()
    };
    let v = vol.display();
    let quiet = run(format!(
        "cat {v}/old.log >/dev/null && echo ok > {v}/new.log"
    ));
    assert_eq!(quiet.exit_code, Some(0), "{quiet:?}");
    assert_eq!(quiet.erofs_lines, Vec::<String>::new());
    // What the program writes there is still read, under its path.
    let loud = run(format!("echo 'y: Read-only file system' > {v}/new.log"));
    assert_eq!(
        loud.erofs_lines,
        [format!("{v}/new.log: y: Read-only file system")]
    );
}

#[test]
fn an_interrupted_verify_run_says_the_plan_was_not_verified() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if skip_unless_root("interrupted_verify") {
        return;
    }
    // The command says it runs (a file in a --bind directory, passed
    // through), then waits; a Ctrl-C then reaches rootlock during the
    // verify run, after the plan was printed: the message must not say
    // that nothing was planned.
    let dir = std::env::temp_dir().join(format!("rootlock-trace-int-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let started = dir.join("started");
    let script = format!("touch '{}' && exec sleep 60", started.display());
    let mut o = opts(&["sh", "-c", &script], Some(60.0));
    o.binds = vec![dir.clone()];
    o.verify = Some(vec![("/var/rtvt".into(), false)]);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ctrl_c = std::thread::spawn({
        let (started, done) = (started.clone(), done.clone());
        move || {
            while !started.exists() {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: signalling this process; `run` has its handler in place.
            unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
        }
    });
    let result = tracer::run(&o);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    ctrl_c.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let err = result.unwrap_err();
    assert!(
        err.starts_with("interrupted: ")
            && err.contains("not verified")
            && !err.contains("nothing was planned"),
        "{err}"
    );
}
