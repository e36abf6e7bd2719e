//! Unified diff of a file before and after the fix.

use similar::TextDiff;

/// `--- a/NAME` / `+++ b/NAME` and hunks with three lines of context.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&side("a", name), &side("b", name))
        .to_string()
}

/// `a/NAME` for relative paths, as git writes them; absolute paths as they are.
fn side(prefix: &str, name: &str) -> String {
    if name.starts_with('/') || name.starts_with('<') {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_only_changed_lines_with_context() {
        let d = unified("x.yaml", "a\nb\nc\n", "a\nb\nn\nc\n");
        assert_eq!(
            d,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,3 +1,4 @@\n a\n b\n+n\n c\n"
        );
    }
}
