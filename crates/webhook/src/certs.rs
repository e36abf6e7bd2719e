//! `rootlock webhook certs`: a private CA and a serving certificate for the
//! webhook's Service, and the `caBundle` to put in the webhook
//! configurations.

use clap::Args;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// `rootlock webhook certs --out-dir DIR [--service NAME] [--namespace NS] [--dns NAME]… [--ip IP]…`
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Directory to write ca.crt, ca.key, tls.crt and tls.key into. A CA
    /// already there (from an earlier run) is kept: only the serving pair
    /// is renewed, and the caBundle stays the same.
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

/// The ends of a new CA's and serving certificate's validity, `days` from
/// now (the CA ten times as long).
fn validity(now: OffsetDateTime, days: u32) -> Result<(OffsetDateTime, OffsetDateTime), String> {
    // `days` comes from the command line: zero would write a pair that has
    // expired already, and past X.509's year 9999 (the CA lives ten times
    // as long) the date arithmetic overflows, which `+` turns into a panic.
    let until = |days: i64| {
        now.checked_add(Duration::days(days))
            .filter(|t| t.year() <= 9999)
    };
    match (
        until(i64::from(days) * 10).filter(|_| days > 0),
        until(i64::from(days)),
    ) {
        (Some(ca_until), Some(cert_until)) => Ok((ca_until, cert_until)),
        _ => Err(format!(
            "--days {days}: must be at least 1, and the CA (ten times as long) must end by the year 9999"
        )),
    }
}

/// The CA's certificate for `ca_key`. Its name is fixed, so rebuilt from
/// the same key it issues certificates that chain to the CA written by an
/// earlier run.
fn ca_certificate(
    ca_key: &KeyPair,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<rcgen::Certificate, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "rootlock webhook CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = now - Duration::hours(1);
    ca.not_after = until;
    ca.self_signed(ca_key)
}

/// A serving certificate for `dns` and `ips` signed by the CA, and its key
/// (PEM).
fn serving_pair(
    dns: &[String],
    ips: &[IpAddr],
    now: OffsetDateTime,
    until: OffsetDateTime,
    ca: (&rcgen::Certificate, &KeyPair),
) -> Result<(String, String), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(dns.to_vec())?;
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
    p.not_after = until;
    let cert = p.signed_by(&key, ca.0, ca.1)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Generates an ECDSA P-256 CA and a serving certificate for `dns` and `ips`.
pub fn generate(dns: &[String], ips: &[IpAddr], days: u32) -> Result<Generated, String> {
    let err = |e: rcgen::Error| e.to_string();
    let now = OffsetDateTime::now_utc();
    let (ca_until, cert_until) = validity(now, days)?;
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_cert = ca_certificate(&ca_key, now, ca_until).map_err(err)?;
    let (cert_pem, key_pem) =
        serving_pair(dns, ips, now, cert_until, (&ca_cert, &ca_key)).map_err(err)?;
    Ok(Generated {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        cert_pem,
        key_pem,
    })
}

/// A new serving certificate for `dns` and `ips` from the CA an earlier
/// run wrote (`ca.crt`, `ca.key`), so that the caBundle stays the same.
/// A CA this command did not make, a key of another CA, or a CA that ends
/// before the new certificate would, is an error.
pub fn renew(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    dns: &[String],
    ips: &[IpAddr],
    days: u32,
) -> Result<Generated, String> {
    let err = |e: rcgen::Error| e.to_string();
    let now = OffsetDateTime::now_utc();
    let (_, cert_until) = validity(now, days)?;
    let ca_key = KeyPair::from_pem(ca_key_pem).map_err(|e| format!("ca.key: {e}"))?;
    // rcgen signs with a certificate of the issuer: the one rebuilt from
    // the same key and name stands for ca.crt, and the chain is checked
    // against ca.crt itself below.
    let issuer = ca_certificate(&ca_key, now, cert_until).map_err(err)?;
    let (cert_pem, key_pem) =
        serving_pair(dns, ips, now, cert_until, (&issuer, &ca_key)).map_err(err)?;
    let name = dns.first().map_or("rootlock-webhook", String::as_str);
    let kept = |e: String| {
        format!("ca.crt and ca.key: {e}; remove both to make a new CA (and a new caBundle)")
    };
    verify_chain(ca_cert_pem, &cert_pem, name, UnixTime::now())
        .map_err(|e| {
        kept(format!(
            "a certificate they issue does not chain to ca.crt ({e}): ca.key is not its key, or it was not made by `rootlock webhook certs`"
        ))
    })?;
    // A client checks the CA's dates too (webpki does not, for a root).
    let ca_end = first_not_after(ca_cert_pem).map_err(|e| format!("ca.crt: {e}"))?;
    if ca_end < cert_until {
        return Err(kept(format!(
            "the CA ends on {}, before a certificate of --days {days} would (ask for fewer)",
            ca_end.date()
        )));
    }
    Ok(Generated {
        ca_cert_pem: ca_cert_pem.to_string(),
        ca_key_pem: ca_key_pem.to_string(),
        cert_pem,
        key_pem,
    })
}

/// The end of the validity (notAfter) of the first certificate in `pem`.
fn first_not_after(pem: &str) -> Result<OffsetDateTime, String> {
    let der = rustls_pemfile::certs(&mut pem.as_bytes())
        .next()
        .ok_or("no certificate found")?
        .map_err(|e| e.to_string())?;
    validity_of(&der)
        .map(|(_, until)| until)
        .ok_or_else(|| "not an X.509 certificate with a validity".into())
}

/// The validity (notBefore, notAfter) of the X.509 certificate `der`.
pub fn validity_of(der: &[u8]) -> Option<(OffsetDateTime, OffsetDateTime)> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
    // OPTIONAL, serialNumber, signature, issuer, validity SEQUENCE {
    // notBefore, notAfter }, … }, … } (RFC 5280, 4.1).
    let rest = |seq: &mut yasna::BERReaderSeq| -> yasna::ASN1Result<()> {
        while seq.read_optional(|r| r.read_der())?.is_some() {}
        Ok(())
    };
    let time = |r: yasna::BERReader| -> yasna::ASN1Result<Option<OffsetDateTime>> {
        let t = r.read_tagged_der()?;
        Ok(match t.tag() {
            yasna::tags::TAG_UTCTIME => {
                yasna::models::UTCTime::parse(t.value()).map(|t| *t.datetime())
            }
            yasna::tags::TAG_GENERALIZEDTIME => {
                yasna::models::GeneralizedTime::parse(t.value()).map(|t| *t.datetime())
            }
            _ => None,
        })
    };
    let dates = yasna::parse_der(der, |r| {
        r.read_sequence(|cert| {
            let dates = cert.next().read_sequence(|tbs| {
                tbs.read_optional(|r| r.read_tagged(yasna::Tag::context(0), |r| r.read_der()))?;
                for _ in 0..3 {
                    tbs.next().read_der()?;
                }
                let dates = tbs.next().read_sequence(|validity| {
                    Ok(time(validity.next())?.zip(time(validity.next())?))
                })?;
                rest(tbs)?;
                Ok(dates)
            })?;
            rest(cert)?;
            Ok(dates)
        })
    });
    dates.ok().flatten()
}

/// The CA an earlier run wrote to `dir`: (ca.crt, ca.key), or none.
fn existing_ca(dir: &Path) -> Result<Option<(String, String)>, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    };
    match (read("ca.crt")?, read("ca.key")?) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        _ => Err(format!(
            "{}: only one of ca.crt and ca.key is there; restore the other, or remove it to make a new CA (and a new caBundle)",
            dir.display()
        )),
    }
}

/// Whether the serving certificate `cert_pem` (its first certificate)
/// chains to the CA `ca_pem` for `name` at time `at`, as a TLS client
/// trusting that caBundle checks it.
pub fn verify_chain(ca_pem: &str, cert_pem: &str, name: &str, at: UnixTime) -> Result<(), String> {
    use rustls::client::danger::ServerCertVerifier;
    let pem = |text: &str| -> Result<Vec<CertificateDer<'static>>, String> {
        rustls_pemfile::certs(&mut text.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())
    };
    let mut roots = rustls::RootCertStore::empty();
    for ca in pem(ca_pem)? {
        roots.add(ca).map_err(|e| e.to_string())?;
    }
    let chain = pem(cert_pem)?;
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err("no certificate found".into());
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
    let name = ServerName::try_from(name.to_string()).map_err(|e| format!("{name}: {e}"))?;
    verifier
        .verify_server_cert(leaf, intermediates, &name, &[], at)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
    let dir = Path::new(&args.out_dir);
    // Rotating is running this again: the CA of the earlier run is kept,
    // so the caBundle the API server trusts still covers the pair the pod
    // serves until the kubelet brings it the new one.
    let made = existing_ca(dir).and_then(|ca| match &ca {
        Some((cert, key)) => renew(cert, key, &dns, &args.ip, args.days)
            .map(|g| (g, " with the CA already there (the caBundle is unchanged)"))
            .map_err(|e| format!("{}: {e}", args.out_dir)),
        None => generate(&dns, &args.ip, args.days).map(|g| (g, "")),
    });
    let (g, kept) = match made {
        Ok(made) => made,
        Err(e) => {
            eprintln!("rootlock webhook certs: {e}");
            return 2;
        }
    };
    if let Err(e) = write(dir, &g) {
        eprintln!("rootlock webhook certs: {}: {e}", args.out_dir);
        return 2;
    }
    eprintln!(
        "wrote {dir}/ca.crt, {dir}/ca.key, {dir}/tls.crt, {dir}/tls.key for {names}{kept}; caBundle:",
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

    /// Rotating is running `certs` again (deploy/README.md) and updating
    /// the Secret and the caBundles; the API server trusts the new
    /// caBundle at once, while the kubelet brings the new pair into the
    /// pod a minute or more later. A fresh CA on each run made every pod
    /// creation fail in between (`failurePolicy: Fail`): the new caBundle
    /// refused the pair still served. Run again, the CA is kept, so the
    /// caBundle does not change and the old and the new pair both chain to it.
    #[test]
    fn running_again_keeps_the_ca_so_both_pairs_chain_to_one_ca_bundle() {
        crate::server::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let a = args(dir.path(), "rootlock-webhook", "rootlock-system", &[]);
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(run(&a), 0);
        let (ca, ca_key, old_cert) = (read("ca.crt"), read("ca.key"), read("tls.crt"));
        assert_eq!(run(&a), 0);
        assert_eq!(read("ca.crt"), ca);
        assert_eq!(read("ca.key"), ca_key);
        let new_cert = read("tls.crt");
        assert_ne!(new_cert, old_cert, "the serving pair is renewed");
        for cert in [&old_cert, &new_cert] {
            for name in service_names("rootlock-webhook", "rootlock-system") {
                verify_chain(&ca, cert, &name, UnixTime::now()).unwrap();
            }
        }
        crate::server::load_certified_key(&dir.path().join("tls.crt"), &dir.path().join("tls.key"))
            .unwrap();
    }

    /// A CA that cannot be kept is an error that writes nothing, not a
    /// serving pair the caBundle does not trust: half a CA, a ca.key of
    /// another CA, or a CA that ends before the new certificate would.
    #[test]
    fn a_ca_that_cannot_be_kept_is_an_error_and_writes_nothing() {
        crate::server::install_crypto_provider();
        let other = generate(&["x".to_string()], &[], 1).unwrap();
        type Spoil = fn(&Path, &Generated);
        let cases: [(&str, Spoil, u32); 3] = [
            (
                "half",
                |d, _| std::fs::remove_file(d.join("ca.crt")).unwrap(),
                1,
            ),
            (
                "other key",
                |d, o| std::fs::write(d.join("ca.key"), &o.ca_key_pem).unwrap(),
                1,
            ),
            // The first run's CA lives 10 days.
            ("too long", |_, _| {}, 11),
        ];
        for (what, spoil, days) in cases {
            let dir = tempfile::tempdir().unwrap();
            let mut a = args(dir.path(), "rootlock-webhook", "rootlock-system", &[]);
            assert_eq!(run(&a), 0);
            spoil(dir.path(), &other);
            let before = std::fs::read(dir.path().join("tls.crt")).unwrap();
            a.days = days;
            assert_eq!(run(&a), 2, "{what}");
            assert_eq!(
                std::fs::read(dir.path().join("tls.crt")).unwrap(),
                before,
                "{what}"
            );
        }
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
