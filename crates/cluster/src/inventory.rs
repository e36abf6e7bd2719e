//! The inventory: namespaces with their labels, and one entry per workload
//! (replicas collapsed by owner), built item by item as pages arrive.
//!
//! Only the first pod of each revision of a workload is decoded in full and
//! evaluated; the other replicas are counted from their metadata alone.
//! That is what keeps memory flat over 100,000 pods. A revision is the
//! ReplicaSet, Job or `controller-revision-hash` a pod was made from: in a
//! rollout, or a StatefulSet updated by partition, one workload runs pods
//! of two specs at once, and judging it by whichever pod came first would
//! hide the other (PSA's dry-run reports every pod). Revisions that judge
//! alike share one entry; ones that differ get an entry each, named by
//! revision. A replica with ephemeral containers (`kubectl debug`) runs no
//! revision's spec and gets an entry of its own, named by the pod. So does a
//! pod of a controller that is not a pod-template controller (an Argo
//! `Workflow`'s steps): it stands for no revision, and is judged on its own
//! (sharing an entry with its siblings that judge alike).

use crate::evaluate::{Evaluated, Judge, Mutating};
use crate::mutation::{mutation_source, pod_from_json};
use crate::owners::{Meta, Owners, WorkloadId, null_as_default};
use rootlock_manifest::json::node_from_json;
use rootlock_manifest::{Limits, workloads};
use rootlock_policy::{Exemptions, Origin, Pod};
use rootlock_webhook::template_mutation::template_pod;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Label prefixes that decide admission: PSA's and rootlock's.
pub const LABEL_PREFIXES: [&str; 2] = ["pod-security.kubernetes.io/", "rootlock.dev/"];

#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub name: String,
    /// Only the admission labels, sorted by key.
    pub labels: Vec<(String, String)>,
}

impl Namespace {
    /// The namespace `shop` with these labels, for tests.
    #[cfg(test)]
    pub fn shop(labels: &[(&str, &str)]) -> Namespace {
        Namespace {
            name: "shop".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    /// Pods that exist now (0 for a controller with no pods).
    pub pods: u64,
    /// The lexically smallest pod name (PSA's dry-run prefix).
    pub smallest_pod: Option<String>,
    /// Judged from the controller's pod template (it has no pods).
    pub from_template: bool,
    pub eval: Option<Evaluated>,
    /// Why it could not be judged.
    pub error: Option<String>,
    /// The revision (ReplicaSet, Job or revision hash) this entry judges,
    /// when the workload's pods do not all judge alike; `None` otherwise.
    pub revision: Option<String>,
}

impl Workload {
    /// `Kind/name`, or `Kind/name@revision` for one of several entries.
    pub fn label(&self) -> String {
        match &self.revision {
            Some(r) => format!("{}/{}@{r}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    pub fn failing(&self) -> bool {
        self.eval.as_ref().is_some_and(|e| e.failing)
    }

    /// Whether pods judged as `eval` (or not judged, for `error`) belong in
    /// this entry: a workload has one entry per distinct judgement.
    fn judged_as(&self, eval: &Option<Evaluated>, error: &Option<String>) -> bool {
        self.eval == *eval && self.error == *error
    }

    /// Counts `pods` more pods in this entry, `smallest` the smallest name
    /// among them.
    fn count_pods(&mut self, pods: u64, smallest: Option<String>) {
        self.pods += pods;
        if let Some(s) = smallest
            && self.smallest_pod.as_deref().is_none_or(|m| s.as_str() < m)
        {
            self.smallest_pod = Some(s);
        }
    }
}

/// A controller's pod template, read.
struct Template {
    pod: Pod,
    /// The controller's own annotations (for exemptions).
    annotations: Vec<(String, String)>,
    /// The Pod (API JSON) it makes, when asked for: for the webhook's
    /// mutation.
    json: Option<Value>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    metadata: Option<Meta>,
}

#[derive(Deserialize)]
struct NamespaceHead {
    #[serde(default, deserialize_with = "null_as_default")]
    metadata: NamespaceMeta,
}

#[derive(Deserialize, Default)]
struct NamespaceMeta {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Everything collected so far.
pub struct Inventory {
    judge: Judge,
    max_depth: usize,
    owners: Owners,
    namespaces: BTreeMap<String, Namespace>,
    /// Namespaces where the webhook mutates pods, with why
    /// ([`mutation_source`]); read when their pods are judged.
    mutating: HashMap<String, &'static str>,
    /// Entries: one per workload, or per differently-judged revision.
    rows: Vec<Workload>,
    /// A workload's uid → its entries in `rows`.
    by_uid: HashMap<String, Vec<usize>>,
    /// A revision key ([`Owners::revision_of`]) → the entry its first pod
    /// was counted in.
    revisions: HashMap<String, usize>,
    /// A workload controller's own `exempt.rootlock.dev/*` annotations, by
    /// uid, for judging its pods (which do not carry them); only
    /// controllers listed before their pods and that have some.
    exemptions: HashMap<String, Vec<(String, String)>>,
    pub pods: u64,
    /// Objects that could not be read, with the reason.
    pub errors: Vec<String>,
    /// Uids of the chain links (ReplicaSets, Jobs) listed.
    links: HashSet<String>,
    /// Chain links that pods named as their controller but that were not
    /// listed (created while the cluster was being listed: a rollout, a
    /// CronJob's next run), by uid, with their kind.
    unlisted: HashMap<String, String>,
    /// Entries folded into another one of the same workload.
    folded: HashSet<usize>,
}

/// Whether a controller of `kind` run by a controller of `owner_kind` is a
/// link of that one's chain: a ReplicaSet or Job is, whoever runs it — a
/// Deployment or CronJob, or a custom controller that keeps ReplicaSets
/// (Argo Rollouts) or makes Jobs (KEDA's ScaledJob) the same way. Its pods
/// then count for that controller, and its old revisions are no workloads.
fn chains_to(kind: &str, owner_kind: &str) -> bool {
    matches!(kind, "ReplicaSet" | "Job") && !owner_kind.is_empty()
}

impl Inventory {
    pub fn new(judge: Judge) -> Self {
        Inventory {
            judge,
            max_depth: Limits::default().max_depth,
            owners: Owners::default(),
            namespaces: BTreeMap::new(),
            mutating: HashMap::new(),
            rows: Vec::new(),
            by_uid: HashMap::new(),
            revisions: HashMap::new(),
            exemptions: HashMap::new(),
            pods: 0,
            errors: Vec::new(),
            links: HashSet::new(),
            unlisted: HashMap::new(),
            folded: HashSet::new(),
        }
    }

    /// Whether a pod named a controller of `kind` that was not listed: the
    /// list of that kind has to be read again ([`Inventory::relink`]).
    pub fn unlisted(&self, kind: &str) -> bool {
        self.unlisted.values().any(|k| k == kind)
    }

    /// A controller from listing `kind` again after the pods: one that was
    /// not listed before and is a link of an owner chain moves its pods'
    /// entries to the top of the chain, as if it had been listed in time.
    /// Every other item was seen already and is skipped.
    pub fn relink(&mut self, kind: &str, api_version: &str, raw: &RawValue) {
        let Ok(Head {
            metadata: Some(meta),
        }) = serde_json::from_str::<Head>(raw.get())
        else {
            return;
        };
        if self.unlisted.remove(&meta.uid).is_none() {
            return;
        }
        self.add_controller(kind, api_version, raw);
        let Some(rows) = self.by_uid.remove(&meta.uid) else {
            return;
        };
        let top = self.owners.top_of(WorkloadId {
            uid: meta.uid.clone(),
            kind: kind.to_string(),
            name: meta.name.clone(),
        });
        if top.uid == meta.uid {
            // Not a link after all (a ReplicaSet of no Deployment): its
            // pods stay its own.
            self.by_uid.insert(meta.uid, rows);
            return;
        }
        let mut kept = self.by_uid.remove(&top.uid).unwrap_or_default();
        for row in rows {
            let (eval, error) = (&self.rows[row].eval, &self.rows[row].error);
            let same = kept
                .iter()
                .copied()
                .find(|&k| self.rows[k].judged_as(eval, error));
            match same {
                Some(k) => {
                    let (pods, smallest) =
                        (self.rows[row].pods, self.rows[row].smallest_pod.take());
                    self.rows[k].count_pods(pods, smallest);
                    self.folded.insert(row);
                }
                None => {
                    let w = &mut self.rows[row];
                    (w.uid, w.kind, w.name) = (top.uid.clone(), top.kind.clone(), top.name.clone());
                    kept.push(row);
                }
            }
        }
        self.by_uid.insert(top.uid, kept);
    }

    pub fn judge(&self) -> &Judge {
        &self.judge
    }

    /// A Namespace object (from the list, or a single GET); its name.
    pub fn add_namespace(&mut self, raw: &str) -> Result<String, String> {
        let head: NamespaceHead =
            serde_json::from_str(raw).map_err(|e| format!("namespace: {e}"))?;
        let name = head.metadata.name;
        // Not a namespace (a `{}` or a `Status` where one was asked for, an
        // item without a name): kept, it was listed as a namespace "", and
        // the one asked for was shown without its admission labels.
        if name.is_empty() {
            return Err("namespace: metadata.name is missing".into());
        }
        let labels: Vec<(String, String)> = head
            .metadata
            .labels
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| LABEL_PREFIXES.iter().any(|p| k.starts_with(p)))
            .collect();
        self.note_mutation(&name, &labels);
        self.namespaces.insert(
            name.clone(),
            Namespace {
                name: name.clone(),
                labels,
            },
        );
        Ok(name)
    }

    /// Records whether the webhook mutates pods in namespace `name`.
    fn note_mutation(&mut self, name: &str, labels: &[(String, String)]) {
        match mutation_source(name, labels, self.judge.webhook.as_deref()) {
            Some(source) => self.mutating.insert(name.to_string(), source),
            None => self.mutating.remove(name),
        };
    }

    fn ensure_namespace(&mut self, name: &str) {
        if !self.namespaces.contains_key(name) {
            // Not listed (`-n` scope, or created meanwhile): no labels, so
            // the config's switch alone decides.
            self.note_mutation(name, &[]);
            self.namespaces.insert(
                name.to_string(),
                Namespace {
                    name: name.to_string(),
                    labels: Vec::new(),
                },
            );
        }
    }

    /// A controller (Deployment, ReplicaSet, …) of `kind`/`api_version`
    /// (list items carry neither). A ReplicaSet of a Deployment or a Job of
    /// a CronJob becomes a link in an owner chain; any other controller is
    /// a workload, judged from its pod template until a pod of it shows up.
    pub fn add_controller(&mut self, kind: &str, api_version: &str, raw: &RawValue) {
        let Some(meta) = self.meta(kind, raw) else {
            return;
        };
        if matches!(kind, "ReplicaSet" | "Job") {
            self.links.insert(meta.uid.clone());
        }
        if let Some(owner) = meta.controller()
            && chains_to(kind, &owner.kind)
        {
            self.owners.record(&meta.uid, owner);
            return;
        }
        let annotations = if self.judge.annotation_exemptions {
            exemption_annotations(raw)
        } else {
            Vec::new()
        };
        if let Some(rows) = self.by_uid.get(&meta.uid) {
            // Its pods have been judged already, without the controller's
            // own exemptions: apply them now.
            if !annotations.is_empty() {
                let ex = Exemptions::from_annotations(
                    annotations
                        .iter()
                        .map(|(k, v)| (Origin::Object, k.as_str(), v.as_str())),
                );
                for &row in rows {
                    if let Some(eval) = &mut self.rows[row].eval {
                        eval.exempt(&ex);
                    }
                }
            }
            return;
        }
        if !annotations.is_empty() {
            self.exemptions.insert(meta.uid.clone(), annotations);
        }
        self.ensure_namespace(&meta.namespace);
        let mutating = self.mutating.get(&meta.namespace).copied();
        let (eval, error) = match self.template(kind, api_version, raw, mutating.is_some()) {
            Ok(t) => {
                let mutating = mutating
                    .zip(t.json.as_ref())
                    .map(|(source, pod)| Mutating { pod, source });
                (
                    Some(self.judge.judge(&t.pod, &t.annotations, mutating)),
                    None,
                )
            }
            Err(e) => (None, Some(e)),
        };
        if let Some(e) = &error {
            self.errors
                .push(format!("{}/{kind}/{}: {e}", meta.namespace, meta.name));
        }
        self.by_uid.insert(meta.uid.clone(), vec![self.rows.len()]);
        self.rows.push(Workload {
            namespace: meta.namespace.clone(),
            kind: kind.to_string(),
            name: meta.name.clone(),
            uid: meta.uid.clone(),
            pods: 0,
            smallest_pod: None,
            from_template: true,
            eval,
            error,
            revision: None,
        });
    }

    /// The pod template of a controller, through the same extraction as
    /// `scan`; `as_json` asks for the Pod it makes as API JSON too.
    fn template(
        &self,
        kind: &str,
        api_version: &str,
        raw: &RawValue,
        as_json: bool,
    ) -> Result<Template, String> {
        let mut v: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        strip(&mut v);
        if let Value::Object(map) = &mut v {
            map.insert("kind".into(), Value::String(kind.into()));
            map.insert("apiVersion".into(), Value::String(api_version.into()));
        }
        let node = node_from_json(&v, self.max_depth)
            .ok_or_else(|| format!("nested deeper than {} levels", self.max_depth))?;
        let mut found = workloads(&node).map_err(|e| format!("{}: {}", e.field, e.message))?;
        if found.is_empty() {
            return Err("no pod template".into());
        }
        let w = found.swap_remove(0);
        let json = if as_json { template_pod(&v, &w) } else { None };
        Ok(Template {
            pod: w.pod,
            annotations: w.annotations,
            json,
        })
    }

    /// A pod in the policy's model, and as the JSON it was read from.
    fn pod_model(&self, raw: &RawValue) -> Result<(Pod, Value), String> {
        let mut v: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        strip(&mut v);
        Ok((pod_from_json(&v, self.max_depth)?, v))
    }

    /// An item's metadata; an unreadable item is recorded as an error.
    fn meta(&mut self, kind: &str, raw: &RawValue) -> Option<Meta> {
        match serde_json::from_str::<Head>(raw.get()) {
            Ok(Head {
                metadata: Some(meta),
            }) => {
                // The API server sets all three on every object it lists.
                // An item without them is not one: entries are keyed by
                // uid, so bare pods without one (in any namespace) all
                // folded into the first one's entry, and one without a
                // namespace or name was listed as `Pod/` in namespace "".
                let missing: Vec<&str> = [
                    ("metadata.name", &meta.name),
                    ("metadata.namespace", &meta.namespace),
                    ("metadata.uid", &meta.uid),
                ]
                .into_iter()
                .filter(|(_, value)| value.is_empty())
                .map(|(field, _)| field)
                .collect();
                if missing.is_empty() {
                    return Some(meta);
                }
                let what = if meta.name.is_empty() {
                    format!("a {kind}")
                } else {
                    format!("{}/{kind}/{}", meta.namespace, meta.name)
                };
                self.errors.push(format!(
                    "{what} without {} was skipped",
                    missing.join(" or ")
                ));
                None
            }
            Ok(_) => {
                self.errors
                    .push(format!("a {kind} without metadata was skipped"));
                None
            }
            Err(e) => {
                let named = serde_json::from_str::<Value>(raw.get()).ok().and_then(|v| {
                    let meta = v.get("metadata")?;
                    let name = meta.get("name")?.as_str()?.to_string();
                    let ns = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
                    Some(format!("{ns}/{kind}/{name}"))
                });
                let what = named.unwrap_or_else(|| format!("a {kind}"));
                self.errors.push(format!("{what} could not be read: {e}"));
                None
            }
        }
    }

    /// A pod. Only its metadata is decoded unless it is the first pod of
    /// its revision, or may carry ephemeral containers.
    ///
    /// `kubectl debug` adds ephemeral containers to one replica only, so
    /// such a pod no longer runs its revision's spec: it is judged on its
    /// own and counted in an entry of its own (named by the pod), and never
    /// stands for its revision. PSA's dry-run evaluates every pod with its
    /// ephemeral containers; folding them into the revision's entry hid a
    /// privileged debug container from `--what-if`, or blamed it on every
    /// replica when the debugged one happened to be listed first.
    pub fn add_pod(&mut self, raw: &RawValue) {
        let Some(meta) = self.meta("Pod", raw) else {
            return;
        };
        self.pods += 1;
        self.ensure_namespace(&meta.namespace);
        if let Some(owner) = meta.controller()
            && matches!(owner.kind.as_str(), "ReplicaSet" | "Job")
            && !owner.uid.is_empty()
            && !self.links.contains(&owner.uid)
        {
            self.unlisted.insert(owner.uid.clone(), owner.kind.clone());
        }
        let id: WorkloadId = self.owners.workload_of(&meta);
        let revision = Owners::revision_of(&meta);
        let seen = revision
            .as_ref()
            .and_then(|(key, _)| self.revisions.get(key).copied());
        // A cheap pre-check on the text: only a pod whose JSON names the
        // field can have ephemeral containers; the decoded model decides.
        let may_be_debugged = raw.get().contains("\"ephemeralContainers\"");
        let row = match seen {
            Some(row) if !may_be_debugged => row,
            _ => {
                let pod = self.pod_model(raw);
                if let Err(e) = &pod {
                    self.errors
                        .push(format!("{}/Pod/{}: {e}", meta.namespace, meta.name));
                }
                let debugged = pod
                    .as_ref()
                    .is_ok_and(|(p, _)| !p.spec.ephemeral_containers.is_empty());
                match seen {
                    Some(row) if !debugged => row,
                    _ => {
                        let extra = self.exemptions.get(&id.uid).map_or(&[][..], Vec::as_slice);
                        let mutating = self.mutating.get(&meta.namespace).copied();
                        let judged = pod.map(|(pod, json)| {
                            let mutating = mutating.map(|source| Mutating { pod: &json, source });
                            self.judge.judge(&pod, extra, mutating)
                        });
                        let row = self.row_for(&id, &meta.namespace, judged);
                        match revision {
                            Some((key, name)) if !debugged => {
                                self.revisions.insert(key, row);
                                self.rows[row].revision.get_or_insert(name);
                            }
                            // A pod that stands for no revision (debugged,
                            // or not made from a template) names its entry;
                            // a workload's only entry is not named.
                            _ => {
                                self.rows[row].revision.get_or_insert(meta.name.clone());
                            }
                        }
                        row
                    }
                }
            }
        };
        self.rows[row].count_pods(1, Some(meta.name.clone()));
    }

    /// The entry a newly judged revision of workload `id` is counted in: the
    /// entry judged from the template (which the first pod replaces), one
    /// whose pods judged exactly alike, or a new one.
    fn row_for(
        &mut self,
        id: &WorkloadId,
        namespace: &str,
        judged: Result<Evaluated, String>,
    ) -> usize {
        let (eval, error) = match judged {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(e)),
        };
        let rows = self.by_uid.entry(id.uid.clone()).or_default();
        if let [only] = rows[..]
            && self.rows[only].from_template
        {
            let w = &mut self.rows[only];
            (w.eval, w.error, w.from_template) = (eval, error, false);
            return only;
        }
        if let Some(&row) = rows
            .iter()
            .find(|&&r| self.rows[r].judged_as(&eval, &error))
        {
            return row;
        }
        let row = self.rows.len();
        rows.push(row);
        self.rows.push(Workload {
            namespace: namespace.to_string(),
            kind: id.kind.clone(),
            name: id.name.clone(),
            uid: id.uid.clone(),
            pods: 0,
            smallest_pod: None,
            from_template: false,
            eval,
            error,
            revision: None,
        });
        row
    }

    /// Workloads sorted by namespace, kind, name; namespaces by name.
    /// A workload's entries are adjacent, and named by revision only when
    /// there are several.
    pub fn finish(self) -> (Vec<Namespace>, Vec<Workload>, u64, Vec<String>) {
        let mut ws = self.rows;
        for rows in self.by_uid.values() {
            if let [only] = rows[..] {
                ws[only].revision = None;
            }
        }
        if !self.folded.is_empty() {
            let folded = self.folded;
            ws = ws
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !folded.contains(i))
                .map(|(_, w)| w)
                .collect();
        }
        ws.sort_by(|a, b| {
            (&a.namespace, &a.kind, &a.name, &a.uid, &a.revision).cmp(&(
                &b.namespace,
                &b.kind,
                &b.name,
                &b.uid,
                &b.revision,
            ))
        });
        (
            self.namespaces.into_values().collect(),
            ws,
            self.pods,
            self.errors,
        )
    }

    pub fn owner_links(&self) -> usize {
        self.owners.len()
    }
}

#[derive(Deserialize)]
struct AnnotationsHead {
    #[serde(default)]
    metadata: Option<AnnotationsMeta>,
}

#[derive(Deserialize)]
struct AnnotationsMeta {
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

/// An object's own `exempt.rootlock.dev/*` annotations (most objects have
/// none, and their text says so without decoding).
fn exemption_annotations(raw: &RawValue) -> Vec<(String, String)> {
    if !raw.get().contains(rootlock_policy::exemptions::PREFIX) {
        return Vec::new();
    }
    serde_json::from_str::<AnnotationsHead>(raw.get())
        .ok()
        .and_then(|h| h.metadata)
        .and_then(|m| m.annotations)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k.starts_with(rootlock_policy::exemptions::PREFIX))
        .collect()
}

/// Drops what no check reads and is expensive to convert: status and
/// managedFields are often most of an object's bytes.
fn strip(v: &mut Value) {
    if let Value::Object(map) = v {
        map.remove("status");
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            meta.remove("managedFields");
        }
    }
}
