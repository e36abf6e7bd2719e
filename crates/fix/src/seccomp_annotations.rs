//! The deprecated seccomp annotations (`seccomp.security.alpha.kubernetes.io/pod`,
//! `container.seccomp.security.alpha.kubernetes.io/<name>`). Pod Security
//! Admission judges them instead of `seccompProfile` below policy v1.19, so
//! at those versions a forbidden one (`unconfined`, `""`) is an explicit
//! contrary value like `privileged: true`: kept and reported, or replaced
//! with `runtime/default` under `--force`. From v1.19 PSA ignores them and
//! so does the fix.

use rootlock_policy::pss::{
    SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION, valid_seccomp_annotation,
};
use rootlock_policy::{ContainerRef, FieldPath, Pod};

/// The first policy minor version that reads the `seccompProfile` fields
/// and ignores the annotations: the policy check's own switch.
pub use rootlock_policy::pss::SECCOMP_FIELDS_FROM_MINOR as FIELDS_FROM_MINOR;

/// The value the fix writes under `--force`: the annotation spelling of
/// `RuntimeDefault`.
pub const WANTED: &str = "runtime/default";

/// The pod-relative path of the annotation `key`.
pub fn annotation_path(key: &str) -> FieldPath {
    FieldPath::keys(&["metadata", "annotations", key])
}

/// A forbidden annotation: its pod-relative path, its value, and the
/// container it names (`None`: the pod-wide one).
pub struct Forbidden {
    pub path: FieldPath,
    pub value: String,
    pub container: Option<ContainerRef>,
}

/// The forbidden seccomp annotations of `pod`, judged as PSA v1.0 judges
/// them: the pod-wide one, then one per existing container in PSA's order
/// (an annotation naming no container is not read).
pub fn forbidden(pod: &Pod) -> Vec<Forbidden> {
    let path = annotation_path;
    let mut out = Vec::new();
    if let Some(v) = pod.annotation(SECCOMP_POD_ANNOTATION)
        && !valid_seccomp_annotation(v)
    {
        out.push(Forbidden {
            path: path(SECCOMP_POD_ANNOTATION),
            value: v.to_string(),
            container: None,
        });
    }
    for (kind, index, c) in pod.spec.all_containers() {
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name);
        if let Some(v) = pod.annotation(&key)
            && !valid_seccomp_annotation(v)
        {
            out.push(Forbidden {
                path: path(&key),
                value: v.to_string(),
                container: Some(ContainerRef {
                    kind,
                    index,
                    name: c.name.clone(),
                }),
            });
        }
    }
    out
}
