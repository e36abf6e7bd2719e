//! Directory names a temp-directory function made up, which the program
//! will not ask for again: a volume at one would never be used, so the
//! directory it was made in is what must be writable. `logs` reads them
//! in errors (a failed `mkdir` of one); `trace` sees them made (a program
//! that kept its temp directory, or was stopped before removing it).
//!
//! Taking a stable name for a made-up one (`backup-20240514`, a directory
//! named `tmp_uploads`) is harmless: its parent must be writable for the
//! `mkdir` anyway, so a volume there works too, only wider.

/// `name` (one path component) was made up by a temp-directory function:
/// * eight digits in a row or more: Go's `os.MkdirTemp` (`build-2837465912`,
///   a random uint32 in decimal, 8 digits or more in 99.8 % of draws), Java's
///   `Files.createTempDirectory` (`app18138565278733101166`, a random long);
/// * a `mktemp` template, as its error prints it: `tmp.XXXXXXXXXX`, or the
///   caller's, which ends in at least three `X` (`build.XXX`);
/// * `mktemp -d`'s default name as made: `tmp.` and ten letters or digits
///   (`tmp.AXNs3cVVRM`);
/// * Python's `tempfile.mkdtemp` (and `TemporaryDirectory`) with its default
///   prefix: `tmp` and eight of `[a-z0-9_]` (`tmpzrap00sb`);
/// * Rust's `tempfile` crate: `.tmp` and six letters or digits (`.tmpa1B2c3`).
///
/// A caller's own prefix with a short random part (Node's
/// `fs.mkdtemp("/tmp/app-")`: `app-jRY6rZ`) cannot be told from a name.
pub fn made_up(name: &str) -> bool {
    let mut digits = 0;
    for b in name.bytes() {
        digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
        if digits >= 8 {
            return true;
        }
    }
    name.contains("XXXXXX")
        || name.ends_with("XXX")
        || random_after(name, "tmp.", 10, |b| b.is_ascii_alphanumeric())
        || random_after(name, "tmp", 8, |b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
        })
        || random_after(name, ".tmp", 6, |b| b.is_ascii_alphanumeric())
}

/// `name` is `prefix` and `len` bytes that are all `random`.
fn random_after(name: &str, prefix: &str, len: usize, random: impl Fn(u8) -> bool) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == len && rest.bytes().all(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the functions made on this machine (Python 3.11, coreutils'
    /// `mktemp -d`, OpenJDK 17, Go's format), and stable ones.
    #[test]
    fn made_up_names_and_stable_ones() {
        for name in [
            "tmp4o91kcbj",
            "tmpzrap00sb",
            "tmp.AXNs3cVVRM",
            "app18138565278733101166",
            "go-build2837465912",
            "tmp.XXXXXXXXXX",
            "build.XXX",
            ".tmpa1B2c3",
        ] {
            assert!(made_up(name), "{name}");
        }
        for name in [
            "tmp_upload",
            "tmp",
            "tmp.d",
            "cache",
            "app2",
            "v1234567",
            "python3.11",
            "tmp.conf",
            ".tmp",
        ] {
            assert!(!made_up(name), "{name}");
        }
    }
}
