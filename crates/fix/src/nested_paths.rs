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
    /// Every entry there asks what the inner entry asks: its volume
    /// serves the inner path.
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
    at: HashMap<String, Vec<usize>>,
    /// What each entry's volume is made as (its size with defaults).
    made: fn(&PlannedPath) -> Ask,
}

impl<'p> Nesting<'p> {
    /// `made` gives what the volume fix adds for an entry is (a memory
    /// path without a size gets the default size).
    pub fn new(paths: &'p [PlannedPath], made: fn(&PlannedPath) -> Ask) -> Nesting<'p> {
        let mut at: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            // fix mounts nothing for a persistent path.
            if p.medium != Medium::Persistent {
                at.entry(planned(p)).or_default().push(i);
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
            let Some(list) = self.at.get(dir) else {
                continue;
            };
            let mut here = list
                .iter()
                .map(|&j| &self.paths[j])
                .filter(|q| q.container.as_ref().is_none_or(|n| n == container))
                .map(self.made)
                .peekable();
            let Some(first) = here.peek().cloned() else {
                continue;
            };
            let at = dir.to_string();
            return Some(if here.all(|q| q.alike(&inner)) {
                Enclosing::Alike { at }
            } else {
                Enclosing::Unlike { at, outer: first }
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
    }
}
