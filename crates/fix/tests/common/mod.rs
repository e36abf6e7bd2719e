//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rootlock_fix::edits::Options;
use rootlock_fix::fixer::WorkloadFix;
use rootlock_fix::{Outcome, Settings, fix_text};
use rootlock_manifest::{Limits, read_stream, workloads};
use rootlock_policy::{LevelVersion, Severity, evaluate};
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn settings(level: &str) -> Settings {
    let lv = LevelVersion::parse(level).unwrap();
    Settings {
        options: Options {
            level: lv.level,
            minor: lv.version.effective_minor(),
            force: false,
            writable: None,
        },
        level: lv,
        limits: Limits::default(),
    }
}

pub fn fix(name: &str, text: &str, s: &Settings) -> Outcome {
    fix_text(name, text, false, s)
}

/// A Deployment "web" with two containers, `app` and `side`, and nothing
/// mounted.
pub const TWO_CONTAINERS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
      - name: side
        image: side:1
";

/// Fixes `text`, which must change, checks the result against the API
/// server's rules and that a second fix changes nothing; gives the outcome.
pub fn fix_validly(name: &str, text: &str, s: &rootlock_fix::Settings) -> rootlock_fix::Outcome {
    let out = fix(name, text, s);
    assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
    let fixed = out.fixed.as_deref().expect("something to fix");
    assert_api_valid(name, text, fixed);
    let again = fix(name, fixed, s);
    assert!(
        again.fixed.is_none() && again.errors.is_empty(),
        "{name}: {again:?}"
    );
    out
}

/// Every YAML/JSON file below `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir(dir);
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
    out
}

/// Checks that `new` only adds to `old`: the longest common sequence of
/// lines keeps every old line but those the fix changed in place, and each
/// of those is still in the output with text only inserted into it (a flow
/// collection or JSON member that gained a neighbour) and its indentation
/// kept. Returns how many lines changed in place.
pub fn assert_insert_only(name: &str, old: &str, new: &str) -> usize {
    use similar::{DiffOp, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    // Lines as similar splits them: at a lone `\r` too, as YAML does.
    let old_lines: Vec<&str> = rootlock_manifest::line_breaks::split_inclusive(old).collect();
    let new_lines: Vec<&str> = rootlock_manifest::line_breaks::split_inclusive(new).collect();
    let mut lost: Vec<&str> = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal { .. } => {}
            DiffOp::Insert {
                new_index, new_len, ..
            } => added.extend(&new_lines[new_index..new_index + new_len]),
            DiffOp::Delete {
                old_index, old_len, ..
            } => lost.extend(&old_lines[old_index..old_index + old_len]),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                lost.extend(&old_lines[old_index..old_index + old_len]);
                added.extend(&new_lines[new_index..new_index + new_len]);
            }
        }
    }
    for o in &lost {
        let indent = &o[..o.len() - o.trim_start().len()];
        let kept = added
            .iter()
            .any(|n| n.len() > o.len() && n.starts_with(indent) && is_subsequence(o, n));
        assert!(
            kept,
            "{name}: line {o:?} was changed other than by insertion"
        );
    }
    lost.len()
}

fn is_subsequence(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.any(|d| d == c))
}

/// Rescans `text` with the library and returns targeted error findings on
/// changed workloads that the fix did not report as kept on purpose.
pub fn unexplained_findings(
    name: &str,
    text: &str,
    fixes: &[WorkloadFix],
    level: LevelVersion,
) -> Vec<String> {
    use rootlock_fix::verify::TARGETED;
    let mut found = Vec::new();
    let errors = read_stream(text.as_bytes(), name, &Limits::default(), |doc| {
        if let Some(root) = &doc.document.root {
            found.extend(workloads(root).map_err(|e| e.into_input_error(name))?);
        }
        Ok(())
    });
    assert!(
        errors.is_empty(),
        "{name}: output does not read back: {errors:?}"
    );
    assert_eq!(found.len(), fixes.len(), "{name}: workload count changed");
    let mut out = Vec::new();
    for (w, f) in found.iter().zip(fixes) {
        if f.ops.is_empty() {
            continue;
        }
        let ex = w.exemptions();
        for finding in evaluate(&w.pod, level, Some(&ex)).findings {
            if finding.severity != Severity::Error || !TARGETED.contains(&finding.rule) {
                continue;
            }
            let cname = finding.container.as_ref().map(|c| c.name.clone());
            let kept = f
                .kept
                .iter()
                .any(|(r, who)| *r == finding.rule && (who.is_none() || *who == cname));
            if !kept {
                out.push(format!(
                    "{name}:{}: {} {}",
                    w.line, finding.rule, finding.message
                ));
            }
        }
    }
    out
}

/// Keys the fix may add, anywhere.
const ADDED_KEYS: &[&str] = &[
    "securityContext",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities",
    "drop",
    "seccompProfile",
    "type",
    "runAsNonRoot",
    "volumeMounts",
    "volumes",
];

/// Parses both texts with a different YAML library (serde_norway) and checks
/// that the output holds the input's data plus only the fix's additions.
pub fn assert_only_additions(name: &str, old: &str, new: &str) {
    use serde::Deserialize;
    let docs = |t: &str| -> Result<Vec<serde_norway::Value>, String> {
        serde_norway::Deserializer::from_str(t)
            .map(|d| serde_norway::Value::deserialize(d).map_err(|e| e.to_string()))
            .collect()
    };
    let (Ok(a), Ok(b)) = (docs(old), docs(new)) else {
        // The other library cannot read this input: nothing to compare with.
        assert_eq!(
            docs(old).is_ok(),
            docs(new).is_ok(),
            "{name}: parseability changed"
        );
        return;
    };
    assert_eq!(a.len(), b.len(), "{name}: document count changed");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if let Err(e) = contains(x, y, &format!("doc{i}")) {
            panic!("{name}: {e}");
        }
    }
}

fn contains(old: &serde_norway::Value, new: &serde_norway::Value, at: &str) -> Result<(), String> {
    use serde_norway::Value as V;
    match (old, new) {
        (V::Mapping(a), V::Mapping(b)) => {
            for (k, v) in a {
                let key = k.as_str().unwrap_or("?");
                let Some(w) = b.get(k) else {
                    return Err(format!("{at}.{key} vanished"));
                };
                contains(v, w, &format!("{at}.{key}"))?;
            }
            for (k, _) in b {
                if !a.contains_key(k) {
                    let key = k.as_str().unwrap_or("?");
                    if !ADDED_KEYS.contains(&key) {
                        return Err(format!("{at}.{key} was added"));
                    }
                }
            }
            Ok(())
        }
        (V::Sequence(a), V::Sequence(b)) => {
            if b.len() < a.len() {
                return Err(format!("{at}: items vanished"));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                contains(x, y, &format!("{at}[{i}]"))?;
            }
            for extra in &b[a.len()..] {
                let ok = match extra {
                    V::String(s) => s == "ALL",
                    V::Mapping(m) => m
                        .get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| n.starts_with("rootlock-")),
                    _ => false,
                };
                if !ok {
                    return Err(format!("{at}: unexpected item {extra:?} added"));
                }
            }
            Ok(())
        }
        (V::Null, V::Mapping(_) | V::Sequence(_)) => Ok(()),
        (x, y) if x == y => Ok(()),
        (x, y) => Err(format!("{at}: {x:?} became {y:?}")),
    }
}

/// Checks what the API server's object validation asks of the fix's
/// output that the data comparison cannot see: per pod spec, volume names
/// unique and every mount naming one of them, mountPaths unique per
/// container and none at a `devicePath` or of a volume in `volumeDevices`
/// of the same container (ValidateVolumeMounts), and no container with
/// `allowPrivilegeEscalation: false` next to `privileged: true` or an
/// added `CAP_SYS_ADMIN` ("cannot set
/// `allowPrivilegeEscalation` to false and `privileged` to true"), no
/// `seccompProfile` that differs from the seccomp annotation of its pod or
/// container ("seccomp type in annotation and field must match"). Judged
/// only where `old` did not already break the rule (the fix keeps what it
/// is given). Both texts are read with serde_norway; a text it cannot read
/// is not judged here.
pub fn assert_api_valid(name: &str, old: &str, new: &str) {
    let (Some(before), Some(after)) = (api_problems(old), api_problems(new)) else {
        return;
    };
    let added: Vec<&String> = after.iter().filter(|p| !before.contains(p)).collect();
    assert!(
        added.is_empty(),
        "{name}: the fix made what the API server refuses: {added:#?}"
    );
}

fn api_problems(text: &str) -> Option<Vec<String>> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for (i, d) in serde_norway::Deserializer::from_str(text).enumerate() {
        let v = serde_norway::Value::deserialize(d).ok()?;
        pod_specs(&v, &format!("doc{i}"), &mut out);
    }
    Some(out)
}

/// Walks `v` for objects whose `spec` holds `containers` (pods and pod
/// templates) and judges each.
fn pod_specs(v: &serde_norway::Value, at: &str, out: &mut Vec<String>) {
    use serde_norway::Value as V;
    match v {
        V::Mapping(m) => {
            if let Some(spec) = m.get("spec")
                && spec.get("containers").is_some()
            {
                judge_pod_spec(spec, &format!("{at}.spec"), out);
                judge_seccomp_annotations(m.get("metadata"), spec, at, out);
            }
            for (k, x) in m {
                pod_specs(x, &format!("{at}.{}", k.as_str().unwrap_or("?")), out);
            }
        }
        V::Sequence(s) => {
            for (i, x) in s.iter().enumerate() {
                pod_specs(x, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn judge_pod_spec(spec: &serde_norway::Value, at: &str, out: &mut Vec<String>) {
    let items = |v: Option<&serde_norway::Value>| -> Vec<serde_norway::Value> {
        v.and_then(|x| x.as_sequence()).cloned().unwrap_or_default()
    };
    let str_of =
        |v: &serde_norway::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    let mut volumes = std::collections::HashSet::new();
    for v in items(spec.get("volumes")) {
        if let Some(n) = str_of(&v, "name")
            && !volumes.insert(n.clone())
        {
            out.push(format!("{at}: two volumes named {n}"));
        }
    }
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items(spec.get(field)) {
            let who = format!("{at}.{field}[{}]", str_of(&c, "name").unwrap_or_default());
            let devices = items(c.get("volumeDevices"));
            let device_names: Vec<String> =
                devices.iter().filter_map(|d| str_of(d, "name")).collect();
            let device_paths: Vec<String> = devices
                .iter()
                .filter_map(|d| str_of(d, "devicePath"))
                .collect();
            let mut paths = std::collections::HashSet::new();
            for m in items(c.get("volumeMounts")) {
                if let Some(p) = str_of(&m, "mountPath")
                    && !paths.insert(p.clone())
                {
                    out.push(format!("{who}: two mounts at {p}"));
                }
                // ValidateVolumeMounts: a mount neither at a devicePath
                // nor of a volume mapped as a device, in one container.
                if let Some(p) = str_of(&m, "mountPath")
                    && device_paths.contains(&p)
                {
                    out.push(format!("{who}: a mount at the devicePath {p}"));
                }
                if let Some(n) = str_of(&m, "name")
                    && device_names.contains(&n)
                {
                    out.push(format!("{who}: a mount of {n}, also in volumeDevices"));
                }
                if let Some(n) = str_of(&m, "name")
                    && !volumes.contains(&n)
                {
                    out.push(format!("{who}: mount of a volume {n} that is not there"));
                }
            }
            let sc = c.get("securityContext");
            let flag = |k: &str| sc.and_then(|s| s.get(k)).and_then(|x| x.as_bool());
            let sys_admin = items(
                sc.and_then(|s| s.get("capabilities"))
                    .and_then(|x| x.get("add")),
            )
            .iter()
            .any(|x| x.as_str() == Some("CAP_SYS_ADMIN"));
            // Not the API server's but the kubelet's refusal, as sure:
            // a container that runs as uid 0 under runAsNonRoot: true
            // never starts ("runAsUser breaks non-root policy").
            let pod_sc = spec.get("securityContext");
            let either = |k: &str| {
                sc.and_then(|s| s.get(k))
                    .or_else(|| pod_sc.and_then(|s| s.get(k)))
            };
            if either("runAsNonRoot").and_then(|x| x.as_bool()) == Some(true)
                && either("runAsUser").and_then(|x| x.as_i64()) == Some(0)
            {
                out.push(format!("{who}: runAsNonRoot: true with runAsUser: 0"));
            }
            if flag("allowPrivilegeEscalation") == Some(false)
                && (flag("privileged") == Some(true) || sys_admin)
            {
                out.push(format!(
                    "{who}: allowPrivilegeEscalation: false with privileged: true or CAP_SYS_ADMIN"
                ));
            }
        }
    }
}

/// The API server's check that a `seccompProfile` and the deprecated
/// annotation for the same pod or container agree.
fn judge_seccomp_annotations(
    meta: Option<&serde_norway::Value>,
    spec: &serde_norway::Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let annotation = |key: &str| {
        meta.and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    let mut judge = |who: String, key: String, sc: Option<&serde_norway::Value>| {
        let Some(profile) = sc.and_then(|s| s.get("seccompProfile")) else {
            return;
        };
        let Some(value) = annotation(&key) else {
            return;
        };
        let kind = profile.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let local = profile.get("localhostProfile").and_then(|t| t.as_str());
        let agrees = match kind {
            "Unconfined" => value == "unconfined",
            "RuntimeDefault" => value == "runtime/default" || value == "docker/default",
            "Localhost" => value
                .strip_prefix("localhost/")
                .is_some_and(|p| Some(p) == local),
            _ => true,
        };
        if !agrees {
            out.push(format!(
                "{who}: seccompProfile {kind} and annotation {key}={value}"
            ));
        }
    };
    judge(
        format!("{at}.spec"),
        "seccomp.security.alpha.kubernetes.io/pod".into(),
        spec.get("securityContext"),
    );
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        let items = spec
            .get(field)
            .and_then(|x| x.as_sequence())
            .cloned()
            .unwrap_or_default();
        for c in &items {
            let name = c.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            judge(
                format!("{at}.spec.{field}[{name}]"),
                format!("container.seccomp.security.alpha.kubernetes.io/{name}"),
                c.get("securityContext"),
            );
        }
    }
}
