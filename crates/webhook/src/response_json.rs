//! The response AdmissionReview written straight to bytes. A denial carries
//! its violation text two or three times (status message, warnings, audit
//! annotation), and serde_json escapes strings a byte at a time: that was
//! a seventh of a denied review's instructions. Here runs of bytes that
//! need no escaping are found eight at a time and copied whole, into a
//! buffer sized once.
//!
//! The output is byte-for-byte what `serde_json::to_vec` gives for the same
//! response (field order, skipped fields, escapes); a test holds the two
//! to that, so the serde derive on the types stays the reference.

use crate::review::{API_VERSION, AdmissionResponse, KIND, Status};
use std::collections::BTreeMap;

/// The whole AdmissionReview document for `r`.
pub fn write_review(r: &AdmissionResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + text_len(r));
    out.extend_from_slice(b"{\"apiVersion\":");
    string(&mut out, API_VERSION);
    out.extend_from_slice(b",\"kind\":");
    string(&mut out, KIND);
    out.extend_from_slice(b",\"response\":{\"uid\":");
    string(&mut out, &r.uid);
    out.extend_from_slice(if r.allowed {
        b",\"allowed\":true"
    } else {
        b",\"allowed\":false"
    });
    if let Some(s) = &r.status {
        out.extend_from_slice(b",\"status\":");
        status(&mut out, s);
    }
    if let Some(p) = &r.patch {
        out.extend_from_slice(b",\"patch\":");
        string(&mut out, p);
    }
    if let Some(t) = r.patch_type {
        out.extend_from_slice(b",\"patchType\":");
        string(&mut out, t);
    }
    if !r.audit_annotations.is_empty() {
        out.extend_from_slice(b",\"auditAnnotations\":");
        map(&mut out, &r.audit_annotations);
    }
    if !r.warnings.is_empty() {
        out.extend_from_slice(b",\"warnings\":[");
        for (i, w) in r.warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(&mut out, w);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
    out
}

/// Bytes of text the response carries, before escaping: enough to size
/// the buffer once in the usual case (escapes are rare and short).
fn text_len(r: &AdmissionResponse) -> usize {
    let status = r.status.as_ref().map_or(0, |s| {
        64 + s.message.len()
            + s.reason.len()
            + s.details.as_ref().map_or(0, |d| {
                d.name.len()
                    + d.group.len()
                    + d.kind.len()
                    + d.causes
                        .iter()
                        .map(|c| 40 + c.reason.len() + c.message.len() + c.field.len())
                        .sum::<usize>()
            })
    });
    let annotations: usize = r
        .audit_annotations
        .iter()
        .map(|(k, v)| k.len() + v.len() + 6)
        .sum();
    let warnings: usize = r.warnings.iter().map(|w| w.len() + 3).sum();
    r.uid.len() + status + r.patch.as_ref().map_or(0, String::len) + annotations + warnings
}

fn status(out: &mut Vec<u8>, s: &Status) {
    out.extend_from_slice(b"{\"metadata\":");
    map(out, &s.metadata);
    out.extend_from_slice(b",\"status\":");
    string(out, &s.status);
    out.extend_from_slice(b",\"message\":");
    string(out, &s.message);
    out.extend_from_slice(b",\"reason\":");
    string(out, &s.reason);
    if let Some(d) = &s.details {
        out.extend_from_slice(b",\"details\":{");
        let wrote = non_empty_fields(
            out,
            [("name", &d.name), ("group", &d.group), ("kind", &d.kind)],
        );
        if !d.causes.is_empty() {
            if wrote {
                out.push(b',');
            }
            out.extend_from_slice(b"\"causes\":[");
            for (i, c) in d.causes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'{');
                non_empty_fields(
                    out,
                    [
                        ("reason", &c.reason),
                        ("message", &c.message),
                        ("field", &c.field),
                    ],
                );
                out.push(b'}');
            }
            out.push(b']');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"code\":");
    out.extend_from_slice(s.code.to_string().as_bytes());
    out.push(b'}');
}

/// `"key":"value"` pairs, comma-separated, skipping empty values (Go's
/// `omitempty`); whether any was written.
fn non_empty_fields<const N: usize>(out: &mut Vec<u8>, fields: [(&str, &String); N]) -> bool {
    let mut wrote = false;
    for (key, value) in fields {
        if value.is_empty() {
            continue;
        }
        if wrote {
            out.push(b',');
        }
        wrote = true;
        string(out, key);
        out.push(b':');
        string(out, value);
    }
    wrote
}

fn map(out: &mut Vec<u8>, m: &BTreeMap<String, String>) {
    out.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, k);
        out.push(b':');
        string(out, v);
    }
    out.push(b'}');
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The index of the first byte of `w` (little-endian) that JSON requires
/// escaped (`"`, `\`, below 0x20), if any. The classic SWAR byte tests can
/// flag bytes past the first real hit (a borrow runs upward), never before
/// it, so the lowest flag is exact.
fn first_escape(w: u64) -> Option<usize> {
    let zero_byte = |x: u64| x.wrapping_sub(LOW) & !x & HIGH;
    let control = w.wrapping_sub(LOW * 0x20) & !w & HIGH;
    let flags = control | zero_byte(w ^ (LOW * b'"' as u64)) | zero_byte(w ^ (LOW * b'\\' as u64));
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

/// The byte index of the first byte of `b` that needs escaping.
fn next_escape(b: &[u8]) -> Option<usize> {
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        if let Some(i) = first_escape(u64::from_le_bytes(word)) {
            return Some(at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .map(|i| at + i)
}

/// A JSON string literal, escaped exactly as serde_json does it.
fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = s.as_bytes();
    while let Some(i) = next_escape(rest) {
        out.extend_from_slice(&rest[..i]);
        let c = rest[i];
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]),
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{StatusCause, StatusDetails};

    /// serde_json's rendering of the same response: the reference.
    fn reference(r: &AdmissionResponse) -> Vec<u8> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            api_version: &'static str,
            kind: &'static str,
            response: &'a AdmissionResponse,
        }
        serde_json::to_vec(&Out {
            api_version: API_VERSION,
            kind: KIND,
            response: r,
        })
        .unwrap()
    }

    /// Every byte below 0x80 and some multi-byte characters, at every
    /// offset within an 8-byte word, alone and between plain runs.
    fn awkward_strings() -> Vec<String> {
        let mut v: Vec<String> = vec![
            String::new(),
            "plain".into(),
            "é ü 日本 🦀".into(),
            "\u{7f}\u{80}\u{2028}".into(),
        ];
        for c in (0u8..0x80).map(char::from) {
            for pad in 0..9 {
                v.push(format!("{}{c}{}", "x".repeat(pad), "y".repeat(9 - pad)));
            }
        }
        v.push("\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}".repeat(5));
        v
    }

    #[test]
    fn strings_escape_exactly_as_serde_json() {
        for s in awkward_strings() {
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn responses_are_byte_identical_to_serde_json() {
        let mut responses = vec![
            AdmissionResponse::allow(),
            AdmissionResponse::exempt("namespace"),
        ];
        let mut denied =
            AdmissionResponse::deny(Status::failure(403, "Forbidden", "violates \"x\"\n".into()));
        denied.uid = "9a928507-8e22".into();
        responses.push(denied.clone());
        if let Some(s) = denied.status.as_mut() {
            s.metadata.insert("k".into(), "v\t".into());
            s.details = Some(StatusDetails {
                name: "p1".into(),
                kind: "pods".into(),
                ..Default::default()
            });
        }
        responses.push(denied.clone());
        if let Some(d) = denied.status.as_mut().and_then(|s| s.details.as_mut()) {
            d.name.clear();
        }
        denied.warnings = vec!["would violate \"a\"".into(), "b\\c".into()];
        denied
            .audit_annotations
            .insert("audit-violations".into(), "x\u{1}y".into());
        denied
            .audit_annotations
            .insert("enforce-policy".into(), "immutable:latest".into());
        responses.push(denied.clone());
        if let Some(d) = denied.status.as_mut().and_then(|s| s.details.as_mut()) {
            d.kind.clear();
        }
        responses.push(denied.clone());
        // A 422's details: group, kind and field causes, some fields empty.
        if let Some(d) = denied.status.as_mut().and_then(|s| s.details.as_mut()) {
            d.group = "apps".into();
            d.causes = vec![
                StatusCause {
                    reason: "FieldValueInvalid".into(),
                    message: "Invalid value: \"x\": must be \"y\"".into(),
                    field: "metadata.labels[rootlock.dev/enforce]".into(),
                },
                StatusCause {
                    field: "spec".into(),
                    ..Default::default()
                },
                StatusCause::default(),
            ];
        }
        responses.push(denied.clone());
        if let Some(d) = denied.status.as_mut().and_then(|s| s.details.as_mut()) {
            d.name.clear();
            d.group.clear();
            d.kind.clear();
        }
        responses.push(denied);
        let mut patched = AdmissionResponse::allow();
        patched.patch = Some("W3sib3AiOiJhZGQifV0=".into());
        patched.patch_type = Some("JSONPatch");
        responses.push(patched);
        for (i, s) in awkward_strings().into_iter().enumerate().step_by(7) {
            let mut r = AdmissionResponse::allow();
            r.uid = s.clone();
            r.warnings = vec![s.clone(), s.clone()];
            r.audit_annotations.insert(s.clone(), s);
            r.allowed = i % 2 == 0;
            responses.push(r);
        }
        for r in &responses {
            assert_eq!(
                String::from_utf8(write_review(r)).unwrap(),
                String::from_utf8(reference(r)).unwrap()
            );
        }
    }
}
