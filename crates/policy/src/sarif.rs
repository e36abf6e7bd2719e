//! SARIF 2.1.0 tool metadata, shared by every report that writes SARIF
//! (`scan`, `cluster`): one description of the rules, so code scanning
//! shows the same rule text, level and help link whichever command found
//! the problem. Only data here; the reports serialise it.

use crate::{Severity, immutable, pss, rule_descriptions};
use serde::Serialize;

/// Where each rule is documented; `#<rule id in lower case>` is appended.
pub const HELP_URI: &str = "https://github.com/rootlock/rootlock/blob/main/docs/rules.md";

/// `tool.driver`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<Rule>,
}

/// One `reportingDescriptor`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub short_description: Text,
    pub full_description: Text,
    pub help_uri: String,
    pub default_configuration: Configuration,
    pub properties: Properties,
}

#[derive(Debug, Serialize)]
pub struct Text {
    pub text: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Properties {
    pub tags: [&'static str; 2],
}

impl Driver {
    /// The index of a rule in `rules` (a result's `ruleIndex`).
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

/// rootlock as a SARIF tool, with every rule it can report.
pub fn driver() -> Driver {
    Driver {
        name: "rootlock",
        version: env!("CARGO_PKG_VERSION"),
        information_uri: "https://github.com/rootlock/rootlock",
        rules: rule_descriptions()
            .into_iter()
            .map(|(id, desc)| Rule {
                id,
                name: id,
                short_description: Text { text: desc },
                full_description: Text { text: desc },
                help_uri: format!("{HELP_URI}#{}", id.to_ascii_lowercase()),
                default_configuration: Configuration {
                    level: default_level(id),
                },
                properties: Properties {
                    tags: ["security", "kubernetes"],
                },
            })
            .collect(),
    }
}

/// A finding's severity as a SARIF result level.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The level a rule reports at unless exempted: every PSS check and every
/// error-severity immutable rule is an error.
fn default_level(id: &str) -> &'static str {
    match immutable::rule(id) {
        Some(r) if r.severity == Severity::Warning => "warning",
        Some(_) => "error",
        None if pss::check(id).is_some() => "error",
        None => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_unique_id_a_help_anchor_and_its_level() {
        let d = driver();
        assert_eq!(d.rules.len(), rule_descriptions().len());
        for (i, r) in d.rules.iter().enumerate() {
            assert_eq!(d.rule_index(r.id), Some(i), "{} listed twice", r.id);
            assert!(
                r.help_uri
                    .ends_with(&format!("#{}", r.id.to_ascii_lowercase()))
            );
        }
        let level_of = |id| {
            d.rules[d.rule_index(id).unwrap()]
                .default_configuration
                .level
        };
        assert_eq!(level_of("privileged"), "error");
        assert_eq!(level_of("readOnlyRootFilesystem"), "error");
        assert_eq!(level_of("invalidExemption"), "warning");
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json["rules"][0]["shortDescription"]["text"],
            d.rules[0].short_description.text
        );
        assert_eq!(
            json["informationUri"],
            "https://github.com/rootlock/rootlock"
        );
    }
}
