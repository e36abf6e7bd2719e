//! Reading a request body within a byte budget shared by every body being
//! received, so that slow or stalled senders cannot hold the pod's memory.
//!
//! The budget counts bytes as they are kept, not as they are declared:
//! reserving a body's whole `Content-Length` up front let twelve
//! connections that declared 3 MiB and sent one byte each hold all 32 MiB,
//! and every real review then waited for its deadline and got 503 (with
//! `failurePolicy: Fail`, no pod could be created anywhere). Now a body
//! holds what it has received plus at most [`AHEAD`] bytes reserved for
//! its next frame, so idle connections hold almost nothing (1,024 of them,
//! the connection cap, [`AHEAD`] each: half the default budget), and
//! filling the budget takes sending that many real bytes before their
//! deadlines.

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::{Instant, timeout_at};

/// Bytes reserved for the next frame before it is read (hyper hands over
/// HTTP/2 frames of at most 16 KiB; a larger HTTP/1.1 frame reserves the
/// rest once it is in).
pub const AHEAD: usize = 16 * 1024;

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// More than the limit.
    TooLarge,
    /// Not all there by the deadline.
    Late,
    /// The budget had no room for it before the deadline.
    Busy,
    /// The connection failed while reading it.
    Read(String),
}

/// The shared budget: `total` bytes, as semaphore permits.
pub struct Budget<'a> {
    pub permits: &'a Semaphore,
    pub total: usize,
}

/// Reads `body` (at most `limit` bytes; `expected` is its declared length,
/// if any) by `deadline`, within the budget. The bytes held are released
/// when this returns; the body then exists once, for the review.
pub async fn read(
    body: Body,
    limit: usize,
    expected: Option<usize>,
    budget: &Budget<'_>,
    deadline: Instant,
) -> Result<Bytes, BodyError> {
    let mut body = std::pin::pin!(body);
    let mut held: Option<SemaphorePermit<'_>> = None;
    let (mut received, mut spare) = (0usize, 0usize);
    let mut chunks: Vec<Bytes> = Vec::new();
    loop {
        let next = AHEAD
            .min(expected.unwrap_or(limit).saturating_sub(received))
            .max(1);
        if spare < next {
            reserve(budget, &mut held, next - spare, deadline).await?;
            spare = next;
        }
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
        if received + data.len() > limit {
            return Err(BodyError::TooLarge);
        }
        if data.len() > spare {
            reserve(budget, &mut held, data.len() - spare, deadline).await?;
            spare = data.len();
        }
        spare -= data.len();
        received += data.len();
        if !data.is_empty() {
            chunks.push(data);
        }
    }
    Ok(match chunks.len() {
        // The usual case: the whole body came in one frame, kept as is.
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

/// Adds `n` bytes to what this body holds, waiting for room until the
/// deadline.
async fn reserve<'a>(
    budget: &Budget<'a>,
    held: &mut Option<SemaphorePermit<'a>>,
    n: usize,
    deadline: Instant,
) -> Result<(), BodyError> {
    // More than the whole budget could never be granted: a body that big
    // waits for its deadline like one that finds no room.
    let n = u32::try_from(n.clamp(1, budget.total)).unwrap_or(u32::MAX);
    let permit = match timeout_at(deadline, budget.permits.acquire_many(n)).await {
        Ok(Ok(p)) => p,
        _ => return Err(BodyError::Busy),
    };
    match held {
        Some(h) => h.merge(permit),
        None => *held = Some(permit),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn budget(s: &Semaphore, total: usize) -> Budget<'_> {
        Budget { permits: s, total }
    }

    #[tokio::test]
    async fn a_body_is_read_whole_and_its_bytes_given_back() {
        let s = Semaphore::new(100_000);
        let b = budget(&s, 100_000);
        let deadline = Instant::now() + Duration::from_secs(5);
        let body = Body::from(vec![b'x'; 50_000]);
        let got = read(body, 60_000, Some(50_000), &b, deadline).await;
        assert_eq!(got.map(|b| b.len()), Ok(50_000));
        assert_eq!(s.available_permits(), 100_000);
    }

    #[tokio::test]
    async fn over_the_limit_is_too_large() {
        let s = Semaphore::new(100_000);
        let b = budget(&s, 100_000);
        let deadline = Instant::now() + Duration::from_secs(5);
        let body = Body::from(vec![b'x'; 50_000]);
        assert_eq!(
            read(body, 40_000, None, &b, deadline).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(s.available_permits(), 100_000);
    }

    #[tokio::test]
    async fn no_room_before_the_deadline_is_busy() {
        let s = Semaphore::new(100_000);
        let b = budget(&s, 100_000);
        let _taken = s.acquire_many(99_000).await.unwrap();
        let deadline = Instant::now() + Duration::from_millis(200);
        let body = Body::from(vec![b'x'; 5_000]);
        assert_eq!(
            read(body, 60_000, Some(5_000), &b, deadline).await,
            Err(BodyError::Busy)
        );
        // What it reserved while waiting is given back.
        assert_eq!(s.available_permits(), 1_000);
    }
}
