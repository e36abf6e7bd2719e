//! A container runtime's API socket inside the process's view. Whoever can
//! connect to it asks the runtime for a new container (privileged, with
//! the node's `/` mounted), so nothing about this container's own root
//! matters any more. A read-only mount does not help: connect(2) needs
//! write permission on the socket's inode, and a read-only mount or
//! superblock refuses writes only to files, directories and symlinks.
//!
//! Looked for at the places the runtimes create their sockets (a hostPath
//! of the socket, or of a directory holding it, lands there by
//! convention), and wherever a mount shows one of those places of the
//! node: security and monitoring agents mount the node's `/run` or its
//! socket elsewhere (`/host/run`, `/host/var/run/docker.sock`). A socket
//! the runtime was configured to put elsewhere on the node is not found.

use crate::mountinfo::MountEntry;
use crate::root::Root;
use rustix::fs::FileType;

/// Where Docker, containerd (also k3s's), CRI-O, Podman and cri-dockerd put
/// their API sockets.
pub const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/run/cri-dockerd.sock",
    "/var/run/cri-dockerd.sock",
];

/// Where, in the process's view, a runtime's socket may be: its usual
/// places, then each place a mount shows one of them at. A mount shows the
/// subtree `root` of its filesystem at `mount_point`; the node's sockets
/// lie in its root filesystem (at [`RUNTIME_SOCKETS`]) or in the tmpfs
/// mounted at `/run` (at those paths without `/run` or `/var/run`), and
/// which filesystem a mount shows is not known, so both are tried.
pub fn places(mounts: &[MountEntry]) -> Vec<String> {
    let mut places: Vec<String> = RUNTIME_SOCKETS.iter().map(|s| s.to_string()).collect();
    // Duplicates are found by hash, not by searching the list: a table of
    // thousands of mounts makes tens of thousands of places.
    let mut seen: std::collections::HashSet<String> = places.iter().cloned().collect();
    for m in mounts.iter().filter(|m| m.mount_point != "/") {
        for socket in RUNTIME_SOCKETS {
            let in_run = ["/run", "/var/run"]
                .iter()
                .filter_map(|dir| socket.strip_prefix(dir))
                .filter(|rest| rest.starts_with('/'));
            for in_fs in std::iter::once(*socket).chain(in_run) {
                if let Some(below) = below_root(in_fs, &m.root) {
                    let place = format!("{}{below}", m.mount_point.trim_end_matches('/'));
                    if seen.insert(place.clone()) {
                        places.push(place);
                    }
                }
            }
        }
    }
    places
}

/// `path` relative to `root` (`""` or `/…`) when it is at or under it.
fn below_root<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    if root == "/" {
        return Some(path);
    }
    path.strip_prefix(root)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The runtime sockets the process can reach among `places`, as it first
/// names them: one socket reached at two places (`/var/run` is a symlink
/// to `/run` in most images) is named once.
pub fn reachable(root: &Root, places: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    places
        .iter()
        .filter(|path| {
            root.entry(path)
                .and_then(|fd| Ok(rustix::fs::fstat(&fd)?))
                .is_ok_and(|st| {
                    FileType::from_raw_mode(st.st_mode) == FileType::Socket
                        && seen.insert((st.st_dev, st.st_ino))
                })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;

    #[test]
    fn a_socket_at_a_runtimes_place_is_found_a_file_there_is_not() {
        let dir = Scratch::new("runtime-socket");
        std::fs::create_dir_all(dir.join("run/containerd")).unwrap();
        let _listener =
            std::os::unix::net::UnixListener::bind(dir.join("run/containerd/containerd.sock"))
                .unwrap();
        std::fs::create_dir_all(dir.join("var/run")).unwrap();
        std::fs::write(dir.join("var/run/docker.sock"), "not a socket").unwrap();
        // /var/run -> /run, as in most images: the socket is named once.
        std::fs::remove_file(dir.join("var/run/docker.sock")).unwrap();
        std::fs::remove_dir(dir.join("var/run")).unwrap();
        std::os::unix::fs::symlink("/run", dir.join("var/run")).unwrap();
        std::fs::write(dir.join("run/docker.sock"), "not a socket").unwrap();
        let root = Root::open(&dir).unwrap();
        assert_eq!(
            reachable(&root, &places(&[])),
            ["/run/containerd/containerd.sock"]
        );
    }

    /// The node's `/run` mounted at `/host/run` (root `/` of that tmpfs),
    /// its docker socket bound at `/custom/d.sock` (root `/docker.sock`),
    /// its `/run/crio` at `/x` (root `/crio`), its root filesystem at
    /// `/node` (root `/`, the socket at `/node/var/run/…`): each socket is
    /// found where the mount shows it. A socket of another name bound
    /// elsewhere (a CSI driver's) is not a runtime's.
    #[test]
    fn a_runtime_socket_a_mount_shows_elsewhere_is_found_there() {
        let dir = Scratch::new("runtime-socket-elsewhere");
        let sockets = [
            "host/run/containerd/containerd.sock",
            "custom/d.sock",
            "x/crio.sock",
            "node/var/run/cri-dockerd.sock",
            "csi/csi.sock",
        ];
        let mut listeners = Vec::new();
        for s in sockets {
            let path = dir.join(s);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            listeners.push(std::os::unix::net::UnixListener::bind(path).unwrap());
        }
        let mounts = crate::mountinfo::parse(
            "1 0 8:1 / / ro,relatime - ext4 /dev/sda1 ro\n\
             2 1 0:30 / /host/run rw,nosuid - tmpfs tmpfs rw\n\
             3 1 0:30 /docker.sock /custom/d.sock rw,nosuid - tmpfs tmpfs rw\n\
             4 1 0:30 /crio /x rw,nosuid - tmpfs tmpfs rw\n\
             5 1 8:1 / /node rw,relatime - ext4 /dev/sda1 rw\n\
             6 1 0:30 /csi-plugin/csi.sock /csi/csi.sock rw - tmpfs tmpfs rw\n",
        )
        .unwrap();
        let root = Root::open(&dir).unwrap();
        let mut found = reachable(&root, &places(&mounts));
        found.sort();
        assert_eq!(
            found,
            [
                "/custom/d.sock",
                "/host/run/containerd/containerd.sock",
                "/node/var/run/cri-dockerd.sock",
                "/x/crio.sock",
            ]
        );
    }

    /// A mount table of thousands of mounts (a node's, verify run in a
    /// namespace unshared from it; or one a process with CAP_SYS_ADMIN
    /// made): each mount adds up to 16 places, and a linear search for
    /// duplicates made that quadratic (20,000 mounts: minutes here, debug
    /// build). Every place is still there, once, in order.
    #[test]
    fn many_mounts_make_each_of_their_places_once() {
        let text: String = std::iter::once("1 0 8:1 / / ro - ext4 /dev/sda1 ro\n".to_string())
            .chain((2..20_002).map(|i| format!("{i} 1 0:30 / /m/{i} rw - tmpfs tmpfs rw\n")))
            .collect();
        let mounts = crate::mountinfo::parse(&text).unwrap();
        // No time is asserted (speed is for benchmarks): a return to
        // quadratic shows as a slow test.
        let p = places(&mounts);
        // Each mount: every socket at its node path, and the six distinct
        // ones of /run at their path in /run's tmpfs (/var/run's and
        // /run's are the same there).
        let per_mount = RUNTIME_SOCKETS.len() + 6;
        assert_eq!(p.len(), RUNTIME_SOCKETS.len() + 20_000 * per_mount);
        assert_eq!(p[..RUNTIME_SOCKETS.len()], *RUNTIME_SOCKETS);
        assert_eq!(p[RUNTIME_SOCKETS.len()], "/m/2/var/run/docker.sock");
        let distinct: std::collections::HashSet<&String> = p.iter().collect();
        assert_eq!(distinct.len(), p.len());
    }

    #[test]
    fn a_path_is_below_a_root_only_at_a_component_boundary() {
        assert_eq!(below_root("/docker.sock", "/"), Some("/docker.sock"));
        assert_eq!(below_root("/docker.sock", "/docker.sock"), Some(""));
        assert_eq!(below_root("/crio/crio.sock", "/crio"), Some("/crio.sock"));
        assert_eq!(below_root("/crio/crio.sock", "/cri"), None);
        assert_eq!(below_root("/docker.sock", "/other"), None);
    }
}
