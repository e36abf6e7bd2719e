//! The shipped `deploy/` manifests keep the promises the webhook's README
//! makes about them: every webhook has an explicit timeout, failure policy
//! and `sideEffects: None`, never sees kube-system or its own namespace and
//! points at the Service in the kustomization's namespace; pods fail
//! closed, controllers fail open; at least two replicas behind a
//! PodDisruptionBudget that selects them; RBAC limited to watching
//! namespaces and listing pods; a NetworkPolicy letting in only the HTTPS
//! port and out only the API server; the mutating webhook's selector
//! asks for the `rootlock.dev/mutate` label unless the config mutates
//! everywhere; and the webhook's own pod passes
//! `rootlock scan --level immutable`.

use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Every document of `deploy/<file>`, as JSON.
fn docs(file: &str) -> Vec<Value> {
    let path = deploy_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

fn one(file: &str, kind: &str) -> Value {
    let mut found: Vec<Value> = docs(file)
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "{file}: one {kind}");
    found.remove(0)
}

fn namespace() -> String {
    let k = one("kustomization.yaml", "Kustomization");
    k["namespace"]
        .as_str()
        .expect("kustomization namespace")
        .to_string()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_webhook_is_bounded_side_effect_free_and_skips_system_namespaces() {
    let ns = namespace();
    let configs = docs("webhooks.yaml");
    let kinds: Vec<&str> = configs.iter().filter_map(|c| c["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration"
        ]
    );
    let mut names = Vec::new();
    for config in &configs {
        for wh in config["webhooks"].as_array().expect("webhooks") {
            let name = wh["name"].as_str().expect("name");
            names.push(name.to_string());
            let timeout = wh["timeoutSeconds"].as_u64();
            assert!(
                timeout.is_some_and(|t| (1..=10).contains(&t)),
                "{name}: explicit timeoutSeconds, well under the API server's 30 s"
            );
            assert_eq!(wh["sideEffects"], "None", "{name}");
            assert!(
                wh["failurePolicy"] == "Fail" || wh["failurePolicy"] == "Ignore",
                "{name}: explicit failurePolicy"
            );
            assert!(
                strings(&wh["admissionReviewVersions"]).contains(&"v1"),
                "{name}"
            );
            let svc = &wh["clientConfig"]["service"];
            assert_eq!(svc["name"], "rootlock-webhook", "{name}");
            assert_eq!(svc["namespace"], ns.as_str(), "{name}");
            let path = svc["path"].as_str().unwrap_or("");
            let mutating = config["kind"] == "MutatingWebhookConfiguration";
            assert_eq!(
                path,
                if mutating { "/mutate" } else { "/validate" },
                "{name}"
            );
            let excluded: Vec<&str> = wh["namespaceSelector"]["matchExpressions"]
                .as_array()
                .expect("namespaceSelector.matchExpressions")
                .iter()
                .filter(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn")
                .flat_map(|e| strings(&e["values"]))
                .collect();
            assert!(
                excluded.contains(&"kube-system") && excluded.contains(&ns.as_str()),
                "{name}: must exclude kube-system and {ns}, excludes {excluded:?}"
            );
        }
    }
    // Pods are enforced (fail closed); controllers only warn (fail open).
    let policy = |n: &str| {
        configs
            .iter()
            .flat_map(|c| c["webhooks"].as_array().cloned().unwrap_or_default())
            .find(|w| w["name"] == n)
            .map(|w| w["failurePolicy"].clone())
    };
    assert_eq!(policy("pods.rootlock.dev"), Some("Fail".into()));
    assert_eq!(policy("controllers.rootlock.dev"), Some("Ignore".into()));
    assert_eq!(policy("mutate.rootlock.dev"), Some("Ignore".into()));
    // Mutation reaches what `/mutate` changes: new pods and the ephemeral
    // containers `kubectl debug` adds to running ones.
    let rules: Vec<(Vec<String>, Vec<String>)> = configs
        .iter()
        .flat_map(|c| c["webhooks"].as_array().cloned().unwrap_or_default())
        .filter(|w| w["name"] == "mutate.rootlock.dev")
        .flat_map(|w| w["rules"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            let owned = |v: &Value| strings(v).into_iter().map(String::from).collect();
            (owned(&r["operations"]), owned(&r["resources"]))
        })
        .collect();
    let covers = |op: &str, resource: &str| {
        rules
            .iter()
            .any(|(ops, res)| ops.iter().any(|o| o == op) && res.iter().any(|r| r == resource))
    };
    assert!(covers("CREATE", "pods"), "{rules:?}");
    assert!(covers("UPDATE", "pods/ephemeralcontainers"), "{rules:?}");
    assert!(!covers("UPDATE", "pods"), "{rules:?}");
}

#[test]
fn two_replicas_behind_a_disruption_budget_and_a_service_that_select_them() {
    let deployment = one("deployment.yaml", "Deployment");
    assert!(
        deployment["spec"]["replicas"]
            .as_u64()
            .is_some_and(|r| r >= 2)
    );
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let selected_by = |selector: &Value| {
        selector
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| &labels[k] == v))
    };
    let pdb = one("pdb.yaml", "PodDisruptionBudget");
    assert!(selected_by(&pdb["spec"]["selector"]["matchLabels"]));
    assert!(pdb["spec"]["minAvailable"].as_u64().is_some_and(|n| n >= 1));
    let service = one("service.yaml", "Service");
    assert!(selected_by(&service["spec"]["selector"]));
    let kustomization = one("kustomization.yaml", "Kustomization");
    let resources = strings(&kustomization["resources"]);
    for file in [
        "deployment.yaml",
        "pdb.yaml",
        "service.yaml",
        "webhooks.yaml",
        "rbac.yaml",
    ] {
        assert!(resources.contains(&file), "kustomization lists {file}");
    }
}

/// The kubelet's SIGKILL comes after the shutdown delay and the whole
/// drain, with time to spare: at 30 s for 5 s + 25 s, it raced the drain's
/// last requests, which were cut instead of answered.
#[test]
fn the_grace_period_outlasts_the_shutdown_delay_and_the_drain() {
    let deployment = one("deployment.yaml", "Deployment");
    let spec = &deployment["spec"]["template"]["spec"];
    let grace = spec["terminationGracePeriodSeconds"].as_u64().unwrap();
    let args = strings(&spec["containers"][0]["args"]);
    let delay: u64 = args
        .iter()
        .find_map(|a| a.strip_prefix("--shutdown-delay="))
        .unwrap()
        .parse()
        .unwrap();
    let addr = "127.0.0.1:0".parse().unwrap();
    let drain = rootlock_webhook::server::ServerOptions::new(addr, "c", "k").shutdown_grace;
    assert!(
        grace >= delay + drain.as_secs() + 3,
        "grace {grace} s for {delay} s + {drain:?}"
    );
}

#[test]
fn rbac_only_watches_namespaces_and_lists_pods() {
    let role = one("rbac.yaml", "ClusterRole");
    let mut granted: Vec<(String, String)> = Vec::new();
    for rule in role["rules"].as_array().expect("rules") {
        assert_eq!(strings(&rule["apiGroups"]), [""], "core API group only");
        for resource in strings(&rule["resources"]) {
            for verb in strings(&rule["verbs"]) {
                granted.push((resource.to_string(), verb.to_string()));
            }
        }
    }
    granted.sort();
    let expected: Vec<(String, String)> = [
        ("namespaces", "get"),
        ("namespaces", "list"),
        ("namespaces", "watch"),
        ("pods", "list"),
    ]
    .iter()
    .map(|(r, v)| (r.to_string(), v.to_string()))
    .collect();
    assert_eq!(granted, expected);
    let binding = one("rbac.yaml", "ClusterRoleBinding");
    let deployment = one("deployment.yaml", "Deployment");
    assert_eq!(
        binding["subjects"][0]["name"],
        deployment["spec"]["template"]["spec"]["serviceAccountName"]
    );
    assert_eq!(binding["subjects"][0]["namespace"], namespace().as_str());
}

/// The NetworkPolicy covers the webhook's pods in both directions, lets in
/// only the container's HTTPS port, and lets out only TCP to the API
/// server's ports: no DNS, nothing else.
#[test]
fn network_policy_admits_only_the_https_port_and_the_api_server() {
    let policy = one("networkpolicy.yaml", "NetworkPolicy");
    let deployment = one("deployment.yaml", "Deployment");
    let pod = &deployment["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    let selector = policy["spec"]["podSelector"]["matchLabels"]
        .as_object()
        .expect("podSelector.matchLabels");
    assert!(!selector.is_empty() && selector.iter().all(|(k, v)| &labels[k] == v));
    assert_eq!(
        strings(&policy["spec"]["policyTypes"]),
        ["Ingress", "Egress"]
    );

    let container_ports = pod["spec"]["containers"][0]["ports"]
        .as_array()
        .expect("container ports");
    let ingress = policy["spec"]["ingress"].as_array().expect("ingress");
    assert_eq!(ingress.len(), 1, "one ingress rule");
    let ports = ingress[0]["ports"].as_array().expect("ingress ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["protocol"], "TCP");
    assert!(
        container_ports
            .iter()
            .any(|p| p["name"] == ports[0]["port"] || p["containerPort"] == ports[0]["port"]),
        "ingress port {} is the container's port",
        ports[0]["port"]
    );

    let egress = policy["spec"]["egress"].as_array().expect("egress");
    let mut allowed: Vec<(String, u64)> = Vec::new();
    for rule in egress {
        for p in rule["ports"]
            .as_array()
            .expect("every egress rule names ports")
        {
            let proto = p["protocol"].as_str().unwrap_or("TCP").to_string();
            allowed.push((proto, p["port"].as_u64().expect("numeric port")));
        }
    }
    allowed.sort();
    assert_eq!(
        allowed,
        [("TCP".to_string(), 443), ("TCP".to_string(), 6443)]
    );

    let kustomization = one("kustomization.yaml", "Kustomization");
    assert!(strings(&kustomization["resources"]).contains(&"networkpolicy.yaml"));
}

/// The webhook's own pod is what it asks of others: `rootlock scan --level
/// immutable deploy/deployment.yaml` finds nothing (the same reader and
/// evaluation as the scan, without the binary).
#[test]
fn the_webhooks_own_pod_passes_the_immutable_level_with_no_finding() {
    let file = deploy_dir().join("deployment.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let level = rootlock_policy::LevelVersion::parse("immutable").unwrap();
    let mut pods = 0;
    let errors = rootlock_manifest::read_stream(
        text.as_bytes(),
        "deployment.yaml",
        &rootlock_manifest::Limits::default(),
        |doc| {
            let Some(root) = &doc.document.root else {
                return Ok(());
            };
            let found = rootlock_manifest::workloads(root)
                .map_err(|e| e.into_input_error("deployment.yaml"))?;
            for w in found {
                let eval = rootlock_policy::evaluate(&w.pod, level, None);
                let messages: Vec<&str> =
                    eval.findings.iter().map(|f| f.message.as_str()).collect();
                assert!(messages.is_empty(), "{}: {messages:?}", w.kind);
                pods += 1;
            }
            Ok(())
        },
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(pods, 1);
}

/// The segments of a kustomize fieldPath: split at dots outside brackets
/// (`[key=kubernetes.io/metadata.name]` is one segment).
fn field_path(path: &str) -> Vec<String> {
    let mut segs = vec![String::new()];
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                segs.push(String::new());
                continue;
            }
            _ => {}
        }
        segs.last_mut().unwrap().push(c);
    }
    segs
}

/// Whether the kustomize fieldPath `pattern` selects `at` in `doc`
/// (`*` any element, `[k=v]` the element whose `k` is `v`).
fn selects(doc: &Value, pattern: &[String], at: &[Value]) -> bool {
    if pattern.len() != at.len() {
        return false;
    }
    let mut node = doc;
    for (p, seg) in pattern.iter().zip(at) {
        let ok = match seg {
            Value::Number(i) => {
                let i = i.as_u64().unwrap() as usize;
                let element = &node[i];
                p == "*"
                    || p.parse::<usize>() == Ok(i)
                    || p.strip_prefix('[')
                        .and_then(|p| p.strip_suffix(']'))
                        .and_then(|p| p.split_once('='))
                        .is_some_and(|(k, v)| element[k] == v)
            }
            Value::String(k) => p == k,
            _ => false,
        };
        if !ok {
            return false;
        }
        node = match seg {
            Value::Number(i) => &node[i.as_u64().unwrap() as usize],
            Value::String(k) => &node[k.as_str()],
            _ => unreachable!(),
        };
    }
    true
}

/// Every place a string `ns` sits in `v`, as its path.
fn places(v: &Value, ns: &str, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::String(s) if s == ns => out.push(at.clone()),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, e)| {
            at.push(i.into());
            places(e, ns, at, out);
            at.pop();
        }),
        Value::Object(m) => m.iter().for_each(|(k, e)| {
            at.push(k.as_str().into());
            places(e, ns, at, out);
            at.pop();
        }),
        _ => {}
    }
}

/// An overlay that renames the namespace (`namespace: x` over `deploy/`)
/// and lists `namespace-references.yaml` rewrites every field that names
/// it: kustomize's namespace change does `metadata.namespace` and the
/// Namespace's name, the replacements everything else. Before, the
/// webhook configurations kept calling the Service in `rootlock-system`.
/// (Checked with `kubectl kustomize` v5.5 too, by hand: no
/// `rootlock-system` left in a renamed build.) A new field naming the
/// namespace fails here until it gets a replacement.
#[test]
fn every_reference_to_the_namespace_follows_a_renamed_install() {
    let ns = namespace();
    let text = std::fs::read_to_string(deploy_dir().join("namespace-references.yaml")).unwrap();
    let replacements: Value = serde_norway::from_str(&text).unwrap();
    let replacements = replacements.as_array().unwrap();
    assert_eq!(replacements.len(), 1);
    assert_eq!(replacements[0]["source"]["kind"], "Namespace");
    assert_eq!(replacements[0]["source"]["fieldPath"], "metadata.name");
    let targets = replacements[0]["targets"].as_array().unwrap();
    let kustomization = one("kustomization.yaml", "Kustomization");
    let mut checked = 0;
    for file in strings(&kustomization["resources"]) {
        for doc in docs(file) {
            let mut found = Vec::new();
            places(&doc, &ns, &mut Vec::new(), &mut found);
            for at in found {
                let kind = doc["kind"].as_str().unwrap();
                let by_kustomize = at.len() == 2
                    && at[0] == "metadata"
                    && (at[1] == "namespace" || (at[1] == "name" && kind == "Namespace"));
                let replaced = targets.iter().any(|t| {
                    t["select"]["kind"] == kind
                        && t["fieldPaths"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|p| selects(&doc, &field_path(p.as_str().unwrap()), &at))
                });
                assert!(by_kustomize || replaced, "{file}: {kind} {at:?} names {ns}");
                checked += 1;
            }
        }
    }
    // The four webhooks' Service and selector, and the binding's subject.
    assert!(checked >= 9, "{checked}");
}

/// The shipped config and the mutating webhook's selector agree on where
/// `/mutate` runs. `mutate.enabled: true` means every namespace not
/// labelled `rootlock.dev/mutate: "false"`, but the API server sends the
/// webhook only what the selector matches: a selector that still asks for
/// the `"true"` label would leave unlabelled namespaces unmutated while
/// the config (and `rootlock cluster --what-if`) says they are. Without
/// `enabled`, the label is the opt-in the README documents.
#[test]
fn the_mutating_selector_follows_the_configs_mutate_switch() {
    let map = one("config.yaml", "ConfigMap");
    let text = map["data"]["config.yaml"]
        .as_str()
        .expect("data.config.yaml");
    let config = rootlock_webhook::config::Config::parse(text).expect("deploy/config.yaml");
    let selector = docs("webhooks.yaml")
        .iter()
        .flat_map(|c| c["webhooks"].as_array().cloned().unwrap_or_default())
        .find(|w| w["name"] == "mutate.rootlock.dev")
        .map(|w| w["namespaceSelector"].clone())
        .expect("mutate.rootlock.dev");
    // Required: `In ["true"]` or `Exists`, or the label in matchLabels. A
    // `NotIn ["false"]` (the opt-out that goes with `enabled: true`) is
    // no requirement.
    let in_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["key"] == "rootlock.dev/mutate")
        .any(|e| {
            e["operator"] == "Exists"
                || (e["operator"] == "In"
                    && e["values"]
                        .as_array()
                        .is_some_and(|v| v.iter().any(|x| x == "true")))
        });
    let asks_for_the_label =
        in_expressions || !selector["matchLabels"]["rootlock.dev/mutate"].is_null();
    assert_eq!(
        asks_for_the_label,
        !config.mutate.enabled,
        "deploy/config.yaml has mutate.enabled: {}, but mutate.rootlock.dev's namespaceSelector \
         {} the rootlock.dev/mutate label: {selector}",
        config.mutate.enabled,
        if asks_for_the_label {
            "requires"
        } else {
            "does not require"
        }
    );
}
