//! The API server's own admission config file (`--admission-control-config-file`,
//! kind `AdmissionConfiguration`), as `--config` may be handed it: what
//! PSA runs with is its `PodSecurity` plugin's `configuration`, a
//! `PodSecurityConfiguration`, which the webhook then reads as if it had
//! been given that alone. A plugin whose configuration is in a file of its
//! own (`path`) is named, so that file can be given instead.

use rootlock_policy::FieldPath;
use serde::de::DeserializeOwned;
use serde_norway::Value;

/// The kind of the API server's admission config file.
const KIND: &str = "AdmissionConfiguration";
/// PSA's plugin name in that file.
const PLUGIN: &str = "PodSecurity";

/// Why an admission config file gave no configuration: the field, and why.
pub type Refusal = (FieldPath, String);

/// `Ok(None)` when `doc` is no `AdmissionConfiguration`; else where its
/// PodSecurity plugin's `configuration` is, read as `T`.
pub fn pod_security<T: DeserializeOwned>(doc: &Value) -> Result<Option<(FieldPath, T)>, Refusal> {
    if doc.get("kind").and_then(Value::as_str) != Some(KIND) {
        return Ok(None);
    }
    let plugins = FieldPath::keys(&["plugins"]);
    let Some(list) = doc.get("plugins").and_then(Value::as_sequence) else {
        return Err((plugins, format!("an {KIND} without a list of plugins")));
    };
    let found = list
        .iter()
        .position(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN));
    let Some(i) = found else {
        return Err((
            plugins,
            format!("no {PLUGIN} plugin in this {KIND}: nothing for the webhook to read"),
        ));
    };
    let plugin = &list[i];
    let at = plugins.index(i);
    let Some(configuration) = plugin.get("configuration") else {
        return Err(match plugin.get("path").and_then(Value::as_str) {
            Some(path) => (
                at.key("path"),
                format!("the {PLUGIN} configuration is in {path:?}: give that file to --config"),
            ),
            None => (at, format!("the {PLUGIN} plugin has no configuration")),
        });
    };
    let at = at.key("configuration");
    match T::deserialize(configuration.clone()) {
        Ok(file) => Ok(Some((at, file))),
        Err(e) => Err((at, e.to_string())),
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
        let (at, conf) = pod_security::<Doc>(&doc(text)).unwrap().unwrap();
        assert_eq!(
            at,
            FieldPath::keys(&["plugins"]).index(1).key("configuration")
        );
        assert_eq!(conf["kind"].as_str(), Some("PodSecurityConfiguration"));
        assert!(
            pod_security::<Doc>(&doc("kind: PodSecurityConfiguration\n"))
                .unwrap()
                .is_none()
        );
        assert!(
            pod_security::<Doc>(&doc("defaults: {}\n"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_file_without_a_readable_configuration_says_where_and_why() {
        let refused = |text: &str| pod_security::<Doc>(&doc(text)).unwrap_err();
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
        let (at, _) = refused(
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: 5\n",
        );
        assert_eq!(
            at,
            FieldPath::keys(&["plugins"]).index(0).key("configuration")
        );
    }
}
