//! PostgreSQL: `FATAL:  could not create lock file "/var/run/postgresql/.s.PGSQL.5432.lock": Read-only file system`,
//! `initdb: error: could not create directory "/var/lib/postgresql/data/pg_wal": Read-only file system`,
//! `could not change permissions of directory "/var/lib/postgresql/data": Read-only file system`.

use super::{Op, quoted};

pub fn find(line: &str) -> Vec<(String, Op)> {
    let Some(i) = line.find("could not ") else {
        return Vec::new();
    };
    let rest = &line[i + "could not ".len()..];
    let Some(q) = rest.find('"') else {
        return Vec::new();
    };
    let what = &rest[..q];
    let op = if what.contains("permissions of directory") || what.contains("owner of directory") {
        Op::DirAttr
    } else if what.starts_with("create directory") {
        Op::Mkdir
    } else if what.starts_with("remove") || what.starts_with("unlink") {
        Op::Remove
    } else if what.starts_with("rename") || what.starts_with("link") {
        Op::Rename
    } else if what.contains("permissions") {
        Op::Attr
    } else {
        Op::File
    };
    // Postgres names files relative to the data directory too: keep them
    // (they become a warning) rather than drop the evidence; a relative
    // one with a space is more likely words. An absolute name is printed
    // as it is, spaces and all (`initdb -D "/srv/my dir/pg data"`).
    quoted(rest, '"', '"')
        .into_iter()
        .filter(|p| !p.is_empty() && (p.starts_with('/') || !p.contains(' ')))
        .map(|p| (p.to_string(), op))
        .collect()
}
