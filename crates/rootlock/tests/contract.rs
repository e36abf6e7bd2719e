//! The clauses of DESIGN.md's "Contract" for `rootlock scan` that automated
//! acceptance checks rely on and that no other test pins on its own: the
//! default level, the edges of PSA's version parsing, the JSON document's
//! fields and their types, the exit status of warnings, which kinds are
//! listed from a JSON `List`, stdin among files, inputs that hold no object,
//! a bad second document named by file and line with nothing of it
//! reported, and the immutable family's ids and severities (its rule ids
//! table).

mod common;

use common::{findings, pod, run, run_stdin, scan_json, scan_stdin_json};
use serde_json::Value;

/// The pod with a read-only root and `privileged: true`, one line longer.
fn privileged() -> String {
    pod("true").replace(
        "allowPrivilegeEscalation: false\n",
        "allowPrivilegeEscalation: false\n      privileged: true\n",
    )
}

/// Without `--level` the level is `immutable` at `latest`: the same
/// report as when both are written out, and the summary names them.
#[test]
fn the_default_level_is_immutable_at_latest() {
    let input = pod("false");
    let (code, default, _) = scan_stdin_json(&[], &input);
    let (_, written, _) = scan_stdin_json(&["--level", "immutable:latest"], &input);
    assert_eq!(code, 1);
    assert_eq!(default, written);
    assert_eq!(
        findings(&default["objects"][0], "readOnlyRootFilesystem").len(),
        1
    );
    let out = run_stdin(&["scan", "--color", "never", "-"], input.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 object scanned at immutable:latest: "),
        "{text}"
    );
    // The PSS part of the summary names the restricted level, as PSA would.
    let (_, doc, _) = scan_stdin_json(&[], &privileged());
    assert!(
        doc["objects"][0]["podSecurity"]
            .as_str()
            .unwrap_or_default()
            .starts_with("violates PodSecurity \"restricted:latest\": "),
        "{doc}"
    );
}

/// PSA's `ParseVersion`: `latest`, or `^v1\.(0|[1-9][0-9]*)$` and nothing
/// around it; its messages, and the level and version printed as written.
#[test]
fn levels_and_versions_parse_exactly_as_psa_parses_its_labels() {
    for (bad, message) in [
        ("restricted:latest:x", "invalid version \"latest:x\""),
        ("baseline:v1", "invalid version \"v1\""),
        ("immutable:v1.00", "invalid version \"v1.00\""),
        ("immutable:v1.-1", "invalid version \"v1.-1\""),
        ("immutable:v1.+1", "invalid version \"v1.+1\""),
        ("restricted:LATEST", "invalid version \"LATEST\""),
        ("restricted:v1.0 ", "invalid version \"v1.0 \""),
        ("restricted:V1.2", "invalid version \"V1.2\""),
        (":latest", "invalid level \"\""),
        ("", "invalid level \"\""),
        ("IMMUTABLE", "invalid level \"IMMUTABLE\""),
    ] {
        let out = run_stdin(&["scan", "--level", bad, "-"], pod("true").as_bytes());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}: nothing scanned");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "rootlock scan: --level {bad}: {message}: must be "
            )),
            "{bad:?}: {err}"
        );
    }
    // `v1.0` is a version, and immutable at it still adds its own family.
    let (code, doc, stderr) = scan_stdin_json(&["--level", "immutable:v1.0"], &pod("false"));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem").len(),
        1
    );
    // A version past the newest known is valid and printed as written.
    let (code, doc, stderr) = scan_stdin_json(&["--level", "restricted:v1.999"], &privileged());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        doc["objects"][0]["podSecurity"]
            .as_str()
            .unwrap_or_default()
            .starts_with("violates PodSecurity \"restricted:v1.999\": privileged "),
        "{doc}"
    );
    assert!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem").is_empty(),
        "restricted does not require a read-only root"
    );
}

/// Every field the contract names, with its JSON type, on a failing and on
/// a passing object; a passing object is listed with `findings: []` and a
/// `null` `podSecurity`.
#[test]
fn the_json_document_has_the_contracts_fields() {
    let stream = format!(
        "{}---\n{}",
        privileged(),
        pod("true").replace("name: web", "name: ok")
    );
    let (code, doc, stderr) = scan_stdin_json(&[], &stream);
    assert_eq!(code, 1, "{stderr}");
    let top = doc.as_object().expect("one JSON object");
    assert!(top["objects"].is_array(), "{doc}");
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2, "{doc}");
    for o in objects {
        for (key, is) in [
            ("file", Value::is_string as fn(&Value) -> bool),
            ("line", Value::is_u64),
            ("apiVersion", Value::is_string),
            ("kind", Value::is_string),
            ("namespace", Value::is_string),
            ("name", Value::is_string),
            ("findings", Value::is_array),
        ] {
            assert!(o.get(key).is_some_and(is), "{key} in {o}");
        }
        assert!(o.get("podSecurity").is_some(), "podSecurity in {o}");
    }
    let failing = &objects[0];
    assert_eq!(
        (
            &failing["file"],
            &failing["line"],
            &failing["apiVersion"],
            &failing["kind"],
            &failing["namespace"],
            &failing["name"]
        ),
        (
            &"<stdin>".into(),
            &1.into(),
            &"v1".into(),
            &"Pod".into(),
            &"shop".into(),
            &"web".into()
        )
    );
    assert_eq!(
        failing["podSecurity"],
        "violates PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true)"
    );
    let rules: Vec<&Value> = failing["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["rule"])
        .collect();
    assert_eq!(rules, ["privileged", "rootfsBypass"], "{failing}");
    for f in failing["findings"].as_array().unwrap() {
        for key in ["rule", "severity", "container", "containerType", "message"] {
            assert!(f.get(key).is_some_and(Value::is_string), "{key} in {f}");
        }
        assert_eq!(f["severity"], "error");
        assert_eq!(f["container"], "app");
        assert_eq!(f["containerType"], "container");
    }
    let passing = &objects[1];
    assert_eq!(passing["name"], "ok");
    assert_eq!(passing["line"], 19);
    assert_eq!(passing["podSecurity"], Value::Null);
    assert_eq!(passing["findings"], serde_json::json!([]));
}

/// Exit status 1 needs an error-severity finding: warnings alone exit 0,
/// and are still reported as `warning`.
#[test]
fn warnings_alone_exit_0() {
    let memory = pod("true")
        .replace(
            "  containers:\n",
            "  volumes: [{name: m, emptyDir: {medium: Memory}}]\n  containers:\n",
        )
        .replace(
            "      readOnlyRootFilesystem: true\n",
            "      readOnlyRootFilesystem: true\n    volumeMounts: [{name: m, mountPath: /cache}]\n",
        );
    let (code, doc, stderr) = scan_stdin_json(&[], &memory);
    assert_eq!(code, 0, "{stderr}");
    let all = doc["objects"][0]["findings"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{doc}");
    assert_eq!(all[0]["rule"], "unboundedMemoryVolume");
    assert_eq!(all[0]["severity"], "warning");
    assert_eq!(all[0]["containerType"], "container");
}

/// A JSON `List` (as `kubectl get -o json` writes it) lists its workload
/// items and leaves the others out.
#[test]
fn a_json_list_lists_its_deployment_and_not_its_service() {
    let list = r#"{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{}},
 {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n"},
  "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}}
]}"#;
    let (code, doc, stderr) = scan_stdin_json(&[], list);
    assert_eq!(code, 1, "{stderr}");
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1, "{doc}");
    assert_eq!(
        (
            &objects[0]["kind"],
            &objects[0]["name"],
            &objects[0]["line"]
        ),
        (&"Deployment".into(), &"d".into(), &3.into())
    );
    assert_eq!(
        findings(&objects[0], "readOnlyRootFilesystem")[0]["field"],
        "items[1].spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
    );
}

/// `-` among files is read where it stands, and its objects are located
/// at `<stdin>`.
#[test]
fn stdin_among_files_keeps_the_order_of_the_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("a.yaml");
    let after = dir.path().join("b.yaml");
    std::fs::write(&before, pod("true").replace("name: web", "name: first")).unwrap();
    std::fs::write(&after, pod("true").replace("name: web", "name: last")).unwrap();
    let args = [
        "scan",
        "--format",
        "json",
        before.to_str().unwrap(),
        "-",
        after.to_str().unwrap(),
    ];
    let out = run_stdin(&args, pod("false").as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&Value, &Value)> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (&o["file"], &o["name"]))
        .collect();
    assert_eq!(
        got,
        [
            (&before.to_str().unwrap().into(), &"first".into()),
            (&"<stdin>".into(), &"web".into()),
            (&after.to_str().unwrap().into(), &"last".into()),
        ]
    );
}

/// Inputs that hold no object are no error: an empty file, one of only
/// comments, and a directory's files that are not manifests, which are
/// passed over as `kubectl apply -f DIR` passes over them.
#[test]
fn inputs_without_objects_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.yaml"), "").unwrap();
    std::fs::write(dir.path().join("comments.yml"), "# nothing\n# here\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not: [yaml\n").unwrap();
    std::fs::write(dir.path().join("blob.bin"), b"\x00\xff\x01").unwrap();
    for path in [
        dir.path().join("empty.yaml"),
        dir.path().join("comments.yml"),
        dir.path().to_path_buf(),
    ] {
        let (code, doc, stderr) = scan_json(&[path.to_str().unwrap()]);
        assert_eq!(code, 0, "{path:?}: {stderr}");
        assert_eq!(
            doc,
            serde_json::json!({"objects": [], "errors": []}),
            "{path:?}"
        );
    }
    let out = run(&["scan", "--color", "never", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("0 objects scanned at immutable:latest"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Invalid YAML in a file's second document: exit 2, the error names the
/// file and the line, in JSON and on stderr, and nothing of that document
/// is reported; the first document is reported once.
#[test]
fn a_bad_second_document_is_named_by_file_and_line_and_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.yaml");
    let text = format!(
        "{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: broken\nspec: {{}}\n",
        pod("true")
    );
    std::fs::write(&file, &text).unwrap();
    let path = file.to_str().unwrap();
    let (code, doc, stderr) = scan_json(&[path]);
    assert_eq!(code, 2, "{stderr}");
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1, "{doc}");
    assert_eq!(objects[0]["name"], "web");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert_eq!(errors[0]["file"], path);
    // The flow mapping opened on line 20 is found unclosed on line 21.
    assert_eq!(errors[0]["line"], 21, "{doc}");
    assert!(stderr.contains(&format!("{path}:21:")), "{stderr}");
    // Text output: the error names file and line; the broken pod is absent.
    let out = run(&["scan", "--color", "never", path]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("error: {path}:21:")), "{stdout}");
    assert!(!stdout.contains("broken"), "{stdout}");
    assert!(stdout.contains("1 input error (exit 2)"), "{stdout}");
}

/// `containerType` names the list the container is in: regular, init and
/// ephemeral containers each need a read-only root.
#[test]
fn container_types_name_the_list_the_container_is_in() {
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: t}
spec:
  initContainers: [{name: i, image: x}]
  containers: [{name: c, image: x}]
  ephemeralContainers: [{name: e, image: x}]
";
    let (code, doc, stderr) = scan_stdin_json(&[], pod);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&Value, &Value)> = findings(&doc["objects"][0], "readOnlyRootFilesystem")
        .into_iter()
        .map(|f| (&f["container"], &f["containerType"]))
        .collect();
    assert_eq!(
        got,
        [
            (&"i".into(), &"initContainer".into()),
            (&"c".into(), &"container".into()),
            (&"e".into(), &"ephemeralContainer".into()),
        ],
        "{doc}"
    );
}

/// DESIGN's rule ids table: the immutable family's ids and severities, each
/// rule fired once by a container that breaks it.
#[test]
fn the_immutable_familys_rules_have_the_tables_ids_and_severities() {
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: all}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: writable
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  - name: bypass
    image: x
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL], add: [SYS_ADMIN]}
  - name: mounts
    image: x
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
    volumeMounts:
    - {name: etc, mountPath: /etc}
    - {name: host, mountPath: /data}
    - {name: shm, mountPath: /dev/shm}
  volumes:
  - {name: etc, emptyDir: {}}
  - {name: host, hostPath: {path: /srv}}
  - {name: shm, emptyDir: {medium: Memory}}
";
    let (code, doc, stderr) = scan_stdin_json(&[], pod);
    assert_eq!(code, 1, "{stderr}");
    let object = &doc["objects"][0];
    for (rule, severity, container) in [
        ("readOnlyRootFilesystem", "error", "writable"),
        ("rootfsBypass", "error", "bypass"),
        ("writableSystemPath", "error", "mounts"),
        ("writableHostPath", "error", "mounts"),
        ("unboundedMemoryVolume", "warning", "mounts"),
    ] {
        let found: Vec<(&Value, &Value)> = findings(object, rule)
            .into_iter()
            .map(|f| (&f["severity"], &f["container"]))
            .collect();
        assert_eq!(
            found,
            [(&severity.into(), &container.into())],
            "{rule}: {object}"
        );
    }
}

/// A workload that leaves out `apiVersion` is not passed over as if it
/// were a custom resource: every pod-template kind is listed and judged,
/// as a Pod without one always was, rather than leaving a writable root
/// unreported behind exit status 0.
#[test]
fn a_workload_without_an_api_version_is_listed_not_skipped() {
    let template = "spec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n";
    let stream: String = [
        ("Pod", "spec:\n  containers: [{name: a, image: x}]\n"),
        ("Deployment", template),
        ("StatefulSet", template),
        ("Job", template),
        (
            "CronJob",
            "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: x}]\n",
        ),
    ]
    .iter()
    .map(|(kind, body)| format!("---\nkind: {kind}\nmetadata: {{name: x}}\n{body}"))
    .collect();
    let (code, doc, stderr) = scan_stdin_json(&[], &stream);
    assert_eq!(code, 1, "{stderr}");
    let listed: Vec<(&str, &str)> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or("?"),
                o["apiVersion"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        ["Pod", "Deployment", "StatefulSet", "Job", "CronJob"].map(|k| (k, "")),
        "{doc}"
    );
    for o in doc["objects"].as_array().unwrap() {
        assert_eq!(findings(o, "readOnlyRootFilesystem").len(), 1, "{o}");
    }
}
