//! `--emit kustomize`: one strategic-merge patch per workload, for
//! manifests that cannot be edited (vendored charts, generated files).
//! Containers are matched by name, volumes by name and mounts by path, as
//! strategic merge does; `capabilities.drop` is a plain list and is replaced,
//! which is what `[ALL]` wants anyway.

use crate::edits::Op;
use crate::fixer::WorkloadFix;
use crate::render::{BlockStyle, block_entries};
use crate::value::New;
use rootlock_policy::Seg;

/// The patch for one workload, or `None` when it needs nothing or has no name.
pub fn patch(w: &WorkloadFix) -> Option<Result<String, String>> {
    if w.ops.is_empty() {
        return None;
    }
    let Some(name) = &w.name else {
        return Some(Err(format!(
            "line {}: {} without metadata.name cannot be patched",
            w.line, w.kind
        )));
    };
    let mut body: Vec<(String, New)> = Vec::new();
    for op in &w.ops {
        let (path, leaf) = match op {
            Op::Set { path, value, .. } => (path, value.clone()),
            Op::Append { path, item } => (path, New::Seq(vec![item.clone()])),
        };
        let mut segs: Vec<Seg> = w.template_path.0.clone();
        segs.extend(path.0.iter().cloned());
        match build(&segs, leaf, w) {
            Ok(New::Map(entries)) => {
                for (k, v) in entries {
                    merge_patch_entry(&mut body, k, v);
                }
            }
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
    }
    let mut meta = vec![("name".to_string(), New::Str(name.clone()))];
    if let Some(ns) = &w.namespace {
        meta.push(("namespace".to_string(), New::Str(ns.clone())));
    }
    let mut doc = vec![
        ("apiVersion".to_string(), New::Str(w.api_version.clone())),
        ("kind".to_string(), New::Str(w.kind.clone())),
        ("metadata".to_string(), New::Map(meta)),
    ];
    // Merged, not appended: a bare Pod's additions can hold `metadata`
    // too (an annotation replaced under --force), and a second
    // `metadata` key would be a duplicate that kustomize refuses.
    for (k, v) in body {
        merge_patch_entry(&mut doc, k, v);
    }
    let mut lines = Vec::new();
    block_entries(
        &doc,
        0,
        BlockStyle {
            step: 2,
            seq_offset: 0,
        },
        &mut lines,
    );
    let mut text = lines.join("\n");
    text.push('\n');
    Some(Ok(text))
}

fn item_name(v: &New) -> Option<&New> {
    match v {
        New::Map(e) => e.iter().find(|(k, _)| k == "name").map(|(_, v)| v),
        _ => None,
    }
}

/// Merges like strategic merge: maps by key, list items by `name`.
fn merge_patch_entry(entries: &mut Vec<(String, New)>, key: String, value: New) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some((_, existing)) => merge_patch(existing, value),
        None => entries.push((key, value)),
    }
}

fn merge_patch(existing: &mut New, value: New) {
    match (existing, value) {
        (New::Map(a), New::Map(b)) => {
            for (k, v) in b {
                merge_patch_entry(a, k, v);
            }
        }
        (New::Seq(a), New::Seq(b)) => {
            for item in b {
                let same =
                    item_name(&item).and_then(|n| a.iter_mut().find(|x| item_name(x) == Some(n)));
                match same {
                    Some(x) => merge_patch(x, item),
                    None => a.push(item),
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// `{a: {b: leaf}}` from a path; `containers[i]` becomes
/// `containers: [{name: <its name>, …}]` (strategic merge matches by name).
fn build(segs: &[Seg], leaf: New, w: &WorkloadFix) -> Result<New, String> {
    let Some((first, rest)) = segs.split_first() else {
        return Ok(leaf);
    };
    match (first, rest.first()) {
        (Seg::Key(field), Some(Seg::Index(i))) => {
            let cname = w
                .containers
                .iter()
                .find(|(f, j, _)| f == field && j == i)
                .map(|(_, _, n)| n.clone())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("line {}: {field}[{i}] has no name to patch by", w.line))?;
            let inner = build(&rest[1..], leaf, w)?;
            let mut item = vec![("name".to_string(), New::Str(cname))];
            if let New::Map(entries) = inner {
                item.extend(entries);
            }
            Ok(New::Map(vec![(
                field.clone(),
                New::Seq(vec![New::Map(item)]),
            )]))
        }
        (Seg::Key(k), _) => Ok(New::Map(vec![(k.clone(), build(rest, leaf, w)?)])),
        (Seg::Index(_), _) => Err(format!(
            "line {}: unexpected list index in a patch path",
            w.line
        )),
    }
}
