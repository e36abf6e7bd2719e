//! Docker's json-file log driver (`/var/lib/docker/containers/ID/ID-json.log`):
//! one JSON object a record, `{"log":"…\n","stream":"stderr","time":"…"}`.
//! The daemon cuts a line longer than 16 KiB into records of 16 KiB: a
//! partial record's `log` has no trailing `\n`, and the stream's next
//! record goes on with it, so each record is read as a piece to join.

use super::join::{Record, Stream};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    #[serde(borrow)]
    stream: Cow<'a, str>,
}

/// `line` as a json-file record: a JSON object whose `log` is a string and
/// whose `stream` is `stdout` or `stderr` (other fields, `time` and
/// `attrs`, are not read). Its message is the decoded `log` without its
/// `\n`; with none, it is partial.
pub fn record(line: &str) -> Option<Record<'_>> {
    // The daemon writes `log` first. The check keeps every other line
    // (a JSON logger's among them, and a JSON array, which serde would
    // read as a struct's fields in order) from being parsed twice.
    if !line.starts_with("{\"log\":") {
        return None;
    }
    let raw: Raw<'_> = serde_json::from_str(line).ok()?;
    let stream = match &*raw.stream {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    let (message, partial) = match raw.log {
        Cow::Borrowed(s) => match s.strip_suffix('\n') {
            Some(whole) => (Cow::Borrowed(whole), false),
            None => (Cow::Borrowed(s), true),
        },
        Cow::Owned(mut s) => {
            let partial = !s.ends_with('\n');
            if !partial {
                s.pop();
            }
            (Cow::Owned(s), partial)
        }
    };
    Some(Record {
        stream,
        partial,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_its_stream_its_decoded_log_and_whether_it_goes_on() {
        let whole = r#"{"log":"open() \"/run/nginx.pid\" failed\n","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}"#;
        assert_eq!(
            record(whole),
            Some(Record {
                stream: Stream::Stderr,
                partial: false,
                message: Cow::Borrowed("open() \"/run/nginx.pid\" failed"),
            })
        );
        let part = r#"{"log":"GET /a","stream":"stdout","attrs":{"tag":"web"},"time":"2024-05-14T09:21:07.1Z"}"#;
        assert_eq!(
            record(part),
            Some(Record {
                stream: Stream::Stdout,
                partial: true,
                message: Cow::Borrowed("GET /a"),
            })
        );
        // A `\n` that is the text `\n` (an escaped backslash) ends no line.
        let text = r#"{"log":"C:\\n","stream":"stdout","time":"2024-05-14T09:21:07.1Z"}"#;
        assert_eq!(record(text).map(|r| r.partial), Some(true));
        for line in [
            r#"{"log":"x\n","stream":"stdin","time":"t"}"#,
            r#"{"log":"x\n","time":"t"}"#,
            r#"{"log":1,"stream":"stdout"}"#,
            r#"{"log":"x\n","stream":"stdout"} trailing"#,
            r#"{"log":"x\n","log":"y\n","stream":"stdout"}"#,
            r#"{"level":"error","log":"x\n","stream":"stdout"}"#,
            r#"{"log":"x\n","stream":"stdout""#,
            r#"["x\n","stdout"]"#,
            "open /x: read-only file system",
        ] {
            assert_eq!(record(line), None, "{line}");
        }
    }
}
