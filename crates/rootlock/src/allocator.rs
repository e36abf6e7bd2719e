//! mimalloc's settings for the long-running webhook.
//!
//! mimalloc keeps memory it has freed for a while before giving it back
//! (a purge delay of a second in mimalloc 3) and commits its arenas
//! eagerly. That suits a command that runs and exits; the webhook runs for
//! months under a 128 MiB limit, and a burst of heavy reviews left it
//! holding what it had freed: eight concurrent reviews of 1,800 failing
//! containers peaked at 123–135 MiB of RSS with the defaults, 32–41 MiB
//! with both settings at 0, at the same CPU per review
//! (`bench/webhook_memory.py`, `bench/webhook.sh`, 2026-11-30).
//!
//! mimalloc reads them from the environment once, before `main`, and its
//! Rust bindings do not name these options, so the webhook runs itself
//! again with them set. A value already in the environment is kept.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// The variables and the values the webhook runs with.
pub const SERVER_SETTINGS: [(&str, &str); 2] = [
    // Return freed memory at once, not after a delay.
    ("MIMALLOC_PURGE_DELAY", "0"),
    // Commit arena memory as it is used, not when the arena is reserved.
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
];

/// The settings missing from the environment `present` describes.
fn missing(present: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    SERVER_SETTINGS
        .into_iter()
        .filter(|(k, _)| !present(k))
        .collect()
}

/// Runs this program again, with the same arguments, with
/// [`SERVER_SETTINGS`] in its environment, unless they are there already.
/// Returns when they are, or when running again failed (no `/proc`): the
/// webhook then runs with mimalloc's defaults, which only cost memory.
pub fn run_again_with_server_settings() {
    let missing = missing(|k| std::env::var_os(k).is_some());
    if missing.is_empty() {
        return;
    }
    let mut args = std::env::args_os();
    let argv0: OsString = args.next().unwrap_or_default();
    let mut again = std::process::Command::new("/proc/self/exe");
    again.arg0(argv0).args(args).envs(missing);
    // `exec` returns only on failure.
    let _ = again.exec();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settings_not_given_are_added() {
        assert_eq!(missing(|_| false), SERVER_SETTINGS.to_vec());
        assert_eq!(
            missing(|k| k == "MIMALLOC_PURGE_DELAY"),
            vec![("MIMALLOC_ARENA_EAGER_COMMIT", "0")]
        );
        assert!(missing(|_| true).is_empty());
    }
}
