//! What the rootlock webhook, run with a given config file (`--config`),
//! applies to a namespace: exempt or not, and each mode's level with where
//! it comes from. The labels are read by the webhook's own
//! `policy_to_evaluate`, so an absent label takes the config's `defaults`
//! exactly as at admission (and `warn` inherits a stricter `enforce`).

use crate::inventory::Namespace;
use crate::labels::Mode;
use rootlock_policy::{LevelVersion, Version};
use rootlock_webhook::config::Config;
use rootlock_webhook::labels::{Labels, PREFIX, Policy, policy_to_evaluate};

/// Where a mode's level comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The namespace's own `rootlock.dev/<mode>` (or `-version`) label.
    Label,
    /// The config's `defaults`: the namespace has no label for the mode.
    Default,
    /// `warn` only: inherited from a stricter `enforce` label.
    EnforceLabel,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Label => "label",
            Source::Default => "default",
            Source::EnforceLabel => "enforce label",
        }
    }
}

/// One mode's level and version, and where each comes from: PSA's
/// defaulting is per field, so `warn=immutable` without `warn-version`
/// takes the default's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModePolicy {
    pub level: LevelVersion,
    /// Where the level comes from.
    pub source: Source,
    /// Where the version comes from.
    pub version_source: Source,
}

impl ModePolicy {
    /// `label`, or `label, version default` when they differ. A `latest`
    /// taken from elsewhere is not mentioned: it is what a level label
    /// without a version label reads as anyway.
    pub fn sources(&self) -> String {
        if self.source == self.version_source || self.level.version == Version::Latest {
            self.source.as_str().to_string()
        } else {
            format!(
                "{}, version {}",
                self.source.as_str(),
                self.version_source.as_str()
            )
        }
    }
}

/// The webhook's policy for one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Listed in `exemptions.namespaces`: nothing is evaluated there.
    pub exempt: bool,
    pub enforce: ModePolicy,
    pub warn: ModePolicy,
    pub audit: ModePolicy,
    /// The config's defaults, which a mode takes again for what its
    /// labels leave out (a level label alone keeps the default's version).
    pub defaults: Policy,
}

impl WebhookPolicy {
    /// The version `mode` reads when it has no version label of its own.
    pub fn default_version(&self, mode: Mode) -> Version {
        match mode {
            Mode::Enforce => self.defaults.enforce.version,
            Mode::Warn => self.defaults.warn.version,
            Mode::Audit => self.defaults.audit.version,
        }
    }

    pub fn mode(&self, mode: Mode) -> ModePolicy {
        match mode {
            Mode::Enforce => self.enforce,
            Mode::Warn => self.warn,
            Mode::Audit => self.audit,
        }
    }

    /// The modes in the order the webhook reads them, named.
    pub fn modes(&self) -> [(&'static str, ModePolicy); 3] {
        [
            ("enforce", self.enforce),
            ("warn", self.warn),
            ("audit", self.audit),
        ]
    }
}

/// Whether `config` exempts the namespace `name`.
pub fn exempt_namespace(config: &Config, name: &str) -> bool {
    config.exemptions.namespaces.contains(name)
}

pub fn webhook_policy(ns: &Namespace, config: &Config) -> WebhookPolicy {
    // The webhook reads only its own family; the inventory keeps PSA's too.
    let labels: Labels = ns
        .labels
        .iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .cloned()
        .collect();
    let (policy, _invalid) = policy_to_evaluate(&labels, &config.defaults);
    let mode = |mode: &str, set: LevelVersion, default: LevelVersion| {
        let level_label = labels.contains_key(&format!("{PREFIX}{mode}"));
        let version_label = labels.contains_key(&format!("{PREFIX}{mode}-version"));
        // Without a label of its own, a mode's level differs from the
        // default only when warn inherited a stricter enforce (and then
        // its version too, unless warn-version is set).
        let inherited = !level_label && set.level != default.level;
        let from = |labelled: bool| {
            if labelled {
                Source::Label
            } else if inherited {
                Source::EnforceLabel
            } else {
                Source::Default
            }
        };
        ModePolicy {
            level: set,
            source: from(level_label),
            version_source: from(version_label),
        }
    };
    let d = &config.defaults;
    WebhookPolicy {
        exempt: exempt_namespace(config, &ns.name),
        enforce: mode("enforce", policy.enforce, d.enforce),
        warn: mode("warn", policy.warn, d.warn),
        audit: mode("audit", policy.audit, d.audit),
        defaults: *d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text).unwrap()
    }

    /// `("level:version", "sources")`.
    fn shown(m: ModePolicy) -> (String, String) {
        (m.level.to_string(), m.sources())
    }

    fn pair(level: &str, sources: &str) -> (String, String) {
        (level.to_string(), sources.to_string())
    }

    #[test]
    fn absent_labels_take_the_defaults_and_warn_inherits_enforce() {
        let c = config(
            "defaults:\n  enforce: baseline\n  warn: privileged\n  audit: restricted\n  audit-version: v1.30\n",
        );
        let p = webhook_policy(&Namespace::shop(&[]), &c);
        let lines: Vec<String> = p
            .modes()
            .iter()
            .map(|(m, mp)| format!("{m}={} ({})", mp.level, mp.sources()))
            .collect();
        assert_eq!(
            lines,
            [
                "enforce=baseline:latest (default)",
                "warn=privileged:latest (default)",
                "audit=restricted:v1.30 (default)"
            ]
        );
        assert!(!p.exempt);
        // PSA's labels are not the webhook's: still the defaults.
        let p = webhook_policy(
            &Namespace::shop(&[
                ("rootlock.dev/enforce", "immutable"),
                ("pod-security.kubernetes.io/audit", "baseline"),
            ]),
            &c,
        );
        assert_eq!(shown(p.enforce), pair("immutable:latest", "label"));
        assert_eq!(shown(p.warn), pair("immutable:latest", "enforce label"));
        assert_eq!(p.audit.sources(), "default");
        // Defaulting is per field: a level label keeps the default version,
        // and a version label alone keeps the default level.
        let p = webhook_policy(
            &Namespace::shop(&[
                ("rootlock.dev/audit", "baseline"),
                ("rootlock.dev/enforce-version", "v1.29"),
            ]),
            &c,
        );
        assert_eq!(
            shown(p.audit),
            pair("baseline:v1.30", "label, version default")
        );
        assert_eq!(
            shown(p.enforce),
            pair("baseline:v1.29", "default, version label")
        );
    }

    #[test]
    fn a_namespace_listed_in_the_exemptions_is_exempt() {
        let c = config("exemptions:\n  namespaces: [shop]\n");
        assert!(webhook_policy(&Namespace::shop(&[]), &c).exempt);
        assert!(!webhook_policy(&Namespace::shop(&[]), &Config::default()).exempt);
    }
}
