//! The kubelet's CRI log files (`/var/log/pods/NS_POD_UID/CONTAINER/0.log`,
//! what log shippers and node debugging read): each record is
//! `TIMESTAMP STREAM TAG MESSAGE`, e.g.
//! `2024-05-14T09:21:07.123456789Z stderr F {"error":"…"}`. `TAG` is `F`
//! (the message is whole) or `P` (partial: the runtime cut a long line, and
//! the message goes on in the stream's next record, with no newline between).
//! Left on, `stderr F` hides a JSON line from decoding.

use super::join::{Record, Stream};
use super::timestamp::stamp_len;
use std::borrow::Cow;

/// `line` as a CRI record, when it is exactly one: an RFC 3339 timestamp,
/// `stdout` or `stderr`, `F` or `P`, each followed by one space. A
/// `kubectl logs --timestamps` line whose message starts otherwise is none.
pub fn record(line: &str) -> Option<Record<'_>> {
    let rest = line.get(stamp_len(line.as_bytes())?..)?.strip_prefix(' ')?;
    let (stream, rest) = if let Some(r) = rest.strip_prefix("stdout ") {
        (Stream::Stdout, r)
    } else {
        (Stream::Stderr, rest.strip_prefix("stderr ")?)
    };
    // The runtime writes the tag's space even before an empty message; a
    // copy whose trailing white space was trimmed has none.
    let (tag, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let partial = match tag {
        "F" => false,
        "P" => true,
        _ => return None,
    };
    Some(Record {
        stream,
        partial,
        message: Cow::Borrowed(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exact_cri_record_is_one() {
        assert_eq!(
            record("2024-05-14T09:21:07.123456789Z stderr F {\"a\":1}"),
            Some(Record {
                stream: Stream::Stderr,
                partial: false,
                message: Cow::Borrowed("{\"a\":1}")
            })
        );
        assert_eq!(
            record("2024-05-14T09:21:07.5+02:00 stdout P x y "),
            Some(Record {
                stream: Stream::Stdout,
                partial: true,
                message: Cow::Borrowed("x y ")
            })
        );
        for line in [
            "2024-05-14T09:21:07Z stdout F ",
            "2024-05-14T09:21:07Z stdout F",
        ] {
            assert_eq!(record(line).map(|r| r.message), Some("".into()), "{line}");
        }
        for line in [
            // kubectl logs --timestamps: a stamp, then the message.
            "2024-05-14T09:21:07Z open /x: read-only file system",
            "2024-05-14T09:21:07Z stdin F x",
            "2024-05-14T09:21:07Z stderr X x",
            "2024-05-14T09:21:07Z stderr FP x",
            "2024-05-14T09:21:07Z stderr f x",
            "2024-05-14T09:21:07Z  stderr F x",
            "2024-05-14T09:21:07Zstderr F x",
            "2024-05-14 09:21:07Z stderr F x",
            "stderr F x",
            "",
        ] {
            assert_eq!(record(line), None, "{line}");
        }
    }
}
