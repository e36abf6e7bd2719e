//! Structured log lines: Docker's `json-file` format
//! (`{"log":"… \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n",…}`)
//! and JSON loggers (zap, logrus, slog, pino, ECS) put the message in a JSON
//! string, where quotes are `\"`, a slash may be `\/` and a trailing
//! newline is `\n`. Read raw, a path picks up a backslash
//! (`client_temp\`) or is not a path at all (`\/srv\/x`). So a line that is
//! a JSON object is read as the texts of its string values, decoded.

use serde_json::Value;
use std::borrow::Cow;

/// The texts to recognise in `line`: the decoded lines of every string
/// value (keys are names, not messages) when `line` is one JSON object,
/// else `line` itself.
pub fn texts(line: &str) -> Vec<Cow<'_, str>> {
    if !line.trim_start().starts_with('{') {
        return vec![Cow::Borrowed(line)];
    }
    // serde_json refuses nesting deeper than 128 levels: such a line is
    // read raw, like any line that is not JSON.
    let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(line) else {
        return vec![Cow::Borrowed(line)];
    };
    let mut out = Vec::new();
    strings(&value, &mut out);
    out
}

fn strings(value: &Value, out: &mut Vec<Cow<'_, str>>) {
    match value {
        Value::String(s) => out.extend(
            s.lines()
                .map(|l| Cow::Owned(l.strip_suffix('\r').unwrap_or(l).to_string())),
        ),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| strings(v, out)),
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
