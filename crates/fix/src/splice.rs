//! Byte-level edits to a text, applied in one forward pass.

/// Replace `delete` bytes at `offset` with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub offset: usize,
    pub delete: usize,
    pub insert: String,
    /// Among edits at the same offset, the deeper node's goes first so
    /// its lines stay inside that node.
    pub depth: usize,
}

/// Applies `edits` to `src`. Overlapping edits are an error (they would
/// mean two changes to one piece of text).
pub fn apply(src: &str, mut edits: Vec<Edit>) -> Result<String, String> {
    edits.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.depth.cmp(&a.depth)));
    let extra: usize = edits.iter().map(|e| e.insert.len()).sum();
    let mut out = String::with_capacity(src.len() + extra);
    let mut pos = 0;
    for e in &edits {
        if e.offset < pos {
            return Err(format!("overlapping edits at byte {}", e.offset));
        }
        // Checked: an edit past the end or inside a character is a bug to
        // report, not a panic.
        let kept = src
            .get(pos..e.offset)
            .filter(|_| src.is_char_boundary(e.offset + e.delete))
            .ok_or_else(|| format!("an edit at byte {} is outside the text", e.offset))?;
        out.push_str(kept);
        out.push_str(&e.insert);
        pos = e.offset + e.delete;
    }
    out.push_str(src.get(pos..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(offset: usize, delete: usize, insert: &str, depth: usize) -> Edit {
        Edit {
            offset,
            delete,
            insert: insert.into(),
            depth,
        }
    }

    #[test]
    fn deeper_first_at_the_same_offset_and_overlaps_refused() {
        let out = apply(
            "ab",
            vec![
                e(1, 0, "[outer]", 1),
                e(1, 0, "[inner]", 5),
                e(0, 1, "A", 0),
            ],
        );
        assert_eq!(out.unwrap(), "A[inner][outer]b");
        assert!(apply("abc", vec![e(0, 2, "", 0), e(1, 0, "x", 0)]).is_err());
    }

    #[test]
    fn edits_outside_the_text_or_inside_a_character_are_errors() {
        assert!(apply("ab", vec![e(1, 5, "", 0)]).is_err());
        assert!(apply("ab", vec![e(3, 0, "x", 0)]).is_err());
        assert!(apply("é", vec![e(1, 0, "x", 0)]).is_err());
        assert!(apply("é", vec![e(0, 1, "x", 0)]).is_err());
    }
}
