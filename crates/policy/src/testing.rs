//! Builders for hand-made pods in unit tests.

use crate::model::*;
use crate::scope::{Scope, Violation};

pub fn container(name: &str) -> Container {
    Container {
        name: name.into(),
        ..Default::default()
    }
}

pub fn with_sc(name: &str, f: impl FnOnce(&mut SecurityContext)) -> Container {
    let mut sc = SecurityContext::default();
    f(&mut sc);
    Container {
        name: name.into(),
        security_context: Some(sc),
        ..Default::default()
    }
}

pub fn pod(containers: Vec<Container>) -> Pod {
    Pod {
        name: "p".into(),
        spec: PodSpec {
            containers,
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn pod_sc(pod: &mut Pod) -> &mut PodSecurityContext {
    pod.spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default)
}

/// `reason (detail)` of a check over the whole pod, or None.
pub fn run(f: crate::scope::CheckFn, pod: &Pod) -> Option<String> {
    f(pod, Scope::All).map(|v: Violation| v.render())
}
