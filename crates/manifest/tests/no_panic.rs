//! Property tests: arbitrary YAML-ish text and arbitrary JSON shaped like
//! pods go through the reader, the extraction and the evaluator without a
//! panic, and every failure is a reported error with a line.

use proptest::prelude::*;
use rootlock_manifest::{Limits, json::node_from_json, read_stream, workloads};
use rootlock_policy::{Level, LevelVersion, Version, evaluate};

/// Tokens that matter to YAML and to the pod model, glued at random.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "kind: Pod\n",
        "kind: Deployment\n",
        "kind: List\n",
        "apiVersion: v1\n",
        "apiVersion: apps/v1\n",
        "items:\n",
        "- ",
        "  ",
        "    ",
        "spec:",
        "template:",
        "containers:",
        "initContainers:",
        "name: a",
        "securityContext:",
        "readOnlyRootFilesystem: true",
        "privileged: yes",
        "runAsUser: 0",
        "volumes:",
        "emptyDir: {medium: Memory}",
        "hostPath: {path: /}",
        "capabilities: {add: [SYS_ADMIN], drop: [all]}",
        "&a ",
        "*a",
        "<<: *a",
        "{",
        "}",
        "[",
        "]",
        ", ",
        ": ",
        "\n",
        "---\n",
        "...\n",
        "# c\n",
        "'",
        "\"",
        "|\n",
        ">-\n",
        "!!str ",
        "~",
        "null",
        "0x1F",
        "-1",
        "\t",
        "? ",
        "%YAML 1.2\n",
        "{{ .Values.x }}",
        "metadata:",
        "annotations:",
        "exempt.rootlock.dev/a: \"readOnlyRootFilesystem: r\"",
        "\r\n",
    ]);
    prop::collection::vec(token, 0..80).prop_map(|t| t.concat())
}

/// A stream that starts with `{`, so it is read as JSON first: JSON and
/// YAML tokens, and what breaks either, glued at random.
fn jsonish() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        "\"kind\"",
        "\"Pod\"",
        "\"spec\"",
        "\"containers\"",
        "\"name\"",
        "\"é🔒\"",
        "\"\\u00e9\"",
        ":",
        ",",
        " ",
        "\n",
        "\t",
        "\r\n",
        "1",
        "-1",
        "1e5",
        "true",
        "null",
        "'x'",
        "// c\n",
        "# c\n",
        "---\n",
        "...\n",
        "a: b",
        "{{",
        "}}",
        "é",
    ]);
    prop::collection::vec(token, 0..60).prop_map(|t| format!("{{{}", t.concat()))
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        "[a-zA-Z/_ .-]{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let keys = prop::sample::select(vec![
            "spec",
            "containers",
            "initContainers",
            "ephemeralContainers",
            "securityContext",
            "name",
            "readOnlyRootFilesystem",
            "privileged",
            "capabilities",
            "add",
            "drop",
            "volumes",
            "emptyDir",
            "volumeMounts",
            "mountPath",
            "hostPath",
            "seccompProfile",
            "type",
            "runAsNonRoot",
            "runAsUser",
            "metadata",
            "annotations",
            "hostNetwork",
            "os",
            "sysctls",
            "ports",
            "hostPort",
            "resources",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..6).prop_map(|m| serde_json::Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

fn evaluate_everywhere(pod: &rootlock_policy::Pod) {
    for level in Level::ALL {
        for version in [Version::Minor(0), Version::Minor(25), Version::Latest] {
            let e = evaluate(pod, LevelVersion::new(level, version), None);
            let _ = e.message();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_yaml_never_panics(text in yamlish()) {
        let limits = Limits { max_document_bytes: 1 << 20, max_depth: 64, max_nodes: 50_000 };
        let errors = read_stream(text.as_bytes(), "p.yaml", &limits, |doc| {
            if let Some(root) = &doc.document.root {
                for w in workloads(root).map_err(|e| e.into_input_error("p.yaml"))? {
                    evaluate_everywhere(&w.pod);
                }
            }
            Ok(())
        });
        for e in errors {
            prop_assert_eq!(e.file.as_str(), "p.yaml");
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn arbitrary_json_streams_never_panic_and_stay_in_the_text(text in jsonish()) {
        let limits = Limits { max_document_bytes: 1 << 20, max_depth: 64, max_nodes: 50_000 };
        let lines = text.lines().count().max(1);
        let mut roots = Vec::new();
        let errors = read_stream(text.as_bytes(), "p.json", &limits, |doc| {
            if let Some(root) = &doc.document.root {
                roots.push((root.line, root.column));
            }
            Ok(())
        });
        for (line, column) in roots {
            prop_assert!((1..=lines).contains(&line) && column >= 1, "{line}:{column} in {text:?}");
        }
        for e in errors {
            prop_assert_eq!(e.file.as_str(), "p.json");
            prop_assert!(!e.message.is_empty());
            // The YAML parser puts an unexpected end one line past the last.
            prop_assert!(e.line <= lines + 1, "{e} in {text:?}");
        }
    }

    #[test]
    fn arbitrary_json_pods_never_panic(spec in json_value(), meta in json_value()) {
        let obj = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec});
        if let Some(node) = node_from_json(&obj, 64) {
            match workloads(&node) {
                Ok(ws) => for w in ws { evaluate_everywhere(&w.pod) },
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
        }
    }
}
