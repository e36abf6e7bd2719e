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

use crate::finding::{ContainerRef, FieldPath, Finding, Origin, Severity};
use crate::{immutable, pss};

/// Annotation key prefix for exemptions.
pub const PREFIX: &str = "exempt.rootlock.dev/";
/// The rule id of a finding about an annotation that cannot be understood.
pub const INVALID_EXEMPTION: &str = "invalidExemption";
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
    /// Where the annotation is written: the same key may be on a
    /// controller's own metadata and on its pod template, each with its own
    /// value, and each is reported where it is.
    pub origin: Origin,
    pub message: String,
}

/// Whether `id` names a rule rootlock knows.
pub fn known_rule(id: &str) -> bool {
    pss::check(id).is_some() || immutable::rule(id).is_some()
}

impl Exemptions {
    /// Reads every `exempt.rootlock.dev/*` annotation, each with where it
    /// is written: callers pass a controller's own annotations
    /// ([`Origin::Object`]) and then its pod template's ([`Origin::Pod`]).
    pub fn from_annotations<'a, I>(annotations: I) -> Exemptions
    where
        I: IntoIterator<Item = (Origin, &'a str, &'a str)>,
    {
        let mut out = Exemptions::default();
        // One annotation is read once, so a bad one is reported once even
        // if a caller passes the same map twice. The same key and value
        // written in two places are two annotations to correct.
        let mut seen: Vec<(Origin, &str, &str)> = Vec::new();
        for (origin, key, value) in annotations {
            let Some(target) = key.strip_prefix(PREFIX) else {
                continue;
            };
            if seen.contains(&(origin, key, value)) {
                continue;
            }
            seen.push((origin, key, value));
            match parse_value(value) {
                Ok((rules, reason)) => {
                    if let Some(bad) = rules.iter().find(|r| !known_rule(r)) {
                        out.problems.push(Problem {
                            key: key.to_string(),
                            origin,
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
                    origin,
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
                rule: INVALID_EXEMPTION,
                severity: Severity::Warning,
                container: None,
                message: p.message.clone(),
                // The annotation itself, in the metadata it is written in.
                path: FieldPath::annotation(&p.key),
                origin: p.origin,
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

    /// Annotations written on the pod (template).
    fn on_pod<'a>(list: &[(&'a str, &'a str)]) -> Exemptions {
        Exemptions::from_annotations(list.iter().map(|&(k, v)| (Origin::Pod, k, v)))
    }

    fn cref(name: &str) -> ContainerRef {
        ContainerRef {
            kind: ContainerKind::Regular,
            index: 0,
            name: name.into(),
        }
    }

    #[test]
    fn parses_per_container_and_all_container_exemptions() {
        let ex = on_pod(&[
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
        let ex = on_pod(&[
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

    /// docs/exemptions.md: "There is no wildcard": an exemption is a
    /// reviewed decision about one control, so `*` or `all` exempts
    /// nothing, alone or next to a real rule, and says why.
    #[test]
    fn there_is_no_wildcard_rule() {
        let ex = on_pod(&[
            ("exempt.rootlock.dev/a", "*: everything"),
            ("exempt.rootlock.dev/b", "all: everything"),
            (
                "exempt.rootlock.dev/all.containers",
                "readOnlyRootFilesystem, *: everything",
            ),
        ]);
        assert!(ex.entries.is_empty(), "{:?}", ex.entries);
        let messages: Vec<&str> = ex.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        for (m, rule) in messages.iter().zip(["*", "all", "*"]) {
            assert!(m.contains(&format!("unknown rule {rule:?}")), "{m}");
        }
        assert!(
            ex.find("readOnlyRootFilesystem", Some(&cref("a")))
                .is_none()
        );
        assert!(ex.find("readOnlyRootFilesystem", None).is_none());
    }

    #[test]
    fn an_annotation_passed_twice_is_read_once() {
        let bad = (Origin::Pod, "exempt.rootlock.dev/c", "privileged:");
        let good = (
            Origin::Pod,
            "exempt.rootlock.dev/all.containers",
            "privileged: debug pod",
        );
        let ex = Exemptions::from_annotations([bad, good, bad, good]);
        assert_eq!(ex.problems.len(), 1, "{:?}", ex.problems);
        assert_eq!(ex.entries.len(), 1);
    }

    /// Each problem carries where its annotation is written, so it can be
    /// pointed at there: the same key on a controller and on its template
    /// is two annotations, whether their values agree or not.
    #[test]
    fn each_problem_carries_where_its_annotation_is_written() {
        let key = "exempt.rootlock.dev/c";
        let origins = |list: &[(Origin, &str, &str)]| -> Vec<Origin> {
            Exemptions::from_annotations(list.iter().copied())
                .problems
                .iter()
                .map(|p| p.origin)
                .collect()
        };
        let (object, pod) = (Origin::Object, Origin::Pod);
        assert_eq!(origins(&[(object, key, "privileged")]), [object]);
        assert_eq!(origins(&[(pod, key, "privileged")]), [pod]);
        assert_eq!(
            origins(&[(object, key, "privileged"), (pod, key, "privileged")]),
            [object, pod]
        );
        assert_eq!(
            origins(&[(object, key, "privileged"), (pod, key, "noSuchRule: x")]),
            [object, pod]
        );
        // One valid: only the other is a problem, wherever it is.
        assert_eq!(
            origins(&[(object, key, "privileged: debug"), (pod, key, "privileged")]),
            [pod]
        );
        assert_eq!(
            origins(&[(object, key, "privileged"), (pod, key, "privileged: debug")]),
            [object]
        );
        // The finding made of a problem points where the annotation is.
        let ex = Exemptions::from_annotations([(object, key, "privileged"), (pod, key, "x")]);
        let mut findings = Vec::new();
        ex.apply(&mut findings);
        let at: Vec<(Origin, String)> = findings
            .iter()
            .map(|f| (f.origin, f.path.to_string()))
            .collect();
        let path = format!("metadata.annotations.{key}");
        assert_eq!(at, [(object, path.clone()), (pod, path)]);
    }
}
