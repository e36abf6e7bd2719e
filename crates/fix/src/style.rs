//! Detects how a file is written, so added text looks like its neighbours.

use crate::render::{BlockStyle, JsonStyle};
use crate::text::{indent_of, is_blank_or_comment};

/// The file's syntax as far as adding text goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialect {
    Yaml,
    Json(JsonStyle),
}

/// JSON when the text starts with `{` or `[` followed by a quoted key or a
/// closing bracket (a YAML flow document like `{a: 1}` stays YAML).
pub fn detect_dialect(src: &str) -> Dialect {
    let mut chars = src.chars().filter(|c| !c.is_whitespace());
    let json = matches!(chars.next(), Some('{' | '['))
        && matches!(chars.next(), Some('"' | '}' | ']' | '{' | '['));
    if !json {
        return Dialect::Yaml;
    }
    let unit = src
        .lines()
        .find_map(|l| {
            let t = l.trim_start();
            (t.len() < l.len() && !t.is_empty()).then(|| l[..l.len() - t.len()].to_string())
        })
        .unwrap_or_else(|| "  ".to_string());
    let head = &src[..src.len().min(4096)];
    let spaced = head.contains("\": ") || !head.contains("\":");
    Dialect::Json(JsonStyle { unit, spaced })
}

/// Indentation of YAML block content, from the first `key:` line followed
/// by a deeper line (the step) and by a `- ` line (the sequence offset).
pub fn detect_block_style<'a>(lines: impl Iterator<Item = &'a str>) -> BlockStyle {
    let mut step = None;
    let mut seq_offset = None;
    let mut prev: Option<(usize, bool)> = None;
    for line in lines {
        if is_blank_or_comment(line) {
            continue;
        }
        let ind = indent_of(line);
        let body = line[ind..].trim_end();
        let dash = body == "-" || body.starts_with("- ");
        if let Some((pind, opens)) = prev
            && opens
        {
            if dash && seq_offset.is_none() && ind >= pind {
                seq_offset = Some(ind - pind);
            } else if !dash && step.is_none() && ind > pind {
                step = Some(ind - pind);
            }
        }
        if step.is_some() && seq_offset.is_some() {
            break;
        }
        // A key whose value starts on the next line; for `- key:` the key
        // sits after the dash.
        let key_col = if dash { ind + 2 } else { ind };
        prev = Some((key_col, body.ends_with(':') && !body.starts_with('#')));
    }
    let step = step.unwrap_or(2);
    BlockStyle {
        step,
        seq_offset: seq_offset.unwrap_or(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_styles() {
        let s = detect_block_style("a:\n    b: 1\n    c:\n    - x\n".lines());
        assert_eq!(
            s,
            BlockStyle {
                step: 4,
                seq_offset: 0
            }
        );
        let s = detect_block_style("a:\n  c:\n    - x\n".lines());
        assert_eq!(
            s,
            BlockStyle {
                step: 2,
                seq_offset: 2
            }
        );
        assert_eq!(detect_dialect("{a: 1}"), Dialect::Yaml);
        assert_eq!(
            detect_dialect("{\n\t\"a\": 1\n}"),
            Dialect::Json(JsonStyle {
                unit: "\t".into(),
                spaced: true
            })
        );
        assert_eq!(
            detect_dialect("{\"a\":1}"),
            Dialect::Json(JsonStyle {
                unit: "  ".into(),
                spaced: false
            })
        );
    }
}
