//! Docker's json-file log driver (`/var/lib/docker/containers/ID/ID-json.log`):
//! one JSON object a record, `{"log":"…\n","stream":"stderr","time":"…"}`.
//! The daemon cuts a line longer than 16 KiB into records of 16 KiB: a
//! partial record's `log` has no trailing `\n`, and the stream's next
//! record goes on with it, so each record is read as a piece to join.
//!
//! Every record of a container's log is read, so each costs
//! (`bench/logs_json_file.sh` measures it). A whole record in the daemon's
//! layout that cannot say EROFS is skipped undecoded ([`quiet`]), unless
//! the scan needs it as a line next to an error (a stack frame: see
//! `Scan::line`). A record
//! as the daemon lays it out (`log`, `stream`, `time`, in that order,
//! nothing else) is read without the JSON parser ([`laid_out`]); any
//! other, or one whose `log` holds an escape that reader does not decode,
//! goes to the parser ([`parsed`]). Property tests check that the three
//! agree.

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

/// What every record starts with: the daemon writes `log` first.
const HEAD: &str = "{\"log\":";

/// `line` as a json-file record: a JSON object whose `log` is a string and
/// whose `stream` is `stdout` or `stderr` (other fields, `time` and
/// `attrs`, are not read). Its message is the decoded `log` without its
/// `\n`; with none, it is partial.
pub fn record(line: &str) -> Option<Record<'_>> {
    // The check keeps every other line (a JSON logger's among them, and a
    // JSON array, which serde would read as a struct's fields in order)
    // from being parsed twice.
    if !line.starts_with(HEAD) {
        return None;
    }
    laid_out(line).or_else(|| parsed(line))
}

/// The record read by the JSON parser.
fn parsed(line: &str) -> Option<Record<'_>> {
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

/// The record when `line` is exactly what the daemon writes,
/// `{"log":"…","stream":"stdout","time":"2024-05-14T09:21:07.1Z"}`
/// (`stderr` likewise), read without a parser; `None` when it is laid out
/// otherwise (`attrs`, white space, other fields or order) or its `log`
/// holds an escape [`json_string`] leaves to the parser. `None` says
/// nothing about whether the line is a record.
fn laid_out(line: &str) -> Option<Record<'_>> {
    let rest = line.strip_prefix(HEAD)?.strip_prefix('"')?;
    let (message, partial, rest) = json_string(rest)?;
    let stream = after_log(rest)?;
    Some(Record {
        stream,
        partial,
        message,
    })
}

/// The stream of a record in the daemon's layout, from what follows its
/// `log` string: `,"stream":"stdout","time":"…"}` to the end of the line.
fn after_log(rest: &str) -> Option<Stream> {
    let rest = rest.strip_prefix(",\"stream\":\"")?;
    let (stream, rest) = if let Some(r) = rest.strip_prefix("stdout\"") {
        (Stream::Stdout, r)
    } else {
        (Stream::Stderr, rest.strip_prefix("stderr\"")?)
    };
    // The time is a string of digits, letters and `-:.+`: nothing in it
    // to unescape or to refuse, and it ends at the `"}` that ends the line.
    let time = rest.strip_prefix(",\"time\":\"")?.strip_suffix("\"}")?;
    time.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'.' | b'+'))
        .then_some(stream)
}

/// The `log` string of a json-file record as written, escapes and all,
/// from its first character to the end of the line: where the start of a
/// quiet record's one line is read undecoded. `None` for another line.
pub fn raw_log(line: &str) -> Option<&str> {
    line.strip_prefix(HEAD)?.strip_prefix('"')
}

/// The stream of a record in the daemon's layout whose message is one
/// whole line (its `log` ends in its only escaped newline, as the daemon
/// writes a record of each line) and cannot say EROFS, so that
/// reading it, when no message of its stream is open, finds nothing: it
/// need not be decoded (most records of a log are such). `None` for any
/// other line: read it with [`record`].
///
/// Its message cannot say EROFS when the still escaped `log` holds no
/// word of any EROFS mark ([`super::mentions_erofs`]: `read-only`, `erofs`,
/// `[errno 30]`, `no usable temporary directory`, in any case) and no `\u`
/// escape: every other escape stands for a character (`"`, `\`, `/`, a
/// control character) that is in none of those words, so a word the
/// decoded text holds was in the escaped text as it is.
pub fn quiet(line: &str) -> Option<Stream> {
    let rest = line.strip_prefix(HEAD)?.strip_prefix('"')?;
    let bytes = rest.as_bytes();
    let mut i = 0;
    // Where the last escape ended, when it was `\n`.
    let mut newline_to = None;
    let end = loop {
        let at = i + bytes[i..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        match (bytes[at], bytes.get(at + 1)) {
            (b'"', _) => break at,
            // One line only, as the daemon writes a record: a frame or
            // unzip's lead is then at its start (see `python::may_say_op`).
            (b'\\', Some(b'n')) if newline_to.is_some() => return None,
            (b'\\', Some(b'n')) => newline_to = Some(at + 2),
            (b'\\', Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'r' | b't')) => {}
            // `\u`, a bad escape, a control character.
            _ => return None,
        }
        i = at + 2;
    };
    if newline_to != Some(end) {
        return None;
    }
    let stream = after_log(&rest[end + 1..])?;
    let log = rest[..end].to_ascii_lowercase();
    let marked = [
        "read-only",
        "erofs",
        "[errno 30]",
        "no usable temporary directory",
        // Node's masked recursive mkdir (`node::masked_mkdir`): its
        // first word alone, as a needle as long as its whole mark is
        // searched without SIMD.
        "enoent",
    ]
    .iter()
    .any(|w| log.contains(w));
    (!marked).then_some(stream)
}

/// The JSON string whose contents start `s` (its opening quote already
/// read): its text without one trailing `\n`, whether it had none (the
/// record is partial), and what follows its closing quote. `None` for a
/// string that is not valid JSON (a raw control character, a bad escape,
/// no end) and for a `\u` escape of a surrogate: the parser decides those.
///
/// The text is borrowed from the line when nothing in it is escaped but
/// the last `\n`, as in most records. Escapes are decoded left to right,
/// so `\\n"` is a backslash and an `n`: no newline ends that string.
fn json_string(s: &str) -> Option<(Cow<'_, str>, bool, &str)> {
    let bytes = s.as_bytes();
    let special = |from: usize| {
        bytes[from..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .map(|i| from + i)
    };
    let mut i = special(0)?;
    match bytes[i] {
        b'"' => return Some((Cow::Borrowed(&s[..i]), true, &s[i + 1..])),
        b'\\' if bytes.get(i + 1..i + 3) == Some(b"n\"") => {
            return Some((Cow::Borrowed(&s[..i]), false, &s[i + 3..]));
        }
        b'\\' => {}
        _ => return None,
    }
    let mut text = String::with_capacity(s.len().min(2 * i + 64));
    text.push_str(&s[..i]);
    loop {
        // `bytes[i]` is a backslash.
        let (c, len) = match *bytes.get(i + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => {
                let hex = bytes.get(i + 2..i + 6)?;
                let mut v = 0;
                for &h in hex {
                    v = v * 16 + char::from(h).to_digit(16)?;
                }
                // A surrogate (half of a pair, or a lone one the parser
                // refuses) is the parser's to read.
                (char::from_u32(v)?, 6)
            }
            _ => return None,
        };
        text.push(c);
        let from = i + len;
        i = special(from)?;
        text.push_str(&s[from..i]);
        match bytes[i] {
            b'"' => break,
            b'\\' => {}
            _ => return None,
        }
    }
    let partial = !text.ends_with('\n');
    if !partial {
        text.pop();
    }
    Some((Cow::Owned(text), partial, &s[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// The daemon's own layout is read without the parser, escapes and
    /// all, and a backslash before the last `n` is counted: `\\n` is a
    /// backslash and an `n`, `\\\n` a backslash and a newline.
    #[test]
    fn the_daemons_layout_is_read_without_the_parser() {
        let line = |log: &str, stream: &str| {
            format!(
                r#"{{"log":"{log}","stream":"{stream}","time":"2024-05-14T09:21:07.123456789Z"}}"#
            )
        };
        for (log, stream, message, partial) in [
            (r"plain\n", "stdout", "plain", false),
            (r"plain", "stderr", "plain", true),
            (r"", "stdout", "", true),
            (r"\n", "stdout", "", false),
            (r"C:\\n", "stdout", r"C:\n", true),
            (r"C:\\\n", "stdout", r"C:\", false),
            (r"C:\\\\n", "stdout", r"C:\\n", true),
            (r"\n\n", "stdout", "\n", false),
            (
                r#"open() \"/run/nginx.pid\" failed\n"#,
                "stderr",
                r#"open() "/run/nginx.pid" failed"#,
                false,
            ),
            (
                r"\u0009at App.main(App.java:3) \u003c\u0026\u003e caf\u00e9 \u2028\/\b\f\r\t\n",
                "stderr",
                "\tat App.main(App.java:3) <&> caf\u{e9} \u{2028}/\u{8}\u{c}\r\t",
                false,
            ),
            (
                "caf\u{e9} \u{1f680}\\ufffd\\n",
                "stdout",
                "caf\u{e9} \u{1f680}\u{fffd}",
                false,
            ),
        ] {
            let line = line(log, stream);
            let want = Record {
                stream: if stream == "stdout" {
                    Stream::Stdout
                } else {
                    Stream::Stderr
                },
                partial,
                message: Cow::Borrowed(message),
            };
            assert_eq!(laid_out(&line), Some(want), "{line}");
            assert_eq!(laid_out(&line), parsed(&line), "{line}");
        }
        // What it leaves to the parser: a surrogate pair (or half of one),
        // another layout, and everything the parser refuses.
        for line in [
            line(r"\ud83d\ude80\n", "stdout"),
            line(r"\ud83d\n", "stdout"),
            r#"{"log":"x\n","stream":"stdout","attrs":{"tag":"web"},"time":"2024-05-14T09:21:07Z"}"#.to_string(),
            r#"{"log":"x\n","stream":"stdout"}"#.to_string(),
            r#"{"log":"x\n", "stream":"stdout","time":"2024-05-14T09:21:07Z"}"#.to_string(),
            r#"{"log":"x\n","stream":"stdout","time":"2024-05-14T09:21:07Z"} "#.to_string(),
            r#"{"log":"x\n","stream":"stdout","time":"2024-05-14T09:21:07\u005a"}"#.to_string(),
            line("x\ty", "stdout"),
            line(r"\x", "stdout"),
            line(r"\u00e", "stdout"),
            line(r"\u+0e9", "stdout"),
            line(r"x\", "stdout"),
            line("x", "stdin"),
            line("x", r"std\u006fut"),
        ] {
            assert_eq!(laid_out(&line), None, "{line}");
        }
        // …and reads as before.
        assert_eq!(
            record(&line(r"\ud83d\ude80\n", "stdout")).map(|r| r.message),
            Some(Cow::Borrowed("\u{1f680}"))
        );
    }

    /// Records as the daemon writes them (moby's json-file encoder,
    /// `jsonlog.JSONLogs.MarshalJSONBuf`, and its test vectors: `<>&` and
    /// U+2028 escaped, U+007F raw, an invalid byte as `\ufffd`) and a
    /// cut line's partial records.
    const SAMPLE: &str = r#"{"log":"2024/05/14 09:21:07 [notice] 1#1: using the \"epoll\" event method\n","stream":"stderr","time":"2024-05-14T09:21:07.123456789Z"}
{"log":"\"A log line with \\\"","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"A log line with \r","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"A log line with \u0026 \u003c \u003e\n","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"A log line with utf8 : 🚀 ψ ω β\n","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"\u2028 \u2029","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"\ufffd","stream":"stdout","time":"2017-09-01T01:01:01.000000001Z"}
{"log":"A log line","stream":"stdout","attrs":{"hello":"world","value":1234},"time":"2017-09-01T01:01:01.000000001Z"}
{"log":"\u0009at org.example.App.main(App.java:12)\n","stream":"stderr","time":"2024-05-14T09:21:07.2Z"}
{"log":"{\"level\":\"error\",\"msg\":\"save failed\",\"payload\":\"AAAA\",\"error\":\"open /var/lib/app/sess","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}
{"log":"ions/x.json: read-only file system\"}\n","stream":"stderr","time":"2024-05-14T09:21:07.3Z"}"#;

    #[test]
    fn the_sample_reads_the_same_both_ways() {
        let mut read = 0;
        for line in SAMPLE.lines() {
            let slow = parsed(line);
            assert!(slow.is_some(), "{line}");
            if let Some(fast) = laid_out(line) {
                assert_eq!(Some(fast), slow, "{line}");
                read += 1;
            }
        }
        // All but the one with `attrs`.
        assert_eq!(read, SAMPLE.lines().count() - 1);
    }

    /// How one character of a `log` is written: as it is (when JSON lets
    /// it be), its short escape, or `\u` in lower- or upper-case hex (a
    /// surrogate pair past the basic plane).
    fn encode(c: char, how: u8, out: &mut String) {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let raw_ok = c >= ' ' && c != '"' && c != '\\';
        match how % 4 {
            0 if raw_ok => out.push(c),
            1 if short.is_some() => out.push_str(short.unwrap_or_default()),
            n => {
                let mut units = [0; 2];
                for u in c.encode_utf16(&mut units) {
                    if n == 3 {
                        out.push_str(&format!("\\u{u:04X}"));
                    } else {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
    }

    /// Characters of a log, the ones JSON and the fast reader treat
    /// specially weighted up.
    fn log_char() -> impl Strategy<Value = char> {
        prop_oneof![
            6 => proptest::char::range('a', 'e'),
            1 => proptest::char::any(),
            6 => proptest::sample::select(vec![
                '/', ' ', '"', '\\', 'n', 'u', '\n', '\r', '\t', '\u{0}', '\u{8}', '\u{c}',
                '\u{1f}', '\u{7f}', 'é', '\u{1f680}', '\u{2028}', '<', '&', '\u{fffd}', '{', '}',
                ',', ':',
            ]),
        ]
    }

    /// A `log`'s JSON string contents, as some encoder writes them.
    fn encoded_log() -> impl Strategy<Value = String> {
        proptest::collection::vec((log_char(), any::<u8>()), 0..24).prop_map(|cs| {
            let mut s = String::new();
            for (c, how) in cs {
                encode(c, how, &mut s);
            }
            s
        })
    }

    /// Moby's json-file encoder (`ffjsonWriteJSONBytesAsString`).
    fn docker_encoded(log: &str) -> String {
        let mut s = String::new();
        for c in log.chars() {
            match c {
                '\\' | '"' => {
                    s.push('\\');
                    s.push(c);
                }
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                c if c < ' ' || matches!(c, '<' | '>' | '&') => {
                    s.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                '\u{2028}' | '\u{2029}' => s.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => s.push(c),
            }
        }
        s
    }

    /// A line that is a json-file record, almost one, or one changed by a
    /// byte: every layout the fast reader must read as the parser does or
    /// leave to it.
    fn candidate_line() -> impl Strategy<Value = String> {
        let stream = proptest::sample::select(vec![
            "\"stdout\"",
            "\"stderr\"",
            "\"stdin\"",
            "\"std\\u006fut\"",
            "\"\"",
            "1",
            "\"stdout\" ",
        ]);
        let tail = proptest::sample::select(vec![
            ",\"time\":\"2024-05-14T09:21:07.123456789Z\"}",
            ",\"time\":\"2024-05-14T09:21:07+02:00\"}",
            ",\"time\":\"\"}",
            ",\"time\":\"2024-05-14T09:21:07\\u005a\"}",
            ",\"time\":1}",
            ",\"attrs\":{\"a\":\"b\"},\"time\":\"2024-05-14T09:21:07Z\"}",
            "}",
            ",\"time\":\"t\"} ",
            ",\"time\":\"t\"}x",
            ",\"log\":\"y\",\"time\":\"t\"}",
            ",\"stream\":\"stdout\",\"time\":\"t\"}",
            ",\"time\":\"t\"",
        ]);
        let edit = proptest::option::weighted(
            0.3,
            (
                any::<prop::sample::Index>(),
                proptest::sample::select(vec![
                    None,
                    Some('"'),
                    Some('\\'),
                    Some('n'),
                    Some('u'),
                    Some('}'),
                    Some(' '),
                    Some(','),
                    Some('\t'),
                ]),
            ),
        );
        (encoded_log(), stream, tail, edit).prop_map(|(log, stream, tail, edit)| {
            let mut line = format!("{{\"log\":\"{log}\",\"stream\":{stream}{tail}");
            if let Some((at, insert)) = edit {
                // A char boundary at or before the chosen byte.
                let mut i = at.index(line.len() + 1);
                while !line.is_char_boundary(i) {
                    i -= 1;
                }
                match insert {
                    Some(c) => line.insert(i, c),
                    None => line.truncate(i),
                }
            }
            line
        })
    }

    /// A log of words and marks that say EROFS, each character written
    /// as some encoder writes it (`\u` escapes inside a mark among them),
    /// ending in a newline or not.
    fn log_with_marks() -> impl Strategy<Value = String> {
        log_with(vec![
            "Read-only file system",
            "read-only",
            "READ-ONLY FILE SYSTEM",
            "EROFS",
            "erofs",
            ": erofs",
            "{error,erofs}",
            "[Errno 30]",
            "No usable temporary directory",
            "on a read-only directory: ",
            "Read-only",
            "file system",
        ])
    }

    /// A log of words and pieces of the lines the scan reads next to an
    /// error (Python's frames, unzip's name above its error), written as
    /// [`log_with_marks`] writes its marks.
    fn log_with_leads() -> impl Strategy<Value = String> {
        log_with(vec![
            "  File \"<frozen os>\", line 225, in makedirs",
            "  File \"/app/x.py\", line 3, in rmtree",
            "File \"",
            ", in chmod",
            "    os.makedirs(",
            "    ",
            "chmod(",
            "\n",
            "error:  cannot create ",
            "error:  cannot delete old ",
            "checkdir error:  cannot create ",
            "checkdir:  cannot create extraction directory: ",
        ])
    }

    /// A log of characters and `pieces`, each character written as some
    /// encoder writes it, ending in a newline or not.
    fn log_with(pieces: Vec<&'static str>) -> impl Strategy<Value = String> {
        let token = prop_oneof![
            3 => log_char().prop_map(String::from),
            1 => proptest::sample::select(pieces).prop_map(String::from),
        ];
        (
            proptest::collection::vec((token, any::<u8>()), 0..12),
            any::<bool>(),
        )
            .prop_map(|(tokens, newline)| {
                let mut s = String::new();
                for (t, how) in tokens {
                    // As it is; with one character as `\u`; or each
                    // character written its own way.
                    let one = usize::from(how) % t.chars().count().max(1);
                    for (k, c) in t.chars().enumerate() {
                        let way = match how % 3 {
                            0 => 0,
                            1 if k == one => 2,
                            1 => 0,
                            _ => how.rotate_left(k as u32 % 8) ^ (k as u8),
                        };
                        encode(c, way, &mut s);
                    }
                }
                if newline {
                    s.push_str("\\n");
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// A record `quiet` skips is a whole record of that stream whose
        /// message, read line by line, says nothing of EROFS: reading it
        /// would have found nothing.
        #[test]
        fn a_quiet_record_says_nothing_of_erofs(
            log in log_with_marks(),
            stream in proptest::sample::select(vec!["stdout", "stderr", "stdin"]),
            line in candidate_line(),
        ) {
            let made = format!(r#"{{"log":"{log}","stream":"{stream}","time":"2024-05-14T09:21:07.1Z"}}"#);
            for line in [made, line] {
                let Some(quiet) = quiet(&line) else { continue };
                let read = record(&line);
                prop_assert!(read.is_some(), "{}", line);
                let read = read.unwrap_or_else(|| unreachable!());
                prop_assert_eq!(read.stream, quiet, "{}", line);
                prop_assert!(!read.partial, "{}", line);
                for l in read.message.lines() {
                    let l = l.strip_suffix('\r').unwrap_or(l);
                    prop_assert!(!super::super::mentions_erofs(l), "{}", line);
                }
            }
        }

        /// A record `quiet` finds silent that holds a line the scan reads
        /// next to an error (a Python frame that says an operation,
        /// unzip's name above its error) is told apart undecoded, so the
        /// scan reads it all the same.
        #[test]
        fn lines_next_to_an_error_are_found_undecoded(log in log_with_leads()) {
            let line = format!(r#"{{"log":"{log}","stream":"stderr","time":"2024-05-14T09:21:07.1Z"}}"#);
            let (Some(_), Some(read)) = (quiet(&line), record(&line)) else {
                return Ok(());
            };
            for l in read.message.lines() {
                if matches!(super::super::python::frame_op(l), Some(Some(_))) {
                    prop_assert!(raw_log(&line).is_some_and(super::super::python::may_say_op), "{}", line);
                }
                if super::super::unzip::lead(l).is_some() {
                    prop_assert!(raw_log(&line).is_some_and(super::super::unzip::may_lead), "{}", line);
                }
            }
        }

        /// Every whole record the daemon writes of a message without a
        /// mark and without a character it writes as `\u` is skipped.
        #[test]
        fn whole_records_without_marks_are_quiet(
            log in proptest::collection::vec(log_char(), 0..40).prop_map(String::from_iter),
        ) {
            let plain = !log.to_ascii_lowercase().contains("erofs")
                && !log.chars().any(|c| (c < ' ' && c != '\r') || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}'));
            let line = format!(
                r#"{{"log":"{}\n","stream":"stdout","time":"2024-05-14T09:21:07.123456789Z"}}"#,
                docker_encoded(&log)
            );
            if plain {
                prop_assert_eq!(quiet(&line), Some(Stream::Stdout), "{}", line);
            }
            let partial = format!(
                r#"{{"log":"{}","stream":"stdout","time":"2024-05-14T09:21:07.123456789Z"}}"#,
                docker_encoded(log.trim_end_matches('\n'))
            );
            prop_assert_eq!(quiet(&partial), None, "{}", partial);
        }

        /// Wherever the fast reader reads a record, the parser reads the
        /// same one: the same stream, message and partial flag.
        #[test]
        fn the_fast_reader_agrees_with_the_parser(line in candidate_line()) {
            if let Some(fast) = laid_out(&line) {
                prop_assert_eq!(Some(fast), parsed(&line), "{}", line);
            }
            let read = if line.starts_with(HEAD) { parsed(&line) } else { None };
            prop_assert_eq!(record(&line), read, "{}", line);
        }

        /// Every record the daemon writes is read by the fast reader, as
        /// the text that was logged.
        #[test]
        fn every_record_the_daemon_writes_is_read_fast(
            log in proptest::collection::vec(log_char(), 0..40).prop_map(String::from_iter),
            stderr in any::<bool>(),
        ) {
            let stream = if stderr { "stderr" } else { "stdout" };
            let line = format!(
                r#"{{"log":"{}","stream":"{stream}","time":"2024-05-14T09:21:07.123456789Z"}}"#,
                docker_encoded(&log)
            );
            let want = Record {
                stream: if stderr { Stream::Stderr } else { Stream::Stdout },
                partial: !log.ends_with('\n'),
                message: Cow::Borrowed(log.strip_suffix('\n').unwrap_or(&log)),
            };
            prop_assert_eq!(laid_out(&line), Some(want), "{}", line);
        }
    }
}
