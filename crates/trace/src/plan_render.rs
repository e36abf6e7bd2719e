//! Writing a `VolumePlan` as YAML (hand-written, quoting whatever YAML could
//! misread), as JSON (serde_json), or as a human summary.

use rootlock_policy::format::printable;
use rootlock_policy::plan::VolumePlan;
use std::fmt::Write as _;

/// Output formats shared by `trace` and `logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Yaml,
}

/// The plan as a YAML document (the format `rootlock fix --plan` reads).
pub fn to_yaml(plan: &VolumePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "apiVersion: {}", scalar(&plan.api_version));
    let _ = writeln!(out, "kind: {}", scalar(&plan.kind));
    if !plan.source.is_empty() {
        let _ = writeln!(out, "source: {}", scalar(&plan.source));
    }
    if plan.paths.is_empty() {
        out.push_str("paths: []\n");
    } else {
        out.push_str("paths:\n");
    }
    for p in &plan.paths {
        let _ = writeln!(out, "  - path: {}", scalar(&p.path));
        let _ = writeln!(out, "    medium: {}", p.medium.as_str());
        if let Some(s) = &p.size_limit {
            let _ = writeln!(out, "    sizeLimit: {}", scalar(s));
        }
        if let Some(c) = &p.container {
            let _ = writeln!(out, "    container: {}", scalar(c));
        }
        if p.seed {
            out.push_str("    seed: true\n");
        }
        if !p.reason.is_empty() {
            let _ = writeln!(out, "    reason: {}", scalar(&p.reason));
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str("warnings:\n");
        for w in &plan.warnings {
            let _ = writeln!(out, "  - {}", scalar(w));
        }
    }
    out
}

/// A YAML scalar: plain when that is unambiguous, otherwise double-quoted
/// with escapes.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        let mut q = String::with_capacity(s.len() + 2);
        q.push('"');
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                '\r' => q.push_str("\\r"),
                c if needs_escape(c) && (c as u32) < 0x100 => {
                    let _ = write!(q, "\\x{:02x}", c as u32);
                }
                c if needs_escape(c) => {
                    let _ = write!(q, "\\u{:04x}", c as u32);
                }
                c => q.push(c),
            }
        }
        q.push('"');
        q
    }
}

/// A character a YAML reader does not take as it stands, even in a
/// double-quoted scalar: C0 and C1 controls and DEL; U+0085, U+2028 and
/// U+2029, which YAML 1.1 readers (`fix --plan` reads with one) take for
/// line breaks and fold into a space; the byte-order mark; and U+FFFE and
/// U+FFFF, which are outside YAML's printable set. A path in a log can
/// hold any of them, and written raw the plan was refused by `fix --plan`
/// ("could not find expected ':'") or read back as another path.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn is_plain_safe(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".nan", ".inf",
        "-.inf",
    ];
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@` ".contains(first) {
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.chars().any(needs_escape) {
        return false;
    }
    // Numbers (and things YAML 1.1 would read as numbers or dates).
    let numeric = s
        .chars()
        .all(|c| c.is_ascii_digit() || "._+-:xXoOabcdefABCDEF".contains(c));
    if numeric
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == '+')
    {
        return false;
    }
    true
}

/// The plan as pretty JSON.
pub fn to_json(plan: &VolumePlan) -> String {
    match serde_json::to_string_pretty(plan) {
        Ok(s) => s + "\n",
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

/// The plan file for `--output FILE`: JSON for `*.json` (any case), YAML
/// otherwise.
pub fn for_file(plan: &VolumePlan, file: &str) -> String {
    let json = file
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("json"));
    if json { to_json(plan) } else { to_yaml(plan) }
}

/// Paths longer than this do not widen the aligned column (they would push
/// every other line far to the right).
const MAX_ALIGNED_PATH: usize = 64;

/// The plan as a human summary (no trailing blank line).
pub fn to_text(plan: &VolumePlan) -> String {
    let mut out = String::new();
    if plan.paths.is_empty() {
        out.push_str("No writable paths needed.\n");
    } else {
        out.push_str("Writable paths needed:\n");
        // Align the medium column on the longest path, but padded by hand
        // and capped: a format width (`{:width$}`) panics above 65535, and
        // a path taken from a log line can be any length.
        let width = plan
            .paths
            .iter()
            .map(|p| printable(&p.path).chars().count())
            .filter(|&n| n <= MAX_ALIGNED_PATH)
            .max()
            .unwrap_or(0);
        for p in &plan.paths {
            let mut medium = p.medium.as_str().to_string();
            if let Some(s) = &p.size_limit {
                let _ = write!(medium, " {s}");
            }
            if p.seed {
                medium.push_str(", seed");
            }
            if let Some(c) = &p.container {
                let _ = write!(medium, ", container {}", printable(c));
            }
            let path = printable(&p.path);
            let pad = width.saturating_sub(path.chars().count());
            let _ = writeln!(
                out,
                "  {}{}  [{}]  {}",
                path,
                " ".repeat(pad),
                medium,
                printable(&p.reason)
            );
        }
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "warning: {}", printable(w));
    }
    out
}

/// The error of [`out`] when the reader of standard output went away
/// (`rootlock logs … | head`): exit 2, as for any output error, but
/// without a message (as `scan` does).
pub const BROKEN_PIPE: &str = "cannot write output: broken pipe";

/// Writes `text` to standard output. `print!` panics when that fails (a
/// closed pipe: the reader went away); this returns [`BROKEN_PIPE`] or
/// the error instead.
pub fn out(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                BROKEN_PIPE.to_string()
            } else {
                format!("cannot write output: {e}")
            }
        })
}

/// Prints the plan on stdout in `format` and writes `output` if given.
/// Returns an error message for an unwritable output file or stdout.
pub fn emit(plan: &VolumePlan, format: Format, output: Option<&str>) -> Result<(), String> {
    if format == Format::Text {
        out(&to_text(plan))?;
    }
    emit_quiet(plan, format, output)
}

/// Like [`emit`], but prints nothing for `Format::Text` (the caller has
/// already printed its own summary).
pub fn emit_quiet(plan: &VolumePlan, format: Format, output: Option<&str>) -> Result<(), String> {
    if let Some(file) = output {
        // Whole or not at all: a plan cut mid-path by a full disk would be
        // applied by `fix --plan` as it stands.
        rootlock_manifest::atomic_write::write_atomic(
            std::path::Path::new(file),
            for_file(plan, file).as_bytes(),
        )
        .map_err(|e| format!("cannot write the plan: {e}"))?;
    }
    match format {
        Format::Text => {}
        Format::Json => out(&to_json(plan))?,
        Format::Yaml => out(&to_yaml(plan))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootlock_policy::plan::{Medium, PlannedPath};

    /// A path, container, reason or warning from a log or a traced
    /// program is shown with its control characters escaped: raw, an OSC
    /// sequence would retitle the terminal and `ESC [2K` erase the line.
    #[test]
    fn text_escapes_control_characters() {
        let mut plan = VolumePlan::new("logs: -");
        plan.paths.push(PlannedPath {
            path: "/x\u{1b}]0;t\u{7}".into(),
            medium: Medium::Disk,
            size_limit: None,
            container: Some("c\u{1b}[2K".into()),
            seed: false,
            reason: "write /x\u{1b}]0;t\u{7}/f: EROFS".into(),
        });
        plan.warnings.push("w\u{9b}31m".into());
        let text = to_text(&plan);
        assert!(
            !text.contains(|c: char| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("  /x\\u{1b}]0;t\\u{7}  [disk, container c\\u{1b}[2K]  write /x\\u{1b}]0;t\\u{7}/f: EROFS\n"), "{text}");
        assert!(text.contains("warning: w\\u{9b}31m\n"), "{text}");
    }

    /// A path from a log may hold characters YAML does not take raw: C1
    /// controls, U+0085/U+2028/U+2029 (line breaks to a YAML 1.1 reader),
    /// the byte-order mark, U+FFFE/U+FFFF. Written raw, `fix --plan`
    /// refused the plan `logs -o plan.yaml` wrote (a plain `/srv/a\u{2028}b`
    /// broke the line). Escaped, the plan reads back as written.
    #[test]
    fn yaml_escapes_what_a_yaml_reader_does_not_take_raw() {
        let odd = [
            '\u{85}', '\u{9b}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffe}', '\u{ffff}',
        ];
        let mut plan = VolumePlan::new("logs: -");
        for c in odd {
            plan.paths.push(PlannedPath {
                path: format!("/srv/a{c}b"),
                medium: Medium::Disk,
                size_limit: None,
                container: Some(format!("c{c}")),
                seed: true,
                reason: format!("write /srv/a{c}b/x: EROFS (sh, line 1)"),
            });
            plan.warnings.push(format!("w{c}"));
        }
        let y = to_yaml(&plan);
        assert!(!y.contains(odd), "{y:?}");
        assert!(y.contains("  - path: \"/srv/a\\u2028b\"\n"), "{y}");
        assert!(y.contains("  - path: \"/srv/a\\x85b\"\n"), "{y}");
        let back = crate::verify_plan::parse(&y).unwrap();
        let paths: Vec<&str> = back.paths.iter().map(|p| p.path.as_str()).collect();
        let written: Vec<&str> = plan.paths.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, written);
    }

    /// `-o plan.JSON` is JSON, as `-o plan.json` is; anything else YAML.
    #[test]
    fn the_output_file_format_follows_its_extension_in_any_case() {
        let plan = sample();
        for file in ["p.json", "p.JSON", "dir.v1/p.Json"] {
            assert!(for_file(&plan, file).starts_with('{'), "{file}");
        }
        for file in ["p.yaml", "p", "json", "p.jsonl"] {
            assert!(for_file(&plan, file).starts_with("apiVersion: "), "{file}");
        }
    }

    fn sample() -> VolumePlan {
        let mut plan = VolumePlan::new("trace: nginx -g 'daemon off;'");
        plan.paths.push(PlannedPath {
            path: "/run".into(),
            medium: Medium::Memory,
            size_limit: Some("16Mi".into()),
            container: None,
            seed: false,
            reason: "transient /run/nginx.pid".into(),
        });
        plan.paths.push(PlannedPath {
            path: "/var/log/nginx".into(),
            medium: Medium::Disk,
            size_limit: None,
            container: Some("web".into()),
            seed: true,
            reason: "modified /var/log/nginx/access.log: \"quoted\" #x".into(),
        });
        plan.warnings.push("yes".into());
        plan
    }

    #[test]
    fn yaml_matches_the_documented_layout() {
        let y = to_yaml(&sample());
        assert_eq!(
            y,
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\nsource: trace: nginx -g 'daemon off;'\n"
                .replace("source: trace:", "source: \"trace:")
                .replace(";'\n", ";'\"\n")
                + "paths:\n  - path: /run\n    medium: memory\n    sizeLimit: 16Mi\n    reason: transient /run/nginx.pid\n"
                + "  - path: /var/log/nginx\n    medium: disk\n    container: web\n    seed: true\n"
                + "    reason: \"modified /var/log/nginx/access.log: \\\"quoted\\\" #x\"\n"
                + "warnings:\n  - \"yes\"\n"
        );
    }

    #[test]
    fn scalars_quote_what_yaml_would_misread() {
        for s in [
            "",
            "true",
            "No",
            "~",
            "12",
            "1.5",
            "1e3",
            "2024-01-01",
            "0x1f",
            "12:30",
            "-x",
            "- x",
            "a: b",
            "a #c",
            "x:",
            "*x",
            "&a",
            "!t",
            "'q",
            "\"q",
            "a\nb",
            "@x",
            "`x",
            " x",
            "x ",
        ] {
            assert!(scalar(s).starts_with('"'), "{s:?} must be quoted");
        }
        for s in [
            "/run",
            "memory",
            "16Mi",
            "a:b",
            "wrote /x under /etc",
            "a#b",
        ] {
            assert_eq!(scalar(s), s);
        }
        assert_eq!(scalar("a\"b\\c\td\u{1}"), "\"a\\\"b\\\\c\\td\\x01\"");
    }

    #[test]
    fn json_round_trips_and_text_lists_paths() {
        let plan = sample();
        let back: VolumePlan = serde_json::from_str(&to_json(&plan)).unwrap();
        assert_eq!(back, plan);
        let t = to_text(&plan);
        assert!(
            t.contains("  /run            [memory 16Mi]  transient /run/nginx.pid"),
            "{t}"
        );
        assert!(t.contains("[disk, seed, container web]"), "{t}");
        assert!(t.contains("warning: yes"));
        assert_eq!(to_text(&VolumePlan::new("")), "No writable paths needed.\n");
    }

    #[test]
    fn text_survives_paths_longer_than_a_format_width() {
        // `{:width$}` panics for widths above 65535; log lines can hold such paths.
        let mut plan = sample();
        let long = format!("/var/lib/{}", "a".repeat(70_000));
        plan.paths[1].path = long.clone();
        let t = to_text(&plan);
        assert!(
            t.contains(&format!("  {long}  [disk, seed, container web]")),
            "long path"
        );
        // The long path does not widen the column for the others.
        assert!(t.contains("  /run  [memory 16Mi]"), "{}", &t[..200]);
    }
}
