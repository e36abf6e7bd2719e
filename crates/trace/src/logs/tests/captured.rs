//! Lines captured from real runtimes failing on a read-only bind mount
//! (`mount -o remount,bind,ro`), verbatim but for the mount's path
//! (`/work/rtl-logs/ro` there, `/srv` here), and what must come out.

use super::super::*;

/// Node prints the path between `'` as it is, a `'` in it included
/// (`uvException`: `${code}: ${desc}, ${syscall} '${path}'`). Read to the
/// first `'`, `/srv/it's dir/x.txt` was `/srv/it` and its directory
/// `/srv` was planned; a mkdir of `/srv/it's` planned a volume at `/srv/it`,
/// a directory nobody asks for.
#[test]
fn nodes_quoted_path_runs_past_a_quote_inside_it() {
    // node v20.20.2, fs.writeFileSync, uncaught and `e.message` logged.
    let cases: &[super::Case] = &[
        (
            "node",
            "Error: EROFS: read-only file system, open '/srv/it's dir/x.txt'",
            &[("/srv/it's dir/x.txt", Op::File)],
        ),
        (
            "node",
            "failed: EROFS: read-only file system, open '/srv/it's dir/x.txt'",
            &[("/srv/it's dir/x.txt", Op::File)],
        ),
        (
            "node",
            "Error: EROFS: read-only file system, open '/srv/my dir/new ü'q.txt'",
            &[("/srv/my dir/new ü'q.txt", Op::File)],
        ),
        // node v20.20.2, fs.mkdirSync.
        (
            "node",
            "Error: EROFS: read-only file system, mkdir '/srv/it's'",
            &[("/srv/it's", Op::Mkdir)],
        ),
        // node v20.20.2, `console.log([e])` of fs.mkdirSync's error.
        (
            "node",
            "  Error: EROFS: read-only file system, mkdir '/srv/it's'",
            &[("/srv/it's", Op::Mkdir)],
        ),
        (
            "node",
            "[Error: EROFS: read-only file system, mkdir '/srv/it's'] {",
            &[("/srv/it's", Op::Mkdir)],
        ),
        // node v20.20.2, fs.renameSync and fs.symlinkSync (two names).
        (
            "node",
            "Error: EROFS: read-only file system, rename '/srv/it's/a' -> '/srv/it's/b'",
            &[("/srv/it's/a", Op::Rename), ("/srv/it's/b", Op::Rename)],
        ),
        (
            "node",
            "Error: EROFS: read-only file system, symlink '/etc/passwd' -> '/srv/it's/lnk'",
            &[("/srv/it's/lnk", Op::File)],
        ),
    ];
    cases.iter().for_each(super::check);
    let plan = plan_from_scan(
        &scan("Error: EROFS: read-only file system, open '/srv/it's dir/x.txt'\n"),
        "t",
    );
    assert_eq!(super::planned(&plan), ["/srv/it's dir"]);
}

/// openjdk 17.0.15: `Files.delete`, `Files.setPosixFilePermissions`,
/// `Files.setOwner` and `Files.setLastModifiedTime` fail with a
/// `FileSystemException` that names the path alone; the frame below
/// `UnixException`'s says which call it was. Read as a file's write, the
/// removed file's directory was planned unseeded, and a chmod of the
/// directory `/srv/sub` planned its parent `/srv` instead of it.
#[test]
fn javas_delete_and_attribute_frames_say_the_operation() {
    const HEAD: &str =
        "\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:100)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:106)
\tat java.base/sun.nio.fs.UnixException.rethrowAsIOException(UnixException.java:111)
";
    for (path, frames, op) in [
        (
            "/srv/existing.txt",
            "\tat java.base/sun.nio.fs.UnixFileSystemProvider.implDelete(UnixFileSystemProvider.java:248)
\tat java.base/sun.nio.fs.AbstractFileSystemProvider.delete(AbstractFileSystemProvider.java:105)
\tat java.base/java.nio.file.Files.delete(Files.java:1152)
",
            Op::Remove,
        ),
        (
            "/srv/sub",
            "\tat java.base/sun.nio.fs.UnixFileAttributeViews$Posix.setMode(UnixFileAttributeViews.java:277)
\tat java.base/sun.nio.fs.UnixFileAttributeViews$Posix.setPermissions(UnixFileAttributeViews.java:299)
\tat java.base/java.nio.file.Files.setPosixFilePermissions(Files.java:2167)
",
            Op::Attr,
        ),
        (
            "/srv/existing.txt",
            "\tat java.base/sun.nio.fs.UnixFileAttributeViews$Posix.setOwners(UnixFileAttributeViews.java:291)
\tat java.base/sun.nio.fs.UnixFileAttributeViews$Posix.setOwner(UnixFileAttributeViews.java:313)
\tat java.base/sun.nio.fs.FileOwnerAttributeViewImpl.setOwner(FileOwnerAttributeViewImpl.java:100)
",
            Op::Attr,
        ),
        (
            "/srv/existing.txt",
            "\tat java.base/sun.nio.fs.UnixFileAttributeViews$Basic.setTimes(UnixFileAttributeViews.java:142)
\tat java.base/java.nio.file.Files.setLastModifiedTime(Files.java:2442)
\tat J.main(J.java:28)
",
            Op::Attr,
        ),
    ] {
        let text = format!(
            "Exception in thread \"main\" java.nio.file.FileSystemException: {path}: Read-only file system\n{HEAD}{frames}"
        );
        assert_eq!(super::numbered_ops(&scan(&text)), [(1, path, op)], "{text}");
    }
    let chmod_dir = format!(
        "Exception in thread \"main\" java.nio.file.FileSystemException: /srv/sub: Read-only file system\n{HEAD}\tat java.base/sun.nio.fs.UnixFileAttributeViews$Posix.setMode(UnixFileAttributeViews.java:277)\n"
    );
    assert_eq!(
        super::planned(&plan_from_scan(&scan(&chmod_dir), "t")),
        ["/srv/sub"]
    );
}

/// Python 3.11.7's `tempfile.mkdtemp(dir=…)` (and `TemporaryDirectory`)
/// names the directory it made up: `tmp` and eight of `[a-z0-9_]`. A
/// volume was planned at that name, which the next run never asks for;
/// the directory it is made in must be writable.
#[test]
fn pythons_mkdtemp_name_is_a_random_one() {
    let text = "\
Traceback (most recent call last):
  File \"/app/p.py\", line 31, in <module>
    elif op == \"mkdtemp\": tempfile.mkdtemp(dir=R)
                          ^^^^^^^^^^^^^^^^^^^^^^^
  File \"/usr/local/lib/python3.11/tempfile.py\", line 368, in mkdtemp
    _os.mkdir(file, 0o700)
OSError: [Errno 30] Read-only file system: '/srv/tmpzrap00sb'
";
    let plan = plan_from_scan(&scan(text), "t");
    assert_eq!(super::planned(&plan), ["/srv"]);
    // The name alone, where no frame says mkdtemp (a `makedirs` of it).
    let made = "\
  File \"<frozen os>\", line 225, in makedirs
OSError: [Errno 30] Read-only file system: '/srv/tmpzrap00sb'
";
    let plan = plan_from_scan(&scan(made), "t");
    assert_eq!(super::planned(&plan), ["/srv"]);
    assert_eq!(
        plan.paths[0].reason,
        "mkdir (random name) /srv/tmpzrap00sb: EROFS (python, line 2)"
    );
    assert!(!made_up("tmp_upload"), "seven characters");
}

/// Names printed unquoted, up to the `: ` before the error: busybox's
/// applets (`bb_perror_msg("%s", name)`), git's `cannot mkdir %s`, a Perl
/// `die "Cannot open $file: $!"`. Read to the first space, `/srv/my
/// dir/a b.txt` was `/srv/my`, and its directory `/srv` was planned; git's
/// `cannot mkdir` was read as a file's write, and its parent planned.
#[test]
fn unquoted_names_with_spaces_run_to_the_error() {
    let cases: &[super::Case] = &[
        // git 2.x (/usr/local/bin/git), `git init DIR`.
        (
            "sh",
            "fatal: cannot mkdir /srv/repo: Read-only file system",
            &[("/srv/repo", Op::Mkdir)],
        ),
        (
            "sh",
            "fatal: cannot mkdir /srv/my dir/re po: Read-only file system",
            &[("/srv/my dir/re po", Op::Mkdir)],
        ),
        // BusyBox v1.35.0, touch.
        (
            "sh",
            "touch: /srv/my dir/a b.txt: Read-only file system",
            &[("/srv/my dir/a b.txt", Op::File)],
        ),
        // perl 5.36.0, `open(...) or die "Cannot open $p: $!"`.
        (
            "sh",
            "Cannot open /srv/my dir/a b.txt: Read-only file system at -e line 1.",
            &[("/srv/my dir/a b.txt", Op::File)],
        ),
        // Words after a name are not taken for it (apt's lock file).
        (
            "sh",
            "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (30: Read-only file system)",
            &[("/var/lib/dpkg/lock-frontend", Op::File)],
        ),
        (
            "sh",
            "error: failed to write /srv/state.json after 3 tries: Read-only file system",
            &[("/srv/state.json", Op::File)],
        ),
    ];
    cases.iter().for_each(super::check);
    let log = super::checked_log(&cases[2..4]);
    let plan = plan_from_scan(&scan(&log), "t");
    assert_eq!(super::planned(&plan), ["/srv/my dir"]);
    let plan = plan_from_scan(&scan(cases[1].1), "t");
    assert_eq!(super::planned(&plan), ["/srv/my dir/re po"]);
}

/// Python 3.11.7 prints a bytes path (`open(b'…')`, `os.fsencode`) as a
/// bytes `repr()`: every byte past ASCII as `\xNN`. Read as code points,
/// `b'/srv/caf\xc3\xa9/x.txt'` was `/srv/cafÃ©/x.txt`, and a volume was
/// planned at `/srv/cafÃ©`, a directory that is not there; a byte that is
/// not UTF-8 (`\xff`) made `ÿ` of it, where such a name is a warning.
#[test]
fn pythons_bytes_paths_are_read_as_bytes() {
    let cases: &[super::Case] = &[
        (
            "python",
            r"OSError: [Errno 30] Read-only file system: b'/srv/caf\xc3\xa9/x.txt'",
            &[("/srv/café/x.txt", Op::File)],
        ),
        (
            "python",
            r"OSError: [Errno 30] Read-only file system: b'/srv/bad\xff/x.txt'",
            &[("/srv/bad\u{fffd}/x.txt", Op::File)],
        ),
        // A str: `\xe9` is the code point é (`'/srv/caf\xe9'` when not
        // printable in the locale's encoding).
        (
            "python",
            r"OSError: [Errno 30] Read-only file system: '/srv/caf\xe9/x.txt'",
            &[("/srv/café/x.txt", Op::File)],
        ),
    ];
    let log = super::checked_log(cases);
    let plan = plan_from_scan(&scan(&log), "t");
    assert_eq!(super::planned(&plan), ["/srv/café"]);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("is not valid UTF-8")),
        "{:?}",
        plan.warnings
    );
}

/// Python 3.11.7's `tempfile.TemporaryDirectory(dir=…, prefix="job-")`:
/// `mkdtemp` makes up the name after the prefix, so a volume at
/// `/srv/job-7hygnmwa` would never be used: its frame (and its source
/// line, `_os.mkdir(file, 0o700)`, and with no source, the frame alone)
/// says the directory it is made in must be writable.
#[test]
fn pythons_mkdtemp_frame_plans_the_directory_it_makes_one_in() {
    let text = "\
Traceback (most recent call last):
  File \"/app/p2.py\", line 10, in <module>
    with tempfile.TemporaryDirectory(dir=R, prefix=\"job-\") as d: pass
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/usr/local/lib/python3.11/tempfile.py\", line 854, in __init__
    self.name = mkdtemp(suffix, prefix, dir)
                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File \"/usr/local/lib/python3.11/tempfile.py\", line 368, in mkdtemp
    _os.mkdir(file, 0o700)
OSError: [Errno 30] Read-only file system: '/srv/job-7hygnmwa'
";
    // Without the source lines (only `.pyc` in the image).
    let no_source: String = text
        .lines()
        .filter(|l| !l.starts_with("    "))
        .map(|l| format!("{l}\n"))
        .collect();
    for text in [text, no_source.as_str()] {
        let plan = plan_from_scan(&scan(text), "t");
        assert_eq!(super::planned(&plan), ["/srv"], "{text}");
    }
}

/// PostgreSQL 15.18's initdb quotes the data directory it could not make;
/// a name with a space was dropped by the postgres reader, and the line
/// fell to `sh`, which read it as a write somewhere in that directory by
/// some other program (the same volume, for the wrong reason).
#[test]
fn postgres_paths_with_spaces_are_read() {
    let cases: &[super::Case] = &[(
        "postgres",
        "creating directory /srv/my dir/pg data ... initdb: error: could not create directory \"/srv/my dir/pg data\": Read-only file system",
        &[("/srv/my dir/pg data", Op::Mkdir)],
    )];
    let plan = plan_from_scan(&scan(&super::checked_log(cases)), "t");
    assert_eq!(super::planned(&plan), ["/srv/my dir/pg data"]);
    assert_eq!(
        plan.paths[0].reason,
        "mkdir /srv/my dir/pg data: EROFS (postgres, line 1)"
    );
}

/// containerd cuts a long line into `P` records at a byte count
/// (`max_container_log_line_size`), not at a character: a name's `é`
/// (`c3 a9`) may end one record and begin the next. Each record was read
/// as text on its own, the two halves became two U+FFFD, and the
/// directory `/srv/café` was a warning instead of a volume. Another
/// stream's record may come between the two.
#[test]
fn a_character_cut_between_cri_records_is_joined_whole() {
    let line = "OSError: [Errno 30] Read-only file system: '/srv/café/x.txt'".as_bytes();
    let cut = line.iter().position(|&b| b == 0xc3).unwrap() + 1;
    let mut log = Vec::new();
    log.extend_from_slice(b"2026-12-01T00:00:00.000000000Z stderr P ");
    log.extend_from_slice(&line[..cut]);
    log.extend_from_slice(b"\n2026-12-01T00:00:00.000000001Z stdout F starting\n");
    log.extend_from_slice(b"2026-12-01T00:00:00.000000002Z stderr F ");
    log.extend_from_slice(&line[cut..]);
    log.push(b'\n');
    for log in [log.clone(), prefixed(&log)] {
        let s = scan_reader(std::io::BufReader::new(&log[..])).unwrap();
        assert_eq!(
            super::numbered_ops(&s),
            [(1, "/srv/café/x.txt", Op::File)],
            "{}",
            String::from_utf8_lossy(&log)
        );
    }
}

/// `log` with `kubectl logs --prefix`'s prefix on each line.
fn prefixed(log: &[u8]) -> Vec<u8> {
    log.split_inclusive(|&b| b == b'\n')
        .flat_map(|l| [b"[pod/web-1/app] ".as_slice(), l].concat())
        .collect()
}

/// Node 19 and later report a recursive mkdir that a read-only file system
/// refused as ENOENT (nodejs/node#47098): node v20.20.2 on a read-only
/// bind mount, `fs.mkdirSync(p, {recursive: true})` uncaught (the whole
/// path asked for), `fs.promises.mkdir` likewise (its first missing
/// directory), and the sync error's message logged by a JSON logger, in a
/// Docker json-file record. Before, none of them planned anything: a Node
/// program's commonest failure under a read-only root was invisible.
#[test]
fn nodes_recursive_mkdir_refused_as_enoent_is_planned_and_warned() {
    let log = r#"node:fs:1386
  const result = binding.mkdir(
                         ^

Error: ENOENT: no such file or directory, mkdir '/srv/app/.cache/thumbs'
    at Object.mkdirSync (node:fs:1386:26)
    at Object.<anonymous> (/tmp/mk2.js:2:34)
    at node:internal/main/run_main_module:28:49 {
  errno: -2,
  code: 'ENOENT',
  syscall: 'mkdir',
  path: '/srv/app/.cache/thumbs'
}

Node.js v20.20.2
node:internal/fs/promises:856
  return await PromisePrototypeThen(
         ^

Error: ENOENT: no such file or directory, mkdir '/srv/www/.cache'
    at async Object.mkdir (node:internal/fs/promises:856:10) {
  errno: -2,
  code: 'ENOENT',
  syscall: 'mkdir',
  path: '/srv/www/.cache'
}
{"log":"{\"level\":50,\"msg\":\"ENOENT: no such file or directory, mkdir '/srv/data/x'\",\"err\":{\"type\":\"Error\",\"code\":\"ENOENT\",\"path\":\"/srv/data/x\"}}\n","stream":"stdout","time":"2026-12-01T04:40:00.000000000Z"}
Error: ENOENT: no such file or directory, open '/srv/app/config.json'
"#;
    let s = scan(log);
    assert_eq!(
        super::line_path_ops(&s),
        [
            (5, "/srv/app/.cache/thumbs", Op::Mkdir),
            (20, "/srv/www/.cache", Op::Mkdir),
            (27, "/srv/data/x", Op::Mkdir),
        ]
    );
    let plan = plan_from_scan(&s, "logs: -");
    assert_eq!(
        super::planned(&plan),
        ["/srv/app/.cache/thumbs", "/srv/data/x", "/srv/www/.cache"]
    );
    assert!(
        plan.paths[0].reason.contains(
            "mkdir /srv/app/.cache/thumbs: ENOENT read as EROFS (node, recursive mkdir, line 5)"
        ),
        "{:?}",
        plan.paths[0].reason
    );
    let warned: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.contains("nodejs/node#47098"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", plan.warnings);
    assert!(
        warned[0].starts_with(
            "Node reported ENOENT for mkdir of /srv/app/.cache/thumbs (line 5), /srv/www/.cache (line 20), /srv/data/x (line 27): "
        ),
        "{}",
        warned[0]
    );
    // An ENOENT of anything else is a missing file, no refusal.
    assert!(
        !plan.warnings.iter().any(|w| w.contains("config.json")),
        "{:?}",
        plan.warnings
    );
}

/// A log without Node's masked mkdir gets no warning about it, and a
/// Node EROFS is evidence as before.
#[test]
fn nodes_erofs_mkdir_is_not_called_masked() {
    let plan = plan_from_scan(
        &scan("Error: EROFS: read-only file system, mkdir '/srv/it'\n"),
        "logs: -",
    );
    assert_eq!(super::planned(&plan), ["/srv/it"]);
    assert!(plan.paths[0].reason.contains(": EROFS (node, line 1)"));
    assert!(
        !plan.warnings.iter().any(|w| w.contains("47098")),
        "{:?}",
        plan.warnings
    );
}

/// npm 11.19.1 (node v20.20.2) installing into a read-only app directory:
/// its summary names the masked mkdir after `enoent`, and the `code`,
/// `syscall` and `path` lines around it are no errors of their own.
#[test]
fn npms_summary_of_a_masked_mkdir_is_planned() {
    let log = "\
npm error code ENOENT
npm error syscall mkdir
npm error path /srv/app/node_modules
npm error errno -2
npm error enoent ENOENT: no such file or directory, mkdir '/srv/app/node_modules'
npm error enoent This is related to npm not being able to find a file.
npm error enoent
npm error Log files were not written due to an error writing to the directory: /srv/home/.npm/_logs
";
    let plan = plan_from_scan(&scan(log), "logs: -");
    assert_eq!(super::planned(&plan), ["/srv/app/node_modules"]);
    assert!(
        plan.paths[0]
            .reason
            .ends_with(": ENOENT read as EROFS (node, recursive mkdir, line 5)"),
        "{}",
        plan.paths[0].reason
    );
}
