//! Opt-in mutation (`/mutate`, per namespace with `rootlock.dev/mutate:
//! "true"` or for all with `mutate.enabled` in the config): on Pod CREATE,
//! set `readOnlyRootFilesystem: true` where it is unset (an explicit `false`
//! is never flipped: a warning says so) and mount a size-limited,
//! memory-backed emptyDir at `/tmp` in containers that mount nothing there,
//! a directory of it for each container (see [`mount_tmp`]).
//! On a `pods/ephemeralcontainers` UPDATE (`kubectl debug`), the same for the
//! ephemeral containers it adds, within what a running pod may change.
//! The result is a JSONPatch; applying the webhook to its own output adds
//! nothing. With `annotationExemptions` on, a container exempt from
//! `readOnlyRootFilesystem` is left alone (see [`exempt_reason`]).

use crate::admit::{Call, Webhook, exemptions_of};
use crate::config::Config;
use crate::labels::{Labels, mutate_label};
use crate::object::{pod_from_node, to_json};
use crate::review::AdmissionResponse;
use crate::windows_nodes;
use rootlock_policy::model::{ContainerKind, normalize_path};
use rootlock_policy::{ContainerRef, Exemptions};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Name of the volume the webhook adds.
pub const TMP_VOLUME: &str = "rootlock-tmp";

/// What the webhook would do to a pod.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Mutation {
    /// RFC 6902 operations.
    pub patch: Vec<Value>,
    pub warnings: Vec<String>,
}

/// Plans the mutation of a Pod object (API JSON).
pub fn plan(pod: &Value, tmp_size_limit: &str, exemptions: Option<&Exemptions>) -> Mutation {
    let mut m = Mutation::default();
    let Some(spec) = pod.get("spec").and_then(Value::as_object) else {
        return m;
    };
    if let Some(warnings) = left_alone_for_windows(pod) {
        m.warnings = warnings;
        return m;
    }
    let mut need_volume = false;
    let existing = tmp_volume(pod);
    let has_volume = existing.is_some();
    // A volume of that name is the webhook's own (an emptyDir) on a pod it
    // already mutated. Anything else is the pod's: a configMap or secret
    // mounted at /tmp would be read-only there, so /tmp is left alone.
    let foreign_volume = existing.is_some_and(|v| v.get("emptyDir").is_none());
    if foreign_volume {
        m.warnings.push(format!(
            "the pod has a volume named {TMP_VOLUME:?} that is not an emptyDir; rootlock did not mount a writable /tmp"
        ));
    }
    for kind in [ContainerKind::Init, ContainerKind::Regular] {
        let field = kind.field();
        let Some(containers) = spec.get(field).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in containers.iter().enumerate() {
            let base = format!("/spec/{field}/{i}");
            if exempt(exemptions, kind, i, c, &mut m) || !read_only_root(c, &base, &mut m) {
                continue;
            }
            if !mounts_tmp(c) && !foreign_volume {
                need_volume = true;
                mount_tmp(c, &base, true, &mut m);
            }
        }
    }
    if need_volume && let Some(w) = existing.and_then(unbounded_memory) {
        m.warnings.push(w);
    }
    if need_volume && !has_volume {
        let volume = json!({"name": TMP_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": tmp_size_limit}});
        if spec.get("volumes").is_some_and(Value::is_array) {
            m.patch
                .push(json!({"op": "add", "path": "/spec/volumes/-", "value": volume}));
        } else {
            m.patch
                .push(json!({"op": "add", "path": "/spec/volumes", "value": [volume]}));
        }
    }
    m
}

/// Plans the mutation of the ephemeral containers a `pods/ephemeralcontainers`
/// UPDATE adds (`kubectl debug`): those already in `old` cannot change any
/// more, and neither can the pod's volumes. A new one gets
/// `readOnlyRootFilesystem: true` as other containers do, and `/tmp` only
/// from the webhook's own volume, if the pod was created with it.
///
/// The pod's volumes and OS are read from `old`, the running pod: mutating
/// webhooks see the request's body before the API server drops all of it
/// but `spec.ephemeralContainers`, so the body may leave them out or carry
/// volumes the pod does not have.
pub fn plan_ephemeral(
    pod: &Value,
    old: Option<&Value>,
    exemptions: Option<&Exemptions>,
) -> Mutation {
    let mut m = Mutation::default();
    fn ephemeral(pod: &Value) -> &[Value] {
        pod.pointer("/spec/ephemeralContainers")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
    let running = old.unwrap_or(pod);
    if let Some(warnings) = left_alone_for_windows(running) {
        m.warnings = warnings;
        return m;
    }
    // By name, hashed: a review may carry thousands of them.
    let before: HashSet<&str> = old
        .map(ephemeral)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let own_volume = tmp_volume(running).filter(|v| v.get("emptyDir").is_some());
    for (i, c) in ephemeral(pod).iter().enumerate() {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        if before.contains(name) {
            continue;
        }
        let base = format!("/spec/ephemeralContainers/{i}");
        if exempt(exemptions, ContainerKind::Ephemeral, i, c, &mut m)
            || !read_only_root(c, &base, &mut m)
            || mounts_tmp(c)
        {
            continue;
        }
        if let Some(volume) = own_volume {
            mount_tmp(c, &base, false, &mut m);
            if let Some(w) = unbounded_memory(volume).filter(|w| !m.warnings.contains(w)) {
                m.warnings.push(w);
            }
        } else {
            m.warnings.push(format!(
                "ephemeral container {name:?} has no writable /tmp: a running pod's volumes cannot change, and the pod has no {TMP_VOLUME:?} emptyDir to mount"
            ));
        }
    }
    m
}

/// Whether container `c` (the `index`th of its `kind`) is exempt from
/// `readOnlyRootFilesystem` by the pod's annotations (read only with
/// `annotationExemptions` on): validation then admits it with a writable
/// root, and setting the field would crash-loop the very container someone
/// reviewed and exempted. It is left alone, with a warning.
fn exempt(
    exemptions: Option<&Exemptions>,
    kind: ContainerKind,
    index: usize,
    c: &Value,
    m: &mut Mutation,
) -> bool {
    let Some(exemptions) = exemptions else {
        return false;
    };
    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
    let container = ContainerRef {
        kind,
        index,
        name: name.to_string(),
    };
    let Some(e) = exemptions.find("readOnlyRootFilesystem", Some(&container)) else {
        return false;
    };
    m.warnings.push(format!(
        "container {name:?} is exempt from readOnlyRootFilesystem ({}: {}); rootlock did not change it",
        e.key, e.reason
    ));
    true
}

/// The annotation the kubelet puts on the mirror of a static pod.
const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// What `/mutate` says of a mirror pod it leaves alone.
pub const MIRROR_WARNING: &str = "a mirror pod of a static pod: the kubelet runs the static pod's own manifest, so rootlock did not change this copy of it";

/// A static pod's mirror: the kubelet runs the pod from its own manifest
/// and never reads the mirror's spec back, so a patch would only make the
/// API claim a read-only root (and pass validation on that claim) while the
/// container runs writable (kubernetes/kubernetes#105844). Validation
/// judges the mirror as it is.
pub fn mirror(pod: &Value) -> bool {
    pod.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|a| a.contains_key(MIRROR_ANNOTATION))
}

/// The warnings of a pod left alone for Windows, `None` when it is not: a
/// Windows pod has no `readOnlyRootFilesystem` to set (nothing to say),
/// and one bound for Windows nodes by its scheduling alone would run
/// writable once patched (see [`windows_nodes`]).
fn left_alone_for_windows(pod: &Value) -> Option<Vec<String>> {
    if pod.pointer("/spec/os/name").and_then(Value::as_str) == Some("windows") {
        return Some(Vec::new());
    }
    windows_nodes::bound_by_scheduling(pod).map(windows_nodes::warnings)
}

/// The pod's volume of the webhook's name, if any.
fn tmp_volume(pod: &Value) -> Option<&Value> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(TMP_VOLUME))
}

/// The warning for a `rootlock-tmp` the pod brought itself as a memory
/// emptyDir without `sizeLimit` (the webhook always writes one): it is
/// mounted at /tmp as it is, but what is written there counts against the
/// pod's memory with no bound of its own, up to the node's allocatable
/// memory where the pod sets no memory limit. A zero `sizeLimit` is none:
/// the kubelet's `calculateEmptyDirMemorySize` takes a volume's limit only
/// above zero.
fn unbounded_memory(volume: &Value) -> Option<String> {
    let empty_dir = volume.get("emptyDir")?;
    let memory = empty_dir.get("medium").and_then(Value::as_str) == Some("Memory");
    let limited = match empty_dir.get("sizeLimit") {
        Some(Value::String(limit)) => rootlock_policy::quantity::is_positive(limit),
        Some(Value::Number(limit)) => limit.as_f64().is_some_and(|l| l > 0.0),
        _ => false,
    };
    (memory && !limited).then(|| {
        format!(
            "the pod's volume {TMP_VOLUME:?} is a memory-backed emptyDir without sizeLimit; rootlock mounted it at /tmp as it is, and what is written there counts against the pod's memory with no bound of its own: set its sizeLimit"
        )
    })
}

/// Sets `readOnlyRootFilesystem: true` on container `c` (at JSON pointer
/// `base`) where it is unset. `false` when the container sets it to
/// `false` itself: that is kept, with a warning, and the container left
/// alone.
fn read_only_root(c: &Value, base: &str, m: &mut Mutation) -> bool {
    let sc = c.get("securityContext").filter(|v| !v.is_null());
    let rofs = sc
        .and_then(|s| s.get("readOnlyRootFilesystem"))
        .filter(|v| !v.is_null());
    match (sc, rofs) {
        (None, _) => m.patch.push(json!({
            "op": "add",
            "path": format!("{base}/securityContext"),
            "value": {"readOnlyRootFilesystem": true}
        })),
        (Some(_), None) => m.patch.push(json!({
            "op": "add",
            "path": format!("{base}/securityContext/readOnlyRootFilesystem"),
            "value": true
        })),
        (Some(_), Some(Value::Bool(false))) => {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            m.warnings.push(format!(
                "container {name:?} sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"
            ));
            return false;
        }
        _ => {}
    }
    true
}

/// Whether something is at `/tmp` in `c` already: a mount, or a raw
/// block device (`volumeDevices`), whose path the API server refuses to
/// share with a mount (ValidateVolumeMounts). A mount added beside such a
/// device made the patched pod invalid, and its creation failed.
fn mounts_tmp(c: &Value) -> bool {
    let at_tmp = |list: &str, field: &str| {
        c.get(list).and_then(Value::as_array).is_some_and(|items| {
            items.iter().any(|item| {
                item.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|p| normalize_path(p) == "/tmp")
            })
        })
    };
    at_tmp("volumeMounts", "mountPath") || at_tmp("volumeDevices", "devicePath")
}

/// Mounts the webhook's volume at `/tmp` in container `c` (at `base`).
/// With `own_dir`, the container gets a directory of the volume to itself
/// (`subPath`: its name, unique in a pod), as its /tmp was its own before:
/// one emptyDir (mode 0777, no sticky bit) shared by every container would
/// let each replace or read what the others keep in /tmp. An ephemeral
/// container may not use `subPath`, and mounts the volume itself.
fn mount_tmp(c: &Value, base: &str, own_dir: bool, m: &mut Mutation) {
    let mut mount = json!({"name": TMP_VOLUME, "mountPath": "/tmp"});
    if own_dir
        && let Some(name) = c
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
    {
        mount["subPath"] = json!(name);
    }
    if c.get("volumeMounts").is_some_and(Value::is_array) {
        m.patch
            .push(json!({"op": "add", "path": format!("{base}/volumeMounts/-"), "value": mount}));
    } else {
        m.patch
            .push(json!({"op": "add", "path": format!("{base}/volumeMounts"), "value": [mount]}));
    }
}

pub async fn mutate(wh: &Webhook, call: &Call<'_>) -> AdmissionResponse {
    let req = call.req;
    let ephemeral = match (req.sub_resource(), req.operation.as_str()) {
        ("", "CREATE") => false,
        ("ephemeralcontainers", "UPDATE") => true,
        _ => return AdmissionResponse::allow(),
    };
    if !req.resource.group.is_empty() || req.resource.resource != "pods" {
        return AdmissionResponse::allow();
    }
    if wh.request_exemption(req).is_some() {
        return AdmissionResponse::allow();
    }
    let enabled = match wh.namespaces.labels(req.namespace()).await {
        Ok(labels) => enabled_for(&wh.config, &labels),
        Err(e) => {
            tracing::warn!(namespace = req.namespace(), error = %e, "namespace lookup failed; not mutating");
            return AdmissionResponse::allow();
        }
    };
    let Some(node) = req.object.as_ref() else {
        return AdmissionResponse::allow();
    };
    let object = to_json(node);
    // For `pods/ephemeralcontainers` the API server keeps only the body's
    // ephemeral containers (after mutation): the pod's own fields, its
    // runtime class among them, are the old object's, whatever the body
    // claims.
    let old_node = ephemeral.then_some(req.old_object.as_ref()).flatten();
    let old = old_node.map(to_json);
    let pod = old.as_ref().unwrap_or(&object);
    if !enabled
        || wh.exempt_runtime_class(
            pod.pointer("/spec/runtimeClassName")
                .and_then(Value::as_str),
        )
    {
        return AdmissionResponse::allow();
    }
    if mirror(pod) {
        let mut r = AdmissionResponse::allow();
        r.warnings.push(MIRROR_WARNING.into());
        return r;
    }
    // An object the policy cannot read (a field of the wrong type) is not
    // patched: a patch planned against it may not apply (the API server
    // then fails the request on the patch, not on the object), and
    // `/validate` names what is wrong with it.
    let Ok(new_pod) = pod_from_node(node) else {
        return AdmissionResponse::allow();
    };
    // The running pod's annotations, read as validation reads them: an
    // ephemeral container's exemption was written when the pod was created.
    let exemptions = if wh.config.annotation_exemptions {
        let running = match old_node {
            Some(old) => match pod_from_node(old) {
                Ok(p) => p,
                Err(_) => return AdmissionResponse::allow(),
            },
            None => new_pod,
        };
        Some(exemptions_of(&running))
    } else {
        None
    };
    let m = if ephemeral {
        plan_ephemeral(&object, old.as_ref(), exemptions.as_ref())
    } else {
        plan(
            &object,
            &wh.config.mutate.tmp_size_limit,
            exemptions.as_ref(),
        )
    };
    let mut r = AdmissionResponse::allow();
    r.warnings = m.warnings;
    if !m.patch.is_empty() {
        let bytes = serde_json::to_vec(&m.patch).expect("a patch always serialises");
        r.patch = Some(base64(&bytes));
        r.patch_type = Some("JSONPatch");
    }
    r
}

/// Whether pods of a namespace with these labels are mutated: its
/// `rootlock.dev/mutate` label, else the config's switch. Takes the config
/// alone so that `rootlock cluster --config` reads it as the webhook does.
pub fn enabled_for(config: &Config, labels: &Labels) -> bool {
    mutate_label(labels).unwrap_or(config.mutate.enabled)
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// [`plan`]s the mutation of `pod` (API JSON) and applies it there: the pod
/// as it reaches `/validate`, for whoever judges what validation will see
/// (a controller's template here, `rootlock cluster --what-if` for existing
/// pods). The plan, or why it did not apply to what it was planned from
/// (the webhook's own fault, not the pod's).
pub fn plan_and_apply(
    pod: &mut Value,
    tmp_size_limit: &str,
    exemptions: Option<&Exemptions>,
) -> Result<Mutation, String> {
    let m = plan(pod, tmp_size_limit, exemptions);
    apply_adds(pod, &m.patch)?;
    Ok(m)
}

/// Applies the `add` operations [`plan`] produces, for the view of a pod
/// after mutation ([`plan_and_apply`]). Tests check it against an RFC 6902
/// library, which applies patches as the API server does.
pub fn apply_adds(doc: &mut Value, patch: &[Value]) -> Result<(), String> {
    for op in patch {
        if op["op"] != "add" {
            return Err(format!("unsupported op {}", op["op"]));
        }
        let path = op["path"].as_str().ok_or("no path")?;
        let (parent, last) = path.rsplit_once('/').ok_or("bad path")?;
        let target = doc
            .pointer_mut(parent)
            .ok_or_else(|| format!("no parent for {path}"))?;
        match target {
            Value::Array(a) if last == "-" => a.push(op["value"].clone()),
            Value::Object(o) => {
                o.insert(last.to_string(), op["value"].clone());
            }
            _ => return Err(format!("cannot add at {path}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `patch` to `pod` with an RFC 6902 library, as the API server
    /// applies it (an `add` under a missing parent fails), and checks that
    /// [`apply_adds`], which the template's view uses, makes the same pod.
    fn apply(pod: &mut Value, patch: &[Value]) {
        let mut ours = pod.clone();
        apply_adds(&mut ours, patch).unwrap();
        let ops: json_patch::Patch = serde_json::from_value(Value::from(patch)).unwrap();
        json_patch::patch(pod, &ops).unwrap();
        assert_eq!(*pod, ours);
    }

    /// The exemptions `mutate` reads of a pod (API JSON).
    fn exemptions_in(pod: &Value) -> Exemptions {
        exemptions_of(&crate::admit::pod_from_json(pod).unwrap())
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    /// A container with a block device at /tmp gets no /tmp mount (the
    /// API server refuses a mount at a device's path, so the patched pod
    /// was never created), and no volume is added for it.
    #[test]
    fn a_block_device_at_tmp_gets_no_tmp_mount() {
        let pod = json!({"spec": {
            "volumes": [{"name": "blk", "persistentVolumeClaim": {"claimName": "c"}}],
            "containers": [{"name": "app", "image": "x",
                "volumeDevices": [{"name": "blk", "devicePath": "/tmp/"}]}]}});
        let m = plan(&pod, "64Mi", None);
        let paths: Vec<&str> = m
            .patch
            .iter()
            .map(|op| op["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["/spec/containers/0/securityContext"], "{m:?}");
    }

    #[test]
    fn a_container_exempt_from_read_only_root_is_left_alone() {
        let pod = json!({
            "metadata": {"annotations": {
                "exempt.rootlock.dev/app": "readOnlyRootFilesystem: vendor image rewrites /etc at start; T-1",
                "exempt.rootlock.dev/side": "runAsNonRoot: upstream needs root; T-2"
            }},
            "spec": {"containers": [{"name": "app"}, {"name": "side"}]}
        });
        let touched = |m: &Mutation| -> Vec<String> {
            m.patch
                .iter()
                .filter_map(|op| op["path"].as_str())
                .filter(|p| p.ends_with("/securityContext"))
                .map(str::to_string)
                .collect()
        };
        // Exemptions read (annotationExemptions on): only `side` changes.
        let exemptions = exemptions_in(&pod);
        let m = plan(&pod, "64Mi", Some(&exemptions));
        assert_eq!(touched(&m), ["/spec/containers/1/securityContext"]);
        assert!(m.patch.iter().all(|op| {
            !op["path"]
                .as_str()
                .unwrap()
                .starts_with("/spec/containers/0")
        }));
        assert_eq!(
            m.warnings,
            [
                "container \"app\" is exempt from readOnlyRootFilesystem (exempt.rootlock.dev/app: vendor image rewrites /etc at start; T-1); rootlock did not change it"
            ]
        );
        // Not read (the default): both change.
        let m = plan(&pod, "64Mi", None);
        assert_eq!(
            touched(&m),
            [
                "/spec/containers/0/securityContext",
                "/spec/containers/1/securityContext"
            ]
        );
        // A debug container added later, exempt for every container by the
        // running pod's annotation.
        let old = json!({
            "metadata": {"annotations": {"exempt.rootlock.dev/all.containers": "readOnlyRootFilesystem: debugging tools; T-3"}},
            "spec": {"containers": [{"name": "app"}]}
        });
        let mut sent = old.clone();
        sent["spec"]["ephemeralContainers"] = json!([{"name": "debug"}]);
        let m = plan_ephemeral(&sent, Some(&old), Some(&exemptions_in(&old)));
        assert!(m.patch.is_empty(), "{:?}", m.patch);
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    }

    #[test]
    fn sets_the_field_adds_tmp_and_is_idempotent() {
        let mut pod = json!({"spec": {
            "containers": [
                {"name": "a", "image": "nginx"},
                {"name": "b", "securityContext": {"runAsNonRoot": true}, "volumeMounts": [{"name": "t", "mountPath": "/tmp/"}]},
                {"name": "c", "securityContext": {"readOnlyRootFilesystem": false}}
            ],
            "volumes": [{"name": "t", "emptyDir": {}}]
        }});
        let m = plan(&pod, "64Mi", None);
        assert_eq!(
            m.warnings,
            vec![
                "container \"c\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"
            ]
        );
        let paths: Vec<&str> = m
            .patch
            .iter()
            .map(|o| o["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "/spec/containers/0/securityContext",
                "/spec/containers/0/volumeMounts",
                "/spec/containers/1/securityContext/readOnlyRootFilesystem",
                "/spec/volumes/-",
            ]
        );
        apply(&mut pod, &m.patch);
        assert_eq!(
            pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
            true
        );
        assert_eq!(pod["spec"]["volumes"][1]["emptyDir"]["sizeLimit"], "64Mi");
        let again = plan(&pod, "64Mi", None);
        assert!(again.patch.is_empty(), "{:?}", again.patch);
    }

    /// A volume of the webhook's name that the pod brought itself (not an
    /// emptyDir) is not mounted at /tmp: a configMap there is read-only.
    #[test]
    fn a_foreign_volume_of_the_same_name_is_not_mounted_at_tmp() {
        let pod = json!({"spec": {
            "containers": [{"name": "a"}],
            "volumes": [{"name": "rootlock-tmp", "configMap": {"name": "x"}}]
        }});
        let m = plan(&pod, "64Mi", None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(paths, ["/spec/containers/0/securityContext"]);
        assert_eq!(
            m.warnings,
            [
                "the pod has a volume named \"rootlock-tmp\" that is not an emptyDir; rootlock did not mount a writable /tmp"
            ]
        );
        // The webhook's own volume (an emptyDir) is reused, as before.
        let pod = json!({"spec": {
            "containers": [{"name": "a", "securityContext": {"readOnlyRootFilesystem": true}}],
            "volumes": [{"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
        }});
        let m = plan(&pod, "64Mi", None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(paths, ["/spec/containers/0/volumeMounts"]);
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    /// A zero `sizeLimit` (which the API server accepts: it refuses only a
    /// negative one) bounds nothing: the kubelet's
    /// `calculateEmptyDirMemorySize` uses a volume's limit only when it is
    /// above zero, so the tmpfs is sized as without one.
    #[test]
    fn a_zero_size_limit_is_no_bound() {
        for limit in [
            json!("0"),
            json!("0Mi"),
            json!("0.0Gi"),
            json!(0),
            json!(null),
        ] {
            let pod = json!({"spec": {
                "containers": [{"name": "a"}],
                "volumes": [{"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": limit}}]
            }});
            let m = plan(&pod, "64Mi", None);
            assert_eq!(m.warnings.len(), 1, "{limit}: {:?}", m.warnings);
            assert!(m.warnings[0].contains("without sizeLimit"), "{limit}");
        }
        for limit in [json!("1Mi"), json!("64Mi")] {
            let pod = json!({"spec": {
                "containers": [{"name": "a"}],
                "volumes": [{"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": limit}}]
            }});
            assert!(plan(&pod, "64Mi", None).warnings.is_empty(), "{limit}");
        }
    }

    /// A `rootlock-tmp` the pod wrote itself as a memory emptyDir without
    /// `sizeLimit` is still mounted (it is the pod's choice), with a
    /// warning that /tmp is then bounded only by the pod's memory. Not for
    /// a disk-backed one, and not when nothing is mounted.
    #[test]
    fn an_unbounded_memory_volume_of_the_same_name_is_mounted_with_a_warning() {
        let with = |volume: Value| {
            json!({"spec": {
                "containers": [{"name": "a"}],
                "volumes": [volume]
            }})
        };
        let unbounded = with(json!({"name": "rootlock-tmp", "emptyDir": {"medium": "Memory"}}));
        let m = plan(&unbounded, "64Mi", None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(
            paths,
            [
                "/spec/containers/0/securityContext",
                "/spec/containers/0/volumeMounts"
            ]
        );
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        assert!(
            m.warnings[0].contains("without sizeLimit"),
            "{:?}",
            m.warnings
        );
        let disk = with(json!({"name": "rootlock-tmp", "emptyDir": {}}));
        assert!(plan(&disk, "64Mi", None).warnings.is_empty());
        let mut mounted = unbounded.clone();
        mounted["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "rootlock-tmp", "mountPath": "/tmp"}]);
        assert!(plan(&mounted, "64Mi", None).warnings.is_empty());
        // `kubectl debug` on such a pod: the same warning, once for two
        // new ephemeral containers.
        let mut debugged = unbounded.clone();
        debugged["spec"]["ephemeralContainers"] = json!([{"name": "d1"}, {"name": "d2"}]);
        let m = plan_ephemeral(&debugged, Some(&unbounded), None);
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        assert!(
            m.warnings[0].contains("without sizeLimit"),
            "{:?}",
            m.warnings
        );
    }

    #[test]
    fn only_new_ephemeral_containers_are_mutated() {
        let old = json!({"spec": {
            "containers": [{"name": "app"}],
            "ephemeralContainers": [{"name": "earlier", "image": "busybox"}]
        }});
        let mut pod = old.clone();
        pod["spec"]["ephemeralContainers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "debugger", "image": "busybox"}));
        let m = plan_ephemeral(&pod, Some(&old), None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        // Neither the running containers nor the earlier ephemeral one.
        assert_eq!(paths, ["/spec/ephemeralContainers/1/securityContext"]);
        assert_eq!(
            m.warnings,
            [
                "ephemeral container \"debugger\" has no writable /tmp: a running pod's volumes cannot change, and the pod has no \"rootlock-tmp\" emptyDir to mount"
            ]
        );
        apply(&mut pod, &m.patch);
        assert_eq!(
            pod["spec"]["ephemeralContainers"][1]["securityContext"]["readOnlyRootFilesystem"],
            true
        );
        let again = plan_ephemeral(&pod, Some(&old), None);
        assert!(again.patch.is_empty(), "{:?}", again.patch);
    }

    #[test]
    fn an_ephemeral_container_mounts_the_webhooks_own_tmp_volume() {
        let old = json!({"spec": {
            "containers": [{"name": "app"}],
            "volumes": [{"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
        }});
        let mut pod = old.clone();
        pod["spec"]["ephemeralContainers"] = json!([
            {"name": "d", "securityContext": {"readOnlyRootFilesystem": true}},
            {"name": "w", "securityContext": {"readOnlyRootFilesystem": false}}
        ]);
        let m = plan_ephemeral(&pod, Some(&old), None);
        assert_eq!(
            m.patch,
            [
                json!({"op": "add", "path": "/spec/ephemeralContainers/0/volumeMounts", "value": [{"name": "rootlock-tmp", "mountPath": "/tmp"}]})
            ]
        );
        assert_eq!(
            m.warnings,
            [
                "container \"w\" sets securityContext.readOnlyRootFilesystem=false; rootlock did not change it"
            ]
        );
        // A volume of that name the pod brought (not an emptyDir) is not
        // mounted: a configMap at /tmp would be read-only.
        let mut foreign_old = old.clone();
        foreign_old["spec"]["volumes"] =
            json!([{"name": "rootlock-tmp", "configMap": {"name": "x"}}]);
        let mut foreign = pod.clone();
        foreign["spec"]["volumes"] = foreign_old["spec"]["volumes"].clone();
        let m = plan_ephemeral(&foreign, Some(&foreign_old), None);
        assert!(m.patch.is_empty(), "{:?}", m.patch);
        assert!(
            m.warnings[0].contains("has no writable /tmp"),
            "{:?}",
            m.warnings
        );
    }

    /// The API server runs mutating webhooks on the object as sent, and
    /// only then keeps nothing of it but `spec.ephemeralContainers` (the
    /// rest is the running pod's): the pod's volumes and OS are the old
    /// object's, whatever the body of the request says.
    #[test]
    fn an_ephemeral_update_reads_volumes_and_os_from_the_running_pod() {
        let old = json!({"spec": {
            "containers": [{"name": "app"}],
            "volumes": [{"name": "rootlock-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
        }});
        // A PUT of the subresource may carry only the ephemeral containers.
        let sent = json!({"spec": {"ephemeralContainers": [{"name": "d"}]}});
        let m = plan_ephemeral(&sent, Some(&old), None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(
            paths,
            [
                "/spec/ephemeralContainers/0/securityContext",
                "/spec/ephemeralContainers/0/volumeMounts"
            ]
        );
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        // A volume the body invents is not the pod's: mounting it would
        // name a volume the pod does not have, and the update would fail.
        let plain = json!({"spec": {"containers": [{"name": "app"}]}});
        let mut forged = plain.clone();
        forged["spec"]["volumes"] = json!([{"name": "rootlock-tmp", "emptyDir": {}}]);
        forged["spec"]["ephemeralContainers"] = json!([{"name": "d"}]);
        let m = plan_ephemeral(&forged, Some(&plain), None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(paths, ["/spec/ephemeralContainers/0/securityContext"]);
        // A Windows pod stays alone even if the body leaves `os` out.
        let windows = json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "app"}]}});
        assert_eq!(
            plan_ephemeral(&sent, Some(&windows), None),
            Mutation::default()
        );
    }

    /// Which ephemeral containers are new is found by name: with 40,000
    /// (a review anyone reaching the Service can send) one against all took
    /// most of a minute here (debug build); by hash, well under a second.
    /// Time is not asserted (timings belong in benchmarks): a quadratic
    /// regression shows as a test that takes a minute.
    #[test]
    fn many_ephemeral_containers_are_planned_in_linear_time() {
        let n = 40_000;
        let eph: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("debugger-{i}"), "image": "busybox"}))
            .collect();
        let old = json!({"spec": {"containers": [{"name": "app"}], "ephemeralContainers": eph}});
        let mut pod = old.clone();
        let list = pod["spec"]["ephemeralContainers"].as_array_mut().unwrap();
        list.reverse();
        list.push(json!({"name": "new", "image": "busybox"}));
        let m = plan_ephemeral(&pod, Some(&old), None);
        let paths: Vec<&str> = m.patch.iter().filter_map(|o| o["path"].as_str()).collect();
        assert_eq!(
            paths,
            [format!("/spec/ephemeralContainers/{n}/securityContext")]
        );
    }

    /// Each container had its own /tmp in its own root filesystem; one
    /// emptyDir at /tmp in all of them would make it one shared, world-
    /// writable directory without the sticky bit (the kubelet makes an
    /// emptyDir 0777): a sidecar could replace the files the app writes
    /// there (native libraries a JVM extracts and loads, sockets, pid
    /// files), and two JVMs (both pid 1) would take each other's
    /// `/tmp/.java_pid1`. Each container mounts its own directory of the
    /// volume (`subPath`: its name, unique in a pod; the kubelet creates it
    /// with the volume's mode).
    #[test]
    fn each_container_gets_a_tmp_of_its_own() {
        let mut pod = json!({"spec": {
            "initContainers": [{"name": "setup"}],
            "containers": [{"name": "app"}, {"name": "proxy", "volumeMounts": []}]
        }});
        let m = plan(&pod, "64Mi", None);
        apply(&mut pod, &m.patch);
        let tmp_of = |pod: &Value, at: &str| -> Value {
            let mounts = pod.pointer(at).and_then(Value::as_array).unwrap();
            mounts
                .iter()
                .find(|mnt| mnt["mountPath"] == "/tmp")
                .cloned()
                .unwrap()
        };
        for (at, name) in [
            ("/spec/initContainers/0/volumeMounts", "setup"),
            ("/spec/containers/0/volumeMounts", "app"),
            ("/spec/containers/1/volumeMounts", "proxy"),
        ] {
            assert_eq!(
                tmp_of(&pod, at),
                json!({"name": TMP_VOLUME, "mountPath": "/tmp", "subPath": name}),
                "{at}"
            );
        }
        assert!(plan(&pod, "64Mi", None).patch.is_empty());
        // An ephemeral container may not use subPath (the API refuses it):
        // it mounts the volume itself.
        let old = pod.clone();
        pod["spec"]["ephemeralContainers"] = json!([{"name": "debug"}]);
        let m = plan_ephemeral(&pod, Some(&old), None);
        apply(&mut pod, &m.patch);
        assert_eq!(
            tmp_of(&pod, "/spec/ephemeralContainers/0/volumeMounts"),
            json!({"name": TMP_VOLUME, "mountPath": "/tmp"})
        );
    }

    #[test]
    fn windows_pods_are_left_alone() {
        let pod = json!({"spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}});
        assert_eq!(plan(&pod, "64Mi", None), Mutation::default());
    }
}
