//! `rootlock webhook certs`: a private CA and a serving certificate for the
//! webhook's Service, and the `caBundle` to put in the webhook
//! configurations.

use clap::Args;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// `rootlock webhook certs --out-dir DIR [--service NAME] [--namespace NS] [--dns NAME]… [--ip IP]…`
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Directory to write ca.crt, ca.key, tls.crt and tls.key into.
    #[arg(long, value_name = "DIR")]
    pub out_dir: String,
    /// The webhook's Service name.
    #[arg(long, default_value = "rootlock-webhook", value_name = "NAME")]
    pub service: String,
    /// The webhook's namespace.
    #[arg(long, default_value = "rootlock-system")]
    pub namespace: String,
    /// Extra DNS names for the serving certificate.
    #[arg(long = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// IP addresses for the serving certificate (e.g. 127.0.0.1 for local use).
    #[arg(long = "ip", value_name = "IP")]
    pub ip: Vec<IpAddr>,
    /// Validity of the serving certificate, in days (the CA gets ten times as long).
    #[arg(long, default_value_t = 365)]
    pub days: u32,
}

/// A CA and a serving certificate signed by it, in PEM.
#[derive(Debug, Clone)]
pub struct Generated {
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Generated {
    /// `caBundle`: the CA certificate PEM, base64-encoded.
    pub fn ca_bundle(&self) -> String {
        crate::mutate::base64(self.ca_cert_pem.as_bytes())
    }
}

/// The names the API server uses to reach a Service.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Generates an ECDSA P-256 CA and a serving certificate for `dns` and `ips`.
pub fn generate(dns: &[String], ips: &[IpAddr], days: u32) -> Result<Generated, String> {
    let err = |e: rcgen::Error| e.to_string();
    let now = OffsetDateTime::now_utc();
    // `days` comes from the command line: zero would write a pair that has
    // expired already, and past X.509's year 9999 (the CA lives ten times
    // as long) the date arithmetic overflows, which `+` turns into a panic.
    let until = |days: i64| {
        now.checked_add(Duration::days(days))
            .filter(|t| t.year() <= 9999)
    };
    let (Some(ca_until), Some(cert_until)) = (
        until(i64::from(days) * 10).filter(|_| days > 0),
        until(i64::from(days)),
    ) else {
        return Err(format!(
            "--days {days}: must be at least 1, and the CA (ten times as long) must end by the year 9999"
        ));
    };
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.distinguished_name
        .push(DnType::CommonName, "rootlock webhook CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = now - Duration::hours(1);
    ca.not_after = ca_until;
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;

    let key = KeyPair::generate().map_err(err)?;
    let mut p = CertificateParams::new(dns.to_vec()).map_err(err)?;
    p.subject_alt_names
        .extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
    let cn = dns
        .first()
        .cloned()
        .or_else(|| ips.first().map(|i| i.to_string()))
        .unwrap_or_else(|| "rootlock-webhook".into());
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = now - Duration::hours(1);
    p.not_after = cert_until;
    let cert = p.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
    Ok(Generated {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes `tls.crt`, `tls.key`, `ca.crt` and `ca.key` (keys mode 0600).
pub fn write(dir: &Path, g: &Generated) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text, secret) in [
        ("ca.crt", &g.ca_cert_pem, false),
        ("ca.key", &g.ca_key_pem, true),
        ("tls.crt", &g.cert_pem, false),
        ("tls.key", &g.key_pem, true),
    ] {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        // Whatever is at the temporary path (a stale file, or a symlink
        // someone planted) is removed, not written through, and the file is
        // created new: a key is 0600 from its first byte, never readable
        // by others between its creation and a later chmod.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if secret { 0o600 } else { 0o644 });
        }
        let _ = secret;
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// Why the names given on the command line cannot be a certificate's DNS
/// names: a Service name is an RFC 1035 label, a namespace an RFC 1123
/// label, an extra name an RFC 1123 subdomain (optionally `*.` wildcard).
fn invalid_names(args: &CertsArgs) -> Option<String> {
    use crate::config::{is_dns1123_label, is_dns1123_subdomain};
    let service_ok = is_dns1123_label(&args.service)
        && args.service.starts_with(|c: char| c.is_ascii_lowercase());
    if !service_ok {
        return Some(format!(
            "--service {:?}: must be a Service name (lowercase letters, digits and '-', starting with a letter, at most 63)",
            args.service
        ));
    }
    if !is_dns1123_label(&args.namespace) {
        return Some(format!(
            "--namespace {:?}: must be a namespace name (lowercase letters, digits and '-', at most 63)",
            args.namespace
        ));
    }
    args.dns
        .iter()
        .find(|d| !is_dns1123_subdomain(d.strip_prefix("*.").unwrap_or(d)))
        .map(|d| format!("--dns {d:?}: must be a DNS name such as webhook.example.com"))
}

pub fn run(args: &CertsArgs) -> i32 {
    if let Some(why) = invalid_names(args) {
        eprintln!("rootlock webhook certs: {why}");
        return 2;
    }
    let mut dns = service_names(&args.service, &args.namespace);
    dns.extend(args.dns.iter().cloned());
    let g = match generate(&dns, &args.ip, args.days) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("rootlock webhook certs: {e}");
            return 2;
        }
    };
    if let Err(e) = write(Path::new(&args.out_dir), &g) {
        eprintln!("rootlock webhook certs: {}: {e}", args.out_dir);
        return 2;
    }
    eprintln!(
        "wrote {dir}/ca.crt, {dir}/ca.key, {dir}/tls.crt, {dir}/tls.key for {names}; caBundle:",
        dir = args.out_dir,
        names = dns.join(", ")
    );
    println!("{}", g.ca_bundle());
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--days` is the operator's input: zero gave a serving certificate
    /// that expired as it was written (exit 0), and a large value panicked
    /// on the date arithmetic (the CA lives ten times as long). Both are
    /// errors now, and the largest validity X.509 dates can hold still works.
    #[test]
    fn validity_days_out_of_range_are_errors_not_a_panic_or_an_expired_pair() {
        let names = ["rootlock-webhook".to_string()];
        let zero = generate(&names, &[], 0).unwrap_err();
        assert!(zero.contains("--days"), "{zero}");
        for days in [300_000, u32::MAX] {
            let e = generate(&names, &[], days).unwrap_err();
            assert!(e.contains("--days"), "{days}: {e}");
        }
        assert!(generate(&names, &[], 1).is_ok());
        assert!(generate(&names, &[], 250_000).is_ok());
    }

    fn args(dir: &Path, service: &str, namespace: &str, dns: &[&str]) -> CertsArgs {
        CertsArgs {
            out_dir: dir.to_string_lossy().into_owned(),
            service: service.into(),
            namespace: namespace.into(),
            dns: dns.iter().map(|d| d.to_string()).collect(),
            ip: vec![],
            days: 1,
        }
    }

    /// The names become the certificate's DNS SANs, which the API server
    /// matches against the Service's DNS name: an empty or malformed one
    /// (`--service=`, `--namespace='a b'`, `--dns=bad_name!`) made a
    /// certificate no client can use, or one for `.rootlock-system`, and
    /// exited 0. They are usage errors now, and nothing is written.
    #[test]
    fn malformed_names_are_usage_errors_and_write_nothing() {
        for (service, namespace, dns) in [
            ("", "rootlock-system", &[][..]),
            ("rootlock-webhook", "a b", &[][..]),
            ("rootlock-webhook", "", &[][..]),
            ("Rootlock", "rootlock-system", &[][..]),
            ("rootlock-webhook", "rootlock-system", &["bad_name!"][..]),
            ("rootlock-webhook", "rootlock-system", &[""][..]),
            ("rootlock-webhook", "rootlock-system", &["a..b"][..]),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("certs");
            assert_eq!(
                run(&args(&out, service, namespace, dns)),
                2,
                "{service:?} {namespace:?} {dns:?}"
            );
            assert!(!out.exists(), "{service:?} {namespace:?} {dns:?}");
        }
        // Valid names, a wildcard among them, still work.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("certs");
        let ok = args(
            &out,
            "rootlock-webhook",
            "rootlock-system",
            &["*.example.com", "webhook.example.com"],
        );
        assert_eq!(run(&ok), 0);
        assert!(out.join("tls.crt").exists());
    }

    /// A key is never written through a file (or symlink) already at the
    /// temporary path, nor readable by others while it is written: the
    /// temporary file was created with the umask's mode (0644 with the
    /// usual 022) and only made 0600 after the key was in it, and a
    /// symlink planted there received the key wherever it pointed.
    #[cfg(unix)]
    #[test]
    fn keys_are_created_private_and_not_written_through_a_planted_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(&victim, "victim").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".tls.key.tmp")).unwrap();
        let g = generate(&["rootlock-webhook".to_string()], &[], 1).unwrap();
        write(dir.path(), &g).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
        for name in ["ca.key", "tls.key"] {
            let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
            assert!(meta.file_type().is_file(), "{name}");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tls.key")).unwrap(),
            g.key_pem
        );
    }
}
