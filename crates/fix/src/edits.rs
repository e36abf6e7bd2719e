//! What one pod needs, as additions to its object: pure, from the pod model.
//!
//! Paths are relative to the pod (`spec.containers[0].securityContext…`);
//! the caller prefixes the workload's template path.

use crate::value::New;
use rootlock_policy::model::{Container, ContainerKind, normalize_path};
use rootlock_policy::plan::{Medium, PlannedPath};
use rootlock_policy::pss::{SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION};
use rootlock_policy::scope::Scope;
use rootlock_policy::{ContainerRef, Exemptions, FieldPath, Level, Pod};

/// Default size of the memory-backed `/tmp` (and of any memory-backed path
/// given without a size): a tmpfs without a limit is unbounded.
pub const DEFAULT_MEMORY_SIZE: &str = "64Mi";

/// The first policy minor version whose runAsNonRoot check skips a pod
/// with `hostUsers: false` (PSA's `runAsNonRoot` v1.35); before it the
/// check applies whatever `hostUsers` says.
const USER_NAMESPACE_FROM_MINOR: u32 = 35;

/// One change to the pod object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set the field at `path`, creating missing parents. An existing value
    /// is replaced only when `replace` (an explicit contrary value under
    /// `--force`); otherwise it is left alone.
    Set {
        path: FieldPath,
        value: New,
        replace: bool,
    },
    /// Append `item` to the sequence at `path`, creating it when missing.
    Append { path: FieldPath, item: New },
}

impl Op {
    pub fn path(&self) -> &FieldPath {
        match self {
            Op::Set { path, .. } | Op::Append { path, .. } => path,
        }
    }

    /// The same op with `prefix` put before its path.
    pub fn prefixed(&self, prefix: &FieldPath) -> Op {
        // One allocation per path: a List's ops are tens of thousands.
        let join = |p: &FieldPath| {
            let mut segs = Vec::with_capacity(prefix.0.len() + p.0.len());
            segs.extend(prefix.0.iter().chain(&p.0).cloned());
            FieldPath(segs)
        };
        match self {
            Op::Set {
                path,
                value,
                replace,
            } => Op::Set {
                path: join(path),
                value: value.clone(),
                replace: *replace,
            },
            Op::Append { path, item } => Op::Append {
                path: join(path),
                item: item.clone(),
            },
        }
    }
}

/// Something the user should know: a value kept, a path not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Pod-relative path the note is about.
    pub path: FieldPath,
    pub text: NoteText,
    /// The rule left failing on purpose (an explicit contrary value), and
    /// the container it fails for; the rescan accepts these.
    pub kept: Option<(&'static str, Option<String>)>,
}

/// What a note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteText {
    /// Said as it is.
    Plain(String),
    /// An explicit contrary value, kept: it names its field, which only
    /// the caller can write as the document has it (`spec.template.spec…`
    /// in a Deployment, `spec.jobTemplate.spec.template.spec…` in a
    /// CronJob), as scan does.
    KeptValue { subject: String, written: String },
}

impl Note {
    /// The note as said to the user, its field written as `shown`.
    pub fn message(&self, shown: &FieldPath) -> String {
        match &self.text {
            NoteText::Plain(m) => m.clone(),
            NoteText::KeptValue { subject, written } => format!(
                "{subject} sets {shown}: {written} explicitly; kept (use --force to overwrite)"
            ),
        }
    }
}

/// What to do for one pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodChanges {
    pub ops: Vec<Op>,
    pub notes: Vec<Note>,
}

/// How to fix.
#[derive(Debug, Clone)]
pub struct Options {
    /// `Restricted` or `Immutable`.
    pub level: Level,
    /// The policy minor version whose checks apply (`latest` is the newest):
    /// below v1.19 seccomp is judged by annotations, not fields.
    pub minor: u32,
    /// Overwrite explicit contrary values.
    pub force: bool,
    /// Paths to make writable (`--writable`, `--plan`), maybe none (a plan
    /// that lists no path); `None`, neither given, means the default
    /// memory-backed `/tmp` for every container whose root filesystem the
    /// fix makes read-only.
    pub writable: Option<Vec<PlannedPath>>,
}

impl Options {
    fn immutable(&self) -> bool {
        self.level == Level::Immutable
    }
}

struct Ctx<'a> {
    pod: &'a Pod,
    opts: &'a Options,
    exemptions: Option<&'a Exemptions>,
    out: PodChanges,
}

impl Ctx<'_> {
    fn exempt(&self, rule: &str, c: Option<&ContainerRef>) -> bool {
        self.exemptions.is_some_and(|e| e.find(rule, c).is_some())
    }

    fn set(&mut self, path: FieldPath, value: New, replace: bool) {
        self.out.ops.push(Op::Set {
            path,
            value,
            replace,
        });
    }

    fn note(&mut self, path: FieldPath, message: String) {
        self.out.notes.push(Note {
            path,
            text: NoteText::Plain(message),
            kept: None,
        });
    }

    /// A container's boolean `securityContext` field named like its rule
    /// should be `want`: a missing one is added when `add_missing`, a
    /// contrary one goes through [`Self::contrary`]. Returns whether the
    /// field will be `want` because of this fix.
    fn want_bool(
        &mut self,
        rule: &'static str,
        who: &ContainerRef,
        base: &FieldPath,
        current: Option<bool>,
        want: bool,
        add_missing: bool,
    ) -> bool {
        if self.exempt(rule, Some(who)) {
            return false;
        }
        let path = base.clone().key(rule);
        match current {
            None if add_missing => {
                self.set(path, New::Bool(want), false);
                true
            }
            Some(v) if v != want => {
                self.contrary(rule, Some(who), path, &v.to_string(), New::Bool(want));
                self.opts.force
            }
            _ => false,
        }
    }

    /// `allowPrivilegeEscalation: false` cannot be set while the container
    /// keeps `blocker` (the API server would refuse the whole object, so
    /// the fixed manifest would not apply at all, even with --force): the
    /// rule is left failing, with a note that says why, like a kept value.
    fn escalation_kept(
        &mut self,
        who: &ContainerRef,
        base: &FieldPath,
        (field, written): (&[&str], &str),
    ) {
        if self.exempt("allowPrivilegeEscalation", Some(who)) {
            return;
        }
        self.out.notes.push(Note {
            path: base.clone().extend(field),
            text: NoteText::Plain(format!(
                "container {:?} keeps {written}, which the API server does not accept together with allowPrivilegeEscalation: false; not set (allowPrivilegeEscalation fails until {written} is removed)",
                who.name
            )),
            kept: Some(("allowPrivilegeEscalation", Some(who.name.clone()))),
        });
    }

    /// A container whose root is (or is made) read-only but that keeps a
    /// way to remount it read-write (`privileged: true` when `privileged`
    /// stays, an added SYS_ADMIN or ALL, which fix never removes): the
    /// read-only root the fix reports does not hold, and the note says so
    /// beside the kept value's own (`rootfsBypass` stays failing).
    fn bypass_kept(
        &mut self,
        c: &Container,
        who: &ContainerRef,
        base: &FieldPath,
        privileged: bool,
    ) {
        if self.exempt("rootfsBypass", Some(who)) {
            return;
        }
        let mut kept: Vec<String> = Vec::new();
        if privileged {
            kept.push("privileged: true".into());
        }
        let caps = c.sc().and_then(|s| s.capabilities.as_ref());
        kept.extend(
            caps.into_iter()
                .flat_map(|caps| &caps.add)
                .filter(|a| rootlock_policy::immutable::remounts_root(a))
                .map(|a| format!("capabilities.add {a}")),
        );
        if kept.is_empty() {
            return;
        }
        self.out.notes.push(Note {
            path: base.clone(),
            text: NoteText::Plain(format!(
                "container {:?} keeps {}, with which it can remount its root read-write: readOnlyRootFilesystem: true does not hold until that is removed (rootfsBypass)",
                who.name,
                kept.join(" and ")
            )),
            kept: Some(("rootfsBypass", Some(who.name.clone()))),
        });
    }

    /// `runAsNonRoot: true` cannot be set where container `who` runs as uid
    /// 0 by an explicit `runAsUser: 0` (at `at`): the kubelet would refuse
    /// to start it, always, so not even --force sets it. The rule is left
    /// failing for `scope` (a container, or `None`: the pod), with a note.
    fn root_kept(&mut self, who: &ContainerRef, at: FieldPath, scope: Option<&ContainerRef>) {
        if self.exempt("runAsNonRoot", scope) {
            return;
        }
        self.out.notes.push(Note {
            path: at,
            text: NoteText::Plain(format!(
                "container {:?} runs as root (runAsUser: 0), which runAsNonRoot: true would keep from starting (the kubelet refuses it); not set: run it as a non-root user, then set runAsNonRoot",
                who.name
            )),
            kept: Some(("runAsNonRoot", scope.map(|c| c.name.clone()))),
        });
    }

    /// An explicit contrary value: replaced under `--force`, else reported.
    fn contrary(
        &mut self,
        rule: &'static str,
        who: Option<&ContainerRef>,
        path: FieldPath,
        written: &str,
        wanted: New,
    ) {
        if self.opts.force {
            self.set(path, wanted, true);
            return;
        }
        let subject = match who {
            Some(c) => format!("container {:?}", c.name),
            None => "pod".to_string(),
        };
        self.out.notes.push(Note {
            text: NoteText::KeptValue {
                subject,
                written: written.to_string(),
            },
            path,
            kept: Some((rule, who.map(|c| c.name.clone()))),
        });
    }
}

/// Plans the changes `pod` needs at `opts.level`. Exempted rules (by
/// `exempt.rootlock.dev/*` annotations) are not touched.
pub fn plan_pod(pod: &Pod, opts: &Options, exemptions: Option<&Exemptions>) -> PodChanges {
    let mut cx = Ctx {
        pod,
        opts,
        exemptions,
        out: PodChanges::default(),
    };
    let windows = pod.spec.is_windows();
    let mut read_only_added: Vec<(ContainerKind, usize)> = Vec::new();
    for (kind, index, c) in pod.spec.all_containers() {
        let who = ContainerRef {
            kind,
            index,
            name: c.name.clone(),
        };
        let base = FieldPath::container(kind, index).key("securityContext");
        let sc = c.sc();
        let rorf = sc.and_then(|s| s.read_only_root_filesystem);
        if opts.immutable()
            && !windows
            && cx.want_bool("readOnlyRootFilesystem", &who, &base, rorf, true, true)
        {
            read_only_added.push((kind, index));
        }
        let privileged = sc.and_then(|s| s.privileged);
        let unprivileged = cx.want_bool("privileged", &who, &base, privileged, false, false);
        if windows {
            continue;
        }
        let read_only = rorf == Some(true) || read_only_added.last() == Some(&(kind, index));
        if opts.immutable() && read_only {
            cx.bypass_kept(c, &who, &base, privileged == Some(true) && !unprivileged);
        }
        let escalation = sc.and_then(|s| s.allow_privilege_escalation);
        match escalation_blocker(c, privileged == Some(true) && !unprivileged) {
            Some(blocker) if escalation != Some(false) => {
                cx.escalation_kept(&who, &base, blocker);
            }
            _ => {
                cx.want_bool(
                    "allowPrivilegeEscalation",
                    &who,
                    &base,
                    escalation,
                    false,
                    true,
                );
            }
        }
        if !cx.exempt("capabilities_restricted", Some(&who)) {
            let caps = sc.and_then(|s| s.capabilities.as_ref());
            if !caps.is_some_and(|c| c.drop.iter().any(|d| d == "ALL")) {
                cx.out.ops.push(Op::Append {
                    path: base.clone().extend(&["capabilities", "drop"]),
                    item: New::str("ALL"),
                });
            }
            let added: Vec<&str> = caps
                .map(|c| c.add.iter().map(String::as_str).collect())
                .unwrap_or_default();
            // `add: [null]` reaches the API server as "" (Go's zero
            // value), which PSA refuses like any other name: shown quoted,
            // so the note does not read "adds capabilities ; kept".
            let extra: Vec<&str> = added
                .into_iter()
                .filter(|a| *a != "NET_BIND_SERVICE")
                .map(|a| if a.is_empty() { "\"\"" } else { a })
                .collect();
            if !extra.is_empty() {
                cx.out.notes.push(Note {
                    path: base.clone().extend(&["capabilities", "add"]),
                    text: NoteText::Plain(format!(
                        "container {:?} adds capabilities {}; kept (remove them by hand if the application does not need them)",
                        c.name,
                        extra.join(", ")
                    )),
                    kept: Some(("capabilities_restricted", Some(c.name.clone()))),
                });
            }
        }
        let profile = sc.and_then(|s| s.seccomp_profile.as_ref());
        if let Some(p) = profile
            && !valid_seccomp(&p.type_)
            && !cx.exempt("seccompProfile_restricted", Some(&who))
        {
            cx.contrary(
                "seccompProfile_restricted",
                Some(&who),
                base.clone().extend(&["seccompProfile", "type"]),
                &format!("{:?}", p.type_),
                New::str("RuntimeDefault"),
            );
            let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name);
            align_seccomp_annotation(&mut cx, &key);
        }
        let non_root = sc.and_then(|s| s.run_as_non_root);
        if non_root == Some(false) && runs_as_uid_0(pod, c) {
            cx.root_kept(&who, base.clone().key("runAsUser"), Some(&who));
        } else {
            cx.want_bool("runAsNonRoot", &who, &base, non_root, true, false);
        }
    }
    pod_level(&mut cx, windows);
    if windows {
        windows_before_skip(&mut cx);
    }
    if opts.minor < crate::seccomp_annotations::FIELDS_FROM_MINOR {
        seccomp_annotations(&mut cx);
    }
    // Set all the same: a selector does not decide where a pod runs
    // (`nodeName` skips the scheduler), so the rule holds for it.
    if let Some(binding) = pod
        .spec
        .windows_binding
        .filter(|_| opts.immutable() && !windows)
    {
        cx.note(
            binding.field(),
            format!("{}; fix set its fields all the same", binding.warning()),
        );
    }
    if opts.immutable()
        && pod
            .spec
            .security_context
            .as_ref()
            .is_some_and(|s| s.read_only_root_filesystem_written)
    {
        cx.note(
            FieldPath::keys(&["spec", "securityContext", "readOnlyRootFilesystem"]),
            "spec.securityContext.readOnlyRootFilesystem does not exist in the Kubernetes API (the server drops it) and protects nothing: remove it; the per-container field is what counts".into(),
        );
    }
    if opts.immutable() && !windows {
        crate::volumes::plan_volumes(pod, opts, &read_only_added, &mut cx.out);
    }
    if opts.immutable() && windows {
        windows_paths(&mut cx);
    }
    cx.out
}

/// The `--plan`/`--writable` paths meant for a Windows pod's containers,
/// said: its root is not made read-only, so no volume is added for them,
/// and a plan that seems applied would hide that.
fn windows_paths(cx: &mut Ctx<'_>) {
    let Some(paths) = &cx.opts.writable else {
        return;
    };
    let names: Vec<&str> = cx
        .pod
        .spec
        .all_containers()
        .map(|(_, _, c)| c.name.as_str())
        .collect();
    let mut skipped: Vec<String> = Vec::new();
    for p in paths {
        let path = planned(p);
        if p.container.as_deref().is_none_or(|n| names.contains(&n)) && !skipped.contains(&path) {
            skipped.push(path);
        }
    }
    if !skipped.is_empty() {
        cx.note(
            FieldPath::keys(&["spec", "os", "name"]),
            format!(
                "a Windows pod keeps a writable root (the API rejects readOnlyRootFilesystem there), so no volume is added for {}",
                skipped.join(", ")
            ),
        );
    }
}

/// What a container keeps that the API server refuses next to
/// `allowPrivilegeEscalation: false` ("cannot set `allowPrivilegeEscalation`
/// to false and `privileged` to true", and the same for an added
/// `CAP_SYS_ADMIN`, spelled so: the server compares the string), as the
/// field that holds it and how it is written; `None` when nothing does.
/// `privileged` says whether `privileged: true` stays after the fix.
fn escalation_blocker(
    c: &Container,
    privileged: bool,
) -> Option<(&'static [&'static str], &'static str)> {
    let sys_admin = c
        .sc()
        .and_then(|s| s.capabilities.as_ref())
        .is_some_and(|caps| caps.add.iter().any(|a| a == "CAP_SYS_ADMIN"));
    if privileged {
        Some((&["privileged"], "privileged: true"))
    } else if sys_admin {
        Some((&["capabilities", "add"], "capabilities.add CAP_SYS_ADMIN"))
    } else {
        None
    }
}

/// The restricted checks that ask for fields the API server forbids on a
/// Windows pod. PSA skips them for Windows from v1.25; below it they fail
/// whatever the fix does.
const WINDOWS_FORBIDDEN: [&str; 3] = [
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "seccompProfile_restricted",
];

/// A Windows pod at a version whose checks in [`WINDOWS_FORBIDDEN`] still
/// apply: the fix must not add those fields (the API server would refuse
/// the pod), so each such check that fails is kept, with a note saying
/// why, like a value only a person can change.
fn windows_before_skip(cx: &mut Ctx<'_>) {
    for rule in WINDOWS_FORBIDDEN {
        let Some(check) = rootlock_policy::pss::check(rule).and_then(|c| c.at(cx.opts.minor))
        else {
            continue;
        };
        if (check.eval)(cx.pod, Scope::All).is_none() || cx.exempt(rule, None) {
            continue;
        }
        cx.out.notes.push(Note {
            path: FieldPath::keys(&["spec", "os", "name"]),
            text: NoteText::Plain(format!(
                "{rule} at policy v1.{} asks for securityContext fields that the API server forbids on a Windows pod; kept failing (Pod Security Admission skips this check for Windows pods from v1.25)",
                cx.opts.minor
            )),
            kept: Some((rule, None)),
        });
    }
}

fn valid_seccomp(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn pod_level(cx: &mut Ctx<'_>, windows: bool) {
    let spec = &cx.pod.spec;
    let psc = spec.security_context.as_ref();
    let base = FieldPath::keys(&["spec", "securityContext"]);
    if !windows && !cx.exempt("seccompProfile_restricted", None) {
        match psc.and_then(|s| s.seccomp_profile.as_ref()) {
            None => {
                let all_set = spec.all_containers().all(|(_, _, c)| {
                    c.sc()
                        .and_then(|s| s.seccomp_profile.as_ref())
                        .is_some_and(|p| valid_seccomp(&p.type_))
                });
                if !all_set {
                    pod_seccomp_profile(cx, &base);
                }
            }
            // `seccompProfile: {}` or `type: ""`: no choice was made (the
            // API server refuses an empty type), so it is set, not kept.
            Some(p) if p.type_.is_empty() => pod_seccomp_profile(cx, &base),
            Some(p) if !valid_seccomp(&p.type_) => {
                let written = format!("{:?}", p.type_);
                cx.contrary(
                    "seccompProfile_restricted",
                    None,
                    base.clone().extend(&["seccompProfile", "type"]),
                    &written,
                    New::str("RuntimeDefault"),
                );
                align_seccomp_annotation(cx, SECCOMP_POD_ANNOTATION);
            }
            Some(_) => {}
        }
    }
    // With a user namespace (hostUsers: false) PSA no longer asks for it,
    // but only from policy v1.35: older versions still require it.
    let user_namespace =
        spec.host_users == Some(false) && cx.opts.minor >= USER_NAMESPACE_FROM_MINOR;
    if !user_namespace && !cx.exempt("runAsNonRoot", None) {
        // The containers the pod-wide value would govern (those without
        // their own), and the first of them that runs as uid 0.
        let root = spec.all_containers().find(|(_, _, c)| {
            c.sc().and_then(|s| s.run_as_non_root).is_none() && runs_as_uid_0(cx.pod, c)
        });
        match psc.and_then(|s| s.run_as_non_root) {
            None | Some(false) if let Some((kind, index, c)) = root => {
                let who = ContainerRef {
                    kind,
                    index,
                    name: c.name.clone(),
                };
                let at = match c.sc().and_then(|s| s.run_as_user) {
                    Some(_) => {
                        FieldPath::container(kind, index).extend(&["securityContext", "runAsUser"])
                    }
                    None => base.clone().key("runAsUser"),
                };
                cx.root_kept(&who, at, None);
            }
            None => {
                let all_set = spec
                    .all_containers()
                    .all(|(_, _, c)| c.sc().and_then(|s| s.run_as_non_root) == Some(true));
                if !all_set {
                    cx.set(base.clone().key("runAsNonRoot"), New::Bool(true), false);
                    cx.note(
                        base.clone().key("runAsNonRoot"),
                        "set runAsNonRoot: true; an image whose user is root (or unset) will now be refused by the kubelet: set runAsUser or use a non-root image".to_string(),
                    );
                }
            }
            Some(false) => cx.contrary(
                "runAsNonRoot",
                None,
                base.clone().key("runAsNonRoot"),
                "false",
                New::Bool(true),
            ),
            Some(true) => {}
        }
    }
}

/// Whether `c` runs as uid 0 by an explicit `runAsUser: 0`, its own or
/// the pod's.
fn runs_as_uid_0(pod: &Pod, c: &Container) -> bool {
    let pod_user = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user);
    c.sc().and_then(|s| s.run_as_user).or(pod_user) == Some(0)
}

/// Sets the pod's missing or empty `seccompProfile` as its seccomp
/// annotation allows. The API server refuses a pod whose field and
/// annotation differ ("seccomp type in annotation and field must match"),
/// at every version, though Pod Security Admission reads only the field
/// from v1.19: a `localhost/…` annotation gets the same Localhost profile
/// as a field, and an `unconfined` one (or another value) is a contrary
/// value, replaced by `runtime/default` under `--force` and otherwise
/// kept, with the field not set.
fn pod_seccomp_profile(cx: &mut Ctx<'_>, base: &FieldPath) {
    let path = base.clone().key("seccompProfile");
    let annotation = cx.pod.annotation(SECCOMP_POD_ANNOTATION);
    let local = annotation
        .and_then(|a| a.strip_prefix("localhost/"))
        .filter(|p| !p.is_empty());
    match (annotation, local) {
        (None | Some("runtime/default" | "docker/default"), _) => {
            cx.set(path.key("type"), New::str("RuntimeDefault"), true)
        }
        (_, Some(profile)) => {
            let profile = New::str(profile);
            cx.set(path.clone().key("type"), New::str("Localhost"), true);
            cx.set(path.key("localhostProfile"), profile, true);
        }
        (Some(_), None) if cx.opts.force => {
            cx.set(path.key("type"), New::str("RuntimeDefault"), true);
            align_seccomp_annotation(cx, SECCOMP_POD_ANNOTATION);
        }
        (Some(value), None) => cx.out.notes.push(Note {
            path: crate::seccomp_annotations::annotation_path(SECCOMP_POD_ANNOTATION),
            text: NoteText::Plain(format!(
                "pod annotation {SECCOMP_POD_ANNOTATION}: {value:?} is kept (use --force to overwrite), so the pod's securityContext.seccompProfile is not set: the API server refuses a seccompProfile that differs from it"
            )),
            kept: Some(("seccompProfile_restricted", None)),
        }),
    }
}

/// Under `--force`, after a `seccompProfile` was set to RuntimeDefault:
/// the seccomp annotation `key` of the same pod or container, if it says
/// otherwise, becomes `runtime/default`, since the API server refuses a
/// field and annotation that differ. (Below v1.19 a forbidden annotation
/// is already replaced by [`seccomp_annotations`].)
fn align_seccomp_annotation(cx: &mut Ctx<'_>, key: &str) {
    use crate::seccomp_annotations::{FIELDS_FROM_MINOR, WANTED};
    let Some(value) = cx.pod.annotation(key) else {
        return;
    };
    let replaced_anyway =
        cx.opts.minor < FIELDS_FROM_MINOR && !rootlock_policy::pss::valid_seccomp_annotation(value);
    if cx.opts.force && !replaced_anyway && !matches!(value, "runtime/default" | "docker/default") {
        cx.set(
            crate::seccomp_annotations::annotation_path(key),
            New::str(WANTED),
            true,
        );
    }
}

/// Forbidden seccomp annotations are explicit contrary values: PSA's
/// `seccompProfile_baseline` check below v1.19 rejects them whatever the
/// fields say, so leaving them silently would make the rescan fail and the
/// whole file be refused.
fn seccomp_annotations(cx: &mut Ctx<'_>) {
    const RULE: &str = "seccompProfile_baseline";
    for f in crate::seccomp_annotations::forbidden(cx.pod) {
        if cx.exempt(RULE, f.container.as_ref()) {
            continue;
        }
        cx.contrary(
            RULE,
            f.container.as_ref(),
            f.path,
            &format!("{:?}", f.value),
            New::str(crate::seccomp_annotations::WANTED),
        );
    }
}

/// Whether `path` is at or below `mount` (both normalized).
pub fn covers(mount: &str, path: &str) -> bool {
    mount != "/" && (path == mount || path.starts_with(&format!("{mount}/")))
}

/// The plan paths that apply when none are given.
pub fn default_paths() -> Vec<PlannedPath> {
    vec![PlannedPath {
        path: "/tmp".into(),
        medium: Medium::Memory,
        size_limit: Some(DEFAULT_MEMORY_SIZE.into()),
        container: None,
        seed: false,
        reason: "default: most programs write temporary files".into(),
    }]
}

/// Normalized path of a plan entry.
pub fn planned(p: &PlannedPath) -> String {
    normalize_path(&p.path)
}
