//! Reading a volume plan (`rootlock trace`/`rootlock logs` output; the
//! format is `rootlock_policy::plan`) from a YAML or JSON file.

use rootlock_policy::model::normalize_path;
use rootlock_policy::plan::{PlannedPath, VolumePlan};

/// Parses and validates plan text; `file` names it in errors.
pub fn parse_plan(text: &str, file: &str) -> Result<Vec<PlannedPath>, String> {
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
    Ok(plan
        .paths
        .into_iter()
        .map(|mut p| {
            p.path = normalize_path(&p.path);
            p
        })
        .collect())
}

/// Reads a plan file.
pub fn read_plan(file: &str) -> Result<Vec<PlannedPath>, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("{file}: cannot read the plan: {e}"))?;
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
}
