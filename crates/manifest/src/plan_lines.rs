//! Where a volume plan's entries are in its text, for messages: plans are
//! read by serde (`fix --plan`) or by `trace`'s own reader, neither of
//! which keeps positions.

use crate::Limits;
use crate::tree::parse_documents;

/// `file:LINE` of `paths[i].path` in the plan `text` (YAML or JSON), or
/// `file` alone when the text does not show it.
pub fn plan_path_at(text: &str, i: usize, file: &str) -> String {
    match plan_path_line(text, i) {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

/// The line of `paths[i].path` (of the entry, when it has no `path`).
fn plan_path_line(text: &str, i: usize) -> Option<usize> {
    let docs = parse_documents(text, 0, &Limits::default(), &|_| true).ok()?;
    let root = docs.first()?.root.as_ref()?;
    let entry = root.get("paths")?.as_seq()?.get(i)?;
    Some(entry.get("path").map_or(entry.line, |n| n.line))
}
