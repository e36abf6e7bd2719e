//! Which objects are workloads and where their pod template is.

use crate::error::FieldError;
use crate::extract::{self, Path, child, opt_map, opt_seq, opt_str};
use crate::tree::Node;
use rootlock_policy::{Exemptions, FieldPath, Finding, Origin, Pod, Seg};

/// Kinds that are, or carry, a pod template — with the path to the template.
pub const WORKLOAD_KINDS: &[(&str, &[&str])] = &[
    ("Pod", &[]),
    ("Deployment", &["spec", "template"]),
    ("ReplicaSet", &["spec", "template"]),
    ("StatefulSet", &["spec", "template"]),
    ("DaemonSet", &["spec", "template"]),
    ("Job", &["spec", "template"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template"]),
    ("ReplicationController", &["spec", "template"]),
    ("PodTemplate", &["template"]),
    ("DeploymentConfig", &["spec", "template"]),
];

/// API groups these kinds are served from; a `Deployment` of some other
/// group is a custom resource and not ours to judge. One with no
/// `apiVersion` at all names no other group: it is judged as the kind it
/// says it is (as a Pod without one always was), not passed over, which
/// would report nothing and exit 0 for a manifest that is only incomplete.
fn known_group(kind: &str, api_version: &str) -> bool {
    if api_version.is_empty() {
        return true;
    }
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    match kind {
        "Pod" | "ReplicationController" | "PodTemplate" => group.is_empty(),
        "Job" | "CronJob" => group == "batch",
        "DeploymentConfig" => group == "apps.openshift.io" || group.is_empty(),
        _ => matches!(group, "apps" | "extensions"),
    }
}

/// Whether a document of this top-level kind needs to be built at all.
pub fn interesting_kind(kind: &str) -> bool {
    kind.ends_with("List") || WORKLOAD_KINDS.iter().any(|(k, _)| *k == kind)
}

/// A workload object found in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Line of the object (for a List item, of the item).
    pub line: usize,
    /// Path from the document root to the object (`items[3]` in a List).
    pub object_path: FieldPath,
    /// Path from the object to its pod template (empty for a Pod).
    pub template_path: FieldPath,
    /// The pod (or the template as a pod).
    pub pod: Pod,
    /// The object's own annotations (for a Pod, the same as the pod's).
    pub annotations: Vec<(String, String)>,
}

impl Workload {
    /// The document path of a field given relative to the pod.
    pub fn document_path(&self, pod_relative: &FieldPath) -> FieldPath {
        self.path_from(Origin::Pod, pod_relative)
    }

    /// The document path of the field a finding points at: relative to the
    /// pod (template) for a check, or to the object itself for an exemption
    /// annotation written on a controller's own metadata.
    pub fn finding_path(&self, f: &Finding) -> FieldPath {
        self.path_from(f.origin, &f.path)
    }

    fn path_from(&self, origin: Origin, relative: &FieldPath) -> FieldPath {
        let mut segs = self.object_path.0.clone();
        if origin == Origin::Pod {
            segs.extend(self.template_path.0.iter().cloned());
        }
        segs.extend(relative.0.iter().cloned());
        FieldPath(segs)
    }

    /// Its exemption annotations, each with where it is written: the
    /// object's own, then its pod template's (the template's are the ones
    /// that reach the pods). A Pod's own annotations are its pod's, and are
    /// read once.
    pub fn exemptions(&self) -> Exemptions {
        let own: &[(String, String)] = if self.template_path.0.is_empty() {
            &[]
        } else {
            &self.annotations
        };
        let own = own
            .iter()
            .map(|(k, v)| (Origin::Object, k.as_str(), v.as_str()));
        let template = self
            .pod
            .annotations
            .iter()
            .map(|(k, v)| (Origin::Pod, k.as_str(), v.as_str()));
        Exemptions::from_annotations(own.chain(template))
    }
}

/// Finds the workloads in a document: the object itself, or the items of a
/// `List` (recursively). Other kinds give nothing.
pub fn workloads(root: &Node) -> Result<Vec<Workload>, FieldError> {
    let mut out = Vec::new();
    collect(
        root,
        FieldPath::default(),
        &Path::Root(""),
        0,
        None,
        &mut out,
    )?;
    Ok(out)
}

/// Deepest nesting of Lists in Lists that is read; deeper is an error.
const MAX_LIST_DEPTH: usize = 8;

/// `implied`: the kind and apiVersion a typed list (`PodList`,
/// `DeploymentList`, …) gives items that carry none, as the API server
/// sends them (`kubectl get --raw`, a saved API response).
fn collect(
    node: &Node,
    object_path: FieldPath,
    path: &Path,
    depth: usize,
    implied: Option<(&str, &str)>,
    out: &mut Vec<Workload>,
) -> Result<(), FieldError> {
    extract::expect_map(node, path)?;
    let mut kind = opt_str(node, "kind", path)?.unwrap_or_default();
    let mut api_version = opt_str(node, "apiVersion", path)?.unwrap_or_default();
    if let Some((k, v)) = implied
        && kind.is_empty()
    {
        kind = k.to_string();
        if api_version.is_empty() {
            api_version = v.to_string();
        }
    }
    if let Some(item_kind) = kind.strip_suffix("List")
        && child(node, "items").is_some()
    {
        if depth >= MAX_LIST_DEPTH {
            return Err(FieldError {
                line: node.line,
                column: node.column,
                field: path.render(),
                message: format!("Lists nested more than {MAX_LIST_DEPTH} deep are not read"),
            });
        }
        let implied = (!item_kind.is_empty()).then_some((item_kind, api_version.as_str()));
        let ip = Path::Key(path, "items");
        for (i, item) in opt_seq(node, "items", path)?.iter().enumerate() {
            let p = object_path.clone().key("items").index(i);
            collect(item, p, &Path::Index(&ip, i), depth + 1, implied, out)?;
        }
        return Ok(());
    }
    let Some((_, template)) = WORKLOAD_KINDS.iter().find(|(k, _)| *k == kind) else {
        return Ok(());
    };
    if !known_group(&kind, &api_version) {
        return Ok(());
    }
    let meta_path = Path::Key(path, "metadata");
    let meta = opt_map(node, "metadata", path)?;
    // Both fields are `omitempty` in the API: an empty string is stored as
    // absent (a `generateName` object has no name yet), so it is reported
    // as absent, never as a name that is "".
    let (name, namespace) = match meta {
        Some(m) => (
            opt_str(m, "name", &meta_path)?.filter(|s| !s.is_empty()),
            opt_str(m, "namespace", &meta_path)?.filter(|s| !s.is_empty()),
        ),
        None => (None, None),
    };
    let annotations = extract::annotations(meta, &meta_path)?;
    // Walk down to the template, typing each step.
    let mut at = node;
    let mut segs: Vec<String> = Vec::new();
    for key in template.iter() {
        let rendered = render_steps(path, &segs);
        let here = Path::Root(&rendered);
        match opt_map(at, key, &here)? {
            Some(next) => at = next,
            None => {
                segs.push((*key).to_string());
                return Err(FieldError {
                    line: at.line,
                    column: at.column,
                    field: render_steps(path, &segs),
                    message: "required field is missing".into(),
                });
            }
        }
        segs.push((*key).to_string());
    }
    let rendered = render_steps(path, &segs);
    let mut pod = extract::pod(at, &Path::Root(&rendered))?;
    if template.is_empty() {
        // A Pod: its own metadata.
    } else {
        // Templates rarely carry a name or namespace; the object's apply.
        pod.name = name.clone().unwrap_or_default();
        pod.namespace = namespace.clone();
    }
    out.push(Workload {
        api_version,
        kind: kind.clone(),
        name,
        namespace,
        line: node.line,
        object_path,
        template_path: FieldPath(
            template
                .iter()
                .map(|k| Seg::Key((*k).to_string()))
                .collect(),
        ),
        pod,
        annotations,
    });
    Ok(())
}

fn render_steps(base: &Path, steps: &[String]) -> String {
    let mut s = base.render();
    for step in steps {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(step);
    }
    s
}

/// The line of the deepest node that exists along `path`.
pub fn line_of(root: &Node, path: &FieldPath) -> usize {
    position_of(root, path).0
}

/// Where `path` is, as far as it exists: the line of the deepest key or item
/// found, and the (1-based) column where that node's value starts when it
/// starts on that line (a block map's value starts below its key).
pub fn position_of(root: &Node, path: &FieldPath) -> (usize, Option<usize>) {
    let mut node = root;
    let mut line = root.line;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => node
                .as_map()
                .and_then(|m| m.iter().find(|e| &e.key == k))
                .map(|e| (e.key_line, &e.value)),
            Seg::Index(i) => node.as_seq().and_then(|s| s.get(*i)).map(|n| (n.line, n)),
        };
        match next {
            Some((l, n)) => {
                line = l;
                node = n;
            }
            None => break,
        }
    }
    (line, (node.line == line).then_some(node.column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::tree::parse_documents;

    fn root(text: &str) -> Node {
        parse_documents(text, 0, &Limits::default(), &|_| true)
            .unwrap()
            .remove(0)
            .root
            .unwrap()
    }

    #[test]
    fn typed_list_items_without_kind_take_the_lists() {
        // As the API server sends a list (`kubectl get --raw /api/v1/pods`).
        let r = root(
            "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}},{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\"}}]}",
        );
        let w = workloads(&r).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].kind.as_str(), w[0].api_version.as_str()),
            ("Pod", "v1")
        );
        assert_eq!(w[0].pod.name, "p");
        // A plain List implies nothing: a kindless item is no workload.
        let r = root("kind: List\nitems:\n- spec: {containers: [{name: a}]}\n");
        assert!(workloads(&r).unwrap().is_empty());
    }

    #[test]
    fn lists_nested_too_deep_are_an_error_not_a_skip() {
        let mut text = String::from("{kind: Pod, apiVersion: v1, spec: {containers: [{name: a}]}}");
        for _ in 0..MAX_LIST_DEPTH {
            text = format!("{{kind: List, items: [{text}]}}");
        }
        assert_eq!(workloads(&root(&text)).unwrap().len(), 1);
        let deeper = format!("{{kind: List, items: [{text}]}}");
        let e = workloads(&root(&deeper)).unwrap_err();
        assert!(e.message.contains("nested more than 8"), "{e:?}");
    }

    #[test]
    fn finds_templates_of_every_kind() {
        let r = root(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: ns}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a}]\n",
        );
        let w = workloads(&r).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].pod.spec.containers[0].name, "a");
        assert_eq!(w[0].pod.name, "c");
        let p = w[0].document_path(&FieldPath::keys(&["spec", "containers"]).index(0));
        assert_eq!(
            p.to_string(),
            "spec.jobTemplate.spec.template.spec.containers[0]"
        );
        assert_eq!(line_of(&r, &p), 9);
        // `containers: [{name: a}]` on line 9: the item starts at column 24.
        assert_eq!(position_of(&r, &p), (9, Some(24)));
        // A block map's value starts below its key: no column on the key's line.
        assert_eq!(
            position_of(&r, &FieldPath::keys(&["spec", "jobTemplate"])),
            (5, None)
        );
    }

    #[test]
    fn lists_are_walked_and_other_kinds_skipped() {
        let r = root(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n  spec:\n    template:\n      spec: {containers: [{name: a}]}\n- apiVersion: example.com/v1\n  kind: Deployment\n  spec: {}\n",
        );
        let w = workloads(&r).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].object_path.to_string(), "items[1]");
        assert_eq!(w[0].line, 6);
    }

    /// Where each invalid exemption annotation is, as `finding_path`
    /// resolves it in the document.
    fn problem_paths(text: &str) -> Vec<String> {
        let r = root(text);
        let w = workloads(&r).unwrap().remove(0);
        let mut findings = Vec::new();
        w.exemptions().apply(&mut findings);
        findings
            .iter()
            .map(|f| w.finding_path(f).to_string())
            .collect()
    }

    #[test]
    fn an_exemption_problem_points_at_the_metadata_it_is_written_in() {
        let list = "kind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {annotations: {exempt.rootlock.dev/a: OWN}}\n  spec:\n    template:\n      metadata: {annotations: {exempt.rootlock.dev/a: TEMPLATE}}\n      spec: {containers: [{name: a}]}\n";
        let own = "items[0].metadata.annotations.exempt.rootlock.dev/a";
        let template = "items[0].spec.template.metadata.annotations.exempt.rootlock.dev/a";
        for (own_value, template_value, expected) in [
            ("privileged", "privileged", vec![own, template]),
            ("privileged", "noSuchRule: x", vec![own, template]),
            ("privileged", "privileged: why", vec![own]),
            ("privileged: why", "privileged", vec![template]),
        ] {
            let text = list
                .replace("OWN", &format!("{own_value:?}"))
                .replace("TEMPLATE", &format!("{template_value:?}"));
            assert_eq!(problem_paths(&text), expected, "{text}");
        }
        // A Pod's annotations are read once, as the pod's.
        assert_eq!(
            problem_paths(
                "apiVersion: v1\nkind: Pod\nmetadata: {annotations: {exempt.rootlock.dev/a: x}}\nspec: {containers: [{name: a}]}\n"
            ),
            ["metadata.annotations.exempt.rootlock.dev/a"]
        );
    }

    #[test]
    fn missing_template_is_an_error() {
        let r = root(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n",
        );
        let e = workloads(&r).unwrap_err();
        assert_eq!(e.field, "spec.template");
    }
}
