//! What a log cannot tell: whether the image has something in a directory
//! the plan mounts over.
//!
//! A write that failed with EROFS into a directory proves the directory is
//! in the image (otherwise the error would be ENOENT). A volume there hides
//! everything the image has in it: code (`/app`), configuration
//! (`/etc/app`), or the links the official nginx image makes from
//! `/var/log/nginx/*.log` to `/dev/stdout`, after which the logs go to
//! files nobody reads. `trace` sees the image and marks such paths `seed`;
//! `logs` can only say that it cannot know. A directory that a failed
//! `mkdir` names did not exist (a `mkdir` of an existing one fails with
//! EEXIST first), so a volume there hides nothing.

use super::{Hit, Op};
use crate::canonical::{is_at_or_under, normalized};
use crate::reduce::{MEMORY_PATHS, RUNTIME_STATE_PATHS};
use rootlock_policy::format::{join_some, pluralize};
use rootlock_policy::plan::PlannedPath;
use std::collections::{BTreeSet, HashSet};

/// Runtime scratch, empty in images by convention: the memory-backed and
/// runtime-state paths the plan knows, and `/var/tmp`.
fn is_scratch(path: &str) -> bool {
    MEMORY_PATHS
        .iter()
        .chain(RUNTIME_STATE_PATHS)
        .chain(&["/var/tmp"])
        .any(|s| is_at_or_under(path, s))
}

/// Directories named in the warning; the rest are counted.
const SHOWN: usize = 20;

/// One warning naming the planned directories (`paths`) the image has and
/// may hold content in, as the `hits` show, unless the plan already says
/// so (`seed`); `None` when there are none.
pub fn warning<'a>(
    paths: &[PlannedPath],
    hits: impl IntoIterator<Item = &'a Hit>,
) -> Option<String> {
    let evidence = Evidence::of(hits);
    let mut dirs: Vec<&str> = paths
        .iter()
        .filter(|p| !p.seed && !is_scratch(&p.path))
        .filter(|p| evidence.in_image(&p.path))
        .map(|p| p.path.as_str())
        .collect();
    dirs.sort_unstable();
    if dirs.is_empty() {
        return None;
    }
    let n = dirs.len();
    Some(format!(
        "{}: the image has {} (the program wrote into {}), and a log cannot show what else {} hold; an emptyDir hides all of it (code, configuration, log links to /dev/stdout): look in the image (`rootlock trace --rootfs`) or seed the {} from an init container",
        join_some(&dirs, SHOWN),
        pluralize("this directory", "these directories", n),
        pluralize("it", "them", n),
        pluralize("it may", "they may", n),
        pluralize("volume", "volumes", n),
    ))
}

/// The hits' paths, normalized once and ordered, so that each planned
/// directory is looked up, not compared with every hit: a hostile log
/// keeps up to `MAX_DISTINCT` hits, and as many planned paths.
struct Evidence {
    /// Every hit's path.
    named: BTreeSet<String>,
    /// The paths of hits other than a `mkdir`: they existed themselves.
    existing: HashSet<String>,
}

impl Evidence {
    fn of<'a>(hits: impl IntoIterator<Item = &'a Hit>) -> Evidence {
        let mut e = Evidence {
            named: BTreeSet::new(),
            existing: HashSet::new(),
        };
        for h in hits {
            let Some(path) = normalized(&h.path) else {
                continue;
            };
            if h.op != Op::Mkdir {
                e.existing.insert(path.clone());
            }
            e.named.insert(path);
        }
        e
    }

    /// Whether the hits show that the directory `dir` exists in the image:
    /// one names something below `dir`, or `dir` itself other than as a
    /// `mkdir`.
    fn in_image(&self, dir: &str) -> bool {
        if self.existing.contains(dir) {
            return true;
        }
        if dir == "/" {
            return self.named.iter().any(|p| p != "/");
        }
        // The paths below `dir` are those starting with `dir/`, and in
        // order they follow one another from `dir/` on (`/app-x` and
        // `/app.d` sort before `/app/`, not among its entries).
        let prefix = format!("{dir}/");
        self.named
            .range(prefix.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{plan_from_scan, scan};

    /// The directories the image-content warning names.
    fn warned(log: &str) -> Vec<String> {
        let plan = plan_from_scan(&scan(log), "test");
        let found: Vec<&String> = plan
            .warnings
            .iter()
            .filter(|w| w.contains("a log cannot show"))
            .collect();
        assert!(found.len() <= 1, "one warning for all: {found:?}");
        found
            .first()
            .and_then(|w| w.split(": ").next())
            .map(|dirs| dirs.split(", ").map(String::from).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_directory_written_into_may_hide_image_content() {
        let log = "Error: EROFS: read-only file system, open '/app/x.log'\n\
                   2024/05/14 09:21:07 [emerg] 1#1: open() \"/var/log/nginx/error.log\" failed (30: Read-only file system)\n\
                   cp: cannot create regular file '/etc/app/config.yml': Read-only file system\n";
        assert_eq!(warned(log), ["/app", "/etc/app", "/var/log/nginx"]);
        let one = plan_from_scan(&scan("bash: /srv/out.txt: Read-only file system\n"), "test");
        assert!(
            one.warnings.iter().any(|w| w.starts_with(
                "/srv: the image has this directory (the program wrote into it), and a log cannot show what else it may hold"
            )),
            "{one:?}"
        );
    }

    #[test]
    fn a_warning_about_many_directories_names_the_first_and_counts_the_rest() {
        let log: String = (0..100)
            .map(|i| format!("open /srv/d{i:03}/f: read-only file system\n"))
            .collect();
        let dirs = warned(&log);
        assert_eq!(dirs.len(), 20, "{dirs:?}");
        assert_eq!(dirs[0], "/srv/d000");
        assert_eq!(dirs[19], "/srv/d019 and 80 more");
    }

    /// `/app-x` and `/app.d` sort between `/app` and `/app/`: the lookup
    /// of what is below `/app` must not stop at them.
    #[test]
    fn siblings_that_sort_first_do_not_hide_what_is_below() {
        let log = "open /app-x/g: read-only file system\n\
                   open /app.d/h: read-only file system\n\
                   open /app/f: read-only file system\n";
        assert_eq!(warned(log), ["/app", "/app-x", "/app.d"]);
    }

    #[test]
    fn a_directory_mkdir_failed_to_make_hides_nothing_and_scratch_is_empty() {
        let log = "mkdir /var/lib/app: read-only file system\n\
                   npm ERR! rofs EROFS: read-only file system, mkdir '/root/.npm'\n\
                   sh: 1: cannot create /var/run/app.pid: Read-only file system\n\
                   bash: /tmp/out.txt: Read-only file system\n";
        let plan = plan_from_scan(&scan(log), "test");
        assert_eq!(plan.paths.len(), 4, "{plan:?}");
        assert_eq!(warned(log), Vec::<String>::new());
    }

    #[test]
    fn a_path_already_marked_for_seeding_is_not_warned_twice() {
        // A removal marks the directory `seed`, with its own warning.
        let log = "rm: cannot remove '/etc/nginx/conf.d/default.conf': Read-only file system\n";
        let plan = plan_from_scan(&scan(log), "test");
        assert!(plan.paths.iter().all(|p| p.seed), "{plan:?}");
        assert_eq!(warned(log), Vec::<String>::new());
    }
}
