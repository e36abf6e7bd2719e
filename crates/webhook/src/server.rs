//! The HTTPS server: rustls with a certificate re-read from disk when it
//! changes, HTTP/1.1 and HTTP/2 keep-alive (hyper), axum routes, a request
//! body limit, a per-request deadline (the API server's `?timeout=` bounded
//! by the config) and graceful shutdown that drains in-flight requests.
//!
//! Bounded against clients that hold resources without finishing a request
//! (anyone in the cluster can reach the Service, and the pod has 128 MiB):
//! at most [`MAX_CONNECTIONS`] connections; a connection on which no
//! request begins for [`IDLE_TIMEOUT`] is closed; a request body must
//! arrive within the request's deadline; and request bodies being read
//! share [`BODY_BUDGET`] bytes, counted as they arrive
//! ([`crate::body_budget`]); answers not yet sent share
//! [`crate::outbox::ANSWER_BUDGET`] bytes, and a connection that leaves one
//! untaken for [`crate::outbox::ANSWER_STALL`] is dropped
//! ([`crate::outbox`]); at most [`MAX_REVIEWS`] reviews are being answered
//! at once (an HTTP/2 stream that sent only its headers is one).

use crate::admit::{Call, Webhook};
use crate::body_budget::BodyError;
use crate::metrics_format::Exposition;
use crate::outbox::Outbox;
use crate::review::{self, AdmissionResponse, Status};
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::util::ServiceExt;

/// Connections served at once; further ones are closed on accept. The API
/// server needs a handful (HTTP/2 multiplexes); each idle TLS connection
/// costs about 25 KB.
pub const MAX_CONNECTIONS: usize = 1024;
/// A connection on which no request has begun for this long is closed
/// (see [`crate::idle`]). The
/// longest request deadline is 30 s, so no live request is cut; and the
/// API server's transport closes its own idle connections at 90 s, so it
/// is the one to close a kept-alive connection, never racing a request it
/// sends as the server closes (a lost POST, and with `failurePolicy:
/// Fail` a refused pod).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// An HTTP/1.1 connection's first request head must have arrived this long
/// after the handshake. Later heads are bounded by the idle timeout
/// instead: hyper's header timeout also runs while a kept-alive connection
/// waits for its next request, and at 10 s it closed the API server's idle
/// connections long before the client would (Go keeps them 90 s), so a
/// POST sent as one closed was lost.
pub const FIRST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The kernel's send buffer of each connection (it doubles the figure for
/// its bookkeeping). Left to itself it grows to 4 MiB for a peer that does
/// not read: 200 connections that never read their 1.5 MB answers held
/// them all in the kernel, which charges socket buffers to the pod's
/// memory. Capped, an unread answer waits in the budgeted allocation
/// ([`crate::outbox`]) instead; the usual answer is under 1 KB.
pub const SEND_BUFFER: usize = 32 * 1024;
/// The kernel's receive buffer of each connection (doubled likewise). Left
/// to itself Linux grows it while the server reads fast (a large review)
/// to 1 MiB and more (`tcp_rmem`), and keeps it: a client that then sends
/// what the server does not read (requests pipelined behind answers it
/// does not take) left that much per connection in the kernel, charged to
/// the pod, until the idle timeout. 64 KiB still carries 7 MiB in
/// milliseconds on a cluster network.
pub const RECV_BUFFER: usize = 64 * 1024;
/// What rustls holds encrypted for a connection before the kernel takes
/// it: about one TLS record (16 KiB), not rustls' default 64 KiB.
pub const TLS_SEND_BUFFER: usize = 16 * 1024 + 512;
/// Reviews being answered at once (body read, then review), over all
/// connections; one more is answered 503 at once. Each HTTP/2 stream that
/// has sent its headers costs a request and a task whether or not its body
/// ever comes, and a connection may open 256: 64 connections of 256
/// streams that sent headers and nothing else held 115 MB, 16 of 256 with
/// 15 KB of headers each 168 MB. Capped, such streams hold a few MB; the
/// API server has far fewer in flight (a review takes milliseconds).
pub const MAX_REVIEWS: usize = 2048;
/// The largest HTTP/2 header list a request may carry (names, values and
/// 32 bytes a field, as HTTP/2 counts them). With 15 KB of headers a
/// stream, 2,048 streams waiting for their bodies peaked at 99-111 MB.
pub const MAX_HEADER_LIST: u32 = 8 * 1024;
/// Bytes of request bodies being received at once, over all connections:
/// a slow sender holds its share only until its request's deadline.
pub const BODY_BUDGET: usize = 32 << 20;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// How often, at most, the certificate files are checked for changes.
    pub reload_interval: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// See [`IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`BODY_BUDGET`].
    pub body_budget: usize,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`crate::outbox::ANSWER_BUDGET`].
    pub answer_budget: usize,
    /// See [`crate::outbox::ANSWER_STALL`].
    pub answer_stall: Duration,
    /// See [`MAX_REVIEWS`].
    pub max_reviews: usize,
}

impl ServerOptions {
    pub fn new(
        listen: SocketAddr,
        tls_cert: impl Into<PathBuf>,
        tls_key: impl Into<PathBuf>,
    ) -> Self {
        ServerOptions {
            listen,
            tls_cert: tls_cert.into(),
            tls_key: tls_key.into(),
            reload_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(25),
            idle_timeout: IDLE_TIMEOUT,
            body_budget: BODY_BUDGET,
            max_connections: MAX_CONNECTIONS,
            answer_budget: crate::outbox::ANSWER_BUDGET,
            answer_stall: crate::outbox::ANSWER_STALL,
            max_reviews: MAX_REVIEWS,
        }
    }
}

pub use crate::serving_cert::{ReloadingCert, install_crypto_provider, load_certified_key};

struct App {
    webhook: Arc<Webhook>,
    /// The serving certificate, for `/readyz` and the expiry gauge.
    cert: Arc<ReloadingCert>,
    shutting_down: AtomicBool,
    /// [`ServerOptions::body_budget`], in bytes.
    bodies: crate::body_budget::Budget,
    /// [`ServerOptions::answer_budget`], in bytes.
    answers: crate::outbox::Budget,
    /// [`ServerOptions::max_reviews`] permits.
    reviews: tokio::sync::Semaphore,
}

/// A server running on the current tokio runtime.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, drains in-flight requests (up to the grace period)
    /// and returns when done.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Waits for the server to end (after a signal or [`Self::shutdown`]).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// A handle that shuts the server down from elsewhere (a signal).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            app: self.app.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

/// Shuts a [`RunningServer`] down in two steps. The kubelet sends SIGTERM
/// and removes the pod's endpoint at the same time, and the endpoint's
/// removal takes a while to reach the API server's path to the webhook:
/// closing the listener at once refuses the requests still routed here
/// (and with `failurePolicy: Fail` their pods). So first [`Self::unready`],
/// while everything is still served, then [`Self::stop`].
#[derive(Clone)]
pub struct ShutdownHandle {
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
}

impl ShutdownHandle {
    /// `/readyz` answers 503 from now on; every request is still served.
    pub fn unready(&self) {
        self.app.shutting_down.store(true, Ordering::Release);
    }

    /// Stops accepting connections and drains the open ones.
    pub fn stop(&self) {
        self.unready();
        let _ = self.shutdown.send(true);
    }
}

/// Binds, and serves in a background task.
pub async fn start(webhook: Arc<Webhook>, opts: ServerOptions) -> Result<RunningServer, String> {
    install_crypto_provider();
    let resolver = Arc::new(ReloadingCert::new(
        opts.tls_cert.clone(),
        opts.tls_key.clone(),
        opts.reload_interval,
    )?);
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_cert_resolver(resolver.clone());
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let listener = crate::listen::bind(opts.listen)?;
    let local_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = Arc::new(App {
        webhook,
        cert: resolver,
        shutting_down: AtomicBool::new(false),
        bodies: crate::body_budget::Budget::new(opts.body_budget),
        answers: crate::outbox::Budget::new(opts.answer_budget),
        reviews: tokio::sync::Semaphore::new(opts.max_reviews.max(1)),
    });
    let max_connections = opts.max_connections.max(1);
    let connections = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let router = router(app.clone());
    let app_handle = app.clone();
    let (tx, mut rx) = watch::channel(false);
    let grace = opts.shutdown_grace;
    let idle_timeout = opts.idle_timeout;
    let answer_stall = opts.answer_stall;
    let task = tokio::spawn(async move {
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // Every head, a kept-alive connection's wait for its next one
            // included; the first has FIRST_HEAD_TIMEOUT (below).
            .header_read_timeout(idle_timeout)
            // One buffer per response: one TLS record, one write.
            .writev(false)
            // The largest frame a body reads before the budget counts it
            // (see body_budget), and the largest request head: 16 KiB, not
            // hyper's ~400 KiB. The API server's headers are < 1 KiB. At
            // 64 KiB, 1,000 connections that each sent 60 KB of an
            // unfinished head held 92 MB until the header timeout.
            .max_buf_size(16 * 1024)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            // HTTP/2's own default windows (64 KiB), not hyper's 1 MiB: the
            // peer may send that much whether or not it is read, per
            // connection, before the body budget sees a byte.
            .initial_stream_window_size(65_535)
            .initial_connection_window_size(65_535)
            .max_concurrent_streams(256)
            // A stream's headers are held while its review waits for a
            // body (up to MAX_REVIEWS of them): 8 KiB, not hyper's 16 KiB.
            // The API server's are under 1 KiB.
            .max_header_list_size(MAX_HEADER_LIST);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    };
                    let Ok(slot) = connections.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, "connection limit ({max_connections}) reached: closing a new connection");
                        continue;
                    };
                    let _ = tcp.set_nodelay(true);
                    let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(SEND_BUFFER);
                    let _ = socket2::SockRef::from(&tcp).set_recv_buffer_size(RECV_BUFFER);
                    let acceptor = acceptor.clone();
                    let router = router.clone();
                    let builder = builder.clone();
                    let mut stop = rx.clone();
                    tokio::spawn(async move {
                        let _slot = slot;
                        let mut tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        };
                        // The protocol is the one ALPN agreed on: sniffing
                        // it from the first bytes would wait for them with
                        // no timeout.
                        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                        tls.get_mut().1.set_buffer_limit(Some(TLS_SEND_BUFFER));
                        let builder = if h2 { builder.http2_only() } else { builder.http1_only() };
                        // Every request carries its connection's outbox, in
                        // which its answer waits to be taken.
                        let outbox = Arc::new(Outbox::default());
                        let last_request = Arc::new(crate::idle::LastRequest::new());
                        let first_head_by = tokio::time::Instant::now() + FIRST_HEAD_TIMEOUT;
                        let service = {
                            let (outbox, last_request) = (outbox.clone(), last_request.clone());
                            router.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                                last_request.begun();
                                req.extensions_mut().insert(outbox.clone());
                                req
                            })
                        };
                        let conn = builder.serve_connection(TokioIo::new(tls), TowerToHyperService::new(service));
                        let mut conn = std::pin::pin!(conn);
                        // Idle or shutting down: close gracefully (HTTP/2
                        // GOAWAY, so the API server opens a new connection
                        // rather than losing a request sent at that very
                        // moment), then for good if the peer lingers.
                        let mut closing: Option<tokio::time::Instant> = None;
                        if *stop.borrow_and_update() {
                            conn.as_mut().graceful_shutdown();
                            closing = Some(tokio::time::Instant::now());
                        }
                        loop {
                            tokio::select! {
                                r = conn.as_mut() => {
                                    if let Err(e) = r {
                                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                                    }
                                    break;
                                }
                                _ = last_request.idle_for(idle_timeout), if closing.is_none() => {
                                    tracing::debug!(%peer, "idle connection: closing");
                                    conn.as_mut().graceful_shutdown();
                                    closing = Some(tokio::time::Instant::now());
                                }
                                _ = tokio::time::sleep_until(first_head_by), if !h2 && closing.is_none() && !last_request.any() => {
                                    // A head may have arrived while this waited.
                                    if !last_request.any() {
                                        tracing::debug!(%peer, "no request head within {FIRST_HEAD_TIMEOUT:?}: connection dropped");
                                        break;
                                    }
                                }
                                _ = outbox.stalled_for(answer_stall) => {
                                    // Not gracefully: the peer takes nothing.
                                    tracing::debug!(%peer, "an answer waited {answer_stall:?} untaken: connection dropped");
                                    break;
                                }
                                _ = stop.changed(), if closing.is_none() => {
                                    conn.as_mut().graceful_shutdown();
                                    closing = Some(tokio::time::Instant::now());
                                }
                                _ = tokio::time::sleep_until(closing.map_or_else(tokio::time::Instant::now, |t| t + grace)), if closing.is_some() => {
                                    tracing::debug!(%peer, "connection did not close in time: dropped");
                                    break;
                                }
                            }
                        }
                    });
                }
                _ = rx.changed() => break,
            }
        }
        drop(listener);
        app.shutting_down.store(true, Ordering::Release);
        tracing::info!("shutting down: draining in-flight requests");
        // Every connection task holds a slot until its connection is gone.
        let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
        tokio::select! {
            _ = connections.acquire_many(all) => tracing::info!("all connections closed"),
            _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
        }
    });
    Ok(RunningServer {
        local_addr,
        app: app_handle,
        shutdown: tx,
        task,
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/validate", post(review_route::<false>))
        .route("/mutate", post(review_route::<true>))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found: rootlock serves POST /validate, POST /mutate, GET /healthz, /readyz, /metrics\n") })
        .layer(axum::middleware::map_response_with_state(
            app.clone(),
            close_when_unready,
        ))
        .with_state(app)
}

/// Once shutdown has begun, every answer retires its HTTP/1.1 connection.
/// The API server keeps its connections to the webhook alive, and the
/// endpoint's removal only steers new ones away: a connection still open
/// when the listener closes loses a request sent at that moment (a POST is
/// not retried), so during `--shutdown-delay` each connection is closed
/// after the answer it carries, and the next request opens a new one to a
/// ready endpoint. HTTP/2 needs nothing: hyper drops the header there,
/// and the closing GOAWAY tells the client which streams to retry.
async fn close_when_unready(State(app): State<Arc<App>>, mut response: Response) -> Response {
    if app.shutting_down.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.shutting_down.load(Ordering::Acquire) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else if let Some(why) = {
        app.cert.maybe_reload();
        app.cert.not_valid_now()
    } {
        // Every client refuses this certificate: an endpoint that fails
        // every handshake is not ready (and a rollout that brings one
        // stops there instead of replacing the pods that still serve).
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("serving certificate not valid: {why}"),
        )
    } else if app.webhook.namespaces.is_ready() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "namespace cache not synced\n",
        )
            .into_response()
    }
}

async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let how = Exposition::negotiate(accept);
    let ns = &app.webhook.namespaces;
    let text = app.webhook.metrics.render(
        &crate::metrics::Readings {
            cache_age_seconds: ns.age_seconds(),
            cache_ready: ns.is_ready(),
            log_lines_dropped: crate::logging::dropped_lines(),
            certificate_not_after: app.cert.not_after_unix(),
        },
        how,
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(how.content_type()),
        )],
        text,
    )
        .into_response()
}

fn plain(code: StatusCode, msg: String) -> Response {
    (
        code,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        msg + "\n",
    )
        .into_response()
}

/// Go's `time.ParseDuration` for the forms the API server sends (`5s`,
/// `30s`, `1m`, `500ms`, `1m30s`).
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (num, tail) = rest.split_at(num_end);
        let n: f64 = num.parse().ok()?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let secs = match unit {
            "ns" => n / 1e9,
            "us" | "µs" => n / 1e6,
            "ms" => n / 1e3,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => return None,
        };
        // `?timeout=` comes from whoever reaches the Service, not only the
        // API server: a sum past Duration's range is no duration (`+=`
        // would panic and drop the connection), as in Go's ParseDuration.
        total = total.checked_add(Duration::try_from_secs_f64(secs).ok()?)?;
        rest = tail;
    }
    Some(total)
}

/// How long the webhook takes at most for a request whose `?timeout=` is
/// `timeout`. The API server rounds the time it has left up to whole
/// seconds when it writes `?timeout=` (`5s` can mean 4.01 s), so a review
/// answered at `timeout` may come after it gave up, and its failurePolicy,
/// not the webhook's own answer for a review that ran out of time (deny a
/// pod, allow a controller with an audit note), would decide. A second
/// less, or half of a shorter timeout, answers within the API server's
/// time.
fn answer_within(timeout: Duration) -> Duration {
    const ROUNDING: Duration = Duration::from_secs(1);
    if timeout > 2 * ROUNDING {
        timeout - ROUNDING
    } else {
        timeout / 2
    }
}

fn timeout_from_query(uri: &Uri) -> Option<Duration> {
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("timeout="))
        .and_then(parse_go_duration)
}

/// `POST /validate`, or with `MUTATE` `POST /mutate`: the answer, counted
/// in the metrics by path and status.
async fn review_route<const MUTATE: bool>(
    State(app): State<Arc<App>>,
    outbox: Option<Extension<Arc<Outbox>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = if MUTATE { "/mutate" } else { "/validate" };
    let outbox = outbox.map(|Extension(o)| o);
    let start = Instant::now();
    let wh = &app.webhook;
    let (code, response) = answer(&app, path, outbox, &uri, &headers, body, start).await;
    wh.metrics
        .request(path, code.as_u16(), start.elapsed().as_secs_f64());
    response
}

async fn answer(
    app: &App,
    path: &'static str,
    outbox: Option<Arc<Outbox>>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    start: Instant,
) -> (StatusCode, Response) {
    let wh = &app.webhook;
    // Held until the answer is made; the answer budget counts it then.
    let Ok(_slot) = app.reviews.try_acquire() else {
        let code = StatusCode::SERVICE_UNAVAILABLE;
        return (
            code,
            plain(
                code,
                "too many reviews are being answered at once; retry".into(),
            ),
        );
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        let code = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return (
            code,
            plain(
                code,
                format!(
                    "unsupported Content-Type {ct:?}: an AdmissionReview must be sent as application/json"
                ),
            ),
        );
    }
    let limit = wh.config.max_body_bytes;
    let too_big = || {
        let code = StatusCode::BAD_REQUEST;
        let mut response = plain(
            code,
            format!("request body too large: the limit is {limit} bytes"),
        );
        // The rest of the body is not read, so this HTTP/1.1 connection
        // cannot carry another request: say so, rather than let the client
        // find a reset (hyper drops the header on HTTP/2, where it is not
        // allowed and the stream alone ends).
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        (code, response)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_big();
    }
    // The request's deadline covers reading its body: a client that sends
    // it slowly, or never finishes it, is answered 408 and let go.
    let budget = answer_within(
        timeout_from_query(uri)
            .unwrap_or(wh.config.request_timeout)
            .min(wh.config.request_timeout),
    );
    let deadline = tokio::time::Instant::from_std(start + budget);
    let late = || {
        let code = StatusCode::REQUEST_TIMEOUT;
        (
            code,
            plain(
                code,
                format!(
                    "the request body did not arrive within {} ms",
                    budget.as_millis()
                ),
            ),
        )
    };
    let bytes = match crate::body_budget::read(body, limit, &app.bodies, deadline).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_big(),
        Err(BodyError::Late) => return late(),
        Err(BodyError::Busy) => {
            let code = StatusCode::SERVICE_UNAVAILABLE;
            return (
                code,
                plain(
                    code,
                    "too many request bodies are being received at once; retry".into(),
                ),
            );
        }
        Err(BodyError::Read(e)) => {
            let code = StatusCode::BAD_REQUEST;
            return (
                code,
                plain(code, format!("could not read the request body: {e}")),
            );
        }
    };
    let made = review_body(wh, path, &bytes, start + budget).await;
    // The request's bytes are not needed while its answer waits to be sent.
    drop(bytes);
    match made.map(|body| app.answers.answer(body, outbox)) {
        Ok(Ok(body)) => (
            StatusCode::OK,
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                Body::new(body),
            )
                .into_response(),
        ),
        Ok(Err(crate::outbox::Full)) => {
            let code = StatusCode::SERVICE_UNAVAILABLE;
            tracing::warn!(path, "answer budget full: answered 503");
            (
                code,
                plain(
                    code,
                    "too many answers are waiting to be sent; retry".into(),
                ),
            )
        }
        Err(msg) => {
            let code = StatusCode::BAD_REQUEST;
            tracing::warn!(path, error = %msg, "bad request");
            (code, plain(code, msg))
        }
    }
}

/// One AdmissionReview body in, the response AdmissionReview out, without
/// HTTP: what `/validate` (or `/mutate`, by `path`) does once the body is
/// read. `Err` is a request that is not an AdmissionReview (HTTP 400).
/// Public so the benchmark in `benches/` measures exactly this path.
pub async fn review_body(
    wh: &Webhook,
    path: &str,
    bytes: &[u8],
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    let req = review::parse(bytes)?;
    let call = Call {
        req: &req,
        deadline,
    };
    let fut = async {
        if path == "/mutate" {
            crate::mutate::mutate(wh, &call).await
        } else {
            crate::validate(wh, &call).await
        }
    };
    let resp = match tokio::time::timeout_at(deadline.into(), fut).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(uid = %req.uid, "request timed out");
            const TIMED_OUT: &str = "rootlock webhook timed out evaluating the request";
            let r = &req.resource;
            if path == "/mutate" {
                AdmissionResponse::allow()
            } else if r.group.is_empty() && r.resource == "pods" {
                // Pods are enforced: fail closed, as a failed namespace
                // lookup does.
                // 504, as the API server's own NewTimeoutError answers.
                AdmissionResponse::deny(Status::failure(504, "Timeout", TIMED_OUT.into()))
            } else {
                // Pod controllers are only warned and audited, and a
                // namespace is never refused for its pods: fail open, with
                // the reason in the audit log, as their own errors do.
                let mut allowed = AdmissionResponse::allow();
                allowed
                    .audit_annotations
                    .insert("error".into(), TIMED_OUT.into());
                allowed
            }
        }
    };
    if !resp.allowed {
        // Each string bounded: a log line waits in a queue of its own
        // (crate::logging), which must not hold megabytes.
        use crate::logging::{MAX_LOGGED_FIELD, MAX_LOGGED_MESSAGE};
        use rootlock_policy::format::shortened;
        let message = resp.status.as_ref().map_or("", |s| s.message.as_str());
        tracing::info!(
            uid = %shortened(&req.uid, MAX_LOGGED_FIELD),
            kind = %shortened(&req.kind.kind, MAX_LOGGED_FIELD),
            namespace = %shortened(req.namespace(), MAX_LOGGED_FIELD),
            name = %shortened(req.name(), MAX_LOGGED_FIELD),
            user = %shortened(&req.user_info.username, MAX_LOGGED_FIELD),
            message = %shortened(message, MAX_LOGGED_MESSAGE),
            "denied"
        );
    } else {
        tracing::debug!(uid = %req.uid, kind = %req.kind.kind, namespace = req.namespace(), name = req.name(), warnings = resp.warnings.len(), "allowed");
    }
    Ok(resp.into_review(&req.uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API server's transport (Go's, as client-go sets it up) keeps an
    /// idle connection 90 s. A server that closes it sooner races the
    /// client's next request: an HTTP/1.1 POST sent as the connection
    /// closes is lost (Go retries no POST that met a closing connection),
    /// and with `failurePolicy: Fail` so is its pod. At 60 s every
    /// connection idle for 60-90 s took that chance.
    #[test]
    fn idle_connections_outlast_the_api_servers_own_idle_timeout() {
        const GO_IDLE_CONN_TIMEOUT: Duration = Duration::from_secs(90);
        let o = ServerOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)), "c", "k");
        assert!(
            o.idle_timeout > GO_IDLE_CONN_TIMEOUT,
            "{:?}",
            o.idle_timeout
        );
    }

    /// The API server writes `?timeout=5s` for anything from 4.01 s to
    /// 5 s left: the webhook answers a second earlier, or at half of a
    /// timeout of two seconds or less.
    #[test]
    fn the_webhook_answers_before_the_api_server_gives_up() {
        for (asked, expected) in [
            (5_000, 4_000),
            (30_000, 29_000),
            (2_000, 1_000),
            (1_000, 500),
        ] {
            let asked = Duration::from_millis(asked);
            assert_eq!(
                answer_within(asked),
                Duration::from_millis(expected),
                "{asked:?}"
            );
        }
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration(""), None);
        assert_eq!(parse_go_duration("1x"), None);
    }

    #[test]
    fn go_durations_past_the_range_are_none_not_a_panic() {
        assert_eq!(
            parse_go_duration("4000000000000000h4000000000000000h"),
            None
        );
        assert_eq!(parse_go_duration("99999999999999999999h"), None);
    }
}
