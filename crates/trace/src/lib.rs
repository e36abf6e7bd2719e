//! `rootlock trace` (capture every write a program makes, in namespaces over
//! an overlayfs) and `rootlock logs` (read-only-file-system errors in
//! container logs) — both produce a `rootlock_policy::plan::VolumePlan`.

use clap::Args;

/// `rootlock trace [OPTIONS] -- CMD ARGS…`
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The command to run, after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// `rootlock logs [FILE|-]`
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log file to read; `-` or nothing reads standard input.
    pub file: Option<String>,
}

/// Runs `trace`; returns the process exit status.
pub fn run_trace(_args: &TraceArgs) -> i32 {
    eprintln!("rootlock trace: not yet implemented");
    2
}

/// Runs `logs`; returns the process exit status.
pub fn run_logs(_args: &LogsArgs) -> i32 {
    eprintln!("rootlock logs: not yet implemented");
    2
}
