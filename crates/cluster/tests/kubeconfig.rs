//! Finding the kubeconfig without `--kubeconfig` ($KUBECONFIG, then
//! ~/.kube/config): every error names the file it came from, as with
//! `--kubeconfig`. The environment is passed in, not set on the process.

use rootlock_cluster::client::ClusterError;
use rootlock_cluster::kubeconfig::{Env, load};
use std::ffi::OsString;
use std::path::Path;

const GOOD: &str = "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
    token: t
contexts:
- name: one
  context: {cluster: c, user: u}
- name: two
  context: {cluster: c, user: u}
current-context: CURRENT
";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

fn config_error(env: &Env, context: Option<&str>) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    match rt.block_on(load(None, context, env)) {
        Err(ClusterError::Config(m)) => m,
        Err(e) => panic!("not a configuration error: {e}"),
        Ok(c) => panic!("loaded {}", c.cluster_url),
    }
}

#[test]
fn a_broken_kubeconfig_from_the_environment_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(dir.path(), "bad", "apiVersion: v1\nclusters: [\n");
    let env = Env {
        kubeconfig: Some(bad.clone().into_os_string()),
        home: None,
    };
    let m = config_error(&env, None);
    assert!(
        m.starts_with(&format!(
            "{}: failed to parse kubeconfig YAML",
            bad.display()
        )),
        "{m}"
    );
    // Not wrapped in the in-cluster attempt's error.
    assert!(!m.contains("in-cluster"), "{m}");
}

#[test]
fn a_missing_context_in_the_default_kubeconfig_is_named_with_the_file() {
    let home = tempfile::tempdir().expect("tempdir");
    let path = write(
        home.path(),
        ".kube/config",
        &GOOD.replace("CURRENT", "gone"),
    );
    let env = Env {
        kubeconfig: None,
        home: Some(home.path().to_path_buf()),
    };
    assert_eq!(
        config_error(&env, None),
        format!(
            "{}: no context named \"gone\" (contexts: one, two)",
            path.display()
        )
    );
    assert_eq!(
        config_error(&env, Some("three")),
        format!(
            "{}: no context named \"three\" (contexts: one, two)",
            path.display()
        )
    );
}

#[test]
fn kubeconfig_lists_merge_and_skip_missing_files_as_kubectl_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good", &GOOD.replace("CURRENT", "two"));
    let missing = dir.path().join("missing");
    let list: OsString = std::env::join_paths([&missing, &good]).expect("join");
    let env = Env {
        kubeconfig: Some(list.clone()),
        home: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let config = rt.block_on(load(None, None, &env)).expect("loads");
    assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
    // Only missing files: say which were looked for.
    let env = Env {
        kubeconfig: Some(missing.clone().into_os_string()),
        home: None,
    };
    assert_eq!(
        config_error(&env, Some("one")),
        format!("KUBECONFIG={}: no such file", missing.display())
    );
}

/// A certificate authority that holds no PEM certificate (a truncated
/// paste, base64 of the wrong file, a key) is a broken kubeconfig, said as
/// kubectl says it, not an untrusted server ("invalid peer certificate:
/// UnknownIssuer") once the connection is tried.
#[test]
fn a_certificate_authority_without_a_certificate_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_pem = "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n";
    let ca_file = write(dir.path(), "ca.pem", key_pem);
    for (field, what) in [
        (
            "certificate-authority-data: bm90IGEgY2VydGlmaWNhdGUK".to_string(),
            "certificate-authority-data",
        ),
        (
            format!("certificate-authority: {}", ca_file.display()),
            "certificate-authority",
        ),
    ] {
        let text = GOOD.replace("CURRENT", "one").replace(
            "server: https://127.0.0.1:6443",
            &format!("server: https://127.0.0.1:6443\n    {field}"),
        );
        let kc = write(dir.path(), "config", &text);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let message = match rt.block_on(load(Some(&kc), None, &Env::default())) {
            Err(ClusterError::Config(m)) => m,
            Err(e) => panic!("not a configuration error: {e}"),
            Ok(c) => panic!(
                "loaded {} with {:?} roots",
                c.cluster_url,
                c.root_cert.map(|r| r.len())
            ),
        };
        assert!(message.starts_with(&kc.display().to_string()), "{message}");
        assert!(
            message.contains(&format!(
                "the {what} of cluster \"c\" holds no PEM certificate"
            )),
            "{message}"
        );
    }
}

/// A context naming a user or cluster the kubeconfig does not define is
/// refused as kubectl refuses it (`user "u2" was not found for context
/// …`), not used with no credentials at all: the API server would then
/// answer as to `system:anonymous`, and the error would point at RBAC.
#[test]
fn a_context_naming_an_undefined_user_or_cluster_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = GOOD.replace("CURRENT", "one").replace(
        "- name: two\n  context: {cluster: c, user: u}",
        "- name: two\n  context: {cluster: c, user: u2}\n- name: three\n  context: {cluster: c2, user: u}",
    );
    let kc = write(dir.path(), "config", &text);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for (context, expected) in [
        ("two", "user \"u2\" was not found for context \"two\""),
        (
            "three",
            "cluster \"c2\" was not found for context \"three\"",
        ),
    ] {
        let message = match rt.block_on(load(Some(&kc), Some(context), &Env::default())) {
            Err(ClusterError::Config(m)) => m,
            Err(e) => panic!("not a configuration error: {e}"),
            Ok(c) => panic!("{context}: loaded {}", c.cluster_url),
        };
        assert_eq!(message, format!("{}: {expected}", kc.display()));
    }
    assert!(
        rt.block_on(load(Some(&kc), Some("one"), &Env::default()))
            .is_ok()
    );
}

/// A kubeconfig saved as UTF-16 (a Windows editor does) is read by its
/// byte-order mark; one cut to an odd number of bytes is an error naming
/// the file, not a panic (kube's own reader indexed past the last byte).
#[test]
fn a_utf16_kubeconfig_of_an_odd_length_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let text = GOOD.replace("CURRENT", "one");
    for (order, bom, unit) in [
        ("LE", [0xFF, 0xFE], u16::to_le_bytes as fn(u16) -> [u8; 2]),
        ("BE", [0xFE, 0xFF], u16::to_be_bytes),
    ] {
        let mut bytes = bom.to_vec();
        bytes.extend(text.encode_utf16().flat_map(unit));
        let kc = dir.path().join(format!("utf16-{order}"));
        std::fs::write(&kc, &bytes).expect("write");
        let config = rt
            .block_on(load(Some(&kc), None, &Env::default()))
            .expect("a whole UTF-16 kubeconfig loads");
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        bytes.pop();
        std::fs::write(&kc, &bytes).expect("write");
        let message = match rt.block_on(load(Some(&kc), None, &Env::default())) {
            Err(ClusterError::Config(m)) => m,
            Err(e) => panic!("not a configuration error: {e}"),
            Ok(c) => panic!("loaded {}", c.cluster_url),
        };
        assert_eq!(
            message,
            format!(
                "{}: invalid kubeconfig: UTF-16 {order} (by its byte-order mark) but an odd number of bytes long",
                kc.display()
            )
        );
    }
}

/// Relative file names in a kubeconfig are relative to its directory, not
/// to the working directory (as kubectl reads them).
#[test]
fn relative_file_names_in_a_kubeconfig_are_read_from_its_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "sub/token", "secret-token\n");
    let text = GOOD
        .replace("CURRENT", "one")
        .replace("token: t", "tokenFile: token");
    let kc = write(dir.path(), "sub/config", &text);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let config = rt
        .block_on(load(Some(&kc), None, &Env::default()))
        .expect("loads");
    assert_eq!(
        config.auth_info.token_file.as_deref(),
        Some(dir.path().join("sub/token").to_str().expect("utf-8"))
    );
}

/// A kubeconfig is read up to a bound: a huge file, or one that never
/// ends (`--kubeconfig /dev/zero`, a FIFO), is an error naming it, not
/// read until memory runs out.
#[test]
fn a_huge_or_endless_kubeconfig_is_refused_without_reading_it_all() {
    use rootlock_cluster::kubeconfig::MAX_KUBECONFIG_BYTES;
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Sparse: no disk is used for it.
    let huge = dir.path().join("huge");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(MAX_KUBECONFIG_BYTES + 1))
        .expect("sparse file");
    for kc in [huge.as_path(), Path::new("/dev/zero")] {
        let message = match rt.block_on(load(Some(kc), None, &Env::default())) {
            Err(ClusterError::Config(m)) => m,
            Err(e) => panic!("not a configuration error: {e}"),
            Ok(c) => panic!("loaded {}", c.cluster_url),
        };
        assert_eq!(
            message,
            format!("{}: larger than 16 MiB: not a kubeconfig", kc.display())
        );
    }
}

/// Every file the context names (CA, client certificate and key, token
/// file) is checked before kube reads it, whole and blocking:
/// `tokenFile: /dev/zero` or `certificate-authority: /dev/zero` was read
/// until memory ran out (past --request-timeout), as a huge file would be.
#[test]
fn a_named_file_that_is_a_device_or_huge_is_refused() {
    use rootlock_cluster::kubeconfig::MAX_NAMED_FILE_BYTES;
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let huge = dir.path().join("huge");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(MAX_NAMED_FILE_BYTES + 1))
        .expect("sparse file");
    let huge = huge.display().to_string();
    let device = "is a device, not a file";
    let large = "is larger than 4 MiB: not a certificate, key or token";
    for (field, file, why, from, to) in [
        (
            "tokenFile",
            "/dev/zero",
            device,
            "token: t",
            "tokenFile: /dev/zero",
        ),
        (
            "tokenFile",
            &huge,
            large,
            "token: t",
            &format!("tokenFile: {huge}"),
        ),
        (
            "certificate-authority",
            "/dev/zero",
            device,
            "server: https://127.0.0.1:6443",
            "server: https://127.0.0.1:6443\n    certificate-authority: /dev/zero",
        ),
        (
            "client-certificate",
            &huge,
            large,
            "token: t",
            &format!("client-certificate: {huge}\n    client-key: {huge}"),
        ),
        (
            "client-key",
            "/dev/zero",
            device,
            "token: t",
            "client-certificate-data: eA==\n    client-key: /dev/zero",
        ),
    ] {
        let text = GOOD.replace("CURRENT", "one").replace(from, to);
        let kc = write(dir.path(), "config", &text);
        let message = match rt.block_on(load(Some(&kc), None, &Env::default())) {
            Err(ClusterError::Config(m)) => m,
            Err(e) => panic!("not a configuration error: {e}"),
            Ok(c) => panic!("{field}: loaded {}", c.cluster_url),
        };
        assert_eq!(
            message,
            format!("{}: the {field} {file} {why}", kc.display())
        );
    }
    // Inline data or an inline token takes precedence: the file is not read.
    let text = GOOD
        .replace("CURRENT", "one")
        .replace("token: t", "token: t\n    tokenFile: /dev/zero");
    let kc = write(dir.path(), "config", &text);
    assert!(rt.block_on(load(Some(&kc), None, &Env::default())).is_ok());
}

/// A named pipe where a file is named (a process substitution that has
/// ended, a FIFO left by mistake) is refused like a device: kube opens and
/// reads it blocking while it loads the configuration, and `open` on a
/// pipe with no writer never returns, so the command hung before any
/// request (and --request-timeout) could start.
#[test]
fn a_named_file_that_is_a_pipe_is_refused_without_opening_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("ca.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.display().to_string();
    for (field, from, to) in [
        (
            "certificate-authority",
            "server: https://127.0.0.1:6443",
            format!("server: https://127.0.0.1:6443\n    certificate-authority: {fifo}"),
        ),
        ("tokenFile", "token: t", format!("tokenFile: {fifo}")),
    ] {
        let text = GOOD.replace("CURRENT", "one").replace(from, &to);
        let kc = write(dir.path(), "config", &text);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = kc.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            let _ = tx.send(
                match rt.block_on(load(Some(&path), None, &Env::default())) {
                    Err(ClusterError::Config(m)) => m,
                    Err(e) => format!("not a configuration error: {e}"),
                    Ok(c) => format!("loaded {}", c.cluster_url),
                },
            );
        });
        let message = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{field}: loading hung on the pipe"));
        assert_eq!(
            message,
            format!(
                "{}: the {field} {fifo} is a named pipe, not a file",
                kc.display()
            )
        );
    }
}
