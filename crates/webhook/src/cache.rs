//! Where namespace labels come from: a watched cache of the cluster's
//! namespaces (a kube-rs reflector fed by list + watch, resumed from the
//! last resourceVersion when a watch drops), or, offline, nowhere: every
//! namespace then takes the configured defaults.

use crate::labels::{Labels, rootlock_labels};
use futures::StreamExt;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Namespace;
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
    /// Unix milliseconds of the last bytes of a successful answer of the
    /// API server to the cache: a list page, a watch event or bookmark.
    last_event_ms: Arc<AtomicU64>,
    ready: Arc<AtomicBool>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `client`, noting in `heard` (Unix milliseconds) when each successful
/// answer, and each part of its body, arrives. The watcher hands on events
/// only, not the bookmarks the API server sends a watch while nothing
/// changes, and namespaces change rarely: counted by events, a current
/// cache's age grew for as long as its cluster was quiet.
fn heard_from(client: Client, heard: Arc<AtomicU64>) -> Client {
    let default_namespace = client.default_namespace().to_string();
    let service = tower::service_fn(move |request: axum::http::Request<kube::client::Body>| {
        let (client, heard) = (client.clone(), heard.clone());
        async move {
            let response = client.send(request).await?;
            // An error (403 once RBAC is revoked, say) is no sign of a
            // current cache, however often the watcher retries.
            let ok = response.status().is_success();
            if ok {
                heard.store(now_ms(), Ordering::Release);
            }
            Ok::<_, kube::Error>(response.map(|body| Heard { body, heard, ok }))
        }
    });
    Client::new(service, default_namespace)
}

/// A response body that notes when its parts arrive (see [`heard_from`]).
struct Heard<B> {
    body: B,
    heard: Arc<AtomicU64>,
    ok: bool,
}

impl<B: http_body::Body + Unpin> http_body::Body for Heard<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if self.ok && matches!(polled, std::task::Poll::Ready(Some(Ok(_)))) {
            self.heard.store(now_ms(), Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl NamespaceCache {
    /// Starts the reflector on the current tokio runtime. The cache becomes
    /// ready once the initial list has been applied.
    pub fn start(client: Client) -> (NamespaceCache, JoinHandle<()>) {
        let (store, writer) = reflector::store::<Namespace>();
        let last_event_ms = Arc::new(AtomicU64::new(0));
        let client = heard_from(client, last_event_ms.clone());
        let api: Api<Namespace> = Api::all(client.clone());
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
pub type EachPod<'a> = dyn FnMut(crate::pod_pages::ListedPod) + Send + 'a;

/// Lists the pods of a namespace for the dry-run of a stricter
/// enforce level. Each pod goes to `each` as it is read, so the caller keeps
/// only the pods it will evaluate: a namespace may hold many thousands.
pub trait PodLister: Send + Sync {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// Lists pods through the Kubernetes API, [`PAGE_PODS`] at a time, each page
/// read as text and slimmed pod by pod ([`crate::pod_pages`]).
///
/// [`PAGE_PODS`]: crate::pod_pages::PAGE_PODS
pub struct KubePodLister(pub Client);

impl PodLister for KubePodLister {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            // The name goes into the request's path. The API server only
            // sends valid names, but anyone who reaches the Service can
            // send a review: `kube-system/pods/x` must not list elsewhere.
            if !crate::config::is_dns1123_label(namespace) {
                return Err(format!("{namespace:?} is not a namespace name"));
            }
            let request = kube::core::Request::new(format!("/api/v1/namespaces/{namespace}/pods"));
            let mut params = ListParams::default().limit(crate::pod_pages::PAGE_PODS);
            loop {
                let page = request.list(&params).map_err(|e| e.to_string())?;
                let body = self
                    .0
                    .request_stream(page)
                    .await
                    .map_err(|e| e.to_string())?;
                let text = crate::pod_pages::read_body(body).await?;
                match crate::pod_pages::read_page(&text, each)? {
                    Some(c) => params = params.continue_token(&c),
                    None => return Ok(()),
                }
            }
        })
    }
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
                .for_each(|p| each(crate::pod_pages::ListedPod::from_json(p)));
            Ok(())
        })
    }
}
