//! Which part of a pod a check looks at.
//!
//! A check always reads the whole pod (a pod-level `runAsNonRoot: true`
//! covers its containers), but it can be asked to report only on one
//! subject: the pod itself, or one container. Asking for `All` gives PSA's
//! aggregate message; asking per subject gives rootlock's per-container
//! findings with the same wording.

use crate::model::{Container, ContainerKind, PodSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Everything: PSA's view.
    All,
    /// Pod-level fields, annotations and volumes only.
    Pod,
    /// One container.
    Container(ContainerKind, usize),
}

impl Scope {
    /// Whether pod-level offenders are reported in this scope.
    pub fn pod(self) -> bool {
        matches!(self, Scope::All | Scope::Pod)
    }

    /// Whether this container is reported in this scope.
    pub fn includes(self, kind: ContainerKind, index: usize) -> bool {
        match self {
            Scope::All => true,
            Scope::Pod => false,
            Scope::Container(k, i) => k == kind && i == index,
        }
    }

    /// The containers reported in this scope, in PSA's visiting order.
    pub fn containers(self, spec: &PodSpec) -> impl Iterator<Item = &Container> {
        self.containers_indexed(spec).map(|(_, _, c)| c)
    }

    /// The one container this scope names, if it names one: where a
    /// container's finding points.
    pub fn one_container(self, spec: &PodSpec) -> Option<(ContainerKind, usize, &Container)> {
        match self {
            Scope::Container(kind, index) => spec
                .containers_of(kind)
                .get(index)
                .map(|c| (kind, index, c)),
            Scope::All | Scope::Pod => None,
        }
    }

    /// Like [`Scope::containers`], with each container's kind and index.
    /// One container's scope goes straight to it: checks are run once per
    /// container to word each finding, and walking all of them each time
    /// made a pod with thousands of containers cost their square.
    pub fn containers_indexed(
        self,
        spec: &PodSpec,
    ) -> impl Iterator<Item = (ContainerKind, usize, &Container)> {
        let all = (self == Scope::All).then(|| spec.all_containers());
        all.into_iter().flatten().chain(self.one_container(spec))
    }
}

/// A failed check: PSA's `ForbiddenReason` and `ForbiddenDetail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub reason: String,
    pub detail: String,
}

impl Violation {
    pub fn new(reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Violation {
            reason: reason.into(),
            detail: detail.into(),
        }
    }

    /// `reason (detail)`, or just `reason` when the detail is empty.
    pub fn render(&self) -> String {
        if self.detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// The signature of every check implementation.
pub type CheckFn = fn(&crate::model::Pod, Scope) -> Option<Violation>;
