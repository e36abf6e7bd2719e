//! The safety net: every edited document is parsed again and must equal,
//! as data, the original plus exactly the intended additions, and a rescan
//! must find none of the targeted rules failing except the values the fix
//! was told to keep. Otherwise the file is refused, never written wrong.

use crate::edits::Op;
use crate::resolve::{apply_below, is_null};
use rootlock_manifest::json_stream::{Piece, Pieces, sniffs_as_json};
use rootlock_manifest::offsets::Offsets;
use rootlock_manifest::scalar::{Resolved, resolve};
use rootlock_manifest::tree::{
    self, Document, Entry, Node, Origin, Value, parse_documents, parse_json_at,
};
use rootlock_manifest::workload::interesting_kind;
use rootlock_manifest::{Limits, workloads};
use rootlock_policy::{Finding, LevelVersion, Seg, Severity, evaluate};
use saphyr_parser::{Event, Parser};
use std::collections::HashMap;

/// Rules the fix is responsible for.
pub const TARGETED: &[&str] = &[
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "seccompProfile_restricted",
    "seccompProfile_baseline",
    "runAsNonRoot",
];

/// A rule left failing on purpose for a container (`None`: for the pod and
/// every container), per workload in document order.
pub type Kept = Vec<(&'static str, Option<String>)>;

/// One original document of an edited chunk and what was applied to it.
pub struct Expected<'a> {
    pub root: Option<&'a Node>,
    /// The ops that change it, in order.
    pub ops: Vec<&'a Op>,
    /// Per workload of the document, in order.
    pub kept: &'a [Kept],
}

/// Whether two trees hold the same data (positions, quoting and key order
/// ignored; scalars compared as the Kubernetes reader types them).
pub fn same_data(a: &Node, b: &Node, at: &str) -> Result<(), String> {
    compare(a, &[], 0, b, &At::Given(at), &mut 0).map_err(Mismatch::message)
}

/// Why [`compare`] failed: the trees differ, or an op could not be applied
/// to the original (the fix's own error, said as it is, not at a line of
/// the edited text).
#[derive(Debug, PartialEq)]
enum Mismatch {
    Differs(String),
    Unapplied(String),
}

impl Mismatch {
    fn message(self) -> String {
        match self {
            Mismatch::Differs(m) | Mismatch::Unapplied(m) => m,
        }
    }
}

/// Where in the tree a comparison is, said only when it fails: writing the
/// path of every node compared cost an allocation per node.
#[derive(Clone, Copy)]
enum At<'a> {
    Given(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    /// `a.b[0].c`; a key at the top is written alone.
    fn render(&self) -> String {
        match self {
            At::Given(s) => s.to_string(),
            At::Key(parent, key) => {
                let p = parent.render();
                if p.is_empty() {
                    key.to_string()
                } else {
                    format!("{p}.{key}")
                }
            }
            At::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// Whether `a` with `ops` applied holds the same data as `b` (see
/// [`same_data`]); `depth`: how many segments of the ops' paths lead to
/// `a`. Rather than a copy of the whole of `a` with the ops applied (for a
/// List, a second copy of every workload held at once), only a subtree an
/// op changes is copied, where the ops stop going down existing members:
/// the rest is compared as it is. Adds to `scanned` the key comparisons
/// made by scanning a mapping (what the tests bound, rather than a timing).
fn compare(
    a: &Node,
    ops: &[&Op],
    depth: usize,
    b: &Node,
    at: &At<'_>,
    scanned: &mut usize,
) -> Result<(), Mismatch> {
    let routes = if ops.is_empty() {
        None
    } else {
        match routes(a, ops, depth) {
            Some(r) => Some(r),
            None => {
                let mut want = a.clone();
                for op in ops {
                    apply_below(&mut want, op, depth).map_err(Mismatch::Unapplied)?;
                }
                return compare(&want, &[], depth, b, at, scanned);
            }
        }
    };
    let ops_of = |i: usize| -> &[&Op] {
        routes
            .as_ref()
            .and_then(|r: &Vec<Vec<&Op>>| r.get(i))
            .map_or(&[], |v| v.as_slice())
    };
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => {
            let (rx, ry) = (resolve(x), resolve(y));
            let equal = match (&rx, &ry) {
                (Resolved::Number, Resolved::Number) => x.text == y.text,
                _ => rx == ry,
            };
            if equal {
                Ok(())
            } else {
                Err(Mismatch::Differs(format!(
                    "{}: {} became {}",
                    at.render(),
                    rx.describe(),
                    ry.describe()
                )))
            }
        }
        (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().try_for_each(|(i, (p, q))| {
                compare(p, ops_of(i), depth + 1, q, &At::Index(at, i), scanned)
            })
        }
        (Value::Map(x), Value::Map(y)) if x.len() == y.len() => {
            let by_key = ByKey::new(y);
            x.iter().enumerate().try_for_each(|(i, e)| {
                let here = At::Key(at, &e.key);
                match by_key.get(&e.key, scanned) {
                    Some(f) => compare(&e.value, ops_of(i), depth + 1, f, &here, scanned),
                    None => Err(Mismatch::Differs(format!(
                        "{}: missing after the edit",
                        here.render()
                    ))),
                }
            })
        }
        _ => Err(Mismatch::Differs(format!("{}: changed shape", {
            let at = at.render();
            if at.is_empty() {
                "document".to_string()
            } else {
                at
            }
        }))),
    }
}

/// The ops for each member of `node`, when every op goes on down a member
/// `node` has (then `node` keeps its members, and only they change);
/// `None` when one stops at `node` or adds to it. A key goes to the first
/// entry with it, as [`apply_below`] takes it.
fn routes<'o>(node: &Node, ops: &[&'o Op], depth: usize) -> Option<Vec<Vec<&'o Op>>> {
    if is_null(node) {
        return None;
    }
    let members = match &node.value {
        Value::Map(entries) => entries.len(),
        Value::Seq(items) => items.len(),
        Value::Scalar(_) => return None,
    };
    let mut routes: Vec<Vec<&Op>> = vec![Vec::new(); members];
    for op in ops {
        let member = match (op.path().0.get(depth)?, &node.value) {
            (Seg::Key(k), Value::Map(entries)) => entries.iter().position(|e| &e.key == k)?,
            (Seg::Index(j), Value::Seq(items)) if *j < items.len() => *j,
            _ => return None,
        };
        routes.get_mut(member)?.push(*op);
    }
    Some(routes)
}

/// The values of a mapping by key. API objects' mappings are small and
/// scanned; a large one (a workload's labels or annotations can hold as
/// many keys as fit under the document limit) is hashed, so comparing two
/// mappings of n keys costs O(n), not the O(n²) of a scan per key.
enum ByKey<'a> {
    Few(&'a [Entry]),
    Many(HashMap<&'a str, &'a Node>),
}

impl<'a> ByKey<'a> {
    /// Up to this many entries, a lookup scans them.
    const SCANNED: usize = 16;

    fn new(entries: &'a [Entry]) -> Self {
        if entries.len() <= Self::SCANNED {
            ByKey::Few(entries)
        } else {
            ByKey::Many(entries.iter().map(|e| (e.key.as_str(), &e.value)).collect())
        }
    }

    fn get(&self, key: &str, scanned: &mut usize) -> Option<&'a Node> {
        match self {
            ByKey::Few(entries) => {
                *scanned += entries.len();
                entries.iter().find(|e| e.key == key).map(|e| &e.value)
            }
            ByKey::Many(map) => map.get(key).copied(),
        }
    }
}

/// Every explicit tag (`!!null`, `!foo`) of a text with the kind of node
/// it is on and its line, in order. A tab after a mapping's `:` is read as
/// a space, as the reader reads it
/// ([`tree::parse_reading_tabs_as_spaces`]).
fn tags(text: &str, first_line: usize) -> Result<Vec<Tag>, String> {
    let origin = Origin {
        line_offset: first_line.saturating_sub(1),
        column_offset: 0,
    };
    let parsed = tree::parse_reading_tabs_as_spaces(
        text,
        origin,
        |t| tags_of(t, first_line),
        |(line, column, info): &(usize, usize, String)| {
            (info == tree::TAB_AFTER_COLON).then_some((*line, *column))
        },
    );
    match parsed {
        Some((done, _)) => done.map_err(|(line, _, info)| not_parsed(line, &info)),
        None => Err(not_parsed(first_line, tree::TAB_AFTER_COLON)),
    }
}

/// A tag, the kind of node it is on, and its line.
type Tag = (String, &'static str, usize);

fn not_parsed(line: usize, info: &str) -> String {
    format!("the edited text does not parse (line {line}: {info})")
}

/// [`tags`] of a text the parser reads as it is; a parser error as its
/// file line and column and message.
fn tags_of(text: &str, first_line: usize) -> Result<Vec<Tag>, (usize, usize, String)> {
    let mut out = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            (
                e.marker().line() + first_line - 1,
                e.marker().col() + 1,
                e.info().to_string(),
            )
        })?;
        let (tag, kind) = match event {
            Event::Scalar(_, _, _, Some(t)) => (t, "scalar"),
            Event::SequenceStart(_, Some(t)) => (t, "list"),
            Event::MappingStart(_, Some(t)) => (t, "mapping"),
            _ => continue,
        };
        let line = span.start.line() + first_line - 1;
        let shown = match tag.handle.as_str() {
            "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
            h => format!("{h}{}", tag.suffix),
        };
        out.push((shown, kind, line));
    }
    Ok(out)
}

/// The fix never writes a tag and only removes those of the values it
/// replaces, so the edited text's tags must be the original's, in order,
/// minus some, each on the same kind of node. `same_data` cannot see this:
/// the tree keeps no tag of a mapping or list, so a `!!null` left in front
/// of a new `[...]` (which Kubernetes and PyYAML reject) would pass it.
fn check_tags(old_text: &str, new_text: &str, first_line: usize) -> Result<(), String> {
    // Every tag is written with a `!`: with none in either text there is
    // no tag to compare, and reading both again for their tags (two
    // parses, a third of the check's time on a large List) finds nothing.
    // Both parse: the new text was just read as a tree, the old one by
    // the reader.
    if !old_text.contains('!') && !new_text.contains('!') {
        return Ok(());
    }
    let old = tags(old_text, first_line)?;
    let mut rest = old.iter();
    for (tag, kind, line) in tags(new_text, first_line)? {
        if !rest.any(|(t, k, _)| *t == tag && *k == kind) {
            return Err(format!(
                "line {line}: the tag {tag} would be on a {kind} it was not on before"
            ));
        }
    }
    Ok(())
}

/// The documents of an edited chunk that kubectl reads as a stream of JSON
/// values (`{…}{…}`, or one object per line as `jq -c` writes them), read
/// as the reader read them; `None` for any other chunk. Such a chunk is the
/// first of its file or, past the reader's cut between two values, a later
/// one (a YAML chunk holding one JSON value reads the same either way); it
/// is not one YAML text.
fn json_stream_documents(
    new_text: &str,
    first_line: usize,
    limits: &Limits,
) -> Option<Result<Vec<Document>, String>> {
    let mut pieces = Vec::new();
    for piece in Pieces::new(new_text, 0) {
        match piece {
            Piece::Value(range) => pieces.push(range),
            _ => return None,
        }
    }
    if !sniffs_as_json(new_text) {
        return None;
    }
    let mut offsets = Offsets::new(new_text, first_line);
    let mut docs = Vec::new();
    for range in pieces {
        let origin = offsets.origin(range.start);
        let text = new_text.get(range).unwrap_or_default();
        match parse_json_at(text, origin, limits, &interesting_kind) {
            Ok(found) => docs.extend(found),
            Err(e) => {
                return Some(Err(format!(
                    "the edited text does not parse (line {}: {})",
                    e.line, e.message
                )));
            }
        }
    }
    Some(Ok(docs))
}

/// Checks one edited chunk (`old_text` before the edit, `new_text` after).
/// `first_line` is its first line in the file.
/// Returns the error findings left in each edited workload, in order.
pub fn check_chunk(
    old_text: &str,
    new_text: &str,
    first_line: usize,
    expected: &[Expected<'_>],
    level: LevelVersion,
    limits: &Limits,
) -> Result<Vec<Vec<Finding>>, String> {
    let docs = match json_stream_documents(new_text, first_line, limits) {
        // JSON has no tags: nothing for check_tags to compare.
        Some(docs) => docs?,
        None => {
            let docs = parse_documents(new_text, first_line - 1, limits, &interesting_kind)
                .map_err(|e| {
                    format!(
                        "the edited text does not parse (line {}: {})",
                        e.line, e.message
                    )
                })?;
            check_tags(old_text, new_text, first_line)?;
            docs
        }
    };
    if docs.len() != expected.len() {
        return Err("the edit changed the number of documents".into());
    }
    let mut left = Vec::new();
    for (doc, exp) in docs.iter().zip(expected) {
        let (Some(orig), Some(new)) = (exp.root, doc.root.as_ref()) else {
            if exp.root.is_some() != doc.root.is_some() {
                return Err(format!(
                    "line {}: a document appeared or vanished",
                    doc.line
                ));
            }
            continue;
        };
        compare(orig, &exp.ops, 0, new, &At::Given(""), &mut 0).map_err(|m| match m {
            Mismatch::Differs(e) => format!("line {}: {e}", doc.line),
            Mismatch::Unapplied(e) => e,
        })?;
        left.extend(rescan(new, exp.kept, level)?);
    }
    Ok(left)
}

/// Fails if a rule the fix targets still fails unexcused; otherwise the
/// error findings left, per workload (see [`crate::leftovers`]).
fn rescan(root: &Node, kept: &[Kept], level: LevelVersion) -> Result<Vec<Vec<Finding>>, String> {
    let found = workloads(root).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut left = Vec::new();
    for (w, kept) in found.iter().zip(kept) {
        let ex = w.exemptions();
        let eval = evaluate(&w.pod, level, Some(&ex));
        for f in &eval.findings {
            if f.severity != Severity::Error || !TARGETED.contains(&f.rule) {
                continue;
            }
            let name = f.container.as_ref().map(|c| c.name.clone());
            let excused = kept
                .iter()
                .any(|(rule, who)| *rule == f.rule && (who.is_none() || *who == name));
            if !excused {
                return Err(format!(
                    "line {}: {} {:?}: {} still fails after the fix ({})",
                    w.line,
                    w.kind,
                    w.name.as_deref().unwrap_or(""),
                    f.rule,
                    f.message
                ));
            }
        }
        left.push(crate::leftovers::unexplained(eval.findings, kept));
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::apply_to_tree;
    use crate::value::New;
    use rootlock_policy::FieldPath;

    fn same(a: &Node, b: &Node, scanned: &mut usize) -> Result<(), String> {
        compare(a, &[], 0, b, &At::Given(""), scanned).map_err(Mismatch::message)
    }

    fn map(keys: impl Iterator<Item = usize>) -> Node {
        let node = |value| Node {
            line: 1,
            column: 1,
            value,
        };
        let scalar = |text: String| {
            node(Value::Scalar(rootlock_manifest::tree::Scalar {
                text,
                plain: true,
                tag: None,
            }))
        };
        node(Value::Map(
            keys.map(|i| Entry {
                key: format!("k{i}"),
                key_line: 1,
                value: scalar(format!("v{i}")),
            })
            .collect(),
        ))
    }

    #[test]
    fn large_mappings_are_compared_by_key_without_a_scan_per_key() {
        let n = 100_000;
        let mut scanned = 0;
        assert!(same(&map(0..n), &map((0..n).rev()), &mut scanned).is_ok());
        // A scan per key would be ~5·10⁹ comparisons.
        assert_eq!(scanned, 0);
        let e = same(&map(0..n), &map(1..=n), &mut scanned).unwrap_err();
        assert!(e.contains("k0: missing after the edit"), "{e}");
        // Small mappings are still compared, by a scan.
        assert!(same(&map(0..3), &map((0..3).rev()), &mut scanned).is_ok());
        assert!(same(&map(0..3), &map(1..4), &mut scanned).is_err());
    }

    fn tree(text: &str) -> Node {
        let docs = parse_documents(text, 0, &Limits::default(), &|_| true).unwrap();
        docs.into_iter().next().unwrap().root.unwrap()
    }

    /// Comparing with the ops applied where they change the tree must say
    /// what comparing with a whole copy of it, ops applied, says: the same
    /// verdict and, on a difference, the same message.
    #[test]
    fn ops_applied_in_place_compare_as_a_copy_with_them_applied() {
        let orig =
            tree("kind: List\nitems:\n- a: {b: 1}\n  c: [x]\n  n: ~\n- a: {b: 2}\n- d: {e: 3}\n");
        let item = |i| FieldPath::default().key("items").index(i);
        let set = |path: FieldPath, value: New| Op::Set {
            path,
            value,
            replace: false,
        };
        let ops = vec![
            set(item(0).key("a").key("f"), New::Bool(true)),
            Op::Append {
                path: item(0).key("c"),
                item: New::Str("w".into()),
            },
            set(item(0).key("n").key("g"), New::Bool(false)),
            set(item(1).key("a").key("b"), New::Str("2".into())),
            set(item(1).key("h").key("i"), New::Bool(true)),
            set(item(0).key("a").key("f"), New::Bool(false)),
        ];
        let by_copy = |new: &Node| {
            let mut want = orig.clone();
            for op in &ops {
                apply_to_tree(&mut want, op).unwrap();
            }
            same_data(&want, new, "")
        };
        let in_place = |new: &Node| {
            let refs: Vec<&Op> = ops.iter().collect();
            compare(&orig, &refs, 0, new, &At::Given(""), &mut 0).map_err(Mismatch::message)
        };
        let good = "kind: List\nitems:\n- a: {b: 1, f: true}\n  c: [x, w]\n  n: {g: false}\n- a: {b: 2}\n  h: {i: true}\n- d: {e: 3}\n";
        let edited = [
            good,
            // An addition missing, one of another value, one too many, an
            // untouched item changed, a member changing shape.
            "kind: List\nitems:\n- a: {b: 1}\n  c: [x, w]\n  n: {g: false}\n- a: {b: 2}\n  h: {i: true}\n- d: {e: 3}\n",
            "kind: List\nitems:\n- a: {b: 1, f: true}\n  c: [x, w]\n  n: {g: false}\n- a: {b: 2}\n  h: {i: false}\n- d: {e: 3}\n",
            "kind: List\nitems:\n- a: {b: 1, f: true}\n  c: [x, w, z]\n  n: {g: false}\n- a: {b: 2}\n  h: {i: true}\n- d: {e: 3}\n",
            "kind: List\nitems:\n- a: {b: 1, f: true}\n  c: [x, w]\n  n: {g: false}\n- a: {b: 2}\n  h: {i: true}\n- d: {e: 4}\n",
            "kind: List\nitems:\n- a: {b: 1, f: true}\n  c: [x, w]\n  n: {g: false}\n- a: [b]\n  h: {i: true}\n- d: {e: 3}\n",
        ];
        for text in edited {
            let new = tree(text);
            assert_eq!(in_place(&new), by_copy(&new), "{text}");
        }
        assert_eq!(in_place(&tree(good)), Ok(()));
        assert_eq!(
            in_place(&tree(edited[2])).unwrap_err(),
            "items[1].h.i: boolean true became boolean false"
        );
    }

    /// The in-place comparison says what the comparison with a whole copy
    /// says, over random trees (nulls, lists, nested mappings), random ops
    /// (into existing, missing and null members, past a list's end,
    /// repeated, replacing and not) and edited trees: the right one, the
    /// original, and one drawn at random. Ops that cannot be applied are
    /// refused by both.
    #[test]
    fn ops_applied_in_place_compare_as_a_copy_over_random_trees_and_ops() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        fn random_tree(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
            match if depth == 0 { next(3) } else { next(6) } {
                0 => ["1", "x", "true"][next(3) as usize].to_string(),
                1 => "~".to_string(),
                2 => "\"s\"".to_string(),
                3 => {
                    let items: Vec<String> =
                        (0..next(3)).map(|_| random_tree(next, depth - 1)).collect();
                    format!("[{}]", items.join(", "))
                }
                _ => {
                    let mut keys = vec!["a", "b", "c", "n"];
                    keys.retain(|_| next(2) == 0);
                    let entries: Vec<String> = keys
                        .iter()
                        .map(|k| format!("{k}: {}", random_tree(next, depth - 1)))
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }
            }
        }
        let mut checked = [0usize; 2];
        for _ in 0..20_000 {
            let text = format!(
                "{{kind: List, items: [{}, {}]}}\n",
                random_tree(&mut next, 3),
                random_tree(&mut next, 3)
            );
            let orig = tree(&text);
            let mut ops = Vec::new();
            for _ in 0..1 + next(4) {
                let mut path = FieldPath::default().key("items").index(next(2) as usize);
                for _ in 0..1 + next(3) {
                    path = if next(3) == 0 {
                        path.index(next(3) as usize)
                    } else {
                        path.key(["a", "b", "c", "n", "z"][next(5) as usize])
                    };
                }
                ops.push(match next(3) {
                    0 => Op::Append {
                        path,
                        item: New::Str("w".into()),
                    },
                    v => Op::Set {
                        path,
                        value: New::Bool(v == 1),
                        replace: next(2) == 0,
                    },
                });
            }
            let mut want = orig.clone();
            let applied = ops.iter().try_for_each(|op| apply_to_tree(&mut want, op));
            let refs: Vec<&Op> = ops.iter().collect();
            let in_place = |new: &Node| compare(&orig, &refs, 0, new, &At::Given(""), &mut 0);
            if applied.is_err() {
                assert!(in_place(&want).is_err(), "{text} {ops:?}");
                continue;
            }
            assert_eq!(in_place(&want), Ok(()), "{text} {ops:?}");
            // Another tree, and the original (the right one when no op
            // changes anything).
            let edited = format!(
                "{{kind: List, items: [{}, {}]}}\n",
                random_tree(&mut next, 3),
                random_tree(&mut next, 3)
            );
            for new in [tree(&edited), orig.clone()] {
                let by_copy = same_data(&want, &new, "");
                assert_eq!(
                    in_place(&new).map_err(Mismatch::message),
                    by_copy,
                    "{text} {ops:?} {edited}"
                );
                checked[by_copy.is_ok() as usize] += 1;
            }
        }
        assert!(checked.iter().all(|n| *n > 100), "{checked:?}");
    }

    /// An op that cannot be applied to the original is the fix's own
    /// error, said as applying it to a whole copy says it (check_chunk puts
    /// no line of the edited text before it).
    #[test]
    fn an_op_that_cannot_be_applied_is_said_as_such() {
        let orig = tree("kind: List\nitems:\n- a: {b: 1}\n- a: {b: 2}\n");
        let op = Op::Set {
            path: FieldPath::default()
                .key("items")
                .index(1)
                .key("a")
                .key("b")
                .key("c"),
            value: New::Bool(true),
            replace: false,
        };
        let want = apply_to_tree(&mut orig.clone(), &op).unwrap_err();
        let got = compare(&orig, &[&op], 0, &orig, &At::Given(""), &mut 0);
        assert_eq!(got, Err(Mismatch::Unapplied(want)));
    }

    #[test]
    fn a_tag_left_on_a_new_collection_is_refused() {
        let old = "a: {b: !!null }\nc: !!str 1\n";
        let e = check_tags(old, "a: {b: !!null [x] }\nc: !!str 1\n", 5).unwrap_err();
        assert!(
            e.contains("line 5") && e.contains("!!null") && e.contains("list"),
            "{e}"
        );
        assert!(check_tags(old, "a: {b: [x] }\nc: !!str 1\n", 1).is_ok());
        assert!(check_tags(old, "a: {b: [x] }\nc: 1\n", 1).is_ok());
        assert!(check_tags(old, "a: !!str {b: [x] }\nc: !!str 1\n", 1).is_err());
    }

    /// A tab after a mapping's `:` is white space to the reader, so to the
    /// tag check too: the fix of such a file was refused as not parsing.
    #[test]
    fn tags_are_read_past_a_tab_after_a_colon() {
        let old = "a:\t!!str b\nc:\td\n";
        assert!(check_tags(old, "a:\t!!str b\nc:\td\ne: 1\n", 3).is_ok());
        let e = check_tags(old, "a:\tb\nc:\t!!str [d]\n", 3).unwrap_err();
        assert!(e.contains("line 4"), "{e}");
    }
}
