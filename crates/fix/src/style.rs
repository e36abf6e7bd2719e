//! Detects how a file is written, so added text looks like its neighbours.

use crate::render::{BlockStyle, JsonStyle};
use crate::text::{indent_of, is_blank_or_comment};
use rootlock_manifest::line_breaks;

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
    let unit = line_breaks::lines(src)
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
    // The indentation of a line whose value is a block scalar: the lines
    // indented more than it are that scalar's text (an embedded config,
    // a script), laid out its own way.
    let mut scalar_at: Option<usize> = None;
    for line in lines {
        if let Some(at) = scalar_at {
            if line.trim().is_empty() || indent_of(line) > at {
                continue;
            }
            scalar_at = None;
        }
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
        if opens_block_scalar(body) {
            scalar_at = Some(ind);
        }
        let key_col = if dash { ind + 2 } else { ind };
        // `containers: # the app` opens a block as `containers:` does.
        prev = Some((key_col, without_comment(body).ends_with(':')));
    }
    let step = step.unwrap_or(2);
    BlockStyle {
        step,
        seq_offset: seq_offset.unwrap_or(step),
    }
}

/// A line (without its indentation) up to a comment that ends it (`#`
/// after white space, or at the start), trailing white space removed.
fn without_comment(body: &str) -> &str {
    let cut = body
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || body[..i].ends_with([' ', '\t'])))
        .map_or(body.len(), |(i, _)| i);
    body[..cut].trim_end()
}

/// Whether a line (without its indentation) ends with a block scalar
/// header: `key: |`, `- >-`, `key: !!str |2`, maybe with a comment.
fn opens_block_scalar(body: &str) -> bool {
    let code = without_comment(body);
    let mut tokens = code.rsplit([' ', '\t']).filter(|t| !t.is_empty());
    let Some(last) = tokens.next() else {
        return false;
    };
    let header = last.starts_with(['|', '>'])
        && last[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == '-');
    header
        && match tokens.next() {
            None => true,
            Some(before) => before.ends_with([':', '-']) || before.starts_with(['!', '&']),
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
        // The text of a block scalar is not the manifest's layout.
        let s = detect_block_style(
            "metadata:\n  a: |\n    x:\n       - y\n  b: >-\n    z:\n\n          w\nspec:\n  c:\n    - d\n".lines(),
        );
        assert_eq!(
            s,
            BlockStyle {
                step: 2,
                seq_offset: 2
            }
        );
        for header in ["a: |", "- >-", "a: !!str |2", "a: |+ # text", "a: &t >"] {
            assert!(opens_block_scalar(header), "{header}");
        }
        for other in ["a: b|", "a: '|'", "a:", "a: x >", "- a"] {
            assert!(!opens_block_scalar(other), "{other}");
        }
        // A key followed by a comment still opens the block below it.
        let s = detect_block_style("spec: # s\n   containers: # c\n   - name: a\n".lines());
        assert_eq!(
            s,
            BlockStyle {
                step: 3,
                seq_offset: 0
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
        // Lines end at a lone `\r` too (an old Mac file).
        assert_eq!(
            detect_dialect("{\r\t\"a\": 1\r}"),
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
