//! `rootlock cluster`: live inventory of read-only root filesystems through
//! the Kubernetes API, and what enforcing a level would reject.

use clap::Args;

/// `rootlock cluster [--context C] [--namespace N]… [--level L] [--what-if L] [--format …]`
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// kubeconfig context to use.
    #[arg(long)]
    pub context: Option<String>,
    /// Only these namespaces (repeatable); default all.
    #[arg(long = "namespace", short = 'n')]
    pub namespaces: Vec<String>,
    #[arg(long, default_value = "immutable")]
    pub level: String,
    #[arg(long)]
    pub what_if: Option<String>,
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "sarif"])]
    pub format: String,
}

/// Runs the command; returns the process exit status.
pub fn run(_args: &ClusterArgs) -> i32 {
    eprintln!("rootlock cluster: not yet implemented");
    2
}
