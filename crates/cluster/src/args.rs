//! Command-line arguments of `rootlock cluster`.

use clap::Args;
use std::path::PathBuf;

/// `rootlock cluster [--context C] [--namespace N]… [--level L] [--what-if L] [--config FILE] [--format …]`
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// kubeconfig context to use (default: the current context, or the
    /// in-cluster service account when there is no kubeconfig).
    #[arg(long)]
    pub context: Option<String>,
    /// kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Only these namespaces (repeatable); default all.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE", value_parser = namespace_name)]
    pub namespaces: Vec<String>,
    /// Level the findings are reported at: privileged, baseline, restricted
    /// or immutable, optionally with a version (`restricted:v1.30`).
    #[arg(long, default_value = "immutable", value_name = "LEVEL[:VERSION]")]
    pub level: String,
    /// Show, per namespace, what enforcing this level would reject, in
    /// Pod Security Admission's dry-run wording; where the webhook mutates
    /// (label rootlock.dev/mutate=true, or the config's mutate.enabled),
    /// also which workloads its mutation would make pass. With `--format
    /// csv`, each row says its workload's verdict and reasons.
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub what_if: Option<String>,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "sarif"])]
    pub format: String,
    /// Seconds to wait for any one API request before giving up.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Items per list page (`limit`); the API server's continue token
    /// fetches the rest.
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub chunk_size: u32,
    /// Ignore `exempt.rootlock.dev/*` annotations (wins over the
    /// config's `annotationExemptions: true`).
    #[arg(long)]
    pub no_annotation_exemptions: bool,
    /// The rootlock webhook's config file: the what-if then leaves out
    /// what it exempts (namespaces, runtime classes, and with
    /// `annotationExemptions: true` annotated pods), annotations count only
    /// as it says, and each namespace shows the policy the webhook applies
    /// (unlabelled modes take its `defaults`).
    // A String, not a PathBuf: the webhook's parser takes the path as
    // text, and a lossy conversion could name another file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
}

/// A namespace name as the API server validates it (a DNS-1123 label):
/// anything else names no namespace, and would only reach the server as
/// a different request (`-n ""` is `/api/v1/namespaces/`).
fn namespace_name(value: &str) -> Result<String, String> {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = value.as_bytes();
    let valid = (1..=63).contains(&bytes.len())
        && bytes.iter().all(|&b| alnum(b) || b == b'-')
        && bytes.first().copied().is_some_and(alnum)
        && bytes.last().copied().is_some_and(alnum);
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{value:?} is not a namespace name: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
        ))
    }
}
