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
}
