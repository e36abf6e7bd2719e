//! Plan paths inside other plan paths (`rootlock trace` lists each
//! directory the app wrote: `/var/cache/nginx` and its `client_temp`).
//! The outer path's volume serves the inner one when both are asked
//! alike, so the inner one needs no volume of its own; asked otherwise,
//! it gets one, mounted inside the outer one.

use crate::edits::planned;
use crate::volume_conflicts::Ask;
use rootlock_policy::plan::{Medium, PlannedPath};
use std::collections::HashMap;

/// The nearest planned path around an entry, for one container.
#[derive(Debug, PartialEq, Eq)]
pub enum Enclosing {
    /// The first entry there (the one whose volume is mounted) asks what
    /// the inner entry asks: its volume serves the inner path.
    Alike { at: String },
    /// The first entry there (the one whose volume is mounted) asks
    /// `outer`, which is not what the inner entry asks.
    Unlike { at: String, outer: Ask },
}

/// The paths fix mounts a volume at, by normalised path, to find the one
/// around a path by walking its parents: a plan from `rootlock logs` may
/// hold thousands of paths, too many to compare each with each.
pub struct Nesting<'p> {
    paths: &'p [PlannedPath],
    at: HashMap<String, Planned>,
    /// What each entry's volume is made as (its size with defaults).
    made: fn(&PlannedPath) -> Ask,
}

/// What is planned at one path: the first entry for every container and
/// the first per container, with what each asks. Only the first counts:
/// its volume is the one mounted there (a later entry asking otherwise is
/// said where it is asked twice).
#[derive(Default)]
struct Planned {
    every: Option<(usize, Ask)>,
    by_container: HashMap<String, (usize, Ask)>,
}

impl<'p> Nesting<'p> {
    /// `made` gives what the volume fix adds for an entry is (a memory
    /// path without a size gets the default size).
    pub fn new(paths: &'p [PlannedPath], made: fn(&PlannedPath) -> Ask) -> Nesting<'p> {
        let mut at: HashMap<String, Planned> = HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            // fix mounts nothing for a persistent path.
            if p.medium == Medium::Persistent {
                continue;
            }
            let here = at.entry(planned(p)).or_default();
            match &p.container {
                None => {
                    here.every.get_or_insert_with(|| (i, made(p)));
                }
                Some(c) => {
                    here.by_container
                        .entry(c.clone())
                        .or_insert_with(|| (i, made(p)));
                }
            }
        }
        Nesting { paths, at, made }
    }

    /// The nearest path strictly around `paths[i]` that some entry for
    /// `container` plans (an entry for another container serves not this
    /// one), and whether its volume is what `paths[i]` asks.
    pub fn enclosing(&self, i: usize, container: &str) -> Option<Enclosing> {
        let inner = (self.made)(&self.paths[i]);
        let path = planned(&self.paths[i]);
        let mut dir = path.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            dir = parent;
            let Some(here) = self.at.get(dir) else {
                continue;
            };
            let first = [here.every.as_ref(), here.by_container.get(container)]
                .into_iter()
                .flatten()
                .min_by_key(|(j, _)| *j);
            let Some((_, outer)) = first else {
                continue;
            };
            let at = dir.to_string();
            return Some(if outer.alike(&inner) {
                Enclosing::Alike { at }
            } else {
                Enclosing::Unlike {
                    at,
                    outer: outer.clone(),
                }
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, medium: Medium, container: Option<&str>) -> PlannedPath {
        PlannedPath {
            path: path.into(),
            medium,
            size_limit: None,
            container: container.map(String::from),
            seed: false,
            reason: String::new(),
        }
    }

    #[test]
    fn the_nearest_planned_parent_for_the_container_decides() {
        let paths = [
            entry("/a", Medium::Disk, None),
            entry("/a/b", Medium::Memory, Some("app")),
            entry("/a/b/c/d", Medium::Disk, None),
            entry("/a/b/c", Medium::Persistent, None),
            entry("/ab", Medium::Disk, None),
        ];
        let n = Nesting::new(&paths, Ask::of);
        // /a/b/c is persistent: no volume there, /a/b (app) or /a is next.
        assert_eq!(
            n.enclosing(2, "side"),
            Some(Enclosing::Alike { at: "/a".into() })
        );
        assert!(matches!(
            n.enclosing(2, "app"),
            Some(Enclosing::Unlike { at, outer }) if at == "/a/b" && outer.medium == Medium::Memory
        ));
        // `/ab` is not inside `/a`; nothing is around `/a`.
        assert_eq!(n.enclosing(4, "app"), None);
        assert_eq!(n.enclosing(0, "app"), None);
        // The first entry there, for every container or for this one,
        // is the volume mounted, and alone decides.
        let paths = [
            entry("/x", Medium::Memory, Some("side")),
            entry("/x", Medium::Disk, None),
            entry("/x", Medium::Memory, Some("app")),
            entry("/x/y", Medium::Memory, None),
        ];
        let n = Nesting::new(&paths, Ask::of);
        assert_eq!(
            n.enclosing(3, "side"),
            Some(Enclosing::Alike { at: "/x".into() })
        );
        assert!(matches!(
            n.enclosing(3, "app"),
            Some(Enclosing::Unlike { outer, .. }) if outer.medium == Medium::Disk
        ));
    }
}
