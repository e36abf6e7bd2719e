//! What a writable path is asked as against what serves it already: an
//! emptyDir of another medium or size at the path or at a parent of it,
//! or the same path asked twice in one run. fix only adds, so each is
//! kept and said, never silently replaced, shrunk or grown.

use rootlock_policy::model::Volume;
use rootlock_policy::plan::{Medium, PlannedPath};
use rootlock_policy::quantity;
use std::cmp::Ordering;

/// What an emptyDir is, or what a path is asked as: a medium and a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub medium: Medium,
    pub size_limit: Option<String>,
}

impl Ask {
    /// What entry `p` asks for its path: the size only as given (a plan
    /// entry without one asks none; `--writable` gives its default).
    pub fn of(p: &PlannedPath) -> Ask {
        Ask {
            medium: p.medium,
            size_limit: p.size_limit.clone(),
        }
    }

    /// What emptyDir `v` is; None for another volume, or a medium that is
    /// neither disk nor memory (HugePages: nothing a plan asks).
    pub fn of_volume(v: &Volume) -> Option<Ask> {
        if !v.is_empty_dir() {
            return None;
        }
        // `medium: ""` is the node's disk, as no medium.
        let medium = match v.empty_dir_medium.as_deref() {
            None | Some("") => Medium::Disk,
            Some("Memory") => Medium::Memory,
            Some(_) => return None,
        };
        Some(Ask {
            medium,
            size_limit: v.empty_dir_size_limit.clone(),
        })
    }

    /// Whether two volumes made as `self` and `other` are alike: one
    /// medium, one size by value (`1Gi` is `1024Mi`).
    pub fn alike(&self, other: &Ask) -> bool {
        self.medium == other.medium
            && same_size(self.size_limit.as_deref(), other.size_limit.as_deref())
    }

    /// As an emptyDir there is: without a limit says so.
    fn describe_volume(&self) -> String {
        match &self.size_limit {
            Some(s) => format!("{}, sizeLimit {s}", self.medium.as_str()),
            None => format!("{}, no sizeLimit", self.medium.as_str()),
        }
    }

    /// As a path is asked: without a size, no size was asked.
    fn describe_ask(&self) -> String {
        match &self.size_limit {
            Some(s) => format!("{}, sizeLimit {s}", self.medium.as_str()),
            None => self.medium.as_str().to_string(),
        }
    }
}

/// Whether two sizes are the same limit: compared by value (`1Gi` is
/// `1024Mi`), none only equal to none.
pub fn same_size(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => quantity::compare(a, b) == Some(Ordering::Equal),
        _ => false,
    }
}

/// How the emptyDir `has` (volume `volume`, mounted at `at` in
/// `container`) fails what `path` is asked as, if it does. At the path
/// itself: another medium, or a size asked that is not its size. At a
/// parent, whose volume holds the path and more: another medium, or a
/// limit below what the path alone is asked (a larger one is no conflict).
fn mismatch(has: &Ask, asked: &Ask, at_path: bool) -> bool {
    if has.medium != asked.medium {
        return true;
    }
    let Some(wanted) = asked.size_limit.as_deref() else {
        return false;
    };
    match has.size_limit.as_deref() {
        _ if at_path => !same_size(has.size_limit.as_deref(), Some(wanted)),
        Some(limit) => quantity::compare(limit, wanted) == Some(Ordering::Less),
        // No limit at a parent: the path may use what it needs.
        None => false,
    }
}

/// `has` and `asked` as a note names them: by medium alone when that is
/// what differs, with their sizes when only the sizes do.
fn describe_pair(has: &Ask, asked: &Ask) -> (String, String) {
    if has.medium != asked.medium {
        (
            has.medium.as_str().to_string(),
            asked.medium.as_str().to_string(),
        )
    } else {
        (has.describe_volume(), asked.describe_ask())
    }
}

/// The note for an emptyDir mounted at `at` (by an earlier run of fix, or
/// by hand) that serves `path` but is not what `path` is asked as, on a
/// mount of container `container`; None when it is, or is no emptyDir.
/// It is kept (fix only adds, and other containers may share it or it
/// was sized by hand), but said: a new trace may have found the app
/// writing more than a tmpfs should hold, or more than the limit there.
pub fn existing_volume_note(
    container: &str,
    volume: &Volume,
    at: &str,
    path: &str,
    p: &PlannedPath,
) -> Option<String> {
    let has = Ask::of_volume(volume)?;
    let asked = Ask::of(p);
    if !mismatch(&has, &asked, at == path) {
        return None;
    }
    let (has_text, asked_text) = describe_pair(&has, &asked);
    let name = &volume.name;
    Some(if at == path {
        format!(
            "container {container:?} mounts the emptyDir volume {name:?} ({has_text}) at {path}, but {path} is asked as {asked_text}: kept (fix only adds, and other containers may share it); change its emptyDir by hand if the app needs {asked_text}"
        )
    } else {
        format!(
            "container {container:?} mounts the emptyDir volume {name:?} ({has_text}) at {at}, which holds {path}, but {path} is asked as {asked_text}: kept (fix only adds, and the volume holds more than {path}); change its emptyDir by hand if the app needs {asked_text} there"
        )
    })
}

/// The note for `path` asked for `container` as `asked` after an earlier
/// entry of the same run asked it as `given` (the mount added then is
/// used), when the two differ; None when they are the same ask.
pub fn asked_twice_note(container: &str, path: &str, given: &Ask, asked: &Ask) -> Option<String> {
    let same = given.medium == asked.medium
        && (asked.size_limit.is_none()
            || same_size(given.size_limit.as_deref(), asked.size_limit.as_deref()));
    if same {
        return None;
    }
    let (first, second) = describe_pair(given, asked);
    Some(format!(
        "{path} is asked for container {container:?} as {first} and as {second}: fix mounts one volume there, {first} (the first asked); drop the other entry, or change the volume by hand"
    ))
}

/// The note for `path`, asked as `inner`, planned inside `outer_path`,
/// whose volume is `outer`: one volume cannot be both, so `path` gets one
/// of its own, mounted inside the outer one.
pub fn nested_apart_note(path: &str, outer_path: &str, outer: &Ask, inner: &Ask) -> String {
    let (outer_text, inner_text) = describe_pair(outer, inner);
    format!(
        "{path} is asked as {inner_text}, inside {outer_path}, which is asked as {outer_text}: {path} gets an emptyDir of its own, mounted inside the one at {outer_path}; plan them alike to share one volume"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(medium: Medium, size: Option<&str>) -> Ask {
        Ask {
            medium,
            size_limit: size.map(String::from),
        }
    }

    #[test]
    fn at_the_path_any_other_size_asked_conflicts_at_a_parent_only_a_smaller_one() {
        let disk = |s| ask(Medium::Disk, s);
        assert!(mismatch(&disk(Some("64Mi")), &disk(Some("256Mi")), true));
        assert!(mismatch(&disk(Some("1Gi")), &disk(Some("256Mi")), true));
        assert!(mismatch(&disk(None), &disk(Some("256Mi")), true));
        assert!(!mismatch(&disk(Some("1024Mi")), &disk(Some("1Gi")), true));
        assert!(!mismatch(&disk(Some("1Gi")), &disk(None), true));
        assert!(mismatch(&disk(Some("64Mi")), &disk(Some("256Mi")), false));
        assert!(!mismatch(&disk(Some("1Gi")), &disk(Some("256Mi")), false));
        assert!(!mismatch(&disk(None), &disk(Some("256Mi")), false));
        let memory = ask(Medium::Memory, Some("64Mi"));
        assert!(mismatch(&disk(Some("64Mi")), &memory, true));
        assert!(mismatch(&disk(Some("64Mi")), &memory, false));
    }
}
