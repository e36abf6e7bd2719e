//! Shared test harness: the real server on 127.0.0.1:0 over real TLS with a
//! certificate from `rootlock webhook certs`' code, a real HTTPS client
//! trusting only the generated CA, and the recorded AdmissionReviews.
#![allow(dead_code)]

use rootlock_webhook::admit::Webhook;
use rootlock_webhook::cache::{Namespaces, PodLister};
use rootlock_webhook::certs;
use rootlock_webhook::config::Config;
use rootlock_webhook::metrics::Metrics;
use rootlock_webhook::server::{self, RunningServer, ServerOptions};
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/apiserver")
        .join(rel)
}

/// A recorded review: `{"path", "headers", "body"}`.
pub struct Recorded {
    pub path: String,
    pub content_type: String,
    pub body: Value,
}

pub fn recorded(name: &str) -> Recorded {
    let text = std::fs::read_to_string(testdata(&format!("admission/{name}.json"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    Recorded {
        path: v["path"].as_str().unwrap().to_string(),
        content_type: v["headers"]["Content-Type"].as_str().unwrap().to_string(),
        body: v["body"].clone(),
    }
}

pub struct Harness {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub server: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
}

pub fn client_trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .https_only(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The status code of a GET (the server answered at all, over TLS).
pub async fn get_status(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

pub fn generate_pair(dir: &std::path::Path) -> certs::Generated {
    let g = certs::generate(
        &["localhost".to_string()],
        &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
        30,
    )
    .unwrap();
    certs::write(dir, &g).unwrap();
    g
}

pub async fn start_with(
    config: Config,
    namespaces: Namespaces,
    lister: Option<Arc<dyn PodLister>>,
    reload: Duration,
) -> Harness {
    start_tuned(config, namespaces, lister, reload, |_| {}).await
}

/// [`start_with`], with the server options adjusted by `tune`.
pub async fn start_tuned(
    config: Config,
    namespaces: Namespaces,
    lister: Option<Arc<dyn PodLister>>,
    reload: Duration,
    tune: impl FnOnce(&mut ServerOptions),
) -> Harness {
    server::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let g = generate_pair(dir.path());
    let webhook = Arc::new(Webhook {
        config,
        namespaces,
        pod_lister: lister,
        metrics: Metrics::new(),
        dry_runs: Default::default(),
    });
    let mut opts = ServerOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
    );
    opts.reload_interval = reload;
    opts.shutdown_grace = Duration::from_secs(5);
    tune(&mut opts);
    let server = server::start(webhook, opts).await.unwrap();
    Harness {
        addr: server.local_addr,
        client: client_trusting(&g.ca_cert_pem),
        server: Some(server),
        dir,
        ca_pem: g.ca_cert_pem,
    }
}

pub async fn start(config: Config) -> Harness {
    start_with(config, Namespaces::Offline, None, Duration::from_secs(1)).await
}

pub fn config(yaml: &str) -> Config {
    Config::parse(yaml).unwrap()
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.addr, path)
    }

    /// POSTs a review and checks the answer is a valid AdmissionReview v1
    /// with the request's uid; returns `response`.
    pub async fn review(&self, path: &str, body: &Value) -> Value {
        let resp = self
            .client
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, */*")
            .header("User-Agent", "kube-apiserver-admission")
            .body(serde_json::to_vec(body).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(resp.headers()["content-type"], "application/json");
        let v: Value = resp.json().await.unwrap();
        check_review(&v, body);
        v["response"].clone()
    }

    /// The `/metrics` text (Prometheus 0.0.4, the default exposition).
    pub async fn metrics(&self) -> String {
        let r = self.client.get(self.url("/metrics")).send().await.unwrap();
        r.text().await.unwrap()
    }

    pub async fn recorded(&self, name: &str) -> Value {
        let r = recorded(name);
        self.review(&r.path, &r.body).await
    }
}

/// Every response: apiVersion/kind of AdmissionReview v1, the request's
/// uid, `allowed` a bool, and only the fields the API server knows.
pub fn check_review(v: &Value, request: &Value) {
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1", "{v}");
    assert_eq!(v["kind"], "AdmissionReview", "{v}");
    assert!(v.get("request").is_none());
    let r = &v["response"];
    assert_eq!(
        r["uid"], request["request"]["uid"],
        "uid must echo the request's"
    );
    assert!(r["allowed"].is_boolean());
    for key in r.as_object().unwrap().keys() {
        assert!(
            [
                "uid",
                "allowed",
                "status",
                "patch",
                "patchType",
                "auditAnnotations",
                "warnings"
            ]
            .contains(&key.as_str()),
            "unknown response field {key}"
        );
    }
    if let Some(a) = r.get("auditAnnotations") {
        for (k, v) in a.as_object().unwrap() {
            assert!(
                !k.contains('/'),
                "the API server drops annotation keys with '/': {k}"
            );
            assert!(v.is_string());
        }
    }
    if let Some(s) = r.get("status") {
        assert!(
            s["code"].is_u64() && s["message"].is_string() && s["status"] == "Failure",
            "{s}"
        );
    }
    if r.get("patch").is_some() {
        assert_eq!(r["patchType"], "JSONPatch");
    }
}

/// A variant of a recorded review: a new uid and an edit of the request.
pub fn variant(name: &str, uid: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = recorded(name).body;
    body["request"]["uid"] = Value::String(uid.to_string());
    edit(&mut body["request"]);
    body
}

/// A restricted-and-immutable container spec.
pub fn hardened_container(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "image": "nginx",
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": true,
            "runAsNonRoot": true,
            "seccompProfile": {"type": "RuntimeDefault"}
        }
    })
}

/// [`hardened_container`] that leaves `readOnlyRootFilesystem` unset: what
/// `/mutate` sets.
pub fn container_without_read_only_root(name: &str) -> Value {
    let mut c = hardened_container(name);
    if let Some(sc) = c["securityContext"].as_object_mut() {
        sc.remove("readOnlyRootFilesystem");
    }
    c
}

/// A raw TLS connection to the harness, offering `alpn`.
pub async fn raw_tls(
    h: &Harness,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    try_raw_tls(h, alpn, None).await.unwrap()
}

/// [`raw_tls`] with the socket's receive buffer set to `recv_buffer`
/// bytes (a client that does not read then leaves what it is sent with the
/// server), or the error that ended the handshake.
pub async fn try_raw_tls(
    h: &Harness,
    alpn: &[u8],
    recv_buffer: Option<u32>,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut h.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    let socket = tokio::net::TcpSocket::new_v4()?;
    if let Some(n) = recv_buffer {
        socket.set_recv_buffer_size(n)?;
    }
    let tcp = socket.connect(h.addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
}

/// The bytes of standard base64 (with padding), as the API server decodes
/// a response's `patch`.
pub fn decode_b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let n = chunk.iter().take_while(|c| **c != b'=').count();
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= u32::from(if *c == b'=' { 0 } else { val(*c) }) << (18 - 6 * i);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..n - 1]);
    }
    out
}

/// The JSONPatch of a `/mutate` response (none: empty), applied to `object`
/// by an RFC 6902 implementation, as the API server applies it (its
/// evanphx/json-patch, like this one, fails an `add` under a missing
/// parent): a patch that does not apply fails the pod's creation.
pub fn apply_patch(object: &mut Value, response: &Value) -> Vec<Value> {
    let Some(patch) = response.get("patch") else {
        return Vec::new();
    };
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let ops: Vec<Value> = serde_json::from_slice(&decode_b64(patch.as_str().unwrap())).unwrap();
    let parsed: json_patch::Patch = serde_json::from_value(Value::Array(ops.clone()))
        .unwrap_or_else(|e| panic!("not a JSONPatch: {e}: {ops:?}"));
    let before = object.clone();
    json_patch::patch(object, &parsed)
        .unwrap_or_else(|e| panic!("the patch does not apply: {e}\npatch: {ops:?}\nto: {before}"));
    ops
}
