//! `rootlock webhook`: validating and mutating admission webhook with
//! PSA-compatible enforce/warn/audit by namespace label.

use clap::Args;

/// `rootlock webhook --listen ADDR --tls-cert FILE --tls-key FILE [--config FILE] [--offline]`
#[derive(Debug, Args)]
pub struct WebhookArgs {
    /// Address to listen on, e.g. 0.0.0.0:8443.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: String,
    #[arg(long)]
    pub tls_cert: Option<String>,
    #[arg(long)]
    pub tls_key: Option<String>,
    /// Configuration file (YAML): defaults and exemptions.
    #[arg(long)]
    pub config: Option<String>,
    /// Contact no Kubernetes API: every namespace takes the defaults.
    #[arg(long)]
    pub offline: bool,
}

/// Runs the server; returns the process exit status.
pub fn run(_args: &WebhookArgs) -> i32 {
    eprintln!("rootlock webhook: not yet implemented");
    2
}
