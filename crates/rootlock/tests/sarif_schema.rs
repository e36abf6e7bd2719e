//! SARIF output validates against the OASIS SARIF 2.1.0 schema
//! (`testdata/sarif/sarif-schema-2.1.0.json`), on the real corpus and on
//! input errors.

mod common;

use common::{run, run_stdin, testdata};

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

#[test]
fn sarif_for_the_real_corpus_is_valid() {
    let out = run(&[
        "scan",
        "--format",
        "sarif",
        testdata().join("real").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["runs"][0]["results"].as_array().unwrap().len() > 300);
    let v = validator();
    assert_valid(&v, &doc);
    // The validator really checks: a bad level is refused.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&broken));
}

#[test]
fn sarif_with_input_errors_is_valid() {
    let out = run_stdin(&["scan", "--format", "sarif", "-"], b"kind: Pod\nspec: [\n");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert_valid(&validator(), &doc);
}

/// The examples hold every kind of result: errors, a warning, and an
/// exempted finding, which is a suppressed note; all of it validates.
#[test]
fn sarif_with_warnings_and_suppressed_exemptions_is_valid() {
    let examples = testdata().join("../examples");
    let out = run(&["scan", "--format", "sarif", examples.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    for level in ["error", "warning", "note"] {
        assert!(
            results.iter().any(|r| r["level"] == level),
            "a {level} result"
        );
    }
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["level"], "note");
    assert_eq!(suppressed[0]["ruleId"], "readOnlyRootFilesystem");
    assert_valid(&validator(), &doc);
}

/// Standard input has no path: its results and errors keep a physical
/// location (code scanning refuses an upload with a result without one)
/// with the plain relative reference `stdin` and a description saying what
/// it is — not the display name `<stdin>`, percent-encoded into a file
/// name no consumer can place.
#[test]
fn stdin_is_located_as_stdin_with_a_description() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x}]\n---\nkind: Pod\nspec: [\n";
    let out = run_stdin(&["scan", "--format", "sarif", "-"], pod.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = validator();
    assert_valid(&v, &doc);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notifications.len(), 1);
    for located in results.iter().chain(notifications) {
        let at = &located["locations"][0]["physicalLocation"];
        assert_eq!(at["artifactLocation"]["uri"], "stdin", "{located}");
        assert_eq!(
            at["artifactLocation"]["description"]["text"],
            "standard input"
        );
        assert!(at["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    // The validator checks URI references: the display name is not one.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "<stdin>".into();
    assert!(!v.is_valid(&broken));
}

/// GitHub's anchor for a Markdown heading: lower case, punctuation other
/// than `-` and `_` dropped, spaces as `-`.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_rules_help_uri_points_at_a_heading_of_the_rules_page() {
    let out = run_stdin(&["scan", "--format", "sarif", "-"], b"");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.len() > 20, "every rule is described: {rules:?}");
    let page = std::fs::read_to_string(testdata().join("../docs/rules.md")).unwrap();
    let anchors: Vec<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| github_anchor(l.trim_start_matches('#')))
        .collect();
    for rule in rules {
        let uri = rule["helpUri"].as_str().unwrap();
        let (page_uri, anchor) = uri.split_once('#').unwrap();
        assert!(page_uri.ends_with("/docs/rules.md"), "{uri}");
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{}: docs/rules.md has no heading for #{anchor}",
            rule["id"]
        );
    }
}

/// Code scanning takes results with the same fingerprint for one alert:
/// every result of a run has its own, two bad exemption annotations on one
/// object (or one key on a controller and on its template) included.
#[test]
fn every_result_has_its_own_fingerprint() {
    let manifest = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    exempt.rootlock.dev/a: no reason
spec:
  template:
    metadata:
      annotations:
        exempt.rootlock.dev/a: no reason either
        exempt.rootlock.dev/b: \"bogusRule: why\"
    spec:
      containers: [{name: a, image: x}, {name: b, image: x}]
";
    let out = run_stdin(&["scan", "--format", "sarif", "-"], manifest.as_bytes());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator(), &doc);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let invalid = results
        .iter()
        .filter(|r| r["ruleId"] == "invalidExemption")
        .count();
    assert_eq!(invalid, 3, "{results:#?}");
    let mut prints: Vec<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["rootlock/v1"].as_str().unwrap())
        .collect();
    prints.sort_unstable();
    let all = prints.len();
    prints.dedup();
    assert_eq!(prints.len(), all, "{prints:#?}");
}

/// A path is named in its URI without the `.` steps and doubled slashes
/// the shell or a script may leave in it: `.//p.yaml` is `p.yaml` in the
/// checkout, not `file:///p.yaml`, and `d//q.yaml` is `d/q.yaml`, the path
/// code scanning knows the file by.
#[test]
fn uris_drop_dot_steps_and_doubled_slashes() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x, securityContext: {privileged: true}}]\n";
    std::fs::write(dir.path().join("p.yaml"), pod).unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("d/q.yaml"), pod).unwrap();
    let absolute = format!("/{}/p.yaml", dir.path().display());
    let uris = |arg: &str| -> Vec<String> {
        let out = std::process::Command::new(common::bin())
            .args(["scan", "--level", "baseline", "--format", "sarif", arg])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(uris(".//p.yaml"), ["p.yaml"]);
    assert_eq!(uris("./d/./q.yaml"), ["d/q.yaml"]);
    assert_eq!(uris("d//"), ["d/q.yaml"]);
    assert_eq!(
        uris(&absolute),
        [format!("file://{}/p.yaml", dir.path().display())]
    );
}

/// Two objects of one file with the same identity (no name, as with
/// `generateName`, or the same name twice) keep apart in code scanning:
/// each result still has its own fingerprint.
#[test]
fn objects_without_a_name_of_their_own_keep_their_own_fingerprints() {
    let pod = |generate: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{generateName: {generate}}}\nspec:\n  containers: [{{name: a, image: x}}]\n"
        )
    };
    // And two containers without names (fragments leave them out) too.
    let nameless = "apiVersion: v1\nkind: Pod\nmetadata: {name: nameless}\nspec:\n  containers: [{image: nginx}, {image: redis}]\n";
    let manifest = [pod("one-"), pod("two-"), pod("three-"), nameless.into()].join("---\n");
    let out = run_stdin(&["scan", "--format", "sarif", "-"], manifest.as_bytes());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let mut prints: Vec<&str> = results
        .iter()
        .filter(|r| r["ruleId"] == "readOnlyRootFilesystem")
        .map(|r| r["partialFingerprints"]["rootlock/v1"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 5, "{results:#?}");
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), 5, "{prints:#?}");
}
