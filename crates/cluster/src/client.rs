//! Connecting to the API server and turning every way a request can fail
//! into one specific sentence: who could not be reached, what was refused
//! and why.

use crate::args::ClusterArgs;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::fmt;
use std::time::Duration;

/// A request that failed, with what is needed to say so precisely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterError {
    /// The kubeconfig / in-cluster configuration could not be loaded.
    Config(String),
    Unreachable {
        url: String,
        detail: String,
    },
    Unauthorized {
        url: String,
        message: String,
    },
    Forbidden {
        verb: String,
        resource: String,
        /// `None`: across all namespaces (or a cluster-scoped resource).
        namespace: Option<String>,
        message: String,
    },
    Timeout {
        url: String,
        path: String,
        seconds: u64,
    },
    /// A continue token expired because the list changed too much (410).
    Expired {
        resource: String,
    },
    /// Any other non-success status.
    Status {
        url: String,
        path: String,
        code: u16,
        reason: String,
        message: String,
    },
    /// A success response that is not what a list response looks like.
    Decode {
        path: String,
        detail: String,
    },
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Config(m) => write!(f, "cannot load the Kubernetes configuration: {m}"),
            ClusterError::Unreachable { url, detail } => {
                write!(f, "cannot reach the API server at {url}: {detail}")
            }
            ClusterError::Unauthorized { url, message } => write!(
                f,
                "the API server at {url} rejected the credentials (401 Unauthorized: {message}); check the user of this kubeconfig context, or log in again"
            ),
            ClusterError::Forbidden {
                verb,
                resource,
                namespace,
                message,
            } => {
                let (scope, flag) = match namespace {
                    Some(ns) => (format!(" in namespace {ns:?}"), format!("-n {ns}")),
                    None if *verb == "list" => {
                        (" across all namespaces".to_string(), "-A".to_string())
                    }
                    None => (String::new(), String::new()),
                };
                let check = format!("kubectl auth can-i {verb} {resource} {flag}");
                write!(
                    f,
                    "forbidden: cannot {verb} {resource}{scope} (RBAC): {message}; check with `{}`",
                    check.trim_end()
                )
            }
            ClusterError::Timeout { url, path, seconds } => write!(
                f,
                "timed out after {seconds}s waiting for the API server at {url} (GET {path}); raise --request-timeout or check the server's load"
            ),
            ClusterError::Expired { resource } => write!(
                f,
                "listing {resource} took too long: the API server expired the continue token (410 Gone); run again, or raise --chunk-size (fewer, larger pages finish sooner)"
            ),
            ClusterError::Status {
                url,
                path,
                code,
                reason,
                message,
            } => {
                write!(f, "the API server at {url} answered GET {path} with {code}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ClusterError::Decode { path, detail } => {
                write!(f, "unexpected response to GET {path}: {detail}")
            }
        }
    }
}

impl std::error::Error for ClusterError {}

/// What a request is for, so a refusal can name the verb and resource.
#[derive(Debug, Clone, Copy)]
pub struct Purpose<'a> {
    pub verb: &'a str,
    /// `pods`, `replicasets.apps`, …
    pub resource: &'a str,
    /// `None`: across all namespaces.
    pub namespace: Option<&'a str>,
}

/// A connected client and the address it talks to.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    pub url: String,
    timeout: Duration,
}

/// Loads the configuration: an explicit kubeconfig file, else the usual
/// kubeconfig search, else the in-cluster service account.
pub async fn connect(args: &ClusterArgs) -> Result<Cluster, ClusterError> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = if let Some(path) = &args.kubeconfig {
        let kc = Kubeconfig::read_from(path)
            .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?;
        Config::from_custom_kubeconfig(kc, &options)
            .await
            .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?
    } else if args.context.is_some() {
        // A named context only exists in a kubeconfig: no in-cluster fallback.
        Config::from_kubeconfig(&options)
            .await
            .map_err(|e| ClusterError::Config(e.to_string()))?
    } else {
        Config::infer()
            .await
            .map_err(|e| ClusterError::Config(e.to_string()))?
    };
    let timeout = Duration::from_secs(args.request_timeout);
    let url = config.cluster_url.to_string();
    let url = url.trim_end_matches('/').to_string();
    let mut config = config;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    let client = Client::try_from(config).map_err(|e| ClusterError::Unreachable {
        url: url.clone(),
        detail: chain(&e),
    })?;
    Ok(Cluster {
        client,
        url,
        timeout,
    })
}

impl Cluster {
    /// GETs `path` (with its query) and returns the body of a 2xx answer.
    pub async fn get(&self, path: &str, purpose: Purpose<'_>) -> Result<String, ClusterError> {
        let request = http::Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| ClusterError::Decode {
                path: path.to_string(),
                detail: e.to_string(),
            })?;
        let answer = tokio::time::timeout(self.timeout, self.client.request_text(request)).await;
        match answer {
            Err(_) => Err(ClusterError::Timeout {
                url: self.url.clone(),
                path: path.to_string(),
                seconds: self.timeout.as_secs(),
            }),
            Ok(Ok(text)) => Ok(text),
            Ok(Err(e)) => Err(self.classify(e, path, purpose)),
        }
    }

    fn classify(&self, e: kube::Error, path: &str, purpose: Purpose<'_>) -> ClusterError {
        match e {
            kube::Error::Api(status) => match status.code {
                401 => ClusterError::Unauthorized {
                    url: self.url.clone(),
                    message: non_empty(&status.message, "Unauthorized"),
                },
                403 => ClusterError::Forbidden {
                    verb: purpose.verb.to_string(),
                    resource: purpose.resource.to_string(),
                    namespace: purpose.namespace.map(str::to_string),
                    message: non_empty(&status.message, "Forbidden"),
                },
                410 => ClusterError::Expired {
                    resource: purpose.resource.to_string(),
                },
                code => ClusterError::Status {
                    url: self.url.clone(),
                    path: path.to_string(),
                    code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                },
            },
            other => {
                let detail = chain(&other);
                if is_timeout(&other) {
                    ClusterError::Timeout {
                        url: self.url.clone(),
                        path: path.to_string(),
                        seconds: self.timeout.as_secs(),
                    }
                } else {
                    ClusterError::Unreachable {
                        url: self.url.clone(),
                        detail,
                    }
                }
            }
        }
    }
}

fn non_empty(s: &str, default: &str) -> String {
    if s.trim().is_empty() {
        default.to_string()
    } else {
        s.trim().to_string()
    }
}

/// The innermost causes say what happened ("Connection refused", "dns
/// error"); the outer layers only say which library noticed.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    // The last cause is the most specific; keep one outer one for context.
    match parts.len() {
        0 => "unknown error".into(),
        1 => parts.remove(0),
        n => parts[n - 1].clone(),
    }
}

fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        cur = err.source();
    }
    false
}
