//! Logs must never stop admission. stderr is a pipe to the container
//! runtime; when nobody empties it, a write blocks. With the log writer on
//! the server's threads, about 64 denials into a pipe nobody read blocked
//! every worker and the webhook answered nothing, not even /healthz.
//!
//! Its own test binary: it installs the process-wide log subscriber.

mod common;

use common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_pipe_nobody_reads_does_not_stop_admission() {
    // The read end is kept open and never read: writes to the pipe block
    // once its 64 KiB are full, as stderr does when the runtime stalls.
    let (_never_read, sink) = std::io::pipe().unwrap();
    let _log = rootlock_webhook::logging::init(sink);
    let h = start(Default::default()).await;
    // More denials (one log line each) than the pipe and the writer's
    // queue hold together, so lines must be dropped.
    let denials = rootlock_webhook::logging::QUEUE_LINES + 300;
    let all = async {
        for i in 0..denials {
            let body = variant("05-pod-create", &format!("log-{i}"), |_| {});
            assert_eq!(h.review("/validate", &body).await["allowed"], false);
        }
    };
    // A hang here is the failure; the bound only turns it into one.
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("the webhook stopped answering while its log pipe was full");
    assert_eq!(get_status(&h.client, h.url("/healthz")).await, 200);
    let metrics = h.metrics().await;
    let dropped: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rootlock_webhook_log_lines_dropped_total "))
        .expect("the dropped-lines counter")
        .parse()
        .unwrap();
    assert!(dropped >= 200, "{dropped} dropped\n{metrics}");
}
