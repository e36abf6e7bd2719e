//! `hostPathVolumes`: no `hostPath` volumes.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{join_quote, pluralize};
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "hostPathVolumes",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &[],
    pod_field: &["spec", "volumes"],
    description: "HostPath volumes must be forbidden.",
    locate: Some(locate),
};

/// The first hostPath volume.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let i = pod.spec.volumes.iter().position(|v| v.is_host_path())?;
    scope
        .pod()
        .then(|| FieldPath::keys(&["spec", "volumes"]).index(i))
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    if !scope.pod() {
        return None;
    }
    let bad: Vec<&str> = pod
        .spec
        .volumes
        .iter()
        .filter(|v| v.is_host_path())
        .map(|v| v.name.as_str())
        .collect();
    (!bad.is_empty()).then(|| {
        Violation::new(
            "hostPath volumes",
            format!(
                "{} {}",
                pluralize("volume", "volumes", bad.len()),
                join_quote(&bad)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Volume;
    use crate::testing::*;

    #[test]
    fn messages() {
        let mut p = pod(vec![container("a")]);
        let hp = |n: &str| Volume {
            name: n.into(),
            sources: vec!["hostPath".into()],
            ..Default::default()
        };
        p.spec.volumes.push(hp("a"));
        assert_eq!(run(v1_0, &p).unwrap(), "hostPath volumes (volume \"a\")");
        p.spec.volumes.push(Volume {
            name: "e".into(),
            ..Default::default()
        });
        p.spec.volumes.push(hp("b"));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostPath volumes (volumes \"a\", \"b\")"
        );
    }
}
