//! Reading a volume plan (`rootlock trace`/`rootlock logs` output; the
//! format is `rootlock_policy::plan`) from a YAML or JSON file.

use rootlock_manifest::plan_lines::plan_path_at;
use rootlock_policy::model::normalize_path;
use rootlock_policy::plan::{PlannedPath, VolumePlan};

/// Parses and validates plan text; `file` names it in errors.
pub fn parse_plan(text: &str, file: &str) -> Result<Vec<PlannedPath>, String> {
    // A byte-order mark is no part of the text (left in, it would be part
    // of the first key).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    let plan: VolumePlan = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("{file}:{}: invalid plan: {e}", e.line()))?
    } else {
        serde_norway::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(0);
            format!("{file}:{line}: invalid plan: {e}")
        })?
    };
    plan.validate()
        .map_err(|e| format!("{file}: invalid plan: {e}"))?;
    for w in &plan.warnings {
        eprintln!("rootlock fix: {file}: plan warning: {w}");
    }
    let mut paths = plan.paths;
    for (i, p) in paths.iter_mut().enumerate() {
        // Same rules as `--writable`: `..` resolved, system paths refused.
        p.path = normalize_path(&p.path);
        let at = || plan_path_at(text, i, file);
        if let Some(why) = crate::writable::system_path_refusal(&p.path) {
            return Err(format!("{}: invalid plan: paths[{i}].path: {why}", at()));
        }
        // Checked here, against the plan, so a bad size is blamed on the
        // plan file and not reported as a manifest that "could not be
        // verified" after the edit.
        if let Some(why) = p
            .size_limit
            .as_deref()
            .and_then(crate::writable::size_refusal)
        {
            return Err(format!(
                "{}: invalid plan: paths[{i}].sizeLimit: {why}",
                at()
            ));
        }
    }
    Ok(paths)
}

/// Reads a plan file, in UTF-8 or (with its byte-order mark) UTF-16, as
/// manifests are read.
pub fn read_plan(file: &str) -> Result<Vec<PlannedPath>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: cannot read the plan: {e}"))?;
    let (text, _) = crate::inputs::decode(bytes, file)?;
    parse_plan(&text, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootlock_policy::plan::Medium;

    #[test]
    fn yaml_and_json_plans() {
        let y = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /run/\n  medium: memory\n  sizeLimit: 16Mi\n- path: /data\n  medium: persistent\n  container: db\n";
        let p = parse_plan(y, "p.yaml").unwrap();
        assert_eq!(p[0].path, "/run");
        assert_eq!(p[1].medium, Medium::Persistent);
        assert_eq!(p[1].container.as_deref(), Some("db"));
        let j = r#"{"apiVersion":"rootlock.dev/v1","kind":"VolumePlan","paths":[{"path":"/tmp","medium":"disk"}]}"#;
        assert_eq!(parse_plan(j, "p.json").unwrap()[0].medium, Medium::Disk);
        assert!(
            parse_plan("apiVersion: x\nkind: VolumePlan\n", "p")
                .unwrap_err()
                .contains("apiVersion")
        );
        let e = parse_plan(
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /x\n  medium: ram\n",
            "p.yaml",
        )
        .unwrap_err();
        assert!(e.starts_with("p.yaml:5"), "{e}");
    }

    #[test]
    fn system_paths_in_a_plan_are_refused_with_their_line() {
        let y = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp\n  medium: memory\n- medium: disk\n  path: /var/../etc\n";
        let e = parse_plan(y, "p.yaml").unwrap_err();
        assert!(
            e.starts_with("p.yaml:7: invalid plan: paths[1].path: /etc "),
            "{e}"
        );
        let j = r#"{"apiVersion":"rootlock.dev/v1","kind":"VolumePlan","paths":[{"path":"/usr/local/bin","medium":"disk"}]}"#;
        let e = parse_plan(j, "p.json").unwrap_err();
        assert!(
            e.starts_with("p.json:1: invalid plan: paths[0].path: /usr/local/bin "),
            "{e}"
        );
        let ok = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp/../cache\n  medium: memory\n";
        assert_eq!(parse_plan(ok, "p.yaml").unwrap()[0].path, "/cache");
    }

    #[test]
    fn bad_or_zero_sizes_in_a_plan_are_refused_with_their_line() {
        for (size, why) in [
            ("abc", "not a quantity"),
            ("\"64Mi, foo: bar\"", "not a quantity"),
            ("\"0\"", "not a limit"),
        ] {
            let y = format!(
                "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp\n  medium: memory\n- path: /cache\n  medium: memory\n  sizeLimit: {size}\n"
            );
            let e = parse_plan(&y, "p.yaml").unwrap_err();
            assert!(
                e.starts_with("p.yaml:6: invalid plan: paths[1].sizeLimit: "),
                "{e}"
            );
            assert!(e.contains(why), "{e}");
        }
    }
}
