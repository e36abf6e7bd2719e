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
/// [`made_up`] name, one that ends in a random run ([`random_run`]), or
/// one whose prefix ends in a separator before a random suffix
/// ([`random_suffix`]). Only the mode makes this safe to guess: programs
/// make few directories 0700, and those under stable names (`pgdata`,
/// `.ssh`, PostgreSQL's `pg_stat_tmp`) are words.
///
/// Measured over 3,000 names each made on this machine (2026-12-01: node
/// v20 `fs.mkdtempSync("/tmp/app-")`, Python 3.11 `mkdtemp(prefix="job-")`,
/// `mktemp -d -t foo.XXXXXX`) and the 9,996 distinct directory names
/// under `/usr`, `/etc`, `/var`, `/opt` and `/root` (`bench/made_up_names.sh`):
/// missed 1.5–1.7 % of Node's names, 1.7–2.0 % of mktemp's and 11.7–12.0 %
/// of Python's over two runs (all eight letters,
/// or letters then digits), against 7.1 %, 7.2 % and 30.2 % with the
/// random run alone; stable names taken for made-up ones 197, three more
/// than before (`aws_ec2_host`, `aws_ec2_ipam`, `iam_admin_v1`). A name
/// taken for a stable one gets its own volume, which the next run's new
/// name never uses; a stable name taken for a made-up one gets a volume
/// at its parent instead, wider but working.
pub fn made_up_private(name: &str) -> bool {
    made_up(name) || random_run(name) || random_suffix(name)
}

/// Which of upper case, lower case, digit or anything else a byte is.
fn class(b: u8) -> u8 {
    if b.is_ascii_uppercase() {
        0
    } else if b.is_ascii_lowercase() {
        1
    } else if b.is_ascii_digit() {
        2
    } else {
        3
    }
}

/// How often the class changes from one byte to the next.
fn class_changes(bytes: &[u8]) -> usize {
    bytes
        .windows(2)
        .filter(|w| class(w[0]) != class(w[1]))
        .count()
}

/// `name` ends in a random run: six to ten letters and digits (the last
/// ten counted) that change between upper case, lower case and digit at
/// least twice. A word does so at most once (`GPUCache`, `python3`,
/// `backup2024`), a random run mostly more often.
fn random_run(name: &str) -> bool {
    let run: Vec<u8> = name
        .bytes()
        .rev()
        .take_while(u8::is_ascii_alphanumeric)
        .take(10)
        .collect();
    run.len() >= 6 && class_changes(&run) >= 2
}

/// `name` is a prefix ending in `-`, `.` or `_` and what a temp function
/// appends to it: glibc's `mkdtemp` (`mktemp -d -t foo.XXXXXX`, Node's
/// `fs.mkdtemp`) six letters and digits, Python's `tempfile` eight lower
/// case letters, digits and `_`, a digit among them. A suffix of one
/// class (`config`) or of a word's shape (`Client`, `image0`, `cp1250`,
/// `httplib2`: a capital then lower case, or lower case then digits) is
/// taken for a word, and so is a random suffix about once in 60–70
/// draws (glibc's) and once in 9 (Python's, mostly all letters).
fn random_suffix(name: &str) -> bool {
    let random = |s: &[u8]| class_changes(s) >= 1 && !word_shaped(s);
    let glibc = suffix_after_separator(name, 6, |b| b.is_ascii_alphanumeric());
    let python = suffix_after_separator(name, 8, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
    })
    .filter(|s| s.iter().any(u8::is_ascii_digit));
    glibc.is_some_and(random) || python.is_some_and(random)
}

/// The last `len` bytes of `name`, when they are all `random` and follow
/// a separator that ends a prefix.
fn suffix_after_separator(name: &str, len: usize, random: impl Fn(u8) -> bool) -> Option<&[u8]> {
    let bytes = name.as_bytes();
    let at = bytes.len().checked_sub(len)?;
    let (head, suffix) = bytes.split_at(at);
    let separated = head.len() >= 2 && matches!(head.last(), Some(b'-' | b'.' | b'_'));
    (separated && suffix.iter().all(|&b| random(b))).then_some(suffix)
}

/// A suffix that changes class once, as a word does: a capital, then
/// lower case (`Client`); lower case, then digits (`image0`, `rt5640`).
fn word_shaped(s: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (s.first(), s.last()) else {
        return false;
    };
    class_changes(s) == 1
        && ((class(first) == 0 && s.get(1).is_some_and(|&b| class(b) == 1))
            || (class(first) == 1 && class(last) == 2))
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
            // One change of class after a separator: missed by the random
            // run alone (node v20, Python 3.11, mktemp, made here).
            "app-ehdGTV",
            "app-ZGUKPs",
            "app-80LGWA",
            "app-qhbDUG",
            "foo.jmefzM",
            "job-a_dwyau5",
            "job-3u7nb6j_",
            "job-027024_c",
            "job-4ccjblmj",
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
            "pg_stat_tmp",
            "pg_twophase",
            "pg_replslot",
            "private-keys-v1.d",
            // Words after a separator: one class, a capital then lower
            // case, lower case then digits.
            "app-config",
            "JACK-Client",
            "North_Dakota",
            "libxcb-image0",
            "django_oauth1",
            "python3-httplib2",
            "chacha20_poly1305",
            "bytcr-rt5640",
            // Random suffixes of a word's shape, missed (1.5 % of Node's,
            // 11.7 % of Python's): taken for stable names.
            "app-gtlkbz",
            "app-Vjgrdl",
            "job-vwczdsbs",
            "job-taguvb63",
        ] {
            assert!(!made_up_private(name), "{name}");
        }
    }

    /// The measurement behind [`made_up_private`]'s figures, run by
    /// `bench/made_up_names.sh`: for each `*.txt` of names (one a line) in
    /// `$MADE_UP_NAMES_DIR`, how many are taken for made-up ones.
    #[test]
    #[ignore = "a measurement: bench/made_up_names.sh"]
    fn rates_over_names_in_a_directory() {
        let Some(dir) = std::env::var_os("MADE_UP_NAMES_DIR") else {
            panic!("set MADE_UP_NAMES_DIR");
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let names: Vec<&str> = text.lines().collect();
            let taken: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| made_up_private(n))
                .collect();
            let missed: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !made_up_private(n))
                .take(5)
                .collect();
            println!(
                "{}: {} of {} taken as made up ({:.2} %); not taken, e.g. {missed:?}",
                path.display(),
                taken.len(),
                names.len(),
                100.0 * taken.len() as f64 / names.len().max(1) as f64
            );
        }
    }
}
