//! Turns resolved actions into byte edits of the original text. Block YAML
//! is edited as lines: new lines go after the last line of the mapping or
//! sequence they join, indented like its keys or dashes; nothing else moves.
//! Flow collections and JSON are handled in `flow_edit`.

use crate::flow_edit;
use crate::render::{BlockStyle, block_entries, block_items};
use crate::resolve::{Action, Placed};
use crate::splice::Edit;
use crate::style::Dialect;
use crate::text::{Text, indent_of, is_doc_marker};
use crate::value::New;
use rootlock_manifest::tree::{Node, Value};

/// Everything an edit needs to know about the file.
pub struct Editor<'t> {
    pub text: &'t Text<'t>,
    pub dialect: &'t Dialect,
    pub style: BlockStyle,
}

impl Editor<'_> {
    /// Byte offset of a node's position.
    pub fn start(&self, node: &Node) -> usize {
        self.text.offset(node.line, node.column)
    }

    /// Where a node's content starts: after any anchor (`&a`) or tag
    /// (`!!map`), on the next content line if they end the line.
    pub fn content_start(&self, node: &Node) -> Result<usize, String> {
        let src = self.text.src;
        let mut at = self.start(node);
        let bytes = src.as_bytes();
        match bytes.get(at) {
            Some(b'*') => {
                return Err(format!(
                    "line {}: the node is an alias (*…) of another: edit its anchor by hand",
                    node.line
                ));
            }
            Some(b'&' | b'!') => {}
            _ => return Ok(at),
        }
        loop {
            while matches!(bytes.get(at), Some(b'&' | b'!')) {
                while bytes.get(at).is_some_and(|b| !b" \t\r\n".contains(b)) {
                    at += 1;
                }
                while matches!(bytes.get(at), Some(b' ' | b'\t')) {
                    at += 1;
                }
            }
            match bytes.get(at) {
                Some(b'\r' | b'\n' | b'#') | None => {
                    // Props end the line: content is on the next content line.
                    let mut line = self.text.line_of_offset(at) + 1;
                    while line <= self.text.line_count()
                        && crate::text::is_blank_or_comment(self.text.line(line))
                    {
                        line += 1;
                    }
                    let l = self.text.line(line);
                    at = self.text.line_start(line) + indent_of(l);
                    if !matches!(bytes.get(at), Some(b'&' | b'!')) {
                        return Ok(at);
                    }
                }
                _ => return Ok(at),
            }
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.src.as_bytes().get(at).copied()
    }

    /// Column (in bytes from the line start) of the byte at `at`.
    fn column_of(&self, at: usize) -> usize {
        at - self.text.line_start(self.text.line_of_offset(at))
    }

    /// The last line of the block node whose content is indented more than
    /// `indent`, starting from `last`, the last line any of its nodes starts on.
    fn block_end(&self, last: usize, indent: usize) -> usize {
        let mut end = last;
        for l in last + 1..=self.text.line_count() {
            let s = self.text.line(l);
            if s.trim().is_empty() {
                continue;
            }
            if is_doc_marker(s) {
                break;
            }
            if indent_of(s) > indent {
                end = l;
            } else if !s.trim_start().starts_with('#') {
                break;
            }
        }
        end
    }

    /// Inserts `lines` after line `after` (before its line terminator, so a
    /// file without a final newline keeps it that way).
    fn insert_lines(&self, after: usize, lines: &[String], depth: usize) -> Edit {
        let eol = self.text.eol;
        let insert: String = lines.iter().map(|l| format!("{eol}{l}")).collect();
        Edit {
            offset: self.text.line_start(after) + self.text.line(after).len(),
            delete: 0,
            insert,
            depth,
        }
    }

    pub fn edits(&self, placed: &Placed<'_>) -> Result<Vec<Edit>, String> {
        let depth = placed.depth;
        match &placed.action {
            Action::AddToMap { map, entries } => {
                let at = self.content_start(map)?;
                if self.byte(at) == Some(b'{') {
                    return flow_edit::add_entries(self, at, entries, depth);
                }
                let indent = self.column_of(at);
                let end = self.block_end(max_line(map), indent);
                let mut lines = Vec::new();
                block_entries(entries, indent, self.style, &mut lines);
                Ok(vec![self.insert_lines(end, &lines, depth)])
            }
            Action::AppendToSeq { seq, items } => {
                let at = self.content_start(seq)?;
                if self.byte(at) == Some(b'[') {
                    return flow_edit::append_items(self, at, items, depth);
                }
                let first = seq
                    .as_seq()
                    .and_then(|s| s.first())
                    .ok_or_else(|| format!("line {}: empty block sequence", seq.line))?;
                let item_at = self.content_start(first)?;
                let (dash, content) = self.dash_of(item_at)?;
                let mut lines = Vec::new();
                block_items(items, dash, content, self.style, &mut lines);
                let end = self.block_end(max_line(seq), dash);
                Ok(vec![self.insert_lines(end, &lines, depth)])
            }
            Action::Replace { node, owner, value } => self.replace(node, *owner, value, depth),
        }
    }

    /// The indentation of a block list item's `-` and how far after it the
    /// item's content starts, from where the content is: `- name: a`, or a
    /// `-` alone on the line above it.
    fn dash_of(&self, item_at: usize) -> Result<(usize, usize), String> {
        let line = self.text.line_of_offset(item_at);
        let before = &self.text.src[self.text.line_start(line)..item_at];
        let trimmed = before.trim_end();
        if trimmed.ends_with('-') && trimmed.trim_start_matches([' ', '-']).is_empty() {
            let dash = trimmed.len() - 1;
            return Ok((dash, before.len() - dash));
        }
        if trimmed.is_empty() {
            let above = (1..line)
                .rev()
                .find(|l| !crate::text::is_blank_or_comment(self.text.line(*l)));
            if let Some(l) = above {
                let text = self.text.line(l);
                if text.trim() == "-" && before.len() > indent_of(text) {
                    let dash = indent_of(text);
                    return Ok((dash, before.len() - dash));
                }
            }
        }
        Err(format!(
            "line {line}: cannot find the `-` of this list item; add the item by hand"
        ))
    }

    /// Byte range of a scalar token as written (quotes included).
    fn scalar_extent(&self, node: &Node) -> Result<(usize, usize), String> {
        let mut at = self.content_start(node)?;
        let empty = node
            .as_scalar()
            .is_some_and(|s| s.text.is_empty() && s.plain);
        if empty && self.byte(at) == Some(b':') {
            // An empty value is reported at its key's colon.
            at += 1;
        }
        let src = self.text.src;
        let line_end = self.text.line_start(node.line) + self.text.line(node.line).len();
        let rest = &src[at..line_end.max(at)];
        let unsupported = || {
            format!(
                "line {}: the value spans lines or has an unusual form; change it by hand",
                node.line
            )
        };
        let len = match rest.as_bytes().first() {
            Some(b'"') => {
                let mut escaped = false;
                let close = rest
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| {
                        let hit = *c == '"' && !escaped;
                        escaped = *c == '\\' && !escaped;
                        hit
                    })
                    .ok_or_else(unsupported)?;
                close.0 + 1
            }
            Some(b'\'') => {
                let mut i = 1;
                let b = rest.as_bytes();
                loop {
                    match b.get(i) {
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break i + 1,
                        Some(_) => i += 1,
                        None => return Err(unsupported()),
                    }
                }
            }
            _ => {
                let text = node.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
                if !rest.starts_with(text) {
                    return Err(unsupported());
                }
                text.len()
            }
        };
        Ok((at, len))
    }

    fn replace(
        &self,
        node: &Node,
        owner: Option<&Node>,
        value: &New,
        depth: usize,
    ) -> Result<Vec<Edit>, String> {
        let (at, len) = self.scalar_extent(node)?;
        let in_flow = match owner {
            Some(o) => self.byte(self.content_start(o)?) == Some(b'{'),
            None => true,
        };
        let collection = matches!(value, New::Map(_) | New::Seq(_));
        if matches!(self.dialect, Dialect::Json(_)) || in_flow || !collection {
            let text = flow_edit::render_value(self, value, self.text.line(node.line));
            let text = if len == 0 && in_flow {
                format!(" {text}")
            } else {
                text
            };
            return Ok(vec![Edit {
                offset: at,
                delete: len,
                insert: text,
                depth,
            }]);
        }
        // A block `key:` with a null value: the value's lines go below the key.
        let owner = owner.ok_or_else(|| format!("line {}: value without a key", node.line))?;
        let key_indent = self.column_of(self.content_start(owner)?);
        let after = &self.text.src
            [at + len..self.text.line_start(node.line) + self.text.line(node.line).len()];
        if !crate::text::is_blank_or_comment(after) {
            return Err(format!(
                "line {}: unexpected text after the value",
                node.line
            ));
        }
        let mut lines = Vec::new();
        match value {
            New::Map(entries) => block_entries(
                entries,
                key_indent + self.style.step,
                self.style,
                &mut lines,
            ),
            New::Seq(items) => block_items(
                items,
                key_indent + self.style.seq_offset,
                2,
                self.style,
                &mut lines,
            ),
            _ => {}
        }
        let mut out = vec![self.insert_lines(node.line, &lines, depth)];
        if len > 0 {
            // Drop `~`/`null` and the space before it.
            let space = usize::from(self.text.src[..at].ends_with(' '));
            out.push(Edit {
                offset: at - space,
                delete: len + space,
                insert: String::new(),
                depth,
            });
        }
        Ok(out)
    }
}

/// The last line any node in the subtree starts on.
pub fn max_line(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => node.line,
        Value::Seq(items) => items.iter().map(max_line).fold(node.line, usize::max),
        Value::Map(entries) => entries
            .iter()
            .map(|e| e.key_line.max(max_line(&e.value)))
            .fold(node.line, usize::max),
    }
}
