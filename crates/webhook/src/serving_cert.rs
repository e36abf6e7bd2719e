//! The serving certificate: read from disk, re-read when its files change
//! (checked at most once per interval, on a handshake), and its validity
//! dates kept for `/readyz` and the expiry gauge.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use time::OffsetDateTime;

/// Installs rustls' process-wide crypto provider (ring) once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What tells that a file changed: which file it is (device, inode), its
/// length and modification time, and its status-change time. Length and
/// mtime alone miss a pair of the same lengths (same key type, same
/// names) written in place with the old times put back (`cp -p`, `rsync
/// -t`, `tar x`), or written within one tick of a filesystem's coarse
/// clock; the ctime cannot be set from user space, and a Secret volume's
/// update (new files behind a swapped `..data` link) changes the inode.
type FileStamp = (u64, u64, u64, SystemTime, i64, i64);
type Stamp = Option<(FileStamp, FileStamp)>;

fn stamp(cert: &Path, key: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let of = |path: &Path| -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some((
            m.dev(),
            m.ino(),
            m.len(),
            m.modified().ok()?,
            m.ctime(),
            m.ctime_nsec(),
        ))
    };
    Some((of(cert)?, of(key)?))
}

/// Reads a PEM certificate chain and private key.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let cert_pem = std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
    let key_pem = std::fs::read(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key found", key.display()))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key_der)
        .map_err(|e| format!("{}: {e}", key.display()))?;
    let ck = CertifiedKey::new(certs, signer);
    ck.keys_match()
        .map_err(|e| format!("{} does not match {}: {e}", key.display(), cert.display()))?;
    Ok(ck)
}

/// A certificate's notBefore and notAfter.
type Validity = (OffsetDateTime, OffsetDateTime);

fn validity(ck: &CertifiedKey, cert: &Path) -> Result<Validity, String> {
    let der = ck
        .end_entity_cert()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    crate::certs::validity_of(der)
        .ok_or_else(|| format!("{}: no validity dates found", cert.display()))
}

/// Whether a client accepts a certificate with these dates now: one that
/// has expired (a stale Secret restored or synced back) or is not valid
/// yet is refused by every client, the API server included.
fn valid_now((from, until): Validity, cert: &Path) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    if now < from || now > until {
        return Err(format!(
            "{}: valid from {from} until {until}, not now",
            cert.display()
        ));
    }
    Ok(())
}

/// The pair in service: its key, the files' stamp it was read at, and its
/// certificate's dates (`None` when they could not be read; only possible
/// for the pair read at startup, see [`ReloadingCert::new`]).
struct Serving {
    key: Arc<CertifiedKey>,
    stamp: Stamp,
    validity: Option<Validity>,
}

/// A `ResolvesServerCert` that re-reads the certificate and key when their
/// files change (checked at most once per interval, on a handshake). A
/// half-written or broken pair, or one whose dates no client accepts now,
/// keeps the previous one in service.
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    interval_ms: u64,
    start: Instant,
    last_check_ms: AtomicU64,
    current: RwLock<Serving>,
}

impl std::fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

impl ReloadingCert {
    /// Reads the pair. One that is not valid now is still taken, with an
    /// error logged, and `/readyz` fails until a valid one replaces it: a
    /// process that refused to start would be restarted with a back-off
    /// of up to five minutes, while this one takes the renewed pair
    /// within a second of its files changing (cert-manager or a Secret
    /// update). A certificate whose dates cannot be read is served as
    /// before this check existed, with a warning.
    pub fn new(cert: PathBuf, key: PathBuf, interval: Duration) -> Result<ReloadingCert, String> {
        let stamp = stamp(&cert, &key);
        let ck = load_certified_key(&cert, &key)?;
        let validity = match validity(&ck, &cert) {
            Ok(v) => {
                match valid_now(v, &cert) {
                    Ok(()) => {
                        tracing::info!(cert = %cert.display(), not_after = %v.1, "serving certificate loaded")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the serving certificate is not valid now: the API server refuses every TLS handshake and /readyz fails until a valid pair is written to these files")
                    }
                }
                Some(v)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the serving certificate's dates could not be read: its expiry is not checked");
                None
            }
        };
        Ok(ReloadingCert {
            cert,
            key,
            interval_ms: interval.as_millis() as u64,
            start: Instant::now(),
            last_check_ms: AtomicU64::new(0),
            current: RwLock::new(Serving {
                key: Arc::new(ck),
                stamp,
                validity,
            }),
        })
    }

    /// Why the certificate in service is refused by clients now, if it is.
    pub fn not_valid_now(&self) -> Option<String> {
        let v = self.current.read().ok()?.validity?;
        valid_now(v, &self.cert).err()
    }

    /// The certificate in service's notAfter, in Unix seconds.
    pub fn not_after_unix(&self) -> Option<i64> {
        Some(self.current.read().ok()?.validity?.1.unix_timestamp())
    }

    /// Re-reads the pair if its files changed and the interval has passed
    /// (on every handshake, and on `/readyz`, which a kept-alive probe
    /// reaches without one).
    pub fn maybe_reload(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.last_check_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < self.interval_ms
            || self
                .last_check_ms
                .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let stamp = stamp(&self.cert, &self.key);
        if stamp.is_none()
            || self
                .current
                .read()
                .map(|c| c.stamp == stamp)
                .unwrap_or(true)
        {
            return;
        }
        let loaded = load_certified_key(&self.cert, &self.key).and_then(|ck| {
            let v = validity(&ck, &self.cert)?;
            valid_now(v, &self.cert)?;
            Ok((ck, v))
        });
        match loaded {
            Ok((ck, v)) => {
                if let Ok(mut cur) = self.current.write() {
                    *cur = Serving {
                        key: Arc::new(ck),
                        stamp,
                        validity: Some(v),
                    };
                }
                tracing::info!(cert = %self.cert.display(), not_after = %v.1, "serving certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(error = %e, "certificate changed but could not be loaded; keeping the previous one")
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.maybe_reload();
        self.current.read().ok().map(|c| c.key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::{Generated, generate};
    use std::fs::File;

    /// Two pairs whose PEM files have the same lengths (ECDSA signatures
    /// vary by a byte or two, so a few tries find one), valid for
    /// different numbers of days: their notAfter tells them apart.
    fn same_length_pairs() -> (Generated, Generated) {
        let a = generate(&["localhost".into()], &[], 30).unwrap();
        for _ in 0..200 {
            let b = generate(&["localhost".into()], &[], 40).unwrap();
            if b.cert_pem.len() == a.cert_pem.len() && b.key_pem.len() == a.key_pem.len() {
                return (a, b);
            }
        }
        panic!("no pair of the same lengths in 200 tries");
    }

    /// A pair written over the old one in place (same inodes, same
    /// lengths) with the old modification times put back, as `cp -p`,
    /// `rsync -t` or `tar x` do, or as a filesystem's coarse clock gives
    /// two writes within one tick: the size and mtime alone call that
    /// unchanged, and the old pair stayed in service for good.
    #[test]
    fn a_pair_rewritten_in_place_with_the_old_mtimes_is_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        let (a, b) = same_length_pairs();
        std::fs::write(&cert, &a.cert_pem).unwrap();
        std::fs::write(&key, &a.key_pem).unwrap();
        let serving = ReloadingCert::new(cert.clone(), key.clone(), Duration::ZERO).unwrap();
        let first = serving.not_after_unix().unwrap();
        let mtimes = [&cert, &key].map(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        std::fs::write(&cert, &b.cert_pem).unwrap();
        std::fs::write(&key, &b.key_pem).unwrap();
        for (path, mtime) in [&cert, &key].into_iter().zip(mtimes) {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        }
        serving.maybe_reload();
        let second = serving.not_after_unix().unwrap();
        assert_eq!(
            second - first,
            10 * 86_400,
            "the new pair is not in service"
        );
    }
}
