//! The webhook's body-to-response path (`server::review_body`, what
//! `/validate` and `/mutate` run once a body is read) on arbitrary bytes.
//! Nothing may panic; every answer is an AdmissionReview v1 whose uid is
//! the request's; a mutation's patch, applied, leaves nothing more to
//! patch (re-invocation adds nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_webhook::admit::Webhook;
use rootlock_webhook::cache::Namespaces;
use rootlock_webhook::config::Config;
use rootlock_webhook::metrics::Metrics;
use rootlock_webhook::mutate::apply_adds;
use rootlock_webhook::server::review_body;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct State {
    wh: Webhook,
    rt: tokio::runtime::Runtime,
}

fn state() -> &'static State {
    static S: OnceLock<State> = OnceLock::new();
    S.get_or_init(|| State {
        wh: Webhook {
            config: Config::parse("mutate:\n  enabled: true\n  tmpSizeLimit: 16Mi\n").unwrap(),
            namespaces: Namespaces::Offline,
            pod_lister: None,
            metrics: Metrics::new(),
            dry_runs: Default::default(),
        },
        rt: tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap(),
    })
}

fn answer(path: &str, body: &[u8]) -> Option<Value> {
    let s = state();
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = s.rt.block_on(review_body(&s.wh, path, body, deadline)).ok()?;
    let review: Value = serde_json::from_slice(&out).expect("the response is JSON");
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(review["kind"], "AdmissionReview");
    assert!(review["response"]["allowed"].is_boolean(), "{review}");
    Some(review)
}

fuzz_target!(|data: &[u8]| {
    for path in ["/validate", "/mutate"] {
        let Some(review) = answer(path, data) else { continue };
        let request: Value = serde_json::from_slice(data).expect("an accepted body is JSON");
        assert_eq!(review["response"]["uid"], request["request"]["uid"]);
        let Some(patch) = review["response"]["patch"].as_str() else { continue };
        // Re-invocation: the patched object gets no further patch.
        use base64::Engine;
        let patch = base64::engine::general_purpose::STANDARD.decode(patch).expect("base64 patch");
        let patch: Vec<Value> = serde_json::from_slice(&patch).expect("a JSONPatch");
        let mut again = request.clone();
        apply_adds(&mut again["request"]["object"], &patch).expect("the patch applies to its object");
        let body = serde_json::to_vec(&again).unwrap();
        let second = answer("/mutate", &body).expect("the patched review is still a review");
        assert!(second["response"]["patch"].is_null(), "patched twice:\n{again}\n{second}");
    }
});
