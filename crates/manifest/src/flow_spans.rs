//! Where a YAML text's flow collections are, found without parsing it, so
//! one too long for the YAML parser is refused before the parser sees it.
//!
//! The YAML parser (saphyr) holds every token of a flow collection that
//! starts where an implicit key may (`[a, b]: c`) until the collection
//! closes: inside a flow collection it never gives that possibility up.
//! A token costs about a hundred bytes and a scalar its own allocation, so
//! 3.9 MB of `- [1,1,…]` took 725 MB, where the same list as a key's value
//! (which cannot be a key, so streams) took 27 MB. JSON text never reaches
//! that parser (see [`crate::json_events`]); this lexer bounds what does.
//!
//! It follows the parser's tokenizer as far as telling structure from
//! scalar content needs: a bracket counts where a token starts and inside
//! flow collections; quoted scalars, comments, block scalars and the
//! continuation lines of plain scalars are skipped by the parser's own
//! rules, with its stack of block indentation, its line breaks (a lone
//! `\r` too) and its byte order marks. Those rules must be followed
//! exactly, not approximated on the side of scanning more: a line of
//! scalar content read as tokens can hold a quote that swallows the real
//! tokens after it, and with them a collection the parser holds (a
//! red-team pass found six such bypasses; `tests/flow_spans.rs` keeps
//! them). Where the lexer does read more than the parser, it is after a
//! point where the parser stops with an error, and it only reports more.
//!
//! Only a text longer than the limit is scanned for that, so ordinary
//! documents never are; a 16 MB List of Deployments in block YAML took
//! 98 ms here, against 0.92 s for the parser's events alone. (A text the
//! parser refused for a flow collection's indentation is scanned too, to
//! re-indent its collections: see [`crate::flow_indent`].)

use std::ops::Range;

/// The flow collections of a text that start in block context, in order.
pub struct FlowSpans<'a> {
    b: &'a [u8],
    pos: usize,
    /// `pos` is at the start of a line.
    at_line_start: bool,
    /// Offset of the current line's first byte.
    line_start: usize,
    /// The columns of the open block collections, innermost last, kept as
    /// the parser keeps its indentation: a `-` or `?` opens one at its
    /// column, a `:` at its key's, unless one is open there or deeper; a
    /// token closes those deeper than its column; `---` closes all. A
    /// scalar's further lines must be indented more than the innermost.
    /// One entry a level, as in the parser (`- - - …` on one line opens a
    /// level every two bytes, which the parser's own stack holds too).
    indents: Vec<usize>,
    /// Column of the first token since the line's start or the last `-`,
    /// `?` or `:` indicator: where a key the parser holds begins (at a
    /// tag or anchor before the scalar, if any).
    key_col: Option<usize>,
    /// Lines the scalar that ended the previous line goes on over.
    skip: Skip,
    /// A token here may begin an implicit key: at a line's start, after
    /// `- `, `? `, or a `: ` that begins its line (the value of an explicit
    /// key). Not after `---` or the `: ` of a key on the same line, where
    /// the parser knows the value cannot be a key and holds nothing. Tags,
    /// anchors and scalars keep it: the key the parser holds open may be
    /// the first of them.
    key_allowed: bool,
}

/// One flow collection in block context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSpan {
    /// From the opening bracket to just after its closing one, or to the
    /// end of the text.
    pub range: Range<usize>,
    /// The longest collection within (perhaps this one) that starts where
    /// an implicit key may: the parser holds all of its tokens until it
    /// closes, and the memory it takes grows with its length.
    pub queued: Option<Range<usize>>,
}

/// A scalar whose content may go on over the following lines.
#[derive(Clone, Copy)]
enum Skip {
    None,
    /// A plain scalar: lines indented more than `parent` continue it,
    /// unless a comment or a `: ` interrupts it.
    Plain {
        parent: isize,
    },
    /// A block scalar (`|`, `>`): its indentation is set by its header's
    /// indicator (`|2`) or else by its first content line (or by a longer
    /// blank line before it), and every line indented at least that much
    /// is content, comments included.
    Block {
        parent: isize,
        longest_blank: usize,
        indent: Option<usize>,
    },
}

impl<'a> FlowSpans<'a> {
    pub fn new(text: &'a str) -> Self {
        FlowSpans {
            b: text.as_bytes(),
            pos: 0,
            at_line_start: true,
            line_start: 0,
            indents: Vec::new(),
            key_col: None,
            skip: Skip::None,
            key_allowed: true,
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// Where the line holding `from` ends: at its line break or the end
    /// of the text.
    fn line_end(&self, from: usize) -> usize {
        self.b[from..]
            .iter()
            .position(|&c| is_break(c))
            .map_or(self.b.len(), |n| from + n)
    }

    /// Just after the line break at `end` (`\r\n` is one break), or the
    /// end of the text.
    fn after_break(&self, end: usize) -> usize {
        let n = if self.b.get(end..end + 2) == Some(b"\r\n") {
            2
        } else {
            1
        };
        (end + n).min(self.b.len())
    }

    fn column(&self, i: usize) -> usize {
        i - self.line_start
    }

    /// White space, a line end or the end of the text at `i`: what makes
    /// `-`, `?` and `:` indicators.
    fn blank_at(&self, i: usize) -> bool {
        self.at(i).is_none_or(is_blank)
    }

    /// `---` or `...` at `i`, followed by white space or the end.
    fn marker_at(&self, i: usize) -> bool {
        let three = self.b.get(i..i + 3);
        (three == Some(b"---") || three == Some(b"...")) && self.blank_at(i + 3)
    }

    /// Whether the line `start..end`, indented `spaces`, is content of the
    /// scalar that ended an earlier line (and updates what is known of it).
    fn continues_scalar(&mut self, start: usize, end: usize, spaces: usize) -> bool {
        let line = &self.b[start..end];
        match &mut self.skip {
            Skip::None => false,
            Skip::Plain { parent } => {
                if line.iter().all(|&c| is_blank(c)) {
                    return true;
                }
                if spaces as isize <= *parent {
                    return false;
                }
                match interruption(&line[spaces..]) {
                    None => true,
                    // The text before the comment is the scalar's; the
                    // comment ends it.
                    Some(b'#') => {
                        self.skip = Skip::None;
                        true
                    }
                    // A `: ` after text is an error to the parser, which
                    // holds nothing after it; one first on the line is an
                    // explicit key's value, read as tokens.
                    Some(_) => false,
                }
            }
            Skip::Block {
                parent,
                longest_blank,
                indent,
            } => {
                // The parser counts only spaces as indentation here: a line
                // holding a tab is a content line, however blank it looks.
                if line.iter().all(|&c| c == b' ') {
                    let len = line.iter().take_while(|&&c| c == b' ').count();
                    *longest_blank = (*longest_blank).max(len);
                    return true;
                }
                match *indent {
                    Some(m) => spaces >= m,
                    None => {
                        let floor = usize::try_from(*parent + 1).unwrap_or(0);
                        let m = spaces.max(*longest_blank).max(floor);
                        *indent = Some(m);
                        spaces == m
                    }
                }
            }
        }
    }

    /// Reads the indentation of the line at `pos` and decides whether the
    /// line is scanned at all.
    fn start_line(&mut self) {
        let mut start = self.pos;
        // A byte order mark at a line's start is a token of its own to the
        // parser, taking no column: it ends a plain or block scalar (even
        // one of indentation 0) and lets a key start after it.
        while self.b[start..].starts_with(BOM) {
            start += BOM.len();
            self.skip = Skip::None;
            self.indents.clear();
        }
        let end = self.line_end(start);
        let next_line = self.after_break(end);
        let spaces = self.b[start..end]
            .iter()
            .take_while(|&&c| c == b' ')
            .count();
        let marker = spaces == 0 && self.marker_at(start);
        if !marker && self.continues_scalar(start, end, spaces) {
            self.pos = next_line;
            return;
        }
        self.skip = Skip::None;
        self.line_start = start;
        self.key_col = None;
        self.key_allowed = true;
        self.at_line_start = false;
        if spaces == 0 && self.at(start) == Some(b'%') {
            // A directive (`%YAML 1.2`); no token starts with `%`.
            self.pos = next_line;
            self.at_line_start = true;
            self.indents.clear();
        } else if marker {
            // `---` may be followed by the document's root node.
            self.pos = start + 3;
            self.indents.clear();
            self.key_allowed = false;
        } else {
            self.pos = start + spaces;
        }
    }

    /// The indentation a scalar's further lines must exceed: its parent
    /// collection's column, or -1 at the document's root.
    fn scalar_parent(&self) -> isize {
        self.indents.last().map_or(-1, |&c| c as isize)
    }

    /// Opens a block collection at `col` unless one is open there or
    /// deeper.
    fn open_block(&mut self, col: usize) {
        if self.indents.last().is_none_or(|&top| top < col) {
            self.indents.push(col);
        }
    }

    /// The end of the quoted scalar opening at `i` (just after its closing
    /// quote), or of the text. Quoted scalars may span lines.
    fn quoted_end(&self, i: usize) -> usize {
        let quote = self.b[i];
        let mut j = i + 1;
        while let Some(c) = self.at(j) {
            match c {
                b'\\' if quote == b'"' => j += 2,
                c if c == quote => {
                    if quote == b'\'' && self.at(j + 1) == Some(b'\'') {
                        j += 2;
                    } else {
                        return j + 1;
                    }
                }
                _ => j += 1,
            }
        }
        self.b.len()
    }

    /// The end of the tag, anchor or alias at `i`. A verbatim tag
    /// (`!<…>`) may hold brackets and commas; the others end at white
    /// space or a flow indicator.
    fn property_end(&self, i: usize) -> usize {
        if self.b[i] == b'!' && self.at(i + 1) == Some(b'<') {
            return self.b[i..]
                .iter()
                .position(|&c| c == b'>' || is_blank(c))
                .map_or(self.b.len(), |n| i + n + 1);
        }
        i + 1
            + self.b[i + 1..]
                .iter()
                .take_while(|&&c| !is_blank(c) && !is_flow(c))
                .count()
    }

    /// Reads the flow collection opening at `i` (`key` if it starts where
    /// a key may): where it ends, and the longest collection in it that
    /// the parser holds whole. Inside a flow collection a key may start
    /// after `[`, `{`, `,` and `? ` (`[a: b]` is a sequence of one pair),
    /// so a collection nested there is held whole too, even when the
    /// outermost one is not (`args: [x, [...]]`).
    fn flow(&self, i: usize, key: bool) -> FlowSpan {
        // Depth of nesting, and the outermost open collection that may be
        // a key, with its depth: one nested in it is shorter, so no stack
        // of open collections is kept (`[[[[…` would cost one entry a
        // byte, past the parser, which stops at 255 levels).
        let mut depth = 0usize;
        let mut open_key: Option<(usize, usize)> = None;
        let mut queued: Option<Range<usize>> = None;
        let mut note = |r: Range<usize>| {
            if queued.as_ref().is_none_or(|q| r.len() > q.len()) {
                queued = Some(r);
            }
        };
        let mut key_allowed = key;
        let mut j = i;
        let mut in_plain = false;
        // The last token was quoted or a collection: a `:` right after it
        // is a value indicator, as in JSON (`{"a":1}`). The parser looks
        // for that `:` past blanks and comments, and past line breaks too
        // after a quoted scalar, but not after a collection.
        let mut json_like = false;
        let mut json_like_across_lines = false;
        while let Some(c) = self.at(j) {
            if is_break(c) {
                // Not even a document marker ends a flow collection: the
                // parser goes on holding what follows until it closes.
                j = self.after_break(j);
                json_like &= json_like_across_lines;
                continue;
            }
            if in_plain {
                // A plain scalar ends at a flow indicator, a `:` before
                // white space or one, or a ` #`; it may span lines.
                let ends = is_flow(c)
                    || (c == b':' && self.at(j + 1).is_none_or(|n| is_blank(n) || is_flow(n)))
                    || (c == b'#' && is_blank(self.b[j - 1]));
                if !ends {
                    j += 1;
                    continue;
                }
                in_plain = false;
            }
            let was_json_like = std::mem::replace(&mut json_like, false);
            match c {
                b'[' | b'{' => {
                    depth += 1;
                    if key_allowed && open_key.is_none() {
                        open_key = Some((j, depth));
                    }
                    key_allowed = true;
                    j += 1;
                }
                b']' | b'}' => {
                    j += 1;
                    if let Some((start, at)) = open_key
                        && at == depth
                    {
                        note(start..j);
                        open_key = None;
                    }
                    depth -= 1;
                    if depth == 0 {
                        return FlowSpan {
                            range: i..j,
                            queued,
                        };
                    }
                    json_like = true;
                    json_like_across_lines = false;
                }
                b'"' | b'\'' => {
                    j = self.quoted_end(j);
                    json_like = true;
                    json_like_across_lines = true;
                }
                b'#' => {
                    // The parser allows the adjacent `:` after comments too.
                    json_like = was_json_like;
                    j = self.line_end(j);
                }
                c if is_blank(c) => {
                    json_like = was_json_like;
                    j += 1;
                }
                b',' => {
                    key_allowed = true;
                    j += 1;
                }
                b'?' if self.blank_at(j + 1) => {
                    key_allowed = true;
                    j += 1;
                }
                b':' if was_json_like
                    || self.at(j + 1).is_none_or(|n| is_blank(n) || is_flow(n)) =>
                {
                    key_allowed = false;
                    j += 1;
                }
                b'!' | b'&' | b'*' => j = self.property_end(j),
                _ => {
                    in_plain = true;
                    j += 1;
                }
            }
        }
        // Never closed: the parser holds on to the end.
        if let Some((start, _)) = open_key {
            note(start..j);
        }
        FlowSpan {
            range: i..j,
            queued,
        }
    }

    /// The indentation indicator (`|2`, `>-4`, `|1+`) of the block scalar
    /// header whose indicators start at `i`: it sets the indentation of
    /// the content, which no first line then changes.
    fn block_indent_indicator(&self, i: usize) -> Option<usize> {
        let first = self.at(i)?;
        let digit = if matches!(first, b'+' | b'-') {
            self.at(i + 1)?
        } else {
            first
        };
        // `0` is an error to the parser; nothing is held after it.
        matches!(digit, b'1'..=b'9').then(|| usize::from(digit - b'0'))
    }

    /// Goes on from `end`, where a token that began at `start` ended,
    /// perhaps on a later line.
    fn resume_at(&mut self, start: usize, end: usize) {
        if let Some(nl) = self.b[start..end].iter().rposition(|&c| is_break(c)) {
            self.line_start = start + nl + 1;
        }
        self.pos = end;
    }

    /// Reads a plain scalar starting at `pos` in block context: up to a
    /// `: ` (a key; the indicator is read next), a ` #` (a comment ends it
    /// for good), or the line's end (a value that deeper lines continue).
    fn plain(&mut self) {
        // Not `line_end` first: a line of many `a: ` keys would be scanned
        // to its end once per key.
        let mut j = self.pos;
        while let Some(c) = self.at(j).filter(|&c| !is_break(c)) {
            if (c == b':' && self.blank_at(j + 1)) || (c == b'#' && is_blank(self.b[j - 1])) {
                self.pos = j;
                return;
            }
            j += 1;
        }
        self.skip = Skip::Plain {
            parent: self.scalar_parent(),
        };
        self.pos = j;
    }
}

impl Iterator for FlowSpans<'_> {
    type Item = FlowSpan;

    fn next(&mut self) -> Option<FlowSpan> {
        while let Some(c) = self.at(self.pos) {
            if self.at_line_start {
                self.start_line();
                continue;
            }
            // Block context, where a token may start.
            let i = self.pos;
            if is_break(c) {
                self.pos = self.after_break(i);
                self.at_line_start = true;
                continue;
            }
            if is_blank(c) {
                self.pos += 1;
                continue;
            }
            if c == b'#' {
                self.pos = self.line_end(i);
                continue;
            }
            // A token closes the block collections deeper than its column.
            let col = self.column(i);
            while self.indents.last().is_some_and(|&top| top > col) {
                self.indents.pop();
            }
            match c {
                b'-' | b'?' | b':' if self.blank_at(i + 1) => {
                    self.open_block(match c {
                        b':' => self.key_col.unwrap_or(col),
                        _ => col,
                    });
                    self.key_allowed = c != b':' || self.key_col.is_none();
                    self.key_col = None;
                    self.pos += 1;
                    continue;
                }
                b'|' | b'>' => {}
                _ => {
                    self.key_col.get_or_insert(col);
                }
            }
            match c {
                b'[' | b'{' => {
                    let span = self.flow(i, self.key_allowed);
                    self.resume_at(i, span.range.end);
                    return Some(span);
                }
                b'"' | b'\'' => {
                    let end = self.quoted_end(i);
                    self.resume_at(i, end);
                }
                b'|' | b'>' => {
                    // A block scalar; its header is the rest of the line.
                    let parent = self.scalar_parent();
                    self.skip = Skip::Block {
                        parent,
                        longest_blank: 0,
                        indent: self.block_indent_indicator(i + 1).map(|n| {
                            // As the parser counts: from the parent's
                            // column, or from 0 at the root.
                            usize::try_from(parent).map_or(n, |p| p + n)
                        }),
                    };
                    self.pos = self.line_end(i);
                }
                b'!' | b'&' | b'*' => self.pos = self.property_end(i),
                b']' | b'}' | b',' => self.pos += 1,
                _ => self.plain(),
            }
        }
        None
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();

/// A line break to the parser: a lone `\r` ends a line as `\n` does.
fn is_break(c: u8) -> bool {
    matches!(c, b'\r' | b'\n')
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_flow(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// What first stops a plain scalar on a line going on over it (from the
/// line's first non-space): `#`, a comment; `:`, a value indicator.
fn interruption(line: &[u8]) -> Option<u8> {
    line.iter().enumerate().find_map(|(j, &c)| match c {
        b'#' if j == 0 || is_blank(line[j - 1]) => Some(c),
        b':' if line.get(j + 1).is_none_or(|&n| is_blank(n)) => Some(c),
        _ => None,
    })
}

/// The first flow collection of `text` the parser would queue that is
/// longer than `limit` bytes.
pub fn first_longer_than(text: &str, limit: usize) -> Option<Range<usize>> {
    if text.len() <= limit {
        return None;
    }
    FlowSpans::new(text)
        .filter_map(|s| s.queued)
        .find(|q| q.len() > limit)
}

#[cfg(test)]
mod tests {
    use super::FlowSpans;

    fn spans(text: &str) -> Vec<&str> {
        FlowSpans::new(text).map(|s| &text[s.range]).collect()
    }

    fn queued(text: &str) -> Vec<&str> {
        FlowSpans::new(text)
            .filter_map(|s| s.queued)
            .map(|q| &text[q])
            .collect()
    }

    #[test]
    fn only_collections_where_a_key_may_start_are_queued() {
        let text = "[a]: [b]\nc: [d]\n- [e]\n- f: [g]\n? [h]\n: [i]\n&x [j]\n\"k\": {l}\n--- [m]\n";
        assert_eq!(spans(text).len(), 10);
        assert_eq!(queued(text), ["[a]", "[e]", "[h]", "[i]", "[j]"]);
        // Within a collection, after `[`, `{`, `,` or `? `: the longest.
        let text = "a: [x, [y, z], [1]]\nb: {k: [a, value], [w]: 1}\nc: [{? [q]: 1}]\n";
        assert_eq!(queued(text), ["[y, z]", "[w]", "{? [q]: 1}"]);
    }

    #[test]
    fn collections_in_block_context_are_found_whole() {
        let text = "a: [1, [2, 3]]\nb:\n- {x: 1, y: [2]}\n- - [z]\n";
        assert_eq!(spans(text), ["[1, [2, 3]]", "{x: 1, y: [2]}", "[z]"]);
        // Across lines, with comments and quotes holding brackets.
        let text = "a: [1, # ] not the end\n  \"]\", ']''', 2]\nb: 1\n";
        assert_eq!(spans(text), ["[1, # ] not the end\n  \"]\", ']''', 2]"]);
        // After `---`, tags, anchors, and as a key.
        let text = "--- !!seq &a [1]\n[k]: {v: 1}\n";
        assert_eq!(spans(text), ["[1]", "[k]", "{v: 1}"]);
        // Unclosed: to the end of the text.
        assert_eq!(spans("a: [1, 2\n"), ["[1, 2\n"]);
    }

    #[test]
    fn brackets_in_scalars_are_not_collections() {
        let text =
            "a: x [1]\nb: \"[2]\"\nc: '[3]'\nd: |\n  [4\n  e: [5]\ne: >-\n  {6\n# [7]\nf: g#[8]\n";
        assert!(spans(text).is_empty(), "{:?}", spans(text));
        // A plain scalar's continuation lines are the scalar's.
        let text = "a: some text\n  [more text\n  - and more\nb: 1\n";
        assert!(spans(text).is_empty(), "{:?}", spans(text));
        // In flow context a plain scalar may hold quotes, not brackets.
        assert_eq!(spans("a: [x \"], y]\n"), ["[x \"]"]);
        // A verbatim tag may hold a bracket.
        assert_eq!(spans("a: [!<tag:x]> b, c]\n"), ["[!<tag:x]> b, c]"]);
    }

    #[test]
    fn a_scalar_interrupted_leaves_the_next_lines_to_be_scanned() {
        // A comment ends a plain scalar: the deeper line is read as tokens
        // (an error to the parser, but only after it queued the collection).
        assert_eq!(spans("a: b #c\n  [1, 2]\n"), ["[1, 2]"]);
        assert_eq!(spans("a: b\n  # c\n  [1, 2]\n"), ["[1, 2]"]);
        // A `: ` after text ends it too: the parser then stops with an
        // error, and what the lexer reads after is only over-reported.
        assert_eq!(spans("a: b\n  c: [1]\n"), ["[1]"]);
        // A block scalar ends at its first less indented line: the first
        // content line (or a longer blank line before it) sets the indent.
        assert_eq!(spans("a: |\n    x\n  [1]\n"), ["[1]"]);
        assert_eq!(spans("a: |\n      \n  [1]\n"), ["[1]"]);
        // A line holding a tab is not blank to the block scalar.
        assert_eq!(spans("a: |\n\t\n  [1]\n"), ["[1]"]);
        // A quoted scalar after another is a token, not plain text.
        assert_eq!(spans("a: [\"x\" \"],[\" ]\n"), ["[\"x\" \"],[\" ]"]);
        // The adjacent `:` after a JSON-like key, across a comment.
        assert_eq!(spans("{\"a\" #c\n:\"}\"}\n"), ["{\"a\" #c\n:\"}\"}"]);
    }

    #[test]
    fn the_root_block_scalar_holds_the_whole_document() {
        assert!(spans("--- |\n[1]\n{2}\n").is_empty());
        assert_eq!(spans("--- |\n[1]\n---\n[2]\n"), ["[2]"]);
    }
}
