//! `writableSystemPath`: a writable volume mounted at or above a system
//! path (`/`, `/etc`, `/usr`, …) re-opens exactly what a read-only root
//! closed: binaries, libraries and configuration.

use super::{ImmutableRule, first_mount_matching, mounts_matching};
use crate::finding::Severity;
use crate::format::{containers_phrase, join_quote, pluralize};
use crate::model::{Container, Pod, Volume, VolumeMount, normalize_path};
use crate::scope::{Scope, Violation};

pub static RULE: ImmutableRule = ImmutableRule {
    id: "writableSystemPath",
    severity: Severity::Error,
    eval,
    container_field: &["volumeMounts"],
    description: "No writable volume may be mounted at or above a system path such as /, /etc, /usr, /bin or /lib, nor inside a directory of programs or libraries such as /usr/local/bin or /usr/lib.",
    locate: Some(|pod, scope, _| first_mount_matching(pod, scope, offends)),
};

/// The system path a mount makes writable, if it does.
fn offends(_: &Container, m: &VolumeMount, volume: Option<&Volume>) -> Option<String> {
    let writable = volume.is_some_and(|v| v.writable_through(m));
    (writable && is_system_mount_path(&m.mount_path)).then(|| normalize_path(&m.mount_path))
}

/// Directories holding what an attacker would want to replace.
pub const SYSTEM_PATHS: &[&str] = &[
    "/bin",
    "/boot",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/root",
    "/sbin",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/sbin",
];

/// The system paths below which applications do write at runtime:
/// configuration made at start (`/etc/nginx/conf.d`), a home
/// (`/root/.cache`), an application's own tree (`/usr/src/app`,
/// `/usr/share/nginx/html`). A volume there shadows the image's files of
/// that one directory and is the application's business. Every other
/// system path holds programs, libraries or the boot files.
pub const WRITABLE_BELOW: &[&str] = &["/etc", "/root", "/usr"];

/// The directory of programs or libraries `path` lies inside (strictly),
/// if any: one of the [`SYSTEM_PATHS`] but [`WRITABLE_BELOW`].
fn code_path_around(path: &str) -> Option<&'static str> {
    let p = normalize_path(path);
    SYSTEM_PATHS
        .iter()
        .filter(|s| !WRITABLE_BELOW.contains(s))
        .find(|s| {
            p.strip_prefix(**s)
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .copied()
}

/// `path` lies inside a directory of programs or libraries
/// (`/usr/local/bin/app`, `/usr/lib/python3/dist-packages`): a writable
/// volume there replaces or adds code the container runs, and keeps it
/// across the container's restarts, which is what a read-only root is
/// there to stop. Nothing writes there at runtime (`trace` warns about a
/// write there instead of planning a volume).
pub fn is_inside_code_path(path: &str) -> bool {
    code_path_around(path).is_some()
}

/// Where a writable volume re-opens what the read-only root closed: at or
/// above a system path, or inside a directory of programs or libraries.
pub fn is_system_mount_path(path: &str) -> bool {
    is_at_or_above_system_path(path) || is_inside_code_path(path)
}

/// The kernel's interfaces. Writes there are the kernel's business, never
/// an application's files, and a volume at or under them breaks the
/// container: runc refuses a mount over `/proc`, one over `/dev` hides
/// `/dev/null`, one over `/sys` the cgroup files.
pub const KERNEL_PATHS: &[&str] = &["/proc", "/sys", "/dev"];

/// Below a kernel path, the one directory a volume may take: `/dev/shm`,
/// scratch memory, which programs outgrowing the runtime's 64 MiB get an
/// emptyDir for.
pub const SCRATCH_IN_KERNEL_PATHS: &str = "/dev/shm";

/// `path` is at or under one of the [`KERNEL_PATHS`], outside `/dev/shm`.
pub fn is_kernel_path(path: &str) -> bool {
    let p = normalize_path(path);
    let at_or_under = |dir: &str| {
        p.strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    KERNEL_PATHS.iter().any(|k| at_or_under(k)) && !at_or_under(SCRATCH_IN_KERNEL_PATHS)
}

/// `/`, a system path, or a parent of one (`/usr/local` holds `/usr/local/bin`).
pub fn is_at_or_above_system_path(path: &str) -> bool {
    let p = normalize_path(path);
    p == "/"
        || SYSTEM_PATHS.iter().any(|s| {
            *s == p
                || s.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

fn eval(pod: &Pod, scope: Scope) -> Option<Violation> {
    let (bad, paths) = mounts_matching(pod, scope, offends)?;
    Some(Violation::new(
        "writable system path",
        format!(
            "{} {} a writable volume at {} {}",
            containers_phrase(&bad),
            pluralize("mounts", "mount", bad.len()),
            pluralize("system path", "system paths", paths.len()),
            join_quote(&paths)
        ),
    ))
}

/// Why a (normalized) path must not become a writable volume, if it must
/// not: a volume at or above a system path re-opens what the read-only root
/// closed, and `rootlock scan --level immutable` reports it
/// (writableSystemPath); the fix must not create what the scan refuses. A
/// volume at a kernel interface or at what the kubelet mounts would keep
/// the pod from starting. One rule for every plan reader (`fix --plan`,
/// `fix --writable`, `trace --verify --plan`): a plan one accepts, the
/// others do.
pub fn system_path_refusal(path: &str) -> Option<String> {
    if is_at_or_above_system_path(path) {
        return Some(format!(
            "{path} is a system path or holds one; a writable volume there would let the \
             container replace binaries, libraries or configuration (writableSystemPath): \
             make only the directory the program writes to writable"
        ));
    }
    if let Some(dir) = code_path_around(path) {
        return Some(format!(
            "{path} is inside {dir}, a directory of programs or libraries; a writable volume \
             there would let the container replace or add code it runs (writableSystemPath): \
             change the program to write elsewhere (a cache or temporary directory)"
        ));
    }
    if is_kernel_path(path) {
        return Some(format!(
            "{path} is the kernel's (/proc, /sys or /dev, all but /dev/shm): a volume there \
             keeps the container from starting (runc refuses one over /proc) or hides its \
             devices; what fails to write there is no file the application keeps"
        ));
    }
    // A volume where the kubelet mounts something is a second mount at the
    // same place (the API server refuses duplicate mount paths) or a
    // directory over a file (the runtime cannot start the container).
    super::kubelet_mounts()
        .find(|k| path == *k || path.strip_prefix(*k).is_some_and(|r| r.starts_with('/')))
        .map(|k| {
            format!(
                "{path} is where the kubelet mounts {k} in every container: a volume there \
                 would collide with that mount"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Volume, VolumeMount};
    use crate::testing::*;

    fn mount(c: &mut crate::model::Container, vol: &str, path: &str, ro: bool) {
        c.volume_mounts.push(VolumeMount {
            name: vol.into(),
            mount_path: path.into(),
            read_only: ro,
            sub_path: None,
        });
    }

    /// `data`, an emptyDir (writable), and `cfg`, a configMap (read-only).
    fn data_and_cfg_volumes() -> Vec<Volume> {
        vec![
            Volume {
                name: "data".into(),
                sources: vec!["emptyDir".into()],
                ..Default::default()
            },
            Volume {
                name: "cfg".into(),
                sources: vec!["configMap".into()],
                ..Default::default()
            },
        ]
    }

    #[test]
    fn system_paths_and_their_parents() {
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/usr",
            "/usr/local",
            "/usr/local/bin",
            "/lib64",
            "/root",
        ] {
            assert!(is_at_or_above_system_path(p), "{p}");
        }
        for p in [
            "/tmp",
            "/var/run",
            "/etc/nginx/conf.d",
            "/usr/share/nginx/html",
            "/etcd",
            "/home/app",
        ] {
            assert!(!is_at_or_above_system_path(p), "{p}");
        }
    }

    #[test]
    fn only_writable_volumes_count() {
        let mut a = container("a");
        mount(&mut a, "data", "/etc", false);
        mount(&mut a, "cfg", "/usr/local", false);
        mount(&mut a, "data", "/tmp", false);
        let mut b = container("b");
        mount(&mut b, "data", "/usr", true);
        mount(&mut b, "cfg", "/etc", false);
        let mut p = pod(vec![a, b]);
        p.spec.volumes = data_and_cfg_volumes();
        assert_eq!(
            run(eval, &p).unwrap(),
            "writable system path (container \"a\" mounts a writable volume at system path \"/etc\")"
        );
        p.spec.containers[1].volume_mounts[0].read_only = false;
        assert_eq!(
            run(eval, &p).unwrap(),
            "writable system path (containers \"a\", \"b\" mount a writable volume at system paths \"/etc\", \"/usr\")"
        );
    }

    #[test]
    fn a_path_that_steps_back_into_a_system_path_is_judged_where_it_lands() {
        let mut a = container("a");
        mount(&mut a, "data", "/tmp/../etc", false);
        mount(&mut a, "data", "/var/lib/app/../../../usr/./lib", false);
        mount(&mut a, "data", "/tmp/../var/cache", false);
        let mut p = pod(vec![a]);
        p.spec.volumes = vec![Volume {
            name: "data".into(),
            sources: vec!["emptyDir".into()],
            ..Default::default()
        }];
        assert_eq!(
            run(eval, &p).unwrap(),
            "writable system path (container \"a\" mounts a writable volume at system paths \"/etc\", \"/usr/lib\")"
        );
    }

    #[test]
    fn a_writable_volume_inside_a_directory_of_programs_or_libraries_counts() {
        for p in [
            "/usr/local/bin/app",
            "/usr/lib/python3/dist-packages",
            "/usr/local/lib/python3.11/site-packages",
            "/lib/modules/6.1",
            "/sbin/x",
            "/usr/libexec/app",
            "/boot/efi",
        ] {
            assert!(is_system_mount_path(p), "{p}");
            assert!(is_inside_code_path(p), "{p}");
        }
        // Where applications do write below a system path: configuration
        // made at start, a home, an application's own tree under /usr.
        for p in [
            "/etc/nginx/conf.d",
            "/root/.cache",
            "/usr/src/app",
            "/usr/share/nginx/html",
            "/usr/local/share/app",
            "/usr/local/tomcat/temp",
            "/tmp",
            "/libx",
        ] {
            assert!(!is_system_mount_path(p), "{p}");
        }
        let mut a = container("a");
        mount(&mut a, "data", "/usr/local/bin/app", false);
        mount(&mut a, "data", "/etc/nginx/conf.d", false);
        mount(&mut a, "cfg", "/usr/lib/app", false);
        let mut p = pod(vec![a]);
        p.spec.volumes = data_and_cfg_volumes();
        assert_eq!(
            run(eval, &p).unwrap(),
            "writable system path (container \"a\" mounts a writable volume at system path \"/usr/local/bin/app\")"
        );
        let why = system_path_refusal("/usr/local/lib/python3.11/site-packages").unwrap();
        assert!(
            why.contains("inside /usr/local/lib, a directory of programs or libraries"),
            "{why}"
        );
        assert!(system_path_refusal("/etc/nginx/conf.d").is_none());
    }
}
