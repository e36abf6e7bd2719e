//! The listening socket. The default address, `[::]`, is every address of
//! both families: an IPv6-only cluster's API server reaches the pod over
//! IPv6, a dual-stack or IPv4 one over IPv4 (`0.0.0.0`, the old default,
//! was unreachable in an IPv6-only cluster).

use socket2::{Domain, Socket, Type};
use std::net::{Ipv4Addr, SocketAddr};
use tokio::net::TcpListener;

/// How many connections the kernel queues before they are accepted (tokio's
/// own bind's figure).
const BACKLOG: i32 = 1024;

/// Binds `addr`. The IPv6 unspecified address is bound dual-stack whatever
/// `net.ipv6.bindv6only` says, and on a kernel without IPv6
/// (`ipv6.disable=1`) it falls back to `0.0.0.0`, as Go's `net.Listen`
/// does for an address without a host: "every address" there means every
/// IPv4 address.
pub fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    let fail = |e: std::io::Error| format!("listen on {addr}: {e}");
    let unspecified_v6 = matches!(addr, SocketAddr::V6(a) if a.ip().is_unspecified());
    let socket = match Socket::new(Domain::for_address(addr), Type::STREAM, None) {
        Ok(s) => s,
        // EAFNOSUPPORT without IPv6; any other reason an IPv6 socket
        // cannot be had means the same for "every address".
        Err(e) if unspecified_v6 => {
            let v4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
            tracing::info!(%addr, error = %e, fallback = %v4, "no IPv6 socket: listening on IPv4 only");
            return bind(v4);
        }
        Err(e) => return Err(fail(e)),
    };
    if unspecified_v6 {
        socket.set_only_v6(false).map_err(fail)?;
    }
    // As tokio's own bind does, so that a restarted server binds
    // while the old one's connections are in TIME_WAIT.
    socket.set_reuse_address(true).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    socket.bind(&addr.into()).map_err(fail)?;
    socket.listen(BACKLOG).map_err(fail)?;
    TcpListener::from_std(socket.into()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    /// The default address is the IPv6 unspecified one, bound dual-stack
    /// explicitly (not left to `net.ipv6.bindv6only`, which a node may set
    /// to 1 and which made tokio's own bind IPv6-only).
    #[tokio::test]
    async fn the_default_address_is_bound_for_both_families() {
        let cmd = crate::WebhookArgs::augment_args(clap::Command::new("webhook"));
        let matches = cmd
            .try_get_matches_from(["webhook", "--tls-cert", "c", "--tls-key", "k"])
            .unwrap();
        let args = crate::WebhookArgs::from_arg_matches(&matches).unwrap();
        let default: SocketAddr = args.listen.parse().unwrap();
        assert!(
            default.is_ipv6() && default.ip().is_unspecified(),
            "{default}"
        );
        assert_eq!(default.port(), 8443);

        let any_port = SocketAddr::new(default.ip(), 0);
        let listener = bind(any_port).unwrap();
        let local = listener.local_addr().unwrap();
        if local.is_ipv6() {
            let only_v6 = socket2::SockRef::from(&listener).only_v6().unwrap();
            assert!(!only_v6, "IPV6_V6ONLY is set");
        }
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, local.port()));
        let (client, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(v4), listener.accept());
        client.unwrap();
        accepted.unwrap();
    }

    /// A node may set `net.ipv6.bindv6only=1`, with which tokio's own bind
    /// of `[::]` is IPv6-only and the API server of a dual-stack or IPv4
    /// cluster cannot reach the webhook. Checked in a network namespace of
    /// this test's own thread (a namespace is per thread), where the sysctl
    /// can be set without touching the host. Needs root, as CI runs.
    #[test]
    fn the_unspecified_ipv6_address_serves_ipv4_under_bindv6only() {
        use rootlock_trace::namespaces::{loopback_up, unshare, write_file};
        let run = std::thread::spawn(|| {
            if let Err(e) = unshare(libc::CLONE_NEWNET) {
                // SAFETY: geteuid has no preconditions.
                assert_ne!(unsafe { libc::geteuid() }, 0, "as root: {e}");
                eprintln!("skipped (needs root for a network namespace): {e}");
                return;
            }
            loopback_up().unwrap();
            write_file("/proc/sys/net/ipv6/bindv6only", "1").unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .unwrap();
            rt.block_on(async {
                let any: SocketAddr = "[::]:0".parse().unwrap();
                // The setting holds here: a socket left to the default is
                // IPv6-only (else this test would show nothing).
                let plain = std::net::TcpListener::bind(any).unwrap();
                assert!(socket2::SockRef::from(&plain).only_v6().unwrap());

                let listener = bind(any).unwrap();
                let port = listener.local_addr().unwrap().port();
                for client in [
                    SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
                ] {
                    // try_join: a refused connect ends the wait for accept.
                    tokio::try_join!(tokio::net::TcpStream::connect(client), listener.accept())
                        .unwrap_or_else(|e| panic!("{client}: {e}"));
                }
            });
        });
        run.join().unwrap();
    }
}
