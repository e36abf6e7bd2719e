//! The namespace cache against a replay server of recorded API responses
//! (testdata/apiserver/api): the real NamespaceList, then the real watch
//! events — the first watch drops mid-event, the cache resumes from the last
//! resourceVersion it saw — and the webhook deciding from those labels.

mod common;

use common::*;
use rootlock_webhook::cache::{NamespaceCache, Namespaces};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A small HTTP/1.1 server that answers like the recorded kube-apiserver:
/// `GET /api/v1/namespaces` → namespaces.json; the first watch streams the
/// first event and half of the second, then drops the connection; later
/// watches stream the events after the requested resourceVersion and stay
/// open. Every request line is recorded.
struct ReplayServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn replay_server() -> ReplayServer {
    let list = std::fs::read_to_string(testdata("api/namespaces.json")).unwrap();
    let events: Vec<String> = std::fs::read_to_string(testdata("api/namespaces-watch.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    tokio::spawn(async move {
        let watches = Arc::new(Mutex::new(0usize));
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let (list, events, recorded, watches) = (
                list.clone(),
                events.clone(),
                recorded.clone(),
                watches.clone(),
            );
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    // headers
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).await.unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    recorded.lock().unwrap().push(target.clone());
                    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                    let param = |k: &str| {
                        query
                            .split('&')
                            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                            .map(str::to_string)
                    };
                    if path == "/api/v1/namespaces" && param("watch").is_some() {
                        let n = {
                            let mut c = watches.lock().unwrap();
                            *c += 1;
                            *c
                        };
                        let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n").await;
                        if n == 1 {
                            // One whole event, half of the next, then the connection drops.
                            let _ = w.write_all(format!("{}\n", events[0]).as_bytes()).await;
                            let half = &events[1][..events[1].len() / 2];
                            let _ = w.write_all(half.as_bytes()).await;
                            let _ = w.flush().await;
                            return;
                        }
                        let since: u64 = param("resourceVersion")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        for e in &events {
                            let v: Value = serde_json::from_str(e).unwrap();
                            let rv: u64 = v["object"]["metadata"]["resourceVersion"]
                                .as_str()
                                .unwrap()
                                .parse()
                                .unwrap();
                            if rv > since || v["type"] == "BOOKMARK" {
                                let _ = w.write_all(format!("{e}\n").as_bytes()).await;
                            }
                        }
                        let _ = w.flush().await;
                        // Then quiet, as most of the time: no namespace
                        // changes, only the bookmarks the API server sends
                        // an open watch (about once a minute; here faster).
                        let bookmark = events.iter().rev().find(|e| e.contains("\"BOOKMARK\""));
                        for _ in 0..150 {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            if let Some(b) = bookmark
                                && w.write_all(format!("{b}\n").as_bytes()).await.is_err()
                            {
                                return;
                            }
                        }
                        return;
                    }
                    let pods_of = path
                        .strip_prefix("/api/v1/namespaces/")
                        .and_then(|p| p.strip_suffix("/pods"));
                    let (status, body) = if path == "/api/v1/namespaces" {
                        ("200 OK", list.clone())
                    } else if let Some(ns) = pods_of {
                        // The recorded pages of a pod list, the second asked
                        // for with the first's continue token; the recorded
                        // 403 for a namespace named "locked".
                        let recorded = |f: &str| std::fs::read_to_string(testdata(f)).unwrap();
                        if ns == "locked" {
                            let text = recorded("api/forbidden-403.txt");
                            let (body, _code) = text.trim_end().rsplit_once('\n').unwrap();
                            ("403 Forbidden", body.to_string())
                        } else if param("continue").is_some() {
                            ("200 OK", recorded("api/pods-page2.json"))
                        } else {
                            ("200 OK", recorded("api/pods-page1.json"))
                        }
                    } else if let Some(name) = path.strip_prefix("/api/v1/namespaces/") {
                        let l: Value = serde_json::from_str(&list).unwrap();
                        match l["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|n| n["metadata"]["name"] == name)
                        {
                            Some(ns) => ("200 OK", ns.to_string()),
                            None => (
                                "404 Not Found",
                                format!(
                                    "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"namespaces \\\"{name}\\\" not found\",\"reason\":\"NotFound\",\"details\":{{\"name\":\"{name}\",\"kind\":\"namespaces\"}},\"code\":404}}"
                                ),
                            ),
                        }
                    } else {
                        ("404 Not Found", "{}".to_string())
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if w.write_all(head.as_bytes()).await.is_err()
                        || w.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    ReplayServer { url, requests }
}

fn client(url: &str) -> kube::Client {
    rootlock_webhook::server::install_crypto_provider();
    let config = kube::Config::new(url.parse().unwrap());
    kube::Client::try_from(config).unwrap()
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn label(cache: &NamespaceCache, ns: &str, key: &str) -> Option<String> {
    cache.get(ns)?.metadata.labels.as_ref()?.get(key).cloned()
}

#[tokio::test]
async fn lists_then_watches_and_resumes_after_a_dropped_watch() {
    let replay = replay_server().await;
    let (cache, task) = NamespaceCache::start(client(&replay.url));
    until("the initial list", || cache.is_ready()).await;
    assert!(cache.get("shop").is_some() && cache.get("kube-system").is_some());
    // The first event arrived before the drop; the rest after resuming.
    until("the resumed watch", || cache.get("late").is_some()).await;
    assert_eq!(
        cache.names(),
        [
            "default",
            "kube-node-lease",
            "kube-public",
            "kube-system",
            "late",
            "shop"
        ]
    );
    assert_eq!(
        label(&cache, "default", "rootlock.dev/audit").as_deref(),
        Some("restricted")
    );
    until("the deletion mark", || {
        cache
            .get("late")
            .is_some_and(|n| n.metadata.deletion_timestamp.is_some())
    })
    .await;
    assert!(cache.age_seconds() < 10.0);
    let reqs = replay.requests.lock().unwrap().clone();
    let watches: Vec<&String> = reqs.iter().filter(|r| r.contains("watch=")).collect();
    assert!(watches.len() >= 2, "{reqs:?}");
    assert!(
        watches[0].contains("resourceVersion=215"),
        "first watch starts at the list's version: {reqs:?}"
    );
    assert!(
        watches[1].contains("resourceVersion=216"),
        "the second resumes after the last event seen: {reqs:?}"
    );
    assert_eq!(
        reqs.iter().filter(|r| !r.contains("watch=")).count(),
        1,
        "no relist: {reqs:?}"
    );
    task.abort();
}

/// `namespace_cache_age_seconds` is how long since the cache last heard
/// from the API server. Namespaces change rarely, and while none does a
/// healthy watch receives only bookmarks, which the watcher does not hand
/// on as events: counting events alone, the age of a current cache in a
/// quiet cluster grew without end, and an alert on a stale cache fired
/// (or was silenced) everywhere.
#[tokio::test]
async fn a_quiet_watch_that_receives_bookmarks_keeps_the_cache_age_low() {
    let replay = replay_server().await;
    let (cache, task) = NamespaceCache::start(client(&replay.url));
    until("the last event", || {
        cache
            .get("late")
            .is_some_and(|n| n.metadata.deletion_timestamp.is_some())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let age = cache.age_seconds();
    assert!(age < 0.8, "age {age} s while bookmarks arrive every 0.2 s");
    task.abort();
}

#[tokio::test]
async fn the_webhook_decides_from_the_watched_labels() {
    let replay = replay_server().await;
    let (cache, task) = NamespaceCache::start(client(&replay.url));
    let defaults =
        config("defaults:\n  enforce: privileged\n  warn: privileged\n  audit: privileged\n");
    let h = start_with(
        defaults,
        Namespaces::Cache(cache.clone()),
        None,
        Duration::from_secs(1),
    )
    .await;
    until("ready", || cache.is_ready()).await;
    assert_eq!(get_status(&h.client, h.url("/readyz")).await, 200);
    until("the audit label on default", || {
        label(&cache, "default", "rootlock.dev/audit").is_some()
    })
    .await;
    // 13: `kubectl run` in namespace default, now labelled audit=restricted.
    let r = h.recorded("13-pod-create").await;
    assert_eq!(r["allowed"], true);
    assert!(
        r["auditAnnotations"]["audit-violations"]
            .as_str()
            .unwrap()
            .starts_with("would violate PodSecurity \"restricted:latest\": "),
        "{r}"
    );
    assert!(r.get("warnings").is_none());
    // 05: `kubectl run` in shop, labelled enforce=immutable in the list.
    let r = h.recorded("05-pod-create").await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    assert_eq!(r["auditAnnotations"]["enforce-policy"], "immutable:latest");
    // A namespace the cache does not hold is looked up directly; a missing
    // one denies (fail closed) with an internal error, as PSA does.
    let ghost = variant("05-pod-create", "ghost-1", |r| {
        r["namespace"] = serde_json::json!("ghost")
    });
    let r = h.review("/validate", &ghost).await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 500);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("failed to lookup namespace \"ghost\""),
        "{r}"
    );
    // PSA's errorResponse: the audit `error` is the status message, then
    // the lookup's own error.
    assert_eq!(
        r["status"]["message"],
        "Internal error occurred: failed to lookup namespace \"ghost\""
    );
    assert_eq!(
        r["auditAnnotations"]["error"],
        "Internal error occurred: failed to lookup namespace \"ghost\": namespace \"ghost\" not found"
    );
    assert!(
        replay
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|q| q == "/api/v1/namespaces/ghost")
    );
    task.abort();
}

/// A webhook whose namespace cache watches an API server that accepts but
/// never answers: the cache never syncs, and every lookup waits. The task
/// and the listener are to be kept until the test ends.
async fn behind_a_silent_api() -> (Harness, tokio::task::JoinHandle<()>, TcpListener) {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (cache, task) = NamespaceCache::start(client(&url));
    let h = start_with(
        Default::default(),
        Namespaces::Cache(cache),
        None,
        Duration::from_secs(1),
    )
    .await;
    (h, task, silent)
}

#[tokio::test]
async fn readyz_waits_for_the_cache() {
    let (h, task, silent) = behind_a_silent_api().await;
    let r = h.client.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(get_status(&h.client, h.url("/healthz")).await, 200);
    task.abort();
    drop(silent);
}

/// A review that outlives its `?timeout=` (here: a namespace lookup the API
/// server never answers) fails closed for a pod, as PSA's lookup failure
/// does, but a pod controller is only ever warned and audited: it fails
/// open, with an `error` annotation, instead of being denied.
#[tokio::test]
async fn a_review_that_times_out_denies_a_pod_but_never_a_controller() {
    let (h, task, silent) = behind_a_silent_api().await;
    let deployment = recorded("03-deployment-create");
    let r = h.review("/validate?timeout=500ms", &deployment.body).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("status").is_none(), "{r}");
    assert!(
        r["auditAnnotations"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{r}"
    );
    let pod = recorded("05-pod-create");
    let r = h.review("/validate?timeout=500ms", &pod.body).await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["status"]["code"], 504, "{r}");
    assert_eq!(r["status"]["reason"], "Timeout", "{r}");
    task.abort();
    drop(silent);
}

/// A pod as the API lists it for the namespace dry-run: the recorded pods
/// with what a running pod also carries (managedFields, status, env), and
/// a controller reference on some.
fn heavy_listed_pods() -> Vec<Value> {
    let mut pods = Vec::new();
    for f in ["api/pods-page1.json", "api/pods-page2.json"] {
        let page: Value =
            serde_json::from_str(&std::fs::read_to_string(testdata(f)).unwrap()).unwrap();
        pods.extend(page["items"].as_array().unwrap().iter().cloned());
    }
    for (i, p) in pods.iter_mut().enumerate() {
        p["metadata"]["namespace"] = "shop".into();
        p["metadata"]["managedFields"] = serde_json::json!([{
            "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:containers": (0..60).map(|k| (format!("k:{{\"name\":\"c{k}\"}}"), serde_json::json!({".": {}, "f:image": {}, "f:name": {}}))).collect::<serde_json::Map<_, _>>()}}
        }]);
        p["status"] = serde_json::json!({"phase": "Running", "conditions": (0..8).map(|k| serde_json::json!({"type": format!("C{k}"), "status": "True", "lastTransitionTime": "2026-11-28T15:47:09Z"})).collect::<Vec<_>>()});
        for c in p["spec"]["containers"].as_array_mut().unwrap() {
            c["env"] = (0..40).map(|k| serde_json::json!({"name": format!("VARIABLE_{k}"), "value": "x".repeat(40)})).collect();
        }
        if i % 2 == 0 {
            p["metadata"]["ownerReferences"] = serde_json::json!([
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "not-the-controller"},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": format!("rs-{i}"), "controller": true}
            ]);
        }
    }
    pods
}

/// The dry-run of a stricter enforce label holds every pod it lists: as
/// a `serde_json::Value` a pod takes ~12 times its JSON (23 KB for the
/// 2 KB `kubectl run` pod), so a namespace of a few thousand running pods
/// (managedFields, status, env) came to hundreds of MiB in a pod limited
/// to 128 MiB. Only what decisions read is kept: the pod model the policy
/// reads (from the slim tree admission builds), the controller reference
/// that orders the pods and the runtime class that may exempt one. The
/// verdicts and the ordering must not change.
#[tokio::test]
async fn listed_pods_keep_only_what_the_dry_run_reads() {
    use rootlock_webhook::cache::{KubePodLister, PodLister};
    let served = heavy_listed_pods();
    let body = serde_json::json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "215"}, "items": served}).to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = body.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let answer = answer.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = w.write_all(head.as_bytes()).await;
                let _ = w.write_all(answer.as_bytes()).await;
            });
        }
    });
    let mut listed = Vec::new();
    KubePodLister(client(&url))
        .list("shop", &mut |p| listed.push(p))
        .await
        .unwrap();
    assert_eq!(listed.len(), served.len());
    for (l, s) in listed.iter().zip(&served) {
        let controller = s
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
            .map(|r| r["uid"].as_str().unwrap().to_string());
        assert_eq!(l.controller, controller);
        assert_eq!(
            l.runtime_class.as_deref(),
            s.pointer("/spec/runtimeClassName").and_then(Value::as_str)
        );
        assert_eq!(
            l.pod.as_ref().unwrap(),
            &rootlock_webhook::admit::pod_from_json(s).unwrap()
        );
    }
}

/// The dry-run lists a namespace's pods page by page, following the API
/// server's continue token (the recorded two-page list), and reads each
/// page as text into slim pods; an API error and a name that is not a
/// namespace name end the listing with an error, the latter before any
/// request (it goes into the request's path).
#[tokio::test]
async fn pods_are_listed_page_by_page_from_the_recorded_pages() {
    use rootlock_webhook::cache::{KubePodLister, PodLister};
    let server = replay_server().await;
    let lister = KubePodLister(client(&server.url));
    let mut names = Vec::new();
    lister
        .list("shop", &mut |p| names.push(p.pod.unwrap().name))
        .await
        .unwrap();
    let expected: Vec<String> = ["api/pods-page1.json", "api/pods-page2.json"]
        .iter()
        .flat_map(|f| {
            let page: Value =
                serde_json::from_str(&std::fs::read_to_string(testdata(f)).unwrap()).unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(names, expected);
    let page1: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("api/pods-page1.json")).unwrap())
            .unwrap();
    let token = page1["metadata"]["continue"].as_str().unwrap();
    assert_eq!(
        *server.requests.lock().unwrap(),
        [
            "/api/v1/namespaces/shop/pods?&limit=250".to_string(),
            format!("/api/v1/namespaces/shop/pods?&limit=250&continue={token}"),
        ]
    );

    let e = lister.list("locked", &mut |_| {}).await.unwrap_err();
    assert!(e.contains("pods is forbidden"), "{e}");
    let before = server.requests.lock().unwrap().len();
    for name in ["kube-system/pods/x", "../kube-system", "a?watch=1", ""] {
        let e = lister.list(name, &mut |_| {}).await.unwrap_err();
        assert!(e.contains("is not a namespace name"), "{name}: {e}");
    }
    assert_eq!(server.requests.lock().unwrap().len(), before);
}
