//! Fixing one file's text: read its documents, and as each group is read
//! plan its workloads, edit its text and verify it; then hand back the new
//! text with notes and errors.

use crate::edits::{Op, Options, plan_pod};
use crate::leftovers;
use crate::refusal::Refusal;
use crate::resolve::resolve_ops;
use crate::splice::{self, Edit};
use crate::style::{detect_block_style, detect_dialect};
use crate::text::Text;
use crate::verify::{Expected, Kept, check_chunk};
use crate::yaml_edit::Editor;
use rootlock_manifest::Workload;
use rootlock_manifest::line_breaks;
use rootlock_manifest::tree::{Document, Node};
use rootlock_manifest::{ErrorKind, InputError, Limits, line_of, read_stream, workloads};
use rootlock_policy::{FieldPath, LevelVersion, Pod};

/// Everything that decides what a fix does.
#[derive(Debug, Clone)]
pub struct Settings {
    pub options: Options,
    /// For the rescan that verifies the result.
    pub level: LevelVersion,
    pub limits: Limits,
}

/// The additions for one workload, relative to the object (for patches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadFix {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub line: usize,
    /// Pod-relative ops, with the template path to put before them.
    pub template_path: FieldPath,
    pub ops: Vec<Op>,
    /// Container names by (kind field, index), for patches keyed by name.
    pub containers: Vec<(String, usize, String)>,
    /// Rules left failing on purpose (explicit contrary values kept).
    pub kept: Kept,
}

/// What fixing one file gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The new text, when it differs from the input.
    pub fixed: Option<String>,
    /// `file:line: message` lines for the user.
    pub notes: Vec<String>,
    /// Errors: the file was not fixed.
    pub errors: Vec<String>,
    pub workloads: Vec<WorkloadFix>,
}

const TEMPLATE_HINT: &str = "fix edits manifests, not Helm templates: change the chart's values or templates, or render it (`helm template …`) and run fix with `--emit kustomize` on the output to get patches";

const REINDENT_HINT: &str = "the lines of the flow collection ([…] or {…}) that starts here are not indented further than the key or `-` holding it, closing bracket included: kubectl and `rootlock scan` read it, but YAML 1.2 does not allow it, and fix edits only YAML it can parse as written; indent those lines past the key and run fix again";

struct Chunk {
    first_line: usize,
    lines: usize,
    docs: Vec<Document>,
}

/// Fixes `src` (named `name` in messages). `walked`: the file was found
/// walking a directory, not named (see below).
pub fn fix_text(name: &str, src: &str, walked: bool, settings: &Settings) -> Outcome {
    let (bom, body) = match src.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", src),
    };
    let mut fixer = ChunkFixer {
        name,
        body,
        text: None,
        settings,
        out: Outcome::default(),
        edits: Vec::new(),
        refusal: None,
    };
    // Each chunk is fixed as soon as its last document is read, and its
    // trees dropped: holding every document of a large multi-document file
    // until all were read peaked at about 45 times the file's size.
    let mut pending: Option<Chunk> = None;
    let mut has_object = false;
    let errors = read_stream(body.as_bytes(), name, &settings.limits, |doc| {
        // Read from a re-indented copy (see ParsedDocument::reindented):
        // its positions are not the file's bytes, which fix edits.
        if let Some((line, column)) = doc.reindented {
            return Err(InputError {
                kind: ErrorKind::Syntax,
                file: name.to_string(),
                line,
                column,
                field: None,
                message: REINDENT_HINT.to_string(),
            });
        }
        has_object |= doc.document.kind.is_some();
        match &mut pending {
            Some(c) if c.first_line == doc.first_line => c.docs.push(doc.document),
            _ => {
                let next = Chunk {
                    first_line: doc.first_line,
                    lines: line_breaks::count(doc.text.as_bytes())
                        + usize::from(!doc.text.ends_with(['\n', '\r'])),
                    docs: vec![doc.document],
                };
                if let Some(done) = pending.replace(next) {
                    fixer.finish(done);
                }
            }
        }
        Ok(())
    });
    if let Some(done) = pending.take() {
        fixer.finish(done);
    }
    if !errors.is_empty() {
        // What the chunks before the error gave is dropped: the file is
        // not fixed.
        return Outcome {
            errors: errors
                .iter()
                .map(|e| match e.kind {
                    ErrorKind::Template => format!("{}:{}: {TEMPLATE_HINT}", e.file, e.line),
                    _ => e.to_string(),
                })
                .collect(),
            ..Outcome::default()
        };
    }
    // A file found walking a directory with no object in it (a JSON patch
    // or a values list, whose documents are lists) is passed over, as
    // `scan` does (its list_roots.rs says why). Named on the command line
    // it was meant to be read, and a list root is an error; so is one
    // beside an object, in a manifest.
    if walked && !has_object {
        return Outcome::default();
    }
    let ChunkFixer {
        mut out,
        edits: all_edits,
        refusal,
        ..
    } = fixer;
    if let Some(e) = refusal {
        out.errors.push(e);
        return refused(out);
    }
    let fixed = if all_edits.is_empty() {
        None
    } else {
        match splice_edits(body, all_edits) {
            Ok(fixed) => Some(fixed),
            Err(e) => {
                out.errors
                    .push(format!("{}; the file was not changed", e.in_file(name)));
                return refused(out);
            }
        }
    };
    out.fixed = fixed.map(|f| format!("{bom}{f}"));
    out
}

/// Fixes the chunks of one file in order, gathering their edits, until
/// one is refused.
struct ChunkFixer<'a> {
    name: &'a str,
    body: &'a str,
    /// The line index of `body`, built for the first chunk with something
    /// to fix: a file of CRDs or RBAC alone never needs it.
    text: Option<Text<'a>>,
    settings: &'a Settings,
    out: Outcome,
    edits: Vec<Edit>,
    /// Why the file is not changed: the first chunk refused. The chunks
    /// after it are not fixed.
    refusal: Option<String>,
}

impl ChunkFixer<'_> {
    fn finish(&mut self, chunk: Chunk) {
        // Most documents of large bundles (CRDs, RBAC) are not workloads
        // and were not even built: nothing to index or edit there.
        if self.refusal.is_some() || chunk.docs.iter().all(|d| d.root.is_none()) {
            return;
        }
        let text = self.text.get_or_insert_with(|| Text::new(self.body));
        match fix_chunk(self.name, text, &chunk, self.settings, &mut self.out) {
            Ok(edits) => self.edits.extend(edits),
            Err(e) => {
                self.refusal = Some(format!(
                    "{}; the file was not changed",
                    e.in_file(self.name)
                ))
            }
        }
    }
}

/// `src` with `edits` applied. Edits that overlap or fall outside the text
/// are a bug of the fix, said as such wherever they are applied.
fn splice_edits(src: &str, edits: Vec<Edit>) -> Result<String, Refusal> {
    splice::apply(src, edits).map_err(|e| Refusal::Unlocated(format!("internal error: {e}")))
}

/// `out` for a file that is not changed: the notes said so far are about
/// what the fix does to it, and it does nothing.
fn refused(mut out: Outcome) -> Outcome {
    out.notes.clear();
    out
}

fn fix_chunk(
    name: &str,
    text: &Text<'_>,
    chunk: &Chunk,
    settings: &Settings,
    out: &mut Outcome,
) -> Result<Vec<Edit>, Refusal> {
    let last_line = chunk.first_line + chunk.lines - 1;
    let style = detect_block_style((chunk.first_line..=last_line).map(|l| text.line(l)));
    // Per document, as the style: a stream may go on in YAML after a JSON
    // document (kubectl reads it so) or hold JSON after YAML. Judged from
    // where the first document's content starts, after any `---` line.
    let from = chunk
        .docs
        .iter()
        .find_map(|d| d.root.as_ref())
        .map_or(text.line_start(chunk.first_line), |root| {
            text.offset(root.line, root.column)
        });
    let dialect = detect_dialect(
        text.src
            .get(from..text.line_end_incl(last_line))
            .unwrap_or_default(),
    );
    // Copies (aliases, merge keys) are of anchored nodes, and an anchor is
    // written with a `&`: in a chunk without one the search for copies is
    // skipped (see resolve_ops). A range that cannot be read is searched.
    let anchored = text
        .src
        .get(text.line_start(chunk.first_line)..text.line_end_incl(last_line))
        .is_none_or(|t| t.contains('&'));
    let editor = Editor {
        text,
        dialect: &dialect,
        style,
    };
    let mut edits = Vec::new();
    // Each document's ops, and which of them change something.
    let mut ops_per_doc: Vec<(Vec<Op>, Vec<bool>)> = Vec::new();
    let mut kept_per_doc: Vec<Vec<Kept>> = Vec::new();
    // The workloads as read, with their document's root: the lines of
    // what is left failing are those of the file as given.
    let mut originals: Vec<(&Node, Vec<Workload>)> = Vec::new();
    for doc in &chunk.docs {
        let mut doc_ops = Vec::new();
        let mut kept_doc = Vec::new();
        let mut pending: Vec<(usize, usize, Vec<Op>)> = Vec::new();
        if let Some(root) = &doc.root {
            let found = workloads(root)?;
            for w in &found {
                let ex = w.exemptions();
                let changes = plan_pod(&w.pod, &settings.options, Some(&ex));
                let who = format!("{} {:?}", w.kind, w.name.as_deref().unwrap_or(""));
                for n in &changes.notes {
                    let at = w.document_path(&n.path);
                    let line = line_of(root, &at);
                    out.notes
                        .push(format!("{name}:{line}: {who}: {}", n.message(&at)));
                }
                let kept: Kept = changes
                    .notes
                    .iter()
                    .filter_map(|n| n.kept.clone())
                    .collect();
                kept_doc.push(kept.clone());
                let prefix = w.document_path(&FieldPath::default());
                let first_op = doc_ops.len();
                doc_ops.extend(changes.ops.iter().map(|op| op.prefixed(&prefix)));
                pending.push((out.workloads.len(), first_op, changes.ops));
                out.workloads.push(WorkloadFix {
                    api_version: w.api_version.clone(),
                    kind: w.kind.clone(),
                    name: w.name.clone(),
                    namespace: w.namespace.clone(),
                    line: w.line,
                    template_path: w.template_path.clone(),
                    ops: Vec::new(),
                    containers: w
                        .pod
                        .spec
                        .all_containers()
                        .map(|(k, i, c)| (k.field().to_string(), i, c.name.clone()))
                        .collect(),
                    kept,
                });
            }
            let res = resolve_ops(root, &doc_ops, anchored)?;
            // Only ops that change something go into patches.
            for (wi, first, ops) in pending.drain(..) {
                let changing: Vec<Op> = ops
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| res.mask.get(first + i) == Some(&true))
                    .map(|(_, op)| op)
                    .collect();
                if let Some(wf) = out.workloads.get_mut(wi) {
                    wf.ops = changing;
                }
            }
            for placed in &res.actions {
                edits.extend(editor.edits(placed)?);
            }
            ops_per_doc.push((doc_ops, res.mask));
            originals.push((root, found));
        } else {
            ops_per_doc.push((Vec::new(), Vec::new()));
        }
        kept_per_doc.push(kept_doc);
    }
    if edits.is_empty() {
        let kept = kept_per_doc.iter().flatten();
        for ((root, w), kept) in each_workload(&originals).zip(kept) {
            for f in leftovers::of_unedited(w, kept, settings.level) {
                out.notes
                    .push(leftovers::note(name, root, w, &f, settings.level));
            }
        }
        return Ok(edits);
    }
    // The check reads the edited chunk into a second tree, larger than the
    // first; of the workloads as read, only their names and paths are used
    // after it (in the notes), so their pods go before it.
    for (_, ws) in &mut originals {
        for w in ws.iter_mut() {
            w.pod = Pod::default();
        }
    }
    // Verify the chunk as it will be written.
    let start = text.line_start(chunk.first_line);
    let end = text.line_end_incl(last_line);
    let local: Vec<Edit> = edits
        .iter()
        .map(|e| Edit {
            offset: e.offset.saturating_sub(start),
            ..e.clone()
        })
        .collect();
    if edits
        .iter()
        .any(|e| e.offset < start || e.offset + e.delete > end)
    {
        return Err(Refusal::Unlocated(
            "internal error: an edit fell outside its document".into(),
        ));
    }
    let old_chunk = text.src.get(start..end).ok_or_else(|| {
        Refusal::Unlocated("internal error: a document's lines are out of range".into())
    })?;
    let new_chunk = splice_edits(old_chunk, local)?;
    let expected: Vec<Expected<'_>> = chunk
        .docs
        .iter()
        .zip(&ops_per_doc)
        .zip(&kept_per_doc)
        .map(|((d, (ops, mask)), kept)| Expected {
            root: d.root.as_ref(),
            ops: ops
                .iter()
                .zip(mask)
                .filter(|(_, m)| **m)
                .map(|(op, _)| op)
                .collect(),
            kept,
        })
        .collect();
    let left = check_chunk(
        old_chunk,
        &new_chunk,
        chunk.first_line,
        &expected,
        settings.level,
        &edited_limits(&settings.limits, old_chunk.len(), new_chunk.len()),
    )
    .map_err(Refusal::Unverified)?;
    for ((root, w), findings) in each_workload(&originals).zip(left) {
        for f in findings {
            out.notes
                .push(leftovers::note(name, root, w, &f, settings.level));
        }
    }
    Ok(edits)
}

/// Each workload of `originals` with its document's root.
fn each_workload<'a, 'n>(
    originals: &'a [(&'n Node, Vec<Workload>)],
) -> impl Iterator<Item = (&'n Node, &'a Workload)> {
    originals
        .iter()
        .flat_map(|(root, ws)| ws.iter().map(move |w| (*root, w)))
}

/// The limits the edited text is read back with. The input met `limits`;
/// what the fix added (a securityContext and mounts per container, a few
/// hundred bytes each) can take a List that met them past them, and the
/// check would then refuse a correct fix as unreadable (a 6 MB
/// `kubectl get -o json` export of 8,000 workloads grows past 16 MiB).
/// The edited text is the fix's own output, so its size, node count and
/// depth may grow as far as the additions take them: in proportion to the
/// growth of the text, and by the few levels an addition nests.
pub fn edited_limits(limits: &Limits, old_len: usize, new_len: usize) -> Limits {
    let growth = new_len.div_ceil(old_len.max(1)).max(1);
    Limits {
        max_document_bytes: limits.max_document_bytes.max(new_len),
        max_nodes: limits.max_nodes.saturating_mul(growth),
        max_depth: limits.max_depth.saturating_add(EDIT_DEPTH),
    }
}

/// Levels an addition nests below the node it is added to
/// (`securityContext.capabilities.drop[0]`, `volumes[n].emptyDir.sizeLimit`).
const EDIT_DEPTH: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// Edits that cannot be applied are the fix's bug, said as an internal
    /// error both where a document's edits are checked and where the
    /// file's are applied.
    #[test]
    fn edits_that_cannot_be_applied_are_an_internal_error() {
        let edit = |offset| Edit {
            offset,
            delete: 0,
            insert: "x".into(),
            depth: 0,
        };
        let e = splice_edits("ab", vec![edit(5)]).unwrap_err();
        assert_eq!(
            e.in_file("p.yaml").to_string(),
            "p.yaml: internal error: an edit at byte 5 is outside the text"
        );
        assert_eq!(splice_edits("ab", vec![edit(1)]), Ok("axb".to_string()));
    }
}
