//! `--upper-size`: the cap of the tmpfs that holds every write. The value
//! goes into the tmpfs mount options (`size=VALUE,mode=700`), so it is
//! checked here: anything else would surface as a bare `EINVAL` from
//! mount(2), or — with a comma — smuggle further mount options in.

/// Accepts what the kernel's `memparse` reads for tmpfs `size=`: a positive
/// whole number with an optional `k`/`m`/`g`/`t`/`p`/`e` suffix (either
/// case), or a percentage of RAM (`50%`). Zero is refused: for tmpfs it
/// means *no* limit, the opposite of a cap.
pub fn parse_upper_size(s: &str) -> Result<String, String> {
    let digits = s
        .strip_suffix(|c: char| "kKmMgGtTpPeE%".contains(c))
        .unwrap_or(s);
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.bytes().any(|b| b != b'0');
    if valid {
        Ok(s.to_string())
    } else {
        Err(format!(
            "invalid size {s:?}: expected a positive number with an optional k, m, g, t, p or e suffix, or a percentage of memory (e.g. 2g, 512m, 50%)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_upper_size;

    #[test]
    fn tmpfs_sizes_and_nothing_else() {
        for ok in ["2g", "512m", "1048576", "64K", "1T", "50%"] {
            assert_eq!(parse_upper_size(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "xyz",
            "0",
            "0g",
            "2gb",
            "1.5g",
            "-1g",
            "g",
            "2g,mode=777",
            " 2g",
            "%",
        ] {
            assert!(parse_upper_size(bad).is_err(), "{bad:?}");
        }
    }
}
