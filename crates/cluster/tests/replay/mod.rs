//! A replay API server: HTTPS on loopback, answering with recorded real
//! kube-apiserver responses (`testdata/apiserver/api/`) or with pages
//! generated in the exact shape of those recordings (`generate`).
//!
//! It is not a mock of our client: it knows nothing of rootlock, only of
//! paths, query strings and the recorded bodies, and it is reached through
//! a real kubeconfig, real TLS (a CA made by rcgen) and kube-rs.

#![allow(dead_code)]

pub mod generate;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// What the server answers to one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
    /// Held back this long before answering (a slow server).
    pub delay: Duration,
    /// Extra response headers (`Retry-After` on a 429, …).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn ok(body: impl Into<Bytes>) -> Reply {
        Reply {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }

    /// A recorded error: `*.txt` holds the Status body, then the HTTP code
    /// on the last line.
    pub fn recorded_error(text: &str) -> Reply {
        let trimmed = text.trim_end();
        let (body, code) = trimmed.rsplit_once('\n').expect("body then code");
        Reply {
            status: code.trim().parse().expect("status code"),
            body: Bytes::from(body.trim_end().to_string()),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

pub struct ReplayServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

/// The recorded files, read from the repository copy.
pub fn testdata(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/apiserver/api")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tls() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "rootlock replay CA");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (config, ca.pem())
}

impl ReplayServer {
    /// Starts serving on 127.0.0.1 (port `port`, 0 for any) on its own thread.
    pub fn start_on(port: u16, handler: Handler) -> ReplayServer {
        let (config, ca_pem) = tls();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind loopback");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let acceptor = acceptor.clone();
                    let handler = handler.clone();
                    let seen = seen2.clone();
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                            let handler = handler.clone();
                            let seen = seen.clone();
                            async move {
                                let path = req
                                    .uri()
                                    .path_and_query()
                                    .map(|p| p.as_str().to_string())
                                    .unwrap_or_default();
                                let authorization = req
                                    .headers()
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_string);
                                seen.lock().expect("seen").push(Seen {
                                    path: path.clone(),
                                    authorization,
                                });
                                let reply = handler(&path);
                                if !reply.delay.is_zero() {
                                    tokio::time::sleep(reply.delay).await;
                                }
                                let mut response = Response::builder()
                                    .status(reply.status)
                                    .header("content-type", "application/json");
                                for (name, value) in &reply.headers {
                                    response = response.header(*name, value);
                                }
                                Ok::<_, std::convert::Infallible>(
                                    response.body(Full::new(reply.body)).expect("response"),
                                )
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    });
                }
            });
        });
        ReplayServer { addr, ca_pem, seen }
    }

    pub fn start(handler: Handler) -> ReplayServer {
        Self::start_on(0, handler)
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Writes a kubeconfig with two contexts: `replay` (this server, the
    /// current context unless `current` says otherwise) and `elsewhere`
    /// (a loopback port nothing listens on).
    pub fn kubeconfig(&self, dir: &Path, current: &str) -> PathBuf {
        let ca = dir.join("replay-ca.pem");
        std::fs::write(&ca, &self.ca_pem).expect("write ca");
        let text = format!(
            r#"apiVersion: v1
kind: Config
clusters:
- name: replay
  cluster:
    server: {url}
    certificate-authority: {ca}
- name: elsewhere
  cluster:
    server: https://127.0.0.1:9
    certificate-authority: {ca}
users:
- name: replay-user
  user:
    token: replay-token
contexts:
- name: replay
  context:
    cluster: replay
    user: replay-user
- name: elsewhere
  context:
    cluster: elsewhere
    user: replay-user
current-context: {current}
"#,
            url = self.url(),
            ca = ca.display(),
        );
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }

    pub fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }
}

/// An empty list of `kind`, as the API server sends one.
pub fn empty_list(kind: &str, api_version: &str) -> String {
    format!(
        r#"{{"kind":"{kind}List","apiVersion":"{api_version}","metadata":{{"resourceVersion":"215"}},"items":[]}}"#
    )
}

/// The empty list for any controller list path, or `None`.
pub fn empty_controller_list(path: &str) -> Option<String> {
    let p = path.split('?').next().unwrap_or(path);
    let resource = p.rsplit('/').next().unwrap_or("");
    let (kind, api) = match resource {
        "deployments" => ("Deployment", "apps/v1"),
        "replicasets" => ("ReplicaSet", "apps/v1"),
        "statefulsets" => ("StatefulSet", "apps/v1"),
        "daemonsets" => ("DaemonSet", "apps/v1"),
        "jobs" => ("Job", "batch/v1"),
        "cronjobs" => ("CronJob", "batch/v1"),
        "replicationcontrollers" => ("ReplicationController", "v1"),
        _ => return None,
    };
    Some(empty_list(kind, api))
}

/// The query parameter `key` of a path, percent-decoded.
pub fn query(path: &str, key: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| decode(v))
    })
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&v[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
