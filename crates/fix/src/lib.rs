//! `rootlock fix`: format-preserving rewrite that makes workloads immutable
//! (securityContext fields plus emptyDir volumes for the paths they write).

use clap::Args;

/// `rootlock fix [--level L] [--writable PATH[=memory|disk][:SIZE]]… [--plan FILE] [--write|--check] PATH…|-`
#[derive(Debug, Args)]
pub struct FixArgs {
    #[arg(long, default_value = "immutable")]
    pub level: String,
    /// Files or directories; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
}

/// Runs the command; returns the process exit status.
pub fn run(_args: &FixArgs) -> i32 {
    eprintln!("rootlock fix: not yet implemented");
    2
}
