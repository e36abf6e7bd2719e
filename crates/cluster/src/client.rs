//! Connecting to the API server and turning every way a request can fail
//! into one specific sentence: who could not be reached, what was refused
//! and why.

use crate::args::ClusterArgs;
use crate::terminal::Saved;
use http_body_util::BodyExt;
use kube::Client;
use kube::client::Body;
use rootlock_policy::format::shortened;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
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
    /// The kubeconfig user's credentials could not be had (an exec plugin
    /// that will not run, a token file that cannot be read).
    Credentials {
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
        /// The user's exec credential plugin: kube runs it again inside a
        /// request when its token is about to expire, so the wait may be
        /// the plugin's.
        plugin: Option<String>,
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
            ClusterError::Credentials { url, detail } => write!(
                f,
                "cannot get credentials for the API server at {url}: {detail}; check the user of this kubeconfig context"
            ),
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
            ClusterError::Timeout {
                url,
                path,
                seconds,
                plugin: None,
            } => write!(
                f,
                "timed out after {seconds}s waiting for the API server at {url} (GET {path}); raise --request-timeout or check the server's load"
            ),
            ClusterError::Timeout {
                url,
                path,
                seconds,
                plugin: Some(command),
            } => write!(
                f,
                "timed out after {seconds}s waiting for the API server at {url} (GET {path}), or for the credential plugin {command:?} (exec in the kubeconfig user), which is run again when its token is about to expire; raise --request-timeout, check the server's load, or run the plugin by hand to see what it waits for"
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
    /// The user's exec credential plugin, when it has one: its command and
    /// `installHint`, to name it when it cannot be run.
    plugin: Option<(String, Option<String>)>,
    /// The largest answer read ([`max_answer`]).
    max_answer: usize,
    /// The exec plugin is run with the terminal's stdin and stderr (any
    /// `interactiveMode` but `Never`, as kube decides), so it may prompt,
    /// again whenever its token is renewed.
    pub interactive_plugin: bool,
    /// Then, the terminal's settings from before it ran, put back if it
    /// is stopped ([`crate::terminal`]).
    terminal: Option<Arc<Saved>>,
}

/// What one object can take in an answer: etcd refuses to store more than
/// 1.5 MiB in one key, and its JSON is not much larger.
const MAX_OBJECT_BYTES: usize = 2 << 20;

/// Never more than this, whatever `--chunk-size`.
const MAX_ANSWER_BYTES: usize = 256 << 20;

/// The largest answer read for pages of `limit` items: without a bound, a
/// server (or a proxy) that streams a body without end within the
/// request timeout was read until memory ran out.
pub fn max_answer(limit: u32) -> usize {
    (limit as usize)
        .saturating_mul(MAX_OBJECT_BYTES)
        .min(MAX_ANSWER_BYTES)
}

/// Loads the configuration: an explicit kubeconfig file, else the usual
/// kubeconfig search, else the in-cluster service account.
pub async fn connect(args: &ClusterArgs) -> Result<Cluster, ClusterError> {
    let config = crate::kubeconfig::load(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        &crate::kubeconfig::Env::from_process(),
    )
    .await?;
    let timeout = Duration::from_secs(args.request_timeout);
    let url = config.cluster_url.to_string();
    let url = url.trim_end_matches('/').to_string();
    let plugin = config.auth_info.exec.as_ref().map(|e| {
        (
            e.command.clone().unwrap_or_default(),
            e.install_hint.clone(),
        )
    });
    let interactive_plugin = config
        .auth_info
        .exec
        .as_ref()
        .is_some_and(|e| e.interactive_mode != Some(kube::config::ExecInteractiveMode::Never));
    let terminal = interactive_plugin
        .then(Saved::of_controlling_terminal)
        .flatten()
        .map(Arc::new);
    let mut config = config;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    // kube's own retry layer waits up to 15 times with a backoff growing to
    // minutes inside one call, so a server answering 429 at once was
    // reported as a timeout after --request-timeout; `get` retries itself.
    config.default_retry = false;
    // kube runs an exec credential plugin while it builds the client, on
    // this thread and with no time limit: a plugin waiting for a login
    // that never comes (a browser flow, a prompt with no terminal) hung
    // the command forever. Built on the blocking pool, the wait is bounded;
    // a plugin still running then is stopped (`plugin_stop`).
    let built = tokio::time::timeout(
        timeout,
        tokio::task::spawn_blocking(move || Client::try_from(config)),
    )
    .await;
    let client = match built {
        Err(_) => {
            stop(plugin.as_ref(), terminal.as_ref()).await;
            return Err(too_slow(&url, plugin.as_ref(), timeout));
        }
        Ok(Err(join)) => {
            return Err(ClusterError::Unreachable {
                url: url.clone(),
                detail: format!("the client could not be built: {join}"),
            });
        }
        Ok(Ok(built)) => built,
    };
    let client = client.map_err(|e| {
        credentials(&e, &url, plugin.as_ref()).unwrap_or_else(|| ClusterError::Unreachable {
            url: url.clone(),
            detail: chain(&e),
        })
    })?;
    Ok(Cluster {
        client,
        url,
        timeout,
        plugin,
        max_answer: max_answer(args.chunk_size),
        interactive_plugin,
        terminal,
    })
}

/// Stops the exec plugin if it is still running (off the async workers:
/// it waits a moment for the plugin to end), and puts back the terminal's
/// settings it may have changed, if it was stopped.
async fn stop(plugin: Option<&(String, Option<String>)>, terminal: Option<&Arc<Saved>>) {
    if let Some((command, _)) = plugin {
        let command = command.clone();
        let terminal = terminal.cloned();
        let _ = tokio::task::spawn_blocking(move || {
            if crate::plugin_stop::stop_plugin(&command) > 0
                && let Some(terminal) = terminal
            {
                terminal.restore();
            }
        })
        .await;
    }
}

/// Building the client took longer than the request timeout: with an
/// exec plugin, it is the plugin that has not answered (kube runs nothing
/// else that can wait).
fn too_slow(
    url: &str,
    plugin: Option<&(String, Option<String>)>,
    timeout: Duration,
) -> ClusterError {
    let seconds = timeout.as_secs();
    match plugin {
        Some((command, _)) => ClusterError::Credentials {
            url: url.to_string(),
            detail: format!(
                "the credential plugin {command:?} (exec in the kubeconfig user) did not answer within {seconds}s (--request-timeout); run it by hand to see what it waits for (a login, a prompt)"
            ),
        },
        None => ClusterError::Unreachable {
            url: url.to_string(),
            detail: format!("the client could not be built within {seconds}s (--request-timeout)"),
        },
    }
}

impl Cluster {
    /// GETs `path` (with its query) and returns the body of a 2xx answer.
    /// An answer that asks to be retried ([`retry_delay`]) is retried a
    /// bounded number of times; each attempt has the full timeout.
    pub async fn get(&self, path: &str, purpose: Purpose<'_>) -> Result<String, ClusterError> {
        let mut retries = 0;
        loop {
            let request = http::Request::get(path)
                .header(http::header::ACCEPT, "application/json")
                .body(Body::from(Vec::new()))
                .map_err(|e| ClusterError::Decode {
                    path: path.to_string(),
                    detail: e.to_string(),
                })?;
            let answer = tokio::time::timeout(self.timeout, self.fetch(request)).await;
            if answer.is_err() {
                // kube may be running the plugin again to renew the token.
                stop(self.plugin.as_ref(), self.terminal.as_ref()).await;
            }
            return match answer {
                Err(_) => Err(ClusterError::Timeout {
                    url: self.url.clone(),
                    path: path.to_string(),
                    seconds: self.timeout.as_secs(),
                    plugin: self.plugin.as_ref().map(|(command, _)| command.clone()),
                }),
                Ok(Ok(a)) if a.too_large => Err(ClusterError::Decode {
                    path: path.to_string(),
                    detail: format!(
                        "the answer is larger than {} MiB, more than a page of --chunk-size items can be; if they are that large, lower --chunk-size",
                        self.max_answer >> 20
                    ),
                }),
                Ok(Ok(a)) if a.status.is_success() => {
                    String::from_utf8(a.body).map_err(|e| ClusterError::Decode {
                        path: path.to_string(),
                        detail: e.to_string(),
                    })
                }
                Ok(Ok(a)) => {
                    if retries < MAX_RETRIES
                        && let Some(delay) = retry_delay(a.status, a.retry_after, retries)
                    {
                        retries += 1;
                        tokio::time::sleep(delay.min(self.timeout)).await;
                        continue;
                    }
                    let mut e = self.refused(a.status, &a.body, path, purpose);
                    if let ClusterError::Status { message, .. } = &mut e
                        && retries > 0
                    {
                        message.push_str(&format!(" (after {retries} retries)"));
                    }
                    Err(e)
                }
                Ok(Err(e)) => Err(self.transport(e, path)),
            };
        }
    }

    /// The HTTP status and body, whatever the status. kube's own error
    /// handling is not used: it takes the code from a JSON body when one
    /// parses, and a proxy's JSON error (no `code` field) became "code 0",
    /// so a 403 was no longer recognised as a refusal.
    async fn fetch(&self, request: http::Request<Body>) -> Result<Answer, kube::Error> {
        let response = self.client.send(request).await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = response.into_body();
        // The frames are kept as they come and joined once at the end: a
        // buffer grown by doubling held up to three times the answer while
        // it moved (793 MB of RSS at the 256 MiB bound, now 322 MB).
        let mut frames = Vec::new();
        let mut length = 0;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue;
            };
            length += data.len();
            if length > self.max_answer {
                return Ok(Answer {
                    status,
                    retry_after,
                    body: Vec::new(),
                    too_large: true,
                });
            }
            frames.push(data);
        }
        let mut bytes = Vec::with_capacity(length);
        for data in frames {
            bytes.extend_from_slice(&data);
        }
        Ok(Answer {
            status,
            retry_after,
            body: bytes,
            too_large: false,
        })
    }

    /// A non-success answer, by its HTTP status; the message and reason
    /// come from the API server's Status body when there is one.
    fn refused(
        &self,
        status: http::StatusCode,
        body: &[u8],
        path: &str,
        purpose: Purpose<'_>,
    ) -> ClusterError {
        let (reason, message) = status_text(status, body);
        match status.as_u16() {
            401 => ClusterError::Unauthorized {
                url: self.url.clone(),
                message: non_empty(&message, "Unauthorized"),
            },
            403 => ClusterError::Forbidden {
                verb: purpose.verb.to_string(),
                resource: purpose.resource.to_string(),
                namespace: purpose.namespace.map(str::to_string),
                message: non_empty(&message, "Forbidden"),
            },
            // Only a page asked for with a continue token can find it
            // expired; a 410 on a first page keeps its own text.
            410 if path.contains("&continue=") => ClusterError::Expired {
                resource: purpose.resource.to_string(),
            },
            code => ClusterError::Status {
                url: self.url.clone(),
                path: path.to_string(),
                code,
                reason,
                message,
            },
        }
    }

    /// A request that got no HTTP answer (credentials, connection, TLS,
    /// timeout).
    fn transport(&self, e: kube::Error, path: &str) -> ClusterError {
        if let Some(refused) = credentials(&e, &self.url, self.plugin.as_ref()) {
            return refused;
        }
        if is_timeout(&e) {
            // The connection's own timeout (connect or read): the plugin
            // had answered, or the request would not have been sent.
            ClusterError::Timeout {
                url: self.url.clone(),
                path: path.to_string(),
                seconds: self.timeout.as_secs(),
                plugin: None,
            }
        } else {
            ClusterError::Unreachable {
                url: self.url.clone(),
                detail: chain(&e),
            }
        }
    }
}

/// One HTTP answer, whatever its status.
struct Answer {
    status: http::StatusCode,
    /// `Retry-After` in seconds (the only form the API server sends).
    retry_after: Option<u64>,
    body: Vec<u8>,
    /// The body was longer than the bound: not read to its end.
    too_large: bool,
}

/// Retries of one request the server asked to be retried (client-go makes
/// ten).
const MAX_RETRIES: u32 = 10;

/// Whether an answer asks to be sent again, and after how long: as
/// client-go does, any 5xx or 429 with `Retry-After` (API Priority and
/// Fairness sends 429 with it); and, as kube does, a 429, 503 or 504
/// without it, after a backoff doubling from 250 ms to at most 4 s.
fn retry_delay(
    status: http::StatusCode,
    retry_after: Option<u64>,
    retries: u32,
) -> Option<Duration> {
    let code = status.as_u16();
    match retry_after {
        Some(secs) if code == 429 || status.is_server_error() => Some(Duration::from_secs(secs)),
        None if matches!(code, 429 | 503 | 504) => {
            Some(Duration::from_millis(250u64 << retries.min(4)))
        }
        _ => None,
    }
}

/// The API server's `Status` fields that say why.
#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

/// Longest piece of a non-Status error body quoted in a message: a proxy's
/// HTML error page is kilobytes of markup.
const MAX_QUOTED: usize = 200;

/// `(reason, message)` of an error answer: the Status body's, or else the
/// HTTP reason phrase and the body itself, on one line and shortened.
fn status_text(status: http::StatusCode, body: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(body);
    if let Ok(s) = serde_json::from_str::<StatusBody>(&text)
        && s.kind == "Status"
    {
        return (
            shortened(&s.reason, MAX_STATUS_TEXT).into_owned(),
            shortened(&s.message, MAX_STATUS_TEXT).into_owned(),
        );
    }
    let reason = status.canonical_reason().unwrap_or_default().to_string();
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (reason, shortened(&line, MAX_QUOTED).into_owned())
}

/// Longest reason or message of a Status body quoted: the API server's are
/// a sentence or a few (an admission webhook's a few hundred characters),
/// but a server or proxy can send megabytes there, and the message was
/// printed whole.
const MAX_STATUS_TEXT: usize = 2000;

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

/// A failure to get the user's credentials (kube runs an exec plugin when
/// the client is built, and reads a token file at each request), said as
/// such and naming the plugin; `None` for any other error.
fn credentials(
    e: &kube::Error,
    url: &str,
    plugin: Option<&(String, Option<String>)>,
) -> Option<ClusterError> {
    let auth = auth_error(e)?;
    let detail = match (auth, plugin) {
        (kube::client::AuthError::AuthExecStart(io), Some((command, hint))) => {
            let mut d = format!(
                "the credential plugin {command:?} (exec in the kubeconfig user) could not be run: {io}"
            );
            if let Some(hint) = hint.as_deref().filter(|h| !h.trim().is_empty()) {
                d.push_str(&format!(" ({})", hint.trim()));
            }
            d
        }
        // kube's text quotes the whole environment and Output struct.
        (kube::client::AuthError::AuthExecRun { out, .. }, Some((command, _))) => {
            let said = String::from_utf8_lossy(&out.stderr);
            let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut d = format!(
                "the credential plugin {command:?} (exec in the kubeconfig user) failed ({})",
                out.status
            );
            if !said.is_empty() {
                d.push_str(&format!(": {said}"));
            }
            d
        }
        (auth, _) => auth.to_string(),
    };
    Some(ClusterError::Credentials {
        url: url.to_string(),
        detail,
    })
}

/// The credentials error somewhere in a request error's causes.
fn auth_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a kube::client::AuthError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(auth) = err.downcast_ref::<kube::client::AuthError>() {
            return Some(auth);
        }
        cur = err.source();
    }
    None
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
