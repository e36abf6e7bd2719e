//! A controller's pod template as its pods will reach `/validate`: with
//! what `/mutate` adds to each of them when the namespace has mutation on.
//! Judged as written, a Deployment in such a namespace was warned
//! `readOnlyRootFilesystem != true` at `kubectl apply`, while every pod it
//! created was patched and admitted: the warning told the user to change
//! what rootlock was already changing, and the audit annotation counted an
//! offender that never ran.
//!
//! It is assumed that the MutatingWebhookConfiguration (deploy/ has one)
//! sends the namespace's pods to `/mutate`: the namespace label or the
//! config switch that turns mutation on says the operator wants it.

use crate::admit::Webhook;
use crate::labels::Labels;
use crate::mutate::{enabled_for, plan_and_apply};
use crate::object::{pod_from_node, slim_from_str, to_json};
use rootlock_manifest::Workload;
use rootlock_manifest::tree::Node;
use rootlock_policy::{Exemptions, Pod, Seg};
use serde_json::{Value, json};

/// The template's pod after the mutation, and the mutation's own warnings
/// (an explicit `readOnlyRootFilesystem: false` it keeps, a `/tmp` it
/// cannot mount); `None` when the namespace has no mutation, the pod's
/// runtime class is exempt, or nothing would change.
pub fn mutated_template(
    wh: &Webhook,
    labels: &Labels,
    object: &Node,
    workload: &Workload,
    exemptions: Option<&Exemptions>,
) -> Option<(Pod, Vec<String>)> {
    if !enabled_for(&wh.config, labels)
        || wh.exempt_runtime_class(workload.pod.spec.runtime_class_name.as_deref())
    {
        return None;
    }
    let mut pod = template_pod(&to_json(object), workload)?;
    // The template was read once already; a failure here would be the
    // webhook's own (a patch that does not apply to what it planned
    // from), and the template is then judged as written.
    let m = plan_and_apply(&mut pod, &wh.config.mutate.tmp_size_limit, exemptions).ok()?;
    if m.patch.is_empty() {
        return (!m.warnings.is_empty()).then(|| (workload.pod.clone(), m.warnings));
    }
    let node = slim_from_str(&pod.to_string()).ok()??;
    Some((pod_from_node(&node).ok()?, m.warnings))
}

/// The Pod (API JSON) a controller `object` (API JSON) makes from the pod
/// template of `workload` (found in it by `rootlock_manifest::workloads`):
/// what `/mutate` sees when the controller creates one. `None` when the
/// template is not where the workload says.
pub fn template_pod(object: &Value, workload: &Workload) -> Option<Value> {
    let template = workload
        .template_path
        .0
        .iter()
        .try_fold(object, |v, seg| match seg {
            Seg::Key(k) => v.get(k.as_str()),
            Seg::Index(i) => v.get(*i),
        })?;
    Some(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template.get("metadata").cloned().unwrap_or(Value::Null),
        "spec": template.get("spec").cloned().unwrap_or(Value::Null),
    }))
}
