//! `--writable PATH[=memory|disk][:SIZE]`.

use rootlock_policy::immutable::system_path_refusal;
use rootlock_policy::model::normalize_path;
use rootlock_policy::plan::{Medium, PlannedPath};

/// Parses one `--writable` value. The medium defaults to memory. A path
/// without a size asks none: the volume fix adds for a memory path gets
/// the default size (an unbounded tmpfs is a risk), but a volume already
/// there, sized by hand, is not said to differ from a size nobody asked.
pub fn parse_writable(arg: &str) -> Result<PlannedPath, String> {
    let (rest, size) = match arg.rsplit_once(':') {
        Some((r, s)) => (r, Some(s)),
        None => (arg, None),
    };
    let (path, medium) = match rest.rsplit_once('=') {
        Some((p, "memory")) => (p, Medium::Memory),
        Some((p, "disk")) => (p, Medium::Disk),
        Some((_, other)) => {
            return Err(format!(
                "--writable {arg}: unknown medium {other:?} (expected memory or disk)"
            ));
        }
        None => (rest, Medium::Memory),
    };
    if !path.starts_with('/') {
        return Err(format!(
            "--writable {arg}: {path:?} is not an absolute path"
        ));
    }
    // `..` is resolved, as the container runtime does before mounting: the
    // mountPath written is the directory that really becomes writable, and
    // the system-path check below judges that one, not the spelling.
    let path = normalize_path(path);
    if path == "/" {
        return Err(format!(
            "--writable {arg}: / cannot be a volume (it would make the whole root writable)"
        ));
    }
    if let Some(why) = system_path_refusal(&path) {
        return Err(format!("--writable {arg}: {why}"));
    }
    if let Some(why) = size.and_then(rootlock_policy::quantity::size_refusal) {
        return Err(format!("--writable {arg}: {why}"));
    }
    Ok(PlannedPath {
        path,
        medium,
        size_limit: size.map(String::from),
        container: None,
        seed: false,
        reason: "--writable".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let p = parse_writable("/var/run").unwrap();
        assert_eq!(
            (p.path.as_str(), p.medium, p.size_limit.as_deref()),
            ("/var/run", Medium::Memory, None)
        );
        let p = parse_writable("/cache/=disk:1Gi").unwrap();
        assert_eq!(
            (p.path.as_str(), p.medium, p.size_limit.as_deref()),
            ("/cache", Medium::Disk, Some("1Gi"))
        );
        let p = parse_writable("/data=disk").unwrap();
        assert_eq!(p.size_limit, None);
        let p = parse_writable("/t:16Mi").unwrap();
        assert_eq!(
            (p.medium, p.size_limit.as_deref()),
            (Medium::Memory, Some("16Mi"))
        );
        assert!(
            parse_writable("tmp")
                .unwrap_err()
                .contains("not an absolute path")
        );
        assert!(
            parse_writable("/x=ssd")
                .unwrap_err()
                .contains("unknown medium")
        );
        assert!(
            parse_writable("/x:lots")
                .unwrap_err()
                .contains("not a quantity")
        );
        assert!(parse_writable("/").is_err());
        for zero in ["/t:0", "/t=memory:0Mi", "/t=disk:0.0Gi"] {
            assert!(
                parse_writable(zero).unwrap_err().contains("not a limit"),
                "{zero}"
            );
        }
    }

    #[test]
    fn system_paths_are_refused_and_dot_dot_resolved() {
        for bad in [
            "/etc",
            "/usr/local/bin",
            "/usr/local",
            "/tmp/../etc",
            "/usr/./lib/=disk",
        ] {
            let e = parse_writable(bad).unwrap_err();
            assert!(e.starts_with(&format!("--writable {bad}:")), "{e}");
            assert!(e.contains("system path"), "{e}");
        }
        assert!(parse_writable("/etc/../tmp/..").is_err());
        assert_eq!(parse_writable("/tmp/../cache").unwrap().path, "/cache");
        assert_eq!(
            parse_writable("/etc/app/cache").unwrap().path,
            "/etc/app/cache"
        );
    }

    /// A volume over a kernel interface or over what the kubelet mounts
    /// is a pod that does not start: refused, with why. `/dev/shm` and a
    /// path beside the kubelet's files are fine.
    #[test]
    fn kernel_interfaces_and_kubelet_mounts_are_refused() {
        for (bad, why) in [
            ("/proc", "the kernel's"),
            ("/sys/fs/cgroup", "the kernel's"),
            ("/dev", "the kernel's"),
            ("/dev/../dev/termination-log", "the kernel's"),
            ("/etc/hosts", "the kubelet mounts /etc/hosts"),
            (
                "/etc/resolv.conf=disk",
                "the kubelet mounts /etc/resolv.conf",
            ),
            (
                "/var/run/secrets/kubernetes.io/serviceaccount",
                "the kubelet mounts /var/run/secrets/kubernetes.io/serviceaccount",
            ),
        ] {
            let e = parse_writable(bad).unwrap_err();
            assert!(e.starts_with(&format!("--writable {bad}:")), "{e}");
            assert!(e.contains(why), "{e}");
        }
        for ok in [
            "/dev/shm",
            "/dev/shm/app",
            "/etc/hosts.d",
            "/var/run/secrets",
            "/devices",
            "/proc2",
        ] {
            assert!(parse_writable(ok).is_ok(), "{ok}");
        }
    }
}
