//! Writing added values in the style of the file they go into: YAML block
//! lines, YAML flow, or JSON (compact or indented like the file).

use crate::value::New;
use rootlock_manifest::scalar::{Resolved, resolve};
use rootlock_manifest::tree::Scalar;

/// Indentation of a YAML file: spaces per level, and where the `-` of a
/// block sequence goes relative to its key (0 or one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockStyle {
    pub step: usize,
    pub seq_offset: usize,
}

/// How a JSON file is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStyle {
    /// One level of indentation (spaces or a tab).
    pub unit: String,
    /// `"a": 1, "b": 2` rather than `"a":1,"b":2`.
    pub spaced: bool,
}

/// A string that reads back as the same string when written unquoted.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let scalar = Scalar {
        text: s.to_string(),
        plain: true,
        tag: None,
    };
    (first.is_ascii_alphanumeric() || matches!(first, '/' | '.' | '_'))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with([' ', ':'])
        && !s.chars().any(|c| c.is_control() || ",[]{}\"'`".contains(c))
        && resolve(&scalar) == Resolved::Str(s)
}

/// A scalar in YAML: plain when that reads back the same, else JSON-quoted
/// (a JSON string is a valid YAML double-quoted scalar).
pub fn yaml_scalar(v: &New) -> String {
    match v {
        New::Bool(b) => b.to_string(),
        New::Str(s) if plain_safe(s) => s.clone(),
        New::Str(s) => json_string(s),
        other => flow_yaml(other),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `{a: 1, b: [x]}` — YAML flow style on one line.
pub fn flow_yaml(v: &New) -> String {
    match v {
        New::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_key(k), flow_yaml(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        New::Seq(items) => {
            let parts: Vec<String> = items.iter().map(flow_yaml).collect();
            format!("[{}]", parts.join(", "))
        }
        scalar => yaml_scalar(scalar),
    }
}

fn yaml_key(k: &str) -> String {
    yaml_scalar(&New::Str(k.to_string()))
}

/// A JSON value on one line.
pub fn json_inline(v: &New, style: &JsonStyle) -> String {
    let (comma, colon) = if style.spaced {
        (", ", ": ")
    } else {
        (",", ":")
    };
    match v {
        New::Bool(b) => b.to_string(),
        New::Str(s) => json_string(s),
        New::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}{colon}{}", json_string(k), json_inline(v, style)))
                .collect();
            format!("{{{}}}", parts.join(comma))
        }
        New::Seq(items) => {
            let parts: Vec<String> = items.iter().map(|i| json_inline(i, style)).collect();
            format!("[{}]", parts.join(comma))
        }
    }
}

/// A JSON value over several lines, its first line without indentation and
/// nested lines at `indent` plus one `unit` per level; `eol` ends lines.
pub fn json_pretty(v: &New, indent: &str, style: &JsonStyle, eol: &str) -> String {
    let inner = format!("{indent}{}", style.unit);
    match v {
        New::Map(entries) if !entries.is_empty() => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{inner}{}: {}",
                        json_string(k),
                        json_pretty(v, &inner, style, eol)
                    )
                })
                .collect();
            format!("{{{eol}{}{eol}{indent}}}", parts.join(&format!(",{eol}")))
        }
        New::Seq(items) if !items.is_empty() => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| format!("{inner}{}", json_pretty(i, &inner, style, eol)))
                .collect();
            format!("[{eol}{}{eol}{indent}]", parts.join(&format!(",{eol}")))
        }
        other => json_inline(other, style),
    }
}

/// Block-style lines for `entries` at `indent` spaces (no line endings).
pub fn block_entries(
    entries: &[(String, New)],
    indent: usize,
    style: BlockStyle,
    out: &mut Vec<String>,
) {
    let pad = " ".repeat(indent);
    for (k, v) in entries {
        let key = yaml_key(k);
        match v {
            New::Map(children) if !children.is_empty() => {
                out.push(format!("{pad}{key}:"));
                block_entries(children, indent + style.step, style, out);
            }
            New::Seq(items) if !items.is_empty() => {
                out.push(format!("{pad}{key}:"));
                block_items(items, indent + style.seq_offset, 2, style, out);
            }
            other => out.push(format!("{pad}{key}: {}", flow_yaml(other))),
        }
    }
}

/// Block-style sequence items, `-` at `dash` spaces and the item's content
/// `content` columns after it.
pub fn block_items(
    items: &[New],
    dash: usize,
    content: usize,
    style: BlockStyle,
    out: &mut Vec<String>,
) {
    let content = content.max(2);
    for item in items {
        match item {
            New::Map(entries) if !entries.is_empty() => {
                let start = out.len();
                block_entries(entries, dash + content, style, out);
                if let Some(first) = out.get_mut(start) {
                    let rest = first[dash + content..].to_string();
                    *first = format!("{}-{}{rest}", " ".repeat(dash), " ".repeat(content - 1));
                }
            }
            other => out.push(format!(
                "{}-{}{}",
                " ".repeat(dash),
                " ".repeat(content - 1),
                flow_yaml(other)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> New {
        New::map(vec![
            ("readOnlyRootFilesystem", New::Bool(true)),
            (
                "capabilities",
                New::map(vec![("drop", New::Seq(vec![New::str("ALL")]))]),
            ),
        ])
    }

    #[test]
    fn strings_are_quoted_only_when_they_must_be() {
        assert_eq!(yaml_scalar(&New::str("/tmp")), "/tmp");
        assert_eq!(yaml_scalar(&New::str("64Mi")), "64Mi");
        assert_eq!(yaml_scalar(&New::str("true")), "\"true\"");
        assert_eq!(yaml_scalar(&New::str("a: b")), "\"a: b\"");
        assert_eq!(yaml_scalar(&New::str("-x")), "\"-x\"");
        assert_eq!(yaml_scalar(&New::str("012")), "\"012\"");
    }

    #[test]
    fn block_flow_and_json() {
        let mut out = Vec::new();
        let style = BlockStyle {
            step: 2,
            seq_offset: 0,
        };
        block_entries(&[("securityContext".into(), sample())], 4, style, &mut out);
        assert_eq!(
            out,
            vec![
                "    securityContext:",
                "      readOnlyRootFilesystem: true",
                "      capabilities:",
                "        drop:",
                "        - ALL",
            ]
        );
        let mut out = Vec::new();
        let item = New::map(vec![
            ("name", New::str("v")),
            ("emptyDir", New::Map(vec![])),
        ]);
        block_items(&[item], 2, 2, style, &mut out);
        assert_eq!(out, vec!["  - name: v", "    emptyDir: {}"]);
        assert_eq!(
            flow_yaml(&sample()),
            "{readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}"
        );
        let js = JsonStyle {
            unit: "  ".into(),
            spaced: true,
        };
        assert_eq!(
            json_pretty(&sample(), "  ", &js, "\n"),
            "{\n    \"readOnlyRootFilesystem\": true,\n    \"capabilities\": {\n      \"drop\": [\n        \"ALL\"\n      ]\n    }\n  }"
        );
        assert_eq!(
            json_inline(
                &sample(),
                &JsonStyle {
                    unit: "".into(),
                    spaced: false
                }
            ),
            "{\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"ALL\"]}}"
        );
    }
}
