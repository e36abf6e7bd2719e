//! Operations: certificate hot-reload and graceful shutdown, over real TLS.

mod common;

use common::*;
use futures::future::BoxFuture;
use rootlock_webhook::cache::{Namespaces, PodLister};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn certificate_is_reloaded_from_disk_without_restart() {
    let h = start_with(
        Default::default(),
        Namespaces::Offline,
        None,
        Duration::ZERO,
    )
    .await;
    assert_eq!(get_status(&h.client, h.url("/healthz")).await, 200);
    // Rotate: a new CA and serving pair written over the old files.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let g2 = generate_pair(h.dir.path());
    let new_client = client_trusting(&g2.ca_cert_pem);
    assert_eq!(get_status(&new_client, h.url("/healthz")).await, 200);
    // A fresh client that trusts only the old CA can no longer connect.
    let old_client = client_trusting(&h.ca_pem);
    assert!(old_client.get(h.url("/healthz")).send().await.is_err());
    // A broken pair on disk keeps the current one in service.
    std::fs::write(h.dir.path().join("tls.key"), "not a key").unwrap();
    let another = client_trusting(&g2.ca_cert_pem);
    assert_eq!(get_status(&another, h.url("/healthz")).await, 200);
}

struct SlowLister;

impl PodLister for SlowLister {
    fn list<'a>(&'a self, _ns: &'a str) -> BoxFuture<'a, Result<Vec<Value>, String>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let v: Value = serde_json::from_str(
                &std::fs::read_to_string(testdata("api/pods-page2.json")).unwrap(),
            )
            .unwrap();
            Ok(v["items"].as_array().unwrap().clone())
        })
    }
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_then_refuses_new_ones() {
    let mut h = start_with(
        config("defaults:\n  enforce: privileged\nnamespaceCheck:\n  timeoutSeconds: 3\n"),
        Namespaces::Offline,
        Some(Arc::new(SlowLister)),
        Duration::from_secs(1),
    )
    .await;
    let rec = recorded("11-namespace-update");
    let client = h.client.clone();
    let url = h.url(&rec.path);
    let body = serde_json::to_vec(&rec.body).unwrap();
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let server = h.server.take().unwrap();
    let addr = h.addr;
    let shutdown = tokio::spawn(server.shutdown());
    let resp = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    check_review(&v, &rec.body);
    assert_eq!(
        v["response"]["warnings"][1],
        "p3: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile, readOnlyRootFilesystem != true"
    );
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .unwrap()
        .unwrap();
    let fresh = client_trusting(&h.ca_pem);
    assert!(
        fresh
            .get(format!("https://{addr}/healthz"))
            .send()
            .await
            .is_err()
    );
}

#[test]
fn certs_command_writes_a_pair_for_the_service_names() {
    let dir = tempfile::tempdir().unwrap();
    let args = rootlock_webhook::certs::CertsArgs {
        out_dir: dir.path().to_str().unwrap().to_string(),
        service: "rootlock-webhook".into(),
        namespace: "rootlock-system".into(),
        dns: vec![],
        ip: vec![],
        days: 30,
    };
    assert_eq!(rootlock_webhook::certs::run(&args), 0);
    for f in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    rootlock_webhook::server::install_crypto_provider();
    rootlock_webhook::server::load_certified_key(
        &dir.path().join("tls.crt"),
        &dir.path().join("tls.key"),
    )
    .unwrap();
}
