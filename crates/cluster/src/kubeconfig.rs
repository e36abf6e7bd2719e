//! Finding and loading the client configuration the way kubectl does:
//! `--kubeconfig`, else every file in `$KUBECONFIG` (merged, missing ones
//! skipped), else `~/.kube/config`, else the in-cluster service account.
//!
//! kube's `Config::infer` does the same search but reports a broken
//! kubeconfig without naming the file, wrapped in the in-cluster attempt's
//! error ("failed to infer config: in-cluster: (…), kubeconfig: (…)"); a
//! broken `~/.kube/config` is the common case, so every error here names
//! the file(s) it came from.

use crate::client::ClusterError;
use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The parts of the process environment the search reads.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `$KUBECONFIG`.
    pub kubeconfig: Option<OsString>,
    /// The home directory (for `~/.kube/config`).
    pub home: Option<PathBuf>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            kubeconfig: std::env::var_os("KUBECONFIG"),
            home: std::env::home_dir(),
        }
    }
}

/// The kubeconfig files to merge, in precedence order, and how to name
/// where they were looked for when none exists.
fn sources(explicit: Option<&Path>, env: &Env) -> (Vec<PathBuf>, String) {
    if let Some(path) = explicit {
        return (vec![path.to_path_buf()], path.display().to_string());
    }
    if let Some(value) = &env.kubeconfig {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            let described = format!("KUBECONFIG={}", value.to_string_lossy());
            // kubectl skips files of the list that do not exist.
            return (
                paths.into_iter().filter(|p| p.exists()).collect(),
                described,
            );
        }
    }
    match &env.home {
        Some(home) => {
            let path = home.join(".kube").join("config");
            let described = path.display().to_string();
            let found = if path.exists() { vec![path] } else { vec![] };
            (found, described)
        }
        None => (Vec::new(), "no home directory for ~/.kube/config".into()),
    }
}

fn named(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The configuration for `--kubeconfig`/`--context`.
pub async fn load(
    explicit: Option<&Path>,
    context: Option<&str>,
    env: &Env,
) -> Result<Config, ClusterError> {
    let (files, looked_at) = sources(explicit, env);
    if files.is_empty() {
        if explicit.is_none() && context.is_none() {
            return Config::incluster().map_err(|e| {
                ClusterError::Config(format!(
                    "no kubeconfig ({looked_at}: no such file) and not running in a cluster ({e})"
                ))
            });
        }
        return Err(ClusterError::Config(format!("{looked_at}: no such file")));
    }
    let mut merged = Kubeconfig::default();
    for file in &files {
        let kc = Kubeconfig::read_from(file)
            .map_err(|e| ClusterError::Config(format!("{}: {e}", file.display())))?;
        merged = merged
            .merge(kc)
            .map_err(|e| ClusterError::Config(format!("{}: {e}", file.display())))?;
    }
    let wanted = context
        .map(str::to_string)
        .or(merged.current_context.clone());
    let Some(wanted) = wanted else {
        return Err(ClusterError::Config(format!(
            "{}: no current-context is set; choose one with --context",
            named(&files)
        )));
    };
    if !merged.contexts.iter().any(|c| c.name == wanted) {
        let names: Vec<&str> = merged.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(ClusterError::Config(format!(
            "{}: no context named {wanted:?} (contexts: {})",
            named(&files),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    // kube would go on without credentials for a user the kubeconfig does
    // not define (and the API server answer as to system:anonymous);
    // kubectl refuses the context, and so does this.
    if let Some(ctx) = merged
        .contexts
        .iter()
        .find(|c| c.name == wanted)
        .and_then(|c| c.context.as_ref())
    {
        let missing = if !merged.clusters.iter().any(|c| c.name == ctx.cluster) {
            Some(("cluster", ctx.cluster.as_str()))
        } else {
            ctx.user
                .as_deref()
                .filter(|u| !u.is_empty() && !merged.auth_infos.iter().any(|a| a.name == *u))
                .map(|u| ("user", u))
        };
        if let Some((what, name)) = missing {
            return Err(ClusterError::Config(format!(
                "{}: {what} {name:?} was not found for context {wanted:?}",
                named(&files)
            )));
        }
    }
    // kube keeps the PEM blocks tagged CERTIFICATE and drops the rest, so
    // a CA with none (a truncated paste, the wrong file) became an empty
    // trust store, and every server "invalid peer certificate".
    let ca_field = merged
        .contexts
        .iter()
        .find(|c| c.name == wanted)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| {
            let cluster = merged.clusters.iter().find(|n| n.name == c.cluster)?;
            let field = match cluster.cluster.as_ref()?.certificate_authority_data {
                Some(_) => "certificate-authority-data",
                None => "certificate-authority",
            };
            Some((cluster.name.clone(), field))
        });
    let options = KubeConfigOptions {
        context: Some(wanted),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(merged, &options)
        .await
        .map_err(|e| ClusterError::Config(format!("{}: {e}", named(&files))))?;
    if config.root_cert.as_ref().is_some_and(Vec::is_empty) {
        let (cluster, field) = ca_field.unwrap_or_default();
        return Err(ClusterError::Config(format!(
            "{}: the {field} of cluster {cluster:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            named(&files)
        )));
    }
    Ok(config)
}
