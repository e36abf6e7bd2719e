//! The API server's own admission config file (`--admission-control-config-file`,
//! kind `AdmissionConfiguration`), as `--config` may be handed it: what
//! PSA runs with is its `PodSecurity` plugin's `configuration`, a
//! `PodSecurityConfiguration`, which the webhook then reads as if it had
//! been given that alone. A plugin whose configuration is in a file of its
//! own (`path`) is named, so that file can be given instead.

use rootlock_policy::FieldPath;
use serde::Deserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_norway::Value;
use std::fmt;
use std::marker::PhantomData;

/// The kind of the API server's admission config file.
const KIND: &str = "AdmissionConfiguration";
/// PSA's plugin name in that file.
const PLUGIN: &str = "PodSecurity";

/// Why an admission config file gave no configuration: the field, and why.
pub type Refusal = (FieldPath, String);

/// `Ok(None)` when `doc` is no `AdmissionConfiguration`; else the index
/// in `plugins` of its PodSecurity plugin, which has a `configuration`
/// (read it with [`configuration`]).
pub fn pod_security(doc: &Value) -> Result<Option<usize>, Refusal> {
    if doc.get("kind").and_then(Value::as_str) != Some(KIND) {
        return Ok(None);
    }
    let plugins = FieldPath::keys(&["plugins"]);
    let Some(list) = doc.get("plugins").and_then(Value::as_sequence) else {
        return Err((plugins, format!("an {KIND} without a list of plugins")));
    };
    // The API server takes the first plugin of the name.
    let found = list
        .iter()
        .position(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN));
    let Some(i) = found else {
        // A plugin merged in (`<<: *p`) has its name where this reader,
        // which applies no merge keys, does not look.
        if let Some(m) = list.iter().position(|p| p.get("<<").is_some()) {
            return Err((
                plugins.index(m),
                format!(
                    "a merge key (<<) is not read here: write this plugin's name and configuration out if it is the {PLUGIN} plugin"
                ),
            ));
        }
        return Err((
            plugins,
            format!("no {PLUGIN} plugin in this {KIND}: nothing for the webhook to read"),
        ));
    };
    let plugin = &list[i];
    let at = plugins.index(i);
    // `configuration: null` is none: the API server then reads `path`.
    if plugin.get("configuration").is_none_or(Value::is_null) {
        return Err(match plugin.get("path").and_then(Value::as_str) {
            Some(path) => (
                at.key("path"),
                format!("the {PLUGIN} configuration is in {path:?}: give that file to --config"),
            ),
            None => (at, format!("the {PLUGIN} plugin has no configuration")),
        });
    }
    Ok(Some(i))
}

/// The `configuration` of plugin `index` of the admission config `text`,
/// read as `T` from the text itself rather than from a tree of it: serde's
/// errors (an unknown field, a wrong type) then keep their line, column
/// and path in the whole file (`plugins[1].configuration.defaults`).
pub fn configuration<T: DeserializeOwned>(
    text: &str,
    index: usize,
) -> Result<T, serde_norway::Error> {
    let plugins = Plugins::<T> {
        index,
        t: PhantomData,
    };
    let top = Member {
        key: "plugins",
        expecting: "an AdmissionConfiguration",
        seed: plugins,
    };
    let found = top.deserialize(serde_norway::Deserializer::from_str(text))?;
    found
        .flatten()
        .ok_or_else(|| de::Error::custom(format!("plugins[{index}]: no configuration")))
}

/// A mapping of which only member `key` is read, with `seed`: the file's
/// top (its `plugins`) and a plugin (its `configuration`).
#[derive(Clone)]
struct Member<S> {
    key: &'static str,
    expecting: &'static str,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de> + Clone> DeserializeSeed<'de> for Member<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Clone> Visitor<'de> for Member<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Value>()? {
            if key.as_str() == Some(self.key) {
                found = Some(map.next_value_seed(self.seed.clone())?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// `plugins`: only item `index` is read, for its `configuration`.
struct Plugins<T> {
    index: usize,
    t: PhantomData<T>,
}

impl<T> Clone for Plugins<T> {
    fn clone(&self) -> Self {
        Plugins {
            index: self.index,
            t: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Plugins<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Plugins<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of plugins")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        let plugin = Member {
            key: "configuration",
            expecting: "a plugin",
            seed: PhantomData::<T>,
        };
        let mut found = None;
        let mut i = 0;
        loop {
            if i == self.index {
                match seq.next_element_seed(plugin.clone())? {
                    Some(t) => found = t,
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    type Doc = BTreeMap<String, Value>;

    fn doc(text: &str) -> Value {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn the_pod_security_plugins_configuration_is_found_with_where_it_is() {
        let text = "kind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: x.yaml\n\
                    - name: PodSecurity\n  configuration:\n    kind: PodSecurityConfiguration\n";
        assert_eq!(pod_security(&doc(text)).unwrap(), Some(1));
        let conf: Doc = configuration(text, 1).unwrap();
        assert_eq!(conf["kind"].as_str(), Some("PodSecurityConfiguration"));
        assert!(
            pod_security(&doc("kind: PodSecurityConfiguration\n"))
                .unwrap()
                .is_none()
        );
        assert!(pod_security(&doc("defaults: {}\n")).unwrap().is_none());
    }

    #[test]
    fn a_file_without_a_readable_configuration_says_where_and_why() {
        let refused = |text: &str| pod_security(&doc(text)).unwrap_err();
        let (at, why) = refused(
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: /etc/psa.yaml\n",
        );
        assert_eq!(at, FieldPath::keys(&["plugins"]).index(0).key("path"));
        assert!(
            why.contains("\"/etc/psa.yaml\": give that file to --config"),
            "{why}"
        );
        let (at, why) = refused("kind: AdmissionConfiguration\nplugins:\n- name: Other\n");
        assert_eq!(at, FieldPath::keys(&["plugins"]));
        assert!(why.starts_with("no PodSecurity plugin"), "{why}");
        let (_, why) = refused("kind: AdmissionConfiguration\n");
        assert!(why.contains("without a list of plugins"), "{why}");
        // A plugin written with a merge key: the API server's YAML reader
        // merges it, this one does not; it was "no PodSecurity plugin".
        let (at, why) = refused(
            "p: &p\n  name: PodSecurity\n  configuration: {}\nkind: AdmissionConfiguration\nplugins:\n- name: Other\n- <<: *p\n",
        );
        assert_eq!(at, FieldPath::keys(&["plugins"]).index(1));
        assert!(why.contains("merge key"), "{why}");
        // A configuration of the wrong type is serde's error, at its line.
        let text =
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: 5\n";
        assert_eq!(pod_security(&doc(text)).unwrap(), Some(0));
        let e = configuration::<Doc>(text, 0).unwrap_err().to_string();
        assert!(
            e.starts_with("plugins[0].configuration: invalid type"),
            "{e}"
        );
        assert!(e.contains("line 4"), "{e}");
    }
}
