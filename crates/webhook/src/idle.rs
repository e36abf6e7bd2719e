//! When a connection is idle, for closing it: no request has begun on it
//! for the idle timeout. hyper closes an HTTP/1 connection that sends no
//! request head in time, but nothing closes an HTTP/2 connection (or a TLS
//! one that never speaks) that just stays open, and each holds memory, a
//! descriptor and one of the `MAX_CONNECTIONS` slots.
//!
//! Counted in requests, not in bytes: HTTP/2 PINGs (and SETTINGS or
//! WINDOW_UPDATE frames) move bytes without a request, and a client that
//! sent one every few seconds held its connection, and its slot, for as
//! long as it liked; 1,024 such clients shut everyone else out. A request
//! still running when the timeout passes is not cut: the connection is
//! closed gracefully (HTTP/1 after the answer, HTTP/2 with a GOAWAY that
//! lets open streams finish), and requests end within their deadline
//! (at most 30 s), well within the timeout (120 s).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a connection's last request began.
#[derive(Debug)]
pub struct LastRequest {
    /// The connection's start.
    since: Instant,
    /// Milliseconds after `since`; 0 before the first request.
    ms: AtomicU64,
    /// Whether any request has begun.
    any: AtomicBool,
}

impl LastRequest {
    pub fn new() -> Self {
        LastRequest {
            since: Instant::now(),
            ms: AtomicU64::new(0),
            any: AtomicBool::new(false),
        }
    }

    /// A request has begun now.
    pub fn begun(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.ms.store(ms, Ordering::Relaxed);
        self.any.store(true, Ordering::Relaxed);
    }

    /// Whether any request has begun on the connection.
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    /// Resolves once no request has begun for `limit` (checked every
    /// tenth of it).
    pub async fn idle_for(&self, limit: Duration) {
        let mut tick = tokio::time::interval(limit / 10);
        loop {
            tick.tick().await;
            let last = Duration::from_millis(self.ms.load(Ordering::Relaxed));
            if self.since.elapsed().saturating_sub(last) >= limit {
                return;
            }
        }
    }
}

impl Default for LastRequest {
    fn default() -> Self {
        Self::new()
    }
}
