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
