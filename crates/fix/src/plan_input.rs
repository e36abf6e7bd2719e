//! Reading a volume plan (`rootlock trace`/`rootlock logs` output; the
//! format is `rootlock_policy::plan`) from a YAML or JSON file.

use rootlock_manifest::plan_file;
use rootlock_policy::format::printable;
use rootlock_policy::plan::{PlannedPath, VolumePlan};

/// Parses and validates plan text (see [`plan_file::parse_plan`]); `file`
/// names it in errors. The plan's warnings are shown.
pub fn parse_plan(text: &str, file: &str) -> Result<Vec<PlannedPath>, String> {
    Ok(paths_of(plan_file::parse_plan(text, file)?, file))
}

/// Reads a plan file (see [`plan_file::read_plan`]).
pub fn read_plan(file: &str) -> Result<Vec<PlannedPath>, String> {
    Ok(paths_of(plan_file::read_plan(file)?, file))
}

fn paths_of(plan: VolumePlan, file: &str) -> Vec<PlannedPath> {
    for w in &plan.warnings {
        eprintln!("{}", warning_line(file, w));
    }
    plan.paths
}

/// How a plan's warning is shown. A warning quotes what a log or a traced
/// program named (`rootlock logs` keeps a path with control characters
/// out of the plan, but names it in a warning): printed raw, an escape
/// sequence in it would be run by the terminal instead of shown.
fn warning_line(file: &str, warning: &str) -> String {
    format!(
        "rootlock fix: {}: plan warning: {}",
        printable(file),
        printable(warning)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootlock_policy::plan::Medium;

    #[test]
    fn a_warnings_control_characters_are_shown_escaped() {
        // C1 CSI `2K` erases the terminal's line; BEL and NUL from a log.
        let line = warning_line(
            "plan.yaml",
            "line 1: \"/srv/a\u{9b}2Kb\" holds control characters (write /srv/a\u{9b}2Kb/x\u{7}\u{0}: EROFS)",
        );
        assert!(!line.contains(char::is_control), "{line:?}");
        assert_eq!(
            line,
            "rootlock fix: plan.yaml: plan warning: line 1: \"/srv/a\\u{9b}2Kb\" holds control characters (write /srv/a\\u{9b}2Kb/x\\u{7}\\u{0}: EROFS)"
        );
    }

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

    /// Every refusal of a plan names its line, as the manifests' do: a
    /// relative path or `/` (checked with the header) had only the file.
    #[test]
    fn relative_root_and_header_errors_name_their_line() {
        for (path, why) in [("tmp", "is not absolute"), ("/", "cannot be a volume")] {
            let y = format!(
                "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp\n  medium: memory\n- medium: disk\n  path: {path}\n"
            );
            let e = parse_plan(&y, "p.yaml").unwrap_err();
            assert!(
                e.starts_with("p.yaml:7: invalid plan: paths[1].path: "),
                "{e}"
            );
            assert!(e.contains(why), "{e}");
        }
        let j = "{\n  \"apiVersion\": \"rootlock.dev/v1\",\n  \"kind\": \"Plan\",\n  \"paths\": []\n}\n";
        let e = parse_plan(j, "p.json").unwrap_err();
        assert!(e.starts_with("p.json:3: invalid plan: kind: "), "{e}");
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
