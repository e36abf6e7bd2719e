//! `/mutate`'s JSONPatch, red-teamed over real TLS: each pod is sent as
//! the API server sends it, the patch applied by an RFC 6902 library (as
//! the API server's evanphx/json-patch applies it: an `add` under a missing
//! parent fails, and with `failurePolicy: Fail` so does the pod's
//! creation), sent again as a reinvocation (which must add nothing), and
//! then judged by `/validate` as the API server judges the mutated pod.

mod common;

use common::*;
use serde_json::{Value, json};

const MUTATE: &str = "mutate:\n  enabled: true\n  tmpSizeLimit: 16Mi\n";

/// What one call of `/mutate` did.
struct Mutated {
    /// The review with the patched object, as `/validate` then gets it.
    body: Value,
    patch: Vec<Value>,
    warnings: Vec<String>,
}

impl Mutated {
    fn object(&self) -> &Value {
        &self.body["request"]["object"]
    }

    /// The mounts at `/tmp` of the container at JSON pointer `at`.
    fn tmp_mounts(&self, at: &str) -> Vec<&Value> {
        self.object()
            .pointer(&format!("{at}/volumeMounts"))
            .and_then(Value::as_array)
            .map(|mounts| {
                mounts
                    .iter()
                    .filter(|m| {
                        m["mountPath"]
                            .as_str()
                            .is_some_and(|p| p.starts_with("/tmp"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn volumes_named(&self, name: &str) -> Vec<&Value> {
        self.object()
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter(|v| v["name"] == name).collect())
            .unwrap_or_default()
    }
}

/// Sends `body` to `/mutate`, applies its patch, and checks that the
/// reinvocation (the patched object sent again, as the API server does
/// with `reinvocationPolicy: IfNeeded`) adds nothing.
async fn mutate(h: &Harness, body: &Value) -> Mutated {
    let r = h.review("/mutate", body).await;
    assert_eq!(r["allowed"], true, "{r}");
    let mut patched = body.clone();
    let patch = apply_patch(&mut patched["request"]["object"], &r);
    let mut again = patched.clone();
    again["request"]["uid"] = json!(format!(
        "{}-again",
        body["request"]["uid"].as_str().unwrap()
    ));
    let second = h.review("/mutate", &again).await;
    assert!(
        second.get("patch").is_none(),
        "the reinvocation patched again: {second}\nafter: {patch:?}"
    );
    let warnings = r["warnings"]
        .as_array()
        .map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    Mutated {
        body: patched,
        patch,
        warnings,
    }
}

/// The recorded `kubectl run` pod with `spec` instead of its own.
fn pod(uid: &str, spec: Value) -> Value {
    variant("05-pod-create", uid, |r| r["object"]["spec"] = spec)
}

/// A container that passes `restricted` and leaves `readOnlyRootFilesystem`
/// unset: at `immutable`, that is its only finding.
fn unset(name: &str) -> Value {
    let mut c = hardened_container(name);
    c["securityContext"]
        .as_object_mut()
        .unwrap()
        .remove("readOnlyRootFilesystem");
    c
}

fn own_tmp(name: &str) -> Value {
    json!({"name": "rootlock-tmp", "mountPath": "/tmp", "subPath": name})
}

/// `/validate` at the default level (`immutable`, enforced) admits the
/// mutated pod, and warns of nothing.
async fn admitted(h: &Harness, m: &Mutated) {
    let mut body = m.body.clone();
    body["request"]["uid"] = json!("validate-after-mutate");
    let v = h.review("/validate", &body).await;
    assert_eq!(v["allowed"], true, "{v}\n{}", m.object());
    assert!(v.get("warnings").is_none(), "{v}");
}

/// The library refuses what the API server refuses: the checks below
/// would prove nothing with a lenient one.
#[test]
fn the_library_fails_an_add_under_a_missing_parent() {
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "add", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": true}
    ]))
    .unwrap();
    let mut missing = json!({"spec": {"containers": [{"name": "a"}]}});
    assert!(json_patch::patch(&mut missing, &ops).is_err());
    let mut null = json!({"spec": {"containers": [{"name": "a", "securityContext": null}]}});
    assert!(json_patch::patch(&mut null, &ops).is_err());
    let append: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/spec/volumes/-", "value": {}}]))
            .unwrap();
    let mut null = json!({"spec": {"volumes": null}});
    assert!(json_patch::patch(&mut null, &append).is_err());
}

/// Every parent the patch writes under may be missing or `null`: a client
/// may send `null` (the API server drops it before webhooks, but the
/// webhook must not rely on which API server it has).
#[tokio::test]
async fn missing_and_null_parents_are_created_not_written_into() {
    let h = start(config(MUTATE)).await;
    let cases = [
        (
            "absent",
            json!({"containers": [{"name": "a", "image": "x"}]}),
        ),
        (
            "volumes-null",
            json!({"containers": [{"name": "a", "image": "x"}], "volumes": null}),
        ),
        (
            "volumes-empty",
            json!({"containers": [{"name": "a", "image": "x"}], "volumes": []}),
        ),
        (
            "sc-and-mounts-null",
            json!({"containers": [{"name": "a", "image": "x", "securityContext": null, "volumeMounts": null}]}),
        ),
        (
            "rofs-null",
            json!({"containers": [{"name": "a", "image": "x", "securityContext": {"runAsNonRoot": true, "readOnlyRootFilesystem": null}}]}),
        ),
        (
            "pod-level-sc-only",
            json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 1000}, "containers": [{"name": "a", "image": "x"}]}),
        ),
    ];
    for (uid, spec) in cases {
        let m = mutate(&h, &pod(uid, spec.clone())).await;
        let c = m.object().pointer("/spec/containers/0").unwrap();
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"],
            true,
            "{uid}: {m:?}",
            m = m.patch
        );
        assert_eq!(m.tmp_mounts("/spec/containers/0"), [&own_tmp("a")], "{uid}");
        let volumes = m.volumes_named("rootlock-tmp");
        assert_eq!(
            volumes,
            [
                &json!({"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}})
            ],
            "{uid}"
        );
        // What the pod said is kept: the pod-level context untouched, a
        // container's other fields too.
        assert_eq!(
            m.object()["spec"]["securityContext"],
            spec["securityContext"],
            "{uid}"
        );
        if let Some(non_root) = spec.pointer("/containers/0/securityContext/runAsNonRoot") {
            assert_eq!(&c["securityContext"]["runAsNonRoot"], non_root, "{uid}");
        }
        assert!(m.warnings.is_empty(), "{uid}: {:?}", m.warnings);
    }
}

/// Init containers, sidecars (`restartPolicy: Always`) among them, are
/// containers like the others: each gets the field and a /tmp of its own.
#[tokio::test]
async fn init_containers_and_sidecars_are_mutated_like_the_others() {
    let h = start(config(MUTATE)).await;
    let mut sidecar = unset("proxy");
    sidecar["restartPolicy"] = json!("Always");
    let m = mutate(
        &h,
        &pod(
            "init-1",
            json!({"initContainers": [unset("setup"), sidecar], "containers": [unset("app")]}),
        ),
    )
    .await;
    for (at, name) in [
        ("/spec/initContainers/0", "setup"),
        ("/spec/initContainers/1", "proxy"),
        ("/spec/containers/0", "app"),
    ] {
        let c = m.object().pointer(at).unwrap();
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{at}");
        assert_eq!(m.tmp_mounts(at), [&own_tmp(name)], "{at}");
    }
    assert_eq!(
        m.object()["spec"]["initContainers"][1]["restartPolicy"],
        "Always"
    );
    assert_eq!(m.volumes_named("rootlock-tmp").len(), 1);
    admitted(&h, &m).await;
}

/// A Windows pod may not set `readOnlyRootFilesystem` (the API server
/// refuses the pod that does): nothing is patched.
#[tokio::test]
async fn a_windows_pod_is_not_patched() {
    let h = start(config(MUTATE)).await;
    let body = pod(
        "windows-1",
        json!({"os": {"name": "windows"}, "initContainers": [{"name": "i", "image": "x"}], "containers": [{"name": "a", "image": "x"}]}),
    );
    let m = mutate(&h, &body).await;
    assert!(m.patch.is_empty(), "{:?}", m.patch);
    // Nor is the debug container a Windows pod gets later.
    let mut debug = recorded("08-pod-ephemeralcontainers-update").body;
    debug["request"]["uid"] = json!("windows-2");
    for at in ["object", "oldObject"] {
        debug["request"][at]["spec"]["os"] = json!({"name": "windows"});
    }
    assert!(mutate(&h, &debug).await.patch.is_empty());
}

/// A pod bound for Windows nodes by scheduling alone (no `spec.os`) is a
/// Linux pod to the API server and to validation, but the Windows kubelet
/// drops `readOnlyRootFilesystem`: patched, it would pass validation and
/// run writable. It is left alone, with a warning that names the cause
/// and the fix; a selector that also allows Linux nodes is patched.
#[tokio::test]
async fn a_pod_bound_for_windows_nodes_by_scheduling_is_not_patched() {
    let h = start(config(MUTATE)).await;
    let os_in = |values: Value| {
        json!({"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": values}]}
        ]})
    };
    let windows = [
        (
            "win-selector",
            json!({"nodeSelector": {"kubernetes.io/os": "windows"}}),
            "nodeSelector",
        ),
        (
            "win-affinity",
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": os_in(json!(["windows"]))}}}),
            "node affinity",
        ),
    ];
    for (uid, scheduling, how) in windows {
        let mut spec = scheduling.clone();
        spec["containers"] = json!([unset("a")]);
        let m = mutate(&h, &pod(uid, spec)).await;
        assert!(m.patch.is_empty(), "{uid}: {:?}", m.patch);
        // The advice, in `/validate`'s words, and the note on mutation.
        assert_eq!(m.warnings.len(), 2, "{uid}: {:?}", m.warnings);
        assert!(m.warnings[0].contains(how), "{uid}: {}", m.warnings[0]);
        assert!(
            m.warnings[1].contains("did not mutate"),
            "{uid}: {}",
            m.warnings[1]
        );
        assert!(
            m.warnings[0].contains("spec.os.name: windows"),
            "{uid}: {}",
            m.warnings[0]
        );
        // Nor the debug container such a pod gets later.
        let mut debug = recorded("08-pod-ephemeralcontainers-update").body;
        debug["request"]["uid"] = json!(format!("{uid}-debug"));
        for at in ["object", "oldObject"] {
            for (k, v) in scheduling.as_object().unwrap() {
                debug["request"][at]["spec"][k] = v.clone();
            }
        }
        assert!(mutate(&h, &debug).await.patch.is_empty(), "{uid}");
    }
    // Linux allowed too, or Linux only: the pod is patched as any other.
    let linux = [
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": os_in(json!(["windows", "linux"]))}}}),
        json!({"nodeSelector": {"kubernetes.io/os": "linux"}}),
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}]},
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}
        ]}}}}),
    ];
    for (i, mut spec) in linux.into_iter().enumerate() {
        spec["containers"] = json!([unset("a")]);
        let m = mutate(&h, &pod(&format!("linux-{i}"), spec)).await;
        assert!(!m.patch.is_empty(), "linux-{i}");
        assert!(m.warnings.is_empty(), "linux-{i}: {:?}", m.warnings);
    }
}

/// What a container already has at /tmp, it keeps: a mount of another
/// volume (with or without a trailing slash or a `subPath`) gets no second
/// one (the runtime would stack them, and the API server refuses two
/// mounts at one path). A mount below /tmp leaves the rest of /tmp on the
/// read-only root, so /tmp itself is still mounted (runtimes mount the
/// shorter path first, so `/tmp/sub` stays visible).
#[tokio::test]
async fn a_container_keeps_what_it_mounts_at_tmp() {
    let h = start(config(MUTATE)).await;
    let with_mount = |name: &str, mount: Value| {
        let mut c = unset(name);
        c["volumeMounts"] = json!([mount]);
        c
    };
    let spec = json!({
        "containers": [
            with_mount("plain", json!({"name": "scratch", "mountPath": "/tmp"})),
            with_mount("slash", json!({"name": "scratch", "mountPath": "/tmp/"})),
            with_mount("sub-path", json!({"name": "scratch", "mountPath": "/tmp", "subPath": "x"})),
            with_mount("below", json!({"name": "scratch", "mountPath": "/tmp/sub"})),
        ],
        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}]
    });
    let m = mutate(&h, &pod("tmp-1", spec.clone())).await;
    for i in 0..3 {
        let at = format!("/spec/containers/{i}");
        assert_eq!(
            m.object().pointer(&format!("{at}/volumeMounts")),
            spec.pointer(&format!("/containers/{i}/volumeMounts")),
            "{at}"
        );
        let c = m.object().pointer(&at).unwrap();
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{at}");
    }
    assert_eq!(
        m.tmp_mounts("/spec/containers/3"),
        [
            &json!({"name": "scratch", "mountPath": "/tmp/sub"}),
            &own_tmp("below")
        ]
    );
    assert_eq!(m.volumes_named("rootlock-tmp").len(), 1);
    admitted(&h, &m).await;
}

/// A volume named `rootlock-tmp` that the pod brings and that is not an
/// emptyDir (a configMap: read-only) is the pod's: never mounted at /tmp,
/// never replaced, and no second volume of that name is added.
#[tokio::test]
async fn a_foreign_volume_of_the_webhooks_name_is_left_alone() {
    let h = start(config(MUTATE)).await;
    let foreign = json!({"name": "rootlock-tmp", "configMap": {"name": "settings"}});
    let spec = json!({"containers": [unset("app")], "volumes": [foreign]});
    let m = mutate(&h, &pod("foreign-1", spec)).await;
    assert_eq!(m.volumes_named("rootlock-tmp"), [&foreign]);
    assert!(m.tmp_mounts("/spec/containers/0").is_empty());
    assert_eq!(
        m.object()["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
    assert_eq!(
        m.warnings,
        [
            "the pod has a volume named \"rootlock-tmp\" that is not an emptyDir; rootlock did not mount a writable /tmp"
        ]
    );
    admitted(&h, &m).await;
}

/// A hundred containers: one volume, a directory of it for each, every
/// index right.
#[tokio::test]
async fn a_hundred_containers_each_get_their_own_tmp() {
    let h = start(config(MUTATE)).await;
    let containers: Vec<Value> = (0..100).map(|i| unset(&format!("c{i}"))).collect();
    let m = mutate(&h, &pod("hundred-1", json!({"containers": containers}))).await;
    for i in 0..100 {
        let at = format!("/spec/containers/{i}");
        assert_eq!(m.tmp_mounts(&at), [&own_tmp(&format!("c{i}"))], "{at}");
        let c = m.object().pointer(&at).unwrap();
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{at}");
    }
    assert_eq!(m.volumes_named("rootlock-tmp").len(), 1);
    admitted(&h, &m).await;
}

/// Mutate, then validate, as the API server does: a pod whose only
/// `immutable` finding was the unset field is admitted, and one that keeps
/// an explicit `false` is still denied for it.
#[tokio::test]
async fn a_mutated_pod_passes_immutable() {
    let h = start(config(MUTATE)).await;
    let body = pod("validate-1", json!({"containers": [unset("app")]}));
    let before = h.review("/validate", &body).await;
    assert_eq!(before["allowed"], false, "{before}");
    let message = before["status"]["message"].as_str().unwrap();
    assert!(
        message.ends_with("readOnlyRootFilesystem != true (container \"app\" must set securityContext.readOnlyRootFilesystem=true)"),
        "{message}"
    );
    let m = mutate(&h, &body).await;
    admitted(&h, &m).await;

    let mut kept = unset("rw");
    kept["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    let m = mutate(
        &h,
        &pod("validate-2", json!({"containers": [unset("app"), kept]})),
    )
    .await;
    assert!(m.tmp_mounts("/spec/containers/1").is_empty());
    let v = h.review("/validate", &m.body).await;
    assert_eq!(v["allowed"], false, "{v}");
    let message = v["status"]["message"].as_str().unwrap();
    assert!(message.contains("container \"rw\" must set"), "{message}");
    assert!(!message.contains("container \"app\""), "{message}");
}

/// `kubectl debug` on a pod created mutated: the new ephemeral container,
/// with parents missing or `null`, gets the field and the webhook's own
/// volume at /tmp (whole: the API refuses `subPath` there); the earlier
/// one is left as it is.
#[tokio::test]
async fn a_new_ephemeral_container_is_patched_where_its_parents_are_missing_or_null() {
    let h = start(config(MUTATE)).await;
    let created = mutate(&h, &pod("eph-pod", json!({"containers": [unset("app")]}))).await;
    let running = created.object().clone();
    for (uid, debugger) in [
        ("eph-absent", json!({"name": "dbg", "image": "busybox"})),
        (
            "eph-null",
            json!({"name": "dbg", "image": "busybox", "securityContext": null, "volumeMounts": null}),
        ),
        (
            "eph-rofs-null",
            json!({"name": "dbg", "image": "busybox", "securityContext": {"readOnlyRootFilesystem": null}}),
        ),
    ] {
        let mut old = running.clone();
        old["spec"]["ephemeralContainers"] = json!([{"name": "earlier", "image": "busybox"}]);
        let mut new = old.clone();
        new["spec"]["ephemeralContainers"]
            .as_array_mut()
            .unwrap()
            .push(debugger);
        let body = variant("08-pod-ephemeralcontainers-update", uid, |r| {
            r["object"] = new;
            r["oldObject"] = old;
        });
        let m = mutate(&h, &body).await;
        let eph = &m.object()["spec"]["ephemeralContainers"];
        assert_eq!(
            eph[0],
            json!({"name": "earlier", "image": "busybox"}),
            "{uid}"
        );
        assert_eq!(
            eph[1]["securityContext"]["readOnlyRootFilesystem"], true,
            "{uid}"
        );
        assert_eq!(
            m.tmp_mounts("/spec/ephemeralContainers/1"),
            [&json!({"name": "rootlock-tmp", "mountPath": "/tmp"})],
            "{uid}"
        );
        assert!(m.warnings.is_empty(), "{uid}: {:?}", m.warnings);
    }
}

/// Mutate, then validate, for `kubectl debug` on a pod created mutated: a
/// debug container whose only `immutable` finding was the unset field is
/// admitted with the patch.
#[tokio::test]
async fn a_mutated_debug_container_passes_immutable() {
    let h = start(config(MUTATE)).await;
    let created = mutate(&h, &pod("debug-pod", json!({"containers": [unset("app")]}))).await;
    let old = created.object().clone();
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([unset("dbg")]);
    let body = variant("08-pod-ephemeralcontainers-update", "debug-validate", |r| {
        r["object"] = new;
        r["oldObject"] = old;
    });
    let before = h.review("/validate", &body).await;
    assert_eq!(before["allowed"], false, "{before}");
    assert!(
        before["status"]["message"]
            .as_str()
            .unwrap()
            .ends_with("readOnlyRootFilesystem != true (container \"dbg\" must set securityContext.readOnlyRootFilesystem=true)"),
        "{before}"
    );
    let m = mutate(&h, &body).await;
    admitted(&h, &m).await;
}
/// A raw block device at /tmp (`volumeDevices`) shares no path with a
/// mount: the API server refuses a pod that mounts where a device is
/// (ValidateVolumeMounts), so the patched pod would never be created.
#[tokio::test]
async fn a_block_device_at_tmp_gets_no_mount_beside_it() {
    let h = start(config(MUTATE)).await;
    let mut c = unset("db");
    c["volumeDevices"] = json!([{"name": "blk", "devicePath": "/tmp"}]);
    let spec = json!({
        "containers": [c],
        "volumes": [{"name": "blk", "persistentVolumeClaim": {"claimName": "raw"}}]
    });
    let m = mutate(&h, &pod("device-1", spec)).await;
    assert_eq!(
        m.patch,
        [
            json!({"op": "add", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": true})
        ]
    );
    // A debug container may have a device too (an ephemeral container may
    // set volumeDevices), on a pod that has the webhook's volume.
    let created = mutate(
        &h,
        &pod("device-pod", json!({"containers": [unset("app")]})),
    )
    .await;
    let old = created.object().clone();
    let mut new = old.clone();
    let mut debugger = unset("dbg");
    debugger["volumeDevices"] = json!([{"name": "blk", "devicePath": "/tmp/"}]);
    new["spec"]["ephemeralContainers"] = json!([debugger]);
    let body = variant("08-pod-ephemeralcontainers-update", "device-2", |r| {
        r["object"] = new;
        r["oldObject"] = old;
    });
    let m = mutate(&h, &body).await;
    assert_eq!(
        m.patch,
        [
            json!({"op": "add", "path": "/spec/ephemeralContainers/0/securityContext/readOnlyRootFilesystem", "value": true})
        ]
    );
}
