//! Where namespace labels come from: a watched cache of the cluster's
//! namespaces (a kube-rs reflector fed by list + watch, resumed from the
//! last resourceVersion when a watch drops), or, offline, nowhere: every
//! namespace then takes the configured defaults.

use crate::labels::{Labels, rootlock_labels};
use futures::StreamExt;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;

/// A watched cache of the cluster's namespaces.
#[derive(Clone)]
pub struct NamespaceCache {
    store: Store<Namespace>,
    client: Client,
    /// Unix milliseconds of the last event (list page, watch event or bookmark).
    last_event_ms: Arc<AtomicU64>,
    ready: Arc<AtomicBool>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl NamespaceCache {
    /// Starts the reflector on the current tokio runtime. The cache becomes
    /// ready once the initial list has been applied.
    pub fn start(client: Client) -> (NamespaceCache, JoinHandle<()>) {
        let (store, writer) = reflector::store::<Namespace>();
        let api: Api<Namespace> = Api::all(client.clone());
        let last_event_ms = Arc::new(AtomicU64::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let cache = NamespaceCache {
            store: store.clone(),
            client,
            last_event_ms: last_event_ms.clone(),
            ready: ready.clone(),
        };
        let stream = reflector::reflector(
            writer,
            watcher(api, watcher::Config::default().any_semantic()).default_backoff(),
        );
        let task = tokio::spawn(async move {
            let ready_flag = ready.clone();
            let waiter = store.clone();
            tokio::spawn(async move {
                if waiter.wait_until_ready().await.is_ok() {
                    ready_flag.store(true, Ordering::Release);
                    tracing::info!(namespaces = waiter.len(), "namespace cache synced");
                }
            });
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(_) => last_event_ms.store(now_ms(), Ordering::Release),
                    Err(e) => tracing::warn!(error = %e, "namespace watch failed; resuming"),
                }
            }
        });
        (cache, task)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Seconds since the cache last heard from the API server.
    pub fn age_seconds(&self) -> f64 {
        let last = self.last_event_ms.load(Ordering::Acquire);
        if last == 0 {
            return f64::INFINITY;
        }
        now_ms().saturating_sub(last) as f64 / 1000.0
    }

    /// The cached namespace, if any.
    pub fn get(&self, name: &str) -> Option<Arc<Namespace>> {
        self.store.get(&ObjectRef::new(name))
    }

    /// Names of every cached namespace, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.store.state().iter().map(|n| n.name_any()).collect();
        v.sort();
        v
    }

    /// The namespace's rootlock labels: from the cache, or, for a namespace
    /// the watch has not delivered yet, from a direct GET.
    pub async fn labels(&self, name: &str) -> Result<Labels, String> {
        if let Some(ns) = self.get(name) {
            return Ok(rootlock_labels(ns.labels()));
        }
        let api: Api<Namespace> = Api::all(self.client.clone());
        match tokio::time::timeout(Duration::from_secs(2), api.get_opt(name)).await {
            Ok(Ok(Some(ns))) => Ok(rootlock_labels(ns.labels())),
            Ok(Ok(None)) => Err(format!("namespace {name:?} not found")),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }
}

/// Namespace labels for admission decisions.
#[derive(Clone)]
pub enum Namespaces {
    /// `--offline`: no namespace has labels; the defaults apply.
    Offline,
    Cache(NamespaceCache),
}

impl Namespaces {
    pub async fn labels(&self, name: &str) -> Result<Labels, String> {
        match self {
            Namespaces::Offline => Ok(Labels::new()),
            Namespaces::Cache(c) => c.labels(name).await,
        }
    }

    pub fn is_ready(&self) -> bool {
        match self {
            Namespaces::Offline => true,
            Namespaces::Cache(c) => c.is_ready(),
        }
    }

    pub fn age_seconds(&self) -> f64 {
        match self {
            Namespaces::Offline => 0.0,
            Namespaces::Cache(c) => c.age_seconds(),
        }
    }
}

/// Where a lister hands each listed pod, as it is listed.
pub type EachPod<'a> = dyn FnMut(serde_json::Value) + Send + 'a;

/// Lists the pods of a namespace, as API JSON, for the dry-run of a stricter
/// enforce level. Each pod goes to `each` as it is read, so the caller keeps
/// only the pods it will evaluate: a namespace may hold many thousands.
pub trait PodLister: Send + Sync {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// Lists pods through the Kubernetes API, 500 at a time.
pub struct KubePodLister(pub Client);

impl PodLister for KubePodLister {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let api: Api<Pod> = Api::namespaced(self.0.clone(), namespace);
            let mut params = ListParams::default().limit(500);
            loop {
                let page = api.list(&params).await.map_err(|e| e.to_string())?;
                for pod in page.items {
                    each(slim_listed_pod(&pod)?);
                }
                match page.metadata.continue_ {
                    Some(c) if !c.is_empty() => params = params.continue_token(&c),
                    _ => break,
                }
            }
            Ok(())
        })
    }
}

/// What the namespace dry-run keeps of a listed pod: the slim tree that
/// admission reads ([`crate::object`]: name, labels, annotations and the
/// spec fields the policy checks), plus the controller reference that
/// orders the pods. A whole pod as a `serde_json::Value` takes about
/// twelve times its JSON (23 KB for the 2 KB `kubectl run` pod), and a
/// running pod's JSON is mostly managedFields, status and env: a namespace
/// of a few thousand pods, listed whole, outgrew the webhook's 128 MiB.
fn slim_listed_pod(pod: &Pod) -> Result<serde_json::Value, String> {
    let text = serde_json::to_string(pod).map_err(|e| e.to_string())?;
    let mut slim = match crate::object::slim_from_str(&text) {
        Ok(Some(node)) => crate::object::to_json(&node),
        // Deeper, or of more values, than a review builds: a stub the
        // dry-run counts and, like any pod it cannot read, does not judge.
        // Kept whole it would cost what those bounds are there to prevent.
        _ => serde_json::json!({
            "metadata": {"name": pod.metadata.name},
            "spec": "not reviewed: deeper or larger than a review reads",
        }),
    };
    let controller = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true));
    if let (Some(r), Some(meta)) = (
        controller,
        slim.get_mut("metadata").and_then(|m| m.as_object_mut()),
    ) {
        meta.insert(
            "ownerReferences".into(),
            serde_json::json!([{"uid": r.uid, "controller": true}]),
        );
    }
    Ok(slim)
}

/// A fixed set of pods (tests, and `rootlock cluster`-style offline use).
pub struct StaticPodLister(pub Vec<serde_json::Value>);

impl PodLister for StaticPodLister {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.0
                .iter()
                .filter(|p| {
                    p.pointer("/metadata/namespace").and_then(|v| v.as_str()) == Some(namespace)
                })
                .for_each(|p| each(p.clone()));
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_pod_larger_than_a_review_reads_is_kept_as_an_unreadable_stub() {
        let containers: Vec<serde_json::Value> = (0..20_000)
            .map(|i| serde_json::json!({"name": format!("c{i}"), "image": "nginx"}))
            .collect();
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "huge", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "u1", "controller": true}
            ]},
            "spec": {"containers": containers},
        }))
        .unwrap();
        let kept = slim_listed_pod(&pod).unwrap();
        assert!(serde_json::to_vec(&kept).unwrap().len() < 1024, "{kept}");
        assert_eq!(kept["metadata"]["ownerReferences"][0]["uid"], "u1");
        assert!(crate::admit::pod_from_json(&kept).is_err());
    }
}
