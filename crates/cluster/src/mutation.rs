//! The webhook's opt-in mutation (`/mutate`) as `--what-if` sees it: in a
//! namespace where the webhook mutates, the pods a controller creates next
//! (and a bare pod created again) reach validation with
//! `readOnlyRootFilesystem: true` where it was unset and a `/tmp` emptyDir.
//! The mutation is the webhook's own (`rootlock_webhook::mutate`); this
//! only says where it applies and reads its result back as a policy pod.

use crate::webhook_policy::exempt_namespace;
use rootlock_manifest::extract::{Path, pod};
use rootlock_manifest::json::node_from_json;
use rootlock_policy::{Exemptions, Pod};
use rootlock_webhook::config::Config;
use rootlock_webhook::labels::{Labels, mutate_label};
use rootlock_webhook::mutate::{MIRROR_WARNING, enabled_for, mirror, plan_and_apply};
use serde_json::Value;

/// Why the webhook run with `config` mutates the pods of a namespace with
/// these labels, as the report says it (`rootlock.dev/mutate=true`, or
/// `mutate.enabled: true` of the config); `None` where it does not.
/// Without a config only the label counts: the webhook's default leaves
/// mutation off. A namespace the config exempts is never mutated: the
/// webhook admits its pods before it looks at them.
pub fn mutation_source(
    namespace: &str,
    labels: &[(String, String)],
    config: Option<&Config>,
) -> Option<&'static str> {
    if config.is_some_and(|c| exempt_namespace(c, namespace)) {
        return None;
    }
    let labels: Labels = labels.iter().cloned().collect();
    let config = config.unwrap_or(Config::builtin());
    if !enabled_for(config, &labels) {
        return None;
    }
    Some(match mutate_label(&labels) {
        Some(_) => "rootlock.dev/mutate=true",
        None => "mutate.enabled: true",
    })
}

/// A pod (API JSON) read into the policy's model, as `scan` reads one.
pub fn pod_from_json(v: &Value, max_depth: usize) -> Result<Pod, String> {
    let node = node_from_json(v, max_depth)
        .ok_or_else(|| format!("nested deeper than {max_depth} levels"))?;
    pod(&node, &Path::Root("")).map_err(|e| format!("{}: {}", e.field, e.message))
}

/// `pod` (API JSON) as `/mutate` lets it reach validation, and the
/// mutation's warnings; `None` when the mutation changes nothing (a
/// static pod's mirror, which the webhook leaves alone; a pod with nothing
/// left to set) or its result cannot be read back.
pub fn mutated(
    pod: &Value,
    tmp_size_limit: &str,
    exemptions: Option<&Exemptions>,
    max_depth: usize,
) -> (Option<Pod>, Vec<String>) {
    if mirror(pod) {
        return (None, vec![MIRROR_WARNING.to_string()]);
    }
    let mut pod = pod.clone();
    match plan_and_apply(&mut pod, tmp_size_limit, exemptions) {
        Ok(m) if m.patch.is_empty() => (None, m.warnings),
        Ok(m) => (pod_from_json(&pod, max_depth).ok(), m.warnings),
        // A patch that does not apply to what it was planned from is the
        // webhook's fault; the API server would fail the pod's creation.
        Err(_) => (None, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_namespace_label_wins_over_the_configs_switch() {
        let on = Config::parse("mutate:\n  enabled: true\n").unwrap();
        let off = Config::default();
        let label = |v| labels(&[("rootlock.dev/mutate", v)]);
        assert_eq!(
            mutation_source("shop", &label("true"), None),
            Some("rootlock.dev/mutate=true")
        );
        assert_eq!(
            mutation_source("shop", &label("true"), Some(&off)),
            Some("rootlock.dev/mutate=true")
        );
        assert_eq!(mutation_source("shop", &label("false"), Some(&on)), None);
        assert_eq!(
            mutation_source("shop", &[], Some(&on)),
            Some("mutate.enabled: true")
        );
        // Without --config only the label counts.
        assert_eq!(mutation_source("shop", &[], None), None);
        // A value the webhook cannot read is no label: the switch decides.
        assert_eq!(
            mutation_source("shop", &label("yes"), Some(&on)),
            Some("mutate.enabled: true")
        );
        // A namespace the config exempts is never mutated, whatever it says.
        let exempt =
            Config::parse("exemptions:\n  namespaces: [shop]\nmutate:\n  enabled: true\n").unwrap();
        assert_eq!(mutation_source("shop", &label("true"), Some(&exempt)), None);
        assert_eq!(mutation_source("shop", &[], Some(&exempt)), None);
    }
}
