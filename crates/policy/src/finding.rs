//! Findings: one rule violated by one subject (the pod, or one container).

use crate::model::ContainerKind;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// An exempted finding: shown, never fails a run.
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The container a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    pub kind: ContainerKind,
    pub index: usize,
    pub name: String,
}

/// One step of a path into the pod object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into the pod object (`spec.containers[0].securityContext`),
/// relative to the pod or pod template. The manifest layer prefixes the
/// template's own path and turns it into a line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn keys(keys: &[&str]) -> Self {
        FieldPath(keys.iter().map(|k| Seg::Key((*k).to_string())).collect())
    }

    pub fn key(mut self, k: &str) -> Self {
        self.0.push(Seg::Key(k.to_string()));
        self
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Seg::Index(i));
        self
    }

    pub fn extend(mut self, keys: &[&str]) -> Self {
        self.0
            .extend(keys.iter().map(|k| Seg::Key((*k).to_string())));
        self
    }

    /// The path of an annotation: `metadata.annotations.<key>` (the key as
    /// one step, dots and all).
    pub fn annotation(key: &str) -> Self {
        FieldPath::keys(&["metadata", "annotations", key])
    }

    /// The path of a container: `spec.<kind field>[index]`.
    pub fn container(kind: ContainerKind, index: usize) -> Self {
        FieldPath::keys(&["spec", kind.field()]).index(index)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Which object a finding's path starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The pod, or a controller's pod template: every check's findings, and
    /// an exemption annotation written on the template's (or a Pod's own)
    /// metadata.
    #[default]
    Pod,
    /// The workload object itself: an exemption annotation written on a
    /// controller's own metadata (a Deployment's `metadata.annotations`),
    /// which its pods do not carry. For a Pod the two are the same object.
    Object,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule id: a PSA check id or an immutable-family id.
    pub rule: &'static str,
    pub severity: Severity,
    pub container: Option<ContainerRef>,
    /// `reason (detail)` for this subject, in PSA's style.
    pub message: String,
    /// Where the finding points, relative to the object `origin` names.
    pub path: FieldPath,
    /// What `path` is relative to: the pod (template), or the workload
    /// object's own metadata.
    pub origin: Origin,
    /// Set when an annotation exempted this finding: its stated reason.
    pub exemption: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_path_displays_like_kubectl_explain() {
        let p =
            FieldPath::container(ContainerKind::Init, 2).extend(&["securityContext", "privileged"]);
        assert_eq!(
            p.to_string(),
            "spec.initContainers[2].securityContext.privileged"
        );
    }
}
