//! CPU cost of one AdmissionReview without the network: body bytes in,
//! response bytes out, through exactly the code `/validate` runs
//! (`server::review_body`). The bodies are the recorded `kubectl run`
//! pod review (denied at the default `immutable` level) and the same pod
//! hardened (allowed), as `bench/webhook.sh` sends them.
//!
//!   cargo bench -p rootlock-webhook --bench review
//!
//! The peer figure in the same run is `serde_json` parsing the same body
//! into an untyped `Value` and writing it back: the least any JSON
//! webhook does with a review.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rootlock_webhook::admit::Webhook;
use rootlock_webhook::cache::Namespaces;
use rootlock_webhook::config::Config;
use rootlock_webhook::metrics::Metrics;
use rootlock_webhook::server::review_body;
use serde_json::Value;
use std::hint::black_box;
use std::time::{Duration, Instant};

// The allocator the `rootlock` binary runs with, so the figures are the
// server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bodies() -> (Vec<u8>, Vec<u8>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/apiserver/admission/05-pod-create.json"
    );
    let text = std::fs::read_to_string(path).expect("recorded review (testdata/apiserver)");
    let recorded: Value = serde_json::from_str(&text).expect("recorded review is JSON");
    let denied = recorded["body"].clone();
    let mut allowed = denied.clone();
    allowed["request"]["uid"] = "bench-allowed".into();
    allowed["request"]["object"]["spec"]["containers"][0]["securityContext"] = serde_json::json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "seccompProfile": {"type": "RuntimeDefault"}
    });
    let bytes = |v: &Value| serde_json::to_vec(v).expect("serialises");
    (bytes(&allowed), bytes(&denied))
}

fn bench(c: &mut Criterion) {
    let (allowed, denied) = bodies();
    let wh = Webhook {
        config: Config::default(),
        namespaces: Namespaces::Offline,
        pod_lister: None,
        metrics: Metrics::new(),
        dry_runs: Default::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let review = |body: &[u8]| {
        let deadline = Instant::now() + Duration::from_secs(10);
        rt.block_on(review_body(&wh, "/validate", body, deadline))
            .expect("a valid review")
    };
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
            b.iter(|| {
                let v: Value = serde_json::from_slice(black_box(body)).expect("JSON");
                black_box(serde_json::to_vec(&v).expect("serialises"))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
