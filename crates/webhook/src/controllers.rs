//! Pod controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
//! CronJob, ReplicationController, PodTemplate): warn and audit on the pod
//! template, never deny, so `kubectl apply` tells the user at once that the
//! pods would be rejected. Errors fail open with an `error` annotation. In
//! a namespace with mutation on, the template is judged as `/mutate` will
//! make its pods ([`crate::template_mutation`]).

use crate::admit::{Call, Webhook, exemptions_of, namespace_policy};
use crate::review::AdmissionResponse;
use crate::template_mutation::mutated_template;
use rootlock_manifest::workloads;

/// `(group, resource)` of every pod controller.
pub const CONTROLLERS: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
    ("", "podtemplates"),
];

pub fn is_controller(group: &str, resource: &str) -> bool {
    CONTROLLERS
        .iter()
        .any(|(g, r)| *g == group && *r == resource)
}

fn fail_open(wh: &Webhook, call: &Call, msg: String) -> AdmissionResponse {
    wh.metrics
        .evaluation(call.eval_labels("none", "none", "error"));
    let mut r = AdmissionResponse::allow();
    r.audit_annotations.insert("error".into(), msg);
    r
}

pub async fn validate(wh: &Webhook, call: &Call<'_>) -> AdmissionResponse {
    let req = call.req;
    if !req.sub_resource().is_empty() || !call.is_create_or_update() {
        return AdmissionResponse::allow();
    }
    if let Some(why) = wh.request_exemption(req) {
        return wh.exempt(call, why);
    }
    let labels = match wh.namespaces.labels(req.namespace()).await {
        Ok(l) => l,
        Err(e) => {
            return fail_open(
                wh,
                call,
                format!("failed to lookup namespace {:?}: {e}", req.namespace()),
            );
        }
    };
    let (policy, errors) = namespace_policy(wh, &labels);
    if errors.is_none()
        && policy.warn.level == rootlock_policy::Level::Privileged
        && policy.audit.level == rootlock_policy::Level::Privileged
    {
        return AdmissionResponse::allow();
    }
    let Some(object) = req.object.as_ref() else {
        return fail_open(
            wh,
            call,
            "failed to decode object: request has no object".into(),
        );
    };
    let workload = match workloads(object) {
        Ok(mut w) if !w.is_empty() => w.swap_remove(0),
        Ok(_) => return AdmissionResponse::allow(),
        Err(e) => {
            return fail_open(
                wh,
                call,
                // PSA's wording for this annotation (ValidatePodController).
                format!("failed to extract pod template: {}: {}", e.field, e.message),
            );
        }
    };
    // Only the template's annotations reach the pods, and a pod's review
    // sees nothing of its controller: exemptions on the controller's own
    // metadata would silence this warning while every pod it creates is
    // still denied. So they are not honoured here either, and said so.
    let exemptions = wh
        .config
        .annotation_exemptions
        .then(|| exemptions_of(&workload.pod));
    // Judged as its pods will arrive: mutated, where the namespace has
    // mutation on (see template_mutation).
    let mutated = mutated_template(wh, &labels, object, &workload, exemptions.as_ref());
    let (pod, mutation_warnings) = match &mutated {
        Some((pod, warnings)) => (pod, warnings.as_slice()),
        None => (&workload.pod, &[][..]),
    };
    let mut response = wh.evaluate_pod(call, &policy, errors, pod, exemptions.as_ref(), false);
    response.warnings.extend_from_slice(mutation_warnings);
    if wh.config.annotation_exemptions {
        response
            .warnings
            .extend(unreached_exemptions(&workload.annotations, &req.kind.kind));
    }
    response
}

/// A warning for each exemption annotation on a controller's own metadata.
fn unreached_exemptions<'a>(
    own: &'a [(String, String)],
    kind: &'a str,
) -> impl Iterator<Item = String> + 'a {
    own.iter()
        .filter(|(k, _)| k.starts_with(rootlock_policy::exemptions::PREFIX))
        .map(move |(k, _)| {
            format!(
                "annotation {k:?} on the {kind} itself is not honoured: its pods do not carry it; put it on the pod template's metadata"
            )
        })
}
