//! A YAML/JSON document as a tree of nodes that remember their line, built
//! from parser events with every limit enforced while building: nesting
//! depth, and the number of nodes aliases may expand to.
//!
//! Documents whose top-level `kind` is of no interest are parsed (so syntax
//! errors are still reported) but not built, which keeps large CRD bundles
//! cheap.

use crate::flow_indent;
use crate::flow_spans;
use crate::json_events::JsonEvents;
use crate::limits::Limits;
use crate::map_keys::MapKeys;
use crate::offsets::Offsets;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// One node and where it starts (1-based line and column in the file).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub column: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_line: usize,
    pub value: Node,
}

/// A scalar as written: its text and whether it was plain (unquoted, so
/// subject to YAML 1.1 type resolution as Kubernetes' YAML reader does it).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
    /// An explicit core tag (`!!str`, `!!int`, …) without the `!!`.
    pub tag: Option<String>,
}

impl Node {
    /// The entry `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Counts this node and everything below it.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(_) => 0,
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| 1 + e.value.count()).sum(),
        }
    }
}

/// A parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based line where the document starts.
    pub line: usize,
    /// The tree; `None` when the document was skipped (see `kind`) or empty.
    pub root: Option<Node>,
    /// The top-level `kind`, when it is a plain string.
    pub kind: Option<String>,
}

/// Why a document could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub kind: TreeErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeErrorKind {
    Syntax,
    Limit,
    /// A mapping used as a key: `{{ .Values.x }}` parses that way.
    ComplexKey,
    DuplicateKey,
    /// A syntax error inside a flow collection whose lines are not indented
    /// past its block, which kubectl does not check (see
    /// [`crate::flow_indent`]).
    FlowIndentation,
}

enum Frame {
    Seq {
        node_line: usize,
        node_col: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        node_line: usize,
        node_col: usize,
        anchor: usize,
        entries: Vec<Entry>,
        /// The keys of `entries`, hashed once there are many.
        keys: MapKeys,
        key: Option<(String, usize, bool)>,
        /// Each merge key's value, with the number of entries written
        /// above it.
        merges: Vec<(Node, usize)>,
    },
}

/// Where a text handed to [`parse_documents_at`] starts in its file. A
/// chunk starts at the beginning of a line; a JSON value that follows
/// another on the same line (`{…}{…}`) starts in the middle of one, so the
/// columns of the text's first line are shifted as well.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    /// Added to every line: the file line of the text's first line, minus one.
    pub line_offset: usize,
    /// Added to the columns of the text's first line only.
    pub column_offset: usize,
}

impl Origin {
    /// The 1-based line and column (in characters, lines as the YAML
    /// parser counts them) in the file of byte `at` of `text`, a text that
    /// starts at this origin.
    pub fn position_of(&self, text: &str, at: usize) -> (usize, usize) {
        let o = Offsets::new(text, self.line_offset + 1).origin(at);
        let shift = if o.line_offset == self.line_offset {
            self.column_offset
        } else {
            0
        };
        (o.line_offset + 1, o.column_offset + 1 + shift)
    }

    /// A parser position (1-based line, 0-based column in the text) as the
    /// 1-based line and column in the file.
    fn position(&self, m: &Marker) -> (usize, usize) {
        let shift = if m.line() == 1 { self.column_offset } else { 0 };
        (m.line() + self.line_offset, m.col() + 1 + shift)
    }
}

/// Builds the documents of one chunk of text.
///
/// `line_offset` is added to every line (the chunk's first line minus one);
/// `keep` decides from the top-level `kind` whether a document is built.
pub fn parse_documents(
    text: &str,
    line_offset: usize,
    limits: &Limits,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Document>, TreeError> {
    let origin = Origin {
        line_offset,
        column_offset: 0,
    };
    parse_documents_at(text, origin, limits, keep)
}

/// [`parse_documents`] for a text that may start in the middle of a line.
pub fn parse_documents_at(
    text: &str,
    origin: Origin,
    limits: &Limits,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Document>, TreeError> {
    if let Some(at) = first_unprintable(text) {
        return Err(unprintable(text, origin, at));
    }
    let max_flow = limits.max_flow_bytes();
    if let Some(span) = flow_spans::first_longer_than(text, max_flow) {
        return Err(flow_too_long(text, origin, span, max_flow));
    }
    let parsed = parse_reading_tabs_as_spaces(
        text,
        origin,
        |t| Builder::new(origin, limits, keep).run(Parser::new_from_str(t)),
        |e: &TreeError| (e.message == TAB_AFTER_COLON).then_some((e.line, e.column)),
    );
    match parsed {
        Some((done, t)) => done.map_err(|e| with_flow_hint(&t, origin, e)),
        None => Err(TreeError {
            line: origin.line_offset + 1,
            column: 0,
            message: format!(
                "more than {TABS_AFTER_COLON} values follow their `:` after a tab, not a space: write spaces"
            ),
            kind: TreeErrorKind::Syntax,
        }),
    }
}

/// `parse` of `text` (which starts at `origin`), retried on a copy with
/// the tabs after a mapping's `:` made spaces each time it fails at one
/// (`tab_at` reads the file line and column of such a failure): YAML 1.2
/// and kubectl allow that tab, the parser refuses it before a plain scalar
/// or `-`. The copy has the same bytes, so every position stays the
/// file's. The result comes with the text it was made from; `None` after
/// [`TABS_AFTER_COLON`] tries, each of which costs a parse.
pub fn parse_reading_tabs_as_spaces<'t, T, E>(
    text: &'t str,
    origin: Origin,
    mut parse: impl FnMut(&str) -> Result<T, E>,
    tab_at: impl Fn(&E) -> Option<(usize, usize)>,
) -> Option<(Result<T, E>, Cow<'t, str>)> {
    let mut t = Cow::Borrowed(text);
    for _ in 0..TABS_AFTER_COLON {
        let done = parse(&t);
        let spaced = done
            .as_ref()
            .err()
            .and_then(&tab_at)
            .and_then(|(line, column)| tab_as_space(&t, origin, line, column));
        match spaced {
            Some(copy) => t = Cow::Owned(copy),
            None => return Some((done, t)),
        }
    }
    None
}

/// The parser's error for a tab after a mapping's `:`.
pub const TAB_AFTER_COLON: &str = "':' must be followed by a valid YAML whitespace";

/// How many values of one text may follow their `:` after a tab.
pub const TABS_AFTER_COLON: usize = 32;

/// `text` with the tabs between the `:` and the position of the parser's
/// [`TAB_AFTER_COLON`] error (the value after them: 1-based file line and
/// column) made spaces; `None` when they are not there.
fn tab_as_space(text: &str, origin: Origin, line: usize, column: usize) -> Option<String> {
    let at = offset_of(text, origin, line, column)?;
    let before = &text[..at];
    let start = before.trim_end_matches([' ', '\t']).len();
    if !before[..start].ends_with(':') || !before[start..].contains('\t') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.extend(std::iter::repeat_n(' ', at - start));
    out.push_str(&text[at..]);
    Some(out)
}

/// The byte offset in `text` (which starts at `origin`) of a parser
/// position: 1-based file line and column in characters, lines broken as
/// the parser breaks them.
fn offset_of(text: &str, origin: Origin, line: usize, column: usize) -> Option<usize> {
    let (mut l, mut c) = (origin.line_offset + 1, origin.column_offset + 1);
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if (l, c) == (line, column) {
            return Some(i);
        }
        let lone_cr = ch == '\r' && chars.peek().map(|&(_, n)| n) != Some('\n');
        if ch == '\n' || lone_cr {
            (l, c) = (l + 1, 1);
        } else {
            c += 1;
        }
    }
    None
}

/// Where the first character is that YAML allows nowhere in a stream (not
/// `c-printable`: a C0 control but tab, LF and CR, DEL, a C1 control but
/// NEL, U+FFFE, U+FFFF), which kubectl's reader refuses in the whole file.
/// The YAML parser takes a NUL for the end of the text ("found unexpected
/// end of stream" inside a quoted scalar) and lets the others through in
/// quoted scalars.
fn first_unprintable(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().position(|(i, &b)| match b {
        0..=8 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f => true,
        0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f)),
        0xef => bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)),
        _ => false,
    })
}

/// The error for the character at byte `at` of `text`, which
/// [`first_unprintable`] found.
fn unprintable(text: &str, origin: Origin, at: usize) -> TreeError {
    let (line, column) = origin.position_of(text, at);
    let code = text[at..].chars().next().map_or(0, u32::from);
    TreeError {
        line,
        column,
        message: format!(
            "control character U+{code:04X} is not allowed in YAML (kubectl refuses it too); in a double-quoted string write it as \\u{code:04X}"
        ),
        kind: TreeErrorKind::Syntax,
    }
}

/// The parser's "invalid indentation" inside a flow collection, with the
/// collection and the rule (see [`crate::flow_indent`]).
fn with_flow_hint(text: &str, origin: Origin, mut e: TreeError) -> TreeError {
    // "invalid indentation", "… in flow construct", "… in quoted scalar".
    if e.kind != TreeErrorKind::Syntax || !e.message.starts_with("invalid indentation") {
        return e;
    }
    if let Some(start) = flow_indent::open_flow_at_error(text) {
        let (line, column) = origin.position(&start);
        e.message = format!(
            "{}, inside the flow collection ([…] or {{…}}) that starts at line {line}, column {column}: YAML 1.2 wants each of its lines, the closing bracket too, indented further than the key or `-` holding it (kubectl's parser does not check this)",
            e.message
        );
        e.kind = TreeErrorKind::FlowIndentation;
    }
    e
}

/// The error for a flow collection the YAML parser would hold whole in
/// memory (see [`crate::flow_spans`]), at its opening bracket.
fn flow_too_long(text: &str, origin: Origin, span: Range<usize>, limit: usize) -> TreeError {
    let (line, column) = origin.position_of(text, span.start);
    let closed = text[..span.end].ends_with([']', '}']);
    let what = if closed {
        format!("a flow collection ([…] or {{…}}) of {} bytes", span.len())
    } else {
        format!(
            "a flow collection ([…] or {{…}}) never closed, {} bytes to the end of the document",
            span.len()
        )
    };
    TreeError {
        line,
        column,
        message: format!(
            "{what}: the YAML parser holds a flow collection whole, at about 190 bytes of memory per byte, so one that is not JSON may have at most {limit} bytes (1/16 of --max-document-size); write it in block style or as JSON, or raise --max-document-size"
        ),
        kind: TreeErrorKind::Limit,
    }
}

/// [`parse_documents_at`] for the one JSON value of `text`, a text already
/// checked as JSON: the same tree, read without the YAML parser's cost
/// (see [`crate::json_events`]).
pub fn parse_json_at(
    text: &str,
    origin: Origin,
    limits: &Limits,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Document>, TreeError> {
    Builder::new(origin, limits, keep).run(JsonEvents::new(text))
}

/// See [`Builder::add_alias_nodes`]. Real manifests that share a block
/// through an anchor (an env list, a securityContext) copy hundreds of
/// nodes, not a hundred thousand.
const ALIAS_FLOOR: usize = 100_000;
const ALIAS_RATIO: usize = 10;

struct Builder<'a> {
    limits: &'a Limits,
    keep: &'a dyn Fn(&str) -> bool,
    origin: Origin,
    docs: Vec<Document>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes in the document so far, counting every node an alias copies.
    nodes: usize,
    /// Of those, the ones aliases copied.
    alias_nodes: usize,
    skipping: bool,
    doc_line: usize,
    kind: Option<String>,
    root: Option<Node>,
}

impl<'a> Builder<'a> {
    fn new(origin: Origin, limits: &'a Limits, keep: &'a dyn Fn(&str) -> bool) -> Builder<'a> {
        Builder {
            limits,
            keep,
            origin,
            docs: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            alias_nodes: 0,
            skipping: false,
            doc_line: 0,
            kind: None,
            root: None,
        }
    }

    /// A parser position (1-based line, 0-based column in the text) as the
    /// 1-based line and column in the file.
    fn at(&self, m: &Marker) -> (usize, usize) {
        self.origin.position(m)
    }

    fn err(&self, span: &Span, kind: TreeErrorKind, message: String) -> TreeError {
        let (line, column) = self.at(&span.start);
        TreeError {
            line,
            column,
            message,
            kind,
        }
    }

    /// Builds the documents of a parser's events: the YAML parser's, or
    /// [`JsonEvents`] for a text already checked as JSON.
    fn run<'t>(
        mut self,
        mut events: impl Iterator<Item = Result<(Event<'t>, Span), ScanError>>,
    ) -> Result<Vec<Document>, TreeError> {
        // Depth while skipping a document we do not build.
        let mut skip_depth = 0usize;
        loop {
            let (event, span) = match events.next() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    let (line, column) = self.at(e.marker());
                    // The parser counts `[`/`{` nesting in a byte and stops
                    // at 255, before `max_depth` (256 by default) is
                    // reached: a limit of hostile input like ours, not a
                    // syntax mistake, so it stops the reading as ours does.
                    let (kind, message) = if e.info() == "recursion limit exceeded" {
                        (
                            TreeErrorKind::Limit,
                            "nesting deeper than 255 levels of [ ] and { } (the YAML parser's limit)"
                                .to_string(),
                        )
                    } else {
                        (TreeErrorKind::Syntax, e.info().to_string())
                    };
                    return Err(TreeError {
                        line,
                        column,
                        message,
                        kind,
                    });
                }
            };
            if self.skipping {
                match event {
                    Event::SequenceStart(..) | Event::MappingStart(..) => {
                        skip_depth += 1;
                        if skip_depth > self.limits.max_depth {
                            return Err(self.depth_error(&span));
                        }
                    }
                    Event::SequenceEnd | Event::MappingEnd => {
                        skip_depth = skip_depth.saturating_sub(1)
                    }
                    Event::DocumentEnd => self.end_document(),
                    Event::StreamEnd => break,
                    _ => {}
                }
                continue;
            }
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    self.doc_line = self.at(&span.start).0;
                    self.kind = None;
                    self.root = None;
                    self.anchors.clear();
                    self.nodes = 0;
                    self.alias_nodes = 0;
                }
                Event::DocumentEnd => self.end_document(),
                Event::Alias(id) => {
                    let Some(n) = self.anchors.get(&id).map(|(_, n)| *n) else {
                        return Err(self.err(
                            &span,
                            TreeErrorKind::Syntax,
                            "alias refers to an unknown anchor".into(),
                        ));
                    };
                    // Counted before copying, so a bomb fails before it allocates.
                    self.add_alias_nodes(n, &span)?;
                    self.add_nodes(n, &span)?;
                    let Some(mut node) = self.anchors.get(&id).map(|(node, _)| node.clone()) else {
                        continue;
                    };
                    (node.line, node.column) = self.at(&span.start);
                    self.complete(node, 0, &span)?;
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.add_nodes(1, &span)?;
                    let tag = tag.and_then(|t| t.is_yaml_core_schema().then(|| t.suffix.clone()));
                    let (line, column) = self.at(&span.start);
                    // The parser reads a `|` or `>` block scalar inside a
                    // flow collection as a plain scalar holding the
                    // indicator ("| text"); no plain scalar may start with
                    // one, and kubectl's parser refuses it.
                    if style == ScalarStyle::Plain && text.starts_with(['|', '>']) {
                        return Err(TreeError {
                            line,
                            column,
                            message: "a block scalar (`|` or `>`) cannot be written inside a flow collection ([…] or {…}); quote the value, or write the collection in block style".into(),
                            kind: TreeErrorKind::Syntax,
                        });
                    }
                    let node = Node {
                        line,
                        column,
                        value: Value::Scalar(Scalar {
                            text: text.into_owned(),
                            plain: style == ScalarStyle::Plain,
                            tag,
                        }),
                    };
                    self.complete(node, anchor, &span)?;
                }
                Event::SequenceStart(anchor, _) => {
                    let (node_line, node_col) = self.at(&span.start);
                    self.push(
                        Frame::Seq {
                            node_line,
                            node_col,
                            anchor,
                            items: Vec::new(),
                        },
                        &span,
                    )?;
                }
                Event::MappingStart(anchor, _) => {
                    let (node_line, node_col) = self.at(&span.start);
                    self.push(
                        Frame::Map {
                            node_line,
                            node_col,
                            anchor,
                            entries: Vec::new(),
                            keys: MapKeys::default(),
                            key: None,
                            merges: Vec::new(),
                        },
                        &span,
                    )?;
                }
                Event::SequenceEnd => {
                    if let Some(Frame::Seq {
                        node_line,
                        node_col,
                        anchor,
                        items,
                    }) = self.stack.pop()
                    {
                        let node = Node {
                            line: node_line,
                            column: node_col,
                            value: Value::Seq(items),
                        };
                        self.complete(node, anchor, &span)?;
                    }
                }
                Event::MappingEnd => {
                    if let Some(Frame::Map {
                        node_line,
                        node_col,
                        anchor,
                        mut entries,
                        mut keys,
                        merges,
                        ..
                    }) = self.stack.pop()
                    {
                        apply_merges(&mut entries, &mut keys, merges)?;
                        let node = Node {
                            line: node_line,
                            column: node_col,
                            value: Value::Map(entries),
                        };
                        self.complete(node, anchor, &span)?;
                    }
                }
            }
            if self.skipping {
                // `complete` decided to skip the rest of this document: the
                // frames still open belong to it.
                skip_depth = self.stack.len();
                self.stack.clear();
            }
        }
        Ok(self.docs)
    }

    fn end_document(&mut self) {
        if self.doc_line == 0 {
            return;
        }
        // An empty document (`---` at the end of a file) is not an object.
        let root = self.root.take().filter(|r| {
            !matches!(&r.value, Value::Scalar(s) if crate::scalar::resolve(s) == crate::scalar::Resolved::Null)
        });
        self.docs.push(Document {
            line: self.doc_line,
            root,
            kind: self.kind.take(),
        });
        self.doc_line = 0;
        self.skipping = false;
        self.stack.clear();
        self.anchors.clear();
    }

    fn depth_error(&self, span: &Span) -> TreeError {
        self.err(
            span,
            TreeErrorKind::Limit,
            format!("nesting deeper than {} levels", self.limits.max_depth),
        )
    }

    fn push(&mut self, frame: Frame, span: &Span) -> Result<(), TreeError> {
        self.add_nodes(1, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.depth_error(span));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn add_nodes(&mut self, n: usize, span: &Span) -> Result<(), TreeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(self.err(
                span,
                TreeErrorKind::Limit,
                format!(
                    "document expands to more than {} nodes (an alias bomb?)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// Aliases may copy at most [`ALIAS_FLOOR`] nodes, or
    /// [`ALIAS_RATIO`] times the nodes written out, whichever is more: an
    /// alias bomb is a few hundred bytes that expand a millionfold, and
    /// would otherwise build `max_nodes` nodes (hundreds of MB) before the
    /// overall limit stops it. Like go-yaml's alias ratio, which the
    /// Kubernetes API server's own YAML reading uses.
    fn add_alias_nodes(&mut self, n: usize, span: &Span) -> Result<(), TreeError> {
        self.alias_nodes = self.alias_nodes.saturating_add(n);
        let written = self.nodes.saturating_sub(self.alias_nodes - n);
        let budget = ALIAS_FLOOR.max(written.saturating_mul(ALIAS_RATIO));
        if self.alias_nodes > budget {
            return Err(self.err(
                span,
                TreeErrorKind::Limit,
                format!(
                    "aliases expand to more than {budget} nodes, over {ALIAS_RATIO} times the {written} written out (an alias bomb?)"
                ),
            ));
        }
        Ok(())
    }

    /// Attaches a finished node to its parent (or makes it the root).
    fn complete(&mut self, node: Node, anchor: usize, span: &Span) -> Result<(), TreeError> {
        if anchor != 0 {
            let n = node.count();
            self.anchors.insert(anchor, (node.clone(), n));
        }
        let depth = self.stack.len();
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                keys,
                key,
                merges,
                ..
            } => match key.take() {
                None => {
                    let Value::Scalar(s) = node.value else {
                        return Err(self.err(
                            span,
                            TreeErrorKind::ComplexKey,
                            "a mapping or sequence used as a key".into(),
                        ));
                    };
                    *key = Some((s.text, node.line, s.plain));
                }
                Some((k, key_line, plain)) => {
                    if plain && k == "<<" {
                        if let Some(what) = not_mergeable(&node) {
                            return Err(TreeError {
                                line: node.line,
                                column: node.column,
                                message: format!(
                                    "a merge key (<<) takes a mapping, or a list of mappings, not {what} (kubectl refuses it too)"
                                ),
                                kind: TreeErrorKind::Syntax,
                            });
                        }
                        merges.push((node, entries.len()));
                        return Ok(());
                    }
                    if !keys.is_new(entries, &k) {
                        return Err(TreeError {
                            line: key_line,
                            column: 0,
                            message: format!("duplicate key {k:?}"),
                            kind: TreeErrorKind::DuplicateKey,
                        });
                    }
                    if depth == 1 && k == "kind" {
                        let kind = node.as_scalar().map(|s| s.text.clone());
                        if let Some(kind) = &kind
                            && !(self.keep)(kind)
                        {
                            self.skipping = true;
                        }
                        self.kind = kind;
                    }
                    entries.push(Entry {
                        key: k,
                        key_line,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }
}

/// What a merge key's value is when it is neither a mapping nor a list of
/// mappings; such a value was dropped without a word.
fn not_mergeable(node: &Node) -> Option<&'static str> {
    match &node.value {
        Value::Map(_) => None,
        Value::Scalar(_) => Some("a scalar"),
        Value::Seq(items) => items.iter().find_map(|item| match item.value {
            Value::Map(_) => None,
            Value::Scalar(_) => Some("a list holding a scalar"),
            Value::Seq(_) => Some("a list holding a list"),
        }),
    }
}

/// YAML 1.1 merge keys (`<<: *defaults`), which Kubernetes' YAML reader
/// honours: keys written in the mapping win over merged ones, and the
/// first mapping of a merged list over the later ones.
///
/// Readers disagree when the order of the keys matters: kubectl's reader
/// (go-yaml v2) applies keys in the order written, so a merge key below a
/// written key overrides it, and a second merge key a first one; go-yaml
/// v3 (kustomize) keeps written keys and only the last merge key. Such a
/// mapping is refused, naming the key, rather than read one way while the
/// API server gets it the other (`readOnlyRootFilesystem: true` above a
/// `<<` that sets it `false` is `false` to kubectl).
fn apply_merges(
    entries: &mut Vec<Entry>,
    keys: &mut MapKeys,
    merges: Vec<(Node, usize)>,
) -> Result<(), TreeError> {
    if merges.is_empty() {
        return Ok(());
    }
    // The written keys: their index and line.
    let written: HashMap<String, (usize, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.clone(), (i, e.key_line)))
        .collect();
    // The keys merged so far: the line of the merge that set each, and
    // its entry.
    let mut merged: HashMap<String, (usize, usize)> = HashMap::new();
    for (merge, above) in merges {
        let line = merge.line;
        let sources: Vec<Node> = match merge.value {
            Value::Seq(items) => items,
            other => vec![Node {
                value: other,
                ..merge
            }],
        };
        let mut this_merge: HashSet<String> = HashSet::new();
        for source in sources {
            let Value::Map(source) = source.value else {
                continue;
            };
            for e in source {
                match written.get(&e.key) {
                    // Written below this merge: it wins for every reader.
                    Some(&(i, _)) if i >= above => continue,
                    Some(&(_, key_line)) => {
                        return Err(TreeError {
                            line: key_line,
                            column: 0,
                            message: format!(
                                "key {:?} is written here and set again by the merge key (<<) at line {line} below it: kubectl takes the merged value, other YAML readers this one; write the merge key first",
                                e.key
                            ),
                            kind: TreeErrorKind::DuplicateKey,
                        });
                    }
                    None => {}
                }
                if !this_merge.insert(e.key.clone()) {
                    // The first mapping of a merged list wins for every reader.
                    continue;
                }
                if let Some(&(first, at)) = merged.get(&e.key) {
                    if entries.get(at).is_some_and(|prev| prev.value == e.value) {
                        continue;
                    }
                    return Err(TreeError {
                        line,
                        column: 0,
                        message: format!(
                            "key {:?} is merged by the merge key (<<) at line {first} and again, to another value, by this one: kubectl takes this value, other YAML readers the first; merge it once",
                            e.key
                        ),
                        kind: TreeErrorKind::DuplicateKey,
                    });
                }
                // Through the key set: a scan of `entries` per merged key
                // is quadratic in a large mapping.
                if keys.is_new(entries, &e.key) {
                    merged.insert(e.key.clone(), (line, entries.len()));
                    entries.push(e);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Document>, TreeError> {
        parse_documents(text, 0, &Limits::default(), &|_| true)
    }

    /// A mapping node of `key: v` entries.
    fn map_of(keys: impl Iterator<Item = String>) -> Node {
        let node = |value| Node {
            line: 1,
            column: 1,
            value,
        };
        node(Value::Map(
            keys.map(|key| Entry {
                key,
                key_line: 1,
                value: node(Value::Seq(Vec::new())),
            })
            .collect(),
        ))
    }

    /// Merging a large mapping into a large one looks each merged key up
    /// in the map's key set, not by a scan of every entry (quadratic: a
    /// `<<: *labels` of 20,000 keys into 20,000 annotations took 8 s).
    #[test]
    fn merge_keys_are_applied_without_a_scan_per_key() {
        let n = 50_000;
        let mut entries = Vec::new();
        let mut keys = MapKeys::default();
        let Value::Map(explicit) = map_of((0..n).map(|i| format!("z{i}"))).value else {
            unreachable!()
        };
        for e in explicit {
            assert!(keys.is_new(&entries, &e.key));
            entries.push(e);
        }
        // The merged map repeats one explicit key, which must not be taken.
        let merged = map_of((0..n).map(|i| format!("k{i}")).chain(["z0".to_string()]));
        apply_merges(&mut entries, &mut keys, vec![(merged, 0)]).unwrap();
        assert_eq!(entries.len(), 2 * n);
        assert_eq!(entries.iter().filter(|e| e.key == "z0").count(), 1);
        // The key set holds the merged keys: they were looked up there.
        assert!(!keys.is_new(&[], "k7"));
        assert!(
            keys.compared <= crate::map_keys::SCANNED * crate::map_keys::SCANNED,
            "{}",
            keys.compared
        );
    }

    /// A multi-line flow collection closed at its key's column, as kubectl
    /// takes it: the error names the collection, in file positions.
    #[test]
    fn bad_indentation_in_a_flow_collection_names_the_collection() {
        let text =
            "kind: Pod\nspec:\n  containers:\n  - name: c\n    args: [\n      \"a\",\n    ]\n";
        let e = parse_documents(text, 10, &Limits::default(), &|_| true).unwrap_err();
        assert_eq!((e.line, e.column), (17, 5));
        assert_eq!(e.kind, TreeErrorKind::FlowIndentation);
        assert!(
            e.message.starts_with(
                "invalid indentation, inside the flow collection ([…] or {…}) that starts at line 15, column 11: "
            ),
            "{}",
            e.message
        );
        // A plain scalar in the collection, and a quoted one.
        let e = parse_documents("a:\n  b: [\n a]\n", 0, &Limits::default(), &|_| true).unwrap_err();
        assert!(e.message.starts_with("invalid indentation, inside the flow collection ([…] or {…}) that starts at line 2, column 6: "), "{}", e.message);
        let e = parse_documents("a:\n  b: [ \"x\n y\"]\n", 0, &Limits::default(), &|_| true)
            .unwrap_err();
        assert!(
            e.message
                .starts_with("invalid indentation in quoted scalar, inside the flow collection"),
            "{}",
            e.message
        );
        // Outside a flow collection the parser's words are kept.
        let e =
            parse_documents("a:\n  b: \"x\n y\"\n", 0, &Limits::default(), &|_| true).unwrap_err();
        assert_eq!(e.message, "invalid indentation in quoted scalar");
    }

    #[test]
    fn builds_maps_with_lines() {
        let docs = parse("a: 1\nb:\n  - x\n  - {c: d}\n").unwrap();
        let root = docs[0].root.as_ref().unwrap();
        assert_eq!(root.get("b").unwrap().line, 3);
        let seq = root.get("b").unwrap().as_seq().unwrap();
        assert_eq!(seq[1].get("c").unwrap().as_scalar().unwrap().text, "d");
        assert_eq!(seq[1].line, 4);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let docs = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\ncopy: *b\n").unwrap();
        let root = docs[0].root.as_ref().unwrap();
        let u = root.get("use").unwrap();
        assert_eq!(u.get("x").unwrap().as_scalar().unwrap().text, "1");
        assert_eq!(u.get("y").unwrap().as_scalar().unwrap().text, "3");
        assert_eq!(
            root.get("copy")
                .unwrap()
                .get("y")
                .unwrap()
                .as_scalar()
                .unwrap()
                .text,
            "2"
        );
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, TreeErrorKind::Limit);
        // Stopped by the alias budget (a bounded amount of work: 100,000
        // copied nodes), long before the 4,000,000-node document limit.
        assert!(
            err.message
                .starts_with("aliases expand to more than 100000 nodes")
                && err.message.contains("alias bomb"),
            "{}",
            err.message
        );
    }

    #[test]
    fn sharing_a_block_through_an_anchor_is_fine() {
        // 2,000 containers each copying a 50-node env list: 100,000+ copied
        // nodes, but fewer than ten times the text's own.
        let mut text = String::from("env: &env [");
        text.push_str(&vec!["{name: A, value: b}"; 16].join(", "));
        text.push_str("]\nc:\n");
        for i in 0..2000 {
            text.push_str(&format!("- {{name: c{i}, image: i, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, env: *env}}\n"));
        }
        let doc = parse(&text).unwrap();
        assert!(doc[0].root.as_ref().unwrap().count() > 100_000);
    }

    #[test]
    fn deep_nesting_is_refused() {
        // The parser's own recursion limit may trip first; either way it is
        // an error, not a stack overflow.
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&text).is_err());
        // Flow nesting past the parser's 255 levels is a limit, as deeper
        // block nesting is, in JSON as in YAML.
        for text in [
            format!("{}{}", "[".repeat(300), "]".repeat(300)),
            format!("{}1{}", "{\"a\": ".repeat(300), "}".repeat(300)),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.kind, TreeErrorKind::Limit, "{}", err.message);
            assert!(
                err.message.contains("nesting deeper than 255"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn duplicate_and_complex_keys_are_errors() {
        assert_eq!(
            parse("a: 1\na: 2\n").unwrap_err().kind,
            TreeErrorKind::DuplicateKey
        );
        assert_eq!(
            parse("a: {{ .Values.x }}\n").unwrap_err().kind,
            TreeErrorKind::ComplexKey
        );
    }

    #[test]
    fn uninteresting_kinds_are_parsed_but_not_built() {
        let docs = parse_documents(
            "kind: ConfigMap\ndata: {a: b}\n---\nkind: Pod\nspec: {}\n",
            0,
            &Limits::default(),
            &|k| k == "Pod",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert!(docs[0].root.is_none());
        assert_eq!(docs[0].kind.as_deref(), Some("ConfigMap"));
        assert!(docs[1].root.as_ref().unwrap().get("spec").is_some());
        assert_eq!(docs[1].line, 3);
        // A syntax error in a skipped document is still an error.
        assert!(
            parse_documents("kind: ConfigMap\ndata: [\n", 0, &Limits::default(), &|_| {
                false
            })
            .is_err()
        );
    }

    /// Asserts that `text` is refused as a syntax error at `at` (line,
    /// column), with a message that says `what`.
    fn assert_refused(text: &str, at: (usize, usize), what: &str) {
        let e = parse(text).unwrap_err();
        assert_eq!(e.kind, TreeErrorKind::Syntax, "{text:?}");
        assert_eq!((e.line, e.column), at, "{text:?}: {}", e.message);
        assert!(e.message.contains(what), "{}", e.message);
    }

    /// A control character is refused where it is, named, also inside a
    /// quoted scalar: the parser took a NUL there for the end of the text
    /// and let U+0001 through; kubectl refuses both. Tab, CR, NEL pass.
    #[test]
    fn control_characters_are_named_where_they_are() {
        for (text, at, code) in [
            (
                "kind: Pod\nmetadata:\n  name: \"a\0b\"\n",
                (3, 11),
                "U+0000",
            ),
            (
                "kind: Pod\nmetadata: {name: 'a\u{1}b'}\n",
                (2, 20),
                "U+0001",
            ),
            ("kind: Pod\n# \u{7f}\n", (2, 3), "U+007F"),
            ("kind: Pod\nx: \"\u{9b}\"\n", (2, 5), "U+009B"),
        ] {
            assert_refused(text, at, code);
        }
        assert!(parse("kind: Pod\r\nx: \"a\tb\u{85}\u{a0}\"\n").is_ok());
    }

    /// A merge key's value that is no mapping is refused at the value, as
    /// kubectl's reader refuses it ("map merge requires map or sequence of
    /// maps"); it was dropped silently.
    #[test]
    fn a_merge_of_no_mapping_is_refused() {
        for (text, at, what) in [
            ("a:\n  <<: 5\n  b: 1\n", (2, 7), "not a scalar"),
            ("a:\n  <<:\n  b: 1\n", (2, 5), "not a scalar"),
            (
                "x: &x [1]\na:\n  <<: [{c: 1}, *x]\n",
                (3, 7),
                "a list holding a list",
            ),
        ] {
            assert_refused(text, at, what);
        }
        assert!(parse("x: &x {c: 1}\na:\n  <<: [*x, {d: 2}]\n  <<: *x\n").is_ok());
    }

    /// A block scalar inside a flow collection is refused where it starts;
    /// the parser took it for the plain string "| x". Quoted, it is text.
    #[test]
    fn a_block_scalar_in_a_flow_collection_is_refused() {
        for (text, at) in [
            ("k: {a: |\n  x\n  }\n", (1, 8)),
            ("k: [b, >-\n  x\n  ]\n", (1, 8)),
            ("k: [|]\n", (1, 5)),
        ] {
            assert_refused(text, at, "block scalar");
        }
        assert!(parse("k: {a: '| x', b: \">\"}\nl: |\n  x\n").is_ok());
    }

    /// Where YAML readers disagree on which value a key takes, the
    /// mapping is refused: kubectl's reader applies keys in the order
    /// written, so a merge below a written key, or a second merge, wins;
    /// rootlock kept the written key (or the first merge), so a
    /// `readOnlyRootFilesystem: true` that a `<<` below turned `false`
    /// passed the scan.
    #[test]
    fn a_merge_that_readers_apply_differently_is_refused() {
        let e = parse("a:\n  x: 1\n  <<: {x: 2, y: 3}\n").unwrap_err();
        assert_eq!((e.line, e.kind), (2, TreeErrorKind::DuplicateKey));
        assert!(
            e.message.contains("\"x\"") && e.message.contains("line 3"),
            "{}",
            e.message
        );
        let e = parse("a:\n  <<: {x: 1}\n  <<: [{y: 1}, {x: 2}]\n").unwrap_err();
        assert_eq!((e.line, e.kind), (3, TreeErrorKind::DuplicateKey));
        assert!(e.message.contains("line 2"), "{}", e.message);
        // Where all readers agree: a written key below the merge, the
        // first of a merged list, distinct keys of two merges.
        let docs = parse("a:\n  <<: [{x: 1, z: 1}, {x: 2, w: 2}]\n  y: 0\n  <<: {v: 3}\n  z: 4\n")
            .unwrap();
        let a = docs[0].root.as_ref().unwrap().get("a").unwrap();
        let text = |k: &str| a.get(k).and_then(|n| n.as_scalar()).map(|s| s.text.clone());
        assert_eq!(text("x").as_deref(), Some("1"));
        assert_eq!(text("z").as_deref(), Some("4"));
        assert_eq!(text("w").as_deref(), Some("2"));
        assert_eq!(text("v").as_deref(), Some("3"));
        let docs = parse("a:\n  <<: {x: 1}\n  <<: {x: 2}\n  x: 3\n").unwrap();
        let x = docs[0]
            .root
            .as_ref()
            .unwrap()
            .get("a")
            .and_then(|a| a.get("x"));
        assert_eq!(
            x.and_then(|n| n.as_scalar()).map(|s| s.text.as_str()),
            Some("3")
        );
    }

    /// A tab after a mapping's `:` is white space, as YAML 1.2 and kubectl
    /// read it; the parser refused it before a plain scalar or `-`.
    #[test]
    fn a_tab_after_a_colon_is_white_space() {
        let docs =
            parse("kind: Pod\nmetadata:\n  name:\tp\n  x:\t\t-y\n  z: \"a:\\tb\"\n").unwrap();
        let m = docs[0].root.as_ref().unwrap().get("metadata").unwrap();
        let text = |k: &str| m.get(k).and_then(|n| n.as_scalar()).map(|s| s.text.clone());
        assert_eq!(text("name").as_deref(), Some("p"));
        assert_eq!(text("x").as_deref(), Some("-y"));
        assert_eq!(text("z").as_deref(), Some("a:\tb"));
        // Lines after a lone CR, and a second document, keep their places.
        let docs = parse("a: 1\rb:\tc\n---\nd:\te\nf: [\n").unwrap_err();
        assert_eq!(
            (docs.line, docs.kind),
            (6, TreeErrorKind::Syntax),
            "{}",
            docs.message
        );
        let many: String = (0..40).map(|i| format!("k{i}:\tv\n")).collect();
        let e = parse(&many).unwrap_err();
        assert!(e.message.contains("more than 32"), "{}", e.message);
    }

    #[test]
    fn json_is_yaml() {
        let docs = parse("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"containers\": []}\n}\n").unwrap();
        assert_eq!(docs[0].kind.as_deref(), Some("Pod"));
    }
}
