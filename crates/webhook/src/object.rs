//! A request's object, built while the AdmissionReview is parsed, straight
//! into the manifest tree the policy reads: one pass over the body, no
//! intermediate `serde_json::Value` (that detour was a third of a review's
//! CPU), and only the fields the extractor reads (building the tree was
//! most of the rest; a real pod carries `managedFields`, `status`,
//! tolerations, affinity, env, … that no decision reads).
//!
//! What is kept, by where it sits ([`Shape`]): the object's `kind`,
//! `apiVersion`, `metadata` (`name`, `namespace`, `labels`, `annotations`),
//! `spec`, `template` and a List's `items`; in a spec, the pod-level fields
//! the policy checks, the containers, and the way down to a template
//! (`template`, `jobTemplate`); in a container, what `extract::container`
//! reads; in a volume, its name and what is read of its source. Every
//! other kept field is built whole. The test below checks, over
//! every PSA fixture and the real corpus, that the extracted pods are
//! exactly those of the full tree. A value of an unexpected type is built
//! whole, so the extractor reports it as it would on the full tree.
//!
//! Mutation (as JSON via [`to_json`]) and the namespace checks read the
//! same slim tree: everything they read (`spec.os`, the volumes' names and
//! emptyDirs, `spec.nodeSelector`, the required node affinity, the
//! containers' `name`, `securityContext`, `volumeMounts` and
//! `volumeDevices`, the name and labels) is kept, and lists are never
//! shortened, so patch indexes stay right.

use rootlock_manifest::extract::{self, Path};
use rootlock_manifest::json::{NodeBudget, NodeSeed, json_from_node, map_node};
use rootlock_manifest::tree::{Entry, Node, Value};
use rootlock_policy::Pod;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Deepest nesting built: arrays and objects, from the object down.
pub const MAX_DEPTH: usize = 64;

/// Most values kept of one object. A real pod keeps a few hundred to a few
/// thousand: a hundred containers with ports, mounts, probes and resources
/// keep about 15,000. Everything a review builds grows with them (the tree,
/// the pod model, the findings, a denial naming every container): a 7 MiB
/// pod of 212,796 one-line containers (640,000 values) peaked at 405 MB
/// before this bound, and six at once at 944 MB, so one user allowed to
/// create pods could take the webhook past its memory limit, and with
/// `failurePolicy: Fail` every pod creation with it. Past the bound the
/// review is a 400 naming it. At the bound (release build, 2026-11-30) one
/// review peaked at 59 MB of RSS, eight at once at 91 MB.
pub const MAX_NODES: usize = 20_000;

/// Longest container name kept: Kubernetes names a container with a DNS
/// label (RFC 1123), at most 63 bytes, and the API server refuses a longer
/// one before any validating webhook sees the pod.
pub const MAX_CONTAINER_NAME: usize = 63;

/// A container's name is echoed by every reason the container fails, in
/// the denial, the warnings and the audit annotation (PSA's format): with
/// names of any length, 1,000 containers named by 6,500 bytes each (a
/// 6.8 MB pod, inside the node bound) made a 65 MB response and peaked at
/// 505 MB. Only `/mutate` (before the API server validates) or a client
/// reaching the Service directly can send a longer name, so such an object
/// is a 400, like one past [`MAX_NODES`]. A name of another type is left
/// to the extractor, which reports it as on the full tree.
fn container_name_fits<E: de::Error>(name: &Node) -> Result<(), E> {
    match name.as_scalar() {
        Some(s) if !s.plain && s.text.len() > MAX_CONTAINER_NAME => Err(E::custom(format_args!(
            "container name longer than {MAX_CONTAINER_NAME} bytes ({} bytes): Kubernetes names a container with a DNS label",
            s.text.len()
        ))),
        _ => Ok(()),
    }
}

/// `deserialize_with` for `object`/`oldObject`: `null` or absent is `None`.
pub fn deserialize_slim<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Node>, D::Error> {
    d.deserialize_option(Optional)
}

/// The slim tree of one object given as JSON text.
pub fn slim_from_str(text: &str) -> Result<Option<Node>, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let n = deserialize_slim(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(n)
}

/// The slim object as JSON, for code that edits it as JSON (mutation).
pub fn to_json(n: &Node) -> serde_json::Value {
    json_from_node(n)
}

/// The pod of a slim tree; the error names the field.
pub fn pod_from_node(n: &Node) -> Result<Pod, String> {
    extract::pod(n, &Path::Root("")).map_err(|e| {
        if e.field.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.field, e.message)
        }
    })
}

struct Optional;

impl<'de> Visitor<'de> for Optional {
    type Value = Option<Node>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let budget = NodeBudget::new(MAX_NODES);
        Slim {
            shape: Shape::Object,
            depth: MAX_DEPTH,
            budget: &budget,
        }
        .deserialize(d)
        .map(Some)
    }
}

/// Where a value sits in an object, which decides what of it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The object itself.
    Object,
    /// `metadata` of the object or of a template.
    Metadata,
    /// A pod spec or a controller's spec (the union of what both need).
    Spec,
    /// A pod template or a CronJob's job template.
    Template,
    /// `containers`, `initContainers`, `ephemeralContainers`.
    Containers,
    Container,
    /// A `List`'s `items` (never in admission; kept so the reader is
    /// faithful for any object).
    Items,
    /// A pod spec's `affinity`, and its `nodeAffinity`: mutation reads
    /// whether the pod can only run on Windows nodes.
    Affinity,
    NodeAffinity,
    /// A pod spec's `volumes`, one volume, and a volume's source (the
    /// value of `emptyDir`, `projected`, …). Every pod the API server
    /// admits carries the service account's projected volume, whose
    /// sources (token, CA bundle, namespace) were built and dropped unread:
    /// nothing reads below a source but the four fields kept. Keeping only
    /// those took a tenth of a review's instructions
    /// (`bench/review_instructions.sh`, 2026-12-01).
    Volumes,
    Volume,
    VolumeSource,
}

impl Shape {
    /// What a map of this shape keeps of `key`: `Some(None)` built whole,
    /// `Some(Some(shape))` built by shape, `None` skipped.
    fn child(self, key: &str) -> Option<Option<Shape>> {
        use Shape::*;
        match (self, key) {
            (Object, "kind" | "apiVersion") => Some(None),
            (Object | Template, "metadata") => Some(Some(Metadata)),
            (Object | Template, "spec") => Some(Some(Spec)),
            (Object, "template") => Some(Some(Template)),
            (Object, "items") => Some(Some(Items)),
            (Metadata, "name" | "namespace" | "labels" | "annotations") => Some(None),
            (
                Spec,
                "os" | "securityContext" | "hostNetwork" | "hostPID" | "hostIPC" | "hostUsers"
                | "runtimeClassName",
            ) => Some(None),
            (Spec, "volumes") => Some(Some(Volumes)),
            // Every key of a volume: its name and its source, whichever
            // (the extractor takes the sources it knows, mutation the name).
            (Volume, "name") => Some(None),
            (Volume, _) => Some(Some(VolumeSource)),
            // What the extractor reads of a source (`readOnly` of the
            // sources that have one, emptyDir's `medium` and `sizeLimit`,
            // hostPath's `path`) and mutation of an emptyDir.
            (VolumeSource, "readOnly" | "medium" | "sizeLimit" | "path") => Some(None),
            (Spec, "initContainers" | "containers" | "ephemeralContainers") => {
                Some(Some(Containers))
            }
            (Spec, "template" | "jobTemplate") => Some(Some(Template)),
            // Read by mutation alone (`windows_nodes`): a pod scheduled
            // only onto Windows nodes is not mutated.
            (Spec, "nodeSelector") => Some(None),
            (Spec, "affinity") => Some(Some(Affinity)),
            (Affinity, "nodeAffinity") => Some(Some(NodeAffinity)),
            (NodeAffinity, "requiredDuringSchedulingIgnoredDuringExecution") => Some(None),
            (
                Container,
                "name" | "image" | "ports" | "securityContext" | "livenessProbe" | "readinessProbe"
                | "startupProbe" | "lifecycle" | "volumeMounts" | "resources",
            ) => Some(None),
            // Read by mutation alone: a block device at /tmp gets no mount
            // there, which the API server would refuse beside it.
            (Container, "volumeDevices") => Some(None),
            _ => None,
        }
    }
}

/// Builds a value of a given shape, at most `depth` levels deep, within
/// `budget`'s nodes.
#[derive(Clone, Copy)]
struct Slim<'b> {
    shape: Shape,
    depth: usize,
    budget: &'b NodeBudget,
}

impl<'b> Slim<'b> {
    fn whole(self) -> NodeSeed<'b> {
        NodeSeed {
            depth: self.depth,
            budget: Some(self.budget),
        }
    }

    fn inner<E: de::Error>(self, shape: Shape) -> Result<Slim<'b>, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(Slim {
                shape,
                depth,
                ..self
            }),
            None => Err(E::custom(rootlock_manifest::json::TOO_DEEP)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Slim<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

/// Scalars of any shape are built as they are: the extractor then says
/// what is wrong with them, exactly as on the full tree.
impl<'de> Visitor<'de> for Slim<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        self.whole().visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        self.whole().visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        self.whole().visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        self.whole().visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        self.whole().visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        self.whole().visit_string(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        self.whole().visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        self.whole().visit_none()
    }

    /// Containers and List items are built by shape; any other list whole.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let element = match self.shape {
            Shape::Containers => Shape::Container,
            Shape::Items => Shape::Object,
            Shape::Volumes => Shape::Volume,
            _ => return self.whole().visit_seq(seq),
        };
        let inner = self.inner(element)?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        self.budget.take::<A::Error>()?;
        Ok(Node {
            line: 0,
            column: 0,
            value: Value::Seq(items),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        if matches!(
            self.shape,
            Shape::Containers | Shape::Items | Shape::Volumes
        ) {
            return self.whole().visit_map(map);
        }
        let whole = self.inner::<A::Error>(self.shape)?.whole();
        let mut entries = Vec::with_capacity(8);
        // Keys are read borrowed from the body and copied only when kept:
        // most of an object's keys (`managedFields`, `status`, …) are not.
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = match self.shape.child(&key) {
                None => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                Some(None) => map.next_value_seed(whole)?,
                Some(Some(shape)) => map.next_value_seed(self.inner::<A::Error>(shape)?)?,
            };
            if self.shape == Shape::Container && key == "name" {
                container_name_fits::<A::Error>(&value)?;
            }
            entries.push(Entry {
                key: key.into_owned(),
                key_line: 0,
                value,
            });
        }
        self.budget.take::<A::Error>()?;
        map_node(entries)
    }
}

/// A map key as the body holds it: borrowed when it has no escapes.
/// (serde's own `Cow<str>` always copies.)
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootlock_manifest::json::node_from_json;
    use rootlock_manifest::{Limits, read_stream, workloads};
    use std::path::PathBuf;

    fn slim(text: &str) -> Result<Option<Node>, String> {
        slim_from_str(text)
    }

    fn testdata(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(rel)
    }

    fn recorded_object(name: &str) -> String {
        let path = testdata(&format!("apiserver/admission/{name}.json"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["body"]["request"]["object"].to_string()
    }

    fn keys(n: &Node) -> Vec<&str> {
        let mut k: Vec<&str> = n
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        k.sort();
        k
    }

    #[test]
    fn the_values_built_are_bounded() {
        let pod = |containers: usize, mounts: usize| {
            let mounts: Vec<String> = (0..mounts)
                .map(|i| format!(r#"{{"name":"v","mountPath":"/m{i}"}}"#))
                .collect();
            let one = format!(
                r#"{{"name":"c","image":"i","volumeMounts":[{}]}}"#,
                mounts.join(",")
            );
            format!(
                r#"{{"kind":"Pod","spec":{{"containers":[{}]}}}}"#,
                vec![one; containers].join(",")
            )
        };
        // Many containers, or one container's long list kept whole.
        for text in [pod(20_000, 0), pod(1, 20_000)] {
            let e = slim(&text).unwrap_err();
            assert!(
                e.starts_with("object too large to review: more than 20000 values"),
                "{e}"
            );
        }
        // A large real-world pod is far inside it.
        let n = slim(&pod(50, 40)).unwrap().unwrap();
        assert_eq!(pod_from_node(&n).unwrap().spec.containers.len(), 50);
    }

    #[test]
    fn a_container_name_longer_than_kubernetes_allows_is_refused() {
        // Every reason a container fails names it, in the denial and again
        // in the audit annotation: 1,000 containers of 6,500-byte names
        // (6.8 MB) made a 65 MB response and a 505 MB peak. Kubernetes
        // names a container with a DNS label, at most 63 bytes.
        let pod = |kind: &str, len: usize| {
            let name = "c".repeat(len);
            format!(
                r#"{{"kind":"Pod","spec":{{"{kind}":[{{"name":"a","image":"i"}},{{"name":"{name}","image":"i"}}]}}}}"#
            )
        };
        for kind in ["containers", "initContainers", "ephemeralContainers"] {
            let n = slim(&pod(kind, 63)).unwrap().unwrap();
            assert!(pod_from_node(&n).is_ok(), "{kind}");
            let e = slim(&pod(kind, 64)).unwrap_err();
            assert!(
                e.starts_with("container name longer than 63 bytes"),
                "{kind}: {e}"
            );
        }
        // A template's containers too (a Deployment).
        let deployment = format!(
            r#"{{"kind":"Deployment","spec":{{"template":{{"spec":{{"containers":[{{"name":"{}"}}]}}}}}}}}"#,
            "d".repeat(64)
        );
        assert!(slim(&deployment).is_err());
        // A name of the wrong type is still the extractor's to report.
        let n = slim(r#"{"kind":"Pod","spec":{"containers":[{"name":7}]}}"#)
            .unwrap()
            .unwrap();
        assert!(pod_from_node(&n).is_err());
    }

    #[test]
    fn keeps_what_decisions_read_and_skips_the_rest() {
        let text = recorded_object("05-pod-create");
        for skipped in ["managedFields", "\"status\"", "tolerations", "dnsPolicy"] {
            assert!(text.contains(skipped), "{skipped}");
        }
        let n = slim(&text).unwrap().unwrap();
        assert_eq!(keys(&n), ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(
            keys(n.get("metadata").unwrap()),
            ["labels", "name", "namespace"]
        );
        let spec = n.get("spec").unwrap();
        assert_eq!(keys(spec), ["containers", "securityContext", "volumes"]);
        let c = &spec.get("containers").unwrap().as_seq().unwrap()[0];
        assert_eq!(keys(c), ["image", "name", "resources", "volumeMounts"]);
        // A volume keeps its name and, of its source, what is read.
        assert_eq!(
            to_json(spec.get("volumes").unwrap()),
            serde_json::json!([{"name": "kube-api-access-44trz", "projected": {}}])
        );
        // What is kept is kept whole: the same subtree as through a Value.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            to_json(c.get("volumeMounts").unwrap()),
            v["spec"]["containers"][0]["volumeMounts"]
        );
        assert_eq!(pod_from_node(&n).unwrap().spec.containers.len(), 1);
    }

    /// The slim tree must give exactly the pods (and the errors) of the
    /// full tree: every upstream PSA fixture and every object of the real
    /// corpus, as the API server would send it (JSON).
    #[test]
    fn extracts_the_same_pods_as_the_full_tree_over_both_corpora() {
        let mut files = Vec::new();
        for dir in ["pod-security/testdata", "real"] {
            let mut stack = vec![testdata(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p
                        .extension()
                        .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                    {
                        files.push(p);
                    }
                }
            }
        }
        let (mut compared, mut containers) = (0, 0);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let mut roots = Vec::new();
            read_stream(
                text.as_bytes(),
                &f.display().to_string(),
                &Limits::default(),
                |d| {
                    if let Some(r) = d.document.root {
                        roots.push(r);
                    }
                    Ok(())
                },
            );
            for root in roots {
                let json = json_from_node(&root);
                let full = node_from_json(&json, MAX_DEPTH).unwrap();
                let lean = slim(&json.to_string()).unwrap().unwrap();
                let (a, b) = (workloads(&full), workloads(&lean));
                assert_eq!(a, b, "{}", f.display());
                if let Ok(w) = a {
                    compared += w.len();
                    containers += w.iter().map(|w| w.pod.spec.containers.len()).sum::<usize>();
                }
            }
        }
        assert!(compared > 4000, "only {compared} workloads compared");
        assert!(containers > compared, "{containers} containers");
    }

    #[test]
    fn values_of_unexpected_types_reach_the_extractor_unchanged() {
        assert_eq!(slim("null").unwrap(), None);
        let cases = [
            (r#""a string""#, "expected a mapping"),
            (r#"{"spec":{"containers":[]},"metadata":[1]}"#, "metadata"),
            (r#"{"spec":{"containers":{"name":"a"}}}"#, "spec.containers"),
            (r#"{"spec":{"containers":["a"]}}"#, "spec.containers[0]"),
            (
                r#"{"spec":{"containers":[{"name":"a","securityContext":{"privileged":"yes"}}]}}"#,
                "privileged",
            ),
        ];
        for (text, field) in cases {
            let full = node_from_json(&serde_json::from_str(text).unwrap(), MAX_DEPTH).unwrap();
            let lean = slim(text).unwrap().unwrap();
            let e = pod_from_node(&lean).unwrap_err();
            assert_eq!(Err(e.clone()), pod_from_node(&full).map(|_| ()), "{text}");
            assert!(e.contains(field), "{text}: {e}");
        }
    }

    /// A volume keeps its name and, of its source, what the extractor and
    /// mutation read: the pods (and errors) are the full tree's, on values
    /// the corpora do not hold.
    #[test]
    fn volumes_read_as_on_the_full_tree() {
        let pod = |volumes: &str| {
            format!(
                r#"{{"kind":"Pod","spec":{{"containers":[{{"name":"a"}}],"volumes":{volumes}}}}}"#
            )
        };
        let read = |volumes: &str| {
            let text = pod(volumes);
            let full = node_from_json(&serde_json::from_str(&text).unwrap(), MAX_DEPTH).unwrap();
            let lean = slim(&text).unwrap().unwrap();
            let got = pod_from_node(&lean).map(|p| p.spec.volumes);
            assert_eq!(
                got,
                pod_from_node(&full).map(|p| p.spec.volumes),
                "{volumes}"
            );
            got
        };
        let ok = read(
            r#"[{"name":"d","persistentVolumeClaim":{"claimName":"c","readOnly":true}},
                {"name":"t","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"},"unknown":{"x":1}},
                {"name":"h","hostPath":{"path":"/var/log","type":"Directory"}},
                {"name":"n","secret":null},
                {"name":"s","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}}]"#,
        )
        .unwrap();
        assert!(ok[0].source_read_only);
        assert_eq!(ok[1].empty_dir_medium.as_deref(), Some("Memory"));
        assert_eq!(ok[1].empty_dir_size_limit.as_deref(), Some("64Mi"));
        assert_eq!(ok[2].host_path.as_deref(), Some("/var/log"));
        assert!(ok[3].sources.is_empty());
        assert_eq!(ok[4].sources, ["projected"]);
        // Values of the wrong type: the same error, naming the field.
        for (volumes, field) in [
            (r#"[{"name":"d","nfs":{"readOnly":"yes"}}]"#, "readOnly"),
            (
                r#"[{"name":"t","emptyDir":{"sizeLimit":"lots"}}]"#,
                "sizeLimit",
            ),
            (r#"[{"name":"t","emptyDir":{"medium":7}}]"#, "medium"),
            (r#"[{"name":"h","hostPath":{"path":["/"]}}]"#, "path"),
            (r#"[{"name":"h","hostPath":"/"}]"#, "hostPath"),
            (r#"[{"name":"h","configMap":[]}]"#, "configMap"),
            (r#"[{"name":7}]"#, "name"),
            (r#"["v"]"#, "volumes[0]"),
            (r#"{"name":"v"}"#, "volumes"),
        ] {
            let e = read(volumes).unwrap_err();
            assert!(e.contains(field), "{volumes}: {e}");
        }
    }

    #[test]
    fn duplicate_keys_and_deep_nesting_are_errors() {
        let e = slim(r#"{"spec":{},"spec":{}}"#).unwrap_err();
        assert!(e.contains("duplicate key \"spec\""), "{e}");
        // A skipped key may repeat: it is never read.
        assert!(slim(r#"{"status":{},"status":{}}"#).is_ok());
        let deep = format!(
            r#"{{"spec":{{"volumes":{}1{}}}}}"#,
            "[".repeat(70),
            "]".repeat(70)
        );
        let e = slim(&deep).unwrap_err();
        assert!(e.contains("nests too deeply"), "{e}");
        // Templates inside templates cannot recurse without bound either.
        let nested = format!(
            r#"{{"spec":{}{{}}{}}}"#,
            r#"{"template":{"spec":"#.repeat(40),
            "}}".repeat(40)
        );
        let e = slim(&nested).unwrap_err();
        assert!(
            e.contains("nests too deeply") || e.contains("recursion"),
            "{e}"
        );
    }
}
