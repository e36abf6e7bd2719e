//! Prometheus metrics: admission decisions by operation, kind, mode, level
//! and decision; request latency; the namespace cache's age.

use crate::metrics_format::{Exposition, to_prometheus_text};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rootlock_policy::Level;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EvalLabels {
    pub operation: &'static str,
    pub kind: &'static str,
    pub mode: &'static str,
    pub level: &'static str,
    pub decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub path: &'static str,
    pub code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabel {
    pub path: &'static str,
}

/// What the server reads at each scrape, besides the counters.
pub struct Readings {
    pub cache_age_seconds: f64,
    pub cache_ready: bool,
    /// Kept by the log writer.
    pub log_lines_dropped: u64,
    /// The serving certificate's notAfter (Unix seconds), if known.
    pub certificate_not_after: Option<i64>,
}

pub struct Metrics {
    registry: Registry,
    evaluations: Family<EvalLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<PathLabel, Histogram>,
    cache_age: Gauge<f64, AtomicU64>,
    cache_ready: Gauge,
    log_lines_dropped: Counter,
    certificate_expiry: Gauge,
}

pub fn operation_label(op: &str) -> &'static str {
    match op {
        "CREATE" => "create",
        "UPDATE" => "update",
        "DELETE" => "delete",
        "CONNECT" => "connect",
        _ => "other",
    }
}

/// The resource kinds the webhook knows, as static labels.
pub fn kind_label(kind: &str) -> &'static str {
    const KINDS: &[&str] = &[
        "Pod",
        "Namespace",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
        "PodTemplate",
    ];
    KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

pub fn level_label(level: Level) -> &'static str {
    level.as_str()
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rootlock_webhook");
        let evaluations = Family::<EvalLabels, Counter>::default();
        registry.register(
            "evaluations",
            "Policy evaluations by operation, kind, mode (enforce, warn, audit; none for exemptions and errors), level and decision (allow, deny, exempt, error)",
            evaluations.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests to the admission endpoints by path and status code",
            requests.clone(),
        );
        // 25 µs to 52 s: past the longest request deadline (30 s), so that
        // a review answered near the API server's timeout is told apart
        // from one answered at it.
        let latency = Family::<PathLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_025, 2.0, 22))
        });
        registry.register(
            "request_duration_seconds",
            "Time to answer an AdmissionReview, from its request headers to the answer (receiving the body included), of the reviews answered 200",
            latency.clone(),
        );
        let cache_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "namespace_cache_age_seconds",
            "Seconds since the namespace cache last heard from the API server (0 offline)",
            cache_age.clone(),
        );
        let cache_ready = Gauge::default();
        registry.register(
            "namespace_cache_ready",
            "1 once the namespace cache has synced (always 1 offline)",
            cache_ready.clone(),
        );
        let log_lines_dropped = Counter::default();
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log writer's queue was full (stderr not read fast enough)",
            log_lines_dropped.clone(),
        );
        // The usual name for it (cert-manager's and the kubelet's
        // certificate gauges are timestamps too), so an alert is written
        // as `… - time() < 7 * 86400`.
        let certificate_expiry = Gauge::default();
        registry.register(
            "certificate_expiry_timestamp_seconds",
            "The serving certificate's notAfter, in Unix seconds (0 when its dates could not be read)",
            certificate_expiry.clone(),
        );
        Metrics {
            registry,
            certificate_expiry,
            log_lines_dropped,
            evaluations,
            requests,
            latency,
            cache_age,
            cache_ready,
        }
    }

    pub fn evaluation(&self, labels: EvalLabels) {
        self.evaluations.get_or_create(&labels).inc();
    }

    pub fn request(&self, path: &'static str, code: u16, seconds: f64) {
        let code = match code {
            200 => "200",
            400 => "400",
            404 => "404",
            405 => "405",
            408 => "408",
            413 => "413",
            415 => "415",
            500 => "500",
            503 => "503",
            504 => "504",
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels { path, code })
            .inc();
        if code == "200" {
            self.latency
                .get_or_create(&PathLabel { path })
                .observe(seconds);
        }
    }

    /// The text exposition asked for, with the gauges and the count of
    /// dropped log lines brought up to date from `now`.
    pub fn render(&self, now: &Readings, how: Exposition) -> String {
        self.cache_age.set(now.cache_age_seconds);
        self.cache_ready.set(i64::from(now.cache_ready));
        self.certificate_expiry
            .set(now.certificate_not_after.unwrap_or(0));
        let counted = self.log_lines_dropped.get();
        if now.log_lines_dropped > counted {
            self.log_lines_dropped
                .inc_by(now.log_lines_dropped - counted);
        }
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        match how {
            Exposition::OpenMetrics => out,
            Exposition::PrometheusText => to_prometheus_text(&out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings(cache_age_seconds: f64, log_lines_dropped: u64) -> Readings {
        Readings {
            cache_age_seconds,
            cache_ready: true,
            log_lines_dropped,
            certificate_not_after: Some(1_795_000_000),
        }
    }

    fn metrics_with_samples() -> Metrics {
        let m = Metrics::new();
        m.evaluation(EvalLabels {
            operation: "create",
            kind: "Pod",
            mode: "enforce",
            level: "immutable",
            decision: "deny",
        });
        m.request("/validate", 200, 0.0003);
        m
    }

    #[test]
    fn renders_openmetrics() {
        let m = metrics_with_samples();
        let text = m.render(&readings(1.5, 7), Exposition::OpenMetrics);
        assert!(
            text.contains("rootlock_webhook_log_lines_dropped_total 7\n"),
            "{text}"
        );
        // The count the log writer keeps is mirrored, not added up.
        let text = m.render(&readings(1.5, 9), Exposition::OpenMetrics);
        assert!(
            text.contains("rootlock_webhook_log_lines_dropped_total 9\n"),
            "{text}"
        );
        assert!(text.contains("rootlock_webhook_evaluations_total{operation=\"create\",kind=\"Pod\",mode=\"enforce\",level=\"immutable\",decision=\"deny\"} 1"), "{text}");
        assert!(text.contains("# TYPE rootlock_webhook_evaluations counter"));
        assert!(text.contains("rootlock_webhook_request_duration_seconds_bucket"));
        assert!(text.contains("rootlock_webhook_namespace_cache_age_seconds 1.5"));
        assert!(
            text.contains("rootlock_webhook_certificate_expiry_timestamp_seconds 1795000000\n"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    /// A review answered just before the API server's timeout (5 s in
    /// deploy/, at most 30 s) falls in a bucket of its own: with buckets
    /// up to 3.3 s it fell in +Inf with every timeout, and a quantile over
    /// them could not tell 3.4 s from 30 s (histogram_quantile gives the
    /// highest finite bound, 3.3 s, for both).
    #[test]
    fn latency_buckets_reach_the_longest_request_deadline() {
        let m = Metrics::new();
        m.request("/validate", 200, 4.9);
        let text = m.render(&readings(0.0, 0), Exposition::PrometheusText);
        let bounds: Vec<(f64, u64)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("rootlock_webhook_request_duration_seconds_bucket{"))
            .filter_map(|l| {
                let le = l.split("le=\"").nth(1)?.split('"').next()?.parse().ok()?;
                let count = l.rsplit(' ').next()?.parse().ok()?;
                Some((le, count))
            })
            .collect();
        let finite: Vec<f64> = bounds
            .iter()
            .map(|b| b.0)
            .filter(|b| b.is_finite())
            .collect();
        assert!(finite.iter().any(|&le| le >= 30.0), "{finite:?}");
        // 4.9 s is counted below a finite bound under 10 s.
        assert!(
            bounds.iter().any(|&(le, n)| le < 10.0 && n == 1),
            "{bounds:?}"
        );
    }

    /// The 0.0.4 rules a Prometheus text parser holds a scrape to: every
    /// sample belongs to the family its TYPE line names (a histogram's
    /// samples carry `_bucket`, `_sum`, `_count`), each family is typed
    /// once, and no OpenMetrics-only line is left.
    #[test]
    fn renders_prometheus_text_that_keeps_the_0_0_4_rules() {
        let text = metrics_with_samples().render(&readings(1.5, 0), Exposition::PrometheusText);
        let mut families = std::collections::HashSet::new();
        let mut family: Option<(String, String)> = None;
        let mut samples = 0;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(families.insert(name.to_string()), "typed twice: {line}");
                family = Some((name.to_string(), kind.to_string()));
            } else if let Some(rest) = line.strip_prefix("# HELP ") {
                assert!(
                    !families.contains(rest.split(' ').next().unwrap()),
                    "HELP after TYPE: {line}"
                );
            } else {
                assert!(!line.starts_with('#'), "not 0.0.4: {line}");
                let name = line.split(['{', ' ']).next().unwrap();
                let (fam, kind) = family.as_ref().expect("sample before any TYPE");
                let ok = name == fam
                    || (kind == "histogram"
                        && ["_bucket", "_sum", "_count"]
                            .iter()
                            .any(|s| name.strip_suffix(s) == Some(fam)));
                assert!(ok, "{name} outside its family {fam} ({kind})");
                samples += 1;
            }
        }
        assert!(
            families.contains("rootlock_webhook_evaluations_total"),
            "{text}"
        );
        assert!(families.contains("rootlock_webhook_request_duration_seconds"));
        assert!(samples > 20, "{text}");
    }
}
