//! `rootlock webhook`: validating and mutating admission webhook with
//! PSA-compatible enforce/warn/audit by namespace label.
//!
//! * [`config`] — the config file (defaults, exemptions, options).
//! * [`labels`] — namespace labels → policy, with PSA's defaulting rules.
//! * [`review`] — AdmissionReview v1 request and response.
//! * [`object`] — a request's object (raw JSON) into the policy's tree.
//! * [`admit`], [`pods`], [`controllers`], [`namespaces`], [`mutate`] — decisions.
//! * [`cache`] — the watched namespace cache and the pod lister.
//! * [`server`] — HTTPS, certificate reload, limits, graceful shutdown.
//! * [`metrics`], [`certs`].

pub mod admission_configuration;
pub mod admit;
mod body_budget;
pub mod cache;
pub mod certs;
pub mod config;
pub mod controllers;
mod idle;
pub mod labels;
pub mod listen;
pub mod logging;
pub mod metrics;
pub mod metrics_format;
pub mod mutate;
pub mod namespaces;
pub mod object;
pub mod outbox;
pub mod pod_pages;
pub mod pods;
pub mod response_json;
pub mod review;
pub mod server;
pub mod serving_cert;
pub mod template_mutation;
pub mod windows_nodes;

use admit::{Call, Webhook};
use cache::{KubePodLister, NamespaceCache, Namespaces};
use clap::{Args, Subcommand};
use config::Config;
use review::AdmissionResponse;
use server::ServerOptions;
use std::sync::Arc;
use std::time::Duration;

/// `rootlock webhook --listen ADDR --tls-cert FILE --tls-key FILE [--config FILE] [--offline]`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct WebhookArgs {
    #[command(subcommand)]
    pub command: Option<WebhookCommand>,
    /// Address to listen on. The default, [::]:8443, is every IPv6 and IPv4
    /// address (IPv4 only on a kernel without IPv6).
    #[arg(long, default_value = "[::]:8443", value_name = "ADDR")]
    pub listen: String,
    /// Serving certificate (PEM); re-read when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<String>,
    /// Private key of the serving certificate (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<String>,
    /// Configuration file (YAML): defaults and exemptions.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Contact no Kubernetes API: every namespace takes the defaults.
    #[arg(long)]
    pub offline: bool,
    /// Worker threads (default: the number of CPUs available).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// On SIGTERM, answer /readyz with 503 but keep serving for this many
    /// seconds before closing the listener, so that the endpoint's removal
    /// reaches the API server first (deploy/ uses 5). A second signal ends
    /// the wait.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub shutdown_delay: u64,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Generate a CA and a serving certificate; print the caBundle.
    Certs(certs::CertsArgs),
}

/// Dispatches a review to the handler of its resource.
pub async fn validate(wh: &Webhook, call: &Call<'_>) -> AdmissionResponse {
    let r = &call.req.resource;
    match (r.group.as_str(), r.resource.as_str()) {
        ("", "pods") => pods::validate(wh, call).await,
        ("", "namespaces") => namespaces::validate(wh, call).await,
        (g, res) if controllers::is_controller(g, res) => controllers::validate(wh, call).await,
        _ => AdmissionResponse::allow(),
    }
}

/// Runs the server (or `certs`); returns the process exit status.
pub fn run(args: &WebhookArgs) -> i32 {
    if let Some(WebhookCommand::Certs(c)) = &args.command {
        return certs::run(c);
    }
    let config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                for line in e.lines() {
                    eprintln!("rootlock webhook: config {line}");
                }
                return 2;
            }
        },
        None => Config::default(),
    };
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        eprintln!(
            "rootlock webhook: --tls-cert and --tls-key are required (`rootlock webhook certs` makes a pair)"
        );
        return 2;
    };
    let listen = match args.listen.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("rootlock webhook: --listen {:?}: {e}", args.listen);
            return 2;
        }
    };
    // Held until the server has stopped: dropping it writes the lines
    // still queued.
    let _log = logging::init(std::io::stderr());
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(2)
        .max(1);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rootlock webhook: {e}");
            return 2;
        }
    };
    let opts = ServerOptions::new(listen, cert, key);
    let delay = Duration::from_secs(args.shutdown_delay);
    rt.block_on(serve(config, args.offline, opts, delay))
}

async fn serve(config: Config, offline: bool, opts: ServerOptions, delay: Duration) -> i32 {
    server::install_crypto_provider();
    let (namespaces, pod_lister): (Namespaces, Option<Arc<dyn cache::PodLister>>) = if offline {
        (Namespaces::Offline, None)
    } else {
        match kube::Client::try_default().await {
            Ok(client) => {
                let (cache, _task) = NamespaceCache::start(client.clone());
                (
                    Namespaces::Cache(cache),
                    Some(Arc::new(KubePodLister(client))),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "no Kubernetes API configuration (kubeconfig or in-cluster); use --offline to run without one");
                return 2;
            }
        }
    };
    // What an unlabelled namespace gets, said once: a config file may
    // mean something else than its reader assumed (PSA's own file leaves
    // out fields as privileged; rootlock's as immutable).
    let d = &config.defaults;
    tracing::info!(
        enforce = %d.enforce,
        warn = %d.warn,
        audit = %d.audit,
        exempt_namespaces = config.exemptions.namespaces.len(),
        exempt_usernames = config.exemptions.usernames.len(),
        exempt_runtime_classes = config.exemptions.runtime_classes.len(),
        "defaults for namespaces without rootlock.dev labels"
    );
    let webhook = Arc::new(Webhook {
        config,
        namespaces,
        pod_lister,
        metrics: metrics::Metrics::new(),
        dry_runs: Default::default(),
    });
    let running = match server::start(webhook, opts).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return 2;
        }
    };
    tracing::info!(addr = %running.local_addr, offline, "rootlock webhook listening");
    let shutdown = running.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        shutdown.unready();
        if !delay.is_zero() {
            tracing::info!(
                seconds = delay.as_secs(),
                "signal received: /readyz answers 503, still serving until the endpoint is gone"
            );
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wait_for_signal() => tracing::info!("second signal: not waiting any longer"),
            }
        }
        tracing::info!("shutting down");
        shutdown.stop();
    });
    running.wait().await;
    // Give the runtime a moment to flush logs.
    tokio::time::sleep(Duration::from_millis(10)).await;
    0
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_names_the_values_as_the_contract_does() {
        // DESIGN.md: `rootlock webhook --listen ADDR --tls-cert FILE
        // --tls-key FILE [--config FILE] [--offline]`.
        let help = WebhookArgs::augment_args(clap::Command::new("webhook"))
            .render_help()
            .to_string();
        for usage in [
            "--listen <ADDR>",
            "--tls-cert <FILE>",
            "--tls-key <FILE>",
            "--config <FILE>",
        ] {
            assert!(help.contains(usage), "{usage}: {help}");
        }
        let certs = certs::CertsArgs::augment_args(clap::Command::new("certs"))
            .render_help()
            .to_string();
        assert!(certs.contains("--out-dir <DIR>"), "{certs}");
    }
}
