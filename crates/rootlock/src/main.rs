//! The `rootlock` command line: argument parsing and dispatch only. Every
//! capability lives in its own crate.

mod scan;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "rootlock", version, about = "Make Kubernetes containers immutable", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests against Pod Security Standards and the immutable level.
    Scan(scan::ScanArgs),
    /// Rewrite manifests (format-preserving) to make containers immutable.
    Fix(rootlock_fix::FixArgs),
    /// Live inventory of a cluster and what enforcing a level would reject.
    Cluster(rootlock_cluster::ClusterArgs),
    /// Run the admission webhook.
    Webhook(rootlock_webhook::WebhookArgs),
    /// Prove inside a running container that the root filesystem is read-only.
    Verify(rootlock_verify::VerifyArgs),
    /// Run a program and record every path it writes; print a volume plan.
    Trace(rootlock_trace::TraceArgs),
    /// Turn `Read-only file system` errors in container logs into a volume plan.
    Logs(rootlock_trace::LogsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0; usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let status = match &cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Fix(args) => rootlock_fix::run(args),
        Command::Cluster(args) => rootlock_cluster::run(args),
        Command::Webhook(args) => rootlock_webhook::run(args),
        Command::Verify(args) => rootlock_verify::run(args),
        Command::Trace(args) => rootlock_trace::run_trace(args),
        Command::Logs(args) => rootlock_trace::run_logs(args),
    };
    ExitCode::from(u8::try_from(status).unwrap_or(2))
}
