//! Reading a plan file back for `trace --verify --plan FILE`: JSON through
//! serde, YAML through a reader for the plan's own simple shape (the
//! `paths` list's `path` and `seed` keys; the rest is not needed here).

use rootlock_manifest::plan_lines::plan_path_at;
use rootlock_policy::immutable::system_path_refusal;
use rootlock_policy::model::normalize_path;
use rootlock_policy::plan::{Medium, PlannedPath, VolumePlan};

pub fn read(file: &str) -> Result<VolumePlan, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("--plan {file}: {e}"))?;
    let plan = parse(&text).map_err(|e| format!("--plan {file}: {e}"))?;
    plan.validate().map_err(|e| format!("--plan {file}: {e}"))?;
    refuse_unmountable(&plan, &text, file)?;
    Ok(plan)
}

/// A path `fix --plan` refuses (a system, kernel or kubelet path) is
/// refused here by the same rule: a plan verified here is one `fix` can
/// apply (and a volume over `/proc` or `/usr` would "pass" by hiding what
/// the program needs, or break the traced root).
fn refuse_unmountable(plan: &VolumePlan, text: &str, file: &str) -> Result<(), String> {
    for (i, p) in plan.paths.iter().enumerate() {
        // `..` resolved first, as `fix` does: `/var/../etc` is `/etc`.
        if let Some(why) = system_path_refusal(&normalize_path(&p.path)) {
            return Err(format!(
                "--plan {}: invalid plan: paths[{i}].path: {why}",
                plan_path_at(text, i, file)
            ));
        }
    }
    Ok(())
}

pub fn parse(text: &str) -> Result<VolumePlan, String> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| e.to_string());
    }
    // The header as the file says it, not pre-filled: a file without one
    // (an empty `plan.yaml` a failed trace left, any other YAML) is not a
    // plan, and `validate` must see that.
    let mut plan = VolumePlan::new("");
    plan.api_version.clear();
    plan.kind.clear();
    let mut in_paths = false;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('-') {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected `key: value`", i + 1))?;
            in_paths = k == "paths";
            // The list is a block below the key; inline, only `[]` (no paths).
            if in_paths && !matches!(v.trim(), "" | "[]") {
                return Err(format!("line {}: `paths` must be a list of paths", i + 1));
            }
            let v = unquote(v.trim());
            match k {
                "apiVersion" => plan.api_version = v,
                "kind" => plan.kind = v,
                "source" => plan.source = v,
                _ => {}
            }
            continue;
        }
        if !in_paths {
            continue;
        }
        let t = line.trim_start();
        let (t, new_item) = match t.strip_prefix("- ") {
            Some(rest) => (rest, true),
            None => (t, false),
        };
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let v = unquote(v.trim());
        if new_item {
            plan.paths.push(PlannedPath {
                path: String::new(),
                medium: Medium::Disk,
                size_limit: None,
                container: None,
                seed: false,
                reason: String::new(),
            });
        }
        let Some(p) = plan.paths.last_mut() else {
            return Err(format!("line {}: `{k}` outside a list item", i + 1));
        };
        match k.trim() {
            "path" => p.path = v,
            "seed" => p.seed = v == "true",
            "medium" => {
                p.medium = match v.as_str() {
                    "memory" => Medium::Memory,
                    "persistent" => Medium::Persistent,
                    _ => Medium::Disk,
                }
            }
            _ => {}
        }
    }
    Ok(plan)
}

/// `line` without its comment: a `#` at the start or after a blank, and
/// outside a quoted scalar (the writer quotes a path such as `/a #b`).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev = ' ';
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            // `''` is a quote inside a single-quoted scalar.
            Some('\'') if c == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_whitespace() => return &line[..i],
            None if (c == '"' || c == '\'') && (prev.is_whitespace() || prev == ':') => {
                quote = Some(c);
            }
            None => {}
        }
        prev = c;
    }
    line
}

/// A plain, single- or double-quoted scalar.
fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('0') => out.push('\0'),
                    Some('N') => out.push('\u{85}'),
                    Some('L') => out.push('\u{2028}'),
                    Some('P') => out.push('\u{2029}'),
                    // `\xNN`, `\uNNNN`, `\UNNNNNNNN`: the writer escapes
                    // what YAML cannot hold raw so (`plan_render::scalar`).
                    Some(e @ ('x' | 'u' | 'U')) => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = chars.by_ref().take(digits).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(decoded) => out.push(decoded),
                            None => {
                                out.push(e);
                                out.push_str(&hex);
                            }
                        }
                    }
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_render::{to_json, to_yaml};

    /// A `#` inside a quoted path (the YAML writer quotes `a #b`) is part
    /// of the path; a comment starts only at a ` #` outside quotes.
    #[test]
    fn a_hash_in_a_quoted_path_is_not_a_comment() {
        let mut plan = VolumePlan::new("trace: x");
        for p in ["/var/cache/a #b", "/var/cache/it's #1", "/c\\ #\"d"] {
            plan.paths.push(PlannedPath {
                path: p.into(),
                medium: Medium::Disk,
                size_limit: None,
                container: None,
                seed: true,
                reason: "created".into(),
            });
        }
        let back = parse(&to_yaml(&plan)).unwrap();
        let got: Vec<(&str, bool)> = back
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.seed))
            .collect();
        assert_eq!(
            got,
            [
                ("/var/cache/a #b", true),
                ("/var/cache/it's #1", true),
                ("/c\\ #\"d", true)
            ]
        );
        let hand = "apiVersion: rootlock.dev/v1 # header\nkind: VolumePlan\npaths:\n  - path: '/x #y' # a comment\n    seed: true #also\n  - path: /plain # comment\n  - path: 'it''s #1' # c\n";
        let back = parse(hand).unwrap();
        let got: Vec<(&str, bool)> = back
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.seed))
            .collect();
        assert_eq!(
            got,
            [("/x #y", true), ("/plain", false), ("it's #1", false)]
        );
    }

    /// `trace --format yaml > plan.yaml` that failed leaves an empty
    /// file; it, or any YAML that is not a plan, must not read as a plan
    /// with no paths (verify would then check a different plan).
    #[test]
    fn yaml_that_is_not_a_plan_is_refused() {
        for text in [
            "",
            "# nothing\n",
            "foo: bar\n",
            "- a\n",
            "kind: VolumePlan\npaths: []\n",
            "apiVersion: rootlock.dev/v1\npaths: []\n",
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: {a: 1}\n",
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: /run\n",
        ] {
            let read = parse(text).and_then(|p| p.validate());
            assert!(read.is_err(), "accepted as a plan: {text:?}");
        }
        let empty = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: []\n";
        assert!(parse(empty).unwrap().paths.is_empty());
        parse(empty).unwrap().validate().unwrap();
    }

    /// A plan `fix --plan` refuses (a kernel, system or kubelet path) is
    /// refused by `trace --verify --plan` too, by the same rule, naming
    /// the file, the line and the path: verified, it would pass a plan
    /// that cannot be applied.
    #[test]
    fn system_kernel_and_kubelet_paths_are_refused_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        for (bad, why) in [
            ("/proc/x", "the kernel's"),
            ("/usr", "system path"),
            ("/var/../etc", "system path"),
            ("/etc/hosts", "kubelet mounts /etc/hosts"),
            (
                "/var/run/secrets/kubernetes.io/serviceaccount",
                "kubelet mounts",
            ),
        ] {
            let yaml = format!(
                "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp\n  medium: memory\n- medium: disk\n  path: {bad}\n"
            );
            let json = format!(
                "{{\n\"apiVersion\": \"rootlock.dev/v1\",\n\"kind\": \"VolumePlan\",\n\"paths\": [\n{{\"path\": {bad:?}, \"medium\": \"disk\"}}\n]}}\n"
            );
            for (name, text, at) in [
                ("plan.yaml", yaml, "7: invalid plan: paths[1]"),
                ("plan.json", json, "5: invalid plan: paths[0]"),
            ] {
                let path = dir.path().join(name);
                std::fs::write(&path, text).unwrap();
                let file = path.to_str().unwrap();
                let e = read(file).unwrap_err();
                assert!(e.starts_with(&format!("--plan {file}:{at}.path: ")), "{e}");
                assert!(e.contains(why), "{e}");
            }
        }
        // Below a system path (outside its executable trees) is writable.
        let ok = dir.path().join("ok.yaml");
        std::fs::write(
            &ok,
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /etc/nginx/conf.d\n- path: /dev/shm\n",
        )
        .unwrap();
        assert_eq!(read(ok.to_str().unwrap()).unwrap().paths.len(), 2);
    }

    #[test]
    fn reads_back_what_we_write() {
        let mut plan = VolumePlan::new("trace: x: 'y'");
        for (p, seed) in [
            ("/run", false),
            ("/var/log/nginx", true),
            ("/odd: path", false),
        ] {
            plan.paths.push(PlannedPath {
                path: p.into(),
                medium: Medium::Memory,
                size_limit: Some("16Mi".into()),
                container: None,
                seed,
                reason: "a \"b\" #c".into(),
            });
        }
        plan.warnings.push("w: x".into());
        for text in [to_yaml(&plan), to_json(&plan)] {
            let back = parse(&text).unwrap();
            let got: Vec<(&str, bool)> = back
                .paths
                .iter()
                .map(|p| (p.path.as_str(), p.seed))
                .collect();
            assert_eq!(
                got,
                [
                    ("/run", false),
                    ("/var/log/nginx", true),
                    ("/odd: path", false)
                ],
                "{text}"
            );
            assert_eq!(back.source, "trace: x: 'y'");
            back.validate().unwrap();
        }
    }
}
