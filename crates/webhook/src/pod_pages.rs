//! Pages of a namespace's pod list, for the dry-run of a stricter enforce
//! level, read from the API's JSON text straight into what the dry-run
//! keeps of each pod ([`ListedPod`]).
//!
//! Why not kube's typed `Api::<Pod>::list`: it builds every pod of a page as
//! a `k8s_openapi` Pod (managedFields, status, env and all), about eleven
//! times the page's JSON: a page of 500 running pods of 9 KB (4.7 MB) took
//! about 51 MB, and one dry-run alone peaked at 92–94 MB of the webhook's
//! 128 MiB. Here a page is held only as its text, at most
//! [`MAX_PAGE_BYTES`], and each item is reduced to its slim tree while the
//! page is read.

use crate::cache::EachPod;
use futures::io::{AsyncBufRead, AsyncReadExt};
use rootlock_policy::Pod;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// Pods asked for per page. Fewer than kube's usual 500 so that a page of
/// pods larger than usual (tens of KB each, from big env lists or
/// managedFields) still fits [`MAX_PAGE_BYTES`]; a few more round trips
/// to the API server are cheap next to the dry-run's time budget.
pub const PAGE_PODS: u32 = 250;

/// Largest page text read (the API server sends up to [`PAGE_PODS`] pods
/// of up to 1.5 MB each, etcd's object limit). A larger page ends the
/// dry-run with an error rather than the webhook's memory.
pub const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads one page's body, refusing one past [`MAX_PAGE_BYTES`].
pub async fn read_body(body: impl AsyncBufRead + Unpin) -> Result<String, String> {
    let mut text = String::new();
    body.take(MAX_PAGE_BYTES + 1)
        .read_to_string(&mut text)
        .await
        .map_err(|e| format!("reading the pod list: {e}"))?;
    if text.len() as u64 > MAX_PAGE_BYTES {
        return Err(format!(
            "a page of the pod list is larger than {} MiB",
            MAX_PAGE_BYTES >> 20
        ));
    }
    Ok(text)
}

/// Hands each pod of one `PodList` page to `each` as a [`ListedPod`], and
/// returns the page's continue token, if any.
pub fn read_page(text: &str, each: &mut EachPod<'_>) -> Result<Option<String>, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let token = PageSeed { each }
        .deserialize(&mut de)
        .map_err(|e| format!("reading the pod list: {e}"))?;
    de.end().map_err(|e| format!("reading the pod list: {e}"))?;
    Ok(token.filter(|t| !t.is_empty()))
}

/// What the namespace dry-run keeps of a listed pod: the pod model the
/// policy reads, plus the controller reference that orders the pods and the
/// runtime class that may exempt it. A running pod's JSON is mostly
/// managedFields, status and env, which no decision reads, and even the
/// slim tree of the rest, kept as JSON for 3,000 pods, made most of a
/// dry-run's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedPod {
    /// `uid` of the owner reference with `controller: true`.
    pub controller: Option<String>,
    /// `spec.runtimeClassName`.
    pub runtime_class: Option<String>,
    /// The pod, or why it cannot be read (such a pod is counted, not
    /// judged, as PSA does with a pod it cannot convert).
    pub pod: Result<Pod, String>,
}

impl ListedPod {
    /// A pod given as JSON (a test's or a fixed list's).
    pub fn from_json(v: &serde_json::Value) -> ListedPod {
        let head = PodHead::deserialize(v).unwrap_or_default();
        let pod = crate::admit::pod_from_json(v).map_err(|e| head.unreadable(&e));
        ListedPod {
            controller: head.controller(),
            runtime_class: head.spec.runtime_class_name,
            pod,
        }
    }
}

/// A listed pod from its JSON text: the pod model is read from the slim
/// tree a review builds ([`crate::object`]), bounded the same way: a pod
/// deeper, or of more values, than a review builds cannot be read.
pub fn listed_pod_from_text(text: &str) -> Result<ListedPod, String> {
    let head: PodHead =
        serde_json::from_str(text).map_err(|e| format!("reading a listed pod: {e}"))?;
    let pod = match crate::object::slim_from_str(text) {
        Ok(Some(node)) => crate::object::pod_from_node(&node),
        Ok(None) => Err("the pod is null".into()),
        Err(e) => Err(e),
    }
    .map_err(|e| head.unreadable(&e));
    Ok(ListedPod {
        controller: head.controller(),
        runtime_class: head.spec.runtime_class_name,
        pod,
    })
}

/// What is read of a pod besides the pod model: its name, controller and
/// runtime class.
#[derive(Deserialize, Default)]
struct PodHead {
    #[serde(default)]
    metadata: PodHeadMeta,
    #[serde(default)]
    spec: PodHeadSpec,
}

impl PodHead {
    /// Why the pod cannot be read, naming it: the dry-run's warning says
    /// which pod it did not check.
    fn unreadable(&self, why: &str) -> String {
        format!(
            "pod {:?}: {}",
            rootlock_policy::format::shortened(&self.metadata.name, 253),
            rootlock_policy::format::shortened(why, 512)
        )
    }

    fn controller(&self) -> Option<String> {
        self.metadata
            .owner_references
            .iter()
            .find(|r| r.controller == Some(true))
            .map(|r| r.uid.clone())
    }
}

#[derive(Deserialize, Default)]
struct PodHeadMeta {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "ownerReferences")]
    owner_references: Vec<OwnerReference>,
}

#[derive(Deserialize, Default)]
struct PodHeadSpec {
    #[serde(default, rename = "runtimeClassName")]
    runtime_class_name: Option<String>,
}

#[derive(Deserialize)]
struct OwnerReference {
    #[serde(default)]
    uid: String,
    #[serde(default)]
    controller: Option<bool>,
}

/// A `PodList`: its `metadata.continue`, and its `items` handed on one by
/// one; everything else is skipped.
struct PageSeed<'e, 'f> {
    each: &'e mut EachPod<'f>,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_, '_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_, '_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a PodList")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        #[derive(Deserialize)]
        struct ListMeta {
            #[serde(default, rename = "continue")]
            continue_token: Option<String>,
        }
        let mut token = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "metadata" => token = map.next_value::<ListMeta>()?.continue_token,
                "items" => map.next_value_seed(Items {
                    each: &mut *self.each,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(token)
    }
}

struct Items<'e, 'f> {
    each: &'e mut EachPod<'f>,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `any`, not `seq`: serde_json hands `null` only to `any`.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of pods")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        // `"items": null`: Go's encoding of an empty list.
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            (self.each)(listed_pod_from_text(raw.get()).map_err(de::Error::custom)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn collect(text: &str) -> Result<(Vec<ListedPod>, Option<String>), String> {
        let mut pods = Vec::new();
        let token = read_page(text, &mut |p| pods.push(p))?;
        Ok((pods, token))
    }

    #[test]
    fn a_page_gives_its_pods_and_its_continue_token() {
        let a = json!({"metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}],
                "ownerReferences": [
                    {"uid": "not-controller", "controller": false},
                    {"uid": "rs-1", "controller": true, "kind": "ReplicaSet"}]},
             "spec": {"runtimeClassName": "kata",
                "containers": [{"name": "c", "image": "nginx", "env": [{"name": "X", "value": "y"}]}]},
             "status": {"phase": "Running"}});
        let b = json!({"metadata": {"name": "b"}, "spec": {"containers": []}});
        let page = json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "9", "continue": "abc"},
            "items": [a, b],
        })
        .to_string();
        let (pods, token) = collect(&page).unwrap();
        assert_eq!(token.as_deref(), Some("abc"));
        assert_eq!(pods.len(), 2);
        assert_eq!(pods[0].controller.as_deref(), Some("rs-1"));
        assert_eq!(pods[0].runtime_class.as_deref(), Some("kata"));
        let pod = pods[0].pod.as_ref().unwrap();
        assert_eq!(
            (pod.name.as_str(), pod.spec.containers[0].image.as_deref()),
            ("a", Some("nginx"))
        );
        assert_eq!(pods[1].controller, None);
        assert_eq!(pods[1].pod.as_ref().unwrap().name, "b");
        // The same as a pod given as JSON.
        assert_eq!(pods, [ListedPod::from_json(&a), ListedPod::from_json(&b)]);
    }

    #[test]
    fn the_last_page_has_no_token_and_null_items_are_an_empty_page() {
        for page in [
            r#"{"metadata":{"continue":""},"items":null}"#,
            r#"{"metadata":{},"items":[]}"#,
            r#"{"items":[]}"#,
        ] {
            assert_eq!(collect(page).unwrap(), (vec![], None), "{page}");
        }
    }

    #[test]
    fn a_malformed_page_or_pod_is_an_error_not_a_shorter_list() {
        for page in [
            r#"{"items":[{"metadata":{"name":"a"}}"#,
            r#"{"items":[{"metadata":{"ownerReferences":"x"}}]}"#,
            r#"{"items":{}}"#,
            r#"<html>proxy error</html>"#,
            r#"{"items":[]} trailing"#,
        ] {
            let e = collect(page).unwrap_err();
            assert!(e.starts_with("reading the pod list"), "{page}: {e}");
        }
    }

    #[tokio::test]
    async fn a_page_past_the_byte_bound_is_refused() {
        let fits = vec![b' '; MAX_PAGE_BYTES as usize];
        assert_eq!(read_body(&fits[..]).await.unwrap().len(), fits.len());
        let past = vec![b' '; MAX_PAGE_BYTES as usize + 1];
        let e = read_body(&past[..]).await.unwrap_err();
        assert!(e.contains("larger than 16 MiB"), "{e}");
    }

    #[test]
    fn a_listed_pod_larger_than_a_review_reads_is_counted_but_not_read() {
        let containers: Vec<Value> = (0..20_000)
            .map(|i| json!({"name": format!("c{i}"), "image": "nginx"}))
            .collect();
        let pod = json!({
            "metadata": {"name": "huge", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "u1", "controller": true}
            ]},
            "spec": {"containers": containers},
        });
        let listed = listed_pod_from_text(&pod.to_string()).unwrap();
        assert_eq!(listed.controller.as_deref(), Some("u1"));
        let e = listed.pod.unwrap_err();
        assert!(e.contains("20000"), "{e}");
    }
}
