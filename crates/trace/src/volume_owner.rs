//! Why a program that ran when traced fails under `--verify` with EPERM:
//! it set the owner or mode of a planned volume's own directory; or it
//! refused that directory as not its user's (git's "dubious ownership").
//!
//! Traced, the program made that directory itself, as its own user and
//! with the mode it chose. Under a volume the directory is there before
//! the program starts and belongs to root, as in Kubernetes, where an
//! emptyDir is root's with mode 0777 (with the pod's `fsGroup`, that group
//! is its group, the owner still root): only the owner (or CAP_FOWNER) may
//! chmod it, so a program running as another user gets EPERM. PostgreSQL
//! is the common case: `initdb` sets its data directory's mode, and the
//! server refuses one it does not own. The plan is right about what is
//! written; the program needs a directory of its own inside the volume.

/// For each planned path that an EPERM line of the program's output names
/// as a whole path (`"/var/lib/postgresql/data"`, not a file below it),
/// the line and what to do, once per path.
pub fn notes(eperm_lines: &[String], planned: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for path in planned {
        let path = path.trim_end_matches('/');
        if path.is_empty() {
            continue;
        }
        let Some(line) = eperm_lines.iter().find(|l| names_whole(l, path)) else {
            continue;
        };
        // PostgreSQL's own way to the advice; another program's EPERM
        // (`chmod 700 ~/.ssh`) was told about PGDATA too.
        let postgres = if line.contains("initdb") || line.contains("postgres") {
            format!(" (PostgreSQL: PGDATA={path}/pgdata)")
        } else {
            String::new()
        };
        // A volume one level up, where the program makes the directory
        // itself, as it did traced; no volume may be at `/`.
        let up = crate::canonical::parent(path);
        let above = if up == "/" {
            String::new()
        } else {
            format!(
                ", or a volume at {up} instead, where the program makes {path} itself (seeded, if the image has files there)"
            )
        };
        let what = if line.contains("ownership") {
            "the program refused it as not its user's"
        } else {
            "the program could not set its owner or mode"
        };
        out.push(format!(
            "  {line}\n  {path} is a planned volume's own directory: {what}. Traced, the directory was the program's (it made it, or the image's belongs to its user); a volume's directory is there first and is root's (an emptyDir's mode is 0777, its group the pod's fsGroup if set), and only its owner may change it. Give the program a directory of its own inside the volume, which it makes and owns{postgres}{above}, or run the step that sets it as root.\n"
        ));
    }
    out
}

/// `line` names `path` itself: not as the start of a longer name
/// (`/data` in `/data2` or `/data/x`) nor as the end of one.
fn names_whole(line: &str, path: &str) -> bool {
    let path_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-');
    line.match_indices(path).any(|(i, _)| {
        let before = i
            .checked_sub(1)
            .and_then(|j| line.as_bytes().get(j))
            .copied();
        let after = line.as_bytes().get(i + path.len()).copied();
        !before.is_some_and(path_byte)
            && match after {
                // `/data/` and `/data/.` are the directory itself.
                Some(b'/') => !line
                    .as_bytes()
                    .get(i + path.len() + 1)
                    .copied()
                    .is_some_and(|b| path_byte(b) && b != b'.'),
                Some(b) => !path_byte(b),
                None => true,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PostgreSQL 15's initdb, run as `postgres` with its data directory
    /// planned as a volume (printed under `rootlock trace --verify`).
    const INITDB: &str = "initdb: error: could not change permissions of directory \"/var/lib/postgresql/data\": Operation not permitted";

    #[test]
    fn a_volumes_own_directory_named_by_an_eperm_line_is_explained_once() {
        let lines = vec![INITDB.to_string(), INITDB.to_string()];
        let notes = notes(&lines, &["/run/postgresql", "/var/lib/postgresql/data"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with(&format!(
            "  {INITDB}\n  /var/lib/postgresql/data is a planned volume's own directory"
        )));
        assert!(notes[0].contains("PGDATA=/var/lib/postgresql/data/pgdata"));
    }

    /// Another program's EPERM (coreutils' `chmod 700 ~/.ssh`, run as a
    /// user) is not told about PGDATA: it was ("PostgreSQL:
    /// PGDATA=/home/cloudsdk/.ssh/pgdata"). It is told that a volume at the
    /// parent lets it make the directory itself.
    #[test]
    fn another_programs_eperm_is_not_told_about_postgresql() {
        let chmod = "chmod: changing permissions of '/home/cloudsdk/.ssh': Operation not permitted";
        let notes = notes(&[chmod.to_string()], &["/home/cloudsdk/.ssh"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(!notes[0].contains("PGDATA"), "{notes:?}");
        assert!(
            notes[0].contains("or a volume at /home/cloudsdk instead, where the program makes /home/cloudsdk/.ssh itself"),
            "{notes:?}"
        );
    }

    /// git 2.39 as a user, its repository a volume's own directory (root's):
    /// it does not fail to chmod, it refuses the directory. The line names
    /// it and is explained as the volume's owner, not a mode it set.
    #[test]
    fn a_program_refusing_a_volume_it_does_not_own_is_explained() {
        let git = "fatal: detected dubious ownership in repository at '/home/cloudsdk/repo'";
        let notes = notes(&[git.to_string()], &["/home/cloudsdk/repo"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with(&format!("  {git}\n")), "{notes:?}");
        assert!(
            notes[0].contains("/home/cloudsdk/repo is a planned volume's own directory: the program refused it as not its user's"),
            "{notes:?}"
        );
    }

    #[test]
    fn only_the_directory_itself_counts() {
        let named = |line: &str, path: &str| names_whole(line, path);
        assert!(named(
            "chmod '/srv/data': Operation not permitted",
            "/srv/data"
        ));
        assert!(named(
            "chown /srv/data/: Operation not permitted",
            "/srv/data"
        ));
        assert!(named("chmod /srv/data/. failed", "/srv/data"));
        assert!(named("at end /srv/data", "/srv/data"));
        // A file below it, a longer name, a name that ends in it.
        assert!(!named(
            "chmod '/srv/data/pg.conf': Operation not permitted",
            "/srv/data"
        ));
        assert!(!named(
            "chmod '/srv/data2': Operation not permitted",
            "/srv/data"
        ));
        assert!(!named(
            "chmod '/x/srv/data': Operation not permitted",
            "/srv/data"
        ));
        assert!(
            notes(
                &["chmod /srv/data/x: Operation not permitted".into()],
                &["/srv/data"]
            )
            .is_empty()
        );
    }
}
