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
use rootlock_manifest::bounded_read::read_at_most;
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

/// The largest kubeconfig read. Real ones are kilobytes; one with a few
/// hundred clusters and their embedded certificates is a few MiB.
pub const MAX_KUBECONFIG_BYTES: u64 = 16 << 20;

/// One kubeconfig file, as kube's `Kubeconfig::read_from` reads it (UTF-8,
/// or UTF-16 after a byte-order mark; relative file names made absolute
/// against the file's directory), but read here: kube's reader panics on
/// a UTF-16 file of an odd number of bytes (it indexes past the last
/// byte), which a truncated or hand-made file has.
///
/// At most [`MAX_KUBECONFIG_BYTES`] are read: `--kubeconfig /dev/zero`,
/// a FIFO that never ends, or a huge file by mistake would otherwise be
/// held in memory whole (or until memory runs out).
fn read_file(file: &Path) -> Result<Kubeconfig, String> {
    let bytes = read_at_most(file, MAX_KUBECONFIG_BYTES)
        .map_err(|e| format!("failed to read kubeconfig: {e}"))?
        .ok_or_else(|| {
            format!(
                "larger than {} MiB: not a kubeconfig",
                MAX_KUBECONFIG_BYTES >> 20
            )
        })?;
    let mut kc = Kubeconfig::from_yaml(&decode(bytes)?).map_err(|e| e.to_string())?;
    if let Some(dir) = file.parent() {
        absolute_paths(&mut kc, dir);
    }
    Ok(kc)
}

/// The text of a kubeconfig file: UTF-16 (either order) after its
/// byte-order mark, else UTF-8 (a UTF-8 byte-order mark dropped).
fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let utf16 = |body: &[u8], unit: fn([u8; 2]) -> u16, order: &str| {
        let (pairs, rest) = body.as_chunks::<2>();
        if !rest.is_empty() {
            return Err(format!(
                "invalid kubeconfig: UTF-16 {order} (by its byte-order mark) but an odd number of bytes long"
            ));
        }
        String::from_utf16(&pairs.iter().map(|&p| unit(p)).collect::<Vec<u16>>())
            .map_err(|_| format!("invalid kubeconfig: not valid UTF-16 {order}"))
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, body @ ..] => utf16(body, u16::from_le_bytes, "LE"),
        [0xFE, 0xFF, body @ ..] => utf16(body, u16::from_be_bytes, "BE"),
        [0xEF, 0xBB, 0xBF, body @ ..] => String::from_utf8(body.to_vec())
            .map_err(|_| "invalid kubeconfig: not valid UTF-8".to_string()),
        _ => {
            String::from_utf8(bytes).map_err(|_| "invalid kubeconfig: not valid UTF-8".to_string())
        }
    }
}

/// Relative file names in a kubeconfig are relative to its directory (as
/// kube and kubectl read them): CA, client certificate and key, token
/// file, and an exec plugin's command when it holds a `/` (a bare name is
/// looked up in `PATH`).
fn absolute_paths(kc: &mut Kubeconfig, dir: &Path) {
    let absolute = |name: &mut Option<String>| {
        if let Some(n) = name
            && Path::new(n.as_str()).is_relative()
            && let Some(joined) = dir.join(n.as_str()).to_str()
        {
            *n = joined.to_string();
        }
    };
    for cluster in kc.clusters.iter_mut().filter_map(|c| c.cluster.as_mut()) {
        absolute(&mut cluster.certificate_authority);
    }
    for user in kc
        .auth_infos
        .iter_mut()
        .filter_map(|a| a.auth_info.as_mut())
    {
        absolute(&mut user.client_certificate);
        absolute(&mut user.client_key);
        absolute(&mut user.token_file);
        if let Some(exec) = user.exec.as_mut()
            && exec
                .command
                .as_deref()
                .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
        {
            absolute(&mut exec.command);
        }
    }
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
        let kc = read_file(file)
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
    // The context, its cluster and its user, looked up once for the checks
    // below.
    let ctx = merged
        .contexts
        .iter()
        .find(|c| c.name == wanted)
        .and_then(|c| c.context.as_ref());
    let named_cluster = ctx.and_then(|c| merged.clusters.iter().find(|n| n.name == c.cluster));
    let named_user = ctx
        .and_then(|c| c.user.as_deref())
        .and_then(|u| merged.auth_infos.iter().find(|a| a.name == u));
    // kube would go on without credentials for a user the kubeconfig does
    // not define (and the API server answer as to system:anonymous);
    // kubectl refuses the context, and so does this.
    if let Some(ctx) = ctx {
        let missing = if named_cluster.is_none() {
            Some(("cluster", ctx.cluster.as_str()))
        } else {
            ctx.user
                .as_deref()
                .filter(|u| !u.is_empty() && named_user.is_none())
                .map(|u| ("user", u))
        };
        if let Some((what, name)) = missing {
            return Err(ClusterError::Config(format!(
                "{}: {what} {name:?} was not found for context {wanted:?}",
                named(&files)
            )));
        }
    }
    // kube reads each file the context names whole and blocking (the CA
    // when the configuration is built, the client certificate and key and
    // the token file when the client is, the token file again every
    // minute): `certificate-authority: /dev/zero`, or a huge file by
    // mistake, was read until memory ran out, past --request-timeout.
    let cluster = named_cluster.and_then(|n| n.cluster.as_ref());
    let user = named_user.and_then(|a| a.auth_info.as_ref());
    for (field, file) in named_files(cluster, user) {
        if let Some(why) = not_a_credential_file(Path::new(file)) {
            return Err(ClusterError::Config(format!(
                "{}: the {field} {file} {why}",
                named(&files)
            )));
        }
    }
    // kube keeps the PEM blocks tagged CERTIFICATE and drops the rest, so
    // a CA with none (a truncated paste, the wrong file) became an empty
    // trust store, and every server "invalid peer certificate".
    let ca_field = named_cluster.and_then(|cluster| {
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

/// The largest file a kubeconfig names that is read: a CA bundle, a
/// client certificate or key, a bearer token are a few KiB (the system's
/// whole CA bundle is a few hundred).
pub const MAX_NAMED_FILE_BYTES: u64 = 4 << 20;

/// The files the context's cluster and user name that kube will read, each
/// with its kubeconfig field: only where no inline data (or token) takes
/// precedence over the file.
fn named_files<'a>(
    cluster: Option<&'a kube::config::Cluster>,
    user: Option<&'a kube::config::AuthInfo>,
) -> Vec<(&'static str, &'a str)> {
    let mut files = Vec::new();
    if let Some(c) = cluster
        && c.certificate_authority_data.is_none()
        && let Some(f) = &c.certificate_authority
    {
        files.push(("certificate-authority", f.as_str()));
    }
    if let Some(u) = user {
        if u.client_certificate_data.is_none()
            && let Some(f) = &u.client_certificate
        {
            files.push(("client-certificate", f.as_str()));
        }
        if u.client_key_data.is_none()
            && let Some(f) = &u.client_key
        {
            files.push(("client-key", f.as_str()));
        }
        if u.token.is_none()
            && let Some(f) = &u.token_file
        {
            files.push(("tokenFile", f.as_str()));
        }
    }
    files
}

/// Why `file` cannot be what a kubeconfig field names, if it cannot: a
/// device (it may never end), a named pipe or socket (opening a pipe with
/// no writer never returns, and kube opens it blocking before any request
/// is timed), or a file larger than [`MAX_NAMED_FILE_BYTES`]. A missing
/// file is left to kube, which names it when it reads it.
fn not_a_credential_file(file: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(file).ok()?;
    let kind = meta.file_type();
    if kind.is_char_device() || kind.is_block_device() {
        Some("is a device, not a file".into())
    } else if kind.is_fifo() {
        Some("is a named pipe, not a file".into())
    } else if kind.is_socket() {
        Some("is a socket, not a file".into())
    } else if meta.is_file() && meta.len() > MAX_NAMED_FILE_BYTES {
        Some(format!(
            "is larger than {} MiB: not a certificate, key or token",
            MAX_NAMED_FILE_BYTES >> 20
        ))
    } else {
        None
    }
}
