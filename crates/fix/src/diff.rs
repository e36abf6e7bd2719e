//! Unified diff of a file before and after the fix.

use rootlock_manifest::line_breaks;
use similar::algorithms::{Capture, IdentifyDistinct, Replace, patience};
use similar::udiff::UnifiedHunkHeader;
use similar::{DiffTag, group_diff_ops};
use std::fmt::Write;

/// `--- a/NAME` / `+++ b/NAME` and hunks with three lines of context, in
/// the format of similar's unified diff.
///
/// Patience, not plain Myers: Myers costs O(lines × changed lines), and a
/// List of thousands of workloads, each with its own additions, is both
/// (14 s for 2,000 workloads of `kubectl get -o json`). Patience anchors
/// on the lines that occur once on each side (names, mostly) and runs
/// Myers only on the short stretches between them.
///
/// Without similar's `TextDiff`, whose every diff goes through its
/// `Compact` pass: that pass slides changes to tidier places by inserting
/// into and removing from the middle of the list of changes, quadratic in
/// their number (a fifth of `fix`'s time on 8,000 workloads). The fix's
/// changes are insertions and replaced lines between anchors that do not
/// move, so there is nothing for it to tidy.
///
/// Lines end where the YAML parser (and similar) ends them, at a lone `\r`
/// too, so an old Mac file's diff shows the lines that changed, not the
/// whole file as one line. A line that ends in a lone `\r` is followed by
/// a `\n` in the diff, where similar writes none: a terminal would print
/// every such line over the one before, and no patch tool applies a diff
/// to such a file anyway (they end lines at `\n` alone).
pub fn unified(name: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = line_breaks::split_inclusive(old).collect();
    let new_lines: Vec<&str> = line_breaks::split_inclusive(new).collect();
    // Lines as numbers: each comparison is then one of integers.
    let ids = IdentifyDistinct::<u32>::new(
        &old_lines[..],
        0..old_lines.len(),
        &new_lines[..],
        0..new_lines.len(),
    );
    let mut hook = Replace::new(Capture::new());
    // The hook cannot fail (`Capture`'s error type is `Infallible`).
    let Ok(()) = patience::diff(
        &mut hook,
        ids.old_lookup(),
        ids.old_range(),
        ids.new_lookup(),
        ids.new_range(),
    );
    let mut out = String::new();
    for (i, group) in group_diff_ops(hook.into_inner().into_ops(), 3)
        .iter()
        .enumerate()
    {
        if i == 0 {
            let _ = writeln!(out, "--- {}", side("a", name));
            let _ = writeln!(out, "+++ {}", side("b", name));
        }
        let _ = writeln!(out, "{}", UnifiedHunkHeader::new(group));
        for op in group {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let (old_part, new_part) = (&old_lines[old_range], &new_lines[new_range]);
            match tag {
                DiffTag::Equal => push_lines(&mut out, ' ', old_part),
                DiffTag::Delete => push_lines(&mut out, '-', old_part),
                DiffTag::Insert => push_lines(&mut out, '+', new_part),
                DiffTag::Replace => {
                    push_lines(&mut out, '-', old_part);
                    push_lines(&mut out, '+', new_part);
                }
            }
        }
    }
    out
}

/// `lines` marked with `mark`; a last line without its line break is
/// followed by one and git's note, a line that ends in a lone `\r` by a
/// `\n` (see [`unified`]).
fn push_lines(out: &mut String, mark: char, lines: &[&str]) {
    for line in lines {
        out.push(mark);
        out.push_str(line);
        if line.ends_with('\r') {
            out.push('\n');
        } else if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
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

    /// The format is similar's unified diff, byte for byte: hunk ranges
    /// (empty ones included), context, replaced lines, a last line without
    /// its line break.
    #[test]
    fn the_format_is_similars() {
        let cases = [
            ("a\nb\nc\n", "x\na\nb\nc\n"),
            ("a\nb\nc\n", "a\nb\nc\nx\n"),
            ("a\nb\nc", "a\nb\nc\nd"),
            ("a\nb\nc", "a\nB\nc"),
            ("a\r\nb\r\n", "a\r\nn\r\nb\r\n"),
            ("", "a\n"),
            (
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
                "1\nx\n2\n3\n4\n5\n6\n7\n8\n9\n10\ny\n11\n",
            ),
        ];
        for (old, new) in cases {
            let want = similar::TextDiff::configure()
                .algorithm(similar::Algorithm::Patience)
                .diff_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header("a/x.yaml", "b/x.yaml")
                .to_string();
            assert_eq!(unified("x.yaml", old, new), want, "{old:?} -> {new:?}");
        }
    }

    /// An old Mac file's diff is similar's, each line that ends in a lone
    /// `\r` followed by a `\n` so that a terminal shows it on its own line.
    #[test]
    fn lines_that_end_in_a_lone_carriage_return_are_lines() {
        let cases = [
            ("a\rb\rc\r", "a\rb\rn\rc\r"),
            ("a\rb\rc", "a\rB\rc"),
            ("a\nb\rc\r\nd\n", "a\nb\rx\rc\r\nd\n"),
        ];
        for (old, new) in cases {
            let similar = similar::TextDiff::configure()
                .algorithm(similar::Algorithm::Patience)
                .diff_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header("a/x.yaml", "b/x.yaml")
                .to_string();
            let mut want = String::new();
            let mut lines = similar.split_inclusive('\r').peekable();
            while let Some(l) = lines.next() {
                want.push_str(l);
                if l.ends_with('\r') && lines.peek().is_none_or(|n| !n.starts_with('\n')) {
                    want.push('\n');
                }
            }
            assert_eq!(unified("x.yaml", old, new), want, "{old:?} -> {new:?}");
        }
        assert_eq!(
            unified("x.yaml", "a\rb\r", "a\rn\rb\r"),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,2 +1,3 @@\n a\r\n+n\r\n b\r\n"
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
