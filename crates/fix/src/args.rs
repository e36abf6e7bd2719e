//! Command-line arguments of `rootlock fix`.

use clap::Args;

/// `rootlock fix [--level restricted|immutable] [--writable PATH[=memory|disk][:SIZE]]… [--plan FILE] [--write|--check] PATH…|-`
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Level to fix for: restricted (Pod Security Standards) or immutable
    /// (restricted + read-only root filesystem and writable volumes),
    /// optionally with a policy version (`restricted:v1.30`).
    #[arg(long, default_value = "immutable", value_name = "LEVEL[:VERSION]")]
    pub level: String,
    /// A path the application writes: `PATH[=memory|disk][:SIZE]`, e.g.
    /// `/var/cache/nginx=disk:1Gi`. Memory is a tmpfs emptyDir (default
    /// size 64Mi), disk a node-disk emptyDir. Repeatable. Without it (and
    /// without --plan) a memory-backed /tmp is added.
    #[arg(long, value_name = "PATH[=MEDIUM][:SIZE]")]
    pub writable: Vec<String>,
    /// A volume plan from `rootlock trace` or `rootlock logs` (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<String>,
    /// Overwrite explicit contrary values (`readOnlyRootFilesystem: false`,
    /// `privileged: true`, …) instead of reporting them.
    #[arg(long)]
    pub force: bool,
    /// Edit the files in place (atomically); with `-`, print the fixed stream.
    #[arg(long, conflicts_with = "check")]
    pub write: bool,
    /// Change nothing; exit 1 when the fix would change something (for CI).
    #[arg(long)]
    pub check: bool,
    /// Instead of a diff, write strategic-merge patches: `kustomize`.
    #[arg(long, value_parser = ["kustomize"], conflicts_with_all = ["write", "check"])]
    pub emit: Option<String>,
    /// With --emit: a directory for the patches (one file per workload)
    /// instead of standard output.
    #[arg(long, value_name = "DIR", requires = "emit")]
    pub out_dir: Option<String>,
    /// Largest single document accepted, in bytes (suffixes Ki, Mi, Gi).
    // The same grammar as `scan`'s flag of the same name: a script that
    // passes `--max-document-size 8Mi` to both must not fail in one.
    #[arg(long, default_value = "16Mi", value_parser = rootlock_manifest::limits::parse_size)]
    pub max_document_size: usize,
    /// Files or directories (YAML/JSON, recursively); `-` reads stdin.
    // PathBuf, not String: a file name need not be UTF-8 on Linux.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
}
