//! From a write set to a minimal list of mount points (pure).
//!
//! Every observed change is first turned into an [`Anchor`]: the directory
//! that must be writable for the change to succeed.
//!
//! * a created directory is its own anchor (the runtime creates the mount
//!   point, so the topmost created directory wins once nested anchors merge),
//!   unless a temp-directory function made its name up (see
//!   [`crate::made_up_names`]; its mode 0700 tells one with the caller's
//!   prefix): then the directory it was made in;
//! * an entry renamed from another directory anchors at the common
//!   ancestor of both parents (rename(2) does not cross mounts);
//! * a created, transient or modified file, or a deletion, anchors at its
//!   containing directory; a modification or deletion of image content sets
//!   `seed` (an emptyDir hides what the image had there).
//!
//! Anchors nested in another anchor merge into it; `/` is never suggested;
//! system anchors ([`is_system_anchor`]) become warnings instead of volumes.

use crate::canonical::{is_at_or_under, normalized, parent, strip_dir_prefix};
use crate::made_up_names::{made_up, made_up_private};
use rootlock_policy::immutable::{is_kernel_path, is_system_mount_path};
use rootlock_policy::plan::{Medium, PlannedPath, VolumePlan};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What happened to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Did not exist in the image and exists afterwards.
    Created,
    /// Existed in the image and its content changed.
    Modified,
    /// Existed in the image and is gone (an overlay whiteout).
    Deleted,
    /// An image directory removed and re-created (overlay opaque directory).
    Replaced,
    /// Only the mode, owner or timestamps of an image entry changed.
    Attributes,
    /// Created and removed again during the run.
    Transient,
    /// An image directory written in place that shows no other change (see
    /// `upper_walk`): it must be writable, but this says nothing about its
    /// content, so whether to seed is left to the image (unlike
    /// `Attributes`, which seeds).
    Touched,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Replaced => "replaced",
            ChangeKind::Attributes => "attributes",
            ChangeKind::Transient => "transient",
            ChangeKind::Touched => "touched",
        }
    }

    /// Image content is changed (so an empty volume would hide it).
    pub fn touches_image(self) -> bool {
        matches!(
            self,
            ChangeKind::Modified
                | ChangeKind::Deleted
                | ChangeKind::Replaced
                | ChangeKind::Attributes
        )
    }
}

/// One observed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Absolute path as seen by the program (canonicalised by [`reduce`]).
    pub path: String,
    pub kind: ChangeKind,
    pub is_dir: bool,
    /// Bytes now stored in the upper layer for this entry (0 when unknown).
    #[serde(default)]
    pub bytes: u64,
    /// Extra evidence, e.g. `renamed from /srv/old`.
    #[serde(default)]
    pub note: String,
    /// For a directory renamed here (overlayfs `redirect`), the path it was
    /// renamed from: rename(2) needs both places in one writable mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// For a file hard-linked here, another of its names in another
    /// directory: link(2), like rename(2), needs both in one writable mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_with: Option<String>,
    /// More changes of the same kind in the same directory, folded into
    /// this one instead of listed (past [`LISTED_PER_DIR`]): counted in
    /// the plan's reason, not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub folded: u64,
    /// A created directory of mode 0700, as temp-directory functions make
    /// theirs (see [`crate::made_up_names::made_up_private`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Change {
    /// A change of `kind` at `path` and nothing more: the other fields are
    /// set where they are known (`Change { is_dir: true, ..Change::at(…) }`),
    /// so that a field added later is not written out at every place a
    /// change is made.
    pub fn at(path: String, kind: ChangeKind) -> Change {
        Change {
            path,
            kind,
            is_dir: false,
            bytes: 0,
            note: String::new(),
            renamed_from: None,
            linked_with: None,
            folded: 0,
            private: false,
        }
    }
}

/// Changes listed one by one in a directory; the rest are counted only
/// (see [`Change::folded`]): a program that writes 300,000 files costs
/// the trace no more than one that writes this many, per directory. Each
/// of them would only add to the same anchor.
pub const LISTED_PER_DIR: usize = 1000;

impl Change {
    /// The other name this change needs in the same mount (renamed from,
    /// or hard-linked with), if it has one.
    pub(crate) fn same_mount_as(&self) -> Option<&str> {
        self.renamed_from.as_deref().or(self.linked_with.as_deref())
    }
}

/// A directory that must be writable, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub path: String,
    /// Image content below the anchor was modified or deleted.
    pub seed: bool,
    /// Total bytes written below the anchor, when known.
    pub bytes: Option<u64>,
    /// Human evidence, one per change (kept short when rendered).
    pub evidence: Vec<String>,
    /// Paths written below the anchor (for the medium heuristic).
    pub written: Vec<String>,
    /// Changes below the anchor counted but not listed (see
    /// [`Change::folded`]).
    pub folded: u64,
}

impl Anchor {
    /// An anchor for one piece of evidence.
    pub fn new(
        path: &str,
        seed: bool,
        bytes: Option<u64>,
        evidence: String,
        written: &str,
    ) -> Self {
        Anchor {
            path: path.to_string(),
            seed,
            bytes,
            evidence: vec![evidence],
            written: vec![written.to_string()],
            folded: 0,
        }
    }
}

/// The anchor a change needs (before merging).
pub fn anchor_of(change: &Change) -> Option<Anchor> {
    let path = normalized(&change.path)?;
    let kind = change.kind;
    let mut evidence = format!("{} {}", kind.as_str(), path);
    if change.is_dir && !matches!(kind, ChangeKind::Transient) {
        evidence.push('/');
    }
    if !change.note.is_empty() {
        evidence.push_str(&format!(" ({})", change.note));
    }
    let at = match kind {
        // An entry renamed from another directory (`mv /srv/a/x /srv/b/y`,
        // a file written in `work/` and renamed into `done/`) or a file
        // hard-linked into one (`ln cache/f lib/g`, a Maildir delivery):
        // rename(2) and link(2) fail with EXDEV across mounts, so both
        // parents must be in one volume, their common ancestor; a volume at
        // a renamed directory's new name itself (a mount point) cannot be
        // renamed onto either. Not when that ancestor can hold no volume
        // (see [`unshareable_ancestor`]): the new name keeps its own
        // anchor, so that its directory is still planned, and
        // [`unshareable_warnings`] says the call fails.
        _ if let Some(common) = change
            .same_mount_as()
            .and_then(normalized)
            .and_then(|from| shared_mount_dir(&path, &from)) =>
        {
            common
        }
        // A file the kubelet binds in (`/etc/hosts`) is its own mount
        // point: the warning names that mount, not the system path around.
        _ if kubelet_mount_of(&path) == Some(path.as_str()) => path.clone(),
        // A temp directory the program kept (or was stopped before it
        // removed it) has a name the next run will not ask for: the
        // directory it was made in must be writable.
        ChangeKind::Created if change.is_dir && made_up_name(change, &path) => {
            evidence.push_str(" (a made-up temp name)");
            parent(&path).to_string()
        }
        ChangeKind::Created if change.is_dir => path.clone(),
        ChangeKind::Attributes if change.is_dir => path.clone(),
        ChangeKind::Touched => path.clone(),
        _ => parent(&path).to_string(),
    };
    let mut anchor = Anchor::new(
        &at,
        kind.touches_image(),
        Some(change.bytes),
        evidence,
        &path,
    );
    anchor.folded = change.folded;
    Some(anchor)
}

/// A created directory's name was made up by a temp function: told by
/// the name, or, for one made private (0700, as those functions make
/// theirs), by a random tail after the caller's prefix.
fn made_up_name(change: &Change, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    if change.private {
        made_up_private(name)
    } else {
        made_up(name)
    }
}

/// The directory one volume must be at for a rename or hard link between
/// `a` and `b` (normalized absolute paths) to stay in one mount: the
/// common ancestor of their directories; `None` when no volume may be
/// there (see [`unshareable_ancestor`]).
pub(crate) fn shared_mount_dir(a: &str, b: &str) -> Option<String> {
    Some(common_ancestor(parent(a), parent(b)).to_string()).filter(|c| !unshareable_ancestor(c))
}

/// The directories of `a` and `b` (normalized absolute paths, the two
/// ends of a rename or hard link) when they differ and no one volume can
/// hold both, so that the call fails with EXDEV in the pod; `None` when
/// one can, or both are in one directory (any volume there holds both; one
/// that cannot be there, a system path, is warned about as such).
pub(crate) fn unshareable_dirs(a: &str, b: &str) -> Option<(String, String)> {
    let (da, db) = (parent(a), parent(b));
    (da != db && shared_mount_dir(a, b).is_none()).then(|| (da.to_string(), db.to_string()))
}

/// A common ancestor no volume can be planned at: `/`, a system path or
/// a path of the kubelet's (`/tmp/x` renamed or linked to `/data/x`).
fn unshareable_ancestor(dir: &str) -> bool {
    dir == "/" || is_system_anchor(dir) || kubelet_mount_of(dir).is_some()
}

/// A rename or hard link between two directories that no one volume can
/// hold (see [`unshareable_ancestor`]): the plan keeps them apart, and the
/// call fails with EXDEV in the pod. One warning per pair of directories.
pub fn unshareable_warnings(changes: &[Change]) -> Vec<String> {
    let mut pairs = std::collections::BTreeMap::new();
    for c in changes {
        let (Some(path), Some(other)) =
            (normalized(&c.path), c.same_mount_as().and_then(normalized))
        else {
            continue;
        };
        let Some((to, from)) = unshareable_dirs(&path, &other) else {
            continue;
        };
        let (done, call) = if c.renamed_from.is_some() {
            ("renamed", "rename")
        } else {
            ("hard-linked", "link")
        };
        pairs
            .entry((from, to))
            .or_insert_with(|| (format!("{other} {done} to {path}"), call));
    }
    pairs
        .into_iter()
        .map(|((from, to), (first, call))| {
            format!(
                "{first}: {from} and {to} have no common directory that a volume may be mounted at, so they are planned as separate volumes and the {call} fails there with EXDEV (cross-device); change the application to keep both in one directory"
            )
        })
        .collect()
}

/// The deepest directory at or above both `a` and `b` (normalized
/// absolute paths).
fn common_ancestor<'p>(a: &'p str, b: &str) -> &'p str {
    let mut at = a;
    while !is_at_or_under(b, at) {
        at = parent(at);
    }
    at
}

/// True when a write anchored at `path` must become a warning, not a volume:
/// the kernel's interfaces; anything a volume at which `scan` rejects
/// (`writableSystemPath`: at or above a system path, or inside a directory
/// of programs or libraries such as `/bin` or `/usr/lib`, where
/// applications never legitimately write at runtime).
pub fn is_system_anchor(path: &str) -> bool {
    is_kernel_path(path) || is_system_mount_path(path)
}

/// The kubelet's own mount (`/etc/hosts`, the service account token
/// directory, …) that `path` is at or under, if any. A volume there is a
/// second mount at the same place, or one inside a read-only mount the
/// kubelet makes: `fix --plan` refuses a plan holding one, the whole plan,
/// so such a write (a program writing beside its token, or rewriting
/// `/etc/hosts`) is a warning, as a system path is.
pub fn kubelet_mount_of(path: &str) -> Option<&'static str> {
    rootlock_policy::immutable::kubelet_mounts().find(|k| is_at_or_under(path, k))
}

/// Memory-backed paths by convention, which runtimes and images leave to
/// scratch data.
pub(crate) const MEMORY_PATHS: &[&str] = &["/tmp", "/run", "/dev/shm"];

/// Runtime state (sockets, pid and lock files), cleared at every boot (FHS
/// 3.0: /run 3.15, /var/lock 5.9, /var/run 5.13): nothing below them is data
/// the application keeps, whatever its name says. `/var/run/postgresql`
/// holds PostgreSQL's socket and lock file, not its database. Under `/tmp`,
/// by contrast, a database name still wins: someone pointed `PGDATA` there.
/// (`/var/run` is not aliased to `/run`: the plan mounts at the path the
/// program named.)
pub(crate) const RUNTIME_STATE_PATHS: &[&str] = &["/run", "/var/run", "/var/lock"];

/// Directory names that mean "data the application must keep", whatever
/// the application.
const DATA_DIRS: &[&str] = &[
    "data",
    "db",
    "database",
    "databases",
    "storage",
    "uploads",
    "pgdata",
    "mnesia",
];
/// Names of data stores: their directory under `/var/lib` or `/data` is
/// their data, but the name only says whose directory it is, so
/// `/var/log/mysql` and `/usr/share/elasticsearch/logs` are logs.
const DATA_PRODUCTS: &[&str] = &[
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "elasticsearch",
    "etcd",
    "zookeeper",
    "kafka",
];
/// File suffixes that mean "a database".
const DATA_SUFFIXES: &[&str] = &[
    ".db",
    ".sqlite",
    ".sqlite3",
    ".mdb",
    ".rdb",
    ".aof",
    "PG_VERSION",
];

/// A file name that says "a database" ([`DATA_SUFFIXES`]): such a file
/// is never folded (see [`LISTED_PER_DIR`]), the medium depends on it.
pub fn names_data(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    DATA_SUFFIXES
        .iter()
        .any(|s| path.ends_with(&s.to_ascii_lowercase()))
}

/// Scratch no larger than this goes to memory.
const SMALL_SCRATCH: u64 = 1 << 20;

/// Suggests what should back a writable anchor, and a size limit for memory.
pub fn suggest_medium(anchor: &Anchor) -> (Medium, Option<String>) {
    let p = anchor.path.as_str();
    let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
    let lower: Vec<String> = comps.iter().map(|c| c.to_ascii_lowercase()).collect();
    let deepest = |is: &dyn Fn(&str) -> bool| lower.iter().rposition(|c| is(c));
    let cache_or_log = deepest(&|c| c.contains("cache") || c == "log" || c == "logs");
    let data_dir = deepest(&|c| DATA_DIRS.contains(&c));
    // Between a data and a cache or log directory the deepest decides:
    // `/data/cache` is a cache, `/var/cache/app/db` a database. A product
    // name counts only where no cache, log or configuration directory is
    // named (`/etc/mysql`, `/usr/share/elasticsearch/config` hold what the
    // image ships, not data).
    let config = lower
        .iter()
        .any(|c| matches!(c.as_str(), "etc" | "config" | "conf" | "conf.d"));
    let data_by_name = match (data_dir, cache_or_log) {
        (Some(d), Some(c)) => d > c,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => !config && lower.iter().any(|c| DATA_PRODUCTS.contains(&c.as_str())),
    };
    let persistent = data_by_name || anchor.written.iter().any(|w| names_data(w));
    let runtime_state = RUNTIME_STATE_PATHS.iter().any(|m| is_at_or_under(p, m));
    if runtime_state || (MEMORY_PATHS.iter().any(|m| is_at_or_under(p, m)) && !persistent) {
        return (Medium::Memory, Some(memory_limit(anchor.bytes)));
    }
    if persistent {
        return (Medium::Persistent, None);
    }
    if cache_or_log.is_some() {
        return (Medium::Disk, None);
    }
    let tmp_like = comps.last().is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("tmp")
            || c.contains("temp")
            || c == "pids"
            || c == "sockets"
            || c == "run"
            || c == "lock"
    });
    match anchor.bytes {
        Some(b) if b <= SMALL_SCRATCH => (Medium::Memory, Some(memory_limit(Some(b)))),
        None if tmp_like => (Medium::Memory, Some(memory_limit(None))),
        _ => (Medium::Disk, None),
    }
}

/// A size limit: four times what was observed, rounded up to a power of two
/// MiB, at least 16Mi; 64Mi when nothing was measured.
pub fn memory_limit(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return "64Mi".to_string();
    };
    let mib = bytes.saturating_mul(4).div_ceil(1 << 20).max(16);
    let mib = mib.checked_next_power_of_two().unwrap_or(mib);
    if mib >= 1024 && mib % 1024 == 0 {
        format!("{}Gi", mib / 1024)
    } else {
        format!("{mib}Mi")
    }
}

/// Merges anchors and renders the plan.
///
/// Each anchor merges into the topmost anchor at or above it (of the same
/// kind, system or not); merged evidence is listed shortest path first.
/// Near-linear: a log can hold millions of EROFS lines.
pub fn reduce(anchors: Vec<Anchor>, source: &str) -> VolumePlan {
    let mut plan = VolumePlan::new(source);
    let mut kept: Vec<Anchor> = Vec::new();
    let mut system: Vec<Anchor> = Vec::new();
    let mut kubelet: Vec<Anchor> = Vec::new();
    for a in anchors {
        if a.path == "/" {
            for w in &a.written {
                plan.warnings.push(format!(
                    "wrote {w} directly in /: a volume cannot be mounted at /; change the application"
                ));
            }
        } else if is_system_anchor(&a.path) {
            system.push(a);
        } else if kubelet_mount_of(&a.path).is_some() {
            kubelet.push(a);
        } else {
            kept.push(a);
        }
    }
    for s in merge_nested(system) {
        let evidence = summarize(&s.anchor.evidence, s.evidence_count);
        // The runtime mounts these on its own (runc's and containerd's
        // readonlyPaths: /proc/sys, /proc/bus, …; /sys read-only unless
        // privileged): no volume may go there, and a write there fails
        // with EROFS whether the root is read-only or not, so "accept a
        // writable system path" is advice nobody can follow.
        plan.warnings.push(if is_kernel_path(&s.anchor.path) {
            format!(
                "{evidence} under {}, the kernel's interface, which the container runtime mounts on its own (/proc/sys and /sys read-only) whatever readOnlyRootFilesystem says: no volume may be mounted there, and writing there does not depend on the root file system; change the application (namespaced sysctls are set in the pod's securityContext.sysctls)",
                s.anchor.path
            )
        } else {
            format!(
                "{evidence} under the system path {}: change the application or accept a writable system path",
                s.anchor.path
            )
        });
    }
    for k in merge_nested(kubelet) {
        let mount = kubelet_mount_of(&k.anchor.path).unwrap_or_default();
        plan.warnings.push(format!(
            "{} at {}, where the kubelet mounts {mount} in every container: a volume there would collide with that mount, so none is planned; change the application",
            summarize(&k.anchor.evidence, k.evidence_count),
            k.anchor.path
        ));
    }
    let mut kept = merge_nested(kept);
    kept.sort_by(|a, b| a.anchor.path.cmp(&b.anchor.path));
    for m in kept {
        let a = m.anchor;
        let (medium, size_limit) = suggest_medium(&a);
        if a.seed {
            plan.warnings.push(format!(
                "{}: the image has content there (changed, deleted, or beside what was written) that an emptyDir would hide; seed the volume from an init container",
                a.path
            ));
        }
        if medium == Medium::Persistent {
            plan.warnings.push(format!(
                "{}: looks like data the application must keep; back it with a PersistentVolumeClaim",
                a.path
            ));
        }
        plan.paths.push(PlannedPath {
            path: a.path.clone(),
            medium,
            size_limit,
            container: None,
            seed: a.seed,
            reason: summarize(&a.evidence, m.evidence_count),
        });
    }
    plan
}

/// An anchor with everything nested in it merged in.
struct Merged {
    /// Its evidence holds the first pieces only (what [`summarize`] shows).
    anchor: Anchor,
    /// Distinct pieces of evidence in all.
    evidence_count: usize,
}

/// Merges every anchor into the topmost anchor at or above it. Returns
/// them in the order they first appear shortest path first.
fn merge_nested(anchors: Vec<Anchor>) -> Vec<Merged> {
    // Merge order (and so the order evidence is listed in): shorter paths
    // first, ties in input order (a stable sort).
    let mut order: Vec<usize> = (0..anchors.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&anchors[a].path, &anchors[b].path);
        (a.len(), a).cmp(&(b.len(), b))
    });
    let mut rank = vec![0; anchors.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    // Which anchor each merges into: in component order (`/a`, `/a/b`,
    // `/a-b`) an anchor's descendants follow it contiguously, so one sweep
    // remembering the current topmost anchor finds it for all. Comparing
    // paths instead of looking up each ancestor keeps deep paths linear.
    let mut by_components: Vec<usize> = (0..anchors.len()).collect();
    by_components.sort_by(|&a, &b| {
        anchors[a]
            .path
            .split('/')
            .cmp(anchors[b].path.split('/'))
            .then(rank[a].cmp(&rank[b]))
    });
    let mut into: Vec<usize> = (0..anchors.len()).collect();
    let mut top: Option<usize> = None;
    for i in by_components {
        match top {
            Some(t) if is_at_or_under(&anchors[i].path, &anchors[t].path) => into[i] = t,
            _ => top = Some(i),
        }
    }
    let mut slots: Vec<Option<Anchor>> = anchors.into_iter().map(Some).collect();
    let mut merged: Vec<Merged> = Vec::new();
    // Per merged anchor: its index in `merged` and the evidence seen so far
    // (a set: a linear `contains` made big logs quadratic).
    let mut at: Vec<usize> = vec![usize::MAX; slots.len()];
    let mut seen: Vec<HashSet<String>> = Vec::new();
    for i in order {
        let Some(a) = slots[i].take() else { continue };
        if into[i] == i {
            at[i] = merged.len();
            seen.push(a.evidence.iter().cloned().collect());
            merged.push(Merged {
                evidence_count: a.evidence.len() + a.folded as usize,
                anchor: a,
            });
            continue;
        }
        // `into[i]` ranks before `i` (it is shorter, or equal and earlier),
        // so it is already in `merged`.
        let Some(m) = merged.get_mut(at[into[i]]) else {
            continue;
        };
        let outer = &mut m.anchor;
        outer.seed |= a.seed;
        outer.bytes = match (outer.bytes, a.bytes) {
            (Some(x), Some(y)) => Some(x.saturating_add(y)),
            _ => None,
        };
        m.evidence_count = m.evidence_count.saturating_add(a.folded as usize);
        for e in a.evidence {
            if seen[at[into[i]]].insert(e.clone()) {
                m.evidence_count += 1;
                if outer.evidence.len() < SHOWN {
                    outer.evidence.push(e);
                }
            }
        }
        outer.written.extend(a.written);
    }
    merged
}

/// Pieces of evidence shown in a reason.
const SHOWN: usize = 3;

/// The first few pieces of evidence, then a count of the rest (`count` in
/// all).
fn summarize(evidence: &[String], count: usize) -> String {
    let mut s = evidence
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    let shown = evidence.len().min(SHOWN);
    if count > shown {
        s.push_str(&format!("; and {} more", count - shown));
    }
    s
}

/// Changes → plan.
pub fn plan_from_changes(changes: &[Change], source: &str) -> VolumePlan {
    let mut plan = reduce(changes.iter().filter_map(anchor_of).collect(), source);
    plan.warnings.extend(unshareable_warnings(changes));
    plan
}

/// Changes → plan, knowing the image: sibling anchors that are all of their
/// parent's image content (e.g. `/var/lib/nginx/{body,proxy,…}` in an empty
/// `/var/lib/nginx`) move up to that parent, since a volume there hides
/// nothing; a shard of a content-addressed store (see [`crate::shards`])
/// anchors at the store. `entries(dir)` lists a directory of the image (`None` if absent).
pub fn plan_with_image(
    changes: &[Change],
    source: &str,
    entries: &dyn Fn(&str) -> Option<Vec<String>>,
) -> VolumePlan {
    let shards = crate::shards::created_shards(changes, entries);
    let anchors = changes
        .iter()
        .filter_map(|c| {
            let mut a = anchor_of(c)?;
            if shards.contains(&a.path) {
                a.path = parent(&a.path).to_string();
                if let Some(e) = a.evidence.first_mut() {
                    e.push_str(" (a content-addressed shard)");
                }
            }
            Some(a)
        })
        .collect();
    let mut anchors = lift_into_parents(anchors, entries);
    for a in &mut anchors {
        if !a.seed && hides_image_content(a, entries) {
            a.seed = true;
        }
    }
    let mut plan = reduce(anchors, source);
    plan.warnings.extend(unshareable_warnings(changes));
    plan
}

/// Whether an emptyDir at the anchor would hide something of the image:
/// entries the program did not create there (`echo x >
/// /var/lib/dpkg/new` must not hide the dpkg database). Not for `/tmp`,
/// `/run` and `/dev/shm`, which runtimes and images leave to scratch data.
fn hides_image_content(a: &Anchor, entries: &dyn Fn(&str) -> Option<Vec<String>>) -> bool {
    if MEMORY_PATHS.contains(&a.path.as_str()) {
        return false;
    }
    let Some(image) = entries(&a.path) else {
        return false;
    };
    // Entries the program wrote itself, directly in the anchor. An entry
    // it only wrote below (`sub` of `sub/f`) is the image's, which the
    // program expects to find: an anchor lifted above it hides it.
    let created: std::collections::HashSet<&str> = a
        .written
        .iter()
        .filter_map(|w| strip_dir_prefix(w, &a.path))
        .map(|rest| rest.trim_start_matches('/'))
        .filter(|name| !name.contains('/'))
        .collect();
    image.iter().any(|e| !created.contains(e.as_str()))
}

/// See [`plan_with_image`]. Never lifts to `/` or to a system anchor (see
/// [`is_system_anchor`]), nor an anchor at an image directory that is
/// not empty: a volume at its parent would hide what it holds.
pub fn lift_into_parents(
    mut anchors: Vec<Anchor>,
    entries: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Vec<Anchor> {
    loop {
        let mut parents: Vec<String> = anchors
            .iter()
            .map(|a| parent(&a.path).to_string())
            .collect();
        parents.sort();
        parents.dedup();
        let mut changed = false;
        for p in parents {
            // A volume at `/` or at or above a system path is what scan
            // rejects; in an executable tree it is none at all.
            if p == "/" || is_system_anchor(&p) {
                continue;
            }
            let below: Vec<&Anchor> = anchors.iter().filter(|a| parent(&a.path) == p).collect();
            // A volume at `p` hides nothing only when no anchor below is
            // an image directory with entries of its own (`/srv/app`
            // holding the application, the only entry of `/srv`), whether
            // the program changed them or not. Empty ones (nginx's
            // `/var/lib/nginx/body`, chowned) still lift.
            if below
                .iter()
                .any(|a| entries(&a.path).is_some_and(|e| !e.is_empty()))
            {
                continue;
            }
            let names: Vec<&str> = below
                .iter()
                .filter_map(|a| a.path.rsplit('/').next())
                .collect();
            let Some(image) = entries(&p) else { continue };
            if image.iter().all(|e| names.contains(&e.as_str())) {
                for a in anchors.iter_mut().filter(|a| parent(&a.path) == p) {
                    a.path = p.clone();
                }
                changed = true;
            }
        }
        if !changed {
            return anchors;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootlock_policy::immutable::{KERNEL_PATHS, SYSTEM_PATHS, is_at_or_above_system_path};

    fn ch(path: &str, kind: ChangeKind, is_dir: bool) -> Change {
        Change {
            is_dir,
            bytes: 10,
            ..Change::at(path.into(), kind)
        }
    }

    fn paths(plan: &VolumePlan) -> Vec<&str> {
        plan.paths.iter().map(|p| p.path.as_str()).collect()
    }

    /// The plan of `changes` over an image whose directories list these
    /// names (any other directory is not in the image).
    fn plan_over(changes: &[Change], image: &[(&str, &[&str])]) -> VolumePlan {
        let entries = |dir: &str| {
            image
                .iter()
                .find(|(d, _)| *d == dir)
                .map(|(_, names)| names.iter().map(|n| n.to_string()).collect())
        };
        plan_with_image(changes, "", &entries)
    }

    /// Each planned path and whether it is seeded.
    fn seeds(plan: &VolumePlan) -> Vec<(&str, bool)> {
        plan.paths
            .iter()
            .map(|p| (p.path.as_str(), p.seed))
            .collect()
    }

    #[test]
    fn writing_beside_image_content_asks_for_seeding() {
        let changes = [
            ch("/var/lib/dpkg/new", ChangeKind::Created, false),
            ch("/var/cache/app/x", ChangeKind::Created, false),
            ch("/tmp/y", ChangeKind::Created, false),
        ];
        let plan = plan_over(
            &changes,
            &[
                ("/var/lib/dpkg", &["status", "info"]),
                ("/var/cache/app", &[]),
                ("/tmp", &["leftover"]),
            ],
        );
        assert_eq!(
            seeds(&plan),
            [
                ("/tmp", false),
                ("/var/cache/app", false),
                ("/var/lib/dpkg", true)
            ]
        );
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with("/var/lib/dpkg: the image has content there")),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn a_real_var_run_directory_is_not_taken_for_run() {
        // Paths from the overlay are resolved: /var/run/x exists only when
        // the image has a real /var/run directory, which /run would not cover.
        let plan = plan_from_changes(&[ch("/var/run/app.pid", ChangeKind::Created, false)], "");
        assert_eq!(paths(&plan), ["/var/run"]);
    }

    #[test]
    fn nginx_write_set_reduces_to_three_mounts() {
        let changes = vec![
            ch("/var/lib/nginx", ChangeKind::Created, true),
            ch("/var/lib/nginx/body", ChangeKind::Created, true),
            ch("/var/lib/nginx/proxy", ChangeKind::Created, true),
            ch("/var/log/nginx/access.log", ChangeKind::Modified, false),
            ch("/var/log/nginx/error.log", ChangeKind::Modified, false),
            // As the kernel reports it: /var/run is a symlink to /run.
            ch("/run/nginx.pid", ChangeKind::Transient, false),
        ];
        let plan = plan_from_changes(&changes, "trace: nginx");
        assert_eq!(paths(&plan), ["/run", "/var/lib/nginx", "/var/log/nginx"]);
        let run = &plan.paths[0];
        assert_eq!(run.medium, Medium::Memory);
        assert!(
            run.reason.contains("transient /run/nginx.pid"),
            "{}",
            run.reason
        );
        assert!(!plan.paths[1].seed);
        assert!(plan.paths[2].seed);
        assert_eq!(plan.paths[2].medium, Medium::Disk);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with("/var/log/nginx:") && w.contains("seed"))
        );
        plan.validate().unwrap();
    }

    /// A program that rewrites `/etc/hosts` or `/etc/resolv.conf` (traced
    /// on the host root, or an image that has them) is told that the
    /// kubelet mounts those files, not to accept a writable `/etc`, where
    /// no volume may go anyway; another file in `/etc` is still a system
    /// path's warning.
    #[test]
    fn files_the_kubelet_mounts_are_named_as_its_mounts() {
        let plan = plan_from_changes(
            &[
                ch("/etc/hosts", ChangeKind::Modified, false),
                ch("/etc/resolv.conf", ChangeKind::Modified, false),
                ch("/etc/app.conf", ChangeKind::Modified, false),
            ],
            "t",
        );
        assert!(plan.paths.is_empty(), "{plan:#?}");
        let warned = |start: &str, says: &str| {
            plan.warnings
                .iter()
                .any(|w| w.starts_with(start) && w.contains(says))
        };
        for file in ["/etc/hosts", "/etc/resolv.conf"] {
            assert!(
                warned(
                    &format!("modified {file} at {file}, where the kubelet mounts {file}"),
                    "none is planned"
                ),
                "{:#?}",
                plan.warnings
            );
        }
        assert!(
            warned("modified /etc/app.conf under the system path /etc", ""),
            "{:#?}",
            plan.warnings
        );
        assert_eq!(plan.warnings.len(), 3, "{:#?}", plan.warnings);
    }

    /// A temp directory left behind (names Python's `tempfile.mkdtemp`,
    /// `mktemp -d` and Java's `Files.createTempDirectory` made here) is
    /// planned at the directory it was made in: the next run makes another
    /// name. A stable name is still its own volume.
    #[test]
    fn a_kept_temp_directory_plans_the_directory_it_was_made_in() {
        let plan = plan_from_changes(
            &[
                ch("/srv/work/tmp4o91kcbj", ChangeKind::Created, true),
                ch("/srv/work/tmp4o91kcbj/x", ChangeKind::Created, false),
                ch("/var/cache/tmp.AXNs3cVVRM", ChangeKind::Created, true),
                ch("/data/app18138565278733101166", ChangeKind::Created, true),
                ch("/var/lib/app", ChangeKind::Created, true),
            ],
            "t",
        );
        assert_eq!(
            paths(&plan),
            ["/data", "/srv/work", "/var/cache", "/var/lib/app"]
        );
        let work = &plan.paths[1];
        assert!(
            work.reason
                .contains("created /srv/work/tmp4o91kcbj/ (a made-up temp name)"),
            "{work:?}"
        );
    }

    /// A directory kept from a temp function given the caller's prefix
    /// (Node's `fs.mkdtemp("/tmp/app-")` made `/tmp/app-F2xTIP`, Perl's
    /// `tempdir()` `/tmp/_KvPZ1oP5H`): its name alone does not tell, its
    /// mode 0700 with a random tail does, and the plan is where it was
    /// made (`/tmp/app-F2xTIP` failed the next run's mkdtemp with EROFS).
    /// A stable name made 0700 (`pgdata`) is still its own volume, and so
    /// is a random-looking name made with another mode.
    #[test]
    fn a_kept_private_temp_directory_with_the_callers_prefix_plans_its_parent() {
        let private = |path: &str| Change {
            private: true,
            ..ch(path, ChangeKind::Created, true)
        };
        let plan = plan_from_changes(
            &[
                private("/tmp/app-F2xTIP"),
                ch("/tmp/app-F2xTIP/f", ChangeKind::Created, false),
                private("/var/tmp/_KvPZ1oP5H"),
                private("/var/lib/postgresql/data/pgdata"),
                ch("/srv/app-Hd6t3S", ChangeKind::Created, true),
            ],
            "t",
        );
        assert_eq!(
            paths(&plan),
            [
                "/srv/app-Hd6t3S",
                "/tmp",
                "/var/lib/postgresql/data/pgdata",
                "/var/tmp"
            ]
        );
        assert!(
            plan.paths[1]
                .reason
                .contains("created /tmp/app-F2xTIP/ (a made-up temp name)"),
            "{:?}",
            plan.paths[1]
        );
    }

    #[test]
    fn topmost_created_directory_wins_and_files_anchor_at_their_directory() {
        let changes = vec![
            ch("/root/.cache/app/f", ChangeKind::Created, false),
            ch("/root/.cache/app", ChangeKind::Created, true),
            ch("/root/.cache", ChangeKind::Created, true),
            ch("/tmp/hello.txt", ChangeKind::Created, false),
            ch("/srv/www/index.html", ChangeKind::Created, false),
        ];
        let plan = plan_from_changes(&changes, "");
        assert_eq!(paths(&plan), ["/root/.cache", "/srv/www", "/tmp"]);
        assert_eq!(plan.paths[0].medium, Medium::Disk);
        assert_eq!(plan.paths[2].medium, Medium::Memory);
        assert_eq!(plan.paths[2].size_limit.as_deref(), Some("16Mi"));
    }

    #[test]
    fn never_root_and_system_paths_are_warnings() {
        let changes = vec![
            ch("/hello", ChangeKind::Created, false),
            ch("/etc/hostname", ChangeKind::Modified, false),
            ch("/etc/motd", ChangeKind::Deleted, false),
            ch("/usr/lib/x", ChangeKind::Created, true),
            ch("/root/.bash_history", ChangeKind::Created, false),
            ch("/root/.cache/app/f", ChangeKind::Created, false),
            ch("/usr/src/app/.npm/x", ChangeKind::Created, false),
            ch("/proc/self/x", ChangeKind::Modified, false),
        ];
        let plan = plan_from_changes(&changes, "");
        // Below /root and /usr (outside their executable trees) is fine.
        assert_eq!(paths(&plan), ["/root/.cache/app", "/usr/src/app/.npm"]);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.contains("/hello") && w.contains("directly in /"))
        );
        let etc = plan
            .warnings
            .iter()
            .find(|w| w.contains("system path /etc"))
            .unwrap();
        assert!(
            !etc.contains("/etc/hostname") && etc.contains("deleted /etc/motd"),
            "{etc}"
        );
        assert!(etc.contains("change the application or accept a writable system path"));
        // The kubelet mounts /etc/hostname: its own warning (see
        // files_the_kubelet_mounts_are_named_as_its_mounts).
        assert!(
            plan.warnings.iter().any(|w| w
                .starts_with("modified /etc/hostname at /etc/hostname, where the kubelet mounts")),
            "{:#?}",
            plan.warnings
        );
        for (what, at) in [
            ("created /usr/lib/x/", "system path /usr/lib/x:"),
            ("created /root/.bash_history", "system path /root:"),
            (
                "modified /proc/self/x",
                "under /proc/self, the kernel's interface",
            ),
        ] {
            assert!(
                plan.warnings
                    .iter()
                    .any(|w| w.starts_with(what) && w.contains(at)),
                "{what}: {:?}",
                plan.warnings
            );
        }
    }

    #[test]
    fn system_anchors_follow_the_policy_list() {
        for p in [
            "/proc",
            "/sys/fs",
            "/etc",
            "/root",
            "/usr",
            "/usr/local",
            "/usr/lib",
            "/bin/x",
            "/usr/local/lib/python3/site-packages",
            "/lib64",
            "/boot/efi",
            "/usr/libexec/x",
            "/dev",
            "/dev/pts",
        ] {
            assert!(is_system_anchor(p), "{p}");
        }
        for p in [
            "/etc/nginx/conf.d",
            "/root/.cache",
            "/usr/src/app",
            "/usr/share/nginx/html",
            "/usr/local/share/x",
            "/usr/local/tomcat/temp",
            "/var/lib",
            "/procx",
            "/library",
            "/dev/shm",
            "/dev/shm/app",
            "/devices",
        ] {
            assert!(!is_system_anchor(p), "{p}");
        }
    }

    #[test]
    fn no_planned_path_is_at_or_above_a_system_path() {
        // Every system path, its parents, children and grandchildren, with an
        // image in which every directory holds only what was written (so
        // lifting goes as high as it may).
        let mut changes = Vec::new();
        for s in SYSTEM_PATHS.iter().chain(KERNEL_PATHS) {
            let mut p = s.to_string();
            while p != "/" {
                for tail in ["", "/f", "/d/f", "/d/e/f"] {
                    changes.push(ch(&format!("{p}{tail}"), ChangeKind::Created, false));
                    changes.push(ch(&format!("{p}{tail}"), ChangeKind::Created, true));
                }
                p = parent(&p).to_string();
            }
        }
        let image = |_: &str| Some(Vec::new());
        for plan in [
            plan_from_changes(&changes, ""),
            plan_with_image(&changes, "", &image),
        ] {
            assert!(!plan.paths.is_empty());
            for p in &plan.paths {
                assert!(!is_at_or_above_system_path(&p.path), "{}", p.path);
                assert!(!is_system_anchor(&p.path), "{}", p.path);
            }
        }
    }

    #[test]
    fn a_touched_directory_is_planned_and_seeded_only_for_image_content() {
        let changes = [
            ch("/tmp", ChangeKind::Touched, true),
            ch("/srv/data", ChangeKind::Touched, true),
            ch("/srv/empty", ChangeKind::Touched, true),
        ];
        let plan = plan_over(
            &changes,
            &[
                ("/tmp", &["host-file"]),
                ("/srv/data", &["shipped"]),
                ("/srv/empty", &[]),
                ("/srv", &["data", "empty", "other"]),
            ],
        );
        // A temporary file made and removed in /tmp asks for no seeding
        // (which would copy the host's /tmp in under --verify).
        assert_eq!(
            seeds(&plan),
            [("/srv/data", true), ("/srv/empty", false), ("/tmp", false)]
        );
    }

    #[test]
    fn deletions_renames_and_attributes_seed() {
        let mut renamed = ch("/srv/app/new", ChangeKind::Created, true);
        renamed.note = "renamed from /srv/app/old".into();
        let changes = vec![
            renamed,
            ch("/srv/app/old", ChangeKind::Deleted, true),
            ch("/opt/img/file.txt", ChangeKind::Deleted, false),
            ch("/data", ChangeKind::Attributes, true),
        ];
        let plan = plan_from_changes(&changes, "");
        assert_eq!(paths(&plan), ["/data", "/opt/img", "/srv/app"]);
        assert!(plan.paths.iter().all(|p| p.seed));
        assert_eq!(plan.paths[0].medium, Medium::Persistent);
        assert!(plan.paths[2].reason.contains("renamed from /srv/app/old"));
    }

    /// `mv /srv/app/old/x /srv/app/new/y` of an image directory: rename(2)
    /// between two volumes fails with EXDEV, and onto a mount point with
    /// EBUSY, so one volume must hold both parents.
    #[test]
    fn a_directory_renamed_across_directories_plans_their_common_ancestor() {
        let mut renamed = ch("/srv/app/new/y", ChangeKind::Created, true);
        renamed.note = "renamed from /srv/app/old/x".into();
        renamed.renamed_from = Some("/srv/app/old/x".into());
        let changes = vec![renamed, ch("/srv/app/old/x", ChangeKind::Deleted, true)];
        let plan = plan_over(
            &changes,
            &[
                ("/srv/app/old", &["x", "keep"]),
                ("/srv/app/new", &["keep"]),
                ("/srv/app", &["old", "new", "keep"]),
            ],
        );
        assert_eq!(seeds(&plan), [("/srv/app", true)]);
        assert_eq!(common_ancestor("/srv/a", "/opt/b"), "/");
        // Across top-level directories no volume holds both: each keeps
        // its own (a volume at `/` is none).
        let mut x = ch("/data/x", ChangeKind::Created, false);
        x.renamed_from = Some("/tmp/x".into());
        let plan = plan_from_changes(&[x, ch("/tmp/x", ChangeKind::Transient, false)], "");
        assert_eq!(paths(&plan), ["/data", "/tmp"]);
        assert_eq!(common_ancestor("/srv/a/b", "/srv/a"), "/srv/a");
        assert_eq!(common_ancestor("/srv/ab", "/srv/a"), "/srv");
    }

    /// A file written in `work/` and renamed into `done/` (fanotify's
    /// FAN_RENAME): one volume over both.
    #[test]
    fn a_file_renamed_across_directories_plans_their_common_ancestor() {
        let mut x = ch("/srv/q/done/x", ChangeKind::Created, false);
        x.renamed_from = Some("/srv/q/work/x.part".into());
        let changes = vec![x, ch("/srv/q/work/x.part", ChangeKind::Transient, false)];
        let plan = plan_over(
            &changes,
            &[
                ("/srv/q/work", &["keep"]),
                ("/srv/q/done", &["keep"]),
                ("/srv/q", &["work", "done", "keep"]),
            ],
        );
        assert_eq!(paths(&plan), ["/srv/q"]);
    }

    /// `ln /var/cache/app/f /var/lib/app/g`: link(2) between two volumes
    /// fails with EXDEV, so one volume holds both directories; across
    /// top-level directories (or into a system path) no volume can, and
    /// the plan says the call will fail, for links as for renames.
    #[test]
    fn a_file_hard_linked_across_directories_plans_their_common_ancestor() {
        let mut g = ch("/var/lib/app/g", ChangeKind::Created, false);
        g.linked_with = Some("/var/cache/app/f".into());
        let changes = vec![g, ch("/var/cache/app/f", ChangeKind::Created, false)];
        let plan = plan_over(
            &changes,
            &[
                ("/var/lib/app", &["keep"]),
                ("/var/cache/app", &["keep"]),
                ("/var", &["lib", "cache", "log"]),
            ],
        );
        assert_eq!(paths(&plan), ["/var"]);
        assert!(
            plan.warnings.iter().all(|w| !w.contains("EXDEV")),
            "{plan:#?}"
        );
        for (to, other, call) in [
            ("/data/g", "/tmp/f", "link"),
            ("/data/x", "/tmp/x", "rename"),
            ("/data/y", "/etc/app/y", "link"),
        ] {
            let mut c = ch(to, ChangeKind::Created, false);
            if call == "link" {
                c.linked_with = Some(other.into());
            } else {
                c.renamed_from = Some(other.into());
            }
            let plan = plan_from_changes(&[c, ch(other, ChangeKind::Created, false)], "");
            assert!(paths(&plan).contains(&"/data"), "{plan:#?}");
            let exdev: Vec<&String> = plan
                .warnings
                .iter()
                .filter(|w| w.contains("EXDEV"))
                .collect();
            assert_eq!(exdev.len(), 1, "{plan:#?}");
            assert!(
                exdev[0].starts_with(&format!("{other} "))
                    && exdev[0].contains(&format!(" to {to}: "))
                    && exdev[0].contains(&format!("the {call} fails")),
                "{}",
                exdev[0]
            );
        }
    }

    /// A directory renamed within `/etc` (`/etc/old` to `/etc/new`) is no
    /// rename between two volumes: it said "/etc and /etc have no common
    /// directory … EXDEV".
    #[test]
    fn a_rename_within_one_directory_is_no_exdev_warning() {
        let mut new = ch("/etc/new", ChangeKind::Created, true);
        new.renamed_from = Some("/etc/old".into());
        let plan = plan_from_changes(&[new], "");
        assert!(
            plan.warnings.iter().all(|w| !w.contains("EXDEV")),
            "{plan:#?}"
        );
    }

    #[test]
    fn media_follow_the_conventions() {
        let a =
            |p: &str, bytes: Option<u64>, w: &str| Anchor::new(p, false, bytes, String::new(), w);
        assert_eq!(
            suggest_medium(&a("/run/lock", Some(0), "/run/lock/x")).0,
            Medium::Memory
        );
        assert_eq!(
            suggest_medium(&a("/var/cache/apt", Some(9 << 20), "/x")).0,
            Medium::Disk
        );
        assert_eq!(
            suggest_medium(&a("/var/lib/app", Some(10), "/var/lib/app/x.db")).0,
            Medium::Persistent
        );
        assert_eq!(
            suggest_medium(&a("/var/lib/postgresql/data", None, "/x")).0,
            Medium::Persistent
        );
        // Runtime state is never data, whatever the directory is called:
        // PostgreSQL's socket and lock file live in /var/run/postgresql.
        for (dir, written) in [
            (
                "/var/run/postgresql",
                "/var/run/postgresql/.s.PGSQL.5432.lock",
            ),
            ("/run/mysqld", "/run/mysqld/mysqld.sock"),
            ("/var/lock/redis", "/var/lock/redis/data.rdb"),
        ] {
            assert_eq!(
                suggest_medium(&a(dir, None, written)),
                (Medium::Memory, Some("64Mi".to_string())),
                "{dir}"
            );
        }
        // Scratch that holds a database is still suggested as data.
        assert_eq!(
            suggest_medium(&a("/tmp/pgdata", None, "/tmp/pgdata/PG_VERSION")).0,
            Medium::Persistent
        );
        assert_eq!(
            suggest_medium(&a("/var/lib/nginx", Some(0), "/x")).0,
            Medium::Memory
        );
        assert_eq!(
            suggest_medium(&a("/srv/big", Some(50 << 20), "/x")).0,
            Medium::Disk
        );
        // A data store's logs and caches are not its data; a data or cache
        // directory inside the other is what the deepest one says.
        for (dir, medium) in [
            ("/var/log/postgresql", Medium::Disk),
            ("/usr/share/elasticsearch/logs", Medium::Disk),
            ("/var/cache/redis", Medium::Disk),
            ("/data/cache", Medium::Disk),
            ("/var/www/html/storage/logs", Medium::Disk),
            ("/var/cache/app/db", Medium::Persistent),
            ("/usr/share/elasticsearch/config", Medium::Disk),
            ("/etc/mysql/conf.d", Medium::Disk),
            ("/var/lib/mongodb/journal", Medium::Persistent),
            ("/usr/share/elasticsearch/data", Medium::Persistent),
            ("/var/lib/mysql", Medium::Persistent),
            ("/var/lib/rabbitmq/mnesia", Medium::Persistent),
        ] {
            assert_eq!(suggest_medium(&a(dir, None, "/x")).0, medium, "{dir}");
        }
        assert_eq!(suggest_medium(&a("/app/tmp", None, "/x")).0, Medium::Memory);
        assert_eq!(suggest_medium(&a("/app/out", None, "/x")).0, Medium::Disk);
        assert_eq!(memory_limit(Some(100 << 20)), "512Mi");
        assert_eq!(memory_limit(Some(300 << 20)), "2Gi");
        assert_eq!(memory_limit(None), "64Mi");
    }

    /// A directory of the image with files of its own is not lifted into
    /// its parent, even where it is all the parent holds: a volume there
    /// hides those files. `echo x > /srv/rtapp/out.txt` was planned at
    /// `/srv` (holding only `rtapp`), unseeded, and verify's run found
    /// no `/srv/rtapp` ("Directory nonexistent"); a file made in
    /// `/var/tmp/rl-x` likewise at `/var/tmp`. Nor is an anchor whose
    /// image content is changed.
    #[test]
    fn an_image_directory_with_content_is_not_lifted_into_its_parent() {
        let changes = [
            ch("/srv/rtapp/out.txt", ChangeKind::Created, false),
            ch("/var/tmp/rl-x/x", ChangeKind::Created, false),
            ch("/opt/app/state", ChangeKind::Modified, false),
        ];
        let plan = plan_over(
            &changes,
            &[
                ("/srv", &["rtapp"]),
                ("/srv/rtapp", &["app.py", "www"]),
                ("/var/tmp", &["rl-x"]),
                ("/var/tmp/rl-x", &["other"]),
                ("/opt", &["app"]),
                ("/opt/app", &["state"]),
            ],
        );
        assert_eq!(
            seeds(&plan),
            [
                ("/opt/app", true),
                ("/srv/rtapp", true),
                ("/var/tmp/rl-x", true)
            ]
        );
    }

    /// An empty directory of the image that a file is written into
    /// (`echo x > /srv/lonely/sub/f`) may lift into a parent that holds
    /// nothing else, but the parent's volume must then be seeded: it hides
    /// `sub` itself, which the program did not make. Unseeded, verify's
    /// run failed with "Directory nonexistent".
    #[test]
    fn a_lifted_image_directory_the_program_did_not_make_is_seeded() {
        let plan = plan_over(
            &[ch("/srv/lonely/sub/f", ChangeKind::Created, false)],
            &[
                ("/srv", &["lonely", "rtapp"]),
                ("/srv/lonely", &["sub"]),
                ("/srv/lonely/sub", &[]),
            ],
        );
        assert_eq!(seeds(&plan), [("/srv/lonely", true)]);
    }

    /// A directory named by two hex digits beside others like it is a
    /// shard of a content-addressed store (npm's `_cacache/index-v5/9a`,
    /// git's `objects/db`): the next run writes another, so the plan is
    /// the store's directory. `npm install` over an image with a cache
    /// planned `/root/.npm/_cacache/index-v5/9a` and `…/ff`, which hold only
    /// this package's entries. A lone `db` is a database's directory.
    #[test]
    fn content_addressed_shards_plan_their_store() {
        let changes = [
            ch("/root/.npm/_cacache/index-v5/9a", ChangeKind::Created, true),
            ch("/root/.npm/_cacache/index-v5/ff", ChangeKind::Created, true),
            ch("/srv/cas/objects/0e", ChangeKind::Created, true),
            ch("/srv/app/db", ChangeKind::Created, true),
        ];
        let plan = plan_over(
            &changes,
            &[
                ("/root/.npm/_cacache/index-v5", &["1c", "81", "af"]),
                ("/srv/cas/objects", &["ab", "pack"]),
                ("/srv/app", &["main.py"]),
            ],
        );
        assert_eq!(
            seeds(&plan),
            [
                ("/root/.npm/_cacache/index-v5", true),
                ("/srv/app/db", false),
                ("/srv/cas/objects", true)
            ]
        );
        assert!(
            plan.paths[0]
                .reason
                .contains("created /root/.npm/_cacache/index-v5/9a/ (a content-addressed shard)"),
            "{:?}",
            plan.paths[0]
        );
    }

    #[test]
    fn siblings_that_are_all_the_image_content_lift_to_their_parent() {
        let changes: Vec<Change> = ["body", "proxy", "scgi"]
            .iter()
            .map(|n| ch(&format!("/var/lib/nginx/{n}"), ChangeKind::Created, true))
            .chain([
                ch("/var/lib/other/x", ChangeKind::Created, true),
                ch("/opt/a/b", ChangeKind::Created, true),
            ])
            .collect();
        let image = |d: &str| -> Option<Vec<String>> {
            match d {
                "/var/lib/nginx" => Some(vec![]),
                "/var/lib/other" => Some(vec!["kept".into()]),
                "/var/lib" => Some(vec!["nginx".into(), "other".into(), "dpkg".into()]),
                "/opt/a" => Some(vec![]),
                "/opt" => Some(vec!["a".into()]),
                _ => None,
            }
        };
        let plan = plan_with_image(&changes, "", &image);
        // /opt/a lifts to /opt (its only content), but never further to `/`.
        assert_eq!(paths(&plan), ["/opt", "/var/lib/nginx", "/var/lib/other/x"]);
        assert!(
            plan.paths[1]
                .reason
                .contains("created /var/lib/nginx/proxy/")
        );
    }

    #[test]
    fn many_anchors_reduce_to_one_path_each() {
        // 40k files in one directory (one anchor, 40k pieces of evidence)
        // and 40k sibling directories: merging by linear search took
        // a minute here (debug build); near-linear, a few seconds at most.
        // No time is asserted (speed is for benchmarks): a return to
        // quadratic shows as a slow test.
        let anchors: Vec<Anchor> = (0..40_000)
            .flat_map(|i| {
                let (f, d) = (format!("/tmp/f{i}"), format!("/var/lib/d{i}"));
                [
                    Anchor::new("/tmp", false, Some(1), format!("write {f}"), &f),
                    Anchor::new(
                        &d,
                        false,
                        Some(1),
                        format!("write {d}/x"),
                        &format!("{d}/x"),
                    ),
                    Anchor::new("/tmp", false, Some(1), format!("write {f}"), &f),
                ]
            })
            .collect();
        let plan = reduce(anchors, "");
        assert_eq!(plan.paths.len(), 40_001);
        let tmp = plan.paths.iter().find(|p| p.path == "/tmp").unwrap();
        assert_eq!(
            tmp.reason,
            "write /tmp/f0; write /tmp/f1; write /tmp/f2; and 39997 more"
        );
    }

    #[test]
    fn nested_merge_sums_bytes_and_keeps_unknown_unknown() {
        let plan = reduce(
            vec![
                Anchor::new("/a", false, Some(1), "e1".into(), "/a/x"),
                Anchor::new("/a/b", true, Some(2), "e2".into(), "/a/b/y"),
                Anchor::new("/a/b/c", false, None, "e3".into(), "/a/b/c/z"),
                Anchor::new("/a/b/c/d", false, None, "e4".into(), "/a/b/c/d/z"),
            ],
            "",
        );
        assert_eq!(paths(&plan), ["/a"]);
        assert!(plan.paths[0].seed);
        assert_eq!(plan.paths[0].reason, "e1; e2; e3; and 1 more");
    }
}
