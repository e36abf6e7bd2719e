//! Turns path-based ops into actions on the nodes of one parsed document:
//! which existing mapping gets which new keys, which sequence gets which
//! items, which scalar is replaced. Ops for the same node are merged, so a
//! missing `securityContext` is created once with every key it needs.

use crate::edits::Op;
use crate::refusal::Refusal;
use crate::value::{New, merge_entry, merge_value};
use rootlock_manifest::scalar::{Resolved, resolve};
use rootlock_manifest::tree::{Entry, Node, Value};
use rootlock_policy::{FieldPath, Seg};
use std::collections::HashMap;

#[derive(Debug)]
pub enum Action<'n> {
    AddToMap {
        map: &'n Node,
        entries: Vec<(String, New)>,
    },
    AppendToSeq {
        seq: &'n Node,
        items: Vec<New>,
    },
    /// Replace a scalar (an explicit value under `--force`, or a null that
    /// stands for a missing map or sequence). `owner` is the mapping holding it.
    Replace {
        node: &'n Node,
        owner: Option<&'n Node>,
        value: New,
    },
}

/// An action with the nesting depth of its node (deeper edits at the same
/// place are written first).
#[derive(Debug)]
pub struct Placed<'n> {
    pub action: Action<'n>,
    pub depth: usize,
}

/// The result of resolving a document's ops.
#[derive(Debug, Default)]
pub struct Resolution<'n> {
    pub actions: Vec<Placed<'n>>,
    /// Index in `actions` of the action on each node, by [`key`]: a List
    /// of thousands of workloads has thousands of actions, and finding
    /// the one to merge into by walking them all was quadratic.
    by_node: HashMap<(u8, usize), usize>,
    /// For each input op, whether it changes something (ops on values
    /// already present are dropped). Not a copy of those ops: a List of
    /// thousands of workloads has tens of thousands.
    pub mask: Vec<bool>,
    /// Nodes the search for copies visited (what the tests bound).
    pub searched: usize,
}

pub fn is_null(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s) if resolve(s) == Resolved::Null)
}

/// Builds `{a: {b: leaf}}` from the keys left in a path.
fn nest(rest: &[Seg], leaf: New, path: &FieldPath) -> Result<New, String> {
    let mut v = leaf;
    for seg in rest.iter().rev() {
        match seg {
            Seg::Key(k) => v = New::Map(vec![(k.clone(), v)]),
            Seg::Index(_) => return Err(format!("{path}: a list item to create is missing")),
        }
    }
    Ok(v)
}

/// Resolves `ops` (paths from the document root) against `root`.
/// `anchored`: whether the text `root` was read from may hold an anchor
/// (it has a `&`). Only an alias (`*a`) or a merge key (`<<: *a`) makes a
/// node a copy of another, and both copy an anchored node: without an
/// anchor there is no copy to find, and the search for copies (a walk of
/// the whole document, a tenth of fix's time on a List of thousands of
/// Deployments) is skipped.
pub fn resolve_ops<'n>(
    root: &'n Node,
    ops: &[Op],
    anchored: bool,
) -> Result<Resolution<'n>, Refusal> {
    let mut res = Resolution {
        by_node: HashMap::with_capacity(ops.len()),
        ..Resolution::default()
    };
    for op in ops {
        let path = op.path();
        // Made where it is placed: most ops are placed once.
        let leaf = || match op {
            Op::Set { value, .. } => value.clone(),
            Op::Append { item, .. } => New::Seq(vec![item.clone()]),
        };
        let mut node = root;
        let mut owner: Option<&Node> = None;
        let mut placed: Option<Placed<'n>> = None;
        // The line of the node below which the path went into a copy of an
        // anchored node (an alias, or keys merged by `<<: *a`).
        let mut copied_at: Option<usize> = None;
        for (i, seg) in path.0.iter().enumerate() {
            if is_null(node) {
                let value = nest(&path.0[i..], leaf(), path).map_err(Refusal::Unlocated)?;
                placed = Some(Placed {
                    action: Action::Replace { node, owner, value },
                    depth: i,
                });
                break;
            }
            match (seg, &node.value) {
                (Seg::Key(k), Value::Map(entries)) => {
                    match entries.iter().find(|e: &&Entry| &e.key == k) {
                        Some(e) => {
                            if copied_at.is_none() && written_before(&e.value, node) {
                                copied_at = Some(node.line);
                            }
                            owner = Some(node);
                            node = &e.value;
                        }
                        None => {
                            let value =
                                nest(&path.0[i + 1..], leaf(), path).map_err(Refusal::Unlocated)?;
                            placed = Some(Placed {
                                action: Action::AddToMap {
                                    map: node,
                                    entries: vec![(k.clone(), value)],
                                },
                                depth: i,
                            });
                            break;
                        }
                    }
                }
                (Seg::Index(j), Value::Seq(items)) if *j < items.len() => {
                    if copied_at.is_none() && written_before(&items[*j], node) {
                        copied_at = Some(node.line);
                    }
                    owner = None;
                    node = &items[*j];
                }
                _ => {
                    return Err(Refusal::at(
                        node.line,
                        format!(
                            "{path}: expected a {} here",
                            if matches!(seg, Seg::Key(_)) {
                                "mapping"
                            } else {
                                "list item"
                            }
                        ),
                    ));
                }
            }
        }
        let depth = path.0.len();
        let placed = match placed {
            Some(p) => p,
            None => match op {
                _ if is_null(node) => Placed {
                    action: Action::Replace {
                        node,
                        owner,
                        value: leaf(),
                    },
                    depth,
                },
                Op::Set {
                    replace: true,
                    value,
                    ..
                } if node.as_scalar().is_some() => Placed {
                    action: Action::Replace {
                        node,
                        owner,
                        value: value.clone(),
                    },
                    depth,
                },
                Op::Set { .. } => {
                    res.mask.push(false);
                    continue;
                }
                Op::Append { item, .. } if node.as_seq().is_some() => Placed {
                    action: Action::AppendToSeq {
                        seq: node,
                        items: vec![item.clone()],
                    },
                    depth,
                },
                Op::Append { .. } => {
                    return Err(Refusal::at(node.line, format!("{path}: expected a list")));
                }
            },
        };
        if let Some(line) = copied_at {
            // The text to edit is the anchor's, shared by every alias of it.
            return Err(Refusal::at(
                line,
                format!(
                    "{path}: the edit would go through an alias (*…) or merge key (<<: *…) to the anchored node it copies: edit the anchor by hand"
                ),
            ));
        }
        res.mask.push(true);
        res.add(placed);
    }
    if anchored {
        res.searched = check_copies(root, &res)?;
    }
    Ok(res)
}

type Position = (usize, usize);

/// The other collections of `index` holding a member of `target` (same
/// position): copies of it, or mappings it is merged into.
fn copies_of<'a>(target: &Node, index: &HashMap<Position, Vec<&'a Node>>) -> Vec<&'a Node> {
    let members: Vec<&Node> = match &target.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(entries) => entries.iter().map(|e| &e.value).collect(),
        Value::Scalar(_) => Vec::new(),
    };
    let mut out: Vec<&'a Node> = Vec::new();
    for m in members {
        for other in index.get(&(m.line, m.column)).into_iter().flatten() {
            if !std::ptr::eq(*other, target) && !out.iter().any(|o| std::ptr::eq(*o, *other)) {
                out.push(other);
            }
        }
    }
    out
}

/// Refuses an addition to a mapping or list that an alias copies (`*a`),
/// or to a mapping that a merge key merges (`<<: *a`) into one that does
/// not get or override the added keys: the copy would change too. A copy
/// is found by its members, which keep the positions of the anchored
/// node's (the copy itself is placed at its alias). Returns the number of
/// nodes visited.
fn check_copies(root: &Node, res: &Resolution<'_>) -> Result<usize, Refusal> {
    if res.actions.is_empty() {
        return Ok(0);
    }
    let pos = |n: &Node| (n.line, n.column);
    // Every mapping by where its entries' values are, every list by where
    // its items are, at the positions of the members of what the fix adds
    // to only (a copy of it is found nowhere else): indexing every
    // collection of the document (a list per member of a List of
    // thousands of workloads) cost more than the rest of the resolution.
    let mut maps: HashMap<Position, Vec<&Node>> = HashMap::new();
    let mut seqs: HashMap<Position, Vec<&Node>> = HashMap::new();
    for placed in &res.actions {
        match &placed.action {
            Action::AppendToSeq { seq, .. } => {
                if let Value::Seq(items) = &seq.value {
                    seqs.extend(items.iter().map(|i| (pos(i), Vec::new())));
                }
            }
            Action::AddToMap { map, .. } => {
                if let Value::Map(entries) = &map.value {
                    maps.extend(entries.iter().map(|e| (pos(&e.value), Vec::new())));
                }
            }
            Action::Replace { .. } => {}
        }
    }
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(n) = stack.pop() {
        visited += 1;
        match &n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => {
                for i in items {
                    if let Some(holders) = seqs.get_mut(&pos(i)) {
                        holders.push(n);
                    }
                }
                stack.extend(items);
            }
            Value::Map(entries) => {
                for e in entries {
                    if let Some(holders) = maps.get_mut(&pos(&e.value)) {
                        holders.push(n);
                    }
                }
                stack.extend(entries.iter().map(|e| &e.value));
            }
        }
    }
    let refuse = |copy: &Node, target: &Node, what: &str| {
        Refusal::at(
            copy.line,
            format!(
                "this copies (through an alias *… or a merge key <<: *…) the {what} at line {} that the fix adds to, and would get the addition too: edit the anchor and its aliases by hand",
                target.line
            ),
        )
    };
    for placed in &res.actions {
        match &placed.action {
            Action::AppendToSeq { seq, .. } => {
                if let Some(copy) = copies_of(seq, &seqs).first() {
                    return Err(refuse(copy, seq, "list"));
                }
            }
            Action::AddToMap { map, entries } => {
                for copy in copies_of(map, &maps) {
                    let own = |k: &str| copy.get(k).is_some();
                    let added = |k: &str| {
                        res.by_node
                            .get(&(0, copy as *const Node as usize))
                            .and_then(|i| res.actions.get(*i))
                            .is_some_and(|p| match &p.action {
                                Action::AddToMap { entries, .. } => {
                                    entries.iter().any(|(ek, _)| ek == k)
                                }
                                _ => false,
                            })
                    };
                    if entries.iter().any(|(k, _)| !own(k) && !added(k)) {
                        return Err(refuse(copy, map, "mapping"));
                    }
                }
            }
            Action::Replace { .. } => {}
        }
    }
    Ok(visited)
}

/// Whether `child` is written before `parent` starts: then it is not the
/// parent's own text but a copy of an anchored node, reached through an
/// alias or a merge key (an anchor always comes before its aliases).
fn written_before(child: &Node, parent: &Node) -> bool {
    (child.line, child.column) < (parent.line, parent.column)
}

/// Which action on which node: two actions with one key are merged.
fn key(a: &Action<'_>) -> (u8, usize) {
    let (kind, node): (u8, *const Node) = match a {
        Action::AddToMap { map, .. } => (0, *map),
        Action::AppendToSeq { seq, .. } => (1, *seq),
        Action::Replace { node, .. } => (2, *node),
    };
    (kind, node as usize)
}

impl<'n> Resolution<'n> {
    /// Adds `p`, merged into the action already on its node if there is one.
    fn add(&mut self, p: Placed<'n>) {
        let k = key(&p.action);
        let Some(&at) = self.by_node.get(&k) else {
            self.by_node.insert(k, self.actions.len());
            self.actions.push(p);
            return;
        };
        match (&mut self.actions[at].action, p.action) {
            (Action::AddToMap { entries, .. }, Action::AddToMap { entries: more, .. }) => {
                for (k, v) in more {
                    merge_entry(entries, &k, v);
                }
            }
            (Action::AppendToSeq { items, .. }, Action::AppendToSeq { items: more, .. }) => {
                items.extend(more)
            }
            (Action::Replace { value, .. }, Action::Replace { value: more, .. }) => {
                merge_value(value, more)
            }
            _ => {}
        }
    }
}

/// Applies ops to a tree as data (the verification's expected result),
/// with the same meaning as the text edits.
pub fn apply_to_tree(root: &mut Node, op: &Op) -> Result<(), String> {
    apply_below(root, op, 0)
}

/// [`apply_to_tree`] on the node `node` that the first `depth` segments of
/// the op's path lead to: the verification copies and edits only the
/// subtrees the ops change, not a whole List of thousands of workloads.
pub fn apply_below(node: &mut Node, op: &Op, depth: usize) -> Result<(), String> {
    let path = op.path();
    let (leaf, replace) = match op {
        Op::Set { value, replace, .. } => (value.clone(), *replace),
        Op::Append { item, .. } => (New::Seq(vec![item.clone()]), false),
    };
    let mut node = node;
    for (i, seg) in path.0.iter().enumerate().skip(depth) {
        if is_null(node) {
            *node = to_node(&nest(&path.0[i..], leaf, path)?);
            return Ok(());
        }
        node = match (seg, &mut node.value) {
            (Seg::Key(k), Value::Map(entries)) => match entries.iter().position(|e| &e.key == k) {
                Some(at) => &mut entries[at].value,
                None => {
                    let value = to_node(&nest(&path.0[i + 1..], leaf, path)?);
                    entries.push(Entry {
                        key: k.clone(),
                        key_line: 0,
                        value,
                    });
                    return Ok(());
                }
            },
            (Seg::Index(j), Value::Seq(items)) if *j < items.len() => &mut items[*j],
            _ => return Err(format!("{path}: unexpected shape")),
        };
    }
    if is_null(node) {
        *node = to_node(&leaf);
        return Ok(());
    }
    match (op, &mut node.value) {
        (Op::Append { item, .. }, Value::Seq(items)) => items.push(to_node(item)),
        (Op::Set { value, .. }, Value::Scalar(_)) if replace => *node = to_node(value),
        _ => {}
    }
    Ok(())
}

/// A new value as a tree node (no position).
pub fn to_node(v: &New) -> Node {
    use rootlock_manifest::tree::Scalar;
    let value = match v {
        New::Bool(b) => Value::Scalar(Scalar {
            text: b.to_string(),
            plain: true,
            tag: None,
        }),
        New::Str(s) => Value::Scalar(Scalar {
            text: s.clone(),
            plain: false,
            tag: None,
        }),
        New::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| Entry {
                    key: k.clone(),
                    key_line: 0,
                    value: to_node(v),
                })
                .collect(),
        ),
        New::Seq(items) => Value::Seq(items.iter().map(to_node).collect()),
    };
    Node {
        line: 0,
        column: 0,
        value,
    }
}
