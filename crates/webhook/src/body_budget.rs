//! Reading a request body within a byte budget shared by every body being
//! received, so that slow or stalled senders cannot hold the pod's memory.
//!
//! The budget counts the bytes a body has received, not what it declares
//! or may send next. Reserving the declared `Content-Length` up front let
//! twelve connections that declared 3 MiB and sent one byte each hold all
//! 32 MiB: every real review then waited for its deadline and got 503
//! (with `failurePolicy: Fail`, no pod could be created anywhere).
//! Reserving room for the next frame ahead of it would do the same with a
//! few hundred HTTP/2 streams. Counted after the fact, an idle request
//! holds what it sent, and filling the budget takes sending that many real
//! bytes before their deadlines.
//!
//! A frame is in memory before it is counted, so what waits outside the
//! budget is bounded too: a frame is at most 16 KiB (the server's HTTP/1.1
//! read buffer; HTTP/2 frames are 16 KiB), and at most [`MAX_WAITING`]
//! bodies wait for room at once; the next one is answered 503 at once.

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::{Instant, timeout_at};

/// Bodies that may wait for room in the budget at once, each holding the
/// frame it could not yet count.
pub const MAX_WAITING: usize = 64;

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// More than the limit.
    TooLarge,
    /// Not all there by the deadline.
    Late,
    /// The budget had no room for it (before the deadline, or with
    /// [`MAX_WAITING`] bodies waiting already).
    Busy,
    /// The connection failed while reading it.
    Read(String),
}

/// The budget shared by all bodies: `total` bytes, as semaphore permits.
pub struct Budget {
    permits: Semaphore,
    total: usize,
    waiting: AtomicUsize,
}

impl Budget {
    pub fn new(total: usize) -> Self {
        Budget {
            permits: Semaphore::new(total),
            total,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Bytes not held by any body.
    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Adds `n` bytes to what a body holds, waiting for room until the
    /// deadline unless too many bodies wait already.
    async fn reserve<'a>(
        &'a self,
        held: &mut Option<SemaphorePermit<'a>>,
        n: usize,
        deadline: Instant,
    ) -> Result<(), BodyError> {
        // More than the whole budget could never be granted: such a body
        // waits for its deadline like one that finds no room.
        let n = u32::try_from(n.clamp(1, self.total)).unwrap_or(u32::MAX);
        let permit = match self.permits.try_acquire_many(n) {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(BodyError::Busy);
                }
                let got = timeout_at(deadline, self.permits.acquire_many(n)).await;
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                match got {
                    Ok(Ok(p)) => p,
                    _ => return Err(BodyError::Busy),
                }
            }
        };
        match held {
            Some(h) => h.merge(permit),
            None => *held = Some(permit),
        }
        Ok(())
    }
}

/// Reads `body` (at most `limit` bytes) by `deadline`, within the budget.
/// The bytes held are released when this returns; the body then exists
/// once, for the review.
pub async fn read(
    body: Body,
    limit: usize,
    budget: &Budget,
    deadline: Instant,
) -> Result<Bytes, BodyError> {
    let mut body = std::pin::pin!(body);
    let mut held: Option<SemaphorePermit<'_>> = None;
    let mut received = 0usize;
    let mut chunks: Vec<Bytes> = Vec::new();
    loop {
        let frame = match timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::Late),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(BodyError::Read(e.to_string())),
            Ok(Some(Ok(f))) => f,
        };
        // Trailers carry nothing an AdmissionReview needs.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        if received + data.len() > limit {
            return Err(BodyError::TooLarge);
        }
        budget.reserve(&mut held, data.len(), deadline).await?;
        received += data.len();
        chunks.push(data);
    }
    Ok(match chunks.len() {
        // The usual case: the whole body came in one frame, kept as is.
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::sync::Arc;
    use std::time::Duration;

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    /// A body that sends `n` bytes, then nothing, never ending.
    fn stalled(n: usize) -> Body {
        let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; n]))]);
        Body::from_stream(first.chain(futures::stream::pending()))
    }

    #[tokio::test]
    async fn a_body_is_read_whole_and_its_bytes_given_back() {
        let b = Budget::new(100_000);
        let body = Body::from(vec![b'x'; 50_000]);
        let got = read(body, 60_000, &b, soon(5000)).await;
        assert_eq!(got.map(|b| b.len()), Ok(50_000));
        assert_eq!(b.available(), 100_000);
    }

    #[tokio::test]
    async fn over_the_limit_is_too_large() {
        let b = Budget::new(100_000);
        let body = Body::from(vec![b'x'; 50_000]);
        assert_eq!(
            read(body, 40_000, &b, soon(5000)).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(b.available(), 100_000);
    }

    #[tokio::test]
    async fn stalled_bodies_hold_only_what_they_sent() {
        // 500 requests (HTTP/2 streams or connections alike) that sent one
        // byte each hold 500 bytes, and a real body still gets through.
        let b = Arc::new(Budget::new(100_000));
        let mut stalled_reads = Vec::new();
        for _ in 0..500 {
            let b = b.clone();
            stalled_reads.push(tokio::spawn(async move {
                read(stalled(1), 80_000, &b, soon(3000)).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(b.available(), 100_000 - 500);
        let body = Body::from(vec![b'x'; 5_000]);
        assert_eq!(
            read(body, 80_000, &b, soon(1000)).await.map(|b| b.len()),
            Ok(5_000)
        );
        for r in stalled_reads {
            assert_eq!(r.await.unwrap(), Err(BodyError::Late));
        }
        assert_eq!(b.available(), 100_000);
    }

    #[tokio::test]
    async fn a_full_budget_lets_a_few_wait_and_turns_the_rest_away_at_once() {
        let b = Arc::new(Budget::new(100_000));
        // Real bytes fill the budget.
        let hog = {
            let b = b.clone();
            tokio::spawn(async move { read(stalled(99_000), 200_000, &b, soon(1500)).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut waiting = Vec::new();
        for _ in 0..MAX_WAITING {
            let b = b.clone();
            waiting.push(tokio::spawn(async move {
                read(Body::from(vec![b'x'; 5_000]), 80_000, &b, soon(1000)).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // One more finds the queue full and is answered at once, not at
        // its deadline a minute away (unbounded, it would wait like the
        // others).
        let t0 = std::time::Instant::now();
        let late = read(Body::from(vec![b'x'; 5_000]), 80_000, &b, soon(60_000)).await;
        assert_eq!(late, Err(BodyError::Busy));
        assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
        for w in waiting {
            assert_eq!(w.await.unwrap(), Err(BodyError::Busy));
        }
        assert_eq!(hog.await.unwrap(), Err(BodyError::Late));
        assert_eq!(b.available(), 100_000);
    }
}
