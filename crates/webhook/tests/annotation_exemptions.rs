//! `annotationExemptions: true`: what the webhook says about a workload
//! must match what it will do to the workload's pods.

mod common;

use common::*;
use serde_json::{Value, json};

const INIT_WRITABLE: &str = "would violate PodSecurity \"immutable:latest\": readOnlyRootFilesystem != true (container \"init\" must set securityContext.readOnlyRootFilesystem=true)";

/// The recorded Deployment (03), hardened, except that its init container
/// keeps a writable root filesystem.
fn deployment(uid: &str, edit: impl FnOnce(&mut Value)) -> Value {
    variant("03-deployment-create", uid, |r| {
        let mut init = hardened_container("init");
        init["securityContext"]["readOnlyRootFilesystem"] = json!(false);
        r["object"]["spec"]["template"]["spec"]["initContainers"] = json!([init]);
        edit(r);
    })
}

const EXEMPT_INIT: (&str, &str) = (
    "exempt.rootlock.dev/init",
    "readOnlyRootFilesystem: writes its config at start",
);

#[tokio::test]
async fn a_controllers_own_exemption_does_not_hide_that_its_pods_are_denied() {
    let h = start(config("annotationExemptions: true\n")).await;
    // On the Deployment's own metadata: its pods never carry it, so the
    // pods are denied, and the Deployment must be warned about that.
    let own = deployment("own", |r| {
        r["object"]["metadata"]["annotations"][EXEMPT_INIT.0] = json!(EXEMPT_INIT.1);
    });
    let r = h.review("/validate", &own).await;
    assert_eq!(r["allowed"], true, "{r}");
    let warnings = r["warnings"].as_array().cloned().unwrap_or_default();
    assert!(warnings.contains(&json!(INIT_WRITABLE)), "{r}");
    assert!(
        warnings.contains(&json!("annotation \"exempt.rootlock.dev/init\" on the Deployment itself is not honoured: its pods do not carry it; put it on the pod template's metadata")),
        "{r}"
    );
    assert_eq!(r["auditAnnotations"]["audit-violations"], INIT_WRITABLE);
    // A pod made from that template (the annotation stays behind) is denied.
    let pod = variant("05-pod-create", "pod-of-own", |r| {
        let template = &own["request"]["object"]["spec"]["template"];
        r["object"]["metadata"]["annotations"] = template["metadata"]["annotations"].clone();
        r["object"]["spec"] = template["spec"].clone();
    });
    assert_eq!(h.review("/validate", &pod).await["allowed"], false);
    // On the template: the pods carry it, they are admitted, nothing to say.
    let template = deployment("template", |r| {
        r["object"]["spec"]["template"]["metadata"]["annotations"] =
            json!({EXEMPT_INIT.0: EXEMPT_INIT.1});
    });
    let r = h.review("/validate", &template).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");
    assert!(
        r["auditAnnotations"].get("audit-violations").is_none(),
        "{r}"
    );
}

/// A running pod in `shop`: hardened but for a writable root filesystem.
fn running_pod(name: &str, annotations: Value) -> Value {
    let mut c = hardened_container("app");
    c["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "annotations": annotations},
        "spec": {"containers": [c]}
    })
}

#[tokio::test]
async fn the_namespace_dry_run_does_not_report_pods_their_exemptions_admit() {
    let pods = vec![
        running_pod(
            "a-exempt",
            json!({"exempt.rootlock.dev/app": "readOnlyRootFilesystem: writes its cache"}),
        ),
        running_pod("b-plain", json!({})),
    ];
    let h = start_with(
        config("annotationExemptions: true\ndefaults:\n  enforce: privileged\n"),
        rootlock_webhook::cache::Namespaces::Offline,
        Some(std::sync::Arc::new(
            rootlock_webhook::cache::StaticPodLister(pods),
        )),
        std::time::Duration::from_secs(1),
    )
    .await;
    // 11: `kubectl label ns shop rootlock.dev/enforce=immutable`.
    let r = h.recorded("11-namespace-update").await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["warnings"],
        json!([
            "existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"immutable:latest\"",
            "b-plain: readOnlyRootFilesystem != true"
        ])
    );
}
