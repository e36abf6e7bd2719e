//! Who a pod belongs to: its controller owner reference, followed up the
//! chain (ReplicaSet → Deployment, Job → CronJob) so replicas collapse into
//! the workload a person actually wrote.

use serde::{Deserialize, Deserializer};
use std::collections::HashMap;

/// Reads `null` as the field's default, as Go's JSON decoder (the API
/// server's, kubectl's) does: `"ownerReferences": null` is no owner
/// references, not an unreadable object. Use with `#[serde(default)]`.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `metadata.ownerReferences[*]` as the API server sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct OwnerReference {
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub uid: String,
    #[serde(default)]
    pub controller: Option<bool>,
}

/// The metadata fields inventory reads from any object.
#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub uid: String,
    #[serde(
        rename = "ownerReferences",
        default,
        deserialize_with = "null_as_default"
    )]
    pub owner_references: Vec<OwnerReference>,
    /// Only the one label that tells a StatefulSet's or DaemonSet's pod
    /// revisions apart; other labels are skipped unread.
    #[serde(default)]
    pub labels: Option<RevisionLabel>,
}

/// `controller-revision-hash`, which StatefulSet and DaemonSet controllers
/// put on every pod (`<name>-<hash>` of the ControllerRevision it was made
/// from). A Deployment's revisions are told apart by their ReplicaSet.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RevisionLabel {
    #[serde(rename = "controller-revision-hash", default)]
    pub controller_revision_hash: Option<String>,
}

impl Meta {
    /// The managing controller (`controller: true`); at most one exists.
    pub fn controller(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|o| o.controller == Some(true))
    }
}

/// A workload identity: the top of an owner chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadId {
    pub uid: String,
    pub kind: String,
    pub name: String,
}

/// Controllers that are themselves owned (ReplicaSets of Deployments, Jobs
/// of CronJobs), by uid.
#[derive(Debug, Default)]
pub struct Owners {
    parent: HashMap<String, WorkloadId>,
}

/// The controllers that stamp their pods out of one pod template.
pub const TEMPLATE_CONTROLLERS: [&str; 5] = [
    "ReplicaSet",
    "Job",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
];

/// Chains are two links long in practice; the bound stops a cycle (which a
/// misbehaving custom controller could create) from looping.
const MAX_CHAIN: usize = 8;

impl Owners {
    /// Records that the object `child_uid` is controlled by `owner`.
    pub fn record(&mut self, child_uid: &str, owner: &OwnerReference) {
        if child_uid.is_empty() || owner.uid.is_empty() {
            return;
        }
        self.parent.insert(
            child_uid.to_string(),
            WorkloadId {
                uid: owner.uid.clone(),
                kind: owner.kind.clone(),
                name: owner.name.clone(),
            },
        );
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Which revision of its workload a pod was made from, as a key and a
    /// name to show: the ReplicaSet (a Deployment's revisions) or Job (a
    /// CronJob's runs) that created it, with the `controller-revision-hash`
    /// a StatefulSet or DaemonSet sets. The pods of one revision are
    /// replicas of one template, so one of them stands for all.
    ///
    /// `None` for a pod without a controller (it is its own workload and
    /// has no siblings), and for a pod whose controller is not one of the
    /// [`TEMPLATE_CONTROLLERS`]: an Argo `Workflow` runs one pod per step,
    /// each with a spec of its own, and such pods are judged one by one.
    pub fn revision_of(pod: &Meta) -> Option<(String, String)> {
        let owner = pod
            .controller()
            .filter(|o| !o.uid.is_empty() && TEMPLATE_CONTROLLERS.contains(&o.kind.as_str()))?;
        let hash = pod
            .labels
            .as_ref()
            .and_then(|l| l.controller_revision_hash.as_ref());
        Some(match hash {
            Some(hash) => (format!("{}\0{hash}", owner.uid), hash.clone()),
            None => (owner.uid.clone(), owner.name.clone()),
        })
    }

    /// The workload a pod belongs to. A pod without a controller, or owned
    /// by a Node (a static pod's mirror), is its own workload.
    pub fn workload_of(&self, pod: &Meta) -> WorkloadId {
        let Some(owner) = pod
            .controller()
            .filter(|o| o.kind != "Node" && !o.uid.is_empty())
        else {
            return WorkloadId {
                uid: pod.uid.clone(),
                kind: "Pod".into(),
                name: pod.name.clone(),
            };
        };
        self.top_of(WorkloadId {
            uid: owner.uid.clone(),
            kind: owner.kind.clone(),
            name: owner.name.clone(),
        })
    }

    /// The top of the owner chain that starts at `id`.
    pub fn top_of(&self, mut id: WorkloadId) -> WorkloadId {
        for _ in 0..MAX_CHAIN {
            match self.parent.get(&id.uid) {
                Some(up) if up.uid != id.uid => id = up.clone(),
                _ => break,
            }
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(json: &str) -> Meta {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn replicas_climb_to_the_deployment_and_jobs_to_the_cronjob() {
        let mut o = Owners::default();
        o.record(
            "rs1",
            &OwnerReference {
                kind: "Deployment".into(),
                name: "web".into(),
                uid: "d1".into(),
                controller: Some(true),
            },
        );
        let pod = meta(
            r#"{"name":"web-1","uid":"p1","ownerReferences":[{"kind":"ReplicaSet","name":"web-abc","uid":"rs1","controller":true}]}"#,
        );
        assert_eq!(
            o.workload_of(&pod),
            WorkloadId {
                uid: "d1".into(),
                kind: "Deployment".into(),
                name: "web".into()
            }
        );
        // An owner that is not the controller does not make a workload.
        let pod = meta(
            r#"{"name":"x","uid":"p2","ownerReferences":[{"kind":"ReplicaSet","name":"r","uid":"rs1"}]}"#,
        );
        assert_eq!(o.workload_of(&pod).kind, "Pod");
        let mirror = meta(
            r#"{"name":"etcd-n1","uid":"p3","ownerReferences":[{"kind":"Node","name":"n1","uid":"n","controller":true}]}"#,
        );
        assert_eq!(o.workload_of(&mirror).name, "etcd-n1");
    }

    #[test]
    fn an_owner_cycle_terminates() {
        let mut o = Owners::default();
        let r = |uid: &str| OwnerReference {
            kind: "X".into(),
            name: uid.into(),
            uid: uid.into(),
            controller: Some(true),
        };
        o.record("a", &r("b"));
        o.record("b", &r("a"));
        let pod = meta(
            r#"{"name":"p","uid":"p","ownerReferences":[{"kind":"X","name":"a","uid":"a","controller":true}]}"#,
        );
        let id = o.workload_of(&pod);
        assert!(id.uid == "a" || id.uid == "b");
    }

    #[test]
    fn a_revision_is_the_creating_controller_and_its_revision_hash() {
        let replica = meta(
            r#"{"name":"web-1","uid":"p1","labels":{"pod-template-hash":"7d4b9c"},"ownerReferences":[{"kind":"ReplicaSet","name":"web-7d4b9c","uid":"rs1","controller":true}]}"#,
        );
        assert_eq!(
            Owners::revision_of(&replica),
            Some(("rs1".into(), "web-7d4b9c".into()))
        );
        let stateful = |hash: &str| {
            meta(&format!(
                r#"{{"name":"db-0","uid":"p2","labels":{{"controller-revision-hash":"{hash}"}},"ownerReferences":[{{"kind":"StatefulSet","name":"db","uid":"s1","controller":true}}]}}"#
            ))
        };
        let (old, new) = (stateful("db-5d8f"), stateful("db-7c9a"));
        assert_eq!(
            Owners::revision_of(&old).map(|r| r.1),
            Some("db-5d8f".into())
        );
        assert_ne!(
            Owners::revision_of(&old).map(|r| r.0),
            Owners::revision_of(&new).map(|r| r.0)
        );
        // Its own workload, or a static pod's mirror: no siblings to tell
        // apart. `labels: null` is read as no labels.
        let bare = meta(r#"{"name":"x","uid":"p3","labels":null}"#);
        assert_eq!(Owners::revision_of(&bare), None);
        let mirror = meta(
            r#"{"name":"etcd-n1","uid":"p4","ownerReferences":[{"kind":"Node","name":"n1","uid":"n","controller":true}]}"#,
        );
        assert_eq!(Owners::revision_of(&mirror), None);
        // A step of an Argo Workflow is no replica of its siblings.
        let step = meta(
            r#"{"name":"build-a","uid":"p5","ownerReferences":[{"kind":"Workflow","name":"build","uid":"w","controller":true}]}"#,
        );
        assert_eq!(Owners::revision_of(&step), None);
    }
}
