//! mimalloc's settings: for the long-running webhook, and for the commands
//! that run and exit.
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

use std::ffi::{OsString, c_int, c_long};
use std::os::unix::process::CommandExt;

/// `mi_option_purge_delay` of mimalloc.h (the legacy `reset_delay`): 15 in
/// mimalloc 2 and 3. The Rust bindings name the options around it, not
/// this one; the test below checks the number by the option's default.
const PURGE_DELAY: c_int = 15;

// mimalloc's own functions (mimalloc.h), linked in by libmimalloc-sys.
unsafe extern "C" {
    safe fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    safe fn mi_option_get(option: c_int) -> c_long;
}

/// For a command that runs and exits (everything but the webhook's
/// server): mimalloc never gives freed memory back to the system. Its
/// default, a delay of a second, still handed back parts of its arenas as
/// they were freed (`madvise(MADV_DONTNEED)`, 238 calls in one `fix` of a
/// 6,000-Deployment List), which the process then faulted in again, each
/// time a whole 2 MiB transparent huge page cleared for 64 KiB reused:
/// 56 % of that `fix`'s time went to the kernel clearing pages, its wall
/// time 1.43 s against 0.62 s without (peak RSS the same, 331 MB; the
/// memory is the system's again when the command exits). A delay already
/// given in the environment is kept. Set before the command starts its
/// threads.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        mi_option_set(PURGE_DELAY, -1);
    }
}

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

    /// Option 15 is the purge delay: mimalloc 3's default for it, 1,000 ms,
    /// is no other option's. Then it is set to never.
    #[test]
    fn the_purge_delay_is_mimallocs_option_15_and_is_set_to_never() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        assert_eq!(mi_option_get(PURGE_DELAY), 1000);
        keep_freed_memory();
        assert_eq!(mi_option_get(PURGE_DELAY), -1);
    }

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
