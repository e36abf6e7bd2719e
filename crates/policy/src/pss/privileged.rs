//! `privileged`: no container may set `securityContext.privileged=true`.

use super::{CheckVersion, PssCheck};
use crate::format::containers_phrase;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "privileged",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &["securityContext", "privileged"],
    pod_field: &["spec"],
    description: "Privileged containers disable most security mechanisms and must not be allowed.",
    locate: None,
};

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let bad: Vec<&str> = scope
        .containers(&pod.spec)
        .filter(|c| c.sc().and_then(|s| s.privileged) == Some(true))
        .map(|c| c.name.as_str())
        .collect();
    (!bad.is_empty()).then(|| {
        Violation::new(
            "privileged",
            format!(
                "{} must not set securityContext.privileged=true",
                containers_phrase(&bad)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages() {
        let p = pod(vec![
            with_sc("a", |s| s.privileged = Some(true)),
            with_sc("b", |s| s.privileged = Some(false)),
        ]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "privileged (container \"a\" must not set securityContext.privileged=true)"
        );
        let p = pod(vec![
            with_sc("a", |s| s.privileged = Some(true)),
            with_sc("b", |s| s.privileged = Some(true)),
        ]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "privileged (containers \"a\", \"b\" must not set securityContext.privileged=true)"
        );
        assert_eq!(run(v1_0, &pod(vec![container("a")])), None);
    }
}
