//! The peers' own test cases (`testdata/peers/*/EXPECTED.tsv`): rootlock's
//! verdict equals each peer's, except the differences listed with their
//! reasons in `docs/peer-differences.md` — and every listed difference is
//! real.

mod common;

use common::{scan_json, testdata};
use serde_json::Value;
use std::collections::BTreeSet;

/// A row of a peer's EXPECTED.tsv.
struct Case {
    peer: String,
    file: String,
    object: String,
    rule: String,
    verdict: String,
}

fn cases() -> Vec<Case> {
    let root = testdata().join("peers");
    let mut out = Vec::new();
    let mut peers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    peers.sort();
    for dir in peers {
        let peer = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let c: Vec<&str> = line.split('\t').collect();
            out.push(Case {
                peer: peer.clone(),
                file: c[0].into(),
                object: c[1].into(),
                rule: c[2].into(),
                verdict: c[3].into(),
            });
        }
    }
    out
}

/// The rootlock rule (and message fragment) that corresponds to a peer rule.
fn rootlock_rule(c: &Case) -> Option<(&'static str, Option<&'static str>)> {
    let r = c.rule.to_ascii_lowercase();
    let rofs = [
        "ro-rootfs",
        "readonly",
        "read-only",
        "rootfs",
        "ksv014",
        "ckv_k8s_22",
        "c-0017",
    ];
    if rofs.iter().any(|k| r.contains(k)) {
        return Some(("readOnlyRootFilesystem", None));
    }
    // Kyverno's restricted Pod Security controls map onto PSA checks.
    match c.rule.split('/').nth(1)? {
        "adding-capabilities-strict" => Some(("capabilities_restricted", Some("must not include"))),
        "require-drop-all" => Some(("capabilities_restricted", Some("drop=[\"ALL\"]"))),
        "privilege-escalation" => Some(("allowPrivilegeEscalation", None)),
        "privileged-containers" => Some(("privileged", None)),
        "run-as-non-root" => Some(("runAsNonRoot", None)),
        "check-seccomp-strict" => Some(("seccompProfile_restricted", None)),
        "restricted" => Some(("*", None)),
        _ => None,
    }
}

/// `Kind/name`, `Kind/name container X`, `Kind/name container=X`,
/// `Kind/name initContainer=X`, `Kind/name X`, `Kind/name#doc0`, `Pod`.
fn parse_object(object: &str) -> (String, Option<String>, Option<String>) {
    let toks: Vec<&str> = object.split_whitespace().collect();
    let head = toks.first().copied().unwrap_or_default();
    let head = head.split('#').next().unwrap_or(head);
    let (kind, name) = match head.split_once('/') {
        Some((k, n)) => (k.to_string(), Some(n.to_string())),
        None => (head.to_string(), None),
    };
    let container = match toks.get(1) {
        Some(&"container") => toks.get(2).map(|s| s.to_string()),
        Some(t) if t.contains('=') => t.split_once('=').map(|(_, v)| v.to_string()),
        Some(t) if !t.starts_with('(') => Some(t.to_string()),
        _ => None,
    };
    (kind, name, container)
}

fn verdict(doc: &Value, c: &Case, rule: &str, fragment: Option<&str>) -> String {
    let (kind, name, container) = parse_object(&c.object);
    let objects: Vec<&Value> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind.as_str() && name.as_deref().is_none_or(|n| o["name"] == n))
        .collect();
    if objects.is_empty() {
        return "n/a".into();
    }
    if rule == "*" {
        // The whole restricted profile: PSA's verdict.
        let fails = objects.iter().any(|o| !o["podSecurity"].is_null());
        return if fails { "fail" } else { "pass" }.into();
    }
    let fails = objects
        .iter()
        .flat_map(|o| o["findings"].as_array().unwrap())
        .any(|f| {
            f["rule"] == rule
                && f["severity"] == "error"
                && container.as_deref().is_none_or(|n| f["container"] == n)
                && fragment.is_none_or(|s| f["message"].as_str().unwrap().contains(s))
        });
    if fails { "fail" } else { "pass" }.into()
}

/// (peer, file, object) rows of the table in docs/peer-differences.md.
fn documented() -> BTreeSet<(String, String, String, String)> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/peer-differences.md"
    ))
    .unwrap();
    doc.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| peer") && !l.starts_with("|---"))
        .map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                c[1].to_string(),
                c[2].to_string(),
                c[3].to_string(),
                c[5].to_string(),
            )
        })
        .collect()
}

#[test]
fn verdicts_match_the_peers_except_documented_differences() {
    let listed = documented();
    assert!(!listed.is_empty());
    let mut differences = BTreeSet::new();
    let mut compared = 0;
    let mut scanned: std::collections::HashMap<std::path::PathBuf, Value> = Default::default();
    for c in cases() {
        let Some((rule, fragment)) = rootlock_rule(&c) else {
            continue;
        };
        let path = testdata().join("peers").join(&c.peer).join(&c.file);
        let doc = scanned.entry(path.clone()).or_insert_with(|| {
            let (_, doc, stderr) = scan_json(&["--level", "immutable", path.to_str().unwrap()]);
            assert!(
                doc["errors"].as_array().unwrap().is_empty(),
                "{}: {stderr}",
                c.file
            );
            doc
        });
        let ours = verdict(doc, &c, rule, fragment);
        compared += 1;
        if ours != c.verdict {
            differences.insert((c.peer.clone(), c.file.clone(), c.object.clone(), ours));
        }
    }
    assert!(compared > 350, "compared only {compared} cases");
    let unlisted: Vec<_> = differences.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "undocumented differences: {unlisted:#?}"
    );
    let stale: Vec<_> = listed.difference(&differences).collect();
    assert!(
        stale.is_empty(),
        "documented differences that no longer differ: {stale:#?}"
    );
}
