//! The replay API server as a program, for `bench/cluster.sh` and for
//! trying `rootlock cluster` / `kubectl` by hand:
//!
//! ```text
//! cargo run --release -p rootlock-cluster --example replay_apiserver -- \
//!     --pods 100000 --kubeconfig /tmp/replay/kubeconfig
//! ```
//!
//! Serves the generated cluster (pages shaped like the recorded real
//! responses, see `tests/replay/generate.rs`) over HTTPS on loopback, writes
//! a kubeconfig whose current context points at it, prints `ready URL` and
//! serves until killed.

#[path = "../tests/replay/mod.rs"]
mod replay;

use std::path::PathBuf;

fn main() {
    let mut pods = 100_000usize;
    let mut kubeconfig = PathBuf::from("kubeconfig");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--pods", Some(v)) => match v.parse() {
                Ok(n) => pods = n,
                Err(e) => {
                    eprintln!("replay_apiserver: --pods {v}: {e}");
                    std::process::exit(2);
                }
            },
            ("--kubeconfig", Some(v)) => kubeconfig = PathBuf::from(v),
            _ => {
                eprintln!("usage: replay_apiserver [--pods N] [--kubeconfig FILE]");
                std::process::exit(2);
            }
        }
    }
    let dir = kubeconfig
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    // The kubeconfig's directory is made (the README's `/tmp/replay/…`
    // did not exist on a fresh machine, and writing the CA there panicked).
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("replay_apiserver: {}: {e}", dir.display());
        std::process::exit(2);
    }
    let server = replay::ReplayServer::start(replay::generate::handler(pods));
    let written = server.kubeconfig(&dir, "replay");
    if written != kubeconfig
        && let Err(e) = std::fs::rename(&written, &kubeconfig)
    {
        eprintln!("replay_apiserver: {}: {e}", kubeconfig.display());
        std::process::exit(2);
    }
    println!("ready {}", server.url());
    loop {
        std::thread::park();
    }
}
