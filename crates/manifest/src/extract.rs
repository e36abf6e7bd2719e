//! Reads the pod model out of a document tree, checking the type of every
//! field it reads. A wrong type is an error naming the field path and line,
//! never a silent default: `readOnlyRootFilesystem: "true"` is a string, and
//! the API server would refuse it.

use crate::error::FieldError;
use crate::scalar::{Resolved, resolve};
use crate::tree::{Node, Value};
use rootlock_policy::model::*;

/// A field path, built only when an error needs it.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    pub fn render(&self) -> String {
        match self {
            Path::Root(r) => (*r).to_string(),
            Path::Key(p, k) => {
                let base = p.render();
                if base.is_empty() {
                    (*k).to_string()
                } else {
                    format!("{base}.{k}")
                }
            }
            Path::Index(p, i) => format!("{}[{i}]", p.render()),
        }
    }
}

fn type_error(node: &Node, path: &Path, expected: &str, found: String) -> FieldError {
    // A quoted Go template action parses as a fine string, so a Helm
    // template can be valid YAML up to the first field that is not a
    // string: say what the file is, not only what the field is.
    let template = match &node.value {
        Value::Scalar(s) => s.text.contains("{{") && s.text.contains("}}"),
        _ => false,
    };
    let hint = if template {
        format!("; {}", crate::reader::TEMPLATE_HINT)
    } else {
        String::new()
    };
    FieldError {
        line: node.line,
        column: node.column,
        field: path.render(),
        message: format!("expected {expected}, found {found}{hint}"),
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(s) => found_scalar(s, &resolve(s)),
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
    }
}

/// What a scalar is, for an error: a number as written (`number 80.5`),
/// as it has no value of its own to show; anything else as resolved.
fn found_scalar(s: &crate::tree::Scalar, r: &Resolved<'_>) -> String {
    match r {
        Resolved::Number => {
            let shown: String = s.text.chars().take(60).collect();
            format!("number {shown}")
        }
        _ => r.describe(),
    }
}

/// A child that is present and not null.
pub fn child<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.get(key).filter(|n| !is_null(n))
}

fn is_null(n: &Node) -> bool {
    matches!(&n.value, Value::Scalar(s) if resolve(s) == Resolved::Null)
}

/// A scalar child read by `pick`; anything else (the wrong scalar type, a
/// list, a mapping) is a type error naming `expected`.
fn opt_scalar<T>(
    node: &Node,
    key: &str,
    path: &Path,
    expected: &str,
    pick: impl Fn(&crate::tree::Scalar, &Resolved<'_>) -> Option<T>,
) -> Result<Option<T>, FieldError> {
    let Some(v) = child(node, key) else {
        return Ok(None);
    };
    let found = match &v.value {
        Value::Scalar(s) => {
            let r = resolve(s);
            match pick(s, &r) {
                Some(t) => return Ok(Some(t)),
                None => found_scalar(s, &r),
            }
        }
        _ => describe(v),
    };
    Err(type_error(v, &Path::Key(path, key), expected, found))
}

pub fn opt_bool(node: &Node, key: &str, path: &Path) -> Result<Option<bool>, FieldError> {
    opt_scalar(
        node,
        key,
        path,
        "a boolean (true or false)",
        |_, r| match r {
            Resolved::Bool(b) => Some(*b),
            _ => None,
        },
    )
}

pub fn opt_int(node: &Node, key: &str, path: &Path) -> Result<Option<i64>, FieldError> {
    opt_scalar(node, key, path, "an integer", |s, r| match r {
        Resolved::Int(i) => Some(*i),
        Resolved::Number => crate::scalar::whole_number(&s.text),
        _ => None,
    })
}

/// An int32 field (`hostPort`): the API server's decoder refuses a value
/// that does not fit, so it is an input error here too.
pub fn opt_int32(node: &Node, key: &str, path: &Path) -> Result<Option<i64>, FieldError> {
    opt_scalar(node, key, path, "a 32-bit integer", |s, r| {
        let i = match r {
            Resolved::Int(i) => *i,
            Resolved::Number => crate::scalar::whole_number(&s.text)?,
            _ => return None,
        };
        i32::try_from(i).is_ok().then_some(i)
    })
}

pub fn opt_str(node: &Node, key: &str, path: &Path) -> Result<Option<String>, FieldError> {
    let Some(v) = child(node, key) else {
        return Ok(None);
    };
    as_string(v, &Path::Key(path, key)).map(Some)
}

pub fn as_string(v: &Node, path: &Path) -> Result<String, FieldError> {
    match &v.value {
        Value::Scalar(s) => match resolve(s) {
            Resolved::Str(t) => Ok(t.to_string()),
            other => Err(type_error(v, path, "a string", found_scalar(s, &other))),
        },
        _ => Err(type_error(v, path, "a string", describe(v))),
    }
}

/// An item of a list of strings (`capabilities.add`, a node selector
/// requirement's `values`). The API server's decoder (Go's encoding/json)
/// gives a `null` item the string's zero value, so `add: [null]` is stored,
/// and judged by PSA, as `add: [""]`: read the same here rather than
/// refusing a manifest the cluster accepts.
pub fn list_item_string(v: &Node, path: &Path) -> Result<String, FieldError> {
    if is_null(v) {
        return Ok(String::new());
    }
    as_string(v, path)
}

/// A Kubernetes quantity (`128Mi`, `1`, `0.5`): a string or a number.
pub fn opt_quantity(node: &Node, key: &str, path: &Path) -> Result<Option<String>, FieldError> {
    opt_scalar(
        node,
        key,
        path,
        "a quantity such as \"64Mi\"",
        |s, r| match r {
            // kubectl sends a YAML integer as its decimal digits (`0x10` is
            // 16, `1_000` is 1000), whatever base or `_` it was written with.
            Resolved::Int(i) => Some(i.to_string()),
            // The API server refuses what is not a quantity (`abc`, `12XB`).
            Resolved::Str(_) | Resolved::Number
                if rootlock_policy::quantity::is_quantity(&s.text) =>
            {
                Some(s.text.clone())
            }
            _ => None,
        },
    )
}

pub fn opt_map<'n>(node: &'n Node, key: &str, path: &Path) -> Result<Option<&'n Node>, FieldError> {
    let Some(v) = child(node, key) else {
        return Ok(None);
    };
    match v.value {
        Value::Map(_) => Ok(Some(v)),
        _ => Err(type_error(
            v,
            &Path::Key(path, key),
            "a mapping",
            describe(v),
        )),
    }
}

pub fn opt_seq<'n>(node: &'n Node, key: &str, path: &Path) -> Result<&'n [Node], FieldError> {
    let Some(v) = child(node, key) else {
        return Ok(&[]);
    };
    match &v.value {
        Value::Seq(items) => Ok(items),
        _ => Err(type_error(v, &Path::Key(path, key), "a list", describe(v))),
    }
}

pub fn expect_map(v: &Node, path: &Path) -> Result<(), FieldError> {
    match v.value {
        Value::Map(_) => Ok(()),
        _ => Err(type_error(v, path, "a mapping", describe(v))),
    }
}

fn str_list(node: &Node, key: &str, path: &Path) -> Result<Vec<String>, FieldError> {
    let p = Path::Key(path, key);
    opt_seq(node, key, path)?
        .iter()
        .enumerate()
        .map(|(i, n)| list_item_string(n, &Path::Index(&p, i)))
        .collect()
}

/// `metadata.annotations` as (key, value) pairs; values must be strings.
pub fn annotations(meta: Option<&Node>, path: &Path) -> Result<Vec<(String, String)>, FieldError> {
    let Some(meta) = meta else {
        return Ok(Vec::new());
    };
    let Some(ann) = opt_map(meta, "annotations", path)? else {
        return Ok(Vec::new());
    };
    let p = Path::Key(path, "annotations");
    let mut out = Vec::new();
    for e in ann.as_map().unwrap_or_default() {
        if is_null(&e.value) {
            continue;
        }
        out.push((e.key.clone(), as_string(&e.value, &Path::Key(&p, &e.key))?));
    }
    Ok(out)
}

/// Builds a pod from a pod-shaped object (`metadata` + `spec`).
pub fn pod(object: &Node, path: &Path) -> Result<Pod, FieldError> {
    expect_map(object, path)?;
    let meta = opt_map(object, "metadata", path)?;
    let meta_path = Path::Key(path, "metadata");
    let spec_path = Path::Key(path, "spec");
    let spec = match opt_map(object, "spec", path)? {
        Some(spec) => pod_spec(spec, &spec_path)?,
        None => {
            return Err(FieldError {
                line: object.line,
                column: object.column,
                field: spec_path.render(),
                message: "required field is missing".into(),
            });
        }
    };
    Ok(Pod {
        name: match meta {
            Some(m) => opt_str(m, "name", &meta_path)?.unwrap_or_default(),
            None => String::new(),
        },
        namespace: match meta {
            Some(m) => opt_str(m, "namespace", &meta_path)?,
            None => None,
        },
        annotations: annotations(meta, &meta_path)?,
        spec,
    })
}

fn pod_spec(spec: &Node, path: &Path) -> Result<PodSpec, FieldError> {
    let os_name = match opt_map(spec, "os", path)? {
        Some(os) => opt_str(os, "name", &Path::Key(path, "os"))?,
        None => None,
    };
    let security_context = match opt_map(spec, "securityContext", path)? {
        Some(sc) => Some(pod_security_context(
            sc,
            &Path::Key(path, "securityContext"),
        )?),
        None => None,
    };
    let vp = Path::Key(path, "volumes");
    let volumes = opt_seq(spec, "volumes", path)?
        .iter()
        .enumerate()
        .map(|(i, v)| volume(v, &Path::Index(&vp, i)))
        .collect::<Result<_, _>>()?;
    Ok(PodSpec {
        host_network: opt_bool(spec, "hostNetwork", path)?.unwrap_or(false),
        host_pid: opt_bool(spec, "hostPID", path)?.unwrap_or(false),
        host_ipc: opt_bool(spec, "hostIPC", path)?.unwrap_or(false),
        host_users: opt_bool(spec, "hostUsers", path)?,
        os_name,
        windows_binding: crate::scheduling::windows_binding(spec, path)?,
        runtime_class_name: opt_str(spec, "runtimeClassName", path)?,
        security_context,
        volumes,
        init_containers: containers(spec, "initContainers", path)?,
        containers: containers(spec, "containers", path)?,
        ephemeral_containers: containers(spec, "ephemeralContainers", path)?,
        memory_limit: memory_limit(spec, path)?,
    })
}

fn containers(spec: &Node, key: &str, path: &Path) -> Result<Vec<Container>, FieldError> {
    let p = Path::Key(path, key);
    opt_seq(spec, key, path)?
        .iter()
        .enumerate()
        .map(|(i, c)| container(c, &Path::Index(&p, i)))
        .collect()
}

fn seccomp(node: &Node, path: &Path) -> Result<Option<SeccompProfile>, FieldError> {
    Ok(match opt_map(node, "seccompProfile", path)? {
        Some(s) => Some(SeccompProfile {
            type_: opt_str(s, "type", &Path::Key(path, "seccompProfile"))?.unwrap_or_default(),
        }),
        None => None,
    })
}

fn se_linux(node: &Node, path: &Path) -> Result<Option<SeLinuxOptions>, FieldError> {
    let Some(s) = opt_map(node, "seLinuxOptions", path)? else {
        return Ok(None);
    };
    let p = Path::Key(path, "seLinuxOptions");
    Ok(Some(SeLinuxOptions {
        user: opt_str(s, "user", &p)?.unwrap_or_default(),
        role: opt_str(s, "role", &p)?.unwrap_or_default(),
        type_: opt_str(s, "type", &p)?.unwrap_or_default(),
        level: opt_str(s, "level", &p)?.unwrap_or_default(),
    }))
}

fn app_armor(node: &Node, path: &Path) -> Result<Option<AppArmorProfile>, FieldError> {
    Ok(match opt_map(node, "appArmorProfile", path)? {
        Some(s) => Some(AppArmorProfile {
            type_: opt_str(s, "type", &Path::Key(path, "appArmorProfile"))?.unwrap_or_default(),
        }),
        None => None,
    })
}

fn windows(node: &Node, path: &Path) -> Result<Option<WindowsOptions>, FieldError> {
    Ok(match opt_map(node, "windowsOptions", path)? {
        Some(w) => Some(WindowsOptions {
            host_process: opt_bool(w, "hostProcess", &Path::Key(path, "windowsOptions"))?,
        }),
        None => None,
    })
}

fn pod_security_context(sc: &Node, path: &Path) -> Result<PodSecurityContext, FieldError> {
    let sp = Path::Key(path, "sysctls");
    let sysctls = opt_seq(sc, "sysctls", path)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let ip = Path::Index(&sp, i);
            expect_map(s, &ip)?;
            Ok(opt_str(s, "name", &ip)?.unwrap_or_default())
        })
        .collect::<Result<_, FieldError>>()?;
    Ok(PodSecurityContext {
        run_as_non_root: opt_bool(sc, "runAsNonRoot", path)?,
        run_as_user: opt_int(sc, "runAsUser", path)?,
        seccomp_profile: seccomp(sc, path)?,
        se_linux_options: se_linux(sc, path)?,
        app_armor_profile: app_armor(sc, path)?,
        windows_options: windows(sc, path)?,
        sysctls,
        // Any value counts: the field does not exist, whatever it says.
        read_only_root_filesystem_written: child(sc, "readOnlyRootFilesystem").is_some(),
    })
}

fn security_context(sc: &Node, path: &Path) -> Result<SecurityContext, FieldError> {
    let capabilities = match opt_map(sc, "capabilities", path)? {
        Some(c) => {
            let p = Path::Key(path, "capabilities");
            Some(Capabilities {
                add: str_list(c, "add", &p)?,
                drop: str_list(c, "drop", &p)?,
            })
        }
        None => None,
    };
    Ok(SecurityContext {
        privileged: opt_bool(sc, "privileged", path)?,
        allow_privilege_escalation: opt_bool(sc, "allowPrivilegeEscalation", path)?,
        read_only_root_filesystem: opt_bool(sc, "readOnlyRootFilesystem", path)?,
        capabilities,
        proc_mount: opt_str(sc, "procMount", path)?,
        run_as_non_root: opt_bool(sc, "runAsNonRoot", path)?,
        run_as_user: opt_int(sc, "runAsUser", path)?,
        seccomp_profile: seccomp(sc, path)?,
        se_linux_options: se_linux(sc, path)?,
        app_armor_profile: app_armor(sc, path)?,
        windows_options: windows(sc, path)?,
    })
}

/// The `host` of a probe or lifecycle handler's httpGet and tcpSocket.
/// The hosts of one handler; `field` is the handler's path below the
/// container (`["livenessProbe"]`, `["lifecycle", "preStop"]`).
fn handler_hosts(
    handler: &Node,
    path: &Path,
    field: &[&'static str],
    out: &mut Vec<ProbeHost>,
) -> Result<(), FieldError> {
    for kind in ["httpGet", "tcpSocket"] {
        if let Some(h) = opt_map(handler, kind, path)?
            && let Some(host) = opt_str(h, "host", &Path::Key(path, kind))?
        {
            let mut field = field.to_vec();
            field.extend([kind, "host"]);
            out.push(ProbeHost { host, field });
        }
    }
    Ok(())
}

fn container(c: &Node, path: &Path) -> Result<Container, FieldError> {
    expect_map(c, path)?;
    // The API requires a name, but fragments and test fixtures often leave
    // it out; judging the container anyway is more useful than refusing.
    let name = opt_str(c, "name", path)?.unwrap_or_default();
    let pp = Path::Key(path, "ports");
    let host_ports = opt_seq(c, "ports", path)?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ip = Path::Index(&pp, i);
            expect_map(p, &ip)?;
            Ok(opt_int32(p, "hostPort", &ip)?.unwrap_or(0))
        })
        .collect::<Result<_, FieldError>>()?;
    let security_context = match opt_map(c, "securityContext", path)? {
        Some(sc) => Some(security_context(sc, &Path::Key(path, "securityContext"))?),
        None => None,
    };
    let mut probe_hosts = Vec::new();
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = opt_map(c, probe, path)? {
            handler_hosts(p, &Path::Key(path, probe), &[probe], &mut probe_hosts)?;
        }
    }
    if let Some(lc) = opt_map(c, "lifecycle", path)? {
        let lp = Path::Key(path, "lifecycle");
        for hook in ["postStart", "preStop"] {
            if let Some(h) = opt_map(lc, hook, &lp)? {
                handler_hosts(
                    h,
                    &Path::Key(&lp, hook),
                    &["lifecycle", hook],
                    &mut probe_hosts,
                )?;
            }
        }
    }
    let mp = Path::Key(path, "volumeMounts");
    let volume_mounts = opt_seq(c, "volumeMounts", path)?
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let ip = Path::Index(&mp, i);
            expect_map(m, &ip)?;
            Ok(VolumeMount {
                name: opt_str(m, "name", &ip)?.unwrap_or_default(),
                mount_path: opt_str(m, "mountPath", &ip)?.unwrap_or_default(),
                read_only: opt_bool(m, "readOnly", &ip)?.unwrap_or(false),
                sub_path: opt_str(m, "subPath", &ip)?,
            })
        })
        .collect::<Result<_, FieldError>>()?;
    let dp = Path::Key(path, "volumeDevices");
    let volume_devices = opt_seq(c, "volumeDevices", path)?
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let ip = Path::Index(&dp, i);
            expect_map(d, &ip)?;
            Ok(VolumeDevice {
                name: opt_str(d, "name", &ip)?.unwrap_or_default(),
                device_path: opt_str(d, "devicePath", &ip)?.unwrap_or_default(),
            })
        })
        .collect::<Result<_, FieldError>>()?;
    let memory_limit = memory_limit(c, path)?;
    Ok(Container {
        name,
        image: opt_str(c, "image", path)?,
        host_ports,
        security_context,
        probe_hosts,
        volume_mounts,
        volume_devices,
        memory_limit,
    })
}

/// `resources.limits.memory` of a container or (pod-level resources) of
/// a pod spec.
fn memory_limit(node: &Node, path: &Path) -> Result<Option<String>, FieldError> {
    let Some(r) = opt_map(node, "resources", path)? else {
        return Ok(None);
    };
    let rp = Path::Key(path, "resources");
    match opt_map(r, "limits", &rp)? {
        Some(l) => opt_quantity(l, "memory", &Path::Key(&rp, "limits")),
        None => Ok(None),
    }
}

fn volume(v: &Node, path: &Path) -> Result<Volume, FieldError> {
    expect_map(v, path)?;
    let mut out = Volume {
        name: opt_str(v, "name", path)?.unwrap_or_default(),
        ..Default::default()
    };
    for e in v.as_map().unwrap_or_default() {
        if e.key == "name" || is_null(&e.value) || !VOLUME_SOURCES.contains(&e.key.as_str()) {
            continue;
        }
        let sp = Path::Key(path, &e.key);
        expect_map(&e.value, &sp)?;
        out.sources.push(e.key.clone());
        if READ_ONLY_SOURCES.contains(&e.key.as_str())
            && opt_bool(&e.value, "readOnly", &sp)? == Some(true)
        {
            out.source_read_only = true;
        }
        match e.key.as_str() {
            "emptyDir" => {
                out.empty_dir_medium = opt_str(&e.value, "medium", &sp)?;
                out.empty_dir_size_limit = opt_quantity(&e.value, "sizeLimit", &sp)?;
            }
            "hostPath" => out.host_path = opt_str(&e.value, "path", &sp)?,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::tree::parse_documents;

    fn pod_of(text: &str) -> Result<Pod, FieldError> {
        let docs = parse_documents(text, 0, &Limits::default(), &|_| true).unwrap();
        pod(docs[0].root.as_ref().unwrap(), &Path::Root(""))
    }

    /// Block devices are read (fix must not mount at their paths), and a
    /// device that is not a mapping is an error naming its field.
    #[test]
    fn volume_devices_are_read() {
        let p = pod_of(
            "spec:\n  containers: [{name: a, volumeDevices: [{name: b, devicePath: /dev/xvdb}]}]\n",
        )
        .unwrap();
        assert_eq!(
            p.spec.containers[0].volume_devices,
            vec![VolumeDevice {
                name: "b".into(),
                device_path: "/dev/xvdb".into()
            }]
        );
        let e = pod_of("spec:\n  containers: [{name: a, volumeDevices: [x]}]\n").unwrap_err();
        assert_eq!(e.field, "spec.containers[0].volumeDevices[0]");
    }

    /// A null item of a string list is the API server's "" (Go's decoder
    /// gives it the zero value), not an input error; any other non-string
    /// item still is one.
    #[test]
    fn a_null_capability_is_the_empty_string() {
        let p = pod_of(
            "spec:\n  containers: [{name: a, securityContext: {capabilities: {add: [null, NET_RAW], drop: [ALL, ~]}}}]\n",
        )
        .unwrap();
        let caps = p.spec.containers[0]
            .security_context
            .as_ref()
            .and_then(|s| s.capabilities.as_ref())
            .unwrap();
        assert_eq!(caps.add, ["", "NET_RAW"]);
        assert_eq!(caps.drop, ["ALL", ""]);
        let e = pod_of(
            "spec:\n  containers: [{name: a, securityContext: {capabilities: {add: [[x]]}}}]\n",
        )
        .unwrap_err();
        assert_eq!(
            e.field,
            "spec.containers[0].securityContext.capabilities.add[0]"
        );
    }

    #[test]
    fn a_quantity_that_is_none_is_an_error() {
        let e = pod_of(
            "spec:\n  volumes: [{name: t, emptyDir: {medium: Memory, sizeLimit: abc}}]\n  containers: [{name: a}]\n",
        )
        .unwrap_err();
        assert_eq!(e.field, "spec.volumes[0].emptyDir.sizeLimit");
        let e = pod_of("spec:\n  containers: [{name: a, resources: {limits: {memory: 12XB}}}]\n")
            .unwrap_err();
        assert_eq!(e.field, "spec.containers[0].resources.limits.memory");
        assert!(
            pod_of("spec:\n  containers: [{name: a, resources: {limits: {memory: 1e9}}}]\n")
                .is_ok()
        );
        // An integer written in another base or with `_` reaches the API
        // server as its decimal digits (kubectl goes through JSON).
        let memory = |v: &str| {
            pod_of(&format!(
                "spec:\n  containers: [{{name: a, resources: {{limits: {{memory: {v}}}}}}}]\n"
            ))
            .map(|p| p.spec.containers[0].memory_limit.clone())
        };
        assert_eq!(memory("0x10").unwrap().as_deref(), Some("16"));
        assert_eq!(memory("1_000").unwrap().as_deref(), Some("1000"));
        assert_eq!(memory("0x0").unwrap().as_deref(), Some("0"));
        assert_eq!(memory("64Mi").unwrap().as_deref(), Some("64Mi"));
    }

    #[test]
    fn read_only_is_believed_only_where_the_source_type_has_it() {
        let p = pod_of(
            "spec:\n  volumes:\n  - {name: e, emptyDir: {readOnly: true}}\n  - {name: h, hostPath: {path: /x, readOnly: true}}\n  - {name: c, persistentVolumeClaim: {claimName: c, readOnly: true}}\n  - {name: s, csi: {driver: d, readOnly: true}}\n  - {name: nf, nfs: {server: s, path: /, readOnly: false}}\n  containers: [{name: a}]\n",
        )
        .unwrap();
        let ro: Vec<(&str, bool)> = p
            .spec
            .volumes
            .iter()
            .map(|v| (v.name.as_str(), v.source_read_only))
            .collect();
        assert_eq!(
            ro,
            [
                ("e", false),
                ("h", false),
                ("c", true),
                ("s", true),
                ("nf", false)
            ]
        );
    }

    #[test]
    fn reads_the_fields_the_checks_need() {
        let p = pod_of(
            "metadata: {name: web, annotations: {a: b}}\nspec:\n  hostNetwork: yes\n  securityContext: {runAsNonRoot: true, sysctls: [{name: kernel.x, value: '1'}]}\n  volumes:\n  - name: tmp\n    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n  - name: none\n  containers:\n  - name: app\n    ports: [{containerPort: 80, hostPort: 8080}]\n    securityContext:\n      readOnlyRootFilesystem: true\n      capabilities: {drop: [ALL]}\n    livenessProbe: {httpGet: {host: example.com, port: 80}}\n    volumeMounts: [{name: tmp, mountPath: /tmp}]\n    resources: {limits: {memory: 128Mi}}\n",
        )
        .unwrap();
        assert_eq!(p.name, "web");
        assert!(p.spec.host_network);
        assert_eq!(
            p.spec.security_context.as_ref().unwrap().sysctls,
            vec!["kernel.x"]
        );
        assert_eq!(
            p.spec.volumes[0].empty_dir_size_limit.as_deref(),
            Some("64Mi")
        );
        assert!(p.spec.volumes[1].sources.is_empty());
        let c = &p.spec.containers[0];
        assert_eq!(c.host_ports, vec![8080]);
        assert_eq!(
            c.probe_hosts,
            vec![ProbeHost {
                host: "example.com".into(),
                field: vec!["livenessProbe", "httpGet", "host"],
            }]
        );
        assert_eq!(c.sc().unwrap().read_only_root_filesystem, Some(true));
        assert_eq!(c.memory_limit.as_deref(), Some("128Mi"));
    }

    #[test]
    fn wrong_types_name_the_field_and_line() {
        let e = pod_of("spec:\n  containers:\n  - name: app\n    securityContext:\n      readOnlyRootFilesystem: \"true\"\n").unwrap_err();
        assert_eq!(
            e.field,
            "spec.containers[0].securityContext.readOnlyRootFilesystem"
        );
        assert_eq!(e.line, 5);
        assert!(e.message.contains("expected a boolean"), "{}", e.message);
        assert!(e.message.contains("string \"true\""), "{}", e.message);
        assert!(!e.message.contains("Helm"), "{}", e.message);
        // A quoted template action: the message says what the file is.
        let e = pod_of("spec:\n  containers:\n  - name: app\n    securityContext:\n      privileged: \"{{ .Values.p }}\"\n").unwrap_err();
        assert!(
            e.message.starts_with("expected a boolean (true or false), found string \"{{ .Values.p }}\"; this looks like an unrendered Helm template"),
            "{}",
            e.message
        );
        let e = pod_of("spec:\n  containers: {name: x}\n").unwrap_err();
        assert_eq!(e.field, "spec.containers");
        let e = pod_of("spec:\n  containers:\n  - name: [x]\n").unwrap_err();
        assert_eq!(e.field, "spec.containers[0].name");
        let e = pod_of("metadata:\n  annotations:\n    x: true\nspec: {}\n").unwrap_err();
        assert_eq!(e.field, "metadata.annotations.x");
    }

    /// kubectl reads YAML through JSON (sigs.k8s.io/yaml): `1000.0` and
    /// `1e3` become the float 1000, printed `1000`, and the API server reads
    /// that into an integer field. A float that is not a whole number, or
    /// does not fit an int64, stays an error there and here.
    #[test]
    fn whole_floats_are_integers_as_kubectl_sends_them() {
        let user = |v: &str| {
            pod_of(&format!(
                "spec:\n  securityContext: {{runAsUser: {v}}}\n  containers: []\n"
            ))
            .map(|p| p.spec.security_context.unwrap().run_as_user)
        };
        assert_eq!(user("1000.0").unwrap(), Some(1000));
        assert_eq!(user("1e3").unwrap(), Some(1000));
        assert_eq!(user("1_000.0").unwrap(), Some(1000));
        assert_eq!(user("-0.0").unwrap(), Some(0));
        assert_eq!(user("!!float 5").unwrap(), Some(5));
        for bad in [
            "80.5",
            "1e-3",
            "1e19",
            "9223372036854775808.0",
            ".inf",
            ".nan",
        ] {
            let e = user(bad).unwrap_err();
            assert_eq!(e.field, "spec.securityContext.runAsUser", "{bad}");
            assert_eq!(e.line, 2, "{bad}");
            assert!(
                e.message.starts_with("expected an integer"),
                "{bad}: {}",
                e.message
            );
        }
        // The number as written, so the message says which value is wrong.
        let e = user("80.5").unwrap_err();
        assert_eq!(e.message, "expected an integer, found number 80.5");
        let p = pod_of("spec:\n  containers:\n  - ports: [{hostPort: 8.08e3}]\n").unwrap();
        assert_eq!(p.spec.containers[0].host_ports, vec![8080]);
    }

    #[test]
    fn pod_level_memory_limit_is_read_and_type_checked() {
        let p =
            pod_of("spec:\n  resources: {limits: {memory: 256Mi}}\n  containers: []\n").unwrap();
        assert_eq!(p.spec.memory_limit.as_deref(), Some("256Mi"));
        let e = pod_of("spec:\n  resources:\n    limits: {memory: lots}\n  containers: []\n")
            .unwrap_err();
        assert_eq!(e.field, "spec.resources.limits.memory");
        assert_eq!(e.line, 3);
    }

    /// `hostPort` is an int32 in the API: the API server's decoder refuses
    /// a value outside it, so a finding about it would be one PSA never gives.
    #[test]
    fn an_int32_field_out_of_range_is_an_error() {
        let port = |v: &str| {
            pod_of(&format!(
                "spec:\n  containers:\n  - ports: [{{hostPort: {v}}}]\n"
            ))
            .map(|p| p.spec.containers[0].host_ports.clone())
        };
        assert_eq!(port("2147483647").unwrap(), vec![2147483647]);
        assert_eq!(port("-2147483648").unwrap(), vec![-2147483648]);
        for bad in ["2147483648", "4294967376", "-2147483649", "1e10"] {
            let e = port(bad).unwrap_err();
            assert_eq!(e.field, "spec.containers[0].ports[0].hostPort", "{bad}");
            assert_eq!(e.line, 3, "{bad}");
            assert!(
                e.message.starts_with("expected a 32-bit integer"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn pod_level_read_only_root_filesystem_is_noticed() {
        let p =
            pod_of("spec:\n  securityContext: {readOnlyRootFilesystem: true}\n  containers: []\n")
                .unwrap();
        assert!(
            p.spec
                .security_context
                .unwrap()
                .read_only_root_filesystem_written
        );
    }
}
