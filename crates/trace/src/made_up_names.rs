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
/// `fs.mkdtemp("/tmp/app-")`: `app-jRY6rZ`) cannot be told from a name
/// alone; `trace` also sees the directory's mode (see [`made_up_private`]).
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

/// `name`, of a directory the program created with mode 0700, was made
/// up by a temp-directory function: every one makes its directory 0700
/// (glibc's `mkdtemp`, so `mktemp -d` and Node's `fs.mkdtemp`; Python's
/// `tempfile`, Perl's `File::Temp`, Java's, Go's), and the caller's
/// prefix or template hides the function's own (`app-Hd6t3S`,
/// `job-2yoy3uf5`, Perl's bare `yHDBvSyfWq`, `buildVC04dY`). So a
/// [`made_up`] name, or one that ends in a random run: six to ten
/// letters and digits (the last ten counted) that change between
/// upper case, lower case and digit at least twice. A word does so at
/// most once (`GPUCache`, `python3`, `backup2024`), a random run mostly
/// more often; one that does not (Node's `app-ehdGTV`, about one in
/// fifteen of its names, one in six of Python's eight lower-case letters
/// and digits) is taken for a stable name, its own volume, as before.
/// Only the mode makes this safe to guess: programs make few directories
/// 0700, and those under stable names (`pgdata`, `.ssh`) are words.
pub fn made_up_private(name: &str) -> bool {
    made_up(name) || random_run(name)
}

/// `name` ends in a random run (see [`made_up_private`]).
fn random_run(name: &str) -> bool {
    let run: Vec<u8> = name
        .bytes()
        .rev()
        .take_while(u8::is_ascii_alphanumeric)
        .take(10)
        .collect();
    let class = |b: &u8| (b.is_ascii_uppercase(), b.is_ascii_lowercase());
    let changes = run
        .windows(2)
        .filter(|w| class(&w[0]) != class(&w[1]))
        .count();
    run.len() >= 6 && changes >= 2
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

    /// Names a temp function made with the caller's prefix or template,
    /// told by the mode it gives them (0700): Node's `fs.mkdtemp("/tmp/app-")`,
    /// Python's `mkdtemp(prefix="job-")`, Perl's `File::Temp::tempdir()`
    /// and `tempdir("buildXXXXXX")`, `mktemp -d -t foo.XXXXXX` (node v20,
    /// Python 3.11, Perl 5.36, coreutils 9.1 on this machine). Directories
    /// programs make 0700 under stable names are not (`pgdata`,
    /// `hsperfdata_root`, `~/.ssh`).
    #[test]
    fn private_directories_named_by_temp_functions() {
        for name in [
            "app-Hd6t3S",
            "app-D8uzHT",
            "app-dAD1Tx",
            "job-2yoy3uf5",
            "job-m5b9fmp3",
            "yHDBvSyfWq",
            "_KvPZ1oP5H",
            "buildVC04dY",
            "foo.g3Kyc5",
            "tmp.tRW9fIBvc1",
            "tmp4o91kcbj",
        ] {
            assert!(made_up_private(name), "{name}");
        }
        for name in [
            "pgdata",
            "data",
            "hsperfdata_root",
            ".ssh",
            ".gnupg",
            "postgresql",
            "private",
            "sessions",
            "v1.2.3",
            "pg_wal",
            "GPUCache",
            "python3",
            "backup2024",
            "x86_64",
            // Node's, made here: one change of case only, taken for a word.
            "app-ehdGTV",
        ] {
            assert!(!made_up_private(name), "{name}");
        }
    }
}
