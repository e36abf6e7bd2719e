//! `rootlock cluster`: live inventory of read-only root filesystems through
//! the Kubernetes API, and what enforcing a level would reject.
//!
//! Pods and the pod controllers are listed page by page; replicas collapse
//! into one workload per owner (Pod → ReplicaSet → Deployment, Job →
//! CronJob), and each workload is judged once with the same policy core and
//! pod extraction as `scan`.

mod args;
pub mod client;
mod collect;
pub mod evaluate;
pub mod inventory;
pub mod kubeconfig;
pub mod labels;
pub mod list;
pub mod mutation;
pub mod owners;
mod plugin_stop;
mod progress;
pub mod recommend;
pub mod render;
pub mod report;
mod terminal;
pub mod webhook_policy;
pub mod what_if;

pub use args::ClusterArgs;

use evaluate::Judge;
use indicatif::ProgressDrawTarget;
use progress::Progress;
use report::Report;
use rootlock_policy::LevelVersion;
use rootlock_policy::format::{pluralize, printable};
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

/// Runs the command; returns the process exit status: 0 when no workload
/// fails the level, 1 when some do, 2 on a usage, connection or API error.
pub fn run(args: &ClusterArgs) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let progress = io::stderr().is_terminal();
    let code = run_with(args, &mut out, &mut io::stderr(), progress);
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("rootlock cluster: cannot write output: {e}");
            2
        }
        _ => code,
    }
}

fn parse_level(flag: &str, value: &str, err: &mut dyn Write) -> Option<LevelVersion> {
    match LevelVersion::parse(value) {
        Ok(l) => Some(l),
        Err(e) => {
            let _ = writeln!(err, "rootlock cluster: {flag} {value}: {e}");
            None
        }
    }
}

/// [`run`] with explicit output streams; `progress` draws a bar on stderr.
pub fn run_with(
    args: &ClusterArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: bool,
) -> i32 {
    run_with_progress(args, out, err, progress.then(ProgressDrawTarget::stderr))
}

/// [`run_with`], the progress bar drawn on `progress` when there is one.
pub fn run_with_progress(
    args: &ClusterArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: Option<ProgressDrawTarget>,
) -> i32 {
    let Some(level) = parse_level("--level", &args.level, err) else {
        return 2;
    };
    let what_if = match &args.what_if {
        None => None,
        Some(v) => match parse_level("--what-if", v, err) {
            Some(l) => Some(l),
            None => return 2,
        },
    };
    let config = match &args.config {
        None => None,
        Some(path) => match rootlock_webhook::config::Config::load(path) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                // The webhook's own errors: `FILE:LINE: FIELD: why`, a line each.
                for line in e.lines() {
                    let _ = writeln!(err, "rootlock cluster: config {}", printable(line));
                }
                return 2;
            }
        },
    };
    if let Some(c) = &config
        && !c.exemptions.usernames.is_empty()
    {
        let n = c.exemptions.usernames.len();
        let _ = writeln!(
            err,
            "rootlock cluster: note: the config exempts {} (exemptions.usernames); the webhook checks the requesting user at admission, which an existing pod does not record, so the what-if cannot leave their pods out",
            pluralize("1 username", &format!("{n} usernames"), n)
        );
    }
    // --no-annotation-exemptions is explicit and wins; otherwise the
    // config decides, as it does for the webhook it configures.
    let annotation_exemptions =
        !args.no_annotation_exemptions && config.as_ref().is_none_or(|c| c.annotation_exemptions);
    let judge = Judge {
        level,
        what_if,
        annotation_exemptions,
        webhook: config.clone(),
    };
    // kube builds its TLS config from the process-wide rustls provider; with
    // more than one provider compiled into the binary rustls cannot choose,
    // so choose explicitly (an error only means one is already installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "rootlock cluster: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let mut bar = Progress::disabled();
    let collected = runtime.block_on(async {
        let cluster = client::connect(args).await?;
        // Drawn only once connected: kube runs an interactive credential
        // plugin while it connects, on the terminal's stdin and stderr, and
        // a bar cleared and redrawn every 200 ms erased its prompt. Such a
        // plugin may prompt again to renew its token: then the bar is
        // redrawn only as the listing moves on.
        if let Some(target) = progress {
            bar = Progress::to(target, !cluster.interactive_plugin);
        }
        collect::collect(&cluster, args, judge, &bar).await
    });
    bar.finish();
    // Drop in-flight work (an aborted prefetch) before rendering.
    runtime.shutdown_background();
    let inventory = match collected {
        Ok(inv) => inv,
        Err(e) => {
            let _ = writeln!(err, "rootlock cluster: {}", printable(&e.to_string()));
            return 2;
        }
    };
    let (namespaces, workloads, pods, errors) = inventory.finish();
    let report = Report::build(
        level,
        what_if,
        namespaces,
        workloads,
        pods,
        errors,
        config.as_deref(),
    );
    for e in &report.errors {
        let _ = writeln!(err, "rootlock cluster: {}", printable(&e.to_string()));
    }
    let written = match args.format.as_str() {
        "json" => render::json::write(&report, out),
        "csv" => render::csv::write(&report, out),
        "sarif" => render::sarif::write(&report, out),
        _ => render::table::write(&report, out),
    };
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(err, "rootlock cluster: cannot write output: {e}");
        }
        return 2;
    }
    if !report.errors.is_empty() {
        2
    } else if report.failing() > 0 {
        1
    } else {
        0
    }
}
