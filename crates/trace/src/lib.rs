//! `rootlock trace` (capture every write a program makes, in namespaces over
//! an overlayfs) and `rootlock logs` (read-only-file-system errors in
//! container logs) — both produce a `rootlock_policy::plan::VolumePlan`.

pub mod canonical;
pub mod logs;
pub mod plan_render;
pub mod reduce;

use clap::Args;
use plan_render::Format;
use std::io::Read;

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
    /// What to print on standard output: a summary, or the plan itself.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the plan to FILE (JSON for `*.json`, YAML otherwise).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
}

/// Runs `trace`; returns the process exit status.
pub fn run_trace(_args: &TraceArgs) -> i32 {
    eprintln!("rootlock trace: not yet implemented");
    2
}

/// Runs `logs`; returns the process exit status: 0 with or without findings,
/// 2 when the input cannot be read or the plan cannot be written.
pub fn run_logs(args: &LogsArgs) -> i32 {
    let (name, bytes) = match args.file.as_deref() {
        None | Some("-") => {
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                eprintln!("rootlock logs: cannot read standard input: {e}");
                return 2;
            }
            ("-".to_string(), buf)
        }
        Some(file) => match std::fs::read(file) {
            Ok(b) => (file.to_string(), b),
            Err(e) => {
                eprintln!("rootlock logs: cannot read {file}: {e}");
                return 2;
            }
        },
    };
    let text = String::from_utf8_lossy(&bytes);
    let scan = logs::scan(&text);
    let plan = logs::plan_from_scan(&scan, &format!("logs: {name}"));
    if let Err(e) = plan_render::emit(&plan, args.format, args.output.as_deref()) {
        eprintln!("rootlock logs: {e}");
        return 2;
    }
    0
}
