//! The timestamp `kubectl logs --timestamps` (and `docker logs -t`) puts
//! before each line, after kubectl's `--prefix`:
//! `2024-05-14T09:21:07.123456789Z {"level":"error",…}`. Left on, it hides
//! a JSON log line from decoding: the line no longer starts with `{`, so
//! its `\"` and `\/` stay in the paths read from it.

/// `line` without a leading RFC 3339 timestamp and the space after it;
/// `line` itself when it starts with none.
pub fn strip(line: &str) -> &str {
    match stamp_len(line.as_bytes()) {
        Some(n) if line.as_bytes().get(n) == Some(&b' ') => &line[n + 1..],
        _ => line,
    }
}

/// The length of the RFC 3339 date-time at the start of `s`:
/// `YYYY-MM-DDTHH:MM:SS`, optional fraction (kubelet trims its trailing
/// zeros, docker pads them), then `Z` or `±HH:MM`.
pub(super) fn stamp_len(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    for (count, sep) in [
        (4, Some(b'-')),
        (2, Some(b'-')),
        (2, Some(b'T')),
        (2, Some(b':')),
        (2, Some(b':')),
        (2, None),
    ] {
        i = digits(s, i, count)?;
        if let Some(sep) = sep {
            (s.get(i) == Some(&sep)).then_some(())?;
            i += 1;
        }
    }
    if s.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start + s[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        (i > start).then_some(())?;
    }
    match s.get(i)? {
        b'Z' => Some(i + 1),
        b'+' | b'-' => {
            let i = digits(s, i + 1, 2)?;
            (s.get(i) == Some(&b':')).then_some(())?;
            digits(s, i + 1, 2)
        }
        _ => None,
    }
}

/// The index after `count` ASCII digits from `at`, if they are there.
fn digits(s: &[u8], at: usize, count: usize) -> Option<usize> {
    let end = at + count;
    s.get(at..end)?
        .iter()
        .all(u8::is_ascii_digit)
        .then_some(end)
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn only_a_whole_timestamp_and_its_space_are_stripped() {
        assert_eq!(
            strip("2024-05-14T09:21:07.123456789Z {\"a\":1}"),
            "{\"a\":1}"
        );
        assert_eq!(strip("2024-05-14T09:21:07Z x"), "x");
        assert_eq!(strip("2024-05-14T09:21:07.5-07:00 x"), "x");
        for line in [
            "2024-05-14T09:21:07.123Z",
            "2024-05-14T09:21:07.123Zx",
            "2024-05-14T09:21:07. x",
            "2024-05-14T09:21:07 x",
            "2024-05-14 09:21:07Z x",
            "2024-05-14T09:21:07+0200 x",
            "2024/05/14 09:21:07 [emerg] x",
            "open /x: read-only file system",
            "",
        ] {
            assert_eq!(strip(line), line, "{line}");
        }
    }
}
