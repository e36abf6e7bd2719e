//! Turns resolved actions into byte edits of the original text. Block YAML
//! is edited as lines: new lines go after the last line of the mapping or
//! sequence they join, indented like its keys or dashes; nothing else moves.
//! Flow collections and JSON are handled in `flow_edit`.

use crate::flow_edit;
use crate::refusal::Refusal;
use crate::render::{BlockStyle, block_entries, block_items};
use crate::resolve::{Action, Placed};
use crate::splice::Edit;
use crate::style::Dialect;
use crate::text::{Text, indent_of, is_blank_or_comment, is_doc_marker};
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

    /// The anchor (`&a`) and tag (`!!null`, `!<…>`) written where a node
    /// starts, in any order, on that line.
    fn props(&self, start: usize) -> Props {
        let bytes = self.text.src.as_bytes();
        let mut p = Props {
            anchor: None,
            tag: None,
            end: start,
        };
        let mut at = start;
        while let Some(first @ (b'&' | b'!')) = bytes.get(at).copied() {
            let begin = at;
            if bytes.get(at + 1) == Some(&b'<') {
                // A verbatim tag may hold `,` (`!<tag:yaml.org,2002:null>`).
                while bytes.get(at).is_some_and(|b| !b"> \t\r\n".contains(b)) {
                    at += 1;
                }
                at += usize::from(bytes.get(at) == Some(&b'>'));
            } else {
                // Anchor names and tag shorthands end at a flow indicator.
                while bytes.get(at).is_some_and(|b| !b" \t\r\n,[]{}".contains(b)) {
                    at += 1;
                }
            }
            if first == b'&' {
                p.anchor = Some(begin..at);
            } else {
                p.tag = Some(begin..at);
            }
            p.end = at;
            while matches!(bytes.get(at), Some(b' ' | b'\t')) {
                at += 1;
            }
        }
        p
    }

    /// Where a node's content starts: after any anchor (`&a`) or tag
    /// (`!!map`), on the next content line if they end the line.
    pub fn content_start(&self, node: &Node) -> Result<usize, Refusal> {
        let bytes = self.text.src.as_bytes();
        let mut at = self.start(node);
        loop {
            if bytes.get(at) == Some(&b'*') {
                return Err(Refusal::at(node.line, ALIAS));
            }
            let p = self.props(at);
            if p.anchor.is_none() && p.tag.is_none() {
                return Ok(at);
            }
            at = p.end;
            while matches!(bytes.get(at), Some(b' ' | b'\t')) {
                at += 1;
            }
            if !matches!(bytes.get(at), Some(b'\r' | b'\n' | b'#') | None) {
                return Ok(at);
            }
            // Props end the line: content is on the next content line.
            let mut line = self.text.line_of_offset(at) + 1;
            while line <= self.text.line_count()
                && crate::text::is_blank_or_comment(self.text.line(line))
            {
                line += 1;
            }
            at = self.text.line_start(line) + indent_of(self.text.line(line));
        }
    }

    /// `src[from..to]`, or an error naming the line instead of a panic when
    /// a computed range is out of order (the sign of an unforeseen form).
    fn slice(&self, from: usize, to: usize, line: usize) -> Result<&str, Refusal> {
        self.text
            .src
            .get(from..to)
            .ok_or_else(|| Refusal::at(line, "the value has an unusual form; change it by hand"))
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.src.as_bytes().get(at).copied()
    }

    /// Column (in bytes from the line start) of the byte at `at`.
    fn column_of(&self, at: usize) -> usize {
        at - self.text.line_start(self.text.line_of_offset(at))
    }

    /// The last line of the block node `node` whose content is indented
    /// more than `indent`.
    fn block_end(&self, node: &Node, indent: usize) -> usize {
        let mut end = max_line(node);
        for l in end + 1..=self.text.line_count() {
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
        // A flow collection that starts last may close on a line of its own
        // at the block's indentation (`{drop: [ALL],` then `}`): the block
        // ends after it, or new lines would land inside it.
        if let Some(close) = self.last_flow_close(node) {
            end = end.max(self.text.line_of_offset(close));
        }
        // A block scalar that keeps its trailing newlines (`|+`) owns the
        // blank lines after its text: new lines go after them, not between.
        let mut kept = self.kept_blank_lines(last_node(node));
        while kept > 0 && end < self.text.line_count() && self.text.line(end + 1).trim().is_empty()
        {
            end += 1;
            kept -= 1;
        }
        end
    }

    /// Where the outermost flow collection on the path to the node that
    /// starts last in `node` closes, if there is one.
    fn last_flow_close(&self, node: &Node) -> Option<usize> {
        let mut n = node;
        loop {
            if !matches!(n.value, Value::Scalar(_)) {
                let at = self.content_start(n).ok()?;
                if matches!(self.byte(at), Some(b'{' | b'[')) {
                    return flow_edit::closing_bracket(self.text.src, at);
                }
            }
            let next = last_child(n)?;
            if max_line(next) < n.line {
                return None;
            }
            n = next;
        }
    }

    /// How many blank lines after a scalar's last line belong to it: a block
    /// scalar's (the parser reports it at its first text line, after the
    /// `|+` header) value ending in n+1 newlines has n of them. Quoted
    /// scalars end at their closing quote.
    fn kept_blank_lines(&self, node: &Node) -> usize {
        let Some(s) = node.as_scalar() else {
            return 0;
        };
        if s.plain || matches!(self.byte(self.start(node)), Some(b'"' | b'\'')) {
            return 0;
        }
        let newlines = s.text.len() - s.text.trim_end_matches('\n').len();
        newlines.saturating_sub(1)
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

    pub fn edits(&self, placed: &Placed<'_>) -> Result<Vec<Edit>, Refusal> {
        let depth = placed.depth;
        match &placed.action {
            Action::AddToMap { map, entries } => {
                let at = self.content_start(map)?;
                if self.byte(at) == Some(b'{') {
                    return flow_edit::add_entries(self, at, entries, depth);
                }
                let indent = self.column_of(at);
                let end = self.block_end(map, indent);
                let mut lines = Vec::new();
                block_entries(entries, indent, self.style, &mut lines);
                Ok(vec![self.insert_lines(end, &lines, depth)])
            }
            Action::AppendToSeq { seq, items } => {
                let first = seq.as_seq().and_then(|s| s.first());
                // A list that starts where its first item does is a block
                // list (the parser puts an indentless `key:` / `- x` list
                // there), whatever that item is: an alias (`- *m`) is not
                // edited, a flow item (`- [x]`) is not the list.
                let block = first.is_some_and(|f| self.start(f) == self.start(seq));
                if !block {
                    let at = self.content_start(seq)?;
                    if self.byte(at) == Some(b'[') {
                        return flow_edit::append_items(self, at, items, depth);
                    }
                }
                let first = first.ok_or_else(|| Refusal::at(seq.line, "empty block sequence"))?;
                // The `-` is found from where the item starts as written:
                // at its anchor or tag, which may be alone on the `-` line
                // (`- &m`, the keys below), or at its alias (`- *m`, which
                // is not edited: the new item goes after it).
                let (dash, content) = self.dash_of(self.start(first))?;
                let mut lines = Vec::new();
                block_items(items, dash, content, self.style, &mut lines);
                let end = self.block_end(seq, dash);
                Ok(vec![self.insert_lines(end, &lines, depth)])
            }
            Action::Replace { node, owner, value } => self.replace(node, *owner, value, depth),
        }
    }

    /// The indentation of a block list item's `-` and how far after it the
    /// item's content starts, from where the content is: `- name: a`, or a
    /// `-` alone on the line above it.
    fn dash_of(&self, item_at: usize) -> Result<(usize, usize), Refusal> {
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
                // `-` alone, or followed by a comment (`- # the app`).
                let dash_alone = text.trim_start().strip_prefix('-').is_some_and(|rest| {
                    rest.is_empty() || (rest.starts_with([' ', '\t']) && is_blank_or_comment(rest))
                });
                if dash_alone && before.len() > indent_of(text) {
                    let dash = indent_of(text);
                    return Ok((dash, before.len() - dash));
                }
            }
        }
        Err(Refusal::at(
            line,
            "cannot find the `-` of this list item; add the item by hand",
        ))
    }

    /// Where a scalar is written: its token (quotes included; empty for a
    /// value left out, `key:`) and the anchor and tag before it.
    fn scalar_extent(&self, node: &Node) -> Result<Extent, Refusal> {
        let start = self.start(node);
        if self.byte(start) == Some(b'*') {
            return Err(Refusal::at(node.line, ALIAS));
        }
        let props = self.props(start);
        let line_end = self.text.line_start(node.line) + self.text.line(node.line).len();
        let unsupported = || {
            Refusal::at(
                node.line,
                "the value spans lines or has an unusual form; change it by hand",
            )
        };
        let text = node.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
        let plain_empty = node.as_scalar().is_some_and(|s| s.plain) && text.is_empty();
        let mut at = props.end;
        if props.anchor.is_none() && props.tag.is_none() {
            if plain_empty && self.byte(at) == Some(b':') {
                // An empty value is reported at its key's colon.
                at += 1;
            }
        } else {
            let mut next = at;
            while matches!(self.byte(next), Some(b' ' | b'\t')) {
                next += 1;
            }
            match self.byte(next) {
                // Props alone (`key: &a`, `key: !!null`, `{key: !!null }`):
                // the value is empty and sits right after them.
                Some(b'\r' | b'\n' | b'#' | b',' | b'}' | b']') | None if plain_empty => {}
                // A value on a line of its own below its props.
                Some(b'\r' | b'\n' | b'#') | None => return Err(unsupported()),
                _ => at = next,
            }
        }
        let rest = self.slice(at, line_end.max(at), node.line)?;
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
                if !rest.starts_with(text) {
                    return Err(unsupported());
                }
                text.len()
            }
        };
        Ok(Extent {
            at,
            len,
            anchor: props.anchor,
            tag: props.tag,
        })
    }

    /// Whether `*name` (the alias of the anchor written `&name` at
    /// `anchor`) occurs anywhere in the file. Textual, so an alias-like
    /// word in a string or comment counts too: that only refuses an edit
    /// that might have been safe, never allows a wrong one.
    fn anchor_is_used(&self, anchor: &std::ops::Range<usize>) -> bool {
        let src = self.text.src;
        let Some(name) = src.get(anchor.start + 1..anchor.end) else {
            return true;
        };
        let alias = format!("*{name}");
        src.match_indices(&alias).any(|(i, _)| {
            src.as_bytes()
                .get(i + alias.len())
                .is_none_or(|b| b" \t\r\n,[]{}".contains(b))
        })
    }

    /// Whether the flow collection `node` opens and closes on one line.
    fn on_one_line(&self, node: &Node) -> bool {
        let Ok(open) = self.content_start(node) else {
            return false;
        };
        if !matches!(self.byte(open), Some(b'{' | b'[')) {
            return false;
        }
        flow_edit::closing_bracket(self.text.src, open)
            .is_some_and(|close| self.text.line_of_offset(close) == self.text.line_of_offset(open))
    }

    fn replace(
        &self,
        node: &Node,
        owner: Option<&Node>,
        value: &New,
        depth: usize,
    ) -> Result<Vec<Edit>, Refusal> {
        let Extent {
            at,
            len,
            anchor,
            tag,
        } = self.scalar_extent(node)?;
        // An anchor stays on the new value (the text around it is kept), which
        // is harmless unless an alias refers to it: every `*name` would then
        // mean the new value instead of the old one. That is refused.
        if let Some(a) = &anchor
            && self.anchor_is_used(a)
        {
            let name = self.slice(a.start, a.end, node.line)?;
            return Err(Refusal::at(
                node.line,
                format!(
                    "the value to replace carries the anchor {name} that an alias refers to; \
                     replacing it would change the alias too: change it by hand"
                ),
            ));
        }
        let mut out = Vec::new();
        if let Some(t) = &tag {
            // The tag typed the old value (`!!null`); left in front of the
            // new one it would contradict it (`!!null [...]` is invalid).
            // It goes with the space before it.
            let space =
                usize::from(t.start > 0 && matches!(self.byte(t.start - 1), Some(b' ' | b'\t')));
            out.push(Edit {
                offset: t.start - space,
                delete: t.end - t.start + space,
                insert: String::new(),
                depth,
            });
        }
        let in_flow = match owner {
            Some(o) => self.byte(self.content_start(o)?) == Some(b'{'),
            None => true,
        };
        let collection = matches!(value, New::Map(_) | New::Seq(_));
        if matches!(self.dialect, Dialect::Json(_)) || in_flow || !collection {
            // In an object written on one line (`jq -c` output, one object
            // per line), the value stays on that line, as added members do.
            let text = match owner {
                Some(o) if self.on_one_line(o) => flow_edit::render_inline(self, value),
                _ => flow_edit::render_value(self, value, self.text.line(node.line)),
            };
            // Nothing written (`key:`, or props just removed): a space first.
            let text = if len == 0 { format!(" {text}") } else { text };
            out.push(Edit {
                offset: at,
                delete: len,
                insert: text,
                depth,
            });
            return Ok(out);
        }
        // A block `key:` with a null value: the value's lines go below the key.
        let owner = owner.ok_or_else(|| Refusal::at(node.line, "value without a key"))?;
        let key_indent = self.column_of(self.content_start(owner)?);
        let line_end = self.text.line_start(node.line) + self.text.line(node.line).len();
        let after = self.slice(at + len, line_end, node.line)?;
        if !crate::text::is_blank_or_comment(after) {
            return Err(Refusal::at(node.line, "unexpected text after the value"));
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
        out.push(self.insert_lines(node.line, &lines, depth));
        if len > 0 {
            // Drop `~`/`null` and the space before it.
            let space = usize::from(self.slice(0, at, node.line)?.ends_with(' '));
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

const ALIAS: &str = "the node is an alias (*…) of another: edit its anchor by hand";

/// Byte ranges of a scalar as written.
struct Extent {
    /// Start of the token (just past the props when it is empty).
    at: usize,
    len: usize,
    anchor: Option<std::ops::Range<usize>>,
    tag: Option<std::ops::Range<usize>>,
}

/// A node's properties: where its anchor and tag are, and where they end.
struct Props {
    anchor: Option<std::ops::Range<usize>>,
    tag: Option<std::ops::Range<usize>>,
    end: usize,
}

/// The child holding the node that starts last.
fn last_child(node: &Node) -> Option<&Node> {
    match &node.value {
        Value::Scalar(_) => None,
        Value::Seq(items) => items.iter().max_by_key(|n| max_line(n)),
        Value::Map(entries) => entries
            .iter()
            .max_by_key(|e| max_line(&e.value))
            .map(|e| &e.value),
    }
}

/// The node of the subtree that starts last.
fn last_node(node: &Node) -> &Node {
    match last_child(node) {
        Some(n) if max_line(n) >= node.line => last_node(n),
        _ => node,
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
