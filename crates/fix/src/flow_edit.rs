//! Adding to flow collections (`{a: 1}`, `[x]`) and to JSON, which is the
//! same thing with quoted keys: on one line the new members go before the
//! closing bracket; when the closing bracket has its own line, each new
//! member gets a line of its own, indented like the others, with commas
//! where the file's style puts them.

use crate::refusal::Refusal;
use crate::render::{flow_yaml, json_inline, json_pretty};
use crate::splice::Edit;
use crate::style::Dialect;
use crate::value::New;
use crate::yaml_edit::Editor;

/// Where a flow collection's members are.
struct Span {
    /// The opening bracket.
    open: usize,
    /// The matching closing bracket.
    close: usize,
    /// The last byte of content before `close` (the opening bracket when empty).
    last: usize,
}

/// Finds the bracket matching the one at `open`, skipping quoted strings
/// and comments; `None` when the collection is not closed.
fn span(src: &str, open: usize) -> Option<Span> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut last = open;
    let mut i = open;
    while i < b.len() {
        let c = b[i];
        let at_token = i == 0 || b" \t\r\n{[,:".contains(&b[i - 1]);
        match c {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(Span {
                        open,
                        close: i,
                        last,
                    });
                }
            }
            b'"' if at_token => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' if at_token => {
                i += 1;
                while i < b.len() && !(b[i] == b'\'' && b.get(i + 1) != Some(&b'\'')) {
                    if b[i] == b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            // A comment ends at a line break, a lone `\r` included.
            b'#' if i > 0 && b" \t\r\n".contains(&b[i - 1]) => {
                while i < b.len() && !matches!(b[i], b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            last = i;
        }
        i += 1;
    }
    None
}

/// The byte offset of the bracket closing the flow collection opened at `open`.
pub fn closing_bracket(src: &str, open: usize) -> Option<usize> {
    span(src, open).map(|s| s.close)
}

fn leading_ws(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// A value rendered for a member line that starts with `line`'s indentation.
pub fn render_value(ed: &Editor<'_>, v: &New, line: &str) -> String {
    match ed.dialect {
        Dialect::Yaml => flow_yaml(v),
        Dialect::Json(style) => json_pretty(v, leading_ws(line), style, ed.text.eol),
    }
}

/// A value rendered on one line.
pub fn render_inline(ed: &Editor<'_>, v: &New) -> String {
    match ed.dialect {
        Dialect::Yaml => flow_yaml(v),
        Dialect::Json(style) => json_inline(v, style),
    }
}

fn key(ed: &Editor<'_>, k: &str) -> String {
    match ed.dialect {
        Dialect::Yaml => flow_yaml(&New::Str(k.to_string())),
        Dialect::Json(_) => serde_json::Value::String(k.to_string()).to_string(),
    }
}

fn colon(ed: &Editor<'_>) -> &'static str {
    match ed.dialect {
        Dialect::Json(s) if !s.spaced => ":",
        _ => ": ",
    }
}

/// Member texts: `(inline form, form for a line of its own at indent)`.
type Members<'a> = Vec<Box<dyn Fn(bool, &str) -> String + 'a>>;

fn insert_members(
    ed: &Editor<'_>,
    open: usize,
    members: Members<'_>,
    depth: usize,
) -> Result<Vec<Edit>, Refusal> {
    let src = ed.text.src;
    let s = span(src, open).ok_or_else(|| {
        Refusal::at(
            ed.text.line_of_offset(open),
            "a flow collection is not closed",
        )
    })?;
    let close_line = ed.text.line_of_offset(s.close);
    let last_line = ed.text.line_of_offset(s.last);
    let empty = s.last == s.open;
    let trailing_comma = src.as_bytes()[s.last] == b',';
    let sep = match ed.dialect {
        Dialect::Json(j) if !j.spaced => ",",
        _ => ", ",
    };
    if close_line == last_line {
        let parts: Vec<String> = members.iter().map(|m| m(true, "")).collect();
        let joined = parts.join(sep);
        let insert = if empty {
            joined
        } else if trailing_comma {
            format!(" {joined},")
        } else {
            format!("{}{joined}", sep)
        };
        return Ok(vec![Edit {
            offset: s.last + 1,
            delete: 0,
            insert,
            depth,
        }]);
    }
    // The closing bracket has a line of its own: one line per member.
    let first_line = if empty {
        close_line
    } else {
        let mut at = s.open + 1;
        while src
            .as_bytes()
            .get(at)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            at += 1;
        }
        ed.text.line_of_offset(at)
    };
    let open_line = ed.text.line_of_offset(s.open);
    let indent = if empty {
        let unit = match ed.dialect {
            Dialect::Json(j) => j.unit.clone(),
            Dialect::Yaml => " ".repeat(ed.style.step),
        };
        format!("{}{unit}", leading_ws(ed.text.line(close_line)))
    } else if first_line > open_line {
        leading_ws(ed.text.line(first_line)).to_string()
    } else {
        leading_ws(ed.text.line(last_line)).to_string()
    };
    let mut edits = Vec::new();
    if !empty && !trailing_comma {
        edits.push(Edit {
            offset: s.last + 1,
            delete: 0,
            insert: ",".into(),
            depth,
        });
    }
    let eol = ed.text.eol;
    let n = members.len();
    let mut insert = String::new();
    for (i, m) in members.iter().enumerate() {
        let comma = if i + 1 < n || trailing_comma { "," } else { "" };
        insert.push_str(&format!("{indent}{}{comma}{eol}", m(false, &indent)));
    }
    edits.push(Edit {
        offset: ed.text.line_start(close_line),
        delete: 0,
        insert,
        depth,
    });
    Ok(edits)
}

pub fn add_entries(
    ed: &Editor<'_>,
    open: usize,
    entries: &[(String, New)],
    depth: usize,
) -> Result<Vec<Edit>, Refusal> {
    let members: Members<'_> = entries
        .iter()
        .map(|(k, v)| {
            let k = key(ed, k);
            let c = colon(ed);
            Box::new(move |inline: bool, indent: &str| {
                let value = if inline {
                    render_inline(ed, v)
                } else {
                    render_value(ed, v, indent)
                };
                format!("{k}{c}{value}")
            }) as Box<dyn Fn(bool, &str) -> String>
        })
        .collect();
    insert_members(ed, open, members, depth)
}

pub fn append_items(
    ed: &Editor<'_>,
    open: usize,
    items: &[New],
    depth: usize,
) -> Result<Vec<Edit>, Refusal> {
    let members: Members<'_> = items
        .iter()
        .map(|v| {
            Box::new(move |inline: bool, indent: &str| {
                if inline {
                    render_inline(ed, v)
                } else {
                    render_value(ed, v, indent)
                }
            }) as Box<dyn Fn(bool, &str) -> String>
        })
        .collect();
    insert_members(ed, open, members, depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let src = "{a: \"}\", b: '}', # }\n c: [1]}";
        assert_eq!(closing_bracket(src, 0), Some(src.len() - 1));
        // A comment ends at a lone `\r` too: what follows is content.
        let src = "{a: 1, # c\r b: 2}\r";
        assert_eq!(closing_bracket(src, 0), Some(src.len() - 2));
        assert_eq!(closing_bracket("{a: 1 # }", 0), None);
    }
}
