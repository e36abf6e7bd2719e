//! The two review bodies the webhook benches send: the recorded `kubectl
//! run` pod review (denied at the default `immutable` level) and the same
//! pod hardened (allowed), as `bench/webhook.sh` sends them.

use serde_json::Value;

/// (allowed, denied) request bodies.
pub fn bodies() -> (Vec<u8>, Vec<u8>) {
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

/// The webhook `rootlock webhook --offline` serves with the default config.
pub fn offline_webhook() -> rootlock_webhook::admit::Webhook {
    rootlock_webhook::admit::Webhook {
        config: rootlock_webhook::config::Config::default(),
        namespaces: rootlock_webhook::cache::Namespaces::Offline,
        pod_lister: None,
        metrics: rootlock_webhook::metrics::Metrics::new(),
        dry_runs: Default::default(),
    }
}

/// One `/validate` review of `body` through `server::review_body`, on a
/// current-thread runtime as a server worker runs it.
pub fn review(
    wh: &rootlock_webhook::admit::Webhook,
    rt: &tokio::runtime::Runtime,
    body: &[u8],
) -> Vec<u8> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    rt.block_on(rootlock_webhook::server::review_body(
        wh,
        "/validate",
        body,
        deadline,
    ))
    .expect("a valid review")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

/// The peer: the body parsed into an untyped `Value` and written back, the
/// least any JSON webhook does with a review.
pub fn serde_json_roundtrip(body: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(body).expect("JSON");
    serde_json::to_vec(&v).expect("serialises")
}
