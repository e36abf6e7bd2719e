//! Real error lines, as the runtimes print them, and what must come out.

use super::*;
use std::io::Read as _;

/// (runtime expected, line, [(path, op)]).
type Case = (&'static str, &'static str, &'static [(&'static str, Op)]);

/// The paths a plan mounts, in its order.
fn planned(plan: &VolumePlan) -> Vec<&str> {
    plan.paths.iter().map(|p| p.path.as_str()).collect()
}

/// The line yields exactly these paths and operations, from that runtime.
fn check((runtime, line, want): &Case) {
    let got = recognise(line);
    let got_pairs: Vec<(&str, Op)> = got.iter().map(|h| (h.path.as_str(), h.op)).collect();
    assert_eq!(got_pairs, *want, "line: {line}");
    assert!(
        got.iter().all(|h| h.runtime == *runtime),
        "line: {line}: {got:?}"
    );
}
/// Each kept hit as (line, path, operation).
fn line_path_ops(s: &Scan) -> Vec<(usize, &str, Op)> {
    s.hits
        .iter()
        .map(|(n, h)| (*n, h.path.as_str(), h.op))
        .collect()
}

/// Each (line, name) is warned about as a relative name.
fn assert_warned_relative(plan: &VolumePlan, names: &[(usize, &str)]) {
    for (line, name) in names {
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with(&format!("line {line}: {name:?} is relative"))),
            "{line} {name}: {:?}",
            plan.warnings
        );
    }
}

/// Checks each case (see [`check`]) and returns their lines as one log.
fn checked_log(cases: &[Case]) -> String {
    cases.iter().for_each(check);
    cases
        .iter()
        .map(|(_, l, _)| *l)
        .collect::<Vec<_>>()
        .join("\n")
}

const CORPUS: &[Case] = &[
    // sh / coreutils / busybox
    (
        "sh",
        "sh: 1: cannot create /var/run/app.pid: Read-only file system",
        &[("/var/run/app.pid", Op::File)],
    ),
    (
        "sh",
        "/docker-entrypoint.sh: line 12: can't create /etc/nginx/conf.d/default.conf: Read-only file system",
        &[("/etc/nginx/conf.d/default.conf", Op::File)],
    ),
    (
        "sh",
        "bash: /tmp/out.txt: Read-only file system",
        &[("/tmp/out.txt", Op::File)],
    ),
    (
        "sh",
        "touch: cannot touch '/app/ready': Read-only file system",
        &[("/app/ready", Op::File)],
    ),
    (
        "sh",
        "mkdir: cannot create directory ‘/var/run/postgresql’: Read-only file system",
        &[("/var/run/postgresql", Op::Mkdir)],
    ),
    (
        "sh",
        "mkdir: can't create directory '/var/cache/nginx/client_temp': Read-only file system",
        &[("/var/cache/nginx/client_temp", Op::Mkdir)],
    ),
    (
        "sh",
        "rm: cannot remove '/etc/nginx/conf.d/default.conf': Read-only file system",
        &[("/etc/nginx/conf.d/default.conf", Op::Remove)],
    ),
    (
        "sh",
        "mv: cannot move '/srv/a' to '/srv/b': Read-only file system",
        &[("/srv/a", Op::Rename), ("/srv/b", Op::Rename)],
    ),
    (
        "sh",
        "chmod: changing permissions of '/var/lib/postgresql/data': Read-only file system",
        &[("/var/lib/postgresql/data", Op::Attr)],
    ),
    (
        "sh",
        "sed: couldn't open temporary file /etc/nginx/sedX8n2Lq: Read-only file system",
        &[("/etc/nginx/sedX8n2Lq", Op::File)],
    ),
    // nginx
    (
        "nginx",
        "nginx: [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)",
        &[("/var/cache/nginx/client_temp", Op::Mkdir)],
    ),
    (
        "nginx",
        "2024/05/14 09:21:07 [emerg] 1#1: open() \"/run/nginx.pid\" failed (30: Read-only file system)",
        &[("/run/nginx.pid", Op::File)],
    ),
    (
        "nginx",
        "nginx: [alert] could not open error log file: open() \"/var/log/nginx/error.log\" failed (30: Read-only file system)",
        &[("/var/log/nginx/error.log", Op::File)],
    ),
    (
        "nginx",
        "2024/05/14 09:21:07 [emerg] 7#7: chown(\"/var/cache/nginx/client_temp\", 101) failed (30: Read-only file system)",
        &[("/var/cache/nginx/client_temp", Op::Attr)],
    ),
    // python
    (
        "python",
        "OSError: [Errno 30] Read-only file system: '/app/data.db'",
        &[("/app/data.db", Op::File)],
    ),
    (
        "python",
        "PermissionError: [Errno 30] Read-only file system: '/root/.cache/pip'",
        &[("/root/.cache/pip", Op::File)],
    ),
    (
        "python",
        "OSError: [Errno 30] Read-only file system: '/srv/old' -> '/srv/new'",
        &[("/srv/old", Op::Rename), ("/srv/new", Op::Rename)],
    ),
    (
        "python",
        "FileNotFoundError: [Errno 2] No usable temporary directory found in ['/tmp', '/var/tmp', '/usr/tmp', '/app']",
        &[("/tmp", Op::Dir)],
    ),
    // java
    (
        "java",
        "Caused by: java.nio.file.FileSystemException: /usr/local/tomcat/temp/x.tmp: Read-only file system",
        &[("/usr/local/tomcat/temp/x.tmp", Op::File)],
    ),
    (
        "java",
        "java.io.FileNotFoundException: /app/logs/app.log (Read-only file system)",
        &[("/app/logs/app.log", Op::File)],
    ),
    (
        "java",
        "java.nio.file.FileSystemException: /app/my data/cache.bin: Read-only file system",
        &[("/app/my data/cache.bin", Op::File)],
    ),
    (
        "java",
        "java.io.FileNotFoundException: /srv/Program Files/app.log (Read-only file system)",
        &[("/srv/Program Files/app.log", Op::File)],
    ),
    (
        "java",
        "java.nio.file.FileSystemException: /srv/old name -> /srv/new name: Read-only file system",
        &[("/srv/old name", Op::Rename), ("/srv/new name", Op::Rename)],
    ),
    (
        "java",
        "Exception in thread \"main\" java.nio.file.FileSystemException: /data/a -> /data/b: Read-only file system",
        &[("/data/a", Op::Rename), ("/data/b", Op::Rename)],
    ),
    // go
    (
        "go",
        "open /tmp/prometheus/queries.active: read-only file system",
        &[("/tmp/prometheus/queries.active", Op::File)],
    ),
    (
        "go",
        "level=error ts=2024-05-14T09:21:07Z msg=\"failed to create dir\" err=\"mkdir /var/lib/grafana/plugins: read-only file system\"",
        &[("/var/lib/grafana/plugins", Op::Mkdir)],
    ),
    (
        "go",
        "Error: rename /data/wal/00000001.tmp /data/wal/00000001: read-only file system",
        &[
            ("/data/wal/00000001.tmp", Op::Rename),
            ("/data/wal/00000001", Op::Rename),
        ],
    ),
    (
        "go",
        "panic: remove /run/app.sock: read-only file system",
        &[("/run/app.sock", Op::Remove)],
    ),
    // node
    (
        "node",
        "Error: EROFS: read-only file system, open '/app/.next/cache/images/x.webp'",
        &[("/app/.next/cache/images/x.webp", Op::File)],
    ),
    (
        "node",
        "[Error: EROFS: read-only file system, mkdir '/home/node/.npm'] {",
        &[("/home/node/.npm", Op::Mkdir)],
    ),
    (
        "node",
        "npm ERR! EROFS: read-only file system, rename '/usr/src/app/a' -> '/usr/src/app/b'",
        &[
            ("/usr/src/app/a", Op::Rename),
            ("/usr/src/app/b", Op::Rename),
        ],
    ),
    // Erlang/OTP: the reason is the atom `erofs` (RabbitMQ's prelaunch
    // crash report quotes the Erlang string).
    (
        "erlang",
        "2026-11-29 12:00:00.000000+00:00 [error] <0.131.0>                              {\"Failed to create cookie file '/var/lib/rabbitmq/.erlang.cookie': erofs\",",
        &[("/var/lib/rabbitmq/.erlang.cookie", Op::File)],
    ),
    // MongoDB checks its dbPath before writing and never sees EROFS.
    (
        "mongodb",
        "DBException in initAndListen, terminating\",\"attr\":{\"error\":\"IllegalOperation: Attempted to create a lock file on a read-only directory: /data/db\"}}",
        &[("/data/db", Op::Dir)],
    ),
    // postgres
    (
        "postgres",
        "FATAL:  could not create lock file \"/var/run/postgresql/.s.PGSQL.5432.lock\": Read-only file system",
        &[("/var/run/postgresql/.s.PGSQL.5432.lock", Op::File)],
    ),
    (
        "postgres",
        "initdb: error: could not create directory \"/var/lib/postgresql/data/pg_wal\": Read-only file system",
        &[("/var/lib/postgresql/data/pg_wal", Op::Mkdir)],
    ),
    (
        "postgres",
        "initdb: error: could not change permissions of directory \"/var/lib/postgresql/data\": Read-only file system",
        &[("/var/lib/postgresql/data", Op::DirAttr)],
    ),
    (
        "postgres",
        "2024-05-14 09:21:07.123 UTC [1] FATAL:  could not open file \"postmaster.pid\": Read-only file system",
        &[("postmaster.pid", Op::File)],
    ),
    // ruby
    (
        "ruby",
        "Errno::EROFS: Read-only file system @ rb_sysopen - /app/tmp/pids/server.pid",
        &[("/app/tmp/pids/server.pid", Op::File)],
    ),
    (
        "ruby",
        "/usr/local/lib/ruby/3.2.0/fileutils.rb:406:in `mkdir': Read-only file system @ dir_s_mkdir - /rails/tmp/cache (Errno::EROFS)",
        &[("/rails/tmp/cache", Op::Mkdir)],
    ),
    (
        "ruby",
        "Read-only file system @ rb_file_s_rename - (/app/log/a.log, /app/log/b.log) (Errno::EROFS)",
        &[
            ("/app/log/a.log", Op::Rename),
            ("/app/log/b.log", Op::Rename),
        ],
    ),
    // Ruby's own error printer (and `Exception#full_message`) puts the
    // backtrace's first location before the message: for the C functions
    // that share `apply2files`, the function itself (Ruby 3.3's
    // `in `chmod'`, 3.4's `in 'File.chmod'`).
    (
        "ruby",
        "/app/bin/setup:12:in `chmod': Read-only file system @ apply2files - /app/tmp/cache (Errno::EROFS)",
        &[("/app/tmp/cache", Op::Attr)],
    ),
    (
        "ruby",
        "/app/bin/setup:12:in 'File.utime': Read-only file system @ apply2files - /app/tmp/restart.txt (Errno::EROFS)",
        &[("/app/tmp/restart.txt", Op::Attr)],
    ),
    (
        "ruby",
        "/usr/local/lib/ruby/3.3.0/fileutils.rb:2307:in `unlink': Read-only file system @ apply2files - /app/tmp/pids/server.pid (Errno::EROFS)",
        &[("/app/tmp/pids/server.pid", Op::Remove)],
    ),
    // .NET on Linux: `Interop.GetIOException`'s `{msg} : '{path}'`.
    (
        "dotnet",
        "Unhandled exception. System.IO.IOException: Read-only file system : '/app/logs/app.log'",
        &[("/app/logs/app.log", Op::File)],
    ),
    (
        "dotnet",
        " ---> System.IO.IOException: Read-only file system : '/data/keys'",
        &[("/data/keys", Op::File)],
    ),
    (
        "dotnet",
        "      System.IO.IOException: Read-only file system : '/media/Shows/Solo Leveling (2024) [imdbid-tt21209876]/S01E03.trickplay'",
        &[(
            "/media/Shows/Solo Leveling (2024) [imdbid-tt21209876]/S01E03.trickplay",
            Op::File,
        )],
    ),
    // The simple console formatter with `SingleLine` writes the exception's
    // lines joined with spaces: its frames follow the path on the line.
    (
        "dotnet",
        "fail: Microsoft.AspNetCore.Server.Kestrel[13] Connection id \"0HN4\", Request id \"0HN4:00000001\": An unhandled exception was thrown by the application. System.IO.IOException: Read-only file system : '/app/wwwroot/uploads'    at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)    at System.IO.Directory.CreateDirectory(String path)",
        &[("/app/wwwroot/uploads", Op::Mkdir)],
    ),
    // no runtime claims it: any absolute path
    (
        "generic",
        "[2024-05-14] ERROR cannot persist /srv/state.json (Read-only file system)",
        &[("/srv/state.json", Op::File)],
    ),
];

#[test]
fn corpus_lines_yield_the_right_paths_and_runtime() {
    let mut per_runtime = std::collections::BTreeMap::<&str, usize>::new();
    for case @ (runtime, _, _) in CORPUS {
        check(case);
        *per_runtime.entry(runtime).or_default() += 1;
    }
    for r in [
        "sh", "nginx", "python", "java", "go", "node", "postgres", "ruby", "dotnet",
    ] {
        assert!(
            per_runtime.get(r).copied().unwrap_or(0) >= 2,
            "{r} needs at least two real lines"
        );
    }
}

#[test]
fn lines_without_erofs_are_ignored() {
    for line in [
        "open /tmp/x: permission denied",
        "nginx: [emerg] open() \"/run/nginx.pid\" failed (13: Permission denied)",
        "OSError: [Errno 28] No space left on device: '/tmp/x'",
        "GET /index.html HTTP/1.1 200",
    ] {
        assert!(recognise(line).is_empty(), "{line}");
    }
}

#[test]
fn a_log_becomes_a_plan() {
    let log = "\
2024/05/14 09:21:07 [notice] 1#1: using the \"epoll\" event method
nginx: [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)
2024/05/14 09:21:08 [emerg] 1#1: open() \"/var/run/nginx.pid\" failed (30: Read-only file system)
nginx: [alert] could not open error log file: open() \"/var/log/nginx/error.log\" failed (30: Read-only file system)
mkdir: cannot create directory '/var/cache/nginx/proxy_temp': Read-only file system
java.io.IOException: Read-only file system
LOG:  could not open file \"postmaster.pid\": Read-only file system
sh: 1: cannot create /etc/motd: Read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    let paths = planned(&plan);
    assert_eq!(
        paths,
        [
            "/var/cache/nginx/client_temp",
            "/var/cache/nginx/proxy_temp",
            "/var/log/nginx",
            "/var/run"
        ]
    );
    // As written: a volume at /var/run covers the file whether /var/run is
    // the usual link to /run (the runtime resolves it) or a directory.
    assert!(
        plan.paths[3]
            .reason
            .contains("write /var/run/nginx.pid: EROFS (nginx, line 3)"),
        "{:?}",
        plan.paths[3]
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("line 6") && w.contains("names no path"))
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("line 7") && w.contains("relative"))
    );
    assert!(plan.warnings.iter().any(|w| w.contains("system path /etc")));
    plan.validate().unwrap();
}

#[test]
fn path_helpers() {
    assert_eq!(path_at("/a/b: x"), "/a/b");
    assert_eq!(path_at("/a:b/c x"), "/a:b/c");
    assert_eq!(path_at("/a/error_log."), "/a/error_log");
    assert_eq!(abs_paths("x=/a/b, (/c) http://h/x"), ["/a/b", "/c"]);
    assert_eq!(quoted("'a' and 'b", '\'', '\''), ["a"]);
}

#[test]
fn overlong_lines_are_cut_and_counted_and_the_stream_goes_on() {
    // 10 MiB without a newline, then a normal EROFS line, then a long EROFS
    // line whose path is cut by the limit, then a last line without `\n`.
    let mut input = vec![0u8; 10 << 20];
    input.extend_from_slice(b"\nopen /srv/a/x: read-only file system\r\n");
    input.extend_from_slice(b"Error: EROFS: read-only file system, open '/srv/b/");
    input.extend(std::iter::repeat_n(b'b', MAX_LINE));
    input.extend_from_slice(b"'\nsh: 1: cannot create /srv/c/x: Read-only file system");
    let scan = scan_reader(std::io::BufReader::with_capacity(4096, &input[..])).unwrap();
    let hits: Vec<(usize, &str)> = scan
        .hits
        .iter()
        .map(|(n, h)| (*n, h.path.as_str()))
        .collect();
    assert_eq!(hits, [(2, "/srv/a/x"), (4, "/srv/c/x")]);
    assert_eq!((scan.truncated, scan.first_truncated), (2, Some(1)));
    // The cut line still says EROFS, but the path it names is incomplete.
    assert_eq!(scan.unresolved.len(), 1);
    assert_eq!(scan.unresolved[0].line, 3);
    let plan = plan_from_scan(&scan, "logs: -");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("2 line(s) longer than 64 KiB (the first is line 1)")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn reading_holds_one_capped_line_not_the_input() {
    // `/dev/zero`-like input: one endless line, cut and counted (peak memory
    // is the cap, not the input: checked with `/usr/bin/time -v`).
    let scan = scan_reader(std::io::BufReader::new(std::io::repeat(0).take(64 << 20))).unwrap();
    assert!(scan.hits.is_empty() && scan.unresolved.is_empty());
    assert_eq!((scan.truncated, scan.first_truncated), (1, Some(1)));
}

#[test]
fn go_paths_are_taken_whole_and_relative_ones_stay_relative() {
    let pairs = |line: &str| -> Vec<(String, Op)> {
        recognise(line)
            .into_iter()
            .map(|h| (h.path, h.op))
            .collect()
    };
    let one = |p: &str, op| vec![(p.to_string(), op)];
    assert_eq!(
        pairs("open /var/lib/my app/x.db: read-only file system"),
        one("/var/lib/my app/x.db", Op::File)
    );
    assert_eq!(
        pairs("open data/x.db: read-only file system"),
        one("data/x.db", Op::File)
    );
    assert_eq!(
        pairs("open ./data/x.db: read-only file system"),
        one("./data/x.db", Op::File)
    );
    assert_eq!(
        pairs("2024/05/14 09:21:07 open /srv/k=v/x: read-only file system"),
        one("/srv/k=v/x", Op::File)
    );
    assert_eq!(
        pairs("level=error err=mkdir /srv/cache: read-only file system"),
        one("/srv/cache", Op::Mkdir)
    );
    assert_eq!(
        pairs("rename /srv/my dir/a /srv/my dir/b: read-only file system"),
        vec![
            ("/srv/my dir/a".to_string(), Op::Rename),
            ("/srv/my dir/b".to_string(), Op::Rename)
        ]
    );
    assert_eq!(
        pairs("symlink a b: read-only file system"),
        one("b", Op::File)
    );
    // Prose is not a Go error: no words turned into paths.
    assert!(go::find("cannot open the file: read-only file system").is_empty());

    let plan = plan_from_scan(
        &scan("open data/x.db: read-only file system\nopen ./data/x.db: read-only file system\n"),
        "logs: -",
    );
    assert!(plan.paths.is_empty(), "{:?}", plan.paths);
    for (n, p) in [(1, "data/x.db"), (2, "./data/x.db")] {
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with(&format!("line {n}: {p:?} is relative"))),
            "{:?}",
            plan.warnings
        );
    }
}

#[test]
fn python_reprs_are_unescaped() {
    let pairs = |line: &str| -> Vec<(String, Op)> {
        recognise(line)
            .into_iter()
            .map(|h| (h.path, h.op))
            .collect()
    };
    let one = |p: &str| vec![(p.to_string(), Op::File)];
    assert_eq!(
        pairs(r#"OSError: [Errno 30] Read-only file system: '/app/it\'s/"x"'"#),
        one(r#"/app/it's/"x""#)
    );
    assert_eq!(
        pairs(r#"OSError: [Errno 30] Read-only file system: "/app/it's/x""#),
        one("/app/it's/x")
    );
    assert_eq!(
        pairs(r"OSError: [Errno 30] Read-only file system: b'/app/a\\b\x41\u00e9'"),
        one("/app/a\\bAé")
    );
    assert_eq!(
        pairs(r"OSError: [Errno 30] Read-only file system: '/srv/a\'' -> '/srv/b'"),
        vec![
            ("/srv/a'".to_string(), Op::Rename),
            ("/srv/b".to_string(), Op::Rename)
        ]
    );
    let plan = plan_from_scan(
        &scan(r"OSError: [Errno 30] Read-only file system: '/app/it\'s/x'"),
        "logs: -",
    );
    let paths = planned(&plan);
    assert_eq!(paths, ["/app/it's"]);
}

#[test]
fn a_repeated_error_is_counted_not_kept() {
    // A crash loop: the same two errors, 10,000 times over.
    let mut log = String::new();
    for _ in 0..10_000 {
        log.push_str("open /var/cache/app/x: read-only file system\n");
        log.push_str("fatal: read-only file system\n");
    }
    log.push_str("open /var/cache/app/y: read-only file system\n");
    let scan = scan_reader(std::io::BufReader::new(log.as_bytes())).unwrap();
    let hits: Vec<(usize, &str)> = scan
        .hits
        .iter()
        .map(|(n, h)| (*n, h.path.as_str()))
        .collect();
    assert_eq!(
        hits,
        [(1, "/var/cache/app/x"), (20_001, "/var/cache/app/y")]
    );
    assert_eq!(scan.repeated, 9_999);
    assert_eq!(
        scan.unresolved,
        [Unresolved {
            line: 2,
            container: None,
            text: "fatal: read-only file system".to_string()
        }]
    );
    assert_eq!(scan.unresolved_more, 9_999);
    let plan = plan_from_scan(&scan, "logs: -");
    assert_eq!(plan.paths.len(), 1, "{:?}", plan.paths);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("9999 more read-only file system error line(s) name no path")),
        "{:?}",
        plan.warnings
    );
}

/// Lines whose path is a directory the program writes in, a template, or
/// whose operation words were read from inside the path: each once gave a
/// plan that mounted the wrong directory (`/`, `/var/lib`, a random name,
/// or a file's own path).
#[test]
fn directories_templates_and_words_in_paths() {
    let cases: &[Case] = &[
        (
            "redis",
            "1:M 14 May 2024 09:21:07.123 # Failed opening the temp RDB file temp-123.rdb (in server root dir /data) for saving: Read-only file system",
            &[("/data", Op::Dir)],
        ),
        (
            "redis",
            "1:M 14 May 2024 09:21:07.123 # Can't open the append-only file appendonly.aof (in server root dir /var/lib/redis): Read-only file system",
            &[("/var/lib/redis", Op::Dir)],
        ),
        (
            "mysql",
            "2024-05-14T09:21:07.123456Z 0 [ERROR] [MY-010119] [Server] mysqld: Can't create directory '/var/lib/mysql/' (OS errno 30 - Read-only file system)",
            &[("/var/lib/mysql/", Op::Mkdir)],
        ),
        (
            "mysql",
            "mysqld: Can't create/write to file '/tmp/ibXXXXXX' (OS errno 30 - Read-only file system)",
            &[("/tmp/ibXXXXXX", Op::File)],
        ),
        (
            "node",
            "Error: EROFS: read-only file system, mkdtemp '/tmp/jest-XXXXXX'",
            &[("/tmp/jest-XXXXXX", Op::File)],
        ),
        (
            "sh",
            "sh: 1: cannot create /srv/directory/app.pid: Read-only file system",
            &[("/srv/directory/app.pid", Op::File)],
        ),
        (
            "sh",
            "cp: cannot create regular file '/app/mkdir-cache/x': Read-only file system",
            &[("/app/mkdir-cache/x", Op::File)],
        ),
        (
            "sh",
            "mkdir: can't create directory '/var/cache/app': Read-only file system",
            &[("/var/cache/app", Op::Mkdir)],
        ),
        (
            "sh",
            "mv: can't move '/srv/a' to '/srv/b': Read-only file system",
            &[("/srv/a", Op::Rename), ("/srv/b", Op::Rename)],
        ),
    ];
    cases.iter().for_each(check);
    // Without the rename, whose seeded /srv would absorb /srv/directory.
    let log = cases
        .iter()
        .filter(|(_, _, want)| want.iter().all(|(_, op)| *op != Op::Rename))
        .map(|(_, l, _)| *l)
        .collect::<Vec<_>>()
        .join("\n");
    let plan = plan_from_scan(&scan(&log), "test");
    let paths = planned(&plan);
    for want in [
        "/data",
        "/var/lib/redis",
        "/var/lib/mysql",
        "/tmp",
        "/srv/directory",
    ] {
        assert!(paths.contains(&want), "{want} missing: {paths:?}");
    }
    for wrong in [
        "/",
        "/var/lib",
        "/tmp/jest-XXXXXX",
        "/srv/directory/app.pid",
    ] {
        assert!(!paths.contains(&wrong), "{wrong} planned: {paths:?}");
    }
}

/// Every `/` after a `=` or `:` may start a path: a line made of them
/// once cost a scan to the end of the line per slash (quadratic, about
/// half a minute for one 64 KiB line in a debug build). Checked by the
/// work done, not by a clock: every character is read as part of at most
/// one path.
#[test]
fn a_line_of_path_starts_is_read_in_linear_time() {
    for unit in ["=/", ":/", " /"] {
        let line = format!("EROFS {}", unit.repeat(MAX_LINE / 2 - 8));
        let read: usize = abs_paths(&line).iter().map(|p| p.len()).sum();
        assert!(read <= line.len(), "{unit:?}: {read} bytes read as paths");
        let scan = scan_reader(format!("{line}\n").repeat(4).as_bytes()).unwrap();
        assert_eq!(scan.truncated, 0, "{unit:?}");
    }
}

/// What GNU coreutils 9.1 printed for names in a read-only tmpfs (in a
/// user and mount namespace: `unshare -Urm`, `mount -t tmpfs -o ro`),
/// LANG=C and C.UTF-8. Names with a quote, a control character or (in
/// the C locale) a byte that is not ASCII are quoted with escapes, for the
/// shell (`touch`, `rm`, `mv`, …) or for people (`mkdir`, `mktemp`): read
/// as plain quotes they were cut at the first quote or kept their escapes.
#[test]
fn coreutils_quoting_is_read_back() {
    let cases: &[Case] = &[
        (
            "sh",
            r#"touch: cannot touch '/tmp/rox/new-it'\''s "both"': Read-only file system"#,
            &[(r#"/tmp/rox/new-it's "both""#, Op::File)],
        ),
        (
            "sh",
            r#"rm: cannot remove "/tmp/rox/it's": Read-only file system"#,
            &[("/tmp/rox/it's", Op::Remove)],
        ),
        (
            "sh",
            r"touch: cannot touch '/tmp/rox/new-a'$'\t''b': Read-only file system",
            &[("/tmp/rox/new-a\tb", Op::File)],
        ),
        (
            "sh",
            r"rm: cannot remove '/tmp/rox/'$'\303\251': Read-only file system",
            &[("/tmp/rox/é", Op::Remove)],
        ),
        (
            "sh",
            r"touch: cannot touch '/tmp/rox/new-a\b': Read-only file system",
            &[(r"/tmp/rox/new-a\b", Op::File)],
        ),
        (
            "sh",
            r#"mv: cannot move '/tmp/rox/plain' to "/tmp/rox/b'c": Read-only file system"#,
            &[("/tmp/rox/plain", Op::Rename), ("/tmp/rox/b'c", Op::Rename)],
        ),
        (
            "sh",
            r#"cp: cannot create regular file "/tmp/rox/cp'd": Read-only file system"#,
            &[("/tmp/rox/cp'd", Op::File)],
        ),
        (
            "sh",
            r#"truncate: cannot open "/tmp/rox/b'c" for writing: Read-only file system"#,
            &[("/tmp/rox/b'c", Op::File)],
        ),
        (
            "sh",
            "tee: '/tmp/rox/tee file': Read-only file system",
            &[("/tmp/rox/tee file", Op::File)],
        ),
        (
            "sh",
            r"mkdir: cannot create directory '/tmp/rox/new\'dir': Read-only file system",
            &[("/tmp/rox/new'dir", Op::Mkdir)],
        ),
        (
            "sh",
            r"mkdir: cannot create directory '/tmp/rox/a\\b': Read-only file system",
            &[(r"/tmp/rox/a\b", Op::Mkdir)],
        ),
        (
            "sh",
            r"mkdir: cannot create directory '/tmp/rox/\303\251': Read-only file system",
            &[("/tmp/rox/é", Op::Mkdir)],
        ),
        (
            "sh",
            "mkdir: cannot create directory ‘/tmp/rox/new'dir’: Read-only file system",
            &[("/tmp/rox/new'dir", Op::Mkdir)],
        ),
        (
            "sh",
            r"mktemp: failed to create file via template '/tmp/rox/tmp\'.XXXXXX': Read-only file system",
            &[("/tmp/rox/tmp'.XXXXXX", Op::File)],
        ),
    ];
    cases.iter().for_each(check);
    let plan = plan_from_scan(
        &scan(
            "mkdir: cannot create directory '/var/cache/it\\'s': Read-only file system\n\
             touch: cannot touch '/srv/a b/it'\\''s': Read-only file system\n",
        ),
        "logs: -",
    );
    assert_eq!(planned(&plan), ["/srv/a b", "/var/cache/it's"]);
}

/// A coreutils error naming a relative path names a path all the same:
/// the warning quotes it and says why no volume is planned (the log does
/// not show the working directory), rather than that the line names none.
/// Lines as coreutils 9.1 printed them, LANG=C and C.UTF-8.
#[test]
fn a_relative_quoted_name_is_warned_about_by_name() {
    let log = "\
mkdir: cannot create directory 'cache': Read-only file system
mkdir: cannot create directory ‘cache’: Read-only file system
mkdir: cannot create directory 'd\\'x': Read-only file system
touch: cannot touch \"'abc\": Read-only file system
mv: cannot move 'a' to 'b c': Read-only file system
Error 'worker-1': cannot save state: Read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    assert!(plan.paths.is_empty(), "{:?}", plan.paths);
    for (line, name, what) in [
        (1, "cache", "mkdir"),
        (3, "d'x", "mkdir"),
        (4, "'abc", "write"),
        (5, "a", "rename"),
        (5, "b c", "rename"),
    ] {
        let start = format!(
            "line {line}: {name:?} is relative, and the log does not show the program's working directory, so no volume is planned for it ({what} {name:?}: EROFS, sh)"
        );
        assert!(
            plan.warnings.iter().any(|w| w.starts_with(&start)),
            "{start}: {:#?}",
            plan.warnings
        );
    }
    // Line 2 is line 1 again (the same name and operation): counted, not
    // warned about twice. A quoted word that is not where coreutils put
    // names is no path.
    let no_path: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.contains("names no path"))
        .collect();
    assert_eq!(no_path.len(), 1, "{no_path:?}");
    assert!(no_path[0].starts_with("line 6: "), "{no_path:?}");
}

/// Lines no runtime claims: the path they name is the one nearest before
/// the words that say EROFS (as `sh` reads `cannot create /x: …`), or,
/// with none before, the first after (Apache's `(30)Read-only file
/// system: … could not open error log file /x.`). A source location, a
/// path with a line number (`/app/worker.py:88`) or PHP's `in /x.php on
/// line 3`, is where the error was raised, not what was written: taken
/// first, it planned a volume over the application's code.
#[test]
fn the_generic_path_is_the_one_the_error_is_about() {
    let cases: &[Case] = &[
        (
            "generic",
            "2024-05-14 09:21:07,123 ERROR /usr/src/app/worker.py:88 could not write /data/out.csv (Read-only file system)",
            &[("/data/out.csv", Op::File)],
        ),
        (
            "generic",
            "/usr/local/bin/start.sh: could not save /srv/state.json (read-only file system)",
            &[("/srv/state.json", Op::File)],
        ),
        (
            "generic",
            "[Tue May 14 09:21:07.123456 2024] [core:emerg] [pid 1] (30)Read-only file system: AH00091: httpd: could not open error log file /usr/local/apache2/logs/error_log.",
            &[("/usr/local/apache2/logs/error_log", Op::File)],
        ),
        // .NET's reader claims it now, and reads the same path.
        (
            "dotnet",
            "Unhandled exception. System.IO.IOException: Read-only file system : '/app/logs/log.txt'",
            &[("/app/logs/log.txt", Op::File)],
        ),
    ];
    cases.iter().for_each(check);
    // PHP's mkdir() warning names no directory, only where it was called.
    let php = "PHP Warning:  mkdir(): Read-only file system in /var/www/html/wp-includes/functions.php on line 2024";
    assert!(recognise(php).is_empty(), "{:?}", recognise(php));
    let plan = plan_from_scan(&scan(php), "logs: -");
    assert!(plan.paths.is_empty(), "{:?}", plan.paths);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("line 1: read-only file system error names no path")),
        "{:?}",
        plan.warnings
    );
}

/// A shell prints the file of a redirection it could not open as it is,
/// spaces, quotes and `: ` included: the name is the rest of the message
/// (it was cut at the first space or quote, so `/srv/my dir/x` planned
/// `/srv`). Lines as dash 0.5.12 and bash 5.2 printed them in a read-only
/// tmpfs (`unshare -Urm`).
#[test]
fn a_shell_redirection_names_its_file_whole() {
    let cases: &[Case] = &[
        (
            "sh",
            "sh: 1: cannot create /tmp/rox/sh redir: Read-only file system",
            &[("/tmp/rox/sh redir", Op::File)],
        ),
        (
            "sh",
            "sh: 1: cannot create /tmp/rox/sh'q: x: Read-only file system",
            &[("/tmp/rox/sh'q: x", Op::File)],
        ),
        (
            "sh",
            "/tmp/gen-coreutils.sh: 26: cannot create /tmp/rox/sh'redir: Read-only file system",
            &[("/tmp/rox/sh'redir", Op::File)],
        ),
        (
            "sh",
            "bash: line 1: /tmp/rox/bash redir: Read-only file system",
            &[("/tmp/rox/bash redir", Op::File)],
        ),
        (
            "sh",
            "bash: line 1: /tmp/rox/bash'q: Read-only file system",
            &[("/tmp/rox/bash'q", Op::File)],
        ),
        (
            "sh",
            "sh: 1: cannot create rel: Read-only file system",
            &[("rel", Op::File)],
        ),
        (
            "sh",
            "bash: line 1: rel: Read-only file system",
            &[("rel", Op::File)],
        ),
    ];
    cases.iter().for_each(check);
    let plan = plan_from_scan(
        &scan("sh: 1: cannot create /srv/my dir/x.pid: Read-only file system\n"),
        "logs: -",
    );
    assert_eq!(planned(&plan), ["/srv/my dir"]);
}

/// A directory a temp function made up is never asked for again: the plan
/// mounts the directory it was made in, not the made-up name. A stable
/// name (`/var/cache/app2`, `/srv/v1234567`) is still mounted as named.
#[test]
fn made_up_directory_names_plan_their_parent() {
    let log = "\
mkdir /tmp/go-build2837465912: read-only file system
mktemp: failed to create directory via template '/tmp/tmp.XXXXXXXXXX': Read-only file system
mkdir /var/cache/app2: read-only file system
mkdir: cannot create directory '/srv/v1234567': Read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    let paths = planned(&plan);
    assert_eq!(paths, ["/srv/v1234567", "/tmp", "/var/cache/app2"]);
    let tmp = &plan.paths[1];
    for evidence in [
        "mkdir (random name) /tmp/go-build2837465912: EROFS (go, line 1)",
        "mkdir (random name) /tmp/tmp.XXXXXXXXXX: EROFS (sh, line 2)",
    ] {
        assert!(tmp.reason.contains(evidence), "{evidence}: {tmp:?}");
    }
    plan.validate().unwrap();
}

/// Past the bound, distinct paths are counted, not kept, and the plan says
/// so; a path already kept is still counted as a repeat.
#[test]
fn distinct_paths_past_the_bound_are_counted_not_kept() {
    let mut s = Scan {
        max_distinct: Some(3),
        ..Scan::default()
    };
    let log: Vec<String> = (0..6)
        .map(|i| format!("open /srv/d{i}/f: read-only file system"))
        .chain(["open /srv/d0/f: read-only file system".to_string()])
        .collect();
    for (i, line) in log.iter().enumerate() {
        s.line(i + 1, line);
    }
    let kept: Vec<&str> = s.hits.iter().map(|(_, h)| h.path.as_str()).collect();
    assert_eq!(kept, ["/srv/d0/f", "/srv/d1/f", "/srv/d2/f"]);
    assert_eq!(
        (s.over_limit, s.first_over_limit, s.repeated),
        (3, Some(4), 1)
    );
    let plan = plan_from_scan(&s, "logs: -");
    assert_eq!(plan.paths.len(), 3);
    assert!(
        plan.warnings.iter().any(|w| w
            == "3 path(s) named from line 4 on (repeats counted) were not planned: only the first 3 distinct paths are kept, and a program's log names a few hundred"),
        "{:?}",
        plan.warnings
    );
}

/// The bound on distinct paths is on their bytes too: a log of distinct
/// paths each near the line bound (64 KiB) held 7.5 times its size in
/// memory before the count bound (100,000 of them, 6 GB of log) was near.
/// Past 16 MiB of them, hits are counted and warned about, not kept.
#[test]
fn distinct_paths_past_the_byte_bound_are_counted_not_kept() {
    let long = "a".repeat(60_000);
    let lines = MAX_DISTINCT_BYTES / 60_000 + 10;
    let log: String = (0..lines)
        .map(|i| format!("open /srv/{i:05}{long}/f: read-only file system\n"))
        .collect();
    let s = scan_reader(log.as_bytes()).unwrap();
    let kept_bytes: usize = s.hits.iter().map(|(_, h)| h.path.len()).sum();
    assert!(kept_bytes <= MAX_DISTINCT_BYTES, "{kept_bytes}");
    assert_eq!(s.hits.len() + s.over_limit, lines);
    assert!(s.over_limit >= 10, "{}", s.over_limit);
    let first = s.hits.len() + 1;
    assert_eq!(s.first_over_limit, Some(first));
    let plan = plan_from_scan(&s, "logs: -");
    let warning = format!(
        "{} path(s) named from line {first} on (repeats counted) were not planned: only the first 16 MiB of distinct paths are kept, and a program's log names a few hundred short ones",
        s.over_limit
    );
    assert!(plan.warnings.contains(&warning), "{warning}");
}

/// npm's report opens with a `code EROFS` line naming no path and names it
/// a few lines on: the plan has the path and no "names no path" warning.
/// An EROFS line that names no path and has no such sequel still warns.
#[test]
fn npms_code_line_is_not_warned_about_when_its_rofs_line_names_the_path() {
    for log in [
        "npm ERR! code EROFS\nnpm ERR! syscall mkdir\nnpm ERR! path /root/.npm\nnpm ERR! errno -30\nnpm ERR! rofs EROFS: read-only file system, mkdir '/root/.npm'\n",
        "npm error code EROFS\nnpm error syscall mkdir\nnpm error path /root/.npm\nnpm error errno -30\nnpm error rofs EROFS: read-only file system, mkdir '/root/.npm'\n",
    ] {
        let plan = plan_from_scan(&scan(log), "logs: -");
        let paths = planned(&plan);
        assert_eq!(paths, ["/root/.npm"]);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }
    let plan = plan_from_scan(
        &scan(
            "Error: Os { code: 30, kind: ReadOnlyFilesystem, message: \"Read-only file system\" }\n",
        ),
        "logs: -",
    );
    assert!(
        plan.warnings[0].contains("names no path"),
        "{:?}",
        plan.warnings
    );
}

/// Docker's json-file log and JSON loggers: the hits are those of the
/// decoded messages (no `\` on the path, `\/` read as `/`), with no warning
/// about the stream names or timestamps beside them.
#[test]
fn json_log_lines_are_read_as_their_messages() {
    let docker = concat!(
        r#"{"log":"2026/11/29 12:00:00 [emerg] 1#1: mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n","stream":"stderr","time":"2026-11-29T12:00:00.000000000Z"}"#,
        "\n",
        r#"{"log":"FATAL:  could not create lock file \"/var/run/postgresql/.s.PGSQL.5432.lock\": Read-only file system\n","stream":"stderr","time":"2026-11-29T12:00:00.000000000Z"}"#,
        "\n",
        r#"{"level":"error","msg":"write failed","error":"mkdir \/var\/cache\/app: read-only file system"}"#,
        "\n",
    );
    let plain = "2026/11/29 12:00:00 [emerg] 1#1: mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n\
                 FATAL:  could not create lock file \"/var/run/postgresql/.s.PGSQL.5432.lock\": Read-only file system\n\
                 mkdir /var/cache/app: read-only file system\n";
    let hits = |text: &str| {
        let s = scan(text);
        assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
        s.hits
            .iter()
            .map(|(n, h)| (*n, h.path.clone(), h.op, h.runtime))
            .collect::<Vec<_>>()
    };
    let want = vec![
        (
            1,
            "/var/cache/nginx/client_temp".to_string(),
            Op::Mkdir,
            "nginx",
        ),
        (
            2,
            "/var/run/postgresql/.s.PGSQL.5432.lock".to_string(),
            Op::File,
            "postgres",
        ),
        (3, "/var/cache/app".to_string(), Op::Mkdir, "go"),
    ];
    assert_eq!(hits(docker), want);
    assert_eq!(hits(plain), want);
    let plan = plan_from_scan(&scan(docker), "docker.log");
    assert!(
        !plan.warnings.iter().any(|w| w.contains("relative")),
        "{:?}",
        plan.warnings
    );
}

/// `kubectl logs --timestamps` (and `docker logs -t`) put an RFC 3339
/// timestamp before each line, after kubectl's `--prefix`: a JSON log line
/// behind one is still decoded, or its `\"` and `\/` end up in the path
/// (`/var/cache/nginx/client_temp\` planned `/var/cache/nginx`).
#[test]
fn a_timestamp_before_a_json_line_does_not_stop_its_decoding() {
    let json = [
        r#"{"level":"error","msg":"2024/05/14 [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)"}"#,
        r#"{"level":"error","error":"mkdir \/srv\/caf\u00e9: read-only file system"}"#,
    ];
    let hits = |log: &str| {
        let s = scan(log);
        assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
        s.hits
            .iter()
            .map(|(n, h)| (*n, h.path.clone(), h.op, h.container.clone()))
            .collect::<Vec<_>>()
    };
    let want = |container: Option<&str>| {
        vec![
            (
                1,
                "/var/cache/nginx/client_temp".to_string(),
                Op::Mkdir,
                container.map(String::from),
            ),
            (
                2,
                "/srv/café".to_string(),
                Op::Mkdir,
                container.map(String::from),
            ),
        ]
    };
    // kubelet trims trailing zeros (RFC3339Nano); docker pads them; an
    // offset instead of `Z`.
    for stamp in [
        "2024-05-14T09:21:07.1234Z",
        "2024-05-14T09:21:07Z",
        "2024-05-14T09:21:07.123456789+02:00",
    ] {
        let log: String = json.iter().map(|l| format!("{stamp} {l}\n")).collect();
        assert_eq!(hits(&log), want(None), "{stamp}");
        let log: String = json
            .iter()
            .map(|l| format!("[pod/web-1/app] {stamp} {l}\n"))
            .collect();
        assert_eq!(hits(&log), want(Some("app")), "{stamp}");
    }
}

/// `/dev` is the runtime's tmpfs of device nodes (and the termination log
/// bound from the node): an emptyDir over it hides `/dev/null` and the
/// rest. A write there is a warning; `/dev/shm` alone is scratch a volume
/// may take, and is planned on its own, not merged into `/dev`.
#[test]
fn a_write_under_dev_is_warned_about_and_only_dev_shm_is_planned() {
    let log = "\
open /dev/termination-log: read-only file system
open /dev/shm/sem.x: read-only file system
sh: can't create /dev/pts/ptmx: Read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    let paths = planned(&plan);
    assert_eq!(paths, ["/dev/shm"]);
    for dev in ["/dev/termination-log", "/dev/pts/ptmx"] {
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.contains(&format!("write {dev}: EROFS"))
                    && w.contains("the kernel's interface")),
            "{dev}: {:?}",
            plan.warnings
        );
    }
}

/// Node prints an uncaught error's properties below its message, one per
/// line: `code: 'EROFS'` names no path, but the message above it does, so
/// it is no error of its own to warn about.
#[test]
fn nodes_code_property_is_not_warned_about() {
    let log = "\
Error: EROFS: read-only file system, open '/app/.cache/x'
    at Object.openSync (node:fs:573:18)
    at Object.writeFileSync (node:fs:2334:35) {
  errno: -30,
  code: 'EROFS',
  syscall: 'open',
  path: '/app/.cache/x'
}
[Error: EROFS: read-only file system, mkdir '/home/node/.npm'] {
  errno: -30,
  syscall: 'mkdir',
  code: 'EROFS'
}
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    let paths = planned(&plan);
    assert_eq!(paths, ["/app/.cache", "/home/node/.npm"]);
    assert!(
        !plan.warnings.iter().any(|w| w.contains("names no path")),
        "{:?}",
        plan.warnings
    );
}

/// A JSON logger (pino, bunyan, winston) writes a Node error as an object:
/// its `code` string is `EROFS` alone, its `message` names the path. The
/// strings of one record are one error: a string that names no path is
/// no error of its own when another string of the record does (it was
/// warned about as "names no path: EROFS" beside the path it planned).
/// A record none of whose strings names a path is still warned about.
#[test]
fn a_json_records_code_field_is_not_warned_about_when_its_message_names_the_path() {
    let pino = r#"{"level":50,"time":1715678467000,"err":{"type":"Error","message":"EROFS: read-only file system, open '/app/.cache/x.json'","errno":-30,"code":"EROFS","syscall":"open","path":"/app/.cache/x.json"},"msg":"EROFS: read-only file system, open '/app/.cache/x.json'"}"#;
    let s = scan(pino);
    assert_eq!(
        s.hits
            .iter()
            .map(|(n, h)| (*n, h.path.as_str()))
            .collect::<Vec<_>>(),
        [(1, "/app/.cache/x.json")]
    );
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    assert_eq!(s.unresolved_more, 0);
    let nameless = r#"{"level":"error","msg":"cannot save","code":"EROFS"}"#;
    let s = scan(nameless);
    assert!(s.hits.is_empty(), "{:?}", s.hits);
    assert_eq!(
        s.unresolved
            .iter()
            .map(|u| (u.line, u.text.as_str()))
            .collect::<Vec<_>>(),
        [(1, "EROFS")]
    );
}

/// Docker's json-file log of a program that logs JSON itself: the `log`
/// string is a JSON line in its turn, and its escapes must be decoded too,
/// or `\"` ends the path in a backslash (`client_temp\`) and the volume
/// lands one directory up.
#[test]
fn a_json_line_inside_dockers_json_file_line_is_decoded_too() {
    let log = concat!(
        r#"{"log":"{\"level\":\"error\",\"error\":\"mkdir() \\\"/var/cache/nginx/client_temp\\\" failed (30: Read-only file system)\"}\n","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}"#,
        "\n",
        r#"{"log":"{\"level\":\"error\",\"error\":\"mkdir \\/srv\\/caf\\u00e9: read-only file system\"}\n","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}"#,
        "\n",
    );
    let s = scan(log);
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    let hits = line_path_ops(&s);
    assert_eq!(
        hits,
        [
            (1, "/var/cache/nginx/client_temp", Op::Mkdir),
            (2, "/srv/café", Op::Mkdir)
        ]
    );
}

/// The kubelet's CRI log files (`/var/log/pods/…/0.log`): each record is
/// `TIMESTAMP STREAM TAG MESSAGE`. Left on, `stderr F` hides a JSON line
/// from decoding (its `\"` ends the path: `/var/cache/nginx` planned for
/// `client_temp`); a `P` record's message goes on in the stream's next
/// record, so its path and its `Read-only file system` may be in two.
#[test]
fn cri_log_records_are_read_as_their_messages_joined() {
    let log = r#"2024-05-14T09:21:07.123456789Z stderr F {"error":"mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)"}
2024-05-14T09:21:07.2Z stdout F 2024/05/14 09:21:07 [notice] 1#1: using the "epoll" event method
2024-05-14T09:21:07.3Z stderr P {"level":"error","error":"mkdir \/var\/lib
2024-05-14T09:21:07.3Z stdout F 2024/05/14 09:21:07 [notice] 1#1: start worker processes
2024-05-14T09:21:07.3Z stderr P \/app\/sessions: read-o
2024-05-14T09:21:07.3Z stderr F nly file system"}
2024-05-14T09:21:08+02:00 stdout P open /srv/tail/x: read-only
2024-05-14T09:21:08Z stderr F sh: 1: cannot create /run/app.pid: Read-only file system
2024-05-14T09:21:09Z stdout F  file system
"#;
    let s = scan(log);
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    let hits = line_path_ops(&s);
    // A joined message is evidence of the line where it started.
    // (In the order the messages ended.)
    assert_eq!(
        hits,
        [
            (1, "/var/cache/nginx/client_temp", Op::Mkdir),
            (3, "/var/lib/app/sessions", Op::Mkdir),
            (8, "/run/app.pid", Op::File),
            (7, "/srv/tail/x", Op::File),
        ]
    );
    let plan = plan_from_scan(&s, "0.log");
    assert!(
        plan.paths.iter().any(|p| p
            .reason
            .contains("mkdir /var/lib/app/sessions: EROFS (go, line 3)")),
        "{:?}",
        plan.paths
    );
    // The stream and tag are not evidence of anything: nothing is left
    // over to warn about.
    assert!(
        !plan
            .warnings
            .iter()
            .any(|w| w.contains("names no path") || w.contains("relative")),
        "{:?}",
        plan.warnings
    );
}

/// A `P` record with no `F` after it (the container was killed, or the
/// log rotated): the message is read as far as it goes.
#[test]
fn a_cri_join_still_open_at_the_end_is_read_as_it_is() {
    for end in ["\n", ""] {
        let log =
            format!("2024-05-14T09:21:07Z stderr P mkdir /srv/cache: read-only file system{end}");
        for s in [scan(&log), scan_reader(log.as_bytes()).unwrap()] {
            let hits: Vec<(usize, &str)> =
                s.hits.iter().map(|(n, h)| (*n, h.path.as_str())).collect();
            assert_eq!(hits, [(1, "/srv/cache")], "{log:?}");
        }
    }
}

/// A join is held in memory until its last record: a program printing
/// without a newline (or a hostile one) sends `P` records without end. It
/// is cut at the reader's line bound, with a warning naming where it
/// started, and the stream goes on.
#[test]
fn a_cri_join_longer_than_the_line_bound_is_cut_and_warned_about() {
    let piece = "b".repeat(16 * 1024);
    let mut log = String::from(
        "2024-05-14T09:21:07Z stdout F starting\n\
         2024-05-14T09:21:07Z stderr P Error: EROFS: read-only file system, open '/srv/b/\n",
    );
    for _ in 0..(MAX_LINE / piece.len()) * 4 {
        log.push_str(&format!("2024-05-14T09:21:07Z stderr P {piece}\n"));
    }
    log.push_str("2024-05-14T09:21:07Z stderr F '\n");
    log.push_str(
        "2024-05-14T09:21:08Z stderr F sh: 1: cannot create /srv/c/x: Read-only file system\n",
    );
    let last = log.lines().count();
    let s = scan_reader(std::io::BufReader::with_capacity(4096, log.as_bytes())).unwrap();
    let hits: Vec<(usize, &str)> = s.hits.iter().map(|(n, h)| (*n, h.path.as_str())).collect();
    assert_eq!(hits, [(last, "/srv/c/x")]);
    // The cut went through the path: the words before it still say EROFS.
    assert_eq!(s.unresolved.len(), 1, "{:?}", s.unresolved);
    assert_eq!(s.unresolved[0].line, 2);
    assert_eq!((s.truncated, s.first_truncated), (0, None));
    let plan = plan_from_scan(&s, "0.log");
    assert!(
        plan.warnings.iter().any(|w| w.starts_with(
            "1 message(s) joined from partial log records longer than 64 KiB (the first starts at line 2)"
        )),
        "{:?}",
        plan.warnings
    );
}

/// A Docker json-file record: the `log` string as the daemon encodes it.
fn docker_record(stream: &str, log: &str) -> String {
    let log = serde_json::to_string(log).unwrap();
    format!(r#"{{"log":{log},"stream":"{stream}","time":"2024-05-14T09:21:07.123456789Z"}}"#)
}

/// Each line of `log` in a Docker json-file record of its own, as the
/// daemon writes a program's output line by line.
fn docker_log(stream: &str, log: &str) -> String {
    log.lines()
        .map(|l| docker_record(stream, &format!("{l}\n")) + "\n")
        .collect()
}

/// Docker's json-file driver cuts a line longer than 16 KiB into records
/// of 16 KiB: a partial record's `log` has no trailing `\n`, and the
/// stream's next records go on with it (the other stream's may come
/// between). Read one record at a time, the path is cut in two and the
/// error is a line that names no path.
#[test]
fn docker_json_file_records_of_a_long_line_are_joined_per_stream() {
    // A JSON logger's line with a large field before the error: the
    // daemon's 16 KiB cut falls inside the path.
    let head = r#"{"level":"error","msg":"save failed","payload":""#;
    let tail = r#"","error":"open /var/lib/app/sessions/x.json: read-only file system"}"#;
    let pad = 16 * 1024 - head.len() - r#"","error":"open /var/lib/app/sess"#.len();
    let line = format!("{head}{}{tail}", "A".repeat(pad));
    let (first, rest) = line.split_at(16 * 1024);
    assert!(first.ends_with("/var/lib/app/sess"));
    let log = [
        docker_record("stdout", "listening on :8080\n"),
        docker_record("stderr", first),
        docker_record("stdout", "GET /healthz 200\n"),
        docker_record("stderr", &format!("{rest}\n")),
        r#"{"log":"Error: EROFS: read-only file system, open '/srv/","stream":"stderr","time":"2024-05-14T09:21:08.000000001Z"}"#.to_string(),
        r#"{"log":"app/.cache/x'\n","stream":"stderr","time":"2024-05-14T09:21:08.000000002Z"}"#.to_string(),
    ]
    .join("\n")
        + "\n";
    for s in [scan(&log), scan_reader(log.as_bytes()).unwrap()] {
        assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
        let hits: Vec<(usize, &str, Op)> = s
            .hits
            .iter()
            .map(|(n, h)| (*n, h.path.as_str(), h.op))
            .collect();
        assert_eq!(
            hits,
            [
                (2, "/var/lib/app/sessions/x.json", Op::File),
                (5, "/srv/app/.cache/x", Op::File),
            ]
        );
    }
}

/// A whole record that says nothing of EROFS is skipped unread only when
/// no message of its stream is open: after a partial record it ends that
/// message, and the next record starts one of its own.
#[test]
fn a_record_after_a_partial_one_ends_its_message_even_when_it_says_nothing() {
    let log = [
        docker_record("stderr", "open /srv/a: read-only file system"),
        docker_record("stdout", "GET /healthz 200\n"),
        docker_record("stderr", " (retrying)\n"),
        docker_record(
            "stderr",
            "sh: 1: cannot create /srv/b/x: Read-only file system\n",
        ),
    ]
    .join("\n")
        + "\n";
    assert!(json_file::quiet(log.lines().nth(2).unwrap_or_default()).is_some());
    let s = scan(&log);
    let hits: Vec<(usize, &str)> = s.hits.iter().map(|(n, h)| (*n, h.path.as_str())).collect();
    assert_eq!(hits, [(1, "/srv/a"), (4, "/srv/b/x")]);
}

/// A partial record with nothing after it (the container was killed
/// mid-line) is read as it is.
#[test]
fn a_docker_join_still_open_at_the_end_is_read_as_it_is() {
    let log = docker_record("stderr", "mkdir /srv/cache: read-only file system");
    for log in [log.clone(), log + "\n"] {
        let s = scan_reader(log.as_bytes()).unwrap();
        let hits: Vec<(usize, &str)> = s.hits.iter().map(|(n, h)| (*n, h.path.as_str())).collect();
        assert_eq!(hits, [(1, "/srv/cache")]);
    }
}

/// A line without end in Docker's records is held only to the reader's
/// line bound, cut there with a warning naming where it started.
#[test]
fn a_docker_join_longer_than_the_line_bound_is_cut_and_warned_about() {
    let mut log = docker_record("stdout", "starting\n") + "\n";
    log += &docker_record(
        "stderr",
        "Error: EROFS: read-only file system, open '/srv/b/",
    );
    log += "\n";
    let piece = "b".repeat(16 * 1024);
    for _ in 0..(MAX_LINE / piece.len()) * 4 {
        log += &docker_record("stderr", &piece);
        log += "\n";
    }
    log += &docker_record("stderr", "'\n");
    log += "\n";
    log += &docker_record(
        "stderr",
        "sh: 1: cannot create /srv/c/x: Read-only file system\n",
    );
    let last = log.lines().count();
    let s = scan_reader(log.as_bytes()).unwrap();
    let hits: Vec<(usize, &str)> = s.hits.iter().map(|(n, h)| (*n, h.path.as_str())).collect();
    assert_eq!(hits, [(last, "/srv/c/x")]);
    assert_eq!(s.unresolved.len(), 1, "{:?}", s.unresolved);
    assert_eq!(s.unresolved[0].line, 2);
    let plan = plan_from_scan(&s, "container-json.log");
    assert!(
        plan.warnings.iter().any(|w| w.starts_with(
            "1 message(s) joined from partial log records longer than 64 KiB (the first starts at line 2)"
        )),
        "{:?}",
        plan.warnings
    );
}

/// A `log` the daemon did not write (it cuts at each newline) may hold
/// several lines: each is read on its own, as a JSON line if it is one.
#[test]
fn a_json_file_log_of_several_lines_is_read_line_by_line() {
    let log = docker_record(
        "stderr",
        "{\"error\":\"mkdir() \\\"/var/cache/nginx/client_temp\\\" failed (30: Read-only file system)\"}\r\nstarted\n",
    );
    let s = scan(&log);
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    let hits = line_path_ops(&s);
    assert_eq!(hits, [(1, "/var/cache/nginx/client_temp", Op::Mkdir)]);
}

/// A file name in another encoding (Latin-1 `été`, raw bytes) is read as
/// U+FFFD: a volume at `/srv/��` would be a mount path that matches no
/// directory. It is a warning naming the line; a file with such a name
/// in a directory that decodes still plans that directory.
#[test]
fn a_mount_path_that_is_not_utf8_is_warned_about_not_planned() {
    let log: &[u8] = b"mkdir: cannot create directory '/srv/\xff\xfe': Read-only file system\n\
        open /data/\xe9t\xe9/x.db: read-only file system\n\
        sh: 1: cannot create /srv/ok/\xff.pid: Read-only file system\n";
    let plan = plan_from_scan(&scan_reader(log).unwrap(), "logs: -");
    let paths = planned(&plan);
    assert_eq!(paths, ["/srv/ok"]);
    for (line, at) in [(1, "/srv/\u{fffd}\u{fffd}"), (2, "/data/\u{fffd}t\u{fffd}")] {
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with(&format!("line {line}: "))
                    && w.contains(&format!("{at:?} is not valid UTF-8"))),
            "{line}: {:?}",
            plan.warnings
        );
    }
    plan.validate().unwrap();
}

/// Colour codes, raw or JSON-escaped, are not part of a path: a coloured
/// Go error names `/var/cache/app/x`, and `Read-only` in bold still says
/// EROFS. Without stripping, the first planned `/var/cache` (the path
/// ended at the escape) and the second was not seen.
#[test]
fn colour_codes_around_and_inside_paths_are_ignored() {
    let log = "\u{1b}[31mopen /var/cache/app\u{1b}[0m/x: read-only file system\n\
        touch: cannot touch '/run/a.pid': \u{1b}[1mRead-only\u{1b}[0m file system\n\
        {\"level\":\"error\",\"msg\":\"\\u001b[33mmkdir /srv/data\\u001b[0m: read-only file system\"}\n";
    let plan = plan_from_scan(&scan_reader(log.as_bytes()).unwrap(), "logs: -");
    assert_eq!(planned(&plan), ["/run", "/srv/data", "/var/cache/app"]);
    assert!(
        plan.paths.iter().all(|p| !p.reason.contains('\u{1b}')),
        "{:?}",
        plan.paths
    );
}

/// A control character left in a mount point (a terminal's line editing,
/// a binary dump) names no directory of the image: a warning, not a
/// volume; a file of such a name still plans its directory.
#[test]
fn a_mount_path_with_control_characters_is_warned_about_not_planned() {
    let log = "mkdir /data/a\u{1}b: read-only file system\n\
        open /srv/ok/x\u{7f}.pid: read-only file system\n";
    let plan = plan_from_scan(&scan_reader(log.as_bytes()).unwrap(), "logs: -");
    assert_eq!(planned(&plan), ["/srv/ok"]);
    assert!(
        plan.warnings.iter().any(|w| w.starts_with("line 1: ")
            && w.contains("\"/data/a\\u{1}b\" holds control characters")),
        "{:?}",
        plan.warnings
    );
    plan.validate().unwrap();
}

/// `mv` with one relative name: the absolute one plans its directory, the
/// relative one is a warning by name (it was dropped without a word).
#[test]
fn a_relative_name_beside_an_absolute_one_in_mv_is_warned_about() {
    let log = "mv: cannot move 'tmp.conf' to '/etc/app/app.conf': Read-only file system\n\
        mv: cannot move '/etc/app/old' to 'new': Read-only file system\n";
    let plan = plan_from_scan(&scan_reader(log.as_bytes()).unwrap(), "logs: -");
    assert_eq!(planned(&plan), ["/etc/app"]);
    assert_warned_relative(&plan, &[(1, "tmp.conf"), (2, "new")]);
}

/// A write into what the kubelet mounts in every container (the service
/// account token's directory, read-only; `/etc/hosts`) is a warning, not a
/// volume: `fix --plan` refuses a plan with a volume there, the whole
/// plan, so one such line in a log made the plan useless.
#[test]
fn a_write_where_the_kubelet_mounts_is_warned_about_not_planned() {
    let log = "\
open /var/run/secrets/kubernetes.io/serviceaccount/token.tmp: read-only file system
mkdir /run/secrets/kubernetes.io/serviceaccount/cache: read-only file system
mkdir /etc/hosts: read-only file system
open /var/run/secrets/app/x: read-only file system
open /run/app.pid: read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    assert_eq!(planned(&plan), ["/run", "/var/run/secrets/app"]);
    for (written, mount) in [
        (
            "write /var/run/secrets/kubernetes.io/serviceaccount/token.tmp: EROFS",
            "/var/run/secrets/kubernetes.io/serviceaccount",
        ),
        (
            "mkdir /run/secrets/kubernetes.io/serviceaccount/cache: EROFS",
            "/run/secrets/kubernetes.io/serviceaccount",
        ),
        ("mkdir /etc/hosts: EROFS", "/etc/hosts"),
    ] {
        assert!(
            plan.warnings.iter().any(|w| w.contains(written)
                && w.contains(&format!(
                    "where the kubelet mounts {mount} in every container"
                ))),
            "{written}: {:?}",
            plan.warnings
        );
    }
}

/// A quoted name may hold spaces (logfmt quotes such a value, programs
/// `%q` their paths): it is read to its closing quote. Cut at the space,
/// `/var/lib/my` was read, and the volume planned at `/var/lib`, over the
/// image's whole `/var/lib`. A quote around a message is not a name.
#[test]
fn a_quoted_name_with_spaces_is_read_whole() {
    let log = "\
open \"/var/lib/my app/cache/x.db\": read-only file system
level=error msg=\"cannot write\" file=\"/srv/my data dir/f\" err=\"read-only file system\"
msg=\"/opt/app/run could not be written, read-only file system\"
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    assert_eq!(
        planned(&plan),
        ["/opt/app", "/srv/my data dir", "/var/lib/my app/cache"]
    );
}

/// rename(2) fails with EXDEV across mounts: a rename between two
/// directories needs both in one volume, their common ancestor, as `trace`
/// plans it. Two volumes, one per directory, pass `fix --plan` and the
/// rename fails again in the pod.
#[test]
fn a_rename_between_directories_plans_one_volume_holding_both() {
    for log in [
        "2024/05/14 09:21:07 rotate: rename /var/lib/app/tmp/x.db /var/lib/app/data/x.db: read-only file system",
        "OSError: [Errno 30] Read-only file system: '/var/lib/app/tmp/x.db' -> '/var/lib/app/data/x.db'",
        "mv: cannot move '/var/lib/app/tmp/x.db' to '/var/lib/app/data/x.db': Read-only file system",
    ] {
        let plan = plan_from_scan(&scan(log), "test");
        assert_eq!(planned(&plan), ["/var/lib/app"], "{log}: {plan:#?}");
        assert!(plan.paths[0].seed, "{log}: {plan:#?}");
        assert!(
            !plan.warnings.iter().any(|w| w.contains("EXDEV")),
            "{log}: {:#?}",
            plan.warnings
        );
    }
    // In one directory (an atomic write), the directory itself.
    let plan = plan_from_scan(
        &scan("rename /srv/app/x.tmp /srv/app/x: read-only file system"),
        "test",
    );
    assert_eq!(planned(&plan), ["/srv/app"], "{plan:#?}");
    // No common directory a volume may take: see the next test.
}

/// The container runtime mounts `/proc/sys` and `/sys` read-only whatever
/// `readOnlyRootFilesystem` says (runc's and containerd's readonlyPaths):
/// an EROFS there is not the read-only root's, and no volume may go
/// there. "accept a writable system path" was advice nobody can follow.
#[test]
fn a_write_under_proc_or_sys_is_warned_about_as_the_kernels_not_as_a_system_path() {
    let log = "\
sh: 1: cannot create /proc/sys/net/ipv4/ip_forward: Read-only file system
open /sys/fs/cgroup/cgroup.subtree_control: read-only file system
touch: cannot touch '/etc/resolv.conf': Read-only file system
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    assert!(planned(&plan).is_empty(), "{plan:#?}");
    for path in [
        "/proc/sys/net/ipv4/ip_forward",
        "/sys/fs/cgroup/cgroup.subtree_control",
    ] {
        let w = plan
            .warnings
            .iter()
            .find(|w| w.contains(&format!("write {path}: EROFS")))
            .unwrap_or_else(|| panic!("{path}: {:#?}", plan.warnings));
        assert!(
            w.contains("the kernel's interface, which the container runtime mounts on its own (/proc/sys and /sys read-only) whatever readOnlyRootFilesystem says")
                && !w.contains("accept a writable system path"),
            "{w}"
        );
    }
    // /etc is a system path a volume may be accepted at.
    assert!(
        plan.warnings.iter().any(|w| w
            .starts_with("write /etc/resolv.conf: EROFS (sh, line 3) under the system path /etc")
            && w.contains("accept a writable system path")),
        "{:#?}",
        plan.warnings
    );
}

/// When no one volume can hold both ends of a rename (their only common
/// directory is `/` or a system path), a volume at the source's directory
/// helps nothing: a rename or hard link between two mounts fails with
/// EXDEV whatever the plan, and a symlink (which Python reports alike:
/// `'/usr/share/zoneinfo/UTC' -> '/etc/localtime'`) never writes its
/// target. It planned a seeded volume over the image's whole
/// `/usr/share/zoneinfo`. Only the destination's directory is planned.
#[test]
fn a_rename_no_volume_can_hold_plans_only_its_destination() {
    let log = "\
OSError: [Errno 30] Read-only file system: '/usr/share/zoneinfo/UTC' -> '/etc/localtime'
rename /tmp/upload-1 /srv/files/upload-1: read-only file system
";
    let plan = plan_from_scan(&scan(log), "test");
    assert_eq!(planned(&plan), ["/srv/files"], "{plan:#?}");
    for (from, to) in [
        ("/usr/share/zoneinfo/UTC", "/etc/localtime"),
        ("/tmp/upload-1", "/srv/files/upload-1"),
    ] {
        assert!(
            plan.warnings.iter().any(|w| w.starts_with(&format!(
                "line {}: {from} -> {to}: no directory a volume may be mounted at holds both",
                if from.starts_with("/tmp") { 2 } else { 1 }
            )) && w.contains("EXDEV")),
            "{from}: {:#?}",
            plan.warnings
        );
    }
    // /etc/localtime's directory is a system path: warned about, not planned.
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("write /etc/localtime") || w.contains("rename /etc/localtime")),
        "{:#?}",
        plan.warnings
    );
}

/// A program that draws progress with `\r` (curl, pip, tqdm, a Go
/// downloader) leaves it before its error on the same line of the log;
/// the terminal showed only what followed the last `\r`. Read as one
/// line, the progress words hid Go's `mkdir` from its recogniser and the
/// generic reading planned the directory's parent (`/var/cache`, over the
/// image's whole cache) instead of the directory.
#[test]
fn progress_drawn_with_carriage_returns_does_not_hide_the_error_after_it() {
    let log = "downloading 10%\rdownloading 20%\rmkdir /var/cache/app: read-only file system\n\
               mkdir: cannot create directory '/srv/mk': Read-only file system\rretrying\n";
    let s = scan(log);
    assert_eq!(
        s.hits
            .iter()
            .map(|(n, h)| (*n, h.path.as_str(), h.op, h.runtime))
            .collect::<Vec<_>>(),
        [
            (1, "/var/cache/app", Op::Mkdir, "go"),
            (2, "/srv/mk", Op::Mkdir, "sh"),
        ]
    );
    assert_eq!(
        planned(&plan_from_scan(&s, "test")),
        ["/srv/mk", "/var/cache/app"]
    );
}

/// A message that says the path is a directory (dpkg checks its database
/// directory with access(2), git names the work tree it creates as a
/// `dir`) is about that directory, not a file in its parent: read as a
/// file, dpkg's error planned a volume over the image's whole `/var/lib`.
#[test]
fn a_path_the_message_calls_a_directory_is_the_directory() {
    let cases: &[Case] = &[
        (
            "sh",
            "dpkg: error: unable to access the dpkg database directory /var/lib/dpkg: Read-only file system",
            &[("/var/lib/dpkg", Op::Dir)],
        ),
        (
            "sh",
            "fatal: could not create work tree dir '/app/repo': Read-only file system",
            &[("/app/repo", Op::Mkdir)],
        ),
        // A file whose name holds the word is still a file.
        (
            "sh",
            "sh: 1: cannot create /srv/directory/app.pid: Read-only file system",
            &[("/srv/directory/app.pid", Op::File)],
        ),
        (
            "sh",
            "touch: cannot touch '/srv/dir/x': Read-only file system",
            &[("/srv/dir/x", Op::File)],
        ),
    ];
    let log = checked_log(cases);
    assert_eq!(
        planned(&plan_from_scan(&scan(&log), "test")),
        ["/app/repo", "/srv/dir", "/srv/directory", "/var/lib/dpkg"]
    );
}

/// GNU tar (and cpio, through the same paxlib) puts the verb after the
/// name: `tar: /srv/x: Cannot mkdir: …`. Read with the words before the
/// name, every such error was a file written in the parent: the mkdir
/// planned `/srv/assets`' parent, and a symlink's target
/// (`Cannot create symlink to '/usr/lib/x'`) was taken for the name.
#[test]
fn tars_verb_after_the_name_says_the_operation() {
    let cases: &[Case] = &[
        (
            "sh",
            "tar: /srv/assets/img: Cannot mkdir: Read-only file system",
            &[("/srv/assets/img", Op::Mkdir)],
        ),
        (
            "sh",
            "tar: /srv/assets/app.js: Cannot open: Read-only file system",
            &[("/srv/assets/app.js", Op::File)],
        ),
        (
            "sh",
            "tar: /srv/assets/lib.so: Cannot create symlink to '/usr/lib/x.so': Read-only file system",
            &[("/srv/assets/lib.so", Op::File)],
        ),
        (
            "sh",
            "tar: /srv/old/a: Cannot change ownership to uid 0, gid 0: Read-only file system",
            &[("/srv/old/a", Op::Attr)],
        ),
        (
            "sh",
            "tar: srv/assets: Cannot mkdir: Read-only file system",
            &[("srv/assets", Op::Mkdir)],
        ),
    ];
    cases.iter().for_each(check);
}

/// MariaDB prints the errno as `(Errcode: 30 "Read-only file system")`
/// where MySQL prints `(OS errno 30 - Read-only file system)`: read by the
/// fallback as a file, its data directory's mkdir planned `/var/lib`,
/// over the image's whole `/var/lib`.
#[test]
fn mariadbs_errcode_is_read_as_mysqls_errno() {
    let cases: &[Case] = &[
        (
            "mysql",
            "2024-05-14  9:21:07 0 [ERROR] mariadbd: Can't create directory '/var/lib/mysql/' (Errcode: 30 \"Read-only file system\")",
            &[("/var/lib/mysql/", Op::Mkdir)],
        ),
        (
            "mysql",
            "2024-05-14  9:21:07 0 [ERROR] mariadbd: File '/var/lib/mysql/aria_log_control' not found (Errcode: 30 \"Read-only file system\")",
            &[("/var/lib/mysql/aria_log_control", Op::File)],
        ),
        (
            "mysql",
            "mysqld: Can't create/write to file '/tmp/ibXXXXXX' (Errcode: 30 \"Read-only file system\")",
            &[("/tmp/ibXXXXXX", Op::File)],
        ),
    ];
    let log = checked_log(cases);
    assert_eq!(
        planned(&plan_from_scan(&scan(&log), "test")),
        ["/tmp", "/var/lib/mysql"]
    );
}

/// Windows PowerShell 5 writes `kubectl logs … > pod.log` as UTF-16 with
/// a byte-order mark (kubectl and `scan` read such files): read as UTF-8,
/// every character had a NUL beside it, no line said EROFS, and the scan
/// ended with "No writable paths needed". A UTF-8 byte-order mark
/// (PowerShell's `Out-File -Encoding utf8`) hid the first line's kubectl
/// prefix, and the container it names.
#[test]
fn a_log_with_a_byte_order_mark_is_read_as_its_text() {
    let log = "[pod/web-1/app] mkdir /var/cache/app: read-only file system\r\n\
               [pod/web-1/app] open /srv/\u{1F600}/x: read-only file system\r\n";
    let utf16 = |big_endian: bool| -> Vec<u8> {
        std::iter::once(0xFEFF_u16)
            .chain(log.encode_utf16())
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    let utf8_bom: Vec<u8> = "\u{FEFF}".bytes().chain(log.bytes()).collect();
    for bytes in [utf16(false), utf16(true), utf8_bom] {
        let s = scan_reader(&bytes[..]).unwrap_or_default();
        assert_eq!(
            s.hits
                .iter()
                .map(|(n, h)| (*n, h.path.as_str(), h.container.as_deref()))
                .collect::<Vec<_>>(),
            [
                (1, "/var/cache/app", Some("app")),
                (2, "/srv/\u{1F600}/x", Some("app"))
            ],
            "{:?}",
            &bytes[..4]
        );
    }
    // A stray 0xFF at the start of a log that is no UTF-16 is read as
    // before: replaced, not an error.
    let s = scan_reader(&b"\xffopen /srv/x: read-only file system\n"[..]).unwrap_or_default();
    assert_eq!(s.hits.len(), 1, "{:?}", s.hits);
}

/// A rename within one directory needs only that directory: when it is a
/// system path (`sed -i` on `/etc/hosts`, an atomic write in `/etc`),
/// the plan warns that it is one, not that the rename crosses devices
/// ("a rename … between /etc and /etc fails with EXDEV").
#[test]
fn a_rename_within_a_system_directory_is_warned_about_as_a_system_path_only() {
    let log = "rename /etc/app.conf.tmp /etc/app.conf: read-only file system\n";
    let plan = plan_from_scan(&scan(log), "test");
    assert!(planned(&plan).is_empty(), "{plan:#?}");
    assert!(
        !plan.warnings.iter().any(|w| w.contains("EXDEV")),
        "{:#?}",
        plan.warnings
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("rename /etc/app.conf.tmp: EROFS")
                && w.contains("rename /etc/app.conf: EROFS")
                && w.contains("under the system path /etc")),
        "{:#?}",
        plan.warnings
    );
}

/// The official nginx image's entrypoint tries to edit its default
/// configuration and, when it cannot, says so as `info:` and goes on
/// (`touch … || { entrypoint_log "…: info: can not modify $conffile
/// (read-only file system?)"; exit 0; }`): nginx starts and serves. Read
/// as an error, the plan mounted an emptyDir over `/etc/nginx/conf.d`,
/// which hid `default.conf` and left nginx without its server. The same
/// words as an `error:` (a script that exits 1) are still an error.
#[test]
fn nginx_entrypoints_info_that_it_skipped_an_edit_plans_nothing() {
    let log = "\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh
10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf (read-only file system?)
[pod/web-1/nginx] 2024-05-14T09:21:07Z 10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf (read-only file system?)
modsecurity.sh: error: can not modify /etc/modsecurity.d/modsecurity-override.conf (read-only file system?)
";
    let s = scan(log);
    assert_eq!(
        s.hits
            .iter()
            .map(|(n, h)| (*n, h.path.as_str()))
            .collect::<Vec<_>>(),
        [(4, "/etc/modsecurity.d/modsecurity-override.conf")]
    );
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    let plan = plan_from_scan(&s, "test");
    assert_eq!(planned(&plan), ["/etc/modsecurity.d"]);
    assert!(
        !plan.warnings.iter().any(|w| w.contains("/etc/nginx")),
        "{:#?}",
        plan.warnings
    );
}

/// GNU mv (coreutils 9.1, as printed moving a file onto a read-only
/// tmpfs from another mount) falls back to copy and delete across
/// devices, and first removes the destination: `inter-device move failed:
/// 'SRC' to 'DST'; unable to remove target` says DST's directory is
/// read-only. Read as the first name written, the source's directory
/// (on the other, writable, device) was planned, and the move failed
/// again in the pod. When the message names what it could not remove
/// (`unable to remove 'SRC'`), that name was removed, not written: its
/// directory must be writable and the image's entry there kept (seeded).
#[test]
fn an_inter_device_move_plans_the_directory_it_could_not_change() {
    let target = "mv: inter-device move failed: '/tmp/build/app.jar' to '/opt/app/app.jar'; unable to remove target: Read-only file system";
    let source = "mv: inter-device move failed: '/srv/inbox/x.csv' to '/mnt/out/x.csv'; unable to remove '/srv/inbox/x.csv': Read-only file system";
    let cases: &[Case] = &[
        ("sh", target, &[("/opt/app/app.jar", Op::File)]),
        ("sh", source, &[("/srv/inbox/x.csv", Op::Remove)]),
    ];
    cases.iter().for_each(check);
    let plan = plan_from_scan(&scan(&format!("{target}\n{source}\n")), "test");
    assert_eq!(planned(&plan), ["/opt/app", "/srv/inbox"]);
    assert!(
        plan.paths[1].reason.contains("remove /srv/inbox/x.csv"),
        "{:?}",
        plan.paths[1]
    );
}

/// Node's `fs` errors carry the path in a `path` property (and a
/// rename's, link's or copy's destination in `dest`): `JSON.stringify(err)`
/// keeps only those (`message` is not enumerable), winston's and pino's
/// JSON records nest them (`"error":{…}`), and logrus/zap records put a
/// `path` field beside a bare `read-only file system` error. The path was
/// read only from message texts, so these planned nothing and were
/// warned about as naming no path. A `path` field is read only from the
/// object that carries the EROFS error itself (`code`, `errno` -30, or a
/// string saying it), and only when absolute: the URL paths of access
/// logs and of a request logged beside the error stay ignored.
#[test]
fn a_json_records_path_field_beside_its_erofs_error_is_read() {
    let cases = [
        // JSON.stringify(err) of fs.writeFileSync's error (Node 20).
        (
            r#"{"errno":-30,"code":"EROFS","syscall":"open","path":"/app/cache/x"}"#,
            vec![("/app/cache/x", Op::File)],
        ),
        // winston's json format, Next.js failing to create its cache.
        (
            r#"{"error":{"errno":-30,"code":"EROFS","syscall":"mkdir","path":"/app/.next/cache"},"level":"error","message":"cache write failed"}"#,
            vec![("/app/.next/cache", Op::Mkdir)],
        ),
        // An atomic write's rename (steno, lowdb): both ends in one volume.
        (
            r#"{"level":50,"err":{"type":"Error","errno":-30,"code":"EROFS","syscall":"rename","path":"/app/data/db.json.tmp","dest":"/app/data/db.json"},"msg":"save failed"}"#,
            vec![
                ("/app/data/db.json.tmp", Op::Rename),
                ("/app/data/db.json", Op::Rename),
            ],
        ),
        // logrus' JSONFormatter: WithField("path", p).WithError(err) of a bare errno.
        (
            r#"{"error":"read-only file system","level":"error","msg":"failed to save state","path":"/var/lib/app/state.json","time":"2024-05-14T09:21:07Z"}"#,
            vec![("/var/lib/app/state.json", Op::File)],
        ),
        // pino-http: the request's URL path is no file.
        (
            r#"{"level":50,"req":{"id":7,"method":"POST","path":"/api/v1/upload"},"err":{"errno":-30,"code":"EROFS","syscall":"open","path":"/app/uploads/a.png"},"msg":"request errored"}"#,
            vec![("/app/uploads/a.png", Op::File)],
        ),
    ];
    assert_eq!(
        records_read_alone(&cases),
        [
            "/app/.next/cache",
            "/app/cache",
            "/app/data",
            "/app/uploads",
            "/var/lib/app"
        ]
    );
    // Without an EROFS error beside it, or not absolute: no path.
    for line in [
        r#"{"level":"info","method":"GET","path":"/api/v1/users","status":200,"msg":"request completed"}"#,
        r#"{"level":50,"req":{"method":"POST","path":"/api/v1/upload"},"msg":"upload failed: EROFS"}"#,
        r#"{"level":"error","method":"POST","path":"/api/v1/upload","status":500,"error":"EROFS","msg":"upload failed"}"#,
        r#"{"errno":-30,"code":"EROFS","syscall":"open","path":"cache/x"}"#,
        r#"{"errno":-30,"code":"EROFS","syscall":"open","path":"//cdn.example.com/x"}"#,
    ] {
        assert!(scan(line).hits.is_empty(), "{line}");
    }
}

/// Checks that each record alone yields exactly its (path, operation)
/// pairs and no warning, and returns what the records plan as one log.
fn records_read_alone(cases: &[(&str, Vec<(&str, Op)>)]) -> Vec<String> {
    for (line, want) in cases {
        let s = scan(line);
        let got: Vec<(&str, Op)> = s
            .hits
            .iter()
            .map(|(_, h)| (h.path.as_str(), h.op))
            .collect();
        assert_eq!(&got, want, "{line}");
        assert!(s.unresolved.is_empty(), "{line}: {:?}", s.unresolved);
    }
    let log = cases.iter().map(|(l, _)| *l).collect::<Vec<_>>().join("\n");
    planned(&plan_from_scan(&scan(&log), "test"))
        .into_iter()
        .map(String::from)
        .collect()
}

/// chmod, chown, chgrp, `touch` of a directory (`setting times of`),
/// `install -d -m` and setfacl change the entry they name, not its
/// directory: what must be writable is that entry, so a directory is
/// its own volume. Each read as a change in the parent, the postgres
/// image's `chmod 00700 "$PGDATA"` planned `/var/lib/postgresql`, over
/// the image's whole postgres home, and `chmod -R` one more level up than
/// the files it reached inside. chgrp, touch's `setting times of`,
/// install's `cannot change permissions of` and setfacl were read as
/// writes. A file (an extension: rabbitmq's `chmod 600` of its
/// `.erlang.cookie`) keeps its directory: no emptyDir mounts over a file.
/// Lines as coreutils 9.1 and acl 2.3 print them.
#[test]
fn a_changed_directory_is_its_own_volume() {
    let cases: &[Case] = &[
        (
            "sh",
            "chmod: changing permissions of '/var/lib/postgresql/data': Read-only file system",
            &[("/var/lib/postgresql/data", Op::Attr)],
        ),
        (
            "sh",
            "chown: changing ownership of '/var/lib/mysql': Read-only file system",
            &[("/var/lib/mysql", Op::Attr)],
        ),
        (
            "sh",
            "chgrp: changing group of '/srv/www': Read-only file system",
            &[("/srv/www", Op::Attr)],
        ),
        (
            "sh",
            "touch: setting times of '/srv/spool': Read-only file system",
            &[("/srv/spool", Op::Attr)],
        ),
        (
            "sh",
            "install: cannot change permissions of ‘/srv/app/run’: Read-only file system",
            &[("/srv/app/run", Op::Attr)],
        ),
        (
            "sh",
            "setfacl: /srv/shared: Read-only file system",
            &[("/srv/shared", Op::Attr)],
        ),
        (
            "sh",
            "chmod: changing permissions of '/var/lib/rabbitmq/.erlang.cookie': Read-only file system",
            &[("/var/lib/rabbitmq/.erlang.cookie", Op::Attr)],
        ),
        (
            "sh",
            "chmod: changing permissions of '/srv/data': Read-only file system",
            &[("/srv/data", Op::Attr)],
        ),
        (
            "sh",
            "chmod: changing permissions of '/srv/data/a.txt': Read-only file system",
            &[("/srv/data/a.txt", Op::Attr)],
        ),
        (
            "nginx",
            "2024/05/14 09:21:07 [emerg] 7#7: chown(\"/var/cache/nginx/client_temp\", 101) failed (30: Read-only file system)",
            &[("/var/cache/nginx/client_temp", Op::Attr)],
        ),
    ];
    let log = checked_log(cases);
    let plan = plan_from_scan(&scan(&log), "test");
    assert_eq!(
        planned(&plan),
        [
            "/srv/app/run",
            "/srv/data",
            "/srv/shared",
            "/srv/spool",
            "/srv/www",
            "/var/cache/nginx/client_temp",
            "/var/lib/mysql",
            "/var/lib/postgresql/data",
            "/var/lib/rabbitmq",
        ]
    );
    assert!(plan.paths.iter().all(|p| p.seed), "{:#?}", plan.paths);
}

#[test]
fn names_with_an_extension_are_taken_for_files() {
    for file in [
        "key.pem",
        "nginx.pid",
        ".erlang.cookie",
        "app.conf",
        "x.sock",
    ] {
        assert!(looks_like_file(file), "{file}");
    }
    for dir in [
        "data",
        "conf.d",
        "python3.11",
        ".ssh",
        ".cache",
        "client_temp",
    ] {
        assert!(!looks_like_file(dir), "{dir}");
    }
}

/// rmdir's `failed to remove`, find -delete's `cannot delete` and
/// unlink's `cannot unlink` remove an entry the image has, as rm's
/// `cannot remove` does: read as writes, their volume was not seeded and
/// hid what the program meant to delete. mktemp names its template, not a
/// directory it will ask for again: `mktemp -d /tmp/build.XXX` planned a
/// volume at `/tmp/build.XXX` (fewer X than a made-up name is recognised
/// by) instead of `/tmp`. Lines as coreutils 9.1 and findutils 4.9 print
/// them.
#[test]
fn removals_and_mktemp_templates_are_read_as_such() {
    let cases: &[Case] = &[
        (
            "sh",
            "rmdir: failed to remove '/srv/spool/old': Read-only file system",
            &[("/srv/spool/old", Op::Remove)],
        ),
        (
            "sh",
            "find: cannot delete ‘/srv/cache/stale’: Read-only file system",
            &[("/srv/cache/stale", Op::Remove)],
        ),
        (
            "sh",
            "unlink: cannot unlink '/srv/run/app.lock': Read-only file system",
            &[("/srv/run/app.lock", Op::Remove)],
        ),
        (
            "sh",
            "mktemp: failed to create directory via template ‘/srv/tmp/build.XXX’: Read-only file system",
            &[("/srv/tmp/build.XXX", Op::Mkdir)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(
        planned(&plan),
        ["/srv/cache", "/srv/run", "/srv/spool", "/srv/tmp"]
    );
    let seeded: Vec<&str> = plan
        .paths
        .iter()
        .filter(|p| p.seed)
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(seeded, ["/srv/cache", "/srv/run", "/srv/spool"]);
}

/// Python names a file as the program gave it, relative ones too
/// (`os.makedirs("logs")` in the image's WORKDIR; as Python 3.11 prints
/// it): the name is evidence the plan warns about by name, to be
/// resolved against the working directory, as coreutils' relative names
/// are. It was dropped, and the line warned about as naming no path.
#[test]
fn a_relative_name_python_reports_is_warned_about_by_name() {
    let cases: &[Case] = &[
        (
            "python",
            "OSError: [Errno 30] Read-only file system: 'logs'",
            &[("logs", Op::File)],
        ),
        (
            "python",
            "OSError: [Errno 30] Read-only file system: 'data/x.tmp' -> 'data/x.json'",
            &[("data/x.tmp", Op::Rename), ("data/x.json", Op::Rename)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert!(plan.paths.is_empty(), "{:?}", plan.paths);
    assert_warned_relative(&plan, &[(1, "logs"), (2, "data/x.tmp"), (2, "data/x.json")]);
    assert!(
        !plan.warnings.iter().any(|w| w.contains("names no path")),
        "{:?}",
        plan.warnings
    );
}

/// Java names a file as the program gave it, relative ones too (as
/// OpenJDK 17 prints them for `new FileOutputStream("logs/app.log")` and
/// `Files.createFile(Paths.get("logs/x"))` in a read-only WORKDIR): the
/// plan warns about the name, as it does about Python's and coreutils'.
/// It was dropped, and the line warned about as naming no path. Words
/// (`IOException: Cannot write: …`) are not a name.
#[test]
fn a_relative_name_java_reports_is_warned_about_by_name() {
    let cases: &[Case] = &[
        (
            "java",
            "java.io.FileNotFoundException: logs/app.log (Read-only file system)",
            &[("logs/app.log", Op::File)],
        ),
        (
            "java",
            "java.nio.file.FileSystemException: logs/x: Read-only file system",
            &[("logs/x", Op::File)],
        ),
        (
            "java",
            "java.nio.file.FileSystemException: data/x.tmp -> data/x.json: Read-only file system",
            &[("data/x.tmp", Op::Rename), ("data/x.json", Op::Rename)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert!(plan.paths.is_empty(), "{:?}", plan.paths);
    assert_warned_relative(
        &plan,
        &[(1, "logs/app.log"), (2, "logs/x"), (3, "data/x.json")],
    );
    for prose in [
        "java.io.IOException: Cannot write: Read-only file system",
        "java.io.IOException: Read-only file system",
    ] {
        assert!(
            recognise(prose).iter().all(|h| h.runtime != "java"),
            "{prose}"
        );
    }
}

/// BusyBox (Alpine's coreutils; as 1.35 prints them) names the entry
/// alone after the applet: `chmod: /x: Read-only file system`, `rmdir:
/// '/x': …`, and `mv: can't rename '/x'` names only the source. Read as
/// writes, an Alpine entrypoint's `chown -R app /var/lib/app` planned
/// `/var/lib`, and the removal and rename were not seeded.
#[test]
fn busybox_applets_that_name_the_entry_alone_say_the_operation() {
    let cases: &[Case] = &[
        (
            "sh",
            "chmod: /srv/data: Read-only file system",
            &[("/srv/data", Op::Attr)],
        ),
        (
            "sh",
            "chown: /var/lib/app: Read-only file system",
            &[("/var/lib/app", Op::Attr)],
        ),
        (
            "sh",
            "chgrp: /srv/www: Read-only file system",
            &[("/srv/www", Op::Attr)],
        ),
        (
            "sh",
            "rmdir: '/srv/spool/old': Read-only file system",
            &[("/srv/spool/old", Op::Remove)],
        ),
        (
            "sh",
            "mv: can't rename '/srv/inbox/x.csv': Read-only file system",
            &[("/srv/inbox/x.csv", Op::Rename)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(
        planned(&plan),
        [
            "/srv/data",
            "/srv/inbox",
            "/srv/spool",
            "/srv/www",
            "/var/lib/app"
        ]
    );
    assert!(plan.paths.iter().all(|p| p.seed), "{:#?}", plan.paths);
}

/// rsync (3.5, as an init container syncing into a read-only tree prints
/// it) quotes the full name after the call that failed: its mkdir was
/// read as a file written in the parent (the volume one level up, over
/// the image's `/srv`), and the generic reading took a symlink's target
/// (`symlink "/srv/app/current" -> "/x"`) for the name, then warned that
/// `/` cannot hold a volume. A deletion names the entry relative to the
/// destination: warned about by name.
#[test]
fn rsyncs_failed_call_says_the_operation_and_its_name() {
    let cases: &[Case] = &[
        (
            "rsync",
            "rsync: [Receiver] mkdir \"/srv/app/new\" failed: Read-only file system (30)",
            &[("/srv/app/new", Op::Mkdir)],
        ),
        (
            "rsync",
            "rsync: [generator] symlink \"/srv/site/current\" -> \"/x\" failed: Read-only file system (30)",
            &[("/srv/site/current", Op::File)],
        ),
        (
            "rsync",
            "rsync: [receiver] mkstemp \"/srv/static/.a.txt.sAHOzu\" failed: Read-only file system (30)",
            &[("/srv/static/.a.txt.sAHOzu", Op::File)],
        ),
        (
            "rsync",
            "rsync: [generator] failed to set permissions on \"/srv/conf\": Read-only file system (30)",
            &[("/srv/conf", Op::Attr)],
        ),
        (
            "rsync",
            "rsync: [generator] delete_file: unlink(stale.txt) failed: Read-only file system (30)",
            &[("stale.txt", Op::Remove)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(
        planned(&plan),
        ["/srv/app/new", "/srv/conf", "/srv/site", "/srv/static"]
    );
    assert_warned_relative(&plan, &[(5, "stale.txt")]);
}

/// C programs and scripts print the layout Go does with the C library's
/// capitalised `strerror` (Perl's `die "mkdir $dir: $!"`, as perl 5.36
/// printed it): read as a shell's message, the mkdir was a file written
/// in the parent, and `unlink` a write.
#[test]
fn the_op_path_layout_with_strerrors_capital_is_read_as_gos() {
    let cases: &[Case] = &[
        (
            "go",
            "mkdir /srv/app/cache: Read-only file system",
            &[("/srv/app/cache", Op::Mkdir)],
        ),
        (
            "go",
            "unlink /srv/run/app.sock: Read-only file system at /usr/local/bin/start.pl line 12.",
            &[("/srv/run/app.sock", Op::Remove)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(planned(&plan), ["/srv/app/cache", "/srv/run"]);
}

/// A Java exception wrapping the `FileSystemException` (here
/// `UncheckedIOException`, whose message is its cause's) names the path
/// above a frame of the application's, and its `Caused by:` names it
/// again above the frames that say the operation. The wrapper's line was
/// a file's write, and its few frames ended at the `Caused by:`, a repeat
/// not read: the directory's parent was planned. OpenJDK 17.0.15 printed
/// this for `Files.createDirectory` on a read-only bind mount, wrapped in
/// `new UncheckedIOException(e)`.
#[test]
fn a_wrapped_java_errors_cause_gives_its_frames() {
    let log = "\
Exception in thread \"main\" java.io.UncheckedIOException: java.nio.file.FileSystemException: /tmp/jt/ro/kc: Read-only file system
\tat Main.main(Main.java:8)
Caused by: java.nio.file.FileSystemException: /tmp/jt/ro/kc: Read-only file system
\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:100)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:106)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:111)
\tat java.base/sun.nio.fs.UnixFileSystemProvider.createDirectory(UnixFileSystemProvider.java:397)
\tat java.base/java.nio.file.Files.createDirectory(Files.java:700)
\tat Main.main(Main.java:6)
";
    let s = scan(log);
    assert_eq!(line_path_ops(&s), [(1, "/tmp/jt/ro/kc", Op::Mkdir)]);
    assert_eq!(s.repeated, 1);
    assert_eq!(planned(&plan_from_scan(&s, "test")), ["/tmp/jt/ro/kc"]);
}

/// Java's `FileSystemException` names the path alone, whether a file or
/// a directory was being created: its stack trace says which. OpenJDK 17
/// printed these for `Files.createDirectories("/srv/kc/data/tmp")` (the
/// first missing level is named) and `Files.createFile`. Read as a file,
/// the directory's parent was planned, over the image's whole `/srv`.
/// Only the frames right below the line count, and only the same
/// container's; a repeat of the error is counted, not kept twice.
#[test]
fn javas_create_directory_frame_makes_its_error_a_mkdir() {
    // The frames of OpenJDK's own that every such trace starts with.
    let unix = "\
\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:100)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:106)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:111)
";
    let mkdir = format!(
        "java.nio.file.FileSystemException: /srv/kc: Read-only file system\n{unix}\
\tat java.base/sun.nio.fs.UnixFileSystemProvider.createDirectory(UnixFileSystemProvider.java:397)
\tat java.base/java.nio.file.Files.createDirectory(Files.java:700)
\tat java.base/java.nio.file.Files.createAndCheckIsDirectory(Files.java:807)
\tat java.base/java.nio.file.Files.createDirectories(Files.java:793)
\tat S.main(S.java:3)
"
    );
    let file = format!(
        "java.nio.file.FileSystemException: /opt/app/kc.txt: Read-only file system\n{unix}\
\tat java.base/sun.nio.fs.UnixFileSystemProvider.newByteChannel(UnixFileSystemProvider.java:218)
\tat java.base/java.nio.file.Files.newByteChannel(Files.java:380)
\tat java.base/java.nio.file.Files.createFile(Files.java:658)
\tat S.main(S.java:4)
"
    );
    let s = scan(&format!("{mkdir}{file}{mkdir}"));
    let hits = line_path_ops(&s);
    assert_eq!(
        hits,
        [(1, "/srv/kc", Op::Mkdir), (10, "/opt/app/kc.txt", Op::File)]
    );
    assert_eq!(s.repeated, 1);
    assert_eq!(
        planned(&plan_from_scan(&s, "test")),
        ["/opt/app", "/srv/kc"]
    );
    // Docker's json-file log: the frames, which say nothing of EROFS, are
    // read too.
    let docker: String = docker_log("stderr", &mkdir);
    let s = scan(&docker);
    assert_eq!(
        s.hits.iter().map(|(_, h)| h.op).collect::<Vec<_>>(),
        [Op::Mkdir]
    );
    // Another container's frame, or one after a line that is no frame,
    // is not this error's.
    let frame = "\tat java.base/sun.nio.fs.UnixFileSystemProvider.createDirectory(UnixFileSystemProvider.java:397)";
    for log in [
        format!(
            "[pod/p/a] java.nio.file.FileSystemException: /srv/kc: Read-only file system\n[pod/p/b] {frame}\n"
        ),
        format!(
            "java.nio.file.FileSystemException: /srv/kc: Read-only file system\nINFO started\n{frame}\n"
        ),
    ] {
        let s = scan(&log);
        assert_eq!(
            s.hits.iter().map(|(_, h)| h.op).collect::<Vec<_>>(),
            [Op::File],
            "{log}"
        );
    }
}

/// Python 3.11's tracebacks of `os.makedirs`, `Path.mkdir` and `open`, and
/// an error without one.
const PYTHON_MAKING_TRACEBACKS: &str = "\
Traceback (most recent call last):
  File \"/app/main.py\", line 2, in <module>
    os.makedirs(\"/srv/app/cache\", exist_ok=True)
  File \"<frozen os>\", line 225, in makedirs
OSError: [Errno 30] Read-only file system: '/srv/app/cache'
Traceback (most recent call last):
  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/pathlib.py\", line 1116, in mkdir
    os.mkdir(self, mode)
OSError: [Errno 30] Read-only file system: '/srv/app/models'
Traceback (most recent call last):
  File \"/app/main.py\", line 9, in save
    with open(\"/srv/app/state.json\", \"w\") as f:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
OSError: [Errno 30] Read-only file system: '/srv/app/state.json'
OSError: [Errno 30] Read-only file system: '/srv/web/upload'
";

/// Python's `OSError` names the path alone, whether a file or a
/// directory was being made: the traceback's last frame, right above it,
/// says which (`in makedirs`, a source line calling `mkdir(`). As Python
/// 3.11 printed them for `os.makedirs`, `shutil.copytree`, `Path.mkdir`
/// and `open`. Read as a file, the directory's parent was planned
/// (`/srv/app` for a cache directory the program makes in it).
#[test]
fn pythons_last_traceback_frame_says_a_directory_was_made() {
    let log = PYTHON_MAKING_TRACEBACKS;
    let s = scan(log);
    assert_eq!(
        line_path_ops(&s),
        [
            (5, "/srv/app/cache", Op::Mkdir),
            (9, "/srv/app/models", Op::Mkdir),
            (14, "/srv/app/state.json", Op::File),
            (15, "/srv/web/upload", Op::File),
        ]
    );
    // Another container's frame is not this error's.
    let s = scan(
        "[pod/p/a]   File \"<frozen os>\", line 225, in makedirs\n[pod/p/b] OSError: [Errno 30] Read-only file system: '/srv/app/cache'\n",
    );
    assert_eq!(line_path_ops(&s), [(2, "/srv/app/cache", Op::File)]);
}

/// JSON loggers carry the stack trace in one string
/// (logstash-logback-encoder's `stack_trace`, python-json-logger's
/// `exc_info`): its frames are read as the lines of a plain log are.
#[test]
fn a_json_records_stack_trace_says_a_directory_was_made() {
    let java = serde_json::json!({
        "@timestamp": "2024-05-14T09:21:07.123Z",
        "level": "ERROR",
        "message": "startup failed",
        "stack_trace": "java.nio.file.FileSystemException: /srv/kc: Read-only file system\n\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:100)\n\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:106)\n\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:111)\n\tat java.base/sun.nio.fs.UnixFileSystemProvider.createDirectory(UnixFileSystemProvider.java:397)\n"
    });
    let python = serde_json::json!({
        "asctime": "2024-05-14 09:21:07,123",
        "levelname": "ERROR",
        "message": "cache setup failed",
        "exc_info": "Traceback (most recent call last):\n  File \"/app/main.py\", line 2, in <module>\n    os.makedirs(\"/srv/app/cache\", exist_ok=True)\n  File \"<frozen os>\", line 225, in makedirs\nOSError: [Errno 30] Read-only file system: '/srv/app/cache'"
    });
    let s = scan(&format!("{java}\n{python}\n"));
    assert_eq!(
        line_path_ops(&s),
        [(1, "/srv/kc", Op::Mkdir), (2, "/srv/app/cache", Op::Mkdir)]
    );
}

/// Python 3.11's tracebacks of `os.chmod`, `Path.chmod` and `os.remove`.
const PYTHON_CHANGING_TRACEBACKS: &str = "\
Traceback (most recent call last):
  File \"/app/start.py\", line 2, in <module>
    os.chmod(\"/srv/app/data\", 0o700)
OSError: [Errno 30] Read-only file system: '/srv/app/data'
Traceback (most recent call last):
  File \"/app/start.py\", line 2, in <module>
    pathlib.Path(\"/srv/web/uploads\").chmod(0o700)
  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/pathlib.py\", line 1132, in chmod
    os.chmod(self, mode, follow_symlinks=follow_symlinks)
OSError: [Errno 30] Read-only file system: '/srv/web/uploads'
Traceback (most recent call last):
  File \"/app/start.py\", line 3, in <module>
    os.remove(\"/srv/old/app.pid\")
OSError: [Errno 30] Read-only file system: '/srv/old/app.pid'
";

/// The traceback's last frame says other operations too (as Python 3.11
/// printed them): `os.chmod` of a directory changes that directory, whose
/// parent need not be writable; `os.remove` removes an entry the image
/// has (seeded). Read as files, the chmod planned the parent.
#[test]
fn pythons_last_traceback_frame_says_a_chmod_or_a_removal() {
    let log = PYTHON_CHANGING_TRACEBACKS;
    let s = scan(log);
    assert_eq!(
        line_path_ops(&s),
        [
            (4, "/srv/app/data", Op::Attr),
            (10, "/srv/web/uploads", Op::Attr),
            (14, "/srv/old/app.pid", Op::Remove),
        ]
    );
    assert_eq!(
        planned(&plan_from_scan(&s, "test")),
        ["/srv/app/data", "/srv/old", "/srv/web/uploads"]
    );
}

/// Docker's json-file driver writes each line of a Python traceback as
/// its own record: the frames say nothing of EROFS, and records that
/// cannot say it are skipped undecoded, so the frame above the error was
/// never read and `os.makedirs` of a cache directory planned its parent
/// (`/srv/app`), `os.chmod` of a directory its parent too. Each line of
/// the plain-text tracebacks above, in the record the daemon writes for
/// it, must read as the plain text does.
#[test]
fn a_python_traceback_in_json_file_records_says_the_operation() {
    for log in [PYTHON_MAKING_TRACEBACKS, PYTHON_CHANGING_TRACEBACKS] {
        let docker: String = docker_log("stderr", log);
        let plain = scan(log);
        assert!(plain.hits.iter().any(|(_, h)| h.op != Op::File), "{log}");
        assert_eq!(
            line_path_ops(&scan(&docker)),
            line_path_ops(&plain),
            "{log}"
        );
        // The kubelet's CRI log files read the same, as they did before.
        let cri: String = log
            .lines()
            .map(|l| format!("2024-05-14T09:21:07.123456789Z stderr F {l}\n"))
            .collect();
        assert_eq!(line_path_ops(&scan(&cri)), line_path_ops(&plain), "{log}");
    }
    // A line that is no frame, between the frame and the error, ends the
    // traceback: the error stays a file's.
    let broken = [
        docker_record("stderr", "  File \"<frozen os>\", line 225, in makedirs\n"),
        docker_record("stderr", "INFO retrying\n"),
        docker_record(
            "stderr",
            "OSError: [Errno 30] Read-only file system: '/srv/app/cache'\n",
        ),
    ]
    .join("\n");
    assert_eq!(
        line_path_ops(&scan(&broken)),
        [(3, "/srv/app/cache", Op::File)]
    );
}

/// unzip (Info-ZIP 6.0, Debian's 6.0-28) names the entry on one line and
/// says why on the next, indented: read one line at a time, the first
/// says nothing of EROFS and the second names no path, so no volume was
/// planned and the error was warned about as naming none. As unzip
/// printed it extracting into a read-only tmpfs and a read-only bind
/// mount (`unshare -Urm`), LANG=C: `-d` to a new directory, to the
/// mount's top (files and a directory to make), over files there (`-o`
/// deletes the old one first), and relative to the working directory.
#[test]
fn unzips_name_and_error_on_two_lines_are_read_together() {
    let log = "\
Archive:  t.zip
checkdir:  cannot create extraction directory: /tmp/zt/ro/x
           Read-only file system
Archive:  t.zip
error:  cannot create /tmp/zt/ro/b.txt
        Read-only file system
checkdir error:  cannot create /tmp/zt/ro/sub
                 Read-only file system
                 unable to process sub/.
checkdir error:  cannot create /tmp/zt/ro/sub
                 Read-only file system
                 unable to process sub/a.txt.
Archive:  t.zip
error:  cannot delete old /tmp/zt/ro2/b.txt
        Read-only file system
error:  cannot create /tmp/zt/ro2/sub/a.txt
        Read-only file system
Archive:  ../t.zip
error:  cannot delete old b.txt
        Read-only file system
error:  cannot create sub/a.txt
        Read-only file system
";
    let s = scan(log);
    assert_eq!(
        line_path_ops(&s),
        [
            (2, "/tmp/zt/ro/x", Op::Mkdir),
            (5, "/tmp/zt/ro/b.txt", Op::File),
            (7, "/tmp/zt/ro/sub", Op::Mkdir),
            (14, "/tmp/zt/ro2/b.txt", Op::Remove),
            (16, "/tmp/zt/ro2/sub/a.txt", Op::File),
            (19, "b.txt", Op::Remove),
            (21, "sub/a.txt", Op::File),
        ]
    );
    assert!(s.hits.iter().all(|(_, h)| h.runtime == "unzip"));
    assert!(s.unresolved.is_empty(), "{:?}", s.unresolved);
    let plan = plan_from_scan(&s, "test");
    // `/tmp/zt/ro/x` and `/tmp/zt/ro/sub` are in the volume at `/tmp/zt/ro`.
    assert_eq!(planned(&plan), ["/tmp/zt/ro", "/tmp/zt/ro2"]);
    assert_warned_relative(&plan, &[(19, "b.txt"), (21, "sub/a.txt")]);
    // One json-file record a line reads the same.
    let docker: String = docker_log("stdout", log);
    assert_eq!(line_path_ops(&scan(&docker)), line_path_ops(&s));
    // The error alone, or after another line, names no path.
    for log in [
        "        Read-only file system\n",
        "error:  cannot create /srv/x\nINFO retrying\n        Read-only file system\n",
        "[pod/p/a] error:  cannot create /srv/x\n[pod/p/b]         Read-only file system\n",
    ] {
        let s = scan(log);
        assert!(s.hits.is_empty(), "{log}: {:?}", s.hits);
        assert_eq!(s.unresolved.len(), 1, "{log}");
    }
}

/// logfmt records (logrus' TextFormatter, go-kit, slog's TextHandler) put
/// the path in a `path`, `file` or `dir` field beside a bare `read-only
/// file system` error, as JSON records do, and are read by the same
/// rules: the field names the path, a request's `path` is a URL's, a
/// `file` with a line number is where the error was logged. Read as one
/// line, the path nearest before the error was taken: a directory's
/// parent was planned for `dir=`, and a request's URL for a volume.
/// Lines written in the encoders' formats (values quoted with Go's `%q`
/// when they hold a space, `=` or `"`), not captured: no Go program that
/// logs so could be run here.
#[test]
fn a_logfmt_records_path_field_beside_its_erofs_error_is_read() {
    let cases = [
        // go-kit's logfmt logger.
        (
            "level=error ts=2024-05-14T09:21:07.123Z caller=cache.go:42 msg=\"cannot prepare cache\" dir=/var/cache/app err=\"read-only file system\"",
            vec![("/var/cache/app", Op::Dir)],
        ),
        // logrus' TextFormatter, WithField(\"file\", p).WithError(err).
        (
            r#"time="2024-05-14T09:21:07Z" level=error msg="write failed" file="/srv/my data/it\"s.db" error="read-only file system""#,
            vec![(r#"/srv/my data/it"s.db"#, Op::File)],
        ),
        // slog's TextHandler.
        (
            "time=2024-05-14T09:21:07.123+00:00 level=ERROR msg=\"save failed\" path=/var/lib/app/state.json err=\"read-only file system\"",
            vec![("/var/lib/app/state.json", Op::File)],
        ),
        // A JSON record's `dir` field, by the same rules.
        (
            r#"{"level":"error","msg":"cannot prepare cache","dir":"/var/spool/app","error":"read-only file system"}"#,
            vec![("/var/spool/app", Op::Dir)],
        ),
        // No field names the path, the message does: read whole, as a
        // line no runtime claims.
        (
            "level=error msg=\"cannot write /srv/data/x.db\" err=\"read-only file system\"",
            vec![("/srv/data/x.db", Op::File)],
        ),
    ];
    assert_eq!(
        records_read_alone(&cases),
        [
            "/srv/data",
            "/srv/my data",
            "/var/cache/app",
            "/var/lib/app",
            "/var/spool/app"
        ]
    );
    // A request's URL path, a source location: no path, and the warning
    // quotes the record whole.
    for line in [
        "level=error method=POST path=/api/v1/upload status=500 err=\"read-only file system\"",
        "time=\"2024-05-14T09:21:07Z\" level=error msg=\"save failed\" func=main.save file=\"/app/main.go:42\" error=\"read-only file system\"",
    ] {
        let s = scan(line);
        assert!(s.hits.is_empty(), "{line}: {:?}", s.hits);
        let texts: Vec<&str> = s.unresolved.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, [line]);
    }
}

/// A JSON record whose message names the path its error does not, as a
/// logfmt record's may (zap, pino, winston: `msg` beside `error`, or the
/// error nested under `err`): its fields are read as one line, as a
/// logfmt record's are. A request's record still names no path.
#[test]
fn a_json_records_message_names_the_path_its_error_does_not() {
    let cases = [
        (
            r#"{"level":"error","ts":1715678467.1,"msg":"cannot write /srv/data/x.db","error":"read-only file system"}"#,
            vec![("/srv/data/x.db", Op::File)],
        ),
        (
            // Read as a line no runtime claims: a write of the name (its
            // directory planned), as the same logfmt line is.
            r#"{"level":50,"msg":"mkdir /var/cache/app failed","err":{"type":"Error","message":"read-only file system"}}"#,
            vec![("/var/cache/app", Op::File)],
        ),
        // A quoted path in the message: its quotes are not the path's.
        (
            r#"{"level":"error","msg":"cannot write \"/srv/q/x.db\"","error":"read-only file system"}"#,
            vec![("/srv/q/x.db", Op::File)],
        ),
    ];
    assert_eq!(
        records_read_alone(&cases),
        ["/srv/data", "/srv/q", "/var/cache"]
    );
    for line in [
        r#"{"level":"error","msg":"upload failed","method":"POST","url":"/api/v1/upload","error":"read-only file system"}"#,
        r#"{"level":"error","msg":"save failed","error":"read-only file system"}"#,
    ] {
        let s = scan(line);
        assert!(s.hits.is_empty(), "{line}: {:?}", s.hits);
        assert_eq!(s.unresolved.len(), 1, "{line}: {:?}", s.unresolved);
    }
}

/// A chmod, chown or utimes does not say whether it changed a file or a
/// directory, and a name without an extension is taken for a directory,
/// its own volume. But a log that writes the name as a file says which:
/// an entrypoint's `touch /etc/app-token; chmod 600 /etc/app-token` planned
/// an emptyDir at `/etc/app-token` (seeded), which no pod can mount over
/// the image's file, and the plan said "a directory, by its name" of
/// `/srv/app/ready`. `touch` of a name alone opens it to create or write
/// it: the file's directory is planned. As coreutils 9.1 printed them,
/// LANG=C, for files in read-only bind mounts at /etc and /srv
/// (`unshare -Urm`).
#[test]
fn a_changed_name_the_log_writes_as_a_file_is_a_file() {
    let log = "\
touch: cannot touch '/etc/app-token': Read-only file system
chmod: changing permissions of '/etc/app-token': Read-only file system
chown: changing ownership of '/etc/app-token': Read-only file system
touch: cannot touch '/srv/app/ready': Read-only file system
chmod: changing permissions of '/srv/app/ready': Read-only file system
touch: cannot touch '/srv/app/started': Read-only file system
";
    let plan = plan_from_scan(&scan(log), "test");
    assert_eq!(planned(&plan), ["/srv/app"]);
    assert!(
        !plan.paths[0].reason.contains("a directory"),
        "{}",
        plan.paths[0].reason
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("/etc/app-token") && w.contains("under the system path /etc")),
        "{:?}",
        plan.warnings
    );
    // The write of another container's file says nothing of this one's.
    let plan = plan_from_scan(
        &scan(
            "[pod/p/a] touch: cannot touch '/srv/app/ready': Read-only file system\n\
             [pod/p/b] chmod: changing permissions of '/srv/app/ready': Read-only file system\n",
        ),
        "test",
    );
    let at: Vec<(&str, Option<&str>)> = plan
        .paths
        .iter()
        .map(|p| (p.path.as_str(), p.container.as_deref()))
        .collect();
    assert_eq!(at, [("/srv/app", Some("a")), ("/srv/app/ready", Some("b"))]);
    // An error that names the path alone, whatever the call (Python's
    // OSError without its traceback, Java's FileSystemException, a JSON
    // record's field, a line no runtime claims), says nothing of a file:
    // the name decides.
    for write in [
        "OSError: [Errno 30] Read-only file system: '/etc/app'",
        "java.nio.file.FileSystemException: /etc/app: Read-only file system",
        r#"{"level":"error","path":"/etc/app","error":"read-only file system"}"#,
        "could not write /etc/app (Read-only file system)",
    ] {
        let log =
            format!("{write}\nchmod: changing permissions of '/etc/app': Read-only file system\n");
        let plan = plan_from_scan(&scan(&log), "test");
        assert_eq!(planned(&plan), ["/etc/app"], "{log}");
    }
}

/// What GNU coreutils 9.1 printed making entries in a read-only bind
/// mount (`unshare -Urm`), LANG=C: cp's files, directories and links, ln,
/// mkfifo, mknod, truncate, dd's `of=`, install. Each names the entry it
/// could not make, whose directory must be writable. cp's `-l` and `-s`
/// name the link, then what it links to: with a relative link, the
/// absolute target (only read) was taken for the entry, and its directory
/// planned (`/tmp/cx/src`) instead of the relative name warned about.
#[test]
fn coreutils_entries_made_in_a_read_only_directory_plan_that_directory() {
    let cases: &[Case] = &[
        (
            "sh",
            "cp: cannot create regular file '/srv/newf': Read-only file system",
            &[("/srv/newf", Op::File)],
        ),
        (
            "sh",
            "cp: cannot create directory '/srv/srccopy': Read-only file system",
            &[("/srv/srccopy", Op::Mkdir)],
        ),
        (
            "sh",
            "ln: failed to create symbolic link '/srv/link': Read-only file system",
            &[("/srv/link", Op::File)],
        ),
        (
            "sh",
            "ln: failed to create hard link '/srv/hard': Read-only file system",
            &[("/srv/hard", Op::File)],
        ),
        (
            "sh",
            "mkfifo: cannot create fifo '/srv/d/fifo2': Read-only file system",
            &[("/srv/d/fifo2", Op::File)],
        ),
        (
            "sh",
            "mknod: /srv/node: Read-only file system",
            &[("/srv/node", Op::File)],
        ),
        (
            "sh",
            "truncate: cannot open '/srv/newt' for writing: Read-only file system",
            &[("/srv/newt", Op::File)],
        ),
        (
            "sh",
            "dd: failed to open '/srv/dd.img': Read-only file system",
            &[("/srv/dd.img", Op::File)],
        ),
        (
            "sh",
            "install: cannot create regular file '/srv/inst': Read-only file system",
            &[("/srv/inst", Op::File)],
        ),
        (
            "sh",
            "cp: cannot create symbolic link '/srv/cs2' to '/tmp/cx/src/f': Read-only file system",
            &[("/srv/cs2", Op::File)],
        ),
        (
            "sh",
            "cp: cannot create symbolic link 'cs' to '/tmp/cx/src/f': Read-only file system",
            &[("cs", Op::File)],
        ),
        (
            "sh",
            "cp: cannot create hard link 'cl' to '/srv/exist': Read-only file system",
            &[("cl", Op::File)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(planned(&plan), ["/srv"]);
    assert_warned_relative(&plan, &[(11, "cs"), (12, "cl")]);
}

/// What BusyBox 1.35 (Debian's 1.35.0-4) printed making entries in a
/// read-only bind mount (`unshare -Urm`): its applets name the entry as
/// it is or in plain quotes, and each entry's directory must be
/// writable. Read right before this test; kept so they stay so.
#[test]
fn busybox_entries_made_in_a_read_only_directory_plan_that_directory() {
    let cases: &[Case] = &[
        (
            "sh",
            "cp: can't create '/srv/newf': Read-only file system",
            &[("/srv/newf", Op::File)],
        ),
        (
            "sh",
            "cp: can't create directory '/srv/srccopy': Read-only file system",
            &[("/srv/srccopy", Op::Mkdir)],
        ),
        (
            "sh",
            "ln: /srv/link: Read-only file system",
            &[("/srv/link", Op::File)],
        ),
        (
            "sh",
            "mkfifo: /srv/fifo: Read-only file system",
            &[("/srv/fifo", Op::File)],
        ),
        (
            "sh",
            "mknod: /srv/node: Read-only file system",
            &[("/srv/node", Op::File)],
        ),
        (
            "sh",
            "truncate: /srv/newt: open: Read-only file system",
            &[("/srv/newt", Op::File)],
        ),
        (
            "sh",
            "dd: can't open '/srv/dd.img': Read-only file system",
            &[("/srv/dd.img", Op::File)],
        ),
        (
            "sh",
            "touch: /srv/newname: Read-only file system",
            &[("/srv/newname", Op::File)],
        ),
        (
            "sh",
            "mv: can't create '/srv/moved': Read-only file system",
            &[("/srv/moved", Op::File)],
        ),
        (
            "sh",
            "tee: /srv/teef: Read-only file system",
            &[("/srv/teef", Op::File)],
        ),
        (
            "sh",
            "cp: can't create 'cs': Read-only file system",
            &[("cs", Op::File)],
        ),
    ];
    let plan = plan_from_scan(&scan(&checked_log(cases)), "test");
    assert_eq!(planned(&plan), ["/srv"]);
    assert_warned_relative(&plan, &[(11, "cs")]);
}

/// .NET's `IOException`s on Linux as `Exception.ToString()` writes them
/// (an unhandled one after `Unhandled exception. `): the message names
/// the path alone, the frames below it, innermost first, say what was
/// done. The frames are those dotnet/runtime's `FileSystem.Unix.cs`,
/// `SafeFileHandle.Unix.cs` and `FileStatus.Unix.cs` throw from
/// (`Interop.CheckIo` and `Interop.ThrowExceptionForIoErrno` above some),
/// under the calls `Directory.CreateDirectory`, `File.WriteAllText`,
/// `File.Delete`, `File.Move(a, b, overwrite: true)` (whose error names
/// the destination), `File.SetUnixFileMode` and `File.SetLastWriteTime`;
/// the last has no frame at all.
const DOTNET_TRACES: &str = "\
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/keys'
   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
   at System.IO.Directory.CreateDirectory(String path)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 3
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/logs/app.log'
   at Microsoft.Win32.SafeHandles.SafeFileHandle.Open(String path, OpenFlags flags, Int32 mode, Boolean failForSymlink, Boolean& wasSymlink, Func`4 createOpenException)
   at Microsoft.Win32.SafeHandles.SafeFileHandle.Open(String fullPath, FileMode mode, FileAccess access, FileShare share, FileOptions options, Int64 preallocationSize, UnixFileMode openPermissions, Int64& fileLength, UnixFileMode& filePermissions, Boolean failForSymlink, Boolean& wasSymlink, Func`4 createOpenException)
   at System.IO.Strategies.FileStreamHelpers.ChooseStrategyCore(String path, FileMode mode, FileAccess access, FileShare share, FileOptions options, Int64 preallocationSize, Nullable`1 unixCreateMode)
   at System.IO.StreamWriter.ValidateArgsAndOpenPath(String path, Boolean append, Encoding encoding, Int32 bufferSize)
   at System.IO.File.WriteAllText(String path, String contents)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 4
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/run/app.pid'
   at System.IO.FileSystem.DeleteFile(String fullPath)
   at System.IO.File.Delete(String path)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 5
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/state/state.json'
   at System.IO.FileSystem.MoveFile(String sourceFullPath, String destFullPath, Boolean overwrite)
   at System.IO.File.Move(String sourceFileName, String destFileName, Boolean overwrite)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 6
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/data'
   at Interop.ThrowExceptionForIoErrno(ErrorInfo errorInfo, String path, Boolean isDirError)
   at Interop.CheckIo(Int64 result, String path, Boolean isDirError)
   at System.IO.FileStatus.SetUnixFileMode(SafeFileHandle handle, String path, UnixFileMode mode)
   at System.IO.FileSystem.SetUnixFileMode(String fullPath, UnixFileMode mode)
   at System.IO.File.SetUnixFileMode(String path, UnixFileMode mode)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 7
Unhandled exception. System.IO.IOException: Read-only file system : '/srv/cache/stamp.txt'
   at Interop.ThrowExceptionForIoErrno(ErrorInfo errorInfo, String path, Boolean isDirError)
   at Interop.CheckIo(Int64 result, String path, Boolean isDirError)
   at System.IO.FileStatus.SetAccessOrWriteTimeCore(String path, DateTimeOffset time, Boolean isAccessTime, Boolean checkCreationTime, Boolean asDirectory)
   at System.IO.FileStatus.SetLastWriteTime(String path, DateTimeOffset time, Boolean asDirectory)
   at System.IO.FileSystemInfo.set_LastWriteTimeCore(DateTimeOffset value)
   at System.IO.FileSystem.SetLastWriteTime(String fullPath, DateTimeOffset time, Boolean asDirectory)
   at System.IO.File.SetLastWriteTime(String path, DateTime lastWriteTime)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 8
System.IO.IOException: Read-only file system : '/srv/web/upload'
info: Microsoft.Hosting.Lifetime[0]
";

/// What [`DOTNET_TRACES`] must read as, by line.
const DOTNET_OPS: [(usize, &str, Op); 7] = [
    (1, "/srv/keys", Op::Mkdir),
    (5, "/srv/logs/app.log", Op::File),
    (12, "/srv/run/app.pid", Op::Remove),
    (16, "/srv/state/state.json", Op::Rename),
    (20, "/srv/data", Op::Attr),
    (27, "/srv/cache/stamp.txt", Op::Attr),
    (36, "/srv/web/upload", Op::File),
];

/// .NET was not read at all: its errors fell to the generic reader, every
/// one a file's write, so `Directory.CreateDirectory("/srv/keys")`
/// planned `/srv` (over the image's whole `/srv`), and a chmod of a
/// directory its parent. The frames below the error say the operation;
/// without them it is a file's write, as Java's `FileSystemException` is.
#[test]
fn dotnets_frames_below_its_error_say_the_operation() {
    let s = scan(DOTNET_TRACES);
    assert_eq!(line_path_ops(&s), DOTNET_OPS);
    assert!(s.hits.iter().all(|(_, h)| h.runtime == "dotnet"));
    let plan = plan_from_scan(&s, "test");
    // The moved file's directory (the message names the destination
    // alone); the chmod'ed directory itself.
    for dir in ["/srv/keys", "/srv/data", "/srv/state"] {
        assert!(planned(&plan).contains(&dir), "{dir}: {:?}", planned(&plan));
    }
    // Docker's json-file records, one a line, and the kubelet's CRI log
    // files read as the plain text does.
    assert_eq!(
        line_path_ops(&scan(&docker_log("stdout", DOTNET_TRACES))),
        DOTNET_OPS
    );
    let cri: String = DOTNET_TRACES
        .lines()
        .map(|l| format!("2024-05-14T09:21:07.123456789Z stdout F {l}\n"))
        .collect();
    assert_eq!(line_path_ops(&scan(&cri)), DOTNET_OPS);
}

/// An `AggregateException` (`Task.Wait`, `Task.WaitAll`, `.Result`) as
/// `Exception.ToString()` writes it: its message repeats each inner
/// exception's in parentheses (dotnet/runtime's
/// `AggregateException.GetMessageFromInnerExceptions`), then the first
/// inner exception follows ` ---> ` with its frames, and each other one
/// ` ---> (Inner Exception #N) ` with its frames and `<---`; joined into one
/// line by the simple console formatter's `SingleLine`, last.
const DOTNET_AGGREGATE: &str = "\
Unhandled exception. System.AggregateException: One or more errors occurred. (Read-only file system : '/srv/keys')
 ---> System.IO.IOException: Read-only file system : '/srv/keys'
   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
   at System.IO.Directory.CreateDirectory(String path)
   at Program.<>c.<<Main>$>b__0_0() in /src/Program.cs:line 3
   at System.Threading.Tasks.Task.InnerInvoke()
   --- End of inner exception stack trace ---
   at System.Threading.Tasks.Task.Wait(Int32 millisecondsTimeout, CancellationToken cancellationToken)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 4
Unhandled exception. System.AggregateException: One or more errors occurred. (Read-only file system : '/srv/run/app.pid') (Read-only file system : '/srv/cache')
 ---> System.IO.IOException: Read-only file system : '/srv/run/app.pid'
   at System.IO.FileSystem.DeleteFile(String fullPath)
   at System.IO.File.Delete(String path)
   --- End of inner exception stack trace ---
   at System.Threading.Tasks.Task.WaitAllCore(Task[] tasks, Int32 millisecondsTimeout, CancellationToken cancellationToken)
   at Program.<Main>$(String[] args) in /src/Program.cs:line 9
 ---> (Inner Exception #1) System.IO.IOException: Read-only file system : '/srv/cache'
   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
   at System.IO.Directory.CreateDirectory(String path)<---

fail: Worker[0] System.AggregateException: One or more errors occurred. (Read-only file system : '/srv/a') (Read-only file system : '/srv/tmp/b')  ---> System.IO.IOException: Read-only file system : '/srv/a'    at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)    --- End of inner exception stack trace ---    at System.Threading.Tasks.Task.WaitAll(Task[] tasks)  ---> (Inner Exception #1) System.IO.IOException: Read-only file system : '/srv/tmp/b'    at System.IO.FileSystem.DeleteFile(String fullPath)<--- 
";

/// An `AggregateException`'s message named its inner exceptions' paths
/// without their frames, and was read first: each was a file's write, so
/// `Directory.CreateDirectory(\"/srv/keys\")` planned all of `/srv`, and
/// of a message joined into one line only the first path was read. The
/// frames below (or after) each inner exception say its operation.
#[test]
fn an_aggregate_exceptions_inner_frames_say_the_operation() {
    let want = [
        (1, "/srv/keys", Op::Mkdir),
        (10, "/srv/run/app.pid", Op::Remove),
        (10, "/srv/cache", Op::Mkdir),
        (21, "/srv/a", Op::Mkdir),
        (21, "/srv/tmp/b", Op::Remove),
    ];
    let s = scan(DOTNET_AGGREGATE);
    assert_eq!(line_path_ops(&s), want);
    assert_eq!(
        planned(&plan_from_scan(&s, "test")),
        ["/srv/a", "/srv/cache", "/srv/keys", "/srv/run", "/srv/tmp"]
    );
    let cri: String = DOTNET_AGGREGATE
        .lines()
        .map(|l| format!("2024-05-14T09:21:07.123456789Z stderr F {l}\n"))
        .collect();
    assert_eq!(line_path_ops(&scan(&cri)), want);
    assert_eq!(
        line_path_ops(&scan(&docker_log("stderr", DOTNET_AGGREGATE))),
        want
    );
}

/// ASP.NET Core's console logger: the simple formatter indents the
/// message and the exception by six columns under `fail: Category[id]`,
/// an inner exception is written ` ---> ` before its own frames, and the
/// JSON formatter keeps the exception's lines in one `Exception` string
/// (`System.Text.Json` writes `'` as `\u0027`).
#[test]
fn dotnets_logger_layouts_and_inner_exceptions_keep_the_frames_below() {
    let simple = "\
fail: Microsoft.AspNetCore.Server.Kestrel[13]
      Connection id \"0HN4\", Request id \"0HN4:00000001\": An unhandled exception was thrown by the application.
      System.IO.IOException: Read-only file system : '/app/wwwroot/uploads'
         at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
         at System.IO.Directory.CreateDirectory(String path)
";
    assert_eq!(
        line_path_ops(&scan(simple)),
        [(3, "/app/wwwroot/uploads", Op::Mkdir)]
    );
    let inner = "\
System.Security.Cryptography.CryptographicException: An error occurred while trying to encrypt the provided data.
 ---> System.IO.IOException: Read-only file system : '/data/keys'
   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
   at System.IO.Directory.CreateDirectory(String path)
   --- End of inner exception stack trace ---
   at Microsoft.AspNetCore.DataProtection.KeyManagement.KeyRingBasedDataProtector.Protect(Byte[] plaintext)
";
    assert_eq!(line_path_ops(&scan(inner)), [(2, "/data/keys", Op::Mkdir)]);
    let exception: String = simple
        .lines()
        .skip(2)
        .map(|l| l.trim_start_matches(' '))
        .map(|l| {
            if l.starts_with("at ") {
                format!("   {l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let json = serde_json::json!({
        "EventId": 13,
        "LogLevel": "Error",
        "Category": "Microsoft.AspNetCore.Server.Kestrel",
        "Message": "Connection id \"0HN4\": An unhandled exception was thrown by the application.",
        "Exception": exception,
        "State": {"Message": "An unhandled exception was thrown by the application."}
    })
    .to_string()
    .replace('\'', "\\u0027");
    assert!(
        json.contains(
            "\\u0027/app/wwwroot/uploads\\u0027\\n   at System.IO.FileSystem.CreateDirectory("
        ),
        "{json}"
    );
    assert_eq!(
        line_path_ops(&scan(&json)),
        [(1, "/app/wwwroot/uploads", Op::Mkdir)]
    );
}

/// Only the frames right below the error are its own: another errno's
/// `IOException` plans nothing, and the frames of another exception (one
/// after a line that is no frame, an inner one written ` ---> `, the
/// outer one's after `--- End of inner exception stack trace ---`, or
/// another container's) leave the error a file's write.
#[test]
fn another_exceptions_frames_do_not_say_what_a_dotnet_error_did() {
    let frame =
        "   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)";
    let s = scan(&format!(
        "System.IO.IOException: No space left on device : '/srv/spool/x'\n{frame}\n"
    ));
    assert!(s.hits.is_empty() && s.unresolved.is_empty(), "{s:?}");
    let error = "System.IO.IOException: Read-only file system : '/srv/keys'";
    for log in [
        format!(
            "{error}\nSystem.InvalidOperationException: The key ring could not be read.\n{frame}\n"
        ),
        format!(
            "{error}\n ---> System.InvalidOperationException: The key ring could not be read.\n{frame}\n"
        ),
        format!("{error}\n   --- End of inner exception stack trace ---\n{frame}\n"),
        format!("[pod/p/a] {error}\n[pod/p/b] {frame}\n"),
    ] {
        let s = scan(&log);
        assert_eq!(
            s.hits
                .iter()
                .map(|(_, h)| (h.path.as_str(), h.op, h.runtime))
                .collect::<Vec<_>>(),
            [("/srv/keys", Op::File, "dotnet")],
            "{log}"
        );
    }
}

/// Ruby's `File.unlink`, `File.chmod`, `File.chown`, `File.utime` (and
/// their `l` forms) all fail as `apply2files`: the error was read as a
/// removal, so a chmod of a directory planned its parent. A logger that
/// writes the message, then the backtrace a line each (Rails, rake),
/// puts the function's own frame on the next line: Ruby 3.3's `in
/// `chmod'`, 3.4's `in 'File.chmod'`, after Ruby's own `from ` too. No
/// frame, or another, leaves it a removal.
#[test]
fn rubys_backtrace_frame_below_apply2files_says_chmod_or_unlink() {
    let error = "Errno::EROFS: Read-only file system @ apply2files - /srv/app/data";
    let ops = |log: &str| -> Vec<Op> { scan(log).hits.iter().map(|(_, h)| h.op).collect() };
    for frame in [
        "/app/lib/tasks/setup.rake:4:in `chmod'",
        "/app/lib/tasks/setup.rake:4:in 'File.chown'",
        "\tfrom /app/lib/tasks/setup.rake:4:in `lchmod'",
        "  /usr/local/lib/ruby/3.4.0/fileutils.rb:1048:in 'File.utime'",
    ] {
        let log = format!(
            "{error}\n{frame}\n/app/lib/tasks/setup.rake:4:in `block in <top (required)>'\n"
        );
        assert_eq!(ops(&log), [Op::Attr], "{log}");
        // In Docker's json-file records, one a line, alike.
        assert_eq!(ops(&docker_log("stderr", &log)), [Op::Attr], "{log}");
    }
    let plan = plan_from_scan(
        &scan(&format!(
            "{error}\n/app/lib/tasks/setup.rake:4:in `chmod'\n"
        )),
        "test",
    );
    assert_eq!(planned(&plan), ["/srv/app/data"]);
    for log in [
        format!("{error}\n/app/lib/tasks/setup.rake:4:in `unlink'\n"),
        format!("{error}\n/app/lib/tasks/setup.rake:4:in 'File.delete'\n"),
        format!("{error}\n"),
        format!("{error}\nI, [2024-05-14T09:21:07] INFO -- : retrying\n/app/x.rb:4:in `chmod'\n"),
        format!("[pod/p/a] {error}\n[pod/p/b] /app/x.rb:4:in `chmod'\n"),
    ] {
        assert_eq!(ops(&log), [Op::Remove], "{log}");
    }
}

/// Two replicas failing at the same moment, read together with `kubectl
/// logs -l app=x --prefix -f` (or stern): their lines interleave, so one's
/// stack trace is still being read when the other's error comes, and
/// their containers have one name. Each pod's trace is read in its own
/// lines: the second error had closed the first's trace, so
/// `Directory.CreateDirectory` was read as a file's write (which plans
/// the parent, `/srv`), and the first Ruby `apply2files` as a removal.
#[test]
fn the_stack_traces_of_interleaved_pods_are_each_read() {
    let text = "\
[pod/web-1/app] Unhandled exception. System.IO.IOException: Read-only file system : '/srv/keys'
[pod/web-2/app] Unhandled exception. System.IO.IOException: Read-only file system : '/srv/run/app.pid'
[pod/web-1/app]    at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
[pod/web-2/app]    at System.IO.FileSystem.DeleteFile(String fullPath)
[pod/web-1/app] Errno::EROFS: Read-only file system @ apply2files - /srv/tmp/cache
[pod/web-2/app] Errno::EROFS: Read-only file system @ apply2files - /srv/tmp/restart.txt
[pod/web-1/app] /app/bin/setup:12:in `chmod'
[pod/web-2/app] /app/bin/setup:14:in `utime'
";
    let s = scan(text);
    assert_eq!(
        numbered_ops(&s),
        [
            (1, "/srv/keys", Op::Mkdir),
            (2, "/srv/run/app.pid", Op::Remove),
            (5, "/srv/tmp/cache", Op::Attr),
            (6, "/srv/tmp/restart.txt", Op::Attr),
        ]
    );
}

/// Rails' `ActionDispatch::DebugExceptions#log_error`
/// (actionpack/lib/action_dispatch/middleware/debug_exceptions.rb) logs
/// an exception as `"  "`, `"#{class} (#{message}):"`, `"  "` and the
/// backtrace, joined with newlines, and with `TaggedLogging` (production's
/// `log_tags = [:request_id]`) the tags before each line: the line of
/// spaces between the message and the backtrace had ended the reading, so
/// the backtrace's `chmod` was never read and the error was a removal.
#[test]
fn rails_spaces_between_the_message_and_the_backtrace_are_read_past() {
    let text = "\
F, [2024-05-14T09:21:07.123456 #1] FATAL -- :   
Errno::EROFS (Read-only file system @ apply2files - /app/tmp/cache/assets):
  
app/models/report.rb:12:in `chmod'
app/controllers/reports_controller.rb:5:in `create'
F, [2024-05-14T09:21:08.123456 #1] FATAL -- : [5f0e2a] 
[5f0e2a] Errno::EROFS (Read-only file system @ apply2files - /app/tmp/restart.txt):
[5f0e2a]   
[5f0e2a] app/models/report.rb:14:in 'File.utime'
[5f0e2a] app/controllers/reports_controller.rb:5:in 'ReportsController#create'
Errno::EROFS (Read-only file system @ apply2files - /app/tmp/pids/server.pid):
  
app/models/report.rb:16:in `block in cleanup'
app/models/report.rb:16:in `chmod'
";
    let s = scan(text);
    let got: Vec<(&str, Op)> = s
        .hits
        .iter()
        .map(|(_, h)| (h.path.as_str(), h.op))
        .collect();
    assert_eq!(
        got,
        [
            ("/app/tmp/cache/assets", Op::Attr),
            ("/app/tmp/restart.txt", Op::Attr),
            // The first location is the function's own: one that says
            // nothing ends the reading (a removal, as without a trace).
            ("/app/tmp/pids/server.pid", Op::Remove),
        ]
    );
}

/// The same for the lines that come *above* what they say: a Python
/// traceback's frame above its `OSError`, and unzip's line naming the
/// entry above its `Read-only file system`. One pod's frame made another
/// pod's error (same container name, read together with `--prefix`) a
/// mkdir, and one pod's line between unzip's two lines of another
/// dropped its lead.
#[test]
fn lines_above_an_error_are_paired_within_their_own_pod() {
    let text = "\
[pod/web-1/app]   File \"/app/main.py\", line 2, in <module>
[pod/web-1/app]     os.makedirs(\"/srv/cache\", exist_ok=True)
[pod/web-2/app] OSError: [Errno 30] Read-only file system: '/srv/data.db'
[pod/web-1/app] OSError: [Errno 30] Read-only file system: '/srv/cache'
[pod/web-2/app] error:  cannot create /srv/app/b.txt
[pod/web-1/app] starting worker 3
[pod/web-2/app]         Read-only file system
";
    let s = scan(text);
    assert_eq!(
        numbered_ops(&s),
        [
            (3, "/srv/data.db", Op::File),
            (4, "/srv/cache", Op::Mkdir),
            (5, "/srv/app/b.txt", Op::File),
        ]
    );
}

/// Two pods' Python tracebacks in flight at once (`kubectl logs -l app=x
/// --prefix -f`): each frame is kept for its own pod's error. One slot for
/// every stream let the second pod's `os.chmod` frame take the first's
/// `os.makedirs`, so `/srv/cache` was read as a file's write (its parent
/// planned) and the chmod's file was right only by luck of order.
#[test]
fn interleaved_python_tracebacks_keep_each_pods_frame() {
    let text = "\
[pod/web-1/app]   File \"/app/main.py\", line 2, in <module>
[pod/web-2/app]   File \"/app/main.py\", line 5, in <module>
[pod/web-1/app]     os.makedirs(\"/srv/cache\", exist_ok=True)
[pod/web-2/app]     os.chmod(\"/srv/keys\", 0o700)
[pod/web-1/app] OSError: [Errno 30] Read-only file system: '/srv/cache'
[pod/web-2/app] OSError: [Errno 30] Read-only file system: '/srv/keys'
";
    let s = scan(text);
    assert_eq!(
        numbered_ops(&s),
        [(5, "/srv/cache", Op::Mkdir), (6, "/srv/keys", Op::Attr)]
    );
}

/// Each hit's line number, path and operation, in order.
fn numbered_ops(s: &Scan) -> Vec<(usize, &str, Op)> {
    s.hits
        .iter()
        .map(|(n, h)| (*n, h.path.as_str(), h.op))
        .collect()
}

/// A CRI log file (`/var/log/pods/…/0.log`) keeps stdout and stderr apart
/// by record: .NET writes an unhandled exception to stderr whole while the
/// application's stdout goes on between its lines. The stdout line ended
/// the trace, and `CreateDirectory` below it was not read (a file's write,
/// its parent `/srv` planned). Docker's json-file records alike.
#[test]
fn a_stack_trace_is_read_past_the_other_streams_records() {
    let cri = "\
2024-05-14T09:21:07.100000000Z stderr F Unhandled exception. System.IO.IOException: Read-only file system : '/srv/keys'
2024-05-14T09:21:07.200000000Z stdout F info: Microsoft.Hosting.Lifetime[0] Application started.
2024-05-14T09:21:07.300000000Z stderr F    at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
";
    let json_file = concat!(
        r#"{"log":"Unhandled exception. System.IO.IOException: Read-only file system : '/srv/keys'\n","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}"#,
        "\n",
        r#"{"log":"info: Application started.\n","stream":"stdout","time":"2024-05-14T09:21:07.2Z"}"#,
        "\n",
        r#"{"log":"   at System.IO.FileSystem.CreateDirectory(String fullPath)\n","stream":"stderr","time":"2024-05-14T09:21:07.3Z"}"#,
        "\n",
    );
    for text in [cri, json_file] {
        assert_eq!(
            numbered_ops(&scan(text)),
            [(1, "/srv/keys", Op::Mkdir)],
            "{text}"
        );
    }
    // Within one stream a line that is no frame still ends it.
    let ended = "\
2024-05-14T09:21:07.100000000Z stderr F Unhandled exception. System.IO.IOException: Read-only file system : '/srv/keys'
2024-05-14T09:21:07.200000000Z stderr F warn: something else
2024-05-14T09:21:07.300000000Z stderr F    at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)
";
    assert_eq!(numbered_ops(&scan(ended)), [(1, "/srv/keys", Op::File)]);
}

/// Lines captured from real runtimes on a read-only mount.
mod captured;
