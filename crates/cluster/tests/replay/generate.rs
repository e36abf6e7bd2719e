//! A generated cluster for scale tests: pods, ReplicaSets, Jobs and their
//! top-level controllers built from the recorded objects (the real pod `d1`,
//! Deployment `web`, CronJob `nightly`), renamed and given owner
//! references in the API server's shape, served in pages with continue
//! tokens and `remainingItemCount` like a real list.
//!
//! Layout, for pod index `i`: group `g = i / 5`, replica `i % 5`, namespace
//! `ns-{g % 10}`. By `g % 10`: 0–5 a Deployment (via a ReplicaSet), 6 a
//! StatefulSet, 7 a DaemonSet, 8 a CronJob (via a Job), 9 five bare pods.
//! By `g % 3`: 0 fully hardened (passes `immutable`), 1
//! `readOnlyRootFilesystem: false`, 2 unset.

use super::{Handler, Reply, empty_controller_list, query, testdata};
use serde_json::{Value, json};
use std::sync::Arc;

pub const REPLICAS: usize = 5;
pub const NAMESPACES: usize = 10;

fn uid(space: u64, n: usize) -> String {
    format!("00000000-0000-4000-8{space:03x}-{n:012x}")
}

fn security_context(g: usize) -> &'static str {
    match g % 3 {
        0 => {
            r#"{"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}"#
        }
        1 => r#"{"readOnlyRootFilesystem":false}"#,
        _ => "{}",
    }
}

/// A JSON text with `"@@KEY@@"` placeholders (quotes included) to fill.
struct Template(String);

impl Template {
    fn fill(&self, subs: &[(&str, &str)]) -> String {
        let mut out = self.0.clone();
        for (k, v) in subs {
            out = out.replace(&format!("\"@@{k}@@\""), v);
        }
        out
    }
}

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

fn owner(kind: &str, api: &str, name: &str, uid: &str) -> String {
    format!(
        r#"[{{"apiVersion":"{api}","kind":"{kind}","name":"{name}","uid":"{uid}","controller":true,"blockOwnerDeletion":true}}]"#
    )
}

fn placeholders(meta: &mut Value) {
    meta["name"] = json!("@@NAME@@");
    meta["namespace"] = json!("@@NS@@");
    meta["uid"] = json!("@@UID@@");
    meta["ownerReferences"] = json!("@@OWNERS@@");
}

struct Templates {
    pod: Template,
    deployment: Template,
    cronjob: Template,
    job: Template,
}

fn templates() -> Templates {
    let page: Value = serde_json::from_str(&testdata("pods-page1.json")).expect("page1");
    let mut pod = page["items"][0].clone();
    placeholders(&mut pod["metadata"]);
    pod["spec"]["containers"][0]["securityContext"] = json!("@@SC@@");
    let deployments: Value = serde_json::from_str(&testdata("deployments.json")).expect("deps");
    let mut deployment = deployments["items"][0].clone();
    placeholders(&mut deployment["metadata"]);
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"] = json!("@@SC@@");
    let cronjobs: Value = serde_json::from_str(&testdata("cronjobs.json")).expect("cronjobs");
    let mut cronjob = cronjobs["items"][0].clone();
    placeholders(&mut cronjob["metadata"]);
    cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["securityContext"] =
        json!("@@SC@@");
    let job = json!({
        "metadata": cronjob["metadata"].clone(),
        "spec": cronjob["spec"]["jobTemplate"]["spec"].clone(),
    });
    Templates {
        pod: Template(pod.to_string()),
        deployment: Template(deployment.to_string()),
        cronjob: Template(cronjob.to_string()),
        job: Template(job.to_string()),
    }
}

/// Which controller group `g` is.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Shape {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
    Bare,
}

pub fn shape(g: usize) -> Shape {
    match g % 10 {
        0..=5 => Shape::Deployment,
        6 => Shape::StatefulSet,
        7 => Shape::DaemonSet,
        8 => Shape::CronJob,
        _ => Shape::Bare,
    }
}

pub struct Synthetic {
    pods: usize,
    t: Templates,
    /// Group numbers per controller list.
    deployments: Vec<usize>,
    statefulsets: Vec<usize>,
    daemonsets: Vec<usize>,
    cronjobs: Vec<usize>,
}

impl Synthetic {
    pub fn new(pods: usize) -> Synthetic {
        let groups = pods.div_ceil(REPLICAS);
        let of = |s: Shape| (0..groups).filter(|g| shape(*g) == s).collect::<Vec<_>>();
        Synthetic {
            pods,
            t: templates(),
            deployments: of(Shape::Deployment),
            statefulsets: of(Shape::StatefulSet),
            daemonsets: of(Shape::DaemonSet),
            cronjobs: of(Shape::CronJob),
        }
    }

    fn pod(&self, i: usize) -> String {
        let g = i / REPLICAS;
        let r = i % REPLICAS;
        let ns = format!("ns-{}", g % NAMESPACES);
        let (name, owners) = match shape(g) {
            Shape::Deployment => (
                format!("app-{g}-5d9c7-{r}"),
                owner(
                    "ReplicaSet",
                    "apps/v1",
                    &format!("app-{g}-5d9c7"),
                    &uid(1, g),
                ),
            ),
            Shape::StatefulSet => (
                format!("db-{g}-{r}"),
                owner("StatefulSet", "apps/v1", &format!("db-{g}"), &uid(0, g)),
            ),
            Shape::DaemonSet => (
                format!("agent-{g}-{r}"),
                owner("DaemonSet", "apps/v1", &format!("agent-{g}"), &uid(0, g)),
            ),
            Shape::CronJob => (
                format!("job-{g}-2900-{r}"),
                owner("Job", "batch/v1", &format!("job-{g}-2900"), &uid(2, g)),
            ),
            Shape::Bare => (format!("solo-{g}-{r}"), "[]".to_string()),
        };
        self.t.pod.fill(&[
            ("NAME", &q(&name)),
            ("NS", &q(&ns)),
            ("UID", &q(&uid(3, i))),
            ("OWNERS", &owners),
            ("SC", security_context(g)),
        ])
    }

    fn controller(&self, resource: &str, g: usize) -> String {
        let ns = q(&format!("ns-{}", g % NAMESPACES));
        let sc = security_context(g);
        match resource {
            "replicasets" => self.t.deployment.fill(&[
                ("NAME", &q(&format!("app-{g}-5d9c7"))),
                ("NS", &ns),
                ("UID", &q(&uid(1, g))),
                (
                    "OWNERS",
                    &owner("Deployment", "apps/v1", &format!("app-{g}"), &uid(0, g)),
                ),
                ("SC", sc),
            ]),
            "jobs" => self.t.job.fill(&[
                ("NAME", &q(&format!("job-{g}-2900"))),
                ("NS", &ns),
                ("UID", &q(&uid(2, g))),
                (
                    "OWNERS",
                    &owner("CronJob", "batch/v1", &format!("job-{g}"), &uid(0, g)),
                ),
                ("SC", sc),
            ]),
            "cronjobs" => self.t.cronjob.fill(&[
                ("NAME", &q(&format!("job-{g}"))),
                ("NS", &ns),
                ("UID", &q(&uid(0, g))),
                ("OWNERS", "[]"),
                ("SC", sc),
            ]),
            other => {
                let prefix = match other {
                    "statefulsets" => "db",
                    "daemonsets" => "agent",
                    _ => "app",
                };
                self.t.deployment.fill(&[
                    ("NAME", &q(&format!("{prefix}-{g}"))),
                    ("NS", &ns),
                    ("UID", &q(&uid(0, g))),
                    ("OWNERS", "[]"),
                    ("SC", sc),
                ])
            }
        }
    }

    /// One page of `total` items starting at the continue offset.
    fn page(
        &self,
        path: &str,
        kind: &str,
        api: &str,
        total: usize,
        item: impl Fn(usize) -> String,
    ) -> Reply {
        let limit: usize = query(path, "limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(total.max(1));
        let start = match query(path, "continue") {
            None => 0,
            Some(t) => match t.strip_prefix("gen-").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return Reply::recorded_error(&testdata("bad-continue.txt")),
            },
        };
        let end = (start + limit).min(total);
        let mut body = String::with_capacity((end - start) * 2400 + 256);
        body.push_str(&format!(
            r#"{{"kind":"{kind}List","apiVersion":"{api}","metadata":{{"resourceVersion":"215""#
        ));
        if end < total {
            body.push_str(&format!(
                r#","continue":"gen-{end}","remainingItemCount":{}"#,
                total - end
            ));
        }
        body.push_str(r#"},"items":["#);
        for i in start..end {
            if i > start {
                body.push(',');
            }
            body.push_str(&item(i));
        }
        body.push_str("]}");
        Reply::ok(body)
    }

    fn namespaces(&self) -> String {
        let items: Vec<Value> = (0..NAMESPACES)
            .map(|n| {
                json!({"metadata": {"name": format!("ns-{n}"), "uid": uid(4, n),
                    "labels": {"kubernetes.io/metadata.name": format!("ns-{n}")}},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
            })
            .collect();
        json!({"kind": "NamespaceList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "215"}, "items": items})
        .to_string()
    }

    pub fn answer(&self, path: &str) -> Reply {
        let p = path.split('?').next().unwrap_or(path);
        match p {
            "/api/v1/pods" => self.page(path, "Pod", "v1", self.pods, |i| self.pod(i)),
            "/api/v1/namespaces" => Reply::ok(self.namespaces()),
            "/apis/apps/v1/replicasets" => {
                self.page(path, "ReplicaSet", "apps/v1", self.deployments.len(), |k| {
                    self.controller("replicasets", self.deployments[k])
                })
            }
            "/apis/apps/v1/deployments" => {
                self.page(path, "Deployment", "apps/v1", self.deployments.len(), |k| {
                    self.controller("deployments", self.deployments[k])
                })
            }
            "/apis/apps/v1/statefulsets" => self.page(
                path,
                "StatefulSet",
                "apps/v1",
                self.statefulsets.len(),
                |k| self.controller("statefulsets", self.statefulsets[k]),
            ),
            "/apis/apps/v1/daemonsets" => {
                self.page(path, "DaemonSet", "apps/v1", self.daemonsets.len(), |k| {
                    self.controller("daemonsets", self.daemonsets[k])
                })
            }
            "/apis/batch/v1/jobs" => self.page(path, "Job", "batch/v1", self.cronjobs.len(), |k| {
                self.controller("jobs", self.cronjobs[k])
            }),
            "/apis/batch/v1/cronjobs" => {
                self.page(path, "CronJob", "batch/v1", self.cronjobs.len(), |k| {
                    self.controller("cronjobs", self.cronjobs[k])
                })
            }
            // Discovery, for kubectl.
            "/version" => Reply::ok(testdata("version.json")),
            "/api" => Reply::ok(
                r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}"#,
            ),
            "/apis" => Reply::ok(r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#),
            "/api/v1" => Reply::ok(
                r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list","watch"],"shortNames":["po"],"categories":["all"]},{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","watch"],"shortNames":["ns"]}]}"#,
            ),
            _ => match empty_controller_list(path) {
                Some(body) => Reply::ok(body),
                None => Reply::recorded_error(&testdata("notfound-404.txt")),
            },
        }
    }
}

pub fn handler(pods: usize) -> Handler {
    let s = Arc::new(Synthetic::new(pods));
    Arc::new(move |path: &str| s.answer(path))
}
