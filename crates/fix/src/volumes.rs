//! Writable paths: an emptyDir volume per path and a mount in each
//! container that needs it, with names that never collide.

use crate::edits::{
    DEFAULT_MEMORY_SIZE, Note, NoteText, Op, Options, PodChanges, covers, default_paths, planned,
};
use crate::nested_paths::{Enclosing, Nesting};
use crate::value::New;
use crate::volume_conflicts::{
    Ask, asked_twice_note, existing_volume_note, nested_apart_note, same_size,
};
use rootlock_policy::model::{Container, ContainerKind, Volume, VolumeMount, normalize_path};
use rootlock_policy::plan::{Medium, PlannedPath};
use rootlock_policy::{FieldPath, Pod};
use std::collections::{HashMap, HashSet};

/// Prefix of every volume the fix adds, so a later run can recognise them.
pub const VOLUME_PREFIX: &str = "rootlock-";

/// `rootlock-var-run` for `/var/run`: a DNS label (lowercase alphanumerics
/// and `-`), short enough to leave room for a `-N` suffix.
pub fn volume_base_name(path: &str) -> String {
    let mut slug = String::new();
    for ch in path.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let mut name = format!(
        "{VOLUME_PREFIX}{}",
        if slug.is_empty() { "data" } else { slug }
    );
    name.truncate(56);
    name.trim_end_matches('-').to_string()
}

/// Whether `name` is `base` or `base-N`.
fn is_ours(name: &str, base: &str) -> bool {
    name == base
        || name
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The `sizeLimit` the emptyDir for `p` gets: a tmpfs always has one.
fn size_limit(p: &PlannedPath) -> Option<String> {
    match p.medium {
        Medium::Memory => Some(
            p.size_limit
                .clone()
                .unwrap_or_else(|| DEFAULT_MEMORY_SIZE.into()),
        ),
        _ => p.size_limit.clone(),
    }
}

/// Containers of a pod, by kind and index.
type ContainerIds = Vec<(ContainerKind, usize)>;

/// What the emptyDir [`volume_item`] writes for `p` is.
fn made(p: &PlannedPath) -> Ask {
    Ask {
        medium: p.medium,
        size_limit: size_limit(p),
    }
}

/// Whether volume `v` is the emptyDir [`volume_item`] writes for `p`
/// (sizes compared by value: `67108864` is the `64Mi` asked).
fn is_volume_for(v: &Volume, p: &PlannedPath) -> bool {
    let memory = v.empty_dir_medium.as_deref() == Some("Memory");
    let disk = matches!(v.empty_dir_medium.as_deref(), None | Some(""));
    let medium = match p.medium {
        Medium::Memory => memory,
        _ => disk,
    };
    medium && same_size(v.empty_dir_size_limit.as_deref(), size_limit(p).as_deref())
}

fn volume_item(name: &str, p: &PlannedPath) -> New {
    let mut empty_dir = Vec::new();
    if p.medium == Medium::Memory {
        empty_dir.push(("medium".to_string(), New::str("Memory")));
    }
    if let Some(s) = size_limit(p) {
        empty_dir.push(("sizeLimit".to_string(), New::Str(s)));
    }
    New::map(vec![
        ("name", New::str(name)),
        ("emptyDir", New::Map(empty_dir)),
    ])
}

/// Adds volumes and mounts for the writable paths. `read_only_added` are
/// the containers whose root filesystem the fix makes read-only: without
/// explicit paths only they get the default `/tmp`.
pub fn plan_volumes(
    pod: &Pod,
    opts: &Options,
    read_only_added: &[(ContainerKind, usize)],
    out: &mut PodChanges,
) {
    let explicit = opts.writable.is_some();
    let paths = match &opts.writable {
        Some(paths) => paths.clone(),
        None => default_paths(),
    };
    // Sets, not lists: a plan from `rootlock logs` may hold thousands of
    // paths, and each is looked up here (20,000 paths took 6 s with lists).
    let mut taken: HashSet<String> = pod.spec.volumes.iter().map(|v| v.name.clone()).collect();
    // Names that containers mount or map as devices are taken too, listed
    // or not: a StatefulSet names its `volumeClaimTemplates` there (its
    // controller adds those volumes to the pod, replacing a template
    // volume of the same name), and the API server refuses a mount of a
    // name the container also has in `volumeDevices`.
    for (_, _, c) in pod.spec.all_containers() {
        taken.extend(c.volume_mounts.iter().map(|m| m.name.clone()));
        taken.extend(c.volume_devices.iter().map(|d| d.name.clone()));
    }
    // A path can be planned more than once: per container (`rootlock logs`
    // on `--prefix`ed logs plans it for each container that failed to
    // write it), or spelled twice (`/tmp` and `/tmp/`). A container gets
    // one mount per path (the API server refuses two at one mountPath),
    // and the containers share one volume per path and emptyDir, each
    // mounting a directory of its own (see [`mount_item`]).
    // With what the mount fix adds was asked as, to say a later entry
    // asking another medium or size (None: no mount added, nothing to
    // compare).
    let mut mounted: HashMap<(ContainerKind, usize, String), Option<Ask>> = HashMap::new();
    // Per path: each emptyDir added for it, and its volume's name.
    let mut shared: HashMap<String, Vec<(Ask, String)>> = HashMap::new();
    let nesting = Nesting::new(&paths, made);
    // Inner paths given a volume apart from the outer one's, said once.
    let mut apart_said: HashSet<String> = HashSet::new();
    // Seeded inner paths the outer path's volume serves, with the outer
    // path and the containers: said if that volume is added to one.
    let mut seeded_inside: Vec<(String, String, ContainerIds)> = Vec::new();
    for (entry, p) in paths.iter().enumerate() {
        let path = planned(p);
        if p.medium == Medium::Persistent {
            if needs_storage(pod, p, &path) {
                out.notes.push(Note {
                    path: FieldPath::keys(&["spec", "volumes"]),
                    text: NoteText::Plain(format!(
                        "{path} must persist: add a PersistentVolumeClaim for it by hand (fix does not invent storage)"
                    )),
                    kept: None,
                });
            }
            continue;
        }
        let mut used = false;
        let mut served_inside: Option<(String, ContainerIds)> = None;
        for (kind, index, c) in pod.spec.all_containers() {
            if p.container.as_ref().is_some_and(|n| *n != c.name) {
                continue;
            }
            if !explicit && !read_only_added.contains(&(kind, index)) {
                continue;
            }
            if let Some(given) = mounted.get(&(kind, index, path.clone())) {
                // `given` is what the first entry's volume was made as
                // (a default size included); this entry asks only what it
                // gives.
                let asked = Ask::of(p);
                if let Some(text) = given
                    .as_ref()
                    .and_then(|g| asked_twice_note(&c.name, &path, g, &asked))
                {
                    out.notes.push(Note {
                        path: FieldPath::container(kind, index),
                        text: NoteText::Plain(text),
                        kept: None,
                    });
                }
                continue;
            }
            // Inside a path planned alike for this container: that path's
            // volume serves this one too (one volume, not one each),
            // unless a mount or device of the container lies between them.
            let enclosing = nesting.enclosing(entry, &c.name);
            if let Some(Enclosing::Alike { at }) = &enclosing
                && !stands_between(c, at, &path)
            {
                served_inside
                    .get_or_insert_with(|| (at.clone(), Vec::new()))
                    .1
                    .push((kind, index));
                continue;
            }
            // A raw block device at or above the path: the API server
            // refuses a mount at a devicePath of the same container
            // (ValidateVolumeMounts), and a device node has no directory
            // to mount anything under.
            if let Some((i, d)) = c
                .volume_devices
                .iter()
                .enumerate()
                .find(|(_, d)| covers(&normalize_path(&d.device_path), &path))
            {
                out.notes.push(Note {
                    path: FieldPath::container(kind, index)
                        .key("volumeDevices")
                        .index(i),
                    text: NoteText::Plain(format!(
                        "container {:?} maps the block device {:?} at {} (volumeDevices), so {path} stays read-only: the API server refuses a mount at a device's path, and nothing can be mounted under a device; if the app writes there, move the device by hand",
                        c.name, d.name, d.device_path
                    )),
                    kept: None,
                });
                mounted.insert((kind, index, path.clone()), None);
                continue;
            }
            // A mount already there: the innermost one that covers the
            // path decides. Writable, it serves the path; read-only (a
            // configMap, `readOnly: true`), it keeps the path read-only,
            // and a mount over or inside it is not fix's to add.
            if let Some((i, m, at)) = innermost_cover(c, &path) {
                let volume = pod.spec.volumes.iter().find(|v| v.name == m.name);
                // A name not in `volumes` (a StatefulSet's claim
                // template) is as read-only as its mount says.
                let read_only = volume.map_or(m.read_only, |v| !v.writable_through(m));
                if read_only {
                    out.notes.push(Note {
                        path: FieldPath::container(kind, index)
                            .key("volumeMounts")
                            .index(i),
                        text: NoteText::Plain(format!(
                            "container {:?} mounts volume {:?} read-only at {at}, so {path} stays read-only: fix adds no mount over an existing one; if the app writes there, change that mount by hand",
                            c.name, m.name
                        )),
                        kept: None,
                    });
                    mounted.insert((kind, index, path.clone()), None);
                } else if explicit
                    && let Some(text) =
                        volume.and_then(|v| existing_volume_note(&c.name, v, &at, &path, p))
                {
                    out.notes.push(Note {
                        path: FieldPath::container(kind, index)
                            .key("volumeMounts")
                            .index(i),
                        text: NoteText::Plain(text),
                        kept: None,
                    });
                    mounted.insert((kind, index, path.clone()), None);
                }
                continue;
            }
            if kind == ContainerKind::Ephemeral {
                out.notes.push(Note {
                    path: FieldPath::container(kind, index),
                    text: NoteText::Plain(format!(
                        "ephemeral container {:?} cannot be given new volumes: {path} stays read-only for it",
                        c.name
                    )),
                    kept: None,
                });
                continue;
            }
            let ask = made(p);
            let for_path = shared.entry(path.clone()).or_default();
            let name = match for_path.iter().find(|(a, _)| a.alike(&ask)) {
                Some((_, n)) => n.clone(),
                None => {
                    let name = allocate(pod, p, &path, &mut taken, out);
                    for_path.push((ask, name.clone()));
                    name
                }
            };
            used = true;
            mounted.insert((kind, index, path.clone()), Some(made(p)));
            out.ops.push(Op::Append {
                path: FieldPath::container(kind, index).key("volumeMounts"),
                item: mount_item(name, &path, &c.name),
            });
            if let Some(Enclosing::Unlike { at, outer }) = &enclosing
                && apart_said.insert(path.clone())
            {
                out.notes.push(Note {
                    path: FieldPath::container(kind, index),
                    text: NoteText::Plain(nested_apart_note(&path, at, outer, &made(p))),
                    kept: None,
                });
            }
        }
        if let Some((at, containers)) = served_inside.filter(|_| p.seed) {
            seeded_inside.push((path.clone(), at, containers));
        }
        if used && p.seed {
            out.notes.push(Note {
                path: FieldPath::keys(&["spec", "volumes"]),
                text: NoteText::Plain(format!(
                    "the image has content at {path} that the new emptyDir hides: copy it in from an init container (into the container's own directory of the volume: its subPath)"
                )),
                kept: None,
            });
        }
    }
    // An inner path's image content is hidden by the outer path's new
    // emptyDir just as by one of its own.
    for (path, at, containers) in seeded_inside {
        let added = containers
            .into_iter()
            .any(|(kind, index)| matches!(mounted.get(&(kind, index, at.clone())), Some(Some(_))));
        if added {
            out.notes.push(Note {
                path: FieldPath::keys(&["spec", "volumes"]),
                text: NoteText::Plain(format!(
                    "the image has content at {path} that the new emptyDir at {at} hides: copy it in from an init container (into the container's own directory of the volume: its subPath)"
                )),
                kept: None,
            });
        }
    }
}

/// Whether container `c` mounts something, or maps a device, that serves
/// `path` but not `outer` (a path around it): then `outer`'s volume does
/// not serve `path`, and `path` is judged on its own.
fn stands_between(c: &Container, outer: &str, path: &str) -> bool {
    let mount = innermost_cover(c, path).is_some_and(|(_, _, at)| at.len() > outer.len());
    let device = c.volume_devices.iter().any(|d| {
        let at = normalize_path(&d.device_path);
        covers(&at, path) && !covers(&at, outer)
    });
    mount || device
}

/// The innermost mount of `c` at or above `path`, with its index and
/// normalised mountPath.
fn innermost_cover<'c>(c: &'c Container, path: &str) -> Option<(usize, &'c VolumeMount, String)> {
    c.volume_mounts
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m, normalize_path(&m.mount_path)))
        .filter(|(_, _, at)| covers(at, path))
        .max_by_key(|(_, _, at)| at.len())
}

/// Whether some container the `persistent` entry `p` is for (its
/// `container:`, or every one) has no storage that outlives the pod at
/// `path`: its innermost mount there is a writable volume that is neither
/// an emptyDir nor a generic ephemeral one (a PersistentVolumeClaim, or a
/// StatefulSet's claim template, which is not in `volumes`). Where every
/// such container has it (added by hand, as the note asked), or the pod
/// has no such container (the entry is another workload's), there is
/// nothing to say.
fn needs_storage(pod: &Pod, p: &PlannedPath, path: &str) -> bool {
    pod.spec
        .all_containers()
        .filter(|(_, _, c)| p.container.as_ref().is_none_or(|n| *n == c.name))
        .any(|(_, _, c)| {
            let Some((_, m, _)) = innermost_cover(c, path) else {
                return true;
            };
            match pod.spec.volume(&m.name) {
                None => m.read_only,
                Some(v) => !v.writable_through(m) || v.is_empty_dir() || v.has_source("ephemeral"),
            }
        })
}

/// The mount of volume `name` at `path` in container `container`: a
/// directory of the volume of its own (`subPath`: the container's name,
/// unique in a pod, which the kubelet creates with the volume's mode), as
/// the path was the container's own in its root filesystem before. One
/// emptyDir (mode 0777, no sticky bit) mounted whole in every container
/// would let a sidecar replace what the application keeps there (a
/// library a JVM extracts and loads, a socket), and make fixed names (pid
/// and lock files, a JVM's `/tmp/.java_pid1`) collide. The webhook's
/// mutation mounts its `/tmp` the same way. A container without a name
/// (which the API server refuses anyway) mounts the volume whole.
fn mount_item(name: String, path: &str, container: &str) -> New {
    let mut item = vec![("name", New::Str(name)), ("mountPath", New::str(path))];
    if !container.is_empty() {
        item.push(("subPath", New::str(container)));
    }
    New::map(item)
}

/// The plan paths meant for one container (`container: NAME`, as `rootlock
/// logs` writes them) that no workload of `containers` (every container
/// name of every workload fixed) has, said as notes: such a path is not
/// made writable anywhere, and the application that failed to write it
/// would fail again on a root the fix just made read-only.
pub fn unmatched_plan_paths(
    paths: &[PlannedPath],
    mut containers: impl FnMut(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        if let Some(name) = &p.container
            && !containers(name)
        {
            out.push(format!(
                "the plan's path {} is for container {name:?}, which no workload given has: it was not made writable (is the container named otherwise in the manifest?)",
                planned(p)
            ));
        }
    }
    out
}

/// Reuses an emptyDir this fix added earlier for the same path, or adds a
/// new volume under a name no other volume has.
fn allocate(
    pod: &Pod,
    p: &PlannedPath,
    path: &str,
    taken: &mut HashSet<String>,
    out: &mut PodChanges,
) -> String {
    let base = volume_base_name(path);
    // Names are slugs, and `/a_b` and `/a-b` share one: an earlier run's
    // volume is reused only where some container mounts it at this very
    // path, never for another path whose name happens to match; and only
    // when it is what `p` asks (a sidecar's /tmp asked on disk must not
    // silently get the app's tmpfs).
    let mounted_here = |name: &str| {
        pod.spec.all_containers().any(|(_, _, c)| {
            c.volume_mounts
                .iter()
                .any(|m| m.name == name && normalize_path(&m.mount_path) == path)
        })
    };
    if let Some(v) = pod.spec.volumes.iter().find(|v| {
        is_ours(&v.name, &base) && v.is_empty_dir() && is_volume_for(v, p) && mounted_here(&v.name)
    }) {
        return v.name.clone();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    out.ops.push(Op::Append {
        path: FieldPath::keys(&["spec", "volumes"]),
        item: volume_item(&name, p),
    });
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_paths_for_a_container_no_workload_has_are_said() {
        let path = |p: &str, c: Option<&str>| PlannedPath {
            path: p.into(),
            medium: Medium::Memory,
            size_limit: None,
            container: c.map(String::from),
            seed: false,
            reason: String::new(),
        };
        let paths = [
            path("/run/app/", Some("web")),
            path("/cache", Some("app")),
            path("/tmp", None),
        ];
        let notes = unmatched_plan_paths(&paths, |n| n == "app");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("/run/app is for container \"web\""),
            "{notes:?}"
        );
        assert!(unmatched_plan_paths(&paths, |_| true).is_empty());
    }

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(volume_base_name("/tmp"), "rootlock-tmp");
        assert_eq!(volume_base_name("/var/run/App_X"), "rootlock-var-run-app-x");
        assert!(volume_base_name(&"/a".repeat(100)).len() <= 56);
        assert!(is_ours("rootlock-tmp-3", "rootlock-tmp"));
        assert!(!is_ours("rootlock-tmp-x", "rootlock-tmp"));
    }
}
