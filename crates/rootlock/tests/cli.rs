//! `rootlock scan` behaviour through the real binary: the contract's exit
//! statuses, input errors that name file, line and field, stdin, Lists,
//! exemptions, hostile input, the cases where the peers are wrong, and text
//! output (also `fix`'s messages) that cannot drive a terminal.

mod common;

use common::{findings, pod, run, run_stdin, scan_json, scan_stdin_json, testdata};

#[test]
fn exit_status_is_0_clean_1_findings_2_input_errors() {
    let (code, doc, _) = scan_stdin_json(&[], &pod("true"));
    assert_eq!(code, 0);
    assert_eq!(doc["objects"][0]["findings"], serde_json::json!([]));
    assert_eq!(doc["objects"][0]["podSecurity"], serde_json::Value::Null);
    assert_eq!(doc["objects"][0]["file"], "<stdin>");
    assert_eq!(doc["objects"][0]["namespace"], "shop");
    let (code, doc, _) = scan_stdin_json(&[], &pod("false"));
    assert_eq!(code, 1);
    let f = &findings(&doc["objects"][0], "readOnlyRootFilesystem")[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["container"], "app");
    assert_eq!(f["containerType"], "container");
    assert_eq!(
        f["message"],
        "readOnlyRootFilesystem != true (container \"app\" must set securityContext.readOnlyRootFilesystem=true)"
    );
    assert_eq!(f["line"], 16);
    // At restricted the same pod passes: PSA does not require a read-only root.
    let (code, _, _) = scan_stdin_json(&["--level", "restricted"], &pod("false"));
    assert_eq!(code, 0);
}

#[test]
fn a_string_where_a_boolean_belongs_is_an_input_error_not_a_pass() {
    // Checkov passes `readOnlyRootFilesystem: "false"`; the API server refuses it.
    let (code, doc, stderr) = scan_stdin_json(&[], &pod("\"false\""));
    assert_eq!(code, 2, "{stderr}");
    let e = &doc["errors"][0];
    assert_eq!(e["file"], "<stdin>");
    assert_eq!(e["line"], 16);
    assert_eq!(
        e["field"],
        "spec.containers[0].securityContext.readOnlyRootFilesystem"
    );
    assert!(stderr.contains("<stdin>:16:"), "{stderr}");
    assert!(stderr.contains("expected a boolean"), "{stderr}");
}

#[test]
fn whole_floats_in_integer_fields_read_as_kubectl_sends_them() {
    // kubectl turns `1000.0` (YAML, or a JSON file) into the integer 1000
    // before the API server sees it; `1000.5` it cannot, so that is refused.
    let root = |user: &str| {
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p\"}},\n \"spec\": {{\"securityContext\": {{\"runAsUser\": {user}}},\n  \"containers\": [{{\"name\": \"c\", \"securityContext\": {{\"runAsUser\": 0.0}}}}]}}}}\n"
        )
    };
    for (label, text) in [
        (
            "yaml",
            pod("true").replace(
                "runAsNonRoot: true",
                "runAsNonRoot: true\n    runAsUser: 1e3",
            ),
        ),
        ("json", root("1000.0")),
    ] {
        let (code, doc, stderr) = scan_stdin_json(&["--level", "restricted"], &text);
        assert!(code < 2, "{label}: {stderr}");
        assert!(
            doc["errors"].as_array().is_none_or(|e| e.is_empty()),
            "{label}: {doc}"
        );
        if label == "json" {
            // The container's `0.0` is the integer 0: root, and said so.
            assert_eq!(code, 1, "{label}: {doc}");
            assert_eq!(findings(&doc["objects"][0], "runAsUser").len(), 1, "{doc}");
        }
    }
    let (code, doc, stderr) = scan_stdin_json(&[], &root("1000.5"));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["errors"][0]["field"], "spec.securityContext.runAsUser");
    assert_eq!(doc["errors"][0]["line"], 2);
    assert!(stderr.contains("<stdin>:2:"), "{stderr}");
}

#[test]
fn a_pod_level_memory_limit_bounds_a_memory_emptydir() {
    let with = |pod_resources: &str| {
        pod("true").replace(
            "  containers:\n",
            &format!("{pod_resources}  volumes: [{{name: shm, emptyDir: {{medium: Memory}}}}]\n  containers:\n"),
        ).replace("      readOnlyRootFilesystem: true\n", "      readOnlyRootFilesystem: true\n    volumeMounts: [{name: shm, mountPath: /dev/shm}]\n")
    };
    let (_, doc, stderr) = scan_stdin_json(&[], &with(""));
    assert_eq!(
        findings(&doc["objects"][0], "unboundedMemoryVolume").len(),
        1,
        "{doc} {stderr}"
    );
    let (code, doc, stderr) = scan_stdin_json(&[], &with("  resources: {limits: {memory: 1Gi}}\n"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        doc["objects"][0]["findings"],
        serde_json::json!([]),
        "{doc}"
    );
}

#[test]
fn lower_case_all_does_not_drop_capabilities() {
    // Checkov accepts `drop: [all]`; PSA's check is case-sensitive.
    let (code, doc, _) = scan_stdin_json(&[], &pod("true").replace("drop: [ALL]", "drop: [all]"));
    assert_eq!(code, 1);
    let f = findings(&doc["objects"][0], "capabilities_restricted");
    assert_eq!(f.len(), 1);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("drop=[\\\"ALL\\\"]")
            || f[0]["message"].as_str().unwrap().contains("drop=[\"ALL\"]")
    );
    assert!(
        doc["objects"][0]["podSecurity"]
            .as_str()
            .unwrap()
            .starts_with("violates PodSecurity \"restricted:latest\": unrestricted capabilities")
    );
}

#[test]
fn list_items_are_scanned() {
    // Trivy skips `kind: List` silently.
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c}}\n{}",
        pod("false")
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 0 {
                format!("- {l}\n")
            } else {
                format!("  {l}\n")
            })
            .collect::<String>()
    );
    let (code, doc, stderr) = scan_stdin_json(&[], &list);
    assert_eq!(code, 1, "{stderr}");
    let objects = doc["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["kind"], "Pod");
    assert_eq!(objects[0]["line"], 7);
    assert_eq!(
        findings(&objects[0], "readOnlyRootFilesystem")[0]["field"],
        "items[1].spec.containers[0].securityContext.readOnlyRootFilesystem"
    );
}

/// `name: ""` and `namespace: ""` are what the API server stores as absent
/// (the fields are `omitempty`; `generateName` pods have no name yet): they
/// are reported as absent, `null` in JSON and `<unnamed>` in text, not as an
/// empty name (`Pod /`).
#[test]
fn an_empty_name_or_namespace_is_absent() {
    let input = pod("false")
        .replace("name: web", "generateName: web-\n  name: \"\"")
        .replace("namespace: shop", "namespace: ''");
    let (code, doc, stderr) = scan_stdin_json(&[], &input);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["objects"][0]["name"], serde_json::Value::Null);
    assert_eq!(doc["objects"][0]["namespace"], serde_json::Value::Null);
    let out = run_stdin(&["scan", "--color", "never", "-"], input.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Pod <unnamed> (<stdin>:1)\n"), "{text}");
}

#[test]
fn json_input_and_every_workload_kind() {
    let json = r#"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},
      "spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}}}"#;
    let (code, doc, _) = scan_stdin_json(&[], json);
    assert_eq!(code, 1);
    assert_eq!(doc["objects"][0]["kind"], "CronJob");
    assert_eq!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem")[0]["field"],
        "spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"
    );
    let kinds = [
        (
            "apps/v1",
            "Deployment",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "apps/v1",
            "ReplicaSet",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "apps/v1",
            "StatefulSet",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "apps/v1",
            "DaemonSet",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "batch/v1",
            "Job",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "v1",
            "ReplicationController",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        (
            "v1",
            "PodTemplate",
            "template:\n  spec:\n    containers: [{name: a}]\n",
        ),
        (
            "apps.openshift.io/v1",
            "DeploymentConfig",
            "spec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        ),
        ("v1", "Service", "spec: {}\n"),
    ];
    let stream: String = kinds
        .iter()
        .map(|(api, kind, body)| {
            format!("---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n{body}")
        })
        .collect();
    let (_, doc, stderr) = scan_stdin_json(&[], &stream);
    let got: Vec<&str> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        kinds[..8].iter().map(|k| k.1).collect::<Vec<_>>(),
        "{stderr}"
    );
}

#[test]
fn windows_pods_and_the_pod_level_field() {
    let windows = pod("false").replace(
        "spec:\n  securityContext:",
        "spec:\n  os: {name: windows}\n  securityContext:",
    );
    let (code, doc, _) = scan_stdin_json(&[], &windows);
    assert_eq!(code, 0, "not applicable to Windows pods");
    assert!(findings(&doc["objects"][0], "readOnlyRootFilesystem").is_empty());
    let pod_level = pod("false").replace(
        "    runAsNonRoot: true\n",
        "    runAsNonRoot: true\n    readOnlyRootFilesystem: true\n",
    );
    let (code, doc, _) = scan_stdin_json(&[], &pod_level);
    assert_eq!(code, 1, "the pod-level field protects nothing");
    let f = findings(&doc["objects"][0], "readOnlyRootFilesystem");
    assert_eq!(f.len(), 2);
    let warning = f.iter().find(|f| f["severity"] == "warning").unwrap();
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("not a Kubernetes API field")
    );
    assert_eq!(warning["line"], 9);
}

/// A bad exemption annotation is pointed at where it is written: on the
/// Deployment's own metadata, or on its pod template. Pointing at the
/// template for both sent a reader (and SARIF) to lines with no annotation.
#[test]
fn an_invalid_exemption_points_at_its_own_annotation() {
    let deployment = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    note: x
    exempt.rootlock.dev/app: \"noSuchRule: why\"
spec:
  template:
    metadata:
      annotations:
        exempt.rootlock.dev/side: \"readOnlyRootFilesystem\"
    spec:
      containers: [{name: app, image: x}]
";
    let (_, doc, stderr) = scan_stdin_json(&[], deployment);
    let bad = findings(&doc["objects"][0], "invalidExemption");
    let at: Vec<(u64, &str)> = bad
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        at,
        [
            (7, "metadata.annotations.exempt.rootlock.dev/app"),
            (
                12,
                "spec.template.metadata.annotations.exempt.rootlock.dev/side"
            ),
        ],
        "{stderr}"
    );
}

/// The same exemption key may be written on a Deployment's own metadata
/// and on its pod template, with the same value or different ones. Each
/// annotation that cannot be understood is reported once, at its own line
/// and with its own message — never both at the template, and never a
/// valid one in place of an invalid one.
#[test]
fn the_same_exemption_key_on_a_controller_and_its_template_is_reported_where_written() {
    const OWN: (u64, &str) = (7, "metadata.annotations.exempt.rootlock.dev/app");
    const TEMPLATE: (u64, &str) = (
        12,
        "spec.template.metadata.annotations.exempt.rootlock.dev/app",
    );
    let deployment = |own: Option<&str>, template: Option<&str>| {
        // An absent annotation is replaced by another, so lines stay put.
        let line = |v: Option<&str>| match v {
            Some(v) => format!("exempt.rootlock.dev/app: \"{v}\""),
            None => "other: z".to_string(),
        };
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    note: x
    {}
spec:
  template:
    metadata:
      annotations:
        {}
    spec:
      containers: [{{name: app, image: x}}]
",
            line(own),
            line(template)
        )
    };
    let valid = "readOnlyRootFilesystem: vendor image";
    /// The two values, and each warning's place and reason.
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a [(u64, &'a str)],
        &'a [&'a str],
    );
    let cases: [Case; 6] = [
        (Some("privileged"), None, &[OWN], &["no reason given"]),
        (None, Some("privileged"), &[TEMPLATE], &["no reason given"]),
        (
            Some("privileged"),
            Some("privileged"),
            &[OWN, TEMPLATE],
            &["no reason given", "no reason given"],
        ),
        (
            Some("noSuchRule: why"),
            Some("privileged"),
            &[OWN, TEMPLATE],
            &["unknown rule \"noSuchRule\"", "no reason given"],
        ),
        (
            Some("privileged"),
            Some(valid),
            &[OWN],
            &["no reason given"],
        ),
        (
            Some(valid),
            Some("privileged"),
            &[TEMPLATE],
            &["no reason given"],
        ),
    ];
    for (own, template, expected, messages) in cases {
        let input = deployment(own, template);
        let (code, doc, stderr) = scan_stdin_json(&[], &input);
        assert_eq!(code, 1, "{input}{stderr}");
        let bad = findings(&doc["objects"][0], "invalidExemption");
        let at: Vec<(u64, &str)> = bad
            .iter()
            .map(|f| (f["line"].as_u64().unwrap(), f["field"].as_str().unwrap()))
            .collect();
        assert_eq!(at, expected, "{input}");
        for (f, why) in bad.iter().zip(messages) {
            let message = f["message"].as_str().unwrap();
            assert!(
                message.contains(why),
                "{message:?} lacks {why:?} in {input}"
            );
        }
    }
    // A Pod's own annotations are its pod's: one annotation, one warning.
    let bad_pod = pod("true").replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    exempt.rootlock.dev/app: \"privileged\"\n",
    );
    let (_, doc, stderr) = scan_stdin_json(&[], &bad_pod);
    let at: Vec<(u64, &str)> = findings(&doc["objects"][0], "invalidExemption")
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        at,
        [(7, "metadata.annotations.exempt.rootlock.dev/app")],
        "{stderr}"
    );
}

#[test]
fn annotation_exemptions_need_a_reason_and_can_be_ignored() {
    let exempt = pod("false").replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    exempt.rootlock.dev/app: \"readOnlyRootFilesystem: vendor image writes /etc at start (TICKET-1)\"\n",
    );
    let (code, doc, _) = scan_stdin_json(&[], &exempt);
    assert_eq!(code, 0);
    let f = &findings(&doc["objects"][0], "readOnlyRootFilesystem")[0];
    assert_eq!(f["severity"], "info");
    assert_eq!(
        f["exemption"],
        "vendor image writes /etc at start (TICKET-1)"
    );
    let (code, doc, _) = scan_stdin_json(&["--no-annotation-exemptions"], &exempt);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem")[0]["severity"],
        "error"
    );
    let no_reason = exempt.replace(": vendor image writes /etc at start (TICKET-1)", "");
    let (code, doc, _) = scan_stdin_json(&[], &no_reason);
    assert_eq!(code, 1, "an exemption without a reason is not honoured");
    assert_eq!(
        findings(&doc["objects"][0], "invalidExemption")[0]["severity"],
        "warning"
    );
}

#[test]
fn invalid_levels_and_versions_are_usage_errors() {
    for bad in [
        "Restricted",
        "restricted:v1.01",
        "restricted:1.25",
        "strict",
        "baseline:v2.0",
        "restricted:",
    ] {
        let out = run_stdin(&["scan", "--level", bad, "-"], pod("true").as_bytes());
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--level"),
            "{bad}"
        );
    }
    let (code, doc, _) = scan_stdin_json(&["--level", "baseline:v1.99"], &pod("false"));
    assert_eq!(code, 0);
    assert_eq!(doc["objects"].as_array().unwrap().len(), 1);
    let out = run(&["scan", "/nonexistent/manifests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/nonexistent/manifests"));
}

#[test]
fn versions_beyond_u32_parse_as_psa_parses_them() {
    // PSA reads the minor with Go's Atoi (64-bit): v1.4294967296 is a valid
    // label value, clamped to the newest checks and printed as written.
    let (code, doc, stderr) =
        scan_stdin_json(&["--level", "restricted:v1.4294967296"], &pod("false"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["objects"][0]["podSecurity"], serde_json::Value::Null);
    let out = run_stdin(
        &["scan", "--level", "restricted:v1.9223372036854775808", "-"],
        pod("true").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2), "past Go's int range");
}

#[test]
fn the_same_size_flag_reads_the_same_on_scan_and_fix() {
    for cmd in ["scan", "fix"] {
        let out = run_stdin(
            &[cmd, "--max-document-size", "8Mi", "-"],
            pod("true").as_bytes(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fix_write_to_stdout_prints_nothing_for_a_stream_it_cannot_fix() {
    // A good document and a bad one: exit 2 and an empty stdout, so that
    // `fix --write - | kubectl apply -f -` applies nothing unfixed.
    let stream = format!("{}---\n{}", pod("false"), pod("\"false\""));
    let out = run_stdin(&["fix", "--write", "-"], stream.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:33:"), "{err}");
    // A good stream is still printed, fixed.
    let out = run_stdin(&["fix", "--write", "--force", "-"], pod("false").as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("readOnlyRootFilesystem: true"), "{text}");
}

#[test]
fn trace_checks_its_tmpfs_size_before_running_anything() {
    // The value goes into tmpfs mount options: a bad one must be a usage
    // error naming the flag, not EINVAL from mount(2) (nor a way to add
    // mount options with a comma).
    for bad in ["xyz", "0", "2g,mode=777"] {
        let out = run(&["trace", "--upper-size", bad, "--", "true"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--upper-size"), "{bad}: {err}");
        assert!(err.contains("invalid size"), "{bad}: {err}");
    }
}

#[test]
fn trace_errors_show_control_characters_of_what_was_given_escaped() {
    // A `--bind` path holding an escape sequence and a newline: the error
    // names it on one line, and nothing reaches the terminal raw.
    let out = run(&[
        "trace",
        "--bind",
        "/nonexistent/\u{1b}[31mx\nverdict: PASS",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err:?}");
    assert!(
        err.contains("--bind /nonexistent/\\u{1b}[31mx\\u{a}verdict"),
        "{err:?}"
    );
}

#[test]
fn invalid_yaml_and_helm_templates_are_reported_with_their_line() {
    let (code, doc, _) = scan_stdin_json(
        &[],
        "kind: Pod\nmetadata: {name: x}\nspec:\n  containers: [\n",
    );
    assert_eq!(code, 2);
    assert!(doc["errors"][0]["line"].as_u64().unwrap() >= 4);
    let helm = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n{{- with .Values.podAnnotations }}\n";
    let (code, doc, _) = scan_stdin_json(&[], helm);
    assert_eq!(code, 2);
    let e = &doc["errors"][0];
    assert!(e["message"].as_str().unwrap().contains("helm template"));
    assert_eq!((&e["line"], &e["column"]), (&4.into(), &9.into()), "{e}");
    // The first `{{` may be far above where the YAML parser stops (a
    // quoted action is a fine string): the error points at the `{{`.
    let helm = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
  labels:
    app: \"{{ .Values.name }}\"
spec:
  template:
    spec:
      containers:
      - name: a
        image: x
        {{- with .Values.securityContext }}
        securityContext: {{ toYaml . }}
        {{- end }}
";
    let out = run_stdin(&["scan", "--color", "never", "-"], helm.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let error = stdout
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(
        error.starts_with("error: <stdin>:6:11: this looks like an unrendered Helm template"),
        "{stdout}"
    );
    assert!(error.contains("| rootlock scan -`"), "{stdout}");
    assert!(
        error.contains("(the YAML parser stopped at 13:11: "),
        "{stdout}"
    );
    // Templates of a manifest's own (an alert's text) do not make a YAML
    // mistake elsewhere a Helm template.
    let rule = "apiVersion: v1
kind: ConfigMap
data:
  alert: |
    {{ $labels.instance }} is down
  broken: [
";
    let (code, doc, _) = scan_stdin_json(&[], rule);
    assert_eq!(code, 2);
    let e = &doc["errors"][0];
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML/JSON: "),
        "{e}"
    );
    // The unclosed `[` ends the input, on line 6 (not the line after it).
    assert_eq!(e["line"], 6, "{e}");
    // A good document after a bad one is still scanned (and the run still fails).
    let (code, doc, _) =
        scan_stdin_json(&[], &format!("kind: Pod\nspec: [\n---\n{}", pod("false")));
    assert_eq!(code, 2);
    assert_eq!(doc["objects"].as_array().unwrap().len(), 1);
    assert_eq!(doc["objects"][0]["line"], 4);
}

/// A lone `\r` (an old Mac file, or a stray one in an LF file) is a line
/// break to the YAML parser, and so to every line scan reports: a file
/// with lone `\r`s scans exactly as its twin with `\n`s, the lines of
/// later documents, the source lines shown and the errors included.
#[test]
fn lone_carriage_returns_are_line_breaks_everywhere() {
    let mac = format!("{}---\n{}", pod("false"), pod("true")).replace('\n', "\r");
    let stray = format!("# generated\r{}---\n{}", pod("false"), pod("false"));
    let json = format!(
        "{}\r\r{}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\r \"metadata\":{\"name\":\"a\"},\r \"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}",
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[{"name":"b","image":"x"}]}}"#
    );
    let bad_yaml = format!("# generated\r{}---\nkind: Pod\nspec: a: b\n", pod("false"));
    let bad_json = "{}\r{}\r{\"a\": 1,}\n";
    for input in [&mac, &stray, &json, &bad_yaml, bad_json] {
        let twin = input.replace('\r', "\n");
        for format in ["json", "text"] {
            let args = ["scan", "--color", "never", "--format", format, "-"];
            let got = run_stdin(&args, input.as_bytes());
            let want = run_stdin(&args, twin.as_bytes());
            assert_eq!(
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&want.stdout),
                "{input:?}"
            );
            assert_eq!(
                String::from_utf8_lossy(&got.stderr),
                String::from_utf8_lossy(&want.stderr),
                "{input:?}"
            );
            assert_eq!(got.status.code(), want.status.code(), "{input:?}");
        }
    }
    // The lines are those of the document after the stray `\r`.
    let (code, doc, _) = scan_stdin_json(&[], &stray);
    assert_eq!(code, 1);
    assert_eq!(doc["objects"][1]["line"], 19);
    let f = &findings(&doc["objects"][1], "readOnlyRootFilesystem")[0];
    assert_eq!(f["line"], 34);
}

#[test]
fn json_streams_are_read_as_kubectl_reads_them() {
    // Objects one after another (as `jq -c` writes them) are a JSON stream
    // to kubectl; once it holds two, a value that is not JSON is an error,
    // which names the file, line and column, and reading stops there.
    let object = |name: &str, end: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}"}},"spec":{{"containers":[{{"name":"a","image":"x"}}]{end}}}}}"#
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("pods.json");
    let stream = format!("{}\n{}\n", object("one", ""), object("two", ""));
    std::fs::write(&good, &stream).unwrap();
    let (code, doc, stderr) = scan_json(&[good.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<_> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, [("one", 1), ("two", 2)]);

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, format!("{stream}{}\n", object("three", ","))).unwrap();
    let (code, doc, stderr) = scan_json(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["objects"].as_array().unwrap().len(), 2);
    // The `}` after the comma, last but one of the line.
    let column = object("three", ",").len() - 1;
    assert_eq!(doc["errors"][0]["line"], 3);
    assert_eq!(doc["errors"][0]["column"], column);
    assert!(
        stderr.contains(&format!(
            "{}:3:{column}: invalid JSON: trailing comma",
            bad.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_flow_collection_the_yaml_parser_would_hold_whole_is_refused_before_it() {
    // 300 KiB in one `[...]` where a key may start: over the flow limit of
    // a 4 MiB document size (256 KiB). Reported at its bracket, with the
    // way out; nothing of the file is half-reported.
    let items = vec!["1"; 150_000].join(",");
    let yaml = format!("apiVersion: v1\nkind: ConfigMap\nextra:\n- [{items}]\n");
    let (code, doc, stderr) = scan_stdin_json(&["--max-document-size", "4Mi"], &yaml);
    assert_eq!(code, 2, "{stderr}");
    let error = &doc["errors"][0];
    assert_eq!((&error["line"], &error["column"]), (&4.into(), &3.into()));
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("flow collection") && message.contains("at most 262144 bytes"),
        "{message}"
    );
    assert!(
        stderr.contains("<stdin>:4:3: input limit exceeded"),
        "{stderr}"
    );
    // The same list as the value of a key streams through the parser, and
    // as JSON it never meets it: both are read.
    for text in [
        format!("apiVersion: v1\nkind: ConfigMap\nextra: [{items}]\n"),
        format!("{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"extra\": [[{items}]]}}"),
    ] {
        let (code, _, stderr) = scan_stdin_json(&["--max-document-size", "4Mi"], &text);
        assert_eq!(code, 0, "{stderr}");
    }
}

#[test]
fn hostile_input_fails_fast() {
    let mut bomb = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\n  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..14 {
        let p = i - 1;
        bomb.push_str(&format!("    a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    bomb.push_str("spec: {containers: []}\n");
    // Bounded work, asserted as the bound that stopped it rather than as a
    // timing: the alias budget, after 100,000 copied nodes.
    let (code, doc, _) = scan_stdin_json(&[], &bomb);
    assert_eq!(code, 2);
    let message = doc["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("aliases expand to more than 100000 nodes")
            && message.contains("alias bomb"),
        "{message}"
    );

    // One document far larger than the API server accepts.
    let mut huge = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
    let line = format!("  k{{}}: {}\n", "x".repeat(1000));
    for i in 0..40_000 {
        huge.push_str(&line.replace("{}", &i.to_string()));
    }
    let (code, doc, _) = scan_stdin_json(&["--max-document-size", "8Mi"], &huge);
    assert_eq!(code, 2);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 8388608 bytes")
    );
    let deep = format!(
        "kind: Pod\nspec: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (code, _, _) = scan_stdin_json(&[], &deep);
    assert_eq!(code, 2);
}

#[test]
fn directories_are_walked_and_output_is_deterministic() {
    let dir = testdata().join("real");
    let a = run(&["scan", "--format", "json", dir.to_str().unwrap()]);
    let b = run(&["scan", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(a.stdout, b.stdout);
    let files = object_files(&a.stdout);
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "objects come in path order");
}

#[test]
fn list_rooted_files_in_a_directory_are_not_objects_but_named_ones_are_errors() {
    // A directory holds more than manifests: Helm values, a kustomization,
    // JSON patches. A mapping that is no workload is not listed; a file
    // whose root is a list (a JSON patch) is no Kubernetes object either.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), pod("true")).unwrap();
    std::fs::write(dir.path().join("values.yaml"), "replicas: 3\n").unwrap();
    let patch = dir.path().join("patch.yaml");
    std::fs::write(&patch, "- op: add\n  path: /spec/replicas\n  value: 3\n").unwrap();
    std::fs::write(
        dir.path().join("patch.json"),
        "[{\"op\": \"remove\", \"path\": \"/x\"}]\n",
    )
    .unwrap();
    // A file holding one string is no object either (`fix` passed over it
    // while `scan` refused it).
    let notes = dir.path().join("notes.yaml");
    std::fs::write(&notes, "just a string\n").unwrap();
    let (code, doc, stderr) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["objects"].as_array().unwrap().len(), 1, "{doc}");
    assert!(
        doc["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{doc}"
    );
    // Named on the command line it was meant to be read: an error, not a pass.
    let (code, doc, stderr) = scan_json(&[patch.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["errors"][0]["line"], 1, "{doc}");
    assert!(
        stderr.contains("patch.yaml:1:1: document: expected a mapping, found a list"),
        "{stderr}"
    );
    let (code, _, stderr) = scan_json(&[notes.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("notes.yaml:1:1: document: expected a mapping, found string"),
        "{stderr}"
    );
    // A list-rooted document among manifests in a walked file is still an
    // error: that file is a manifest, and kubectl would refuse it.
    std::fs::write(&patch, format!("{}---\n- 1\n", pod("true"))).unwrap();
    let (code, _, stderr) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("patch.yaml:18:1:"), "{stderr}");
}

/// `fix` passes over the same files `scan` does: a list-rooted file found
/// walking a directory made `rootlock fix DIR` exit 2 while `scan DIR`
/// read the directory.
#[test]
fn fix_passes_over_list_rooted_files_in_a_directory_as_scan_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), pod("false")).unwrap();
    let patch = dir.path().join("patch.yaml");
    std::fs::write(&patch, "- op: add\n  path: /spec/replicas\n  value: 3\n").unwrap();
    let out = run(&["fix", "--force", dir.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("readOnlyRootFilesystem: true"),
        "{out:?}"
    );
    let out = run(&["fix", patch.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("expected a mapping, found a list"),
        "{stderr}"
    );
}

#[test]
fn missing_paths_are_named_and_linked_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let out = run(&["scan", "--format", "json", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["errors"][0]["file"], missing.to_str().unwrap());
    assert_eq!(doc["errors"][0]["message"], "no such file or directory");

    // A symlink to a manifest inside a directory is scanned like the file
    // (kubectl apply -f DIR reads it); a link to a directory is not
    // followed, so a loop cannot trap the walk.
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("pod.yaml"), pod("false")).unwrap();
    let scanned = dir.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    std::os::unix::fs::symlink(real.join("pod.yaml"), scanned.join("linked.yaml")).unwrap();
    std::os::unix::fs::symlink(&scanned, scanned.join("loop")).unwrap();
    let out = run(&["scan", "--format", "json", scanned.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        object_files(&out.stdout),
        [scanned.join("linked.yaml").display().to_string()]
    );
}

/// Errors come out in the order the inputs were named, as objects do — a
/// missing path where it was named, a directory's unreadable entries in
/// its walk order — not every missing path first: with one input or many
/// (scanned in parallel), in JSON and in text.
#[test]
fn input_errors_come_in_the_order_of_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(path("good.yaml"), pod("true")).unwrap();
    std::fs::write(path("bad.yaml"), "kind: Pod\nspec: [\n").unwrap();
    std::fs::write(path("worse.yaml"), "kind: Pod\nspec: {containers: 3}\n").unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("a.yaml"), "kind: Pod\nspec: [\n").unwrap();
    std::os::unix::fs::symlink(sub.join("deleted.yaml"), sub.join("b.yaml")).unwrap();
    std::fs::write(sub.join("c.yaml"), "kind: Pod\nspec: [\n").unwrap();
    let sub_file = |name: &str| sub.join(name).to_str().unwrap().to_string();
    let errors_of = |args: &[&str]| -> Vec<String> {
        let (code, doc, stderr) = scan_json(args);
        assert_eq!(code, 2, "{stderr}");
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["file"].as_str().unwrap().to_string())
            .collect()
    };
    // One input that can be read: scanned as a stream.
    assert_eq!(
        errors_of(&[&path("bad.yaml"), &path("missing.yaml")]),
        [path("bad.yaml"), path("missing.yaml")]
    );
    // Many: scanned in parallel, reported in order.
    let sub_dir = sub.to_str().unwrap();
    let args = [
        path("good.yaml"),
        path("bad.yaml"),
        path("missing.yaml"),
        sub_dir.to_string(),
        path("worse.yaml"),
        path("gone.yaml"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let expected = [
        path("bad.yaml"),
        path("missing.yaml"),
        sub_file("a.yaml"),
        sub_file("b.yaml"),
        sub_file("c.yaml"),
        path("worse.yaml"),
        path("gone.yaml"),
    ];
    assert_eq!(errors_of(&args), expected);
    let mut text_args = vec!["scan", "--color", "never"];
    text_args.extend(&args);
    let out = run(&text_args);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let named: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .filter_map(|l| expected.iter().find(|p| l.starts_with(&format!("{p}:"))))
        .map(String::as_str)
        .collect();
    assert_eq!(named, expected, "{stdout}");
}

/// A manifest-named link in a directory whose target is gone (a deleted
/// file, a link to itself) is a file that could not be read: named, exit 2,
/// and the other files still reported. Skipping it silently would pass a
/// directory that was not fully scanned.
#[test]
fn a_dangling_manifest_link_in_a_directory_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), pod("true")).unwrap();
    let gone = dir.path().join("gone.yaml");
    std::os::unix::fs::symlink(dir.path().join("deleted.yaml"), &gone).unwrap();
    let looped = dir.path().join("self.yml");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    // Not a manifest name: ignored like any other non-manifest file.
    std::os::unix::fs::symlink(dir.path().join("deleted"), dir.path().join("notes.txt")).unwrap();
    let (code, doc, stderr) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        doc["objects"].as_array().unwrap().len(),
        1,
        "a.yaml is still reported"
    );
    let named: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        [gone.to_str().unwrap(), looped.to_str().unwrap()],
        "{doc}"
    );
    assert!(
        stderr.contains(&format!("{}: cannot read", gone.display())),
        "{stderr}"
    );
}

/// kubectl reads a merge key below a written key as overriding it: this
/// container's root filesystem is writable to the API server. The scan
/// must not pass it as read-only; it refuses the order-dependent mapping.
#[test]
fn a_merge_key_that_overrides_a_written_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      readOnlyRootFilesystem: true\n      <<: {readOnlyRootFilesystem: false}\n";
    std::fs::write(&file, text).unwrap();
    let (code, doc, stderr) = scan_json(&[file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["errors"][0]["line"], 10, "{doc}");
    let message = doc["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("readOnlyRootFilesystem"), "{message}");
}

/// A FIFO with a manifest's name in a walked directory is named as an
/// error, not skipped (the directory would pass unscanned) nor opened (the
/// walk would block on it forever); and a symlink loop named as an argument
/// is said to be one, not "no such file".
#[test]
fn a_fifo_in_a_directory_and_a_link_loop_argument_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), pod("true")).unwrap();
    let fifo = dir.path().join("pipe.yaml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let looped = dir.path().join("self");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let (code, doc, stderr) = scan_json(&[dir.path().to_str().unwrap(), looped.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["objects"].as_array().unwrap().len(), 1, "{doc}");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{doc}");
    assert_eq!(errors[0]["file"], fifo.to_str().unwrap());
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{doc}"
    );
    assert_eq!(errors[1]["file"], looped.to_str().unwrap());
    let loop_message = errors[1]["message"].as_str().unwrap();
    assert!(loop_message.contains("symbolic links"), "{loop_message}");
}

/// fix expands its arguments as scan does: a directory's manifests are
/// fixed, and a missing path is named (exit 2) without stopping the others.
#[test]
fn fix_names_missing_paths_and_walks_directories() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    // Without the field, which fix adds (an explicit `false` it keeps).
    let plain = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n";
    std::fs::write(sub.join("pod.yaml"), plain).unwrap();
    std::fs::write(sub.join("notes.txt"), plain).unwrap();
    let missing = dir.path().join("nope.yaml");
    let out = run(&[
        "fix",
        "--write",
        missing.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: no such file or directory", missing.display())),
        "{stderr}"
    );
    let fixed = std::fs::read_to_string(sub.join("pod.yaml")).unwrap();
    assert!(fixed.contains("readOnlyRootFilesystem: true"), "{fixed}");
    let untouched = std::fs::read_to_string(sub.join("notes.txt")).unwrap();
    assert_eq!(untouched, plain, "only manifest extensions are read");
}

/// PSA skips runAsNonRoot for a pod in a user namespace (`hostUsers:
/// false`) only from policy v1.35; below it the check still applies. So a
/// fix for an older version must set runAsNonRoot as for any pod, and its
/// output must scan clean at that version.
#[test]
fn fix_sets_run_as_non_root_for_host_users_false_below_v1_35() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let file = file.to_str().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostUsers: false\n  containers:\n  - name: app\n    image: nginx\n";
    for (level, wanted) in [
        ("restricted:v1.34", true),
        ("immutable:v1.0", true),
        ("restricted:v1.35", false),
    ] {
        std::fs::write(file, pod).unwrap();
        let out = run(&["fix", "--level", level, "--write", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{level}: {stderr}");
        let fixed = std::fs::read_to_string(file).unwrap();
        assert_eq!(
            fixed.contains("runAsNonRoot: true"),
            wanted,
            "{level}: {fixed}"
        );
        let scan = run(&["scan", "--level", level, file]);
        assert_eq!(
            scan.status.code(),
            Some(0),
            "{level}: {}",
            String::from_utf8_lossy(&scan.stdout)
        );
    }
}

/// Below policy v1.25 restricted asks a Windows pod for
/// allowPrivilegeEscalation, capabilities and seccompProfile, fields the
/// API server forbids on it (PSA skips those checks for Windows from
/// v1.25). fix cannot make such a pod pass: it adds what applies
/// (runAsNonRoot), adds none of the forbidden fields, says why the rest
/// still fails, and exits 0 as for any rule it leaves to a person.
#[test]
fn fix_of_a_windows_pod_below_v1_25_adds_no_forbidden_field_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let file = file.to_str().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  os: {name: windows}\n  containers:\n  - name: app\n    image: nginx\n";
    for level in ["restricted:v1.24", "immutable:v1.22", "restricted:v1.8"] {
        std::fs::write(file, pod).unwrap();
        let out = run(&["fix", "--level", level, "--write", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{level}: {stderr}");
        let fixed = std::fs::read_to_string(file).unwrap();
        assert!(fixed.contains("runAsNonRoot: true"), "{level}: {fixed}");
        for forbidden in ["allowPrivilegeEscalation", "capabilities", "seccompProfile"] {
            assert!(!fixed.contains(forbidden), "{level}: {fixed}");
        }
        assert!(
            stderr.contains("allowPrivilegeEscalation") && stderr.contains("Windows"),
            "{level}: {stderr}"
        );
    }
    std::fs::write(file, pod).unwrap();
    let out = run(&["fix", "--level", "restricted:v1.25", "--write", file]);
    assert_eq!(out.status.code(), Some(0));
    let scan = run(&["scan", "--level", "restricted:v1.25", file]);
    assert_eq!(scan.status.code(), Some(0));
}

/// Errors come out in the order the paths were named, a missing path's
/// where it was named (as scan reports them), not all missing paths first.
#[test]
fn fix_reports_errors_in_the_order_of_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Pod\nspec: [\n").unwrap();
    let missing = dir.path().join("nope.yaml");
    let out = run(&["fix", bad.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("rootlock fix: "))
        .collect();
    assert_eq!(named.len(), 2, "{stderr}");
    assert!(
        named[0].starts_with(&format!("{}:", bad.display())),
        "{stderr}"
    );
    assert_eq!(
        named[1],
        format!("{}: no such file or directory", missing.display())
    );
}

/// A file whose lines end in a lone `\r` (an old Mac file), or that holds
/// a stray one, was refused by fix with "the fix could not be verified":
/// it is fixed as its LF twin is, with its own line ending on new lines,
/// and its diff shows the changed lines one per line.
#[test]
fn fix_edits_files_with_lone_carriage_returns() {
    let dir = tempfile::tempdir().unwrap();
    let plain = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n";
    let twin = dir.path().join("twin.yaml");
    std::fs::write(&twin, format!("# header\n{plain}")).unwrap();
    let out = run(&["fix", "--write", twin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let want = std::fs::read_to_string(&twin).unwrap();
    for (text, fixed) in [
        (
            plain.replace('\n', "\r"),
            want.replacen("# header\n", "", 1).replace('\n', "\r"),
        ),
        (
            format!("# header\r{plain}"),
            want.replacen("# header\n", "# header\r", 1),
        ),
    ] {
        let path = dir.path().join("pod.yaml");
        std::fs::write(&path, &text).unwrap();
        let diff = run(&["fix", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&diff.stderr);
        assert_eq!(diff.status.code(), Some(0), "{stderr}");
        let diff = String::from_utf8_lossy(&diff.stdout);
        assert!(
            diff.contains("+      readOnlyRootFilesystem: true"),
            "{diff}"
        );
        assert!(
            diff.lines()
                .all(|l| !l.trim_end_matches('\r').contains('\r')),
            "{diff:?}"
        );
        let out = run(&["fix", "--write", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed);
    }
}

/// Linux file names are bytes: one in Latin-1 (`caf\xe9.yaml`) is a path
/// like any other for scan, fix and logs, not a usage error.
#[test]
fn file_names_that_are_not_utf8_are_read_and_written() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml"));
    std::fs::write(&path, pod("false")).unwrap();
    let run_os = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(common::bin())
            .args(args)
            .output()
            .unwrap()
    };
    let os = std::ffi::OsStr::new;
    let out = run_os(&[os("scan"), os("--format"), os("json"), path.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem").len(),
        1
    );
    let out = run_os(&[os("fix"), os("--write"), os("--force"), path.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(fixed.contains("readOnlyRootFilesystem: true"), "{fixed}");
    let log = dir.path().join(std::ffi::OsStr::from_bytes(b"app\xe9.log"));
    std::fs::write(&log, "mkdir /var/cache/app: read-only file system\n").unwrap();
    let out = run_os(&[os("logs"), os("--format"), os("json"), log.as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("/var/cache/app"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn file_names_that_are_not_utf8_keep_their_bytes_in_json_and_sarif() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml"));
    std::fs::write(&bad, pod("false")).unwrap();
    let broken = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"x\xff\\y.yaml"));
    std::fs::write(&broken, pod("\"no\"")).unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    // JSON: a string cannot hold the byte; it is written `\xE9` (and a
    // backslash `\\`), never U+FFFD, which loses which byte it was.
    let (code, doc, stderr) = scan_json(&[dir_arg]);
    assert_eq!(code, 2, "{stderr}");
    let file = doc["objects"][0]["file"].as_str().unwrap();
    assert_eq!(file, format!("{dir_arg}/caf\\xE9.yaml"));
    let error_file = doc["errors"][0]["file"].as_str().unwrap();
    assert_eq!(error_file, format!("{dir_arg}/x\\xFF\\\\y.yaml"));
    assert!(stderr.contains("x\\xFF\\\\y.yaml:16:"), "{stderr}");
    // SARIF: the URI percent-encodes the name's own bytes.
    let out = run(&["scan", "--format", "sarif", dir_arg]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run0 = &sarif["runs"][0];
    let uri = run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/caf%E9.yaml"),
        "{uri}"
    );
    let uri =
        run0["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
    assert!(uri.ends_with("/x%FF%5Cy.yaml"), "{uri}");
}

#[test]
fn input_errors_on_stderr_cannot_drive_the_terminal_in_any_format() {
    // The name is the file's, not ours: an escape sequence in it must not
    // reach the terminal through the errors JSON and SARIF print to stderr.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("\x1b]0;owned\x07\x1b[2J.yaml"),
        pod("\"no\""),
    )
    .unwrap();
    for format in ["text", "json", "sarif"] {
        let out = run(&["scan", "--format", format, dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        let all = [&out.stdout[..], &out.stderr[..]].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            !all.contains(&0x1b) && !all.contains(&0x07),
            "{format}: {text:?}"
        );
        assert!(text.contains(".yaml:16:"), "{format}: {text}");
    }
}

/// `fix --write` names each file it fixed, and `--out-dir` each patch it
/// wrote, on stderr: the file's name went out raw, so an escape sequence
/// in it (found walking a directory) was run by the terminal.
#[test]
fn fix_names_written_files_with_their_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("\x1b]0;owned\x07\x1b[2J.yaml"),
        pod("false"),
    )
    .unwrap();
    let out = run(&["fix", "--write", "--force", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rootlock fix: fixed "), "{stderr}");
    assert!(
        !out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07),
        "{stderr:?}"
    );
}

#[test]
fn utf16_files_as_powershell_writes_them_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in pod("false").encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    let out = run(&["scan", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        findings(&doc["objects"][0], "readOnlyRootFilesystem")[0]["line"],
        16
    );
}

#[test]
fn an_interrupted_trace_stops_its_command_and_cleans_up() {
    // SAFETY: trivial getter.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: trace as root needs root; CI runs as root");
        return;
    }
    // `kill`, and the terminal closing (SIGHUP: an ssh session that drops),
    // which left the scratch directory behind.
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        interrupt_a_trace(signal);
    }
}

fn interrupt_a_trace(signal: libc::c_int) {
    let child = std::process::Command::new(common::bin())
        .args(["trace", "--", "sleep", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let scratch = std::path::PathBuf::from(format!("/run/rootlock-trace.{}", child.id()));
    for _ in 0..100 {
        if scratch.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(scratch.exists(), "the trace did not start");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "signal {signal}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!scratch.exists(), "scratch directory left behind");
}

/// The `file` of each object in a JSON report, in order.
fn object_files(json: &[u8]) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(json).unwrap();
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["file"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn text_output_points_at_the_line_and_gives_the_fix() {
    let out = run_stdin(&["scan", "--color", "never", "-"], pod("false").as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Pod shop/web (<stdin>:1)"), "{text}");
    assert!(
        text.contains("error[readOnlyRootFilesystem] container \"app\""),
        "{text}"
    );
    assert!(text.contains("--> <stdin>:16"), "{text}");
    assert!(
        text.contains("16 |>       readOnlyRootFilesystem: false"),
        "{text}"
    );
    assert!(
        text.contains("fix: set `securityContext: {readOnlyRootFilesystem: true}`"),
        "{text}"
    );
    assert!(text.contains("rootlock fix"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("1 object scanned at immutable:latest: 1 failing, 1 error"),
        "{text}"
    );
    // Zero and many are plural.
    let out = run_stdin(&["scan", "--color", "never", "-"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("0 objects scanned at"), "{text}");
    let two = format!("{}---\n{}", pod("true"), pod("true"));
    let out = run_stdin(&["scan", "--color", "never", "-"], two.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2 objects scanned at"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when asked not to");
    let out = run_stdin(&["scan", "--color", "always", "-"], pod("false").as_bytes());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[1;31merror"));
}

/// `kubectl get deploy -A -o json | jq -c` is one line: each finding shows
/// a window of it around the workload it is about, not the whole line
/// (which, under each of the List's findings, was gigabytes of output).
#[test]
fn a_compact_list_on_one_line_shows_a_window_of_it_per_finding() {
    let item = |i: usize| {
        format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d{i}"}},"spec":{{"template":{{"spec":{{"containers":[{{"name":"c{i}","image":"nginx"}}]}}}}}}}}"#
        )
    };
    let items: Vec<String> = (0..200).map(item).collect();
    let list = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    );
    let out = run_stdin(&["scan", "--color", "never", "-"], list.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let shown: Vec<&str> = text.lines().filter(|l| l.contains("1 |>")).collect();
    assert_eq!(shown.len(), 200 * 5, "a line under every finding");
    assert!(
        shown.iter().all(|l| l.chars().count() <= 12 + 120 + 2),
        "clipped to 120 characters and two ellipses"
    );
    // The window is the finding's own container.
    let last = text
        .lines()
        .skip_while(|l| !l.starts_with("Deployment d199 "))
        .find(|l| l.contains("1 |>"))
        .expect("d199's first finding");
    assert!(last.contains(r#""name":"c199""#), "{last}");
}

#[test]
fn sarif_has_rules_locations_and_suppressions() {
    let exempt = pod("false").replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    exempt.rootlock.dev/app: \"readOnlyRootFilesystem: legacy\"\n",
    );
    let out = run_stdin(
        &["scan", "--format", "sarif", "-"],
        format!(
            "{}---\n{}",
            exempt,
            pod("false").replace("name: web", "name: web2")
        )
        .as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "readOnlyRootFilesystem"));
    assert!(rules.iter().any(|r| r["id"] == "seccompProfile_restricted"));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["level"], "note");
    assert_eq!(results[0]["suppressions"][0]["justification"], "legacy");
    assert_eq!(results[1]["level"], "error");
    let loc = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(loc["region"]["startLine"], 35);
    let idx = results[1]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], results[1]["ruleId"]);
}

/// SARIF locations are URIs: a relative path stays relative (code
/// scanning resolves it against the checkout), an absolute one becomes a
/// `file://` URI — a bare `/tmp/x` is a relative reference with no base,
/// which SARIF consumers cannot place. Both percent-encode spaces and
/// non-ASCII bytes.
#[test]
fn sarif_uris_are_relative_or_file_uris() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("k8s é");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("my pod.yaml"), pod("false")).unwrap();
    let uri_of = |path: &str| -> String {
        let out = std::process::Command::new(common::bin())
            .args(["scan", "--format", "sarif", path])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(uri_of("k8s é"), "k8s%20%C3%A9/my%20pod.yaml");
    assert_eq!(uri_of("./k8s é/my pod.yaml"), "k8s%20%C3%A9/my%20pod.yaml");
    let absolute = sub.join("my pod.yaml");
    let encoded = absolute
        .to_str()
        .unwrap()
        .replace(' ', "%20")
        .replace('é', "%C3%A9");
    assert_eq!(
        uri_of(absolute.to_str().unwrap()),
        format!("file://{encoded}")
    );
}

/// On Unix a backslash is an ordinary file-name byte, not a separator:
/// `a\b.yaml` is one file in the current directory, and a URI that
/// turned it into `a/b.yaml` would send code scanning to a file `b.yaml`
/// in a directory `a` that does not exist.
#[cfg(unix)]
#[test]
fn a_backslash_in_a_unix_file_name_is_encoded_not_a_separator() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a\\b.yaml"), pod("false")).unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["scan", "--format", "sarif", "a\\b.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "a%5Cb.yaml"
    );
}

#[test]
fn works_as_a_kubectl_plugin() {
    // Removed on drop, a failed assertion included: the copy is the whole
    // debug binary (about 250 MB).
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-rootlock");
    std::fs::copy(common::bin(), &plugin).unwrap();
    let out = std::process::Command::new(&plugin)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: kubectl rootlock <COMMAND>"));
    let out = std::process::Command::new(&plugin)
        .args(["scan", "--format", "json", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The commands the messages suggest are the ones the user can type:
    // krew installs no `rootlock` on the PATH.
    let out = common::run_program(
        &plugin,
        &["scan", "--color", "never", "-"],
        pod("false").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("`kubectl rootlock fix -` adds both, and `kubectl rootlock trace` finds"),
        "{text}"
    );
    let out = common::run_program(&plugin, &["scan", "--level", "strict", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("kubectl rootlock scan: --level strict"),
        "{err}"
    );
}

#[test]
fn the_webhooks_own_deployment_passes_the_immutable_level() {
    let deploy = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let deploy = deploy.to_str().expect("UTF-8 path");
    let (code, doc, stderr) = common::scan_json(&["--level", "immutable", deploy]);
    assert_eq!(code, 0, "{stderr}");
    let objects = doc["objects"].as_array().expect("objects");
    assert_eq!(
        objects.len(),
        1,
        "the Deployment is the one workload: {doc}"
    );
    assert_eq!(objects[0]["kind"], "Deployment");
    assert_eq!(objects[0]["name"], "rootlock-webhook");
    assert_eq!(objects[0]["findings"], serde_json::json!([]));
    assert_eq!(doc["errors"], serde_json::json!([]));
}

#[test]
fn a_command_that_cannot_start_is_said_once() {
    // SAFETY: trivial getter.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: trace as root needs root; CI runs as root");
        return;
    }
    let out = run(&["trace", "--", "/nonexistent/rootlock-test-command"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "rootlock trace: cannot execute the command: not found or not executable",
            "rootlock trace: the command did not start (see above); no plan was made",
        ],
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Escape sequences a manifest spells in double-quoted scalars (a name, an
/// exemption reason) reach PSA's messages byte for byte; the text output
/// shows them escaped, so scanning a hostile manifest cannot retitle or
/// wipe the terminal (or a CI log that renders them). JSON keeps the bytes.
#[test]
fn text_output_shows_escape_sequences_from_the_manifest_escaped() {
    let yaml = "apiVersion: v1
kind: Pod
metadata:
  name: \"p\\e]0;owned\\a\"
  annotations:
    exempt.rootlock.dev/c: \"runAsNonRoot: ok\\e[2K\"
spec:
  containers:
  - name: c
    image: \"nginx\\e[31m\"
  - name: \"d\\e[2K\"
    image: nginx
";
    let out = run_stdin(&["scan", "-", "--color", "never"], yaml.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(|c: char| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(
        text.contains("Pod p\\u{1b}]0;owned\\u{7} (<stdin>:1)"),
        "{text}"
    );
    assert!(
        text.contains("(container \"d\\u{1b}[2K\" must set"),
        "{text}"
    );
    assert!(text.contains("exempted: ok\\u{1b}[2K"), "{text}");
    let (code, json, _) = scan_stdin_json(&["--level", "immutable"], yaml);
    assert_eq!(code, 1);
    assert!(json.to_string().contains("d\\u001b[2K"), "{json}");
}

/// `fix` prints its errors and notes through the same escaping: a file name
/// with an escape sequence in it is shown, not run.
#[test]
fn fix_messages_show_escape_sequences_escaped() {
    let dir = std::env::temp_dir().join(format!("rootlock-esc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let name = dir.join("a\u{1b}]0;t\u{7}.yaml");
    std::fs::write(&name, "apiVersion: v1\nkind: Pod\nmetadata: [\n").unwrap();
    let out = run(&["fix", name.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains(|c: char| c.is_control() && c != '\n'),
        "{err:?}"
    );
    assert!(err.contains("a\\u{1b}]0;t\\u{7}.yaml"), "{err}");
}

/// A multi-line flow collection closed at its key's column (YAML 1.2 wants
/// it indented further; kubectl does not check) is scanned as kubectl reads
/// it: findings at their lines, a later document too, exit 1 not 2.
#[test]
fn a_flow_collection_closed_at_its_keys_column_is_scanned_as_kubectl_reads_it() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - name: c
    image: nginx
    command: [
      \"sh\", \"-c\",
    \"sleep 1\"
    ]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: [
  {name: d, image: nginx, securityContext: {privileged: true}}
  ]
";
    let (code, json, stderr) = scan_stdin_json(&["--level", "baseline"], yaml);
    assert_eq!(code, 1, "{stderr}");
    let objects = json["objects"].as_array().unwrap();
    let at: Vec<(&str, u64)> = objects
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(at, [("a", 1), ("b", 13)]);
    assert_eq!(objects[0]["findings"], serde_json::json!([]));
    assert_eq!(objects[1]["findings"][0]["rule"], "privileged");
    assert_eq!(objects[1]["findings"][0]["container"], "d");
}

/// Runs rootlock with its standard output a pipe whose reader is already
/// gone (`rootlock … | head` once head has exited): every write to it
/// fails with EPIPE.
fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both were just returned by the kernel and are owned here.
    let (reader, writer) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(reader);
    std::process::Command::new(common::bin())
        .args(args)
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

/// `rootlock logs … | head` and `rootlock trace … | head`: a reader that
/// went away is an output error (exit 2, as for scan), never a panic.
#[test]
fn trace_and_logs_into_a_closed_pipe_exit_2_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "touch: /var/cache/app/x: Read-only file system\n").unwrap();
    let log = log.to_str().unwrap();
    let mut runs = vec![
        vec!["logs", log],
        vec!["logs", "--format", "json", log],
        vec!["logs", "--format", "yaml", log],
    ];
    // SAFETY: trivial getter.
    if unsafe { libc::geteuid() } == 0 {
        runs.push(vec!["trace", "--", "true"]);
        runs.push(vec!["trace", "--format", "json", "--", "true"]);
    } else {
        eprintln!("SKIP the trace half: trace as root needs root; CI runs as root");
    }
    for args in runs {
        let out = run_into_closed_pipe(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    }
}

#[test]
fn the_webhook_runs_with_mimallocs_server_settings_keeping_given_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = dir.path().to_str().expect("UTF-8 path");
    let out = run(&["webhook", "certs", "--out-dir", certs, "--ip", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut child = std::process::Command::new(common::bin())
        .args(["webhook", "--offline", "--listen=127.0.0.1:0"])
        .arg(format!("--tls-cert={certs}/tls.crt"))
        .arg(format!("--tls-key={certs}/tls.key"))
        .env("MIMALLOC_PURGE_DELAY", "7")
        .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the webhook");
    // The log lines come from the program that serves (the certificate
    // it loaded, then where it listens).
    let mut first = String::new();
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    for _ in 0..10 {
        first.clear();
        std::io::BufRead::read_line(&mut stderr, &mut first).expect("a log line");
        if first.contains("listening") || first.is_empty() {
            break;
        }
    }
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).expect("environ");
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("listening"), "{first}");
    let vars: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
    assert!(
        vars.contains(&&b"MIMALLOC_ARENA_EAGER_COMMIT=0"[..]),
        "{vars:?}"
    );
    assert!(vars.contains(&&b"MIMALLOC_PURGE_DELAY=7"[..]), "{vars:?}");
    assert!(!vars.contains(&&b"MIMALLOC_PURGE_DELAY=0"[..]), "{vars:?}");
}

/// `logs -o FILE` writes the plan whole or not at all: a write that fails
/// half way (a full disk; here a file size limit) left the first 4 KiB of
/// the new plan, cut mid-path, in place of the old one, for `fix --plan`
/// to apply. Now the old file is kept and nothing is left beside it.
#[test]
fn a_plan_file_that_cannot_be_written_whole_is_not_written_at_all() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let lines: String = (0..200)
        .map(|i| format!("open /srv/app{i}/x: read-only file system\n"))
        .collect();
    std::fs::write(&log, lines).unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(&plan, "old plan\n").unwrap();
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(["logs", "--format", "json", "-o"])
        .arg(&plan)
        .arg(&log);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // A write past the limit then fails with EFBIG, as on a full
            // disk, instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "rootlock logs: cannot write the plan: {}: cannot write the new text: ",
            plan.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&plan).unwrap(), "old plan\n");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // Without the limit, the whole plan replaces the old one.
    let out = run(&["logs", "-o", plan.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let written = std::fs::read_to_string(&plan).unwrap();
    assert!(
        written.starts_with("apiVersion: rootlock.dev/v1\n"),
        "{written}"
    );
    assert!(written.contains("  - path: /srv/app199\n"), "{written}");
}

/// `(rule, line, field)` of each finding of the one object scanned from
/// `manifest` at `level`; the scan must have no input error.
fn located(manifest: &str, level: &str) -> Vec<(String, u64, String)> {
    let (_, doc, stderr) = scan_stdin_json(&["--level", level], manifest);
    assert!(
        doc["errors"].as_array().is_some_and(|e| e.is_empty()),
        "{stderr}"
    );
    doc["objects"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts a finding of `rule` at `line`, pointing at `field`.
fn assert_located(found: &[(String, u64, String)], rule: &str, line: u64, field: &str) {
    let want = (rule.to_string(), line, field.to_string());
    assert!(found.contains(&want), "{want:?} not in {found:#?}");
}

/// Each finding of a check about one annotation, volume, port, sysctl or
/// host namespace points at that entry, not at a parent or at a field the
/// manifest does not have: a code-scanning annotation on `spec:` does not
/// say which of thirty lines to change.
#[test]
fn findings_point_at_the_offending_entry() {
    let manifest = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    metadata:
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: unconfined
        container.seccomp.security.alpha.kubernetes.io/c: unconfined
        container.apparmor.security.beta.kubernetes.io/c: unconfined
    spec:
      hostNetwork: false
      hostPID: true
      securityContext:
        sysctls:
        - {name: kernel.shm_rmid_forced, value: '1'}
        - {name: kernel.msgmax, value: '1'}
      volumes:
      - name: a
        emptyDir: {}
      - name: h
        hostPath: {path: /x}
      containers:
      - name: c
        image: nginx
        ports:
        - containerPort: 80
        - containerPort: 81
          hostPort: 81
";
    let baseline = located(manifest, "baseline:v1.18");
    for (rule, line, field) in [
        (
            "appArmorProfile",
            11,
            "metadata.annotations.container.apparmor.security.beta.kubernetes.io/c",
        ),
        ("hostNamespaces", 14, "spec.hostPID"),
        ("hostPathVolumes", 22, "spec.volumes[1]"),
        ("hostPorts", 30, "spec.containers[0].ports[1].hostPort"),
        (
            "seccompProfile_baseline",
            9,
            "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod",
        ),
        (
            "seccompProfile_baseline",
            10,
            "metadata.annotations.container.seccomp.security.alpha.kubernetes.io/c",
        ),
        ("sysctls", 18, "spec.securityContext.sysctls[1]"),
    ] {
        assert_located(&baseline, rule, line, &format!("spec.template.{field}"));
    }
    let restricted = located(manifest, "restricted");
    assert_located(
        &restricted,
        "restrictedVolumes",
        22,
        "spec.template.spec.volumes[1]",
    );
}

/// The immutable family's findings point at the mount or the setting that
/// offends, not at `volumeMounts:` or `securityContext:` above it.
#[test]
fn immutable_findings_point_at_the_offending_mount_or_setting() {
    let manifest = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  volumes:
  - {name: cfg, configMap: {name: c}}
  - {name: etc, emptyDir: {}}
  - {name: host, hostPath: {path: /srv}}
  - {name: mem, emptyDir: {medium: Memory}}
  containers:
  - name: a
    image: nginx
    securityContext:
      readOnlyRootFilesystem: true
      capabilities:
        add: [NET_ADMIN, SYS_ADMIN]
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: host, mountPath: /srv, readOnly: true}
    - {name: etc, mountPath: /etc}
    - {name: host, mountPath: /host}
    - {name: mem, mountPath: /cache}
  - name: b
    image: nginx
    securityContext:
      readOnlyRootFilesystem: true
      privileged: true
";
    let found = located(manifest, "immutable");
    for (rule, line, field) in [
        (
            "rootfsBypass",
            17,
            "spec.containers[0].securityContext.capabilities.add[1]",
        ),
        (
            "rootfsBypass",
            28,
            "spec.containers[1].securityContext.privileged",
        ),
        (
            "writableSystemPath",
            21,
            "spec.containers[0].volumeMounts[2]",
        ),
        ("writableHostPath", 22, "spec.containers[0].volumeMounts[3]"),
        (
            "unboundedMemoryVolume",
            23,
            "spec.containers[0].volumeMounts[4]",
        ),
    ] {
        assert_located(&found, rule, line, field);
    }
}

/// A Pod `p` whose first container `a` runs nginx; what follows is `a`'s.
const POD_P_A: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: a
    image: nginx
";

/// A probe or lifecycle host is reported at the handler's `host`, not at
/// the container (whose probes may be dozens of lines long).
#[test]
fn a_probe_host_is_reported_at_its_handler() {
    let manifest = &[
        POD_P_A,
        "    livenessProbe:
      httpGet: {port: 80}
    lifecycle:
      preStop:
        tcpSocket:
          port: 80
          host: example.com
",
    ]
    .concat();
    assert_located(
        &located(manifest, "baseline"),
        "hostProbesAndHostLifecycle",
        15,
        "spec.containers[0].lifecycle.preStop.tcpSocket.host",
    );
}

/// A capability finding points at the capability added, or at `drop` when
/// `ALL` is what is missing.
#[test]
fn a_capability_finding_points_at_the_capability() {
    let manifest = &[
        POD_P_A,
        "    securityContext:
      capabilities:
        drop:
        - ALL
        add:
        - CHOWN
        - NET_ADMIN
  - name: b
    image: nginx
    securityContext:
      capabilities:
        add: [NET_BIND_SERVICE]
        drop:
        - NET_RAW
",
    ]
    .concat();
    assert_located(
        &located(manifest, "baseline"),
        "capabilities_baseline",
        15,
        "spec.containers[0].securityContext.capabilities.add[1]",
    );
    let restricted = located(manifest, "restricted");
    for (line, field) in [
        (14, "spec.containers[0].securityContext.capabilities.add[0]"),
        (21, "spec.containers[1].securityContext.capabilities.drop"),
    ] {
        assert_located(&restricted, "capabilities_restricted", line, field);
    }
}

/// The `fix` command the text output suggests works as typed in a shell: a
/// file name with spaces, quotes or `#` is quoted, and standard input is
/// `-`, not the display name `<stdin>` (a redirection in a shell).
#[test]
fn the_suggested_fix_command_works_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let name = "my app's #1.yaml";
    std::fs::write(dir.path().join(name), pod("false")).unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["scan", "--color", "never", name])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("`rootlock fix 'my app'\\''s #1.yaml'` adds both"),
        "{text}"
    );
    std::fs::write(dir.path().join("-x.yaml"), pod("false")).unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["scan", "--color", "never", "--", "-x.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("`rootlock fix ./-x.yaml` adds both"),
        "{text}"
    );
    let out = run_stdin(&["scan", "--color", "never", "-"], pod("false").as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`rootlock fix -` adds both"), "{text}");
}
