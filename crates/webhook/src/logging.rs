//! The webhook's logs: JSON lines on stderr, written by a thread of their
//! own through a bounded queue that drops lines when it is full.
//!
//! Why not write stderr from the request's thread: stderr is a pipe to the
//! container runtime, and when nobody empties it (a runtime's log copier
//! stalled, a node's log disk full) a write blocks. With the writer on the
//! server's threads, 64 KiB of logs later (about 64 denials) every worker
//! was blocked, and the webhook answered nothing, not even `/healthz`:
//! with `failurePolicy: Fail`, no pod could be created in the enforced
//! namespaces. A log line lost is the lesser harm; the count of lost lines
//! is on `/metrics` (`rootlock_webhook_log_lines_dropped_total`).

use std::io::Write;
use std::sync::OnceLock;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};

/// Lines queued for the log writer before new ones are dropped. A denial's
/// line is bounded (its strings shortened to [`MAX_LOGGED_MESSAGE`] and
/// [`MAX_LOGGED_FIELD`] characters, at most 4 bytes each) to about 22 KiB,
/// so a stalled sink holds at most about 11 MiB, and usually well under
/// one (a denial's line is 1–2 KiB).
pub const QUEUE_LINES: usize = 512;

/// Longest denial message logged whole, in characters. A denial names every failing
/// container and check: up to megabytes for a pod of thousands of
/// containers. The API server returns the whole message to the client.
pub const MAX_LOGGED_MESSAGE: usize = 4096;

/// Longest other string logged whole (uid, names, user), in characters: the API server
/// sends short ones, but anyone who reaches the Service can send a review.
pub const MAX_LOGGED_FIELD: usize = 256;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Installs the global subscriber writing JSON lines to `sink` through the
/// queue, filtered by `ROOTLOCK_LOG` (else `RUST_LOG`, else `info`). Lines
/// go to the sink until the returned guard is dropped, which writes what
/// is still queued.
pub fn init<W: Write + Send + 'static>(sink: W) -> WorkerGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ROOTLOCK_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE_LINES)
        .thread_name("rootlock-log")
        .finish(sink);
    let _ = DROPPED.set(writer.error_counter());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_current_span(false)
        .try_init();
    guard
}

/// Log lines dropped because the queue was full (0 before [`init`]).
pub fn dropped_lines() -> u64 {
    DROPPED.get().map_or(0, |c| c.dropped_lines() as u64)
}
