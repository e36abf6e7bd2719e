//! The webhook over real TLS on loopback, fed the AdmissionReviews a real
//! kube-apiserver sent (testdata/apiserver/admission) and variants of them.

mod common;

use common::*;
use rootlock_webhook::cache::{Namespaces, StaticPodLister};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const P1_RESTRICTED: &str = "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"p1\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"p1\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"p1\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"p1\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";
const P1_IMMUTABLE: &str = "violates PodSecurity \"immutable:latest\": readOnlyRootFilesystem != true (container \"p1\" must set securityContext.readOnlyRootFilesystem=true)";

const WARN_ONLY: &str = "defaults:\n  enforce: privileged\n  warn: immutable\n  audit: privileged\nexemptions:\n  namespaces: []\n";

fn would(s: &str) -> String {
    s.replacen("violates", "would violate", 1)
}

fn harden(req: &mut Value) {
    req["object"]["spec"]["containers"] = json!([hardened_container("p1")]);
}

#[tokio::test]
async fn default_immutable_enforce_denies_the_recorded_pod_like_psa() {
    let h = start(Default::default()).await;
    let r = h.recorded("05-pod-create").await;
    assert_eq!(r["allowed"], false);
    let status = &r["status"];
    assert_eq!(status["code"], 403);
    assert_eq!(status["reason"], "Forbidden");
    // PSA's forbiddenResponse is the API server's NewForbidden: the
    // resource and the request's name come first, and `details` carry them.
    assert_eq!(
        status["message"],
        format!("pods \"p1\" is forbidden: {P1_RESTRICTED}; {P1_IMMUTABLE}")
    );
    assert_eq!(status["details"], json!({"name": "p1", "kind": "pods"}));
    assert!(
        r.get("warnings").is_none(),
        "no warnings on a denied request"
    );
    let a = &r["auditAnnotations"];
    assert_eq!(a["enforce-policy"], "immutable:latest");
    assert_eq!(
        a["audit-violations"],
        format!("{}; {}", would(P1_RESTRICTED), would(P1_IMMUTABLE))
    );
    // The dry-run create (09) is judged the same way.
    let r = h.recorded("09-pod-create").await;
    assert_eq!(r["allowed"], false);
    // A CREATE by generateName has no name yet: NewForbidden then says
    // `pods is forbidden: …`.
    let generated = variant("05-pod-create", "gen-1", |r| r["name"] = json!(""));
    let r = h.review("/validate", &generated).await;
    assert_eq!(
        r["status"]["message"],
        format!("pods is forbidden: {P1_RESTRICTED}; {P1_IMMUTABLE}")
    );
}

#[tokio::test]
async fn a_hardened_pod_is_allowed_without_warnings() {
    let h = start(Default::default()).await;
    let body = variant("05-pod-create", "allow-1", harden);
    let r = h.review("/validate?timeout=5s", &body).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");
    assert!(r.get("status").is_none());
    assert_eq!(
        r["auditAnnotations"],
        json!({"enforce-policy": "immutable:latest"})
    );
}

#[tokio::test]
async fn restricted_enforce_lets_a_writable_root_through() {
    let h = start(config(
        "defaults:\n  enforce: restricted\n  warn: restricted\n  audit: restricted\n",
    ))
    .await;
    let body = variant("05-pod-create", "restricted-1", |req| {
        harden(req);
        req["object"]["spec"]["containers"][0]["securityContext"]
            .as_object_mut()
            .unwrap()
            .remove("readOnlyRootFilesystem");
    });
    let r = h.review("/validate", &body).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["auditAnnotations"]["enforce-policy"], "restricted:latest");
}

#[tokio::test]
async fn warn_mode_returns_would_violate_warnings() {
    let h = start(config(WARN_ONLY)).await;
    let r = h.recorded("05-pod-create").await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["warnings"],
        json!([would(P1_RESTRICTED), would(P1_IMMUTABLE)])
    );
    assert_eq!(
        r["auditAnnotations"],
        json!({"enforce-policy": "privileged:latest"})
    );
}

#[tokio::test]
async fn audit_mode_sets_plain_key_annotations_only() {
    let h = start(config(
        "defaults:\n  enforce: privileged\n  warn: privileged\n  audit: restricted\n",
    ))
    .await;
    let r = h.recorded("05-pod-create").await;
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none());
    assert_eq!(
        r["auditAnnotations"]["audit-violations"],
        would(P1_RESTRICTED)
    );
    assert_eq!(r["auditAnnotations"]["enforce-policy"], "privileged:latest");
}

#[tokio::test]
async fn exempt_users_namespaces_and_runtime_classes() {
    let h = start(config(
        "exemptions:\n  usernames: [ci-bot]\n  namespaces: [kube-system, legacy]\n  runtimeClasses: [gvisor]\n",
    ))
    .await;
    let by_user = variant("05-pod-create", "ex-user", |r| {
        r["userInfo"]["username"] = json!("ci-bot")
    });
    let by_ns = variant("05-pod-create", "ex-ns", |r| {
        r["namespace"] = json!("legacy");
        r["object"]["metadata"]["namespace"] = json!("legacy");
    });
    let by_rc = variant("05-pod-create", "ex-rc", |r| {
        r["object"]["spec"]["runtimeClassName"] = json!("gvisor")
    });
    for (body, why) in [
        (by_user, "user"),
        (by_ns, "namespace"),
        (by_rc, "runtimeClass"),
    ] {
        let r = h.review("/validate?timeout=5s", &body).await;
        assert_eq!(r["allowed"], true, "{why}: {r}");
        assert_eq!(r["auditAnnotations"], json!({"exempt": why}));
        assert!(r.get("warnings").is_none());
    }
    // Another runtime class is not exempt.
    let other = variant("05-pod-create", "ex-rc2", |r| {
        r["object"]["spec"]["runtimeClassName"] = json!("runc")
    });
    assert_eq!(h.review("/validate", &other).await["allowed"], false);
    // Exemptions also cover pod controllers.
    let dep = variant("04-cronjob-create", "ex-cj", |r| {
        r["userInfo"]["username"] = json!("ci-bot")
    });
    assert_eq!(
        h.review("/validate", &dep).await["auditAnnotations"],
        json!({"exempt": "user"})
    );
}

#[tokio::test]
async fn pod_controllers_are_warned_never_denied() {
    let h = start(Default::default()).await;
    // 04: a CronJob with no securityContext at all.
    let r = h.recorded("04-cronjob-create").await;
    assert_eq!(r["allowed"], true);
    let w = r["warnings"].as_array().unwrap();
    assert!(
        w[0].as_str()
            .unwrap()
            .starts_with("would violate PodSecurity \"restricted:latest\": "),
        "{w:?}"
    );
    assert!(
        w[1].as_str().unwrap().starts_with(
            "would violate PodSecurity \"immutable:latest\": readOnlyRootFilesystem != true"
        ),
        "{w:?}"
    );
    assert!(r["auditAnnotations"].get("enforce-policy").is_none());
    assert!(
        r["auditAnnotations"]["audit-violations"]
            .as_str()
            .unwrap()
            .starts_with("would violate")
    );
    // 03: a Deployment whose init container is not hardened.
    let r = h.recorded("03-deployment-create").await;
    assert_eq!(r["allowed"], true);
    let text = r["warnings"].to_string();
    assert!(text.contains("container \\\"init\\\""), "{text}");
    assert!(
        !text.contains("\\\"web\\\" must set securityContext.readOnlyRootFilesystem"),
        "{text}"
    );
    // 10: a Deployment UPDATE is evaluated too.
    let r = h.recorded("10-deployment-update").await;
    assert_eq!(r["allowed"], true);
    assert!(r["warnings"].is_array());
    // A Deployment that passes gets nothing.
    let ok = variant("03-deployment-create", "dep-ok", |r| {
        let spec = &mut r["object"]["spec"]["template"]["spec"];
        spec["initContainers"] = json!([hardened_container("init")]);
        spec["containers"] = json!([hardened_container("web")]);
    });
    let r = h.review("/validate", &ok).await;
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none(), "{r}");
}

#[tokio::test]
async fn a_controller_without_a_readable_template_fails_open_in_psa_words() {
    let h = start(Default::default()).await;
    let body = variant("03-deployment-create", "dep-bad", |r| {
        r["object"]["spec"]["template"]["spec"]["containers"] = json!("web");
    });
    let r = h.review("/validate", &body).await;
    assert_eq!(r["allowed"], true, "{r}");
    let error = r["auditAnnotations"]["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("failed to extract pod template: "), "{r}");
}

#[tokio::test]
async fn only_significant_pod_updates_are_evaluated() {
    let h = start(Default::default()).await;
    // 06: image changed → evaluated → denied.
    let r = h.recorded("06-pod-update").await;
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("pods \"p1\" is forbidden: violates PodSecurity")
    );
    // 07: annotation only → allowed, nothing evaluated.
    let r = h.recorded("07-pod-update").await;
    assert_eq!(r, json!({"uid": r["uid"], "allowed": true}));
    // 08: kubectl debug adds an ephemeral container → evaluated, named.
    let r = h.recorded("08-pod-ephemeralcontainers-update").await;
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("\"debugger-5682p\"")
    );
    // Subresources such as status and exec are never evaluated.
    let status = variant("06-pod-update", "status-1", |r| {
        r["subResource"] = json!("status")
    });
    assert_eq!(h.review("/validate", &status).await["allowed"], true);
    let del = variant("05-pod-create", "del-1", |r| {
        r["operation"] = json!("DELETE")
    });
    assert_eq!(h.review("/validate", &del).await["allowed"], true);
}

/// No kubelet in skew reads the seccomp annotations any more (1.25
/// dropped them, kubernetes#109819), so PSA stopped evaluating updates
/// that change only them (1.27, kubernetes#114846): such an update,
/// even of a pod the enforced level would now refuse, is allowed, here as
/// the spec says ("annotation-only updates included").
#[tokio::test]
async fn an_update_of_seccomp_annotations_alone_is_not_evaluated() {
    let h = start(config(
        "defaults:\n  enforce: baseline\n  enforce-version: v1.18\n  warn: baseline\n  audit: baseline\n",
    ))
    .await;
    for (i, key) in [
        "seccomp.security.alpha.kubernetes.io/pod",
        "container.seccomp.security.alpha.kubernetes.io/p1",
    ]
    .into_iter()
    .enumerate()
    {
        // 07 changes only annotations; here one of them is seccomp's.
        let uid = format!("seccomp-{i}");
        let update = variant("07-pod-update", &uid, |r| {
            r["object"]["metadata"]["annotations"][key] = json!("unconfined");
        });
        let r = h.review("/validate", &update).await;
        assert_eq!(r, json!({"uid": uid, "allowed": true}), "{key}");
        // The same annotation on a CREATE is judged, and refused.
        let create = variant("05-pod-create", &format!("{uid}-create"), |r| {
            r["object"]["metadata"]["annotations"] = json!({key: "unconfined"});
        });
        assert_eq!(
            h.review("/validate", &create).await["allowed"],
            false,
            "{key}"
        );
    }
}

#[tokio::test]
async fn namespaces_with_invalid_labels_are_rejected_with_psa_wording() {
    let h = start(Default::default()).await;
    assert_eq!(h.recorded("01-namespace-create").await["allowed"], true);
    assert_eq!(h.recorded("02-namespace-update").await["allowed"], true);
    let bad = variant("01-namespace-create", "ns-bad", |r| {
        r["object"]["metadata"]["labels"]["rootlock.dev/enforce"] = json!("Restricted");
    });
    let r = h.review("/validate", &bad).await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 422);
    assert_eq!(r["status"]["reason"], "Invalid");
    assert_eq!(
        r["status"]["message"],
        "Namespace \"shop\" is invalid: metadata.labels[rootlock.dev/enforce]: Invalid value: \"Restricted\": must be one of privileged, baseline, restricted, immutable"
    );
    // The details as the API server's NewInvalid fills them (PSA's
    // invalidResponse): no group for core, every field error a cause.
    assert_eq!(
        r["status"]["details"],
        json!({"name": "shop", "kind": "Namespace", "causes": [{
            "reason": "FieldValueInvalid",
            "message": "Invalid value: \"Restricted\": must be one of privileged, baseline, restricted, immutable",
            "field": "metadata.labels[rootlock.dev/enforce]",
        }]})
    );
    let two = variant("02-namespace-update", "ns-bad2", |r| {
        r["object"]["metadata"]["labels"]["rootlock.dev/warn-version"] = json!("v1.01");
        r["object"]["metadata"]["labels"]["rootlock.dev/audit"] = json!("strict");
    });
    let r = h.review("/validate", &two).await;
    assert_eq!(
        r["status"]["message"],
        "Namespace \"shop\" is invalid: [metadata.labels[rootlock.dev/audit]: Invalid value: \"strict\": must be one of privileged, baseline, restricted, immutable, metadata.labels[rootlock.dev/warn-version]: Invalid value: \"v1.01\": must be \"latest\" or \"v1.x\"]"
    );
    let causes: Vec<&Value> = r["status"]["details"]["causes"]
        .as_array()
        .map(|a| a.iter().map(|c| &c["field"]).collect())
        .unwrap_or_default();
    assert_eq!(
        causes,
        [
            "metadata.labels[rootlock.dev/audit]",
            "metadata.labels[rootlock.dev/warn-version]"
        ]
    );
    // An UPDATE that leaves the same invalid labels in place is not blocked.
    let same = variant("02-namespace-update", "ns-same", |r| {
        r["object"]["metadata"]["labels"]["rootlock.dev/audit"] = json!("strict");
        r["oldObject"]["metadata"]["labels"]["rootlock.dev/audit"] = json!("strict");
    });
    assert_eq!(h.review("/validate", &same).await["allowed"], true);
    // Without the namespace (or, on UPDATE, its old version) PSA answers
    // a bad request rather than letting the change through.
    for (uid, field, message) in [
        ("ns-no-old", "oldObject", "failed to decode old namespace"),
        ("ns-no-new", "object", "failed to decode namespace"),
    ] {
        let missing = variant("02-namespace-update", uid, |r| {
            r[field] = Value::Null;
        });
        let r = h.review("/validate", &missing).await;
        assert_eq!(r["allowed"], false, "{field}");
        assert_eq!(r["status"]["code"], 400, "{field}");
        assert_eq!(r["status"]["reason"], "BadRequest", "{field}");
        assert_eq!(r["status"]["message"], message, "{field}");
    }
    // A DELETE (no object) sent by a wider configuration is let through.
    let delete = variant("02-namespace-update", "ns-delete", |r| {
        r["operation"] = json!("DELETE");
        r["object"] = Value::Null;
    });
    assert_eq!(h.review("/validate", &delete).await["allowed"], true);
}

fn existing_pods() -> Vec<Value> {
    let mut pods = Vec::new();
    for f in ["api/pods-page1.json", "api/pods-page2.json"] {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(testdata(f)).unwrap()).unwrap();
        pods.extend(v["items"].as_array().unwrap().iter().cloned());
    }
    pods
}

#[tokio::test]
async fn stricter_enforce_warns_about_existing_pods_grouped_like_psa() {
    let lister = Arc::new(StaticPodLister(existing_pods()));
    let h = start_with(
        config(WARN_ONLY),
        Namespaces::Offline,
        Some(lister),
        Duration::from_secs(1),
    )
    .await;
    // 11: `kubectl label ns shop rootlock.dev/enforce=immutable`; shop has p1 and p3.
    let r = h.recorded("11-namespace-update").await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["warnings"],
        json!([
            "existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"immutable:latest\"",
            "p1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile, readOnlyRootFilesystem != true"
        ])
    );
    // A pod that cannot be read (past the bounds a review has: here its
    // depth) is not judged, and the
    // warnings say so rather than passing over it.
    let mut pods = existing_pods();
    let mut odd = pods[1].clone();
    odd["metadata"]["name"] = json!("odd");
    odd["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("ownerReferences");
    // Deeper than any review may be.
    let mut deep = json!(1);
    for _ in 0..300 {
        deep = json!([deep]);
    }
    odd["spec"]["deep"] = deep;
    pods.push(odd);
    let h3 = start_with(
        config(WARN_ONLY),
        Namespaces::Offline,
        Some(Arc::new(StaticPodLister(pods))),
        Duration::from_secs(1),
    )
    .await;
    let r = h3.recorded("11-namespace-update").await;
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 3, "{r}");
    let unread = warnings[0].as_str().unwrap();
    assert!(
        unread.starts_with("1 existing pod could not be read and was not checked against the new PodSecurity enforce level: pod \"odd\": "),
        "{unread}"
    );
    // Bounded: only the first pod is checked.
    let h2 = start_with(
        config(&format!("{WARN_ONLY}namespaceCheck:\n  maxPods: 1\n")),
        Namespaces::Offline,
        Some(Arc::new(StaticPodLister(existing_pods()))),
        Duration::from_secs(1),
    )
    .await;
    let r = h2.recorded("11-namespace-update").await;
    assert_eq!(
        r["warnings"][0],
        "new PodSecurity enforce level only checked against the first 1 of 2 existing pods"
    );
    assert_eq!(
        r["warnings"][2],
        "p1: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile, readOnlyRootFilesystem != true"
    );
    // Relaxing enforce checks nothing.
    let relax = variant("11-namespace-update", "relax", |r| {
        let new = r["object"]["metadata"]["labels"].clone();
        r["object"]["metadata"]["labels"] = r["oldObject"]["metadata"]["labels"].clone();
        r["oldObject"]["metadata"]["labels"] = new;
    });
    assert!(
        h.review("/validate", &relax)
            .await
            .get("warnings")
            .is_none()
    );
}

/// Lists the recorded pods slowly, counting how many lists run at once.
struct SlowLister {
    pods: Vec<Value>,
    running: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl rootlock_webhook::cache::PodLister for SlowLister {
    fn list<'a>(
        &'a self,
        namespace: &'a str,
        each: &'a mut rootlock_webhook::cache::EachPod<'_>,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            let now = self.running.fetch_add(1, SeqCst) + 1;
            // Counted down on drop: a dry-run whose time runs out drops
            // this future mid-sleep, and a count left up made the next
            // list look concurrent (the test failed on a loaded machine).
            let _running = CountedDown(&self.running);
            self.most.fetch_max(now, SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            for p in self
                .pods
                .iter()
                .filter(|p| p["metadata"]["namespace"] == namespace)
            {
                each(rootlock_webhook::pod_pages::ListedPod::from_json(p));
            }
            Ok(())
        })
    }
}

struct CountedDown<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for CountedDown<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Each dry-run holds the pods it lists (a namespace of 3,000 running pods:
/// 92 MB for one, 170 MB for four clients at once, past the 128 MiB
/// limit), and anyone who reaches the Service can ask for one: they run
/// one at a time, and one that cannot start within its time says so.
#[tokio::test]
async fn namespace_dry_runs_list_pods_one_at_a_time() {
    let lister = Arc::new(SlowLister {
        pods: existing_pods(),
        running: Default::default(),
        most: Default::default(),
    });
    let h = start_with(
        config(WARN_ONLY),
        Namespaces::Offline,
        Some(lister.clone()),
        Duration::from_secs(1),
    )
    .await;
    let reviews = (0..8).map(|i| {
        let r = variant("11-namespace-update", &format!("ns-{i}"), |_| {});
        let h = &h;
        async move { h.review("/validate", &r).await }
    });
    let answers = futures::future::join_all(reviews).await;
    assert_eq!(lister.most.load(std::sync::atomic::Ordering::SeqCst), 1);
    let (mut checked, mut busy) = (0, 0);
    for r in &answers {
        assert_eq!(r["allowed"], true);
        match r["warnings"][0].as_str() {
            Some(w) if w.starts_with("existing pods in namespace") => checked += 1,
            // Waited for its turn, then had no time for the rest of the
            // list, or none for its turn at all.
            Some(
                "failed to list pods while checking new PodSecurity enforce level"
                | "existing pods not checked against the new PodSecurity enforce level: another namespace's check was running",
            ) => busy += 1,
            w => panic!("{w:?}"),
        }
    }
    // 200 ms each within a second: a few are checked, the rest are told.
    assert_eq!(checked + busy, 8);
    assert!(checked >= 2, "{checked} checked, {busy} busy");
    assert!(busy >= 1, "{checked} checked, {busy} busy");
}

#[tokio::test]
async fn exempt_namespace_with_a_policy_is_told_it_is_ignored() {
    let h = start(config("defaults:\n  enforce: privileged\n  warn: privileged\n  audit: privileged\nexemptions:\n  namespaces: [shop]\n")).await;
    let r = h.recorded("11-namespace-update").await;
    assert_eq!(
        r["warnings"],
        json!([
            "namespace \"shop\" is exempt from Pod Security, and the policy (enforce=immutable:latest, warn=immutable:latest) will be ignored"
        ])
    );
}

#[tokio::test]
async fn bad_requests_get_a_clear_400_and_the_server_keeps_serving() {
    let h = start(config("maxRequestBytes: 65536\n")).await;
    let post = |body: Vec<u8>, ct: &'static str| {
        h.client
            .post(h.url("/validate?timeout=5s"))
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    let r = post(b"{\"apiVersion\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not a valid AdmissionReview")
    );
    let r = post(b"{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{},\"operation\":\"CREATE\"}}".to_vec(), "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("admission.k8s.io/v1"));
    let mut big = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    big.truncate(big.len() - 1);
    big.extend(std::iter::repeat_n(b' ', 70_000));
    big.push(b'}');
    let r = post(big, "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("too large: the limit is 65536 bytes")
    );
    let body = serde_json::to_vec(&recorded("05-pod-create").body).unwrap();
    let r = post(body.clone(), "application/yaml").await.unwrap();
    assert_eq!(r.status(), 415);
    assert!(r.text().await.unwrap().contains("application/json"));
    let r = post(body.clone(), "application/json; charset=utf-8")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Still serving, and the real review still works.
    assert_eq!(h.recorded("05-pod-create").await["allowed"], false);
    let r = h.client.get(h.url("/validate")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = h.client.get(h.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_pod_of_more_values_than_a_review_builds_gets_a_400() {
    let h = start(Default::default()).await;
    // A pod of more values than a review builds: refused, not built.
    let mut many = recorded("05-pod-create").body;
    let containers: Vec<serde_json::Value> = (0..20_000)
        .map(|i| serde_json::json!({"name": format!("c{i}"), "image": "nginx"}))
        .collect();
    many["request"]["object"]["spec"]["containers"] = containers.into();
    let r = h
        .client
        .post(h.url("/validate?timeout=5s"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&many).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("object too large to review: more than 20000 values"),
        "{text}"
    );
    // Still serving.
    assert_eq!(h.recorded("05-pod-create").await["allowed"], false);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let h = start(Default::default()).await;
    h.recorded("05-pod-create").await;
    h.recorded("04-cronjob-create").await;
    for p in ["/healthz", "/readyz"] {
        assert_eq!(h.client.get(h.url(p)).send().await.unwrap().status(), 200);
    }
    // Without an Accept header (curl, most agents): Prometheus text 0.0.4.
    let r = h.client.get(h.url("/metrics")).send().await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let m = r.text().await.unwrap();
    assert!(
        m.contains("# TYPE rootlock_webhook_evaluations_total counter"),
        "{m}"
    );
    assert!(!m.contains("# EOF"), "{m}");
    // Prometheus asks for OpenMetrics first and gets it.
    let r = h
        .client
        .get(h.url("/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let om = r.text().await.unwrap();
    assert!(
        om.contains("# TYPE rootlock_webhook_evaluations counter"),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(m.contains("rootlock_webhook_evaluations_total{operation=\"create\",kind=\"Pod\",mode=\"enforce\",level=\"immutable\",decision=\"deny\"} 1"), "{m}");
    assert!(m.contains("rootlock_webhook_evaluations_total{operation=\"create\",kind=\"CronJob\",mode=\"warn\",level=\"immutable\",decision=\"deny\"} 1"), "{m}");
    assert!(
        m.contains("rootlock_webhook_request_duration_seconds_count{path=\"/validate\"} 2"),
        "{m}"
    );
    assert!(m.contains("rootlock_webhook_namespace_cache_age_seconds"));
}

#[tokio::test]
async fn mutation_sets_read_only_root_and_tmp_and_is_idempotent() {
    let h = start(config("mutate:\n  enabled: true\n  tmpSizeLimit: 32Mi\n")).await;
    let rec = recorded("05-pod-create");
    let r = h.review("/mutate?timeout=5s", &rec.body).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    let mut again = rec.body.clone();
    let patch = apply_patch(&mut again["request"]["object"], &r);
    assert_eq!(
        patch,
        vec![
            json!({"op": "add", "path": "/spec/containers/0/securityContext", "value": {"readOnlyRootFilesystem": true}}),
            json!({"op": "add", "path": "/spec/containers/0/volumeMounts/-", "value": {"name": "rootlock-tmp", "mountPath": "/tmp", "subPath": "p1"}}),
            json!({"op": "add", "path": "/spec/volumes/-", "value": {"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "32Mi"}}}),
        ]
    );
    again["request"]["uid"] = json!("mutate-2");
    let r = h.review("/mutate", &again).await;
    assert_eq!(r, json!({"uid": "mutate-2", "allowed": true}));
    // An explicit false is kept, with a warning.
    let f = variant("05-pod-create", "mutate-3", |r| {
        r["object"]["spec"]["containers"][0]["securityContext"] =
            json!({"readOnlyRootFilesystem": false});
    });
    let r = h.review("/mutate", &f).await;
    assert!(r.get("patch").is_none());
    assert_eq!(
        r["warnings"][0],
        "container \"p1\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"
    );
    // Off by default, on per namespace label only with the cache.
    let off = start(Default::default()).await;
    assert_eq!(
        off.review("/mutate", &rec.body).await,
        json!({"uid": rec.body["request"]["uid"], "allowed": true})
    );
}

/// In a namespace with mutation on, a controller is judged as its pods
/// will reach `/validate`: mutated. Before, a Deployment whose containers
/// left `readOnlyRootFilesystem` unset was warned about it at `kubectl
/// apply` (and counted in its audit annotation) while each pod it created
/// was patched and admitted. An explicit `false`, which the mutation
/// keeps, is still warned, with the mutation's own word on it.
#[tokio::test]
async fn a_controller_is_judged_as_the_mutation_will_make_its_pods() {
    let unset = container_without_read_only_root;
    let deployment = |containers: Value| {
        variant("03-deployment-create", "dep-mutated", |r| {
            let spec = &mut r["object"]["spec"]["template"]["spec"];
            spec.as_object_mut().unwrap().remove("initContainers");
            spec["containers"] = containers;
        })
    };
    let mutating = start(config("mutate:\n  enabled: true\n")).await;
    let plain = start(Default::default()).await;
    let body = deployment(json!([unset("web")]));

    let r = plain.review("/validate", &body).await;
    let warned = r["warnings"].to_string();
    assert!(warned.contains("readOnlyRootFilesystem != true"), "{r}");
    assert!(r["auditAnnotations"]["audit-violations"].is_string(), "{r}");

    let r = mutating.review("/validate", &body).await;
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none(), "{r}");
    assert!(r.get("auditAnnotations").is_none(), "{r}");

    // A CronJob's template sits deeper; it is found the same way.
    let cronjob = variant("04-cronjob-create", "cj-mutated", |r| {
        let spec = &mut r["object"]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        spec.as_object_mut().unwrap().remove("initContainers");
        spec["containers"] = json!([unset("job")]);
    });
    let r = plain.review("/validate", &cronjob).await;
    assert!(
        r["warnings"]
            .to_string()
            .contains("readOnlyRootFilesystem != true"),
        "{r}"
    );
    let r = mutating.review("/validate", &cronjob).await;
    assert!(r.get("warnings").is_none(), "{r}");

    // The pod the Deployment creates, mutated, is admitted: the template's
    // verdict is the pod's.
    let mut pod = variant("05-pod-create", "pod-of-dep", |_| {});
    pod["request"]["object"]["spec"] =
        body["request"]["object"]["spec"]["template"]["spec"].clone();
    let m = mutating.review("/mutate", &pod).await;
    assert!(!apply_patch(&mut pod["request"]["object"], &m).is_empty());
    let v = mutating.review("/validate", &pod).await;
    assert_eq!(v["allowed"], true, "{v}");

    // An explicit false stays, and so does its warning.
    let mut kept = unset("side");
    kept["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    let r = mutating
        .review("/validate", &deployment(json!([unset("web"), kept])))
        .await;
    let w = r["warnings"].to_string();
    assert!(w.contains("container \\\"side\\\" must set"), "{w}");
    assert!(!w.contains("container \\\"web\\\" must set"), "{w}");
    assert!(
        w.contains("sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"),
        "{w}"
    );
}

/// A mirror pod is the API's copy of a static pod the kubelet runs from
/// its own manifest: a patch to it changes the copy, never the container
/// (kubernetes/kubernetes#105844). Patched, it would claim a read-only
/// root the container does not have, and pass `immutable` on that claim.
#[tokio::test]
async fn a_static_pods_mirror_is_not_patched_into_false_compliance() {
    let h = start(config("mutate:\n  enabled: true\n")).await;
    let mirror = variant("05-pod-create", "mirror-1", |r| {
        r["object"]["metadata"]["annotations"] =
            json!({"kubernetes.io/config.mirror": "2b9e0c4f1d7a"});
    });
    let r = h.review("/mutate", &mirror).await;
    assert!(r.get("patch").is_none(), "{r}");
    assert_eq!(
        r["warnings"],
        json!([
            "a mirror pod of a static pod: the kubelet runs the static pod's own manifest, so rootlock did not change this copy of it"
        ])
    );
    // The same pod without the annotation is patched.
    let plain = h.review("/mutate", &recorded("05-pod-create").body).await;
    assert!(plain["patch"].is_string(), "{plain}");
}

#[tokio::test]
async fn an_object_of_the_wrong_shape_is_not_patched() {
    // Found by fuzzing: a securityContext that is a string got a patch
    // adding a field inside it, which no JSONPatch can apply.
    let h = start(config("mutate:\n  enabled: true\n")).await;
    for (rec, at) in [
        ("08-pod-ephemeralcontainers-update", "ephemeralContainers"),
        ("05-pod-create", "containers"),
    ] {
        let mut body = recorded(rec).body;
        body["request"]["object"]["spec"][at][0]["securityContext"] = json!("Always");
        let r = h.review("/mutate", &body).await;
        assert_eq!(
            r,
            json!({"uid": body["request"]["uid"], "allowed": true}),
            "{rec}"
        );
        // /validate says what is wrong.
        let v = h.review("/validate", &body).await;
        assert_eq!(v["allowed"], false, "{rec}: {v}");
    }
}

#[tokio::test]
async fn mutation_reaches_the_ephemeral_container_kubectl_debug_adds() {
    let h = start(config("mutate:\n  enabled: true\n")).await;
    // The recorded `kubectl debug` request, sent to /mutate.
    let rec = recorded("08-pod-ephemeralcontainers-update");
    let r = h.review("/mutate?timeout=5s", &rec.body).await;
    assert_eq!(r["uid"], rec.body["request"]["uid"]);
    assert_eq!(r["allowed"], true);
    let mut patched = rec.body.clone();
    let patch = apply_patch(&mut patched["request"]["object"], &r);
    assert_eq!(
        patch,
        vec![
            json!({"op": "add", "path": "/spec/ephemeralContainers/0/securityContext", "value": {"readOnlyRootFilesystem": true}})
        ]
    );
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("ephemeral container \"debugger-5682p\" has no writable /tmp"),
        "{r}"
    );
    // Once patched, /validate at the default level (immutable) no longer
    // names the debug container's root filesystem.
    let before = h.recorded("08-pod-ephemeralcontainers-update").await;
    patched["request"]["uid"] = json!("debug-2");
    let after = h.review("/validate", &patched).await;
    let immutable_part = |r: &Value| {
        let message = r["status"]["message"].as_str().unwrap_or("");
        let (_, immutable) = message
            .split_once("PodSecurity \"immutable:latest\"")
            .unwrap_or_default();
        immutable.to_string()
    };
    assert!(
        immutable_part(&before).contains("\"debugger-5682p\""),
        "{before}"
    );
    // Still denied, for the target container "p1" alone.
    assert!(
        immutable_part(&after).contains("container \"p1\" must"),
        "{after}"
    );
    assert!(!immutable_part(&after).contains("debugger"), "{after}");
    // The runtime class is the running pod's: one the body claims (which
    // the API server drops) exempts nothing; the old object's does.
    let exempting = start(config(
        "mutate:\n  enabled: true\nexemptions:\n  runtimeClasses: [gvisor]\n",
    ))
    .await;
    let claimed = variant("08-pod-ephemeralcontainers-update", "debug-4", |r| {
        r["object"]["spec"]["runtimeClassName"] = json!("gvisor")
    });
    assert!(exempting.review("/mutate", &claimed).await["patch"].is_string());
    let running = variant("08-pod-ephemeralcontainers-update", "debug-5", |r| {
        r["oldObject"]["spec"]["runtimeClassName"] = json!("gvisor")
    });
    assert_eq!(
        exempting.review("/mutate", &running).await,
        json!({"uid": "debug-5", "allowed": true})
    );
    // The same subresource with another operation, or another subresource,
    // is not mutated.
    let status = variant("08-pod-ephemeralcontainers-update", "debug-3", |r| {
        r["subResource"] = json!("status")
    });
    assert_eq!(
        h.review("/mutate", &status).await,
        json!({"uid": "debug-3", "allowed": true})
    );
}

#[tokio::test]
async fn annotation_exemptions_are_ignored_unless_enabled() {
    let annotate = |r: &mut Value| {
        harden(r);
        r["object"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] =
            json!(false);
        r["object"]["metadata"]["annotations"] = json!({"exempt.rootlock.dev/p1": "readOnlyRootFilesystem: vendor image writes /etc at start"});
    };
    let off = start(Default::default()).await;
    let r = off
        .review("/validate", &variant("05-pod-create", "ann-1", annotate))
        .await;
    assert_eq!(r["allowed"], false);
    assert_eq!(
        r["status"]["message"],
        format!("pods \"p1\" is forbidden: {P1_IMMUTABLE}")
    );
    let on = start(config("annotationExemptions: true\n")).await;
    let r = on
        .review("/validate", &variant("05-pod-create", "ann-2", annotate))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
}

/// docs/exemptions.md: where annotation exemptions are enabled, the
/// running pod's annotation (added by an annotation-only update, which is
/// not evaluated) covers an ephemeral container of that name that
/// `kubectl debug` adds later; the container is otherwise refused for its
/// writable root, and with exemptions off the annotation changes nothing.
#[tokio::test]
async fn a_running_pods_annotation_exempts_a_debug_container_added_later() {
    let debug = |uid: &str, annotated: bool| {
        variant("08-pod-ephemeralcontainers-update", uid, |r| {
            for side in ["object", "oldObject"] {
                r[side]["spec"]["containers"] = json!([hardened_container("p1")]);
                if annotated {
                    r[side]["metadata"]["annotations"] = json!({
                        "exempt.rootlock.dev/debugger-5682p": "readOnlyRootFilesystem: on-call debugging, INC-7"
                    });
                }
            }
            r["object"]["spec"]["ephemeralContainers"] =
                json!([container_without_read_only_root("debugger-5682p")]);
        })
    };
    let refused = "pods \"p1\" is forbidden: violates PodSecurity \"immutable:latest\": readOnlyRootFilesystem != true (container \"debugger-5682p\" must set securityContext.readOnlyRootFilesystem=true)";
    let on = start(config("annotationExemptions: true\n")).await;
    let r = on.review("/validate", &debug("eph-1", false)).await;
    assert_eq!(r["status"]["message"], refused, "{r}");
    let r = on.review("/validate", &debug("eph-2", true)).await;
    assert_eq!(r["allowed"], true, "{r}");
    let off = start(Default::default()).await;
    let r = off.review("/validate", &debug("eph-3", true)).await;
    assert_eq!(r["status"]["message"], refused, "{r}");
}

/// A controller whose template binds its pods for Windows nodes by
/// scheduling alone is judged as those pods reach `/validate`: `/mutate`
/// leaves them alone, so the template is judged as written (not as
/// patched), with the warning that asks for `spec.os.name: windows`. A
/// review through the server: the slim tree must keep the template's
/// `nodeSelector` and node affinity, for a Deployment and a CronJob.
#[tokio::test]
async fn a_controller_bound_for_windows_nodes_is_judged_unpatched() {
    let unset = container_without_read_only_root;
    let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}
        ]}]
    }}});
    let mutating = start(config("mutate:\n  enabled: true\n")).await;
    let scheduling = [
        ("nodeSelector", json!({"kubernetes.io/os": "windows"})),
        ("affinity", affinity),
    ];
    for (field, value) in scheduling {
        let deployment = variant("03-deployment-create", "dep-win", |r| {
            let spec = &mut r["object"]["spec"]["template"]["spec"];
            spec.as_object_mut().unwrap().remove("initContainers");
            spec["containers"] = json!([unset("web")]);
            spec[field] = value.clone();
        });
        let cronjob = variant("04-cronjob-create", "cj-win", |r| {
            let spec = &mut r["object"]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
            spec.as_object_mut().unwrap().remove("initContainers");
            spec["containers"] = json!([unset("job")]);
            spec[field] = value.clone();
        });
        for body in [deployment, cronjob] {
            let r = mutating.review("/validate", &body).await;
            let w = r["warnings"].to_string();
            assert!(w.contains("readOnlyRootFilesystem != true"), "{field}: {r}");
            assert!(w.contains("spec.os.name: windows"), "{field}: {r}");
        }
    }
}

/// A pod bound for Windows nodes by scheduling alone, which meets every
/// rule: the Windows kubelet drops its `readOnlyRootFilesystem`, so it runs
/// writable there. `/validate` allows it (the rule holds for a pod the API
/// server takes for Linux) and, as `scan` does, warns that it asks for
/// `spec.os.name: windows`. The fast evaluation the webhook uses for pods
/// had left that warning out.
#[tokio::test]
async fn a_pod_bound_for_windows_nodes_by_scheduling_is_warned_about() {
    let h = start(Default::default()).await;
    let bound = variant("05-pod-create", "win-1", |r| {
        harden(r);
        r["object"]["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "windows"});
    });
    let r = h.review("/validate", &bound).await;
    assert_eq!(r["allowed"], true, "{r}");
    let warnings = r["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{r}");
    assert!(
        warnings[0]
            .as_str()
            .is_some_and(|w| w.contains("nodeSelector kubernetes.io/os=windows")
                && w.contains("spec.os.name: windows")),
        "{r}"
    );
    // Declared a Windows pod: nothing to say.
    let declared = variant("05-pod-create", "win-2", |r| {
        harden(r);
        r["object"]["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "windows"});
        r["object"]["spec"]["os"] = json!({"name": "windows"});
    });
    let r = h.review("/validate", &declared).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");
}

/// A pod bound for Windows nodes by scheduling alone, reviewed by both
/// endpoints of one webhook, as the API server does (`/mutate` first, then
/// `/validate`): the API server's warning recorder
/// (`k8s.io/apiserver/pkg/endpoints/filters/warning.go`) drops a warning
/// whose text it already has, so the advice is given once only if both
/// endpoints write it in the same words. Two of them (the same advice, one
/// with a note on mutation) were shown one above the other.
#[tokio::test]
async fn the_windows_advice_of_mutate_and_validate_is_given_once() {
    let h = start(config("mutate:\n  enabled: true\n")).await;
    let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}
        ]}]
    }}});
    for (field, value) in [
        ("nodeSelector", json!({"kubernetes.io/os": "windows"})),
        ("affinity", affinity),
    ] {
        let bound = variant("05-pod-create", "win-both", |r| {
            harden(r);
            r["object"]["spec"][field] = value.clone();
        });
        let mut shown: Vec<String> = Vec::new();
        for path in ["/mutate", "/validate"] {
            let r = h.review(path, &bound).await;
            for w in r["warnings"].as_array().cloned().unwrap_or_default() {
                let w = w.as_str().unwrap_or_default().to_string();
                if !shown.contains(&w) {
                    shown.push(w);
                }
            }
        }
        let advice: Vec<&String> = shown
            .iter()
            .filter(|w| w.contains("set spec.os.name: windows"))
            .collect();
        assert_eq!(advice.len(), 1, "{field}: {shown:#?}");
        // The mutation's own note stays.
        assert!(
            shown.iter().any(|w| w.contains("did not mutate")),
            "{field}: {shown:#?}"
        );
    }
}
