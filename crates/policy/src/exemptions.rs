//! Exemptions written as annotations on a workload (or its pod template).
//!
//! Syntax, one annotation per container:
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     exempt.rootlock.dev/nginx: "readOnlyRootFilesystem: vendor image rewrites /etc/nginx at start; TICKET-123"
//!     exempt.rootlock.dev/all.containers: "runAsNonRoot,runAsUser: upstream image needs root, tracked in TICKET-9"
//! ```
//!
//! * The key names the container (`exempt.rootlock.dev/<container name>`),
//!   or `all.containers` for every container and for pod-level findings. A
//!   dot cannot appear in a container name, so `all.containers` never
//!   collides with one.
//! * The value is `RULE[,RULE…]: REASON`. Rules are named exactly (no
//!   wildcard: an exemption is a reviewed decision about one control). The
//!   reason is mandatory; an exemption without one is not honoured.
//! * An exempted finding is still reported, with severity `info` and the
//!   reason, and does not fail the run. `--no-annotation-exemptions` (and the
//!   webhook's default) ignores these annotations, because anyone who can
//!   deploy a workload can also annotate it.

use crate::finding::{ContainerRef, FieldPath, Finding, Severity};
use crate::{immutable, pss};

/// Annotation key prefix for exemptions.
pub const PREFIX: &str = "exempt.rootlock.dev/";
/// The key suffix that targets every container and the pod itself.
pub const ALL_CONTAINERS: &str = "all.containers";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// `None` for `all.containers`.
    pub container: Option<String>,
    pub rules: Vec<String>,
    pub reason: String,
    /// The annotation key it came from.
    pub key: String,
}

/// The exemptions of one workload, and the annotations that could not be
/// understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub entries: Vec<Exemption>,
    pub problems: Vec<Problem>,
}

/// An annotation that could not be understood, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The annotation key, so a finding can point at the annotation itself.
    pub key: String,
    pub message: String,
}

/// Whether `id` names a rule rootlock knows.
pub fn known_rule(id: &str) -> bool {
    pss::check(id).is_some() || immutable::rule(id).is_some()
}

impl Exemptions {
    /// Reads every `exempt.rootlock.dev/*` annotation.
    pub fn from_annotations<'a, I>(annotations: I) -> Exemptions
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut out = Exemptions::default();
        // Callers pass an object's own annotations and then its pod
        // template's; for a Pod both are the same map. One annotation is
        // read once, so a bad one is reported once.
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (key, value) in annotations {
            let Some(target) = key.strip_prefix(PREFIX) else {
                continue;
            };
            if seen.contains(&(key, value)) {
                continue;
            }
            seen.push((key, value));
            match parse_value(value) {
                Ok((rules, reason)) => {
                    if let Some(bad) = rules.iter().find(|r| !known_rule(r)) {
                        out.problems.push(Problem {
                            key: key.to_string(),
                            message: format!(
                                "annotation {key}: unknown rule {bad:?}; the exemption is ignored"
                            ),
                        });
                        continue;
                    }
                    out.entries.push(Exemption {
                        container: (target != ALL_CONTAINERS).then(|| target.to_string()),
                        rules,
                        reason,
                        key: key.to_string(),
                    });
                }
                Err(why) => out.problems.push(Problem {
                    key: key.to_string(),
                    message: format!(
                        "annotation {key}: {why}; expected \"RULE[,RULE…]: REASON\"; the exemption is ignored"
                    ),
                }),
            }
        }
        out
    }

    /// The exemption covering this rule for this container, if any.
    pub fn find(&self, rule: &str, container: Option<&ContainerRef>) -> Option<&Exemption> {
        self.entries.iter().find(|e| {
            e.rules.iter().any(|r| r == rule)
                && match (&e.container, container) {
                    (None, _) => true,
                    (Some(name), Some(c)) => *name == c.name,
                    (Some(_), None) => false,
                }
        })
    }

    /// Marks exempted findings as `info` with their reason, and adds a
    /// warning for each annotation that could not be understood.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        for f in findings.iter_mut() {
            if let Some(e) = self.find(f.rule, f.container.as_ref()) {
                f.severity = Severity::Info;
                f.exemption = Some(e.reason.clone());
            }
        }
        for p in &self.problems {
            findings.push(Finding {
                rule: "invalidExemption",
                severity: Severity::Warning,
                container: None,
                message: p.message.clone(),
                // The annotation itself, relative to the pod; the manifest
                // layer knows whether it was written on the pod template
                // or on the controller's own metadata.
                path: FieldPath::keys(&["metadata", "annotations", &p.key]),
                exemption: None,
            });
        }
    }
}

fn parse_value(value: &str) -> Result<(Vec<String>, String), &'static str> {
    let (rules, reason) = value.split_once(':').ok_or("no reason given")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("no reason given");
    }
    let rules: Vec<String> = rules
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if rules.is_empty() {
        return Err("no rule named");
    }
    Ok((rules, reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContainerKind;

    fn cref(name: &str) -> ContainerRef {
        ContainerRef {
            kind: ContainerKind::Regular,
            index: 0,
            name: name.into(),
        }
    }

    #[test]
    fn parses_per_container_and_all_container_exemptions() {
        let ex = Exemptions::from_annotations([
            (
                "exempt.rootlock.dev/nginx",
                "readOnlyRootFilesystem: writes /etc at start",
            ),
            (
                "exempt.rootlock.dev/all.containers",
                "runAsNonRoot, runAsUser : needs root",
            ),
            ("other/annotation", "x"),
        ]);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert_eq!(
            ex.find("readOnlyRootFilesystem", Some(&cref("nginx")))
                .unwrap()
                .reason,
            "writes /etc at start"
        );
        assert!(
            ex.find("readOnlyRootFilesystem", Some(&cref("sidecar")))
                .is_none()
        );
        assert!(ex.find("readOnlyRootFilesystem", None).is_none());
        assert_eq!(
            ex.find("runAsUser", Some(&cref("sidecar"))).unwrap().reason,
            "needs root"
        );
        assert!(ex.find("runAsUser", None).is_some());
    }

    #[test]
    fn exemptions_without_reason_or_with_unknown_rules_are_refused() {
        let ex = Exemptions::from_annotations([
            ("exempt.rootlock.dev/a", "readOnlyRootFilesystem"),
            ("exempt.rootlock.dev/b", "readOnlyRootFilesystem:   "),
            ("exempt.rootlock.dev/c", "readOnlyRootFileSystem: typo"),
            ("exempt.rootlock.dev/d", " : reason"),
        ]);
        assert!(ex.entries.is_empty());
        assert_eq!(ex.problems.len(), 4);
        assert_eq!(ex.problems[2].key, "exempt.rootlock.dev/c");
        assert!(
            ex.problems[2]
                .message
                .contains("unknown rule \"readOnlyRootFileSystem\"")
        );
    }

    #[test]
    fn an_annotation_seen_twice_is_read_once() {
        // A Pod's own annotations are also its template's.
        let bad = ("exempt.rootlock.dev/c", "privileged:");
        let good = (
            "exempt.rootlock.dev/all.containers",
            "privileged: debug pod",
        );
        let ex = Exemptions::from_annotations([bad, good, bad, good]);
        assert_eq!(ex.problems.len(), 1, "{:?}", ex.problems);
        assert_eq!(ex.entries.len(), 1);
        // A controller and its template may disagree: both are read.
        let ex = Exemptions::from_annotations([bad, ("exempt.rootlock.dev/c", "privileged")]);
        assert_eq!(ex.problems.len(), 2);
    }
}
