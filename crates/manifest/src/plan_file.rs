//! Reading a volume plan (`rootlock trace`/`rootlock logs` output; the
//! format is `rootlock_policy::plan`) from a YAML or JSON file: one reader
//! for every command that takes `--plan` (`fix`, `trace --verify`), so a
//! plan one of them accepts, the others do, and means the same.

use crate::Limits;
use crate::tree::parse_documents;
use rootlock_policy::immutable::system_path_refusal;
use rootlock_policy::model::normalize_path;
use rootlock_policy::plan::VolumePlan;
use rootlock_policy::quantity::size_refusal;

/// Reads a plan file, in UTF-8 or (with its byte-order mark) UTF-16, as
/// manifests are read; see [`parse_plan`].
pub fn read_plan(file: &str) -> Result<VolumePlan, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: cannot read the plan: {e}"))?;
    let (text, _) = crate::encoding::decode(bytes, file)?;
    parse_plan(&text, file)
}

/// Parses and validates plan text (`file` names it in errors, with the
/// line where it can): the header, and each path as `--writable` takes
/// it: `..` resolved, and neither a system, kernel or kubelet path (see
/// [`system_path_refusal`]) nor a `sizeLimit` that is no limit.
pub fn parse_plan(text: &str, file: &str) -> Result<VolumePlan, String> {
    // A byte-order mark is no part of the text (left in, it would be part
    // of the first key).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut plan: VolumePlan = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("{file}:{}: invalid plan: {e}", e.line()))?
    } else {
        serde_norway::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(0);
            format!("{file}:{line}: invalid plan: {e}")
        })?
    };
    // What `validate` refuses, with the line of the key at fault: it
    // keeps no positions, and an error must name its line.
    if let Err(e) = plan.validate() {
        let at = match plan
            .paths
            .iter()
            .position(|p| p.path == "/" || !p.path.starts_with('/'))
        {
            Some(i) => plan_path_at(text, i, file),
            None => {
                let key = e.split(':').next().unwrap_or_default();
                match top_key_line(text, key) {
                    Some(line) => format!("{file}:{line}"),
                    None => file.to_string(),
                }
            }
        };
        return Err(format!("{at}: invalid plan: {e}"));
    }
    for (i, p) in plan.paths.iter_mut().enumerate() {
        p.path = normalize_path(&p.path);
        // No container can be named "" (the API server refuses it), so the
        // entry is a mistake in the plan: limiting it to no container would
        // leave the path read-only with only a note that no workload has
        // such a container, and dropping the key would widen it to every
        // container, which the plan did not say.
        if p.container.as_deref() == Some("") {
            return Err(format!(
                "{}: invalid plan: paths[{i}].container: the name is empty; give the container's name, or drop the key to mean every container",
                entry_key_at(text, i, "container", file)
            ));
        }
        let at = || plan_path_at(text, i, file);
        if let Some(why) = system_path_refusal(&p.path) {
            return Err(format!("{}: invalid plan: paths[{i}].path: {why}", at()));
        }
        // Checked here, against the plan, so a bad size is blamed on the
        // plan file and not reported as a manifest that "could not be
        // verified" after the edit.
        if let Some(why) = p.size_limit.as_deref().and_then(size_refusal) {
            return Err(format!(
                "{}: invalid plan: paths[{i}].sizeLimit: {why}",
                at()
            ));
        }
    }
    Ok(plan)
}

/// `file:LINE` of `paths[i].path` in the plan `text`; see [`entry_key_at`].
fn plan_path_at(text: &str, i: usize, file: &str) -> String {
    entry_key_at(text, i, "path", file)
}

/// `file:LINE` of `paths[i].<key>` in the plan `text` (YAML or JSON), or
/// `file` alone when the text does not show it: serde keeps no positions.
fn entry_key_at(text: &str, i: usize, key: &str, file: &str) -> String {
    match entry_key_line(text, i, key) {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

/// The line of `paths[i].<key>` (of the entry, when it has no such key).
fn entry_key_line(text: &str, i: usize, key: &str) -> Option<usize> {
    let docs = parse_documents(text, 0, &Limits::default(), &|_| true).ok()?;
    let root = docs.first()?.root.as_ref()?;
    let entry = root.get("paths")?.as_seq()?.get(i)?;
    Some(entry.get(key).map_or(entry.line, |n| n.line))
}

/// The line of the top-level `key` of the plan `text`.
fn top_key_line(text: &str, key: &str) -> Option<usize> {
    let docs = parse_documents(text, 0, &Limits::default(), &|_| true).ok()?;
    Some(docs.first()?.root.as_ref()?.get(key)?.line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `container: ""` is refused by the one plan reader, so `trace
    /// --verify` refuses what `fix` refuses, with the key's line in YAML
    /// and in JSON.
    #[test]
    fn an_empty_container_name_is_refused_with_its_line() {
        let yaml = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\nsource: trace\npaths:\n- path: /tmp\n  medium: memory\n- path: /var/cache\n  medium: disk\n  container: \"\"\n";
        let e = parse_plan(yaml, "p.yaml").unwrap_err();
        assert!(
            e.starts_with("p.yaml:9: invalid plan: paths[1].container: the name is empty"),
            "{e}"
        );
        let json = "{\"apiVersion\": \"rootlock.dev/v1\", \"kind\": \"VolumePlan\", \"source\": \"trace\",\n \"paths\": [\n  {\"path\": \"/tmp\", \"medium\": \"memory\",\n   \"container\": \"\"}]}\n";
        let e = parse_plan(json, "p.json").unwrap_err();
        assert!(
            e.starts_with("p.json:4: invalid plan: paths[0].container:"),
            "{e}"
        );
        // A named container, or none (every container), is read.
        let ok = yaml.replace("container: \"\"", "container: app");
        assert_eq!(
            parse_plan(&ok, "p.yaml").unwrap().paths[1]
                .container
                .as_deref(),
            Some("app")
        );
    }
}
