//! Answers waiting to be sent, over real TLS: they share a byte budget,
//! and a connection that leaves one untaken is dropped, which frees it.

mod common;

use common::*;
use rootlock_webhook::server::ServerOptions;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Containers in [`heavy`]: its answer is about 1 MB.
const CONTAINERS: usize = 1200;
/// Room for one heavy answer, not two.
const BUDGET: usize = 1_600_000;

/// A review whose answer is large: every container (with a name of 57
/// characters) fails several checks, and enforce, warn and audit each
/// name them all.
fn heavy(uid: &str) -> Vec<u8> {
    let body = variant("05-pod-create", uid, |r| {
        r["object"]["spec"]["containers"] = (0..CONTAINERS)
            .map(|i| {
                json!({
                    "name": format!("c{i:05}-{}", "x".repeat(50)),
                    "image": "nginx",
                    "securityContext": {"privileged": true}
                })
            })
            .collect();
    });
    serde_json::to_vec(&body).unwrap()
}

async fn start_budgeted(stall: Duration) -> Harness {
    start_tuned(
        config(""),
        rootlock_webhook::cache::Namespaces::Offline,
        None,
        Duration::from_secs(1),
        |o: &mut ServerOptions| {
            o.answer_budget = BUDGET;
            o.answer_stall = stall;
        },
    )
    .await
}

/// Posts `body` to `/validate` with a client that reads the answer: its
/// status and length.
async fn post(h: &Harness, body: &[u8]) -> (u16, usize) {
    let r = h
        .client
        .post(h.url("/validate?timeout=10s"))
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().len())
}

/// Posts `body` over HTTP/1.1 on a connection with a 4 KiB receive buffer,
/// and reads nothing.
async fn post_unread(
    h: &Harness,
    body: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut s = try_raw_tls(h, b"http/1.1", Some(4096)).await.unwrap();
    let head = format!(
        "POST /validate?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    s.flush().await.unwrap();
    s
}

/// Retries a heavy review until it is answered 200 or `within` has passed.
async fn heavy_answered_within(h: &Harness, within: Duration) -> Result<Duration, u16> {
    let t0 = Instant::now();
    loop {
        let (status, _) = post(h, &heavy("retry")).await;
        if status == 200 {
            return Ok(t0.elapsed());
        }
        if t0.elapsed() > within {
            return Err(status);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn answers_waiting_to_be_sent_share_a_budget() {
    let h = start_budgeted(Duration::from_secs(60)).await;
    let (status, len) = post(&h, &heavy("measure")).await;
    assert_eq!(status, 200);
    assert!(
        len > BUDGET / 2 && len < BUDGET,
        "one heavy answer fits the budget and two do not: {len} bytes"
    );
    // A client that does not read its answer holds it, counted.
    let unread = post_unread(&h, &heavy("unread")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A second heavy answer finds no room: 503 at once, not kept waiting.
    let (status, _) = post(&h, &heavy("second")).await;
    assert_eq!(status, 503);
    // A usual answer (under 3 KB) still fits.
    let v = h.recorded("05-pod-create").await;
    assert_eq!(v["allowed"], false);
    // The client goes away: its answer's bytes come back.
    drop(unread);
    heavy_answered_within(&h, Duration::from_secs(10))
        .await
        .expect("room again once the unread answer's connection closed");
}

#[tokio::test]
async fn an_http1_connection_that_leaves_its_answer_unread_is_dropped() {
    // The idle timeout (60 s) is far off; only the stall frees the answer.
    let h = start_budgeted(Duration::from_secs(1)).await;
    let mut unread = post_unread(&h, &heavy("unread")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post(&h, &heavy("while-held")).await.0, 503);
    let after = heavy_answered_within(&h, Duration::from_secs(10))
        .await
        .expect("the unread answer is dropped with its connection");
    assert!(after < Duration::from_secs(10), "{after:?}");
    // The connection ended before the whole answer was read.
    let mut got = 0usize;
    let mut buf = vec![0u8; 65536];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match unread.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "still open");
    assert!(
        got < BUDGET / 2,
        "{got} bytes read: the answer was sent whole"
    );
}

#[tokio::test]
async fn an_http2_connection_that_keeps_its_window_shut_is_dropped() {
    let h = start_budgeted(Duration::from_secs(1)).await;
    // A window of zero bytes: the server may send the answer's headers,
    // never its body.
    let (mut client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake(raw_tls(&h, b"h2").await)
        .await
        .unwrap();
    let conn = tokio::spawn(connection);
    let response = h2_review(&mut client, heavy("shut-window")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(post(&h, &heavy("while-held")).await.0, 503);
    heavy_answered_within(&h, Duration::from_secs(10))
        .await
        .expect("the untaken answer is dropped with its connection");
    // The connection is gone, the answer's body never came.
    let ended = tokio::time::timeout(Duration::from_secs(10), conn).await;
    assert!(ended.is_ok(), "still open");
    let mut answer = response.into_body();
    let first = tokio::time::timeout(Duration::from_secs(5), answer.data()).await;
    assert!(
        !matches!(first, Ok(Some(Ok(ref d))) if !d.is_empty()),
        "{first:?}"
    );
}

/// Posts `body` as an HTTP/2 request on `client`, within the server's
/// flow-control windows; the response, once its headers came.
async fn h2_review(
    client: &mut h2::client::SendRequest<bytes::Bytes>,
    body: Vec<u8>,
) -> Result<http::Response<h2::RecvStream>, h2::Error> {
    let req = http::Request::builder()
        .method("POST")
        .uri("https://localhost/validate?timeout=10s")
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    let (response, mut stream) = client.send_request(req, false)?;
    stream.reserve_capacity(body.len());
    let mut rest = bytes::Bytes::from(body);
    while !rest.is_empty() {
        let room = std::future::poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .ok_or_else(|| h2::Error::from(h2::Reason::CANCEL))??;
        let piece = rest.split_to(room.min(rest.len()));
        stream.send_data(piece, rest.is_empty())?;
    }
    response.await
}

#[tokio::test]
async fn a_stalled_http2_stream_is_timed_on_its_own_while_others_flow() {
    let h = start_budgeted(Duration::from_secs(1)).await;
    // Windows of 16 KiB: a usual answer fits, a heavy one stops after its
    // first 16 KiB, which this client never gives back.
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(16 * 1024)
        .handshake(raw_tls(&h, b"h2").await)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut stuck = client.clone();
    let held = h2_review(&mut stuck, heavy("stuck")).await.unwrap();
    assert_eq!(held.status(), 200);
    // Meanwhile the connection keeps answering small reviews, read whole.
    let small = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let busy = tokio::spawn(async move {
        let mut client = client;
        let mut answered = 0;
        while let Ok(r) = h2_review(&mut client, small.clone()).await {
            let mut body = r.into_body();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
            }
            answered += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        answered
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post(&h, &heavy("while-held")).await.0, 503);
    heavy_answered_within(&h, Duration::from_secs(10))
        .await
        .expect("the stalled answer is dropped with its connection, busy as it is");
    let answered = tokio::time::timeout(Duration::from_secs(10), busy)
        .await
        .expect("the connection ended")
        .unwrap();
    assert!(answered >= 5, "the connection was busy: {answered} answers");
    drop(held);
}
