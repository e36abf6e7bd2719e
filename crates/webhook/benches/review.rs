//! CPU cost of one AdmissionReview without the network: body bytes in,
//! response bytes out, through exactly the code `/validate` runs
//! (`server::review_body`). The bodies: [`common::bodies`].
//!
//!   cargo bench -p rootlock-webhook --bench review
//!
//! The peer figure in the same run is `serde_json` parsing the same body
//! into an untyped `Value` and writing it back: the least any JSON
//! webhook does with a review.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;
use common::bodies::{bodies, offline_webhook, review, runtime, serde_json_roundtrip};

// The allocator the `rootlock` binary runs with, so the figures are the
// server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let (allowed, denied) = bodies();
    let wh = offline_webhook();
    let rt = runtime();
    let review = |body: &[u8]| review(&wh, &rt, body);
    // The verdicts the figures are about, checked once.
    assert!(String::from_utf8_lossy(&review(&allowed)).contains(r#""allowed":true"#));
    assert!(String::from_utf8_lossy(&review(&denied)).contains(r#""allowed":false"#));

    let mut g = c.benchmark_group("review");
    for (name, body) in [("allowed", &allowed), ("denied", &denied)] {
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("rootlock/{name}"), |b| {
            b.iter(|| black_box(review(black_box(body))))
        });
        g.bench_function(format!("serde_json_value_roundtrip/{name}"), |b| {
            b.iter(|| black_box(serde_json_roundtrip(black_box(body))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
