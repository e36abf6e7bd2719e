//! `restrictedVolumes`: only configMap, csi, downwardAPI, emptyDir,
//! ephemeral, image, persistentVolumeClaim, projected and secret volumes.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::format::{join_quote, pluralize, sorted_set};
use crate::level::Level;
use crate::model::{Pod, Volume};
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "restrictedVolumes",
    level: Level::Restricted,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &["hostPathVolumes"],
        eval: v1_0,
    }],
    container_field: &[],
    pod_field: &["spec", "volumes"],
    description: "Only non-host volume types (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret) are allowed.",
    locate: Some(locate),
};

/// The first volume of a restricted type.
fn locate(pod: &Pod, scope: Scope, _minor: u32) -> Option<FieldPath> {
    let i = pod
        .spec
        .volumes
        .iter()
        .position(|v| restricted_type(v).is_some())?;
    scope
        .pod()
        .then(|| FieldPath::keys(&["spec", "volumes"]).index(i))
}

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// PSA names the first restricted source it finds, in this order.
const RESTRICTED_ORDER: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn restricted_type(v: &Volume) -> Option<&'static str> {
    // No source at all is defaulted to emptyDir by the API server.
    if v.sources.is_empty() || v.sources.iter().any(|s| ALLOWED.contains(&s.as_str())) {
        return None;
    }
    Some(
        RESTRICTED_ORDER
            .iter()
            .copied()
            .find(|t| v.has_source(t))
            .unwrap_or("unknown"),
    )
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    if !scope.pod() {
        return None;
    }
    let mut bad: Vec<&str> = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    for v in &pod.spec.volumes {
        if let Some(t) = restricted_type(v) {
            bad.push(&v.name);
            types.push(t);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types = sorted_set(types);
    Some(Violation::new(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn vol(name: &str, sources: &[&str]) -> Volume {
        Volume {
            name: name.into(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn messages() {
        let mut p = pod(vec![container("a")]);
        p.spec.volumes = vec![
            vol("ok", &["emptyDir"]),
            vol("none", &[]),
            vol("n", &["nfs"]),
        ];
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "restricted volume types (volume \"n\" uses restricted volume type \"nfs\")"
        );
        p.spec.volumes.push(vol("h", &["hostPath"]));
        p.spec.volumes.push(vol("h2", &["hostPath"]));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "restricted volume types (volumes \"n\", \"h\", \"h2\" use restricted volume types \"hostPath\", \"nfs\")"
        );
        p.spec.volumes = vec![vol("x", &["somethingNew"])];
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "restricted volume types (volume \"x\" uses restricted volume type \"unknown\")"
        );
    }
}
