//! The real-world corpus (20 projects' install manifests) against its
//! per-container ground truth in `testdata/real/INVENTORY.tsv`: for every
//! container, each finding exists exactly when the field says it should.

mod common;

use common::{findings, scan_json, testdata};
use serde_json::Value;

struct Row {
    file: String,
    kind: String,
    namespace: Option<String>,
    name: String,
    container_type: String,
    container: String,
    read_only: String,
    privileged: String,
    allow_privilege_escalation: String,
    drop_all: bool,
    run_as_non_root: String,
    seccomp: String,
}

fn inventory() -> Vec<Row> {
    let text = std::fs::read_to_string(testdata().join("real/INVENTORY.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                file: c[0].into(),
                kind: c[1].into(),
                namespace: (c[2] != "-").then(|| c[2].to_string()),
                name: c[3].into(),
                container_type: c[4].into(),
                container: c[5].into(),
                read_only: c[6].into(),
                privileged: c[7].into(),
                allow_privilege_escalation: c[8].into(),
                drop_all: c[9] == "yes",
                run_as_non_root: c[10].into(),
                seccomp: c[11].into(),
            }
        })
        .collect()
}

fn object<'a>(doc: &'a Value, r: &Row) -> &'a Value {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["file"]
                .as_str()
                .unwrap()
                .ends_with(&format!("real/{}", r.file))
                && o["kind"] == r.kind.as_str()
                && o["name"] == r.name.as_str()
                && o["namespace"].as_str() == r.namespace.as_deref()
        })
        .unwrap_or_else(|| panic!("object {} {}/{} not reported", r.file, r.kind, r.name))
}

fn has(o: &Value, rule: &str, r: &Row, detail: Option<&str>) -> bool {
    findings(o, rule).iter().any(|f| {
        f["container"] == r.container.as_str()
            && f["containerType"] == r.container_type.as_str()
            && detail.is_none_or(|d| f["message"].as_str().unwrap().contains(d))
    })
}

#[test]
fn findings_match_the_per_container_ground_truth() {
    let dir = testdata().join("real");
    let (code, doc, stderr) = scan_json(&["--level", "immutable", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(doc["errors"].as_array().unwrap().is_empty(), "{stderr}");
    // 87 workload objects, every other kind skipped.
    assert_eq!(doc["objects"].as_array().unwrap().len(), 87);
    let rows = inventory();
    assert_eq!(rows.len(), 108);
    for r in &rows {
        let o = object(&doc, r);
        let id = format!(
            "{} {}/{} {} {}",
            r.file, r.kind, r.name, r.container_type, r.container
        );
        assert_eq!(
            has(o, "readOnlyRootFilesystem", r, None),
            r.read_only != "true",
            "readOnlyRootFilesystem: {id}"
        );
        assert_eq!(
            has(o, "privileged", r, None),
            r.privileged == "true",
            "privileged: {id}"
        );
        assert_eq!(
            has(o, "allowPrivilegeEscalation", r, None),
            r.allow_privilege_escalation != "false",
            "allowPrivilegeEscalation: {id}"
        );
        assert_eq!(
            has(o, "capabilities_restricted", r, Some("drop=[\"ALL\"]")),
            !r.drop_all,
            "drop ALL: {id}"
        );
        // A container covered by the pod-level value has no finding of its own.
        assert_eq!(
            has(o, "runAsNonRoot", r, None),
            r.run_as_non_root != "true",
            "runAsNonRoot: {id}"
        );
        let seccomp_ok = r.seccomp == "RuntimeDefault" || r.seccomp == "Localhost";
        assert_eq!(
            has(o, "seccompProfile_restricted", r, None),
            !seccomp_ok,
            "seccomp: {id}"
        );
    }
    // Objects whose every container is read-only have no such finding.
    let all_ro = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| findings(o, "readOnlyRootFilesystem").is_empty())
        .count();
    assert_eq!(all_ro, 46);
}
