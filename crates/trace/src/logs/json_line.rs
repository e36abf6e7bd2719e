//! Structured log lines: Docker's `json-file` format
//! (`{"log":"… \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n",…}`)
//! and JSON loggers (zap, logrus, slog, pino, ECS) put the message in a JSON
//! string, where quotes are `\"`, a slash may be `\/` and a trailing
//! newline is `\n`. Read raw, a path picks up a backslash
//! (`client_temp\`) or is not a path at all (`\/srv\/x`). So a line that is
//! a JSON object is read as the texts of its string values, decoded. A
//! logfmt record is read alike, as the object of its fields.

use super::logfmt;
use serde_json::Value;
use std::borrow::Cow;

/// How many JSON lines deep a line is decoded: Docker's `json-file` log
/// of a program that logs JSON is two (the program's line is the `log`
/// string). The bound keeps a hostile line from making the reader decode
/// its strings over and over.
const MAX_DEPTH: usize = 4;

/// The texts to recognise in `line`: the decoded lines of every string
/// value (keys are names, not messages) when `line` is one JSON object,
/// else `line` itself. A decoded line that is a JSON object in its turn is
/// read the same way.
pub fn texts(line: &str) -> Vec<Cow<'_, str>> {
    let Some(value) = object(line) else {
        return vec![Cow::Borrowed(line)];
    };
    let mut out = Vec::new();
    strings(&value, MAX_DEPTH - 1, &mut out);
    out
}

/// The JSON records in `line`: the object it is, and each JSON line
/// inside its strings, to the depth [`texts`] decodes (Docker's
/// `json-file` record of a program that logs JSON holds the program's
/// record in its `log` string). Empty when `line` is not a JSON object.
pub fn records(line: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(value) = object(line) {
        inner_records(&value, MAX_DEPTH - 1, &mut out);
        out.push(value);
    }
    out
}

/// The JSON lines inside `value`'s strings, `depth` more levels deep.
fn inner_records(value: &Value, depth: usize, out: &mut Vec<Value>) {
    match value {
        Value::String(s) if depth > 0 => {
            for l in s.lines() {
                if let Some(inner) = object(l.strip_suffix('\r').unwrap_or(l)) {
                    inner_records(&inner, depth - 1, out);
                    out.push(inner);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| inner_records(v, depth, out)),
        Value::Object(fields) => fields.values().for_each(|v| inner_records(v, depth, out)),
        _ => {}
    }
}

/// `line` as a JSON object, if it is one, or as the object of its
/// fields, if it is a logfmt record (see `logfmt`).
fn object(line: &str) -> Option<Value> {
    if !line.trim_start().starts_with('{') {
        return logfmt::record(line).map(Value::Object);
    }
    // serde_json refuses nesting deeper than 128 levels: such a line is
    // read raw, like any line that is not JSON.
    match serde_json::from_str::<Value>(line) {
        Ok(value @ Value::Object(_)) => Some(value),
        _ => None,
    }
}

/// The lines of every string in `value`; `depth` more levels of JSON
/// lines inside them are decoded.
fn strings<'a>(value: &Value, depth: usize, out: &mut Vec<Cow<'a, str>>) {
    match value {
        Value::String(s) => {
            for l in s.lines() {
                let l = l.strip_suffix('\r').unwrap_or(l);
                match object(l).filter(|_| depth > 0) {
                    Some(inner) => strings(&inner, depth - 1, out),
                    None => out.push(Cow::Owned(l.to_string())),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, depth, out)),
        Value::Object(fields) => fields.values().for_each(|v| strings(v, depth, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_object_is_read_as_its_decoded_string_values() {
        let docker = r#"{"log":"[emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n","stream":"stderr","time":"2026-11-29T12:00:00Z"}"#;
        assert_eq!(
            texts(docker),
            [
                "[emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)",
                "stderr",
                "2026-11-29T12:00:00Z"
            ]
        );
        let nested = r#"{"attr":{"error":"open \/srv\/x: read-only file system"},"n":[1,"a\nb"]}"#;
        assert_eq!(
            texts(nested),
            ["open /srv/x: read-only file system", "a", "b"]
        );
    }

    #[test]
    fn json_lines_inside_strings_are_decoded_to_a_bound() {
        // Each level wraps the line below as the `m` string of an object.
        let wrap = |inner: &str| serde_json::json!({ "m": inner }).to_string();
        let mut line = "open /srv/x: read-only file system".to_string();
        let mut levels = vec![line.clone()];
        for _ in 0..MAX_DEPTH + 1 {
            line = wrap(&line);
            levels.push(line.clone());
        }
        assert_eq!(texts(&levels[2]), [levels[0].as_str()]);
        assert_eq!(texts(&levels[MAX_DEPTH]), [levels[0].as_str()]);
        // One level more than the bound: the innermost object stays a line.
        assert_eq!(texts(&levels[MAX_DEPTH + 1]), [levels[1].as_str()]);
    }

    #[test]
    fn anything_else_is_read_raw() {
        for line in [
            "open /srv/x: read-only file system",
            "{not json: /srv/x read-only file system",
            "[1, 2]",
            "{\"a\": 1} trailing",
        ] {
            assert_eq!(texts(line), [line]);
        }
        let deep = format!(
            "{}{}",
            "{\"a\":".repeat(200),
            "1".to_string() + &"}".repeat(200)
        );
        assert_eq!(texts(&deep), [deep.as_str()]);
    }
}
