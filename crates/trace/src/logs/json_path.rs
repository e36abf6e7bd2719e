//! A JSON record's `path` field: Node's `fs` errors carry the path as a
//! property (`{"errno":-30,"code":"EROFS","syscall":"open","path":"/x"}`,
//! which is all `JSON.stringify(err)` keeps, and what pino, bunyan and
//! winston nest under `err` or `error`), and logrus, zap or slog records
//! put a `path`, `file` or `dir` field beside a bare `read-only file
//! system` error. The message text may then name no path at all. A
//! logfmt record is read as the object of its fields (`logfmt`), by the
//! same rules.
//!
//! Only lines that say EROFS in words are read at all (`mentions_erofs`):
//! Node sets `code` beside `errno`, so its records always do.

use super::{Op, is_source_location, mentions_erofs, op_from_word};
use serde_json::{Map, Value};

/// The paths the [`NAMES`] (and Node's `dest`) fields of `record` name, in
/// each object of it that carries an EROFS error itself. Only there:
/// a `path` elsewhere in the record is usually a URL's (a request logged
/// beside the error, an access log), and so is one beside a request's
/// `method`, `url` or `status`.
pub fn find(record: &Value) -> Vec<(String, Op)> {
    let mut out = Vec::new();
    objects(record, &mut out);
    out
}

/// The hits of `value` and every object inside it.
fn objects(value: &Value, out: &mut Vec<(String, Op)>) {
    match value {
        Value::Object(fields) => {
            out.extend(fields_of(fields));
            fields.values().for_each(|v| objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| objects(v, out)),
        _ => {}
    }
}

/// The fields that name the path of the error beside them, and what was
/// done there when the record does not say (Node's `syscall` does): a
/// `dir` is written in, a `path` or `file` written.
const NAMES: [(&str, Op); 3] = [("path", Op::File), ("file", Op::File), ("dir", Op::Dir)];

/// The hits of one object's own fields.
fn fields_of(fields: &Map<String, Value>) -> Vec<(String, Op)> {
    if !NAMES.iter().any(|(key, _)| fields.contains_key(*key))
        || !carries_erofs(fields)
        || is_request(fields)
    {
        return Vec::new();
    }
    let syscall = fields.get("syscall").and_then(Value::as_str);
    let done = syscall.and_then(op_from_word);
    let mut out = Vec::new();
    for (key, default) in NAMES {
        let Some(path) = fields.get(key).and_then(Value::as_str) else {
            continue;
        };
        if !is_file_path(path) {
            continue;
        }
        let op = done.unwrap_or(default);
        // Node names a rename's, link's, symlink's or copy's second path
        // `dest`: a rename needs both ends (in one volume); the others
        // write only the destination (a link's target, a copy's source
        // are read).
        match fields.get("dest").and_then(Value::as_str) {
            Some(dest) if key == "path" && is_file_path(dest) && op == Op::Rename => {
                out.extend([(path.to_string(), op), (dest.to_string(), op)]);
            }
            Some(dest) if key == "path" && is_file_path(dest) => {
                out.push((dest.to_string(), Op::File));
            }
            _ => out.push((path.to_string(), op)),
        }
    }
    out
}

/// The record's texts as one logfmt-like line (`key="value" …`), for a
/// record whose error names no path while its message may:
/// `{"msg":"cannot write /srv/x","error":"read-only file system"}`, or
/// the error nested in an object of its own (pino's and winston's `err`).
/// The strings of the record and of the objects in it that carry the
/// error, read then as a logfmt record's line is (see `logs::Scan`).
/// `None` for a request's record, whose paths are URLs', and for a record
/// that does not carry the error.
pub fn as_line(record: &Value) -> Option<String> {
    let fields = record.as_object()?;
    if is_request(fields) {
        return None;
    }
    let nested: Vec<&Map<String, Value>> = fields
        .values()
        .filter_map(Value::as_object)
        .filter(|o| carries_erofs(o) && !is_request(o))
        .collect();
    if !carries_erofs(fields) && nested.is_empty() {
        return None;
    }
    let mut line = String::new();
    for object in std::iter::once(fields).chain(nested) {
        for (key, value) in object {
            if let Some(text) = value.as_str() {
                if !line.is_empty() {
                    line.push(' ');
                }
                // Unescaped: the line is read as text, and a `\"` would
                // stick to a quoted path (`"/srv/x"` read as `/srv/x\`).
                line.push_str(&format!("{key}=\"{text}\""));
            }
        }
    }
    Some(line)
}

/// The object is an EROFS error: Node's `code` or `errno` (libuv's
/// negative errno), or a string of its own that says it.
fn carries_erofs(fields: &Map<String, Value>) -> bool {
    fields.get("code").and_then(Value::as_str) == Some("EROFS")
        || fields.get("errno").and_then(Value::as_i64) == Some(-30)
        || fields
            .values()
            .any(|v| v.as_str().is_some_and(mentions_erofs))
}

/// The object describes an HTTP request or response, whose `path` is a
/// URL's.
pub fn is_request(fields: &Map<String, Value>) -> bool {
    ["method", "url", "status", "statusCode", "status_code"]
        .iter()
        .any(|k| fields.contains_key(*k))
}

/// An absolute file name; `//host/x` is a URL without its scheme, and
/// `/app/main.go:42` where the error was logged (logrus' `file` field
/// with `SetReportCaller`).
fn is_file_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !is_source_location(p, "")
}
