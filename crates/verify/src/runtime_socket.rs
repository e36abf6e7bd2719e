//! A container runtime's API socket inside the process's view. Whoever can
//! connect to it asks the runtime for a new container (privileged, with
//! the node's `/` mounted), so nothing about this container's own root
//! matters any more. A read-only mount does not help: connect(2) needs
//! write permission on the socket's inode, and a read-only mount or
//! superblock refuses writes only to files, directories and symlinks.
//!
//! Looked for at the places the runtimes create their sockets (a hostPath
//! of the socket, or of a directory holding it, lands there by
//! convention); one bound at another path is not found.

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

/// The runtime sockets the process can reach, as it first names them: one
/// socket reached at two places (`/var/run` is a symlink to `/run` in most
/// images) is named once.
pub fn reachable(root: &Root) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    RUNTIME_SOCKETS
        .iter()
        .filter(|path| {
            root.entry(path)
                .and_then(|fd| Ok(rustix::fs::fstat(&fd)?))
                .is_ok_and(|st| {
                    FileType::from_raw_mode(st.st_mode) == FileType::Socket
                        && seen.insert((st.st_dev, st.st_ino))
                })
        })
        .map(|path| (*path).to_string())
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
        assert_eq!(reachable(&root), ["/run/containerd/containerd.sock"]);
    }
}
