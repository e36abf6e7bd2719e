//! Answers on their way out, bounded in memory and in time.
//!
//! An answer lives until the client has taken its last byte. A client that
//! posts reviews and does not read the answers made the server keep them:
//! 200 HTTP/1.1 connections that each posted a heavy review (1.5 MB answer,
//! enforce, warn and audit naming 1,800 failing containers) peaked at
//! 482 MB, and 8 HTTP/2 connections of 32 streams whose client advertised
//! a window of zero held 420 MB, past the Deployment's 128 MiB limit
//! (`bench/webhook_memory.py`, release build, 2026-11-30).
//!
//! * Every answer takes its size from a [`Budget`] shared by all answers
//!   and gives it back when its memory is freed: the bytes are owned by
//!   the budget's permit ([`Bytes::from_owner`]), so pieces of an answer
//!   still queued inside hyper or h2 keep counting. An answer that finds
//!   no room is dropped and the request answered 503 at once: waiting for
//!   room would hold it outside the budget.
//! * An answer goes out in frames of [`FRAME`] bytes, so what hyper copies
//!   into a connection's buffer is bounded by that buffer (64 KiB) and the
//!   rest stays in the budgeted allocation.
//! * Each connection has an [`Outbox`]: when one of its answers has waited
//!   [`ANSWER_STALL`] without the connection taking a byte of it (an
//!   HTTP/1.1 client that stopped reading, or an HTTP/2 client that keeps
//!   its window shut and the connection busy with PINGs), the connection
//!   is dropped and its answers' bytes are freed. Each answer is timed on
//!   its own: an HTTP/2 client that keeps one stream's window shut while it
//!   reads small answers on others must not keep the first forever. The
//!   API server reads its answers at once, and gives up on one long
//!   before that anyway.

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Bytes of answers made and not yet sent, over all connections. A usual
/// answer is under 1 KB; the heaviest a review can make (20,000 values,
/// 63-byte names, three modes) a few MB.
pub const ANSWER_BUDGET: usize = 16 << 20;
/// How long an answer may wait without the connection taking a byte of it.
pub const ANSWER_STALL: Duration = Duration::from_secs(10);
/// The largest piece of an answer handed to the connection at once.
pub const FRAME: usize = 16 * 1024;

/// Spare room an answer's allocation keeps (counted in the budget).
const SPARE_KEPT: usize = 4096;

/// The answer budget had no room.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

/// The budget shared by all answers: `total` bytes, as semaphore permits.
pub struct Budget {
    permits: Arc<Semaphore>,
    total: usize,
}

impl Budget {
    pub fn new(total: usize) -> Self {
        let total = total.max(1);
        Budget {
            permits: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Bytes not held by any answer.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// `bytes` as a response body holding its share of the budget until
    /// its memory is freed, counted in `outbox` (when it has one) until
    /// the connection has taken its last byte.
    pub fn answer(
        &self,
        mut bytes: Vec<u8>,
        outbox: Option<Arc<Outbox>>,
    ) -> Result<AnswerBody, Full> {
        // What it holds is its allocation: a Vec grown by doubling may have
        // as much spare room again, given back here when it is more than a
        // small answer (a copy, for the rare large ones only).
        if bytes.capacity() - bytes.len() > SPARE_KEPT {
            bytes.shrink_to_fit();
        }
        // An answer larger than the whole budget takes all of it: it is
        // sent alone rather than never.
        let held = bytes.capacity();
        let n = u32::try_from(held.clamp(1, self.total)).unwrap_or(u32::MAX);
        let permit = self
            .permits
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| Full)?;
        let outbox = outbox.map(|o| {
            let id = o.next.fetch_add(1, Ordering::Relaxed);
            o.moved(id);
            (o, id)
        });
        Ok(AnswerBody {
            rest: Bytes::from_owner(Held {
                bytes,
                _permit: permit,
            }),
            outbox,
        })
    }
}

/// An answer's bytes and the permit that counts them: freed together.
struct Held {
    bytes: Vec<u8>,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// One connection's answers not yet wholly taken by it, each with when the
/// connection last took a piece of it.
#[derive(Default)]
pub struct Outbox {
    /// Answer number → when it was made or a piece of it last taken.
    waiting: Mutex<HashMap<u64, Instant>>,
    next: AtomicU64,
}

impl Outbox {
    /// The map; a panic elsewhere while it was held leaves it whole.
    fn waiting(&self) -> MutexGuard<'_, HashMap<u64, Instant>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn moved(&self, id: u64) {
        self.waiting().insert(id, Instant::now());
    }

    fn taken(&self, id: u64) {
        self.waiting().remove(&id);
    }

    /// Answers not yet wholly taken by the connection.
    pub fn unsent(&self) -> usize {
        self.waiting().len()
    }

    /// Resolves once one answer has waited `limit` with none of its bytes
    /// taken (checked every tenth of it).
    pub async fn stalled_for(&self, limit: Duration) {
        let mut tick = tokio::time::interval((limit / 10).max(Duration::from_millis(1)));
        loop {
            tick.tick().await;
            if self.waiting().values().any(|t| t.elapsed() >= limit) {
                return;
            }
        }
    }
}

/// A response body of one answer, handed out [`FRAME`] bytes at a time.
pub struct AnswerBody {
    rest: Bytes,
    /// Its connection's outbox and its number there, while it is unsent.
    outbox: Option<(Arc<Outbox>, u64)>,
}

impl AnswerBody {
    fn taken(&mut self) {
        if let Some((o, id)) = self.outbox.take() {
            o.taken(id);
        }
    }
}

impl Drop for AnswerBody {
    fn drop(&mut self) {
        self.taken();
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(FRAME);
        let piece = self.rest.split_to(n);
        if self.rest.is_empty() {
            self.taken();
        } else if let Some((o, id)) = &self.outbox {
            o.moved(*id);
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn an_answer_is_sent_whole_in_frames_of_bounded_size() {
        let b = Budget::new(1 << 20);
        let text: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut body = b.answer(text.clone(), None).unwrap();
        assert_eq!(body.size_hint().exact(), Some(50_000));
        let mut got = Vec::new();
        let mut frames = 0;
        while let Some(f) = body.frame().await {
            let data = f.unwrap().into_data().unwrap();
            assert!(data.len() <= FRAME, "{}", data.len());
            got.extend_from_slice(&data);
            frames += 1;
        }
        assert_eq!(got, text);
        assert_eq!(frames, 50_000usize.div_ceil(FRAME));
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn an_answer_holds_its_bytes_until_its_last_piece_is_freed() {
        let b = Budget::new(100_000);
        let mut body = b.answer(vec![b'x'; 40_000], None).unwrap();
        assert_eq!(b.available(), 60_000);
        // hyper or h2 may still queue a piece after the body is done with:
        // the bytes count until that piece is freed too.
        let piece = body.frame().await.unwrap().unwrap().into_data().unwrap();
        while body.frame().await.is_some() {}
        drop(body);
        assert_eq!(b.available(), 60_000);
        drop(piece);
        assert_eq!(b.available(), 100_000);
    }

    #[test]
    fn an_answer_counts_its_allocation_not_only_its_length() {
        let b = Budget::new(100_000);
        let grown = |capacity: usize| {
            let mut v = Vec::with_capacity(capacity);
            v.extend_from_slice(&[b'x'; 40_000]);
            v
        };
        // A little spare room is kept, and counted.
        let body = b.answer(grown(43_000), None).unwrap();
        assert_eq!(b.available(), 57_000);
        drop(body);
        // Much is given back before the answer is counted.
        let body = b.answer(grown(80_000), None).unwrap();
        assert_eq!(b.available(), 60_000);
        drop(body);
        assert_eq!(b.available(), 100_000);
    }

    #[test]
    fn an_answer_that_finds_no_room_is_refused_and_holds_nothing() {
        let b = Budget::new(100_000);
        let first = b.answer(vec![b'x'; 70_000], None).unwrap();
        assert!(matches!(b.answer(vec![b'x'; 40_000], None), Err(Full)));
        assert_eq!(b.available(), 30_000);
        // Smaller ones still fit.
        let small = b.answer(vec![b'x'; 500], None).unwrap();
        drop((first, small));
        assert_eq!(b.available(), 100_000);
        // One larger than the whole budget is sent alone, not never.
        let huge = b.answer(vec![b'x'; 150_000], None).unwrap();
        assert_eq!(b.available(), 0);
        drop(huge);
        assert_eq!(b.available(), 100_000);
    }

    #[tokio::test]
    async fn the_outbox_counts_an_answer_until_its_last_byte_is_taken() {
        let b = Budget::new(1 << 20);
        let outbox = Arc::new(Outbox::default());
        let mut body = b
            .answer(vec![b'x'; 3 * FRAME], Some(outbox.clone()))
            .unwrap();
        assert_eq!(outbox.unsent(), 1);
        body.frame().await.unwrap().unwrap();
        body.frame().await.unwrap().unwrap();
        assert_eq!(outbox.unsent(), 1);
        body.frame().await.unwrap().unwrap();
        assert_eq!(outbox.unsent(), 0);
        // Dropped before it is sent (the connection went away): not unsent.
        let unsent = b.answer(vec![b'x'; 10], Some(outbox.clone())).unwrap();
        assert_eq!(outbox.unsent(), 1);
        drop(unsent);
        assert_eq!(outbox.unsent(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_outbox_is_stalled_only_while_an_answer_waits_untaken() {
        let limit = Duration::from_secs(10);
        let b = Budget::new(1 << 20);
        let outbox = Arc::new(Outbox::default());
        // Nothing waits: never stalled, however long.
        let idle = tokio::time::timeout(Duration::from_secs(60), outbox.stalled_for(limit)).await;
        assert!(idle.is_err());
        let mut body = b
            .answer(vec![b'x'; 5 * FRAME], Some(outbox.clone()))
            .unwrap();
        // A piece taken now and then keeps it going.
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(6)).await;
            assert!(
                tokio::time::timeout(Duration::from_millis(1), outbox.stalled_for(limit))
                    .await
                    .is_err()
            );
            let _ = body.frame().await;
        }
        // Another answer of the connection that keeps moving does not hide
        // this one's stall.
        let mut other = b
            .answer(vec![b'x'; 10 * FRAME], Some(outbox.clone()))
            .unwrap();
        for _ in 0..2 {
            tokio::time::advance(Duration::from_secs(6)).await;
            let _ = other.frame().await;
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(1), outbox.stalled_for(limit))
                .await
                .is_ok(),
            "12 s without a piece of the first answer taken"
        );
        let _ = body.frame().await;
        // Then none: stalled once the limit has passed since the last.
        let t0 = tokio::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(30), outbox.stalled_for(limit))
            .await
            .expect("stalled");
        assert!(t0.elapsed() >= Duration::from_secs(9), "{:?}", t0.elapsed());
    }
}
