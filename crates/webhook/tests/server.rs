//! Operations: certificate hot-reload, graceful shutdown, and clients that
//! hold resources without finishing a request, over real TLS.

mod common;

use common::*;
use futures::future::BoxFuture;
use rootlock_webhook::cache::{EachPod, Namespaces, PodLister};
use rootlock_webhook::pod_pages::ListedPod;
use rootlock_webhook::server::ServerOptions;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    fn list<'a>(
        &'a self,
        _ns: &'a str,
        each: &'a mut EachPod<'_>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let v: Value = serde_json::from_str(
                &std::fs::read_to_string(testdata("api/pods-page2.json")).unwrap(),
            )
            .unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .for_each(|p| each(ListedPod::from_json(p)));
            Ok(())
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

#[tokio::test]
async fn shutdown_first_turns_unready_while_still_serving() {
    let mut h = start(Default::default()).await;
    assert_eq!(get_status(&h.client, h.url("/readyz")).await, 200);
    let server = h.server.take().unwrap();
    let shutdown = server.shutdown_handle();
    shutdown.unready();
    // The endpoint is on its way out: not ready, but every request (on a
    // new connection too) is still answered.
    let fresh = client_trusting(&h.ca_pem);
    assert_eq!(get_status(&fresh, h.url("/readyz")).await, 503);
    let rec = recorded("05-pod-create");
    let resp = fresh
        .post(h.url(&rec.path))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&rec.body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    check_review(&resp.json().await.unwrap(), &rec.body);
    // Then it stops: new connections are refused.
    shutdown.stop();
    tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .unwrap();
    let late = client_trusting(&h.ca_pem);
    assert!(late.get(h.url("/healthz")).send().await.is_err());
}

#[tokio::test]
async fn while_unready_http1_responses_close_their_connection() {
    let mut h = start(Default::default()).await;
    // The API server keeps its HTTP/1.1 connections to the webhook alive,
    // and an endpoint's removal only steers new connections away: one
    // still open when the listener closes loses a request sent at that
    // moment (a POST is not retried). So while the endpoint goes away,
    // each answer retires its connection, as HTTP/2's GOAWAY does.
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(h.ca_pem.as_bytes()).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let rec = recorded("05-pod-create");
    let body = serde_json::to_vec(&rec.body).unwrap();
    let url = h.url(&rec.path);
    let review = || {
        h1.post(url.clone())
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
    };
    let before = review().await.unwrap();
    assert_eq!(before.status(), 200);
    assert_eq!(before.headers().get("connection"), None);
    let server = h.server.take().unwrap();
    let shutdown = server.shutdown_handle();
    shutdown.unready();
    let during = review().await.unwrap();
    assert_eq!(during.status(), 200);
    assert_eq!(during.headers()["connection"], "close");
    check_review(&during.json().await.unwrap(), &rec.body);
    let ready = h1.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["connection"], "close");
    shutdown.stop();
    tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .unwrap();
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

/// A harness with default config, offline, and server options set by `tune`.
async fn start_options(tune: impl FnOnce(&mut ServerOptions)) -> Harness {
    start_tuned(
        config(""),
        Namespaces::Offline,
        None,
        Duration::from_secs(1),
        tune,
    )
    .await
}

/// Sends the head of a POST whose body will be `length` bytes, and `sent`
/// bytes of it.
async fn start_post(
    h: &Harness,
    path: &str,
    length: usize,
    sent: usize,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut s = raw_tls(h, b"http/1.1").await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![b' '; sent]).await.unwrap();
    s.flush().await.unwrap();
    s
}

/// The status line of the response on `s`.
async fn status_line(s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf))
        .await
        .expect("an answer in time")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_body_that_never_arrives_is_answered_408_and_the_server_goes_on() {
    let h = start(config("")).await;
    let t0 = Instant::now();
    let mut slow = start_post(&h, "/validate?timeout=1s", 1000, 10).await;
    assert_eq!(status_line(&mut slow).await, "HTTP/1.1 408 Request Timeout");
    // Within the request's deadline (1 s), not when the client gives up.
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
    // The metric names the code the client got, as for every other answer.
    let m = h.metrics().await;
    assert!(
        m.contains("rootlock_webhook_requests_total{path=\"/validate\",code=\"408\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn request_bodies_being_received_share_a_budget() {
    let h = start_options(|o| o.body_budget = 100_000).await;
    // One slow sender holds 80,000 of the 100,000 bytes for 5 s.
    let mut hog = start_post(&h, "/validate?timeout=5s", 90_000, 80_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A second big body cannot keep its 30,000 bytes before its deadline.
    let mut second = start_post(&h, "/validate?timeout=1s", 80_000, 30_000).await;
    assert_eq!(
        status_line(&mut second).await,
        "HTTP/1.1 503 Service Unavailable"
    );
    // An ordinary review (2.5 KB) fits in what is left and is answered.
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
    assert_eq!(status_line(&mut hog).await, "HTTP/1.1 408 Request Timeout");
}

#[tokio::test]
async fn bodies_declared_large_but_never_sent_do_not_block_reviews() {
    // Declared sizes reserve nothing: eight connections that each declare
    // 80,000 bytes (640,000 in all, for a budget of 100,000) and send one
    // byte hold one byte each, and leave room for every real review.
    let h = start_options(|o| o.body_budget = 100_000).await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(start_post(&h, "/validate?timeout=10s", 80_000, 1).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Each is answered 200 (a review that found no room would be 503).
    for _ in 0..3 {
        let v = h.recorded("05-pod-create").await;
        assert_eq!(v["allowed"], false);
    }
    drop(idle);
}

#[tokio::test]
async fn a_connection_that_stays_silent_is_closed() {
    let h = start_options(|o| o.idle_timeout = Duration::from_secs(1)).await;
    for alpn in [&b"h2"[..], b"http/1.1"] {
        let t0 = Instant::now();
        let mut s = raw_tls(&h, alpn).await;
        let mut buf = [0u8; 64];
        // HTTP/2: the server's SETTINGS come first; then nothing, then EOF.
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{alpn:?}: still open after 10 s");
        assert!(
            t0.elapsed() >= Duration::from_millis(900),
            "{alpn:?}: closed at once"
        );
    }
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
}

/// The HTTP/2 frames the server sends on `s` until it closes, as (type,
/// payload), after the client's preface and empty SETTINGS.
async fn h2_frames_until_closed(
    s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
) -> Vec<(u8, Vec<u8>)> {
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    s.flush().await.unwrap();
    let mut frames = Vec::new();
    loop {
        let mut head = [0u8; 9];
        if s.read_exact(&mut head).await.is_err() {
            return frames;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        if s.read_exact(&mut payload).await.is_err() {
            return frames;
        }
        frames.push((head[3], payload));
    }
}

#[tokio::test]
async fn an_idle_http2_connection_is_sent_goaway_before_it_is_closed() {
    const GOAWAY: u8 = 0x7;
    let h = start_options(|o| o.idle_timeout = Duration::from_secs(1)).await;
    let mut s = raw_tls(&h, b"h2").await;
    let frames = tokio::time::timeout(Duration::from_secs(15), h2_frames_until_closed(&mut s))
        .await
        .expect("closed within 15 s");
    let goaway = frames
        .iter()
        .find(|(kind, _)| *kind == GOAWAY)
        .unwrap_or_else(|| {
            panic!(
                "no GOAWAY among frame types {:?}",
                frames.iter().map(|f| f.0).collect::<Vec<_>>()
            )
        });
    // Payload: last stream id (4 bytes), error code (4 bytes): NO_ERROR,
    // so a client retries on a new connection instead of failing.
    assert!(goaway.1.len() >= 8, "{:?}", goaway.1);
    assert_eq!(&goaway.1[4..8], &[0, 0, 0, 0], "GOAWAY error code");
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_and_a_freed_slot_is_reused() {
    let h = start_options(|o| o.max_connections = 2).await;
    let first = raw_tls(&h, b"http/1.1").await;
    let _second = raw_tls(&h, b"http/1.1").await;
    // A third handshake finds the connection closed at accept.
    let third = tokio::time::timeout(Duration::from_secs(10), try_raw_tls(&h, b"http/1.1", None))
        .await
        .expect("an answer in time");
    assert!(third.is_err(), "a third connection was served");
    // Closing one frees its slot for the next client.
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(s) = try_raw_tls(&h, b"http/1.1", None).await {
            again = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut s = again.expect("a freed slot is served again");
    let body = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    s.flush().await.unwrap();
    assert_eq!(status_line(&mut s).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_connection_close() {
    let h = start(config("maxRequestBytes: 5000\n")).await;
    let mut s = start_post(&h, "/validate", 10000, 100).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("the connection is closed after the answer")
        .ok();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 400 bad request\r\n"), "{text}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
    assert!(text.contains("the limit is 5000 bytes"), "{text}");
    // HTTP/2 carries no Connection header; the review after it still works.
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
}

#[tokio::test]
async fn a_large_review_arrives_through_the_small_windows_and_the_budget() {
    // 2 MiB (the object padded with whitespace), over HTTP/2 with 64 KiB
    // windows, counted frame by frame: flow control keeps it moving.
    let h = start(config("")).await;
    let mut body = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let close = body.pop().unwrap();
    body.extend(std::iter::repeat_n(b' ', 2 << 20));
    body.push(close);
    let r = h
        .client
        .post(h.url("/validate?timeout=10s"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["response"]["allowed"], false);
}

/// An HTTP/2 POST on `client` that declares `declared` bytes, sends `sent`
/// of them and stays open: the request half and the response future.
async fn h2_post(
    client: h2::client::SendRequest<bytes::Bytes>,
    path: &str,
    declared: usize,
    sent: &'static [u8],
    end: bool,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    h2::SendStream<bytes::Bytes>,
    h2::client::ResponseFuture,
) {
    let mut client = client.ready().await.unwrap();
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("https://localhost{path}"))
        .header("content-type", "application/json")
        .header("content-length", declared.to_string())
        .body(())
        .unwrap();
    let (response, mut stream) = client.send_request(req, false).unwrap();
    stream
        .send_data(bytes::Bytes::from_static(sent), end)
        .unwrap();
    (client, stream, response)
}

/// An HTTP/2 client connection to the harness.
async fn h2_connect(h: &Harness) -> h2::client::SendRequest<bytes::Bytes> {
    let (client, connection) = h2::client::handshake(raw_tls(h, b"h2").await)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

#[tokio::test]
async fn a_thousand_stalled_http2_streams_do_not_block_reviews() {
    // Four connections, each with as many streams as the server allows
    // (256), each declaring 80,000 bytes, sending 256 and stalling: 82 MB
    // declared, 262 KB sent, against a budget of 1 MB. The budget counts
    // what arrived, so reviews still find room, on a fresh connection and
    // on a connection full of stalled streams. (256 bytes, not one: the h2
    // crate answers a flood of smaller DATA frames with GOAWAY
    // ENHANCE_YOUR_CALM, which would end the test's connections first.)
    const STREAMS: usize = 256;
    static PART: [u8; 256] = [b' '; 256];
    let h = start_options(|o| o.body_budget = 1_000_000).await;
    let mut stalled = Vec::new();
    let mut shared = None;
    for conn in 0..4 {
        let mut client = h2_connect(&h).await;
        // The first connection keeps one stream free for a review.
        let n = if conn == 0 { STREAMS - 1 } else { STREAMS };
        for _ in 0..n {
            let (c, stream, response) =
                h2_post(client, "/validate?timeout=30s", 80_000, &PART, false).await;
            client = c;
            stalled.push((stream, response));
        }
        if conn == 0 {
            shared = Some(client);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A review on the connection whose other 255 streams are stalled.
    let body: &'static [u8] = serde_json::to_vec(&recorded("05-pod-create").body)
        .unwrap()
        .leak();
    let (_client, _stream, response) = h2_post(
        shared.unwrap(),
        "/validate?timeout=10s",
        body.len(),
        body,
        true,
    )
    .await;
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    let mut answer = response.into_body();
    let mut text = Vec::new();
    while let Some(chunk) = answer.data().await {
        let chunk = chunk.unwrap();
        let _ = answer.flow_control().release_capacity(chunk.len());
        text.extend_from_slice(&chunk);
    }
    let v: Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(v["response"]["allowed"], false);
    // And on a connection of its own.
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
    assert_eq!(stalled.len(), 4 * STREAMS - 1);
}

#[tokio::test]
async fn reviews_in_flight_are_bounded_in_number() {
    // Each HTTP/2 stream that has sent its headers costs memory whether or
    // not its body ever comes (64 connections of 256 such streams held
    // 115 MB). Past the cap one more review is answered 503 at once; once
    // the stalled ones end, reviews are answered again.
    static PART: [u8; 256] = [b' '; 256];
    let h = start_options(|o| o.max_reviews = 8).await;
    let mut client = h2_connect(&h).await;
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let (c, stream, response) =
            h2_post(client, "/validate?timeout=30s", 80_000, &PART, false).await;
        client = c;
        stalled.push((stream, response));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    let r = h
        .client
        .post(h.url("/validate?timeout=10s"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&recorded("05-pod-create").body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    // Cancelled: their slots are free again.
    drop((stalled, client));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
}

/// Bytes waiting in the receive queue of the server's end of the
/// connection from `client` (Linux's /proc/net/tcp).
fn server_receive_queue(h: &Harness, client: std::net::SocketAddr) -> usize {
    let hex = |a: std::net::SocketAddr| format!("{:04X}", a.port());
    let text = std::fs::read_to_string("/proc/net/tcp").unwrap();
    text.lines()
        .skip(1)
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].ends_with(&format!(":{}", hex(h.addr)))
                && f[2].ends_with(&format!(":{}", hex(client))))
            .then(|| usize::from_str_radix(f[4].split(':').nth(1).unwrap(), 16).unwrap())
        })
        .expect("the server's end of the connection")
}

#[tokio::test]
async fn a_connection_that_stops_being_read_holds_a_small_kernel_buffer() {
    // A large review read at full speed makes Linux grow the connection's
    // receive buffer (to 1 MiB and more); a client that then sends what
    // the server does not read (requests pipelined behind answers it does
    // not take) left that much in the kernel, which charges it to the pod.
    let h = start(config("")).await;
    let mut s = raw_tls(&h, b"http/1.1").await;
    let local = s.get_ref().0.local_addr().unwrap();
    let mut body = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let close = body.pop().unwrap();
    body.extend(std::iter::repeat_n(b' ', 6 << 20));
    body.push(close);
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 65536];
    while !String::from_utf8_lossy(&answer).contains("\"allowed\"") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0);
        answer.extend_from_slice(&buf[..n]);
    }
    // Then requests it will not read, until the connection takes no more.
    let requests = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(2000);
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            s.write_all(&requests).await.unwrap();
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued = server_receive_queue(&h, local);
    assert!(
        queued <= 2 * rootlock_webhook::server::RECV_BUFFER,
        "{queued} bytes"
    );
}

#[tokio::test]
async fn an_http2_request_with_a_header_list_past_the_limit_is_refused() {
    // Held with its stream while the review waits for a body: 8 KiB at
    // most (the API server's are under 1 KiB).
    let h = start(config("")).await;
    let body = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let send = |extra: usize| {
        let client = h2_connect(&h);
        let body = bytes::Bytes::from(body.clone());
        async move {
            let mut client = client.await.ready().await.unwrap();
            let req = http::Request::builder()
                .method("POST")
                .uri("https://localhost/validate?timeout=10s")
                .header("content-type", "application/json")
                .header("x-padding", "p".repeat(extra))
                .body(())
                .unwrap();
            let (response, mut stream) = client.send_request(req, false).unwrap();
            stream.send_data(body, true).unwrap();
            match response.await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            }
        }
    };
    assert_eq!(send(6_000).await, 200);
    let refused = send(10_000).await;
    assert!(refused == 431 || refused == 0, "{refused}");
}

#[tokio::test]
async fn an_http1_request_head_past_the_read_buffer_is_refused() {
    // Each connection's unfinished head is held until the header timeout:
    // 16 KiB at most (the API server's are under 1 KiB).
    let h = &start(config("")).await;
    let head = |extra: usize| async move {
        let mut s = raw_tls(h, b"http/1.1").await;
        let req = format!(
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
            "p".repeat(extra)
        );
        let _ = s.write_all(req.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert!(head(6_000).await.starts_with("HTTP/1.1 200"));
    let refused = head(20_000).await;
    assert!(!refused.starts_with("HTTP/1.1 200"), "{refused}");
}

/// The leaf certificate the server presents in a handshake now (DER).
async fn served_leaf(h: &Harness) -> Vec<u8> {
    let tls = raw_tls(h, b"http/1.1").await;
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

fn leaf_der(g: &rootlock_webhook::certs::Generated) -> Vec<u8> {
    rustls_pemfile::certs(&mut g.cert_pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

/// A Secret volume as the kubelet's AtomicWriter writes it: `tls.crt ->
/// ..data/tls.crt`, `..data -> ..<timestamp>`, updated by renaming a new
/// `..data` link over the old one; and cert-manager's rotation, whose new
/// certificate may meet the old key. Each handshake is checked for the
/// certificate it presents.
#[tokio::test]
async fn a_secret_volume_swapped_atomically_serves_the_new_pair_and_never_a_mismatched_one() {
    use std::os::unix::fs::symlink;
    let vol = tempfile::tempdir().unwrap();
    let v = vol.path().to_path_buf();
    let pair = |dir: &str, cert: &str, key: &str| {
        std::fs::create_dir(v.join(dir)).unwrap();
        std::fs::write(v.join(dir).join("tls.crt"), cert).unwrap();
        std::fs::write(v.join(dir).join("tls.key"), key).unwrap();
        symlink(dir, v.join("..data_tmp")).unwrap();
        std::fs::rename(v.join("..data_tmp"), v.join("..data")).unwrap();
    };
    let one = rootlock_webhook::certs::generate(&["localhost".into()], &[], 1).unwrap();
    pair("..2026_11_30_10_00_00.1", &one.cert_pem, &one.key_pem);
    symlink("..data/tls.crt", v.join("tls.crt")).unwrap();
    symlink("..data/tls.key", v.join("tls.key")).unwrap();
    let (cert, key) = (v.join("tls.crt"), v.join("tls.key"));
    let mut h = start_tuned(
        Default::default(),
        Namespaces::Offline,
        None,
        Duration::ZERO,
        move |o| {
            o.tls_cert = cert;
            o.tls_key = key;
        },
    )
    .await;
    let two = rootlock_webhook::certs::generate(&["localhost".into()], &[], 1).unwrap();
    let three = rootlock_webhook::certs::generate(&["localhost".into()], &[], 1).unwrap();
    h.ca_pem = [&one, &two, &three]
        .map(|g| g.ca_cert_pem.as_str())
        .concat();
    assert_eq!(served_leaf(&h).await, leaf_der(&one));
    pair("..2026_11_30_11_00_00.2", &two.cert_pem, &two.key_pem);
    std::fs::remove_dir_all(v.join("..2026_11_30_10_00_00.1")).unwrap();
    assert_eq!(served_leaf(&h).await, leaf_der(&two));
    // The new certificate with the old key: the pair in service stays.
    pair("..2026_11_30_12_00_00.3", &three.cert_pem, &two.key_pem);
    assert_eq!(served_leaf(&h).await, leaf_der(&two));
    // A key briefly empty, then the files gone, then the right pair.
    pair("..2026_11_30_12_00_01.4", &three.cert_pem, "");
    assert_eq!(served_leaf(&h).await, leaf_der(&two));
    std::fs::remove_file(v.join("..data")).unwrap();
    assert_eq!(served_leaf(&h).await, leaf_der(&two));
    pair("..2026_11_30_12_00_02.5", &three.cert_pem, &three.key_pem);
    assert_eq!(served_leaf(&h).await, leaf_der(&three));
}

/// Stopping, as the API server's HTTP/2 connection sees it: a review whose
/// body is still arriving is answered in full; the connection is sent
/// GOAWAY, so a request opened after it fails at once (a client retries it
/// on a new connection) rather than being lost; new connections are
/// refused; and the server ends.
#[tokio::test]
async fn stopping_answers_an_http2_review_in_flight_then_goes_away() {
    let mut h = start(Default::default()).await;
    let rec = recorded("05-pod-create");
    let body: &'static [u8] = serde_json::to_vec(&rec.body).unwrap().leak();
    let client = h2_connect(&h).await;
    let (client, mut stream, response) =
        h2_post(client, &rec.path, body.len(), &body[..100], false).await;
    let server = h.server.take().unwrap();
    server.shutdown_handle().stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
        .send_data(bytes::Bytes::from_static(&body[100..]), true)
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), response)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut answer = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = answer.data().await {
        let chunk = chunk.unwrap();
        let _ = answer.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    check_review(&serde_json::from_slice(&bytes).unwrap(), &rec.body);
    let refused = async {
        let mut c = client.ready().await?;
        let req = http::Request::get("https://localhost/healthz")
            .body(())
            .unwrap();
        c.send_request(req, true)?.0.await
    };
    assert!(
        tokio::time::timeout(Duration::from_secs(5), refused)
            .await
            .unwrap()
            .is_err()
    );
    tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .unwrap();
    assert!(try_raw_tls(&h, b"h2", None).await.is_err());
}

/// An HTTP/1.1 request on `s` (kept alive); the answer's status line.
async fn h1_get(s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> String {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut answer))
        .await
        .map_or(0, |r| r.unwrap_or(0));
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// A kept-alive HTTP/1.1 connection is the client's to close while it is
/// idle for less than the idle timeout (120 s; the API server's own
/// transport keeps idle connections 90 s). The header timeout (10 s)
/// also ran while such a connection waited for its next request, so it
/// was closed after 10 s idle, and a POST a client sent as it closed was
/// lost (Go does not retry a POST that met a closing connection; with
/// `failurePolicy: Fail`, its pod was refused). The 10 s bound stays for
/// a connection's first request.
#[tokio::test]
async fn a_kept_alive_http1_connection_idle_past_the_header_timeout_still_serves() {
    let h = start(config("")).await;
    let mut s = raw_tls(&h, b"http/1.1").await;
    assert_eq!(h1_get(&mut s).await, "HTTP/1.1 200 OK");
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(h1_get(&mut s).await, "HTTP/1.1 200 OK");
    // A connection that sends no request at all is still let go sooner.
    let mut silent = raw_tls(&h, b"http/1.1").await;
    let t0 = Instant::now();
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(15), silent.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    assert!(t0.elapsed() < Duration::from_secs(12), "{:?}", t0.elapsed());
}

/// A self-signed pair for localhost valid from `from` until `until`.
fn pair_valid(from: time::OffsetDateTime, until: time::OffsetDateTime) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.not_before = from;
    p.not_after = until;
    (p.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

/// A certificate no client accepts now, an expired one (a stale Secret
/// restored or synced back) or one not valid yet, is a broken pair: the
/// one in service stays. It was loaded, and with `failurePolicy: Fail`
/// every pod creation failed on the API server's check of its dates.
#[tokio::test]
async fn a_pair_on_disk_that_is_not_valid_now_does_not_replace_the_one_in_service() {
    let mut h = start_with(
        Default::default(),
        Namespaces::Offline,
        None,
        Duration::ZERO,
    )
    .await;
    let served = served_leaf(&h).await;
    let now = time::OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    for (from, until) in [
        (now - day * 400, now - day * 35),
        (now + day, now + day * 90),
    ] {
        let (cert, key) = pair_valid(from, until);
        std::fs::write(h.dir.path().join("tls.crt"), cert).unwrap();
        std::fs::write(h.dir.path().join("tls.key"), key).unwrap();
        assert_eq!(served_leaf(&h).await, served, "{from} .. {until}");
    }
    // A valid pair is taken as before.
    let g = generate_pair(h.dir.path());
    h.ca_pem = g.ca_cert_pem.clone();
    assert_eq!(served_leaf(&h).await, leaf_der(&g));
}

/// A pair that is not valid now at startup (an expired Secret) still
/// starts the server, so that the renewed pair is taken within a second
/// of being written instead of after a crash loop's back-off; but
/// `/readyz` fails and says why, and the expiry gauge shows the date an
/// alert reads. Before, the server started silently ready with a
/// certificate every API server handshake refused.
#[tokio::test]
async fn an_expired_pair_at_startup_serves_unready_until_a_valid_one_replaces_it() {
    let now = time::OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let expired_at = now - day * 2;
    let (cert, key) = pair_valid(now - day * 90, expired_at);
    let h = start_tuned(
        Default::default(),
        Namespaces::Offline,
        None,
        Duration::ZERO,
        |o| {
            std::fs::write(&o.tls_cert, &cert).unwrap();
            std::fs::write(&o.tls_key, &key).unwrap();
        },
    )
    .await;
    // As the kubelet probes: over HTTPS without verifying the certificate.
    let probe = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let gauge = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("rootlock_webhook_certificate_expiry_timestamp_seconds "))
            .map(|v| v.parse::<i64>().unwrap())
    };
    let ready = probe.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let why = ready.text().await.unwrap();
    assert!(
        why.contains("serving certificate not valid") && why.contains("not now"),
        "{why}"
    );
    let metrics = probe
        .get(h.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        gauge(&metrics),
        Some(expired_at.unix_timestamp()),
        "{metrics}"
    );

    // The renewed pair, read on the same kept-alive connection's probe.
    let g = generate_pair(h.dir.path());
    let ready = probe.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());
    let (_, until) = rootlock_webhook::certs::validity_of(&leaf_der(&g)).unwrap();
    let metrics = probe
        .get(h.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(gauge(&metrics), Some(until.unix_timestamp()), "{metrics}");
}

/// The default address, `[::]`, is reached over both families: an
/// IPv6-only cluster's API server calls the pod over IPv6, where the old
/// default, `0.0.0.0`, could not be reached. (On a kernel without IPv6 it
/// is IPv4 only, and this test asserts that instead.)
#[tokio::test]
async fn the_unspecified_ipv6_address_serves_ipv4_and_ipv6_clients() {
    let h = start_tuned(
        Default::default(),
        Namespaces::Offline,
        None,
        Duration::from_secs(1),
        |o| o.listen = "[::]:0".parse().unwrap(),
    )
    .await;
    let port = h.addr.port();
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    assert_eq!(h.addr.is_ipv6(), ipv6, "{}", h.addr);
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let mut hosts = vec!["127.0.0.1"];
    if ipv6 {
        hosts.push("[::1]");
    }
    for host in hosts {
        let url = format!("https://{host}:{port}/healthz");
        let status = client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 200, "{url}");
    }
}

/// An HTTP/2 connection that sends only PINGs is idle: counted in bytes,
/// a PING every 200 ms kept it (and one of the 1,024 connection slots)
/// open forever. It is closed after the idle timeout, with a GOAWAY.
#[tokio::test]
async fn an_http2_connection_that_only_pings_is_closed_as_idle() {
    let h = start_options(|o| o.idle_timeout = Duration::from_secs(1)).await;
    let (_client, mut connection) = h2::client::handshake(raw_tls(&h, b"h2").await)
        .await
        .unwrap();
    let mut pings = connection.ping_pong().unwrap();
    let pinging = tokio::spawn(async move {
        let mut answered = 0;
        for _ in 0..50 {
            if pings.ping(h2::Ping::opaque()).await.is_err() {
                break;
            }
            answered += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        answered
    });
    let t0 = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(8), connection).await;
    assert!(ended.is_ok(), "still open after 8 s of PINGs");
    assert!(t0.elapsed() >= Duration::from_millis(900), "closed at once");
    // The PINGs were answered until then: it was open, and only idle.
    assert!(pinging.await.unwrap() >= 3);
}
