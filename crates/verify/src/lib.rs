//! `rootlock verify`: proves from inside a running container that the root
//! filesystem really is read-only and that nothing can undo it.

use clap::Args;

/// `rootlock verify [--pid PID] [--probe-write] [--format text|json]`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Inspect this process (its /proc/PID/mountinfo and status) instead of self.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Really try to create (and remove) a file in / and a system directory.
    #[arg(long)]
    pub probe_write: bool,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Runs the command; returns the process exit status (0 read-only and safe,
/// 1 not, 2 error).
pub fn run(_args: &VerifyArgs) -> i32 {
    eprintln!("rootlock verify: not yet implemented");
    2
}
