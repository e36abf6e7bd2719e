//! Which text exposition `/metrics` answers in. prometheus-client writes
//! OpenMetrics 1.0; Prometheus asks for it in its Accept header and gets it.
//! Every other scraper (curl, older agents, the Prometheus text parsers in
//! client libraries) gets the Prometheus text format 0.0.4, the default
//! exposition, as client_golang negotiates it.

/// The two expositions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposition {
    OpenMetrics,
    PrometheusText,
}

impl Exposition {
    pub fn content_type(self) -> &'static str {
        match self {
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Exposition::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
        }
    }

    /// OpenMetrics when the Accept header asks for it at least as much as
    /// for anything else; Prometheus text otherwise, and without a header.
    pub fn negotiate(accept: Option<&str>) -> Exposition {
        let Some(accept) = accept else {
            return Exposition::PrometheusText;
        };
        let mut openmetrics = 0.0f32;
        let mut other = 0.0f32;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if media == "application/openmetrics-text" {
                openmetrics = openmetrics.max(q);
            } else {
                other = other.max(q);
            }
        }
        if openmetrics > 0.0 && openmetrics >= other {
            Exposition::OpenMetrics
        } else {
            Exposition::PrometheusText
        }
    }
}

/// OpenMetrics text, as prometheus-client writes it for counters, gauges
/// and histograms, turned into Prometheus text 0.0.4: a counter family is
/// named after its samples (`x_total`, where OpenMetrics names it `x`),
/// and the `# UNIT` and `# EOF` lines, which 0.0.4 does not have, go. The
/// sample lines are the same in both.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // HELP comes before TYPE; whether the family is a counter is known
    // only at TYPE, so HELP waits for it.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest.split_once(' ').unwrap_or((rest, "")));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let family = if kind == "counter" && !name.ends_with("_total") {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            if let Some((help_name, text)) = help.take() {
                let named = if help_name == name {
                    &family
                } else {
                    help_name
                };
                out.push_str(&format!("# HELP {named} {text}\n"));
            }
            out.push_str(&format!("# TYPE {family} {kind}\n"));
            continue;
        }
        if let Some((name, text)) = help.take() {
            out.push_str(&format!("# HELP {name} {text}\n"));
        }
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_asks_for_openmetrics_and_gets_it() {
        // Prometheus 2.x's scrape Accept header.
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            Exposition::negotiate(Some(prometheus)),
            Exposition::OpenMetrics
        );
        for accept in [
            None,
            Some("*/*"),
            Some("text/plain"),
            Some("text/plain;version=0.0.4,application/openmetrics-text;q=0.5"),
            Some("application/openmetrics-text;q=0"),
        ] {
            assert_eq!(
                Exposition::negotiate(accept),
                Exposition::PrometheusText,
                "{accept:?}"
            );
        }
    }

    #[test]
    fn counter_families_take_their_samples_name_and_eof_goes() {
        let om = "# HELP app_requests Requests.\n# TYPE app_requests counter\napp_requests_total{path=\"/\"} 3\n\
                  # HELP app_seconds Time.\n# TYPE app_seconds histogram\n# UNIT app_seconds seconds\n\
                  app_seconds_bucket{le=\"+Inf\"} 1\napp_seconds_sum 0.5\napp_seconds_count 1\n\
                  # HELP app_up Up.\n# TYPE app_up gauge\napp_up 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\napp_requests_total{path=\"/\"} 3\n\
             # HELP app_seconds Time.\n# TYPE app_seconds histogram\n\
             app_seconds_bucket{le=\"+Inf\"} 1\napp_seconds_sum 0.5\napp_seconds_count 1\n\
             # HELP app_up Up.\n# TYPE app_up gauge\napp_up 1\n"
        );
    }
}
