//! Unified diff of a file before and after the fix.

use similar::{Algorithm, TextDiff};

/// `--- a/NAME` / `+++ b/NAME` and hunks with three lines of context.
///
/// Patience, not plain Myers: Myers costs O(lines × changed lines), and a
/// List of thousands of workloads, each with its own additions, is both
/// (14 s for 2,000 workloads of `kubectl get -o json`). Patience anchors
/// on the lines that occur once on each side (names, mostly) and runs
/// Myers only on the short stretches between them.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(old, new)
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

    /// Applies a unified diff's hunks to `old` (a test's own reader of the
    /// format, strict about context and removed lines).
    fn apply(old: &str, diff: &str) -> String {
        let old: Vec<&str> = old.lines().collect();
        let mut out: Vec<String> = Vec::new();
        let mut at = 0;
        for line in diff.lines().skip(2) {
            if let Some(header) = line.strip_prefix("@@ -") {
                let start: usize = header
                    .split([',', ' '])
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap();
                let start = start.saturating_sub(1).max(at);
                out.extend(old[at..start].iter().map(|l| l.to_string()));
                at = start;
            } else if let Some(added) = line.strip_prefix('+') {
                out.push(added.to_string());
            } else {
                let (kind, text) = line.split_at(1);
                assert_eq!(old[at], text, "{kind}: the diff's old side");
                if kind == " " {
                    out.push(text.to_string());
                }
                at += 1;
            }
        }
        out.extend(old[at..].iter().map(|l| l.to_string()));
        out.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Many alike blocks, each with its own insertion and a replaced line:
    /// the shape of a fixed List (the diff must stay exact however it
    /// anchors; its cost is measured by bench/fix.sh).
    #[test]
    fn a_diff_of_many_alike_blocks_turns_old_into_new() {
        let block = |i: usize, fixed: bool| {
            let mut b = format!("- name: d{i}\n  image: nginx\n  securityContext:\n");
            if fixed {
                b.push_str("    readOnlyRootFilesystem: true\n");
                b.push_str("  volumeMounts:\n  - {name: tmp, mountPath: /tmp}\n");
            } else {
                b.push_str("    readOnlyRootFilesystem: false\n");
            }
            b.push_str("  ports: []\n");
            b
        };
        let old: String = (0..500).map(|i| block(i, false)).collect();
        let new: String = (0..500).map(|i| block(i, i % 3 != 1)).collect();
        let diff = unified("x.yaml", &old, &new);
        assert_eq!(apply(&old, &diff), new);
    }
}
