//! `--config FILE`: the webhook's config file, read here up to a bound and
//! parsed by the webhook's own parser (its errors, `FILE:LINE: FIELD: why`).

use crate::bounded_read::read_at_most;
use rootlock_webhook::config::Config;
use std::path::Path;

/// The largest config file read. Real ones are a few hundred bytes; the
/// bound only stops `--config /dev/zero`, a FIFO that never ends, or a
/// huge file named by mistake from being held in memory whole.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads and validates the config file at `path`.
pub fn load(path: &str) -> Result<Config, String> {
    let bytes = read_at_most(Path::new(path), MAX_CONFIG_BYTES)
        .map_err(|e| format!("{path}: {e}"))?
        .ok_or_else(|| {
            format!(
                "{path}: larger than {} MiB: not a webhook config",
                MAX_CONFIG_BYTES >> 20
            )
        })?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not valid UTF-8"))?;
    Config::parse_from(&text, path)
}
