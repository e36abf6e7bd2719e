//! Namespace labels → the policy to evaluate, with Pod Security Admission's
//! rules: absent labels take the configured defaults; an invalid `enforce`
//! fails closed (to `immutable`, the strictest level), invalid `warn` and
//! `audit` fail open (to `privileged`), invalid versions become `latest`;
//! `warn` inherits a stricter, valid `enforce` when it has no label of its
//! own. Every invalid value is also a field error in PSA's wording.

use crate::review::StatusCause;
use rootlock_manifest::tree::Node;
use rootlock_policy::format::go_quote;
use rootlock_policy::{Level, LevelVersion, Version};
use std::collections::BTreeMap;
use std::fmt;

pub const PREFIX: &str = "rootlock.dev/";
pub const ENFORCE: &str = "rootlock.dev/enforce";
pub const ENFORCE_VERSION: &str = "rootlock.dev/enforce-version";
pub const WARN: &str = "rootlock.dev/warn";
pub const WARN_VERSION: &str = "rootlock.dev/warn-version";
pub const AUDIT: &str = "rootlock.dev/audit";
pub const AUDIT_VERSION: &str = "rootlock.dev/audit-version";
pub const MUTATE: &str = "rootlock.dev/mutate";

pub const LEVEL_ERROR: &str = "must be one of privileged, baseline, restricted, immutable";
pub const VERSION_ERROR: &str = "must be \"latest\" or \"v1.x\"";
pub const BOOL_ERROR: &str = "must be \"true\" or \"false\"";

/// The three modes' level and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub warn: LevelVersion,
    pub audit: LevelVersion,
}

impl Policy {
    pub fn fully_privileged(&self) -> bool {
        self.enforce.level == Level::Privileged
            && self.warn.level == Level::Privileged
            && self.audit.level == Level::Privileged
    }

    /// PSA's `Equivalent`: privileged at any version is the same policy.
    pub fn equivalent(&self, other: &Policy) -> bool {
        fn eq(a: LevelVersion, b: LevelVersion) -> bool {
            a.level == b.level && (a.level == Level::Privileged || a.version == b.version)
        }
        eq(self.enforce, other.enforce) && eq(self.warn, other.warn) && eq(self.audit, other.audit)
    }
}

/// `metadata.labels[KEY]: Invalid value: "VALUE": DETAIL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: &'static str,
    pub value: String,
    pub detail: &'static str,
}

impl FieldError {
    /// The field path, as Go's `field.Path` prints it.
    pub fn field(&self) -> String {
        format!("metadata.labels[{}]", self.key)
    }

    /// Go's `field.Error.ErrorBody()`: the message without the field.
    pub fn body(&self) -> String {
        format!("Invalid value: {}: {}", go_quote(&self.value), self.detail)
    }

    /// The `metav1.StatusCause` the API server's `NewInvalid` makes of it.
    pub fn cause(&self) -> StatusCause {
        StatusCause {
            reason: "FieldValueInvalid".into(),
            message: self.body(),
            field: self.field(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.body())
    }
}

/// Go's `utilerrors.NewAggregate(errs).Error()`: one error as itself, more
/// as `[a, b]` (duplicates removed).
pub fn aggregate(errors: &[FieldError]) -> String {
    let mut msgs: Vec<String> = Vec::new();
    for e in errors {
        let m = e.to_string();
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    if msgs.len() == 1 {
        msgs.pop().unwrap_or_default()
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

/// The rootlock labels of a namespace (other labels are dropped).
pub type Labels = BTreeMap<String, String>;

/// Keeps only `rootlock.dev/` labels.
pub fn rootlock_labels<'a>(all: impl IntoIterator<Item = (&'a String, &'a String)>) -> Labels {
    all.into_iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A JSON string in a tree read from JSON: a quoted scalar (JSON `null`,
/// numbers and booleans are plain ones, and are not strings).
pub fn json_str(node: &Node) -> Option<&str> {
    node.as_scalar()
        .filter(|s| !s.plain)
        .map(|s| s.text.as_str())
}

/// The rootlock labels of a namespace object read from JSON; label values
/// that are not strings are dropped (a `map[string]string` would refuse
/// them; the API server never sends one).
pub fn labels_from_object(object: &Node) -> Labels {
    object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter(|e| e.key.starts_with(PREFIX))
        .filter_map(|e| json_str(&e.value).map(|v| (e.key.clone(), v.to_string())))
        .collect()
}

/// PSA's `PolicyToEvaluate`, with `immutable` as the fail-closed level.
pub fn policy_to_evaluate(labels: &Labels, defaults: &Policy) -> (Policy, Vec<FieldError>) {
    let mut p = *defaults;
    let mut errs = Vec::new();
    if labels.is_empty() {
        return (p, errs);
    }
    let mut has_enforce_level = false;
    let level = |key: &'static str,
                 target: &mut LevelVersion,
                 fallback: Level,
                 errs: &mut Vec<FieldError>|
     -> Option<bool> {
        let v = labels.get(key)?;
        Some(match Level::parse(v) {
            Some(l) => {
                target.level = l;
                true
            }
            None => {
                target.level = fallback;
                errs.push(FieldError {
                    key,
                    value: v.clone(),
                    detail: LEVEL_ERROR,
                });
                false
            }
        })
    };
    if let Some(ok) = level(ENFORCE, &mut p.enforce, Level::Immutable, &mut errs) {
        has_enforce_level = ok;
    }
    let version =
        |key: &'static str, target: &mut LevelVersion, errs: &mut Vec<FieldError>| -> bool {
            let Some(v) = labels.get(key) else {
                return false;
            };
            match Version::parse(v) {
                Some(ver) => target.version = ver,
                None => {
                    target.version = Version::Latest;
                    errs.push(FieldError {
                        key,
                        value: v.clone(),
                        detail: VERSION_ERROR,
                    });
                }
            }
            true
        };
    version(ENFORCE_VERSION, &mut p.enforce, &mut errs);
    level(AUDIT, &mut p.audit, Level::Privileged, &mut errs);
    version(AUDIT_VERSION, &mut p.audit, &mut errs);
    let has_warn_level = level(WARN, &mut p.warn, Level::Privileged, &mut errs).is_some();
    let has_warn_version = version(WARN_VERSION, &mut p.warn, &mut errs);
    if let Some(v) = labels.get(MUTATE)
        && v != "true"
        && v != "false"
    {
        errs.push(FieldError {
            key: MUTATE,
            value: v.clone(),
            detail: BOOL_ERROR,
        });
    }
    // Warn defaults to an explicitly set, stricter enforce level.
    if !has_warn_level && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if !has_warn_version {
            p.warn.version = p.enforce.version;
        }
    }
    (p, errs)
}

/// `rootlock.dev/mutate`: `Some(true|false)` when set to a valid value.
pub fn mutate_label(labels: &Labels) -> Option<bool> {
    match labels.get(MUTATE).map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn lv(s: &str) -> LevelVersion {
        LevelVersion::parse(s).unwrap()
    }

    #[test]
    fn labels_of_an_object_are_its_rootlock_string_labels() {
        let ns = crate::object::slim_from_str(
            r#"{"kind":"Namespace","metadata":{"name":"shop","labels":{
                "rootlock.dev/enforce":"restricted","rootlock.dev/warn":5,
                "rootlock.dev/audit":null,"rootlock.dev/mutate":"true","team":"a"}}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            labels_from_object(&ns),
            labels(&[(ENFORCE, "restricted"), (MUTATE, "true")])
        );
        let name = ns.get("metadata").and_then(|m| m.get("name"));
        assert_eq!(name.and_then(json_str), Some("shop"));
        let bare = crate::object::slim_from_str(r#"{"kind":"Namespace"}"#)
            .unwrap()
            .unwrap();
        assert!(labels_from_object(&bare).is_empty());
    }

    fn privileged() -> Policy {
        Policy {
            enforce: lv("privileged"),
            warn: lv("privileged"),
            audit: lv("privileged"),
        }
    }

    #[test]
    fn absent_labels_take_the_defaults() {
        let d = Policy {
            enforce: lv("baseline:v1.30"),
            warn: lv("immutable"),
            audit: lv("restricted"),
        };
        assert_eq!(policy_to_evaluate(&Labels::new(), &d), (d, vec![]));
        let (p, e) = policy_to_evaluate(&labels(&[(AUDIT, "immutable")]), &d);
        assert!(e.is_empty());
        assert_eq!(p.audit, lv("immutable"));
        assert_eq!(p.enforce, lv("baseline:v1.30"));
    }

    #[test]
    fn invalid_enforce_fails_closed_and_warn_audit_fail_open() {
        let (p, e) = policy_to_evaluate(
            &labels(&[
                (ENFORCE, "Restricted"),
                (WARN, "bogus"),
                (AUDIT, "x"),
                (AUDIT_VERSION, "v1.01"),
            ]),
            &privileged(),
        );
        assert_eq!(p.enforce, lv("immutable"));
        assert_eq!(p.warn, lv("privileged"));
        assert_eq!(p.audit, lv("privileged"));
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[0].to_string(),
            "metadata.labels[rootlock.dev/enforce]: Invalid value: \"Restricted\": must be one of privileged, baseline, restricted, immutable"
        );
        assert_eq!(
            aggregate(&e[2..]),
            "[metadata.labels[rootlock.dev/audit-version]: Invalid value: \"v1.01\": must be \"latest\" or \"v1.x\", metadata.labels[rootlock.dev/warn]: Invalid value: \"bogus\": must be one of privileged, baseline, restricted, immutable]"
        );
    }

    #[test]
    fn invalid_version_becomes_latest() {
        let (p, e) = policy_to_evaluate(
            &labels(&[(ENFORCE, "baseline"), (ENFORCE_VERSION, "1.25")]),
            &privileged(),
        );
        assert_eq!(p.enforce, lv("baseline:latest"));
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn versions_take_go_atoi_range_like_psa() {
        // PSA parses N with strconv.Atoi (int64): valid there, valid here.
        let (p, e) = policy_to_evaluate(
            &labels(&[(ENFORCE, "restricted"), (ENFORCE_VERSION, "v1.5000000000")]),
            &privileged(),
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(p.enforce.to_string(), "restricted:v1.5000000000");
        let (_, e) = policy_to_evaluate(
            &labels(&[(ENFORCE_VERSION, "v1.9223372036854775808")]),
            &privileged(),
        );
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn warn_inherits_a_stricter_valid_enforce() {
        let (p, _) = policy_to_evaluate(
            &labels(&[(ENFORCE, "restricted"), (ENFORCE_VERSION, "v1.30")]),
            &privileged(),
        );
        assert_eq!(p.warn, lv("restricted:v1.30"));
        // with a warn-version label, only the level is inherited
        let (p, _) = policy_to_evaluate(
            &labels(&[
                (ENFORCE, "restricted"),
                (ENFORCE_VERSION, "v1.30"),
                (WARN_VERSION, "v1.25"),
            ]),
            &privileged(),
        );
        assert_eq!(p.warn, lv("restricted:v1.25"));
        // an explicit warn label wins
        let (p, _) = policy_to_evaluate(
            &labels(&[(ENFORCE, "restricted"), (WARN, "baseline")]),
            &privileged(),
        );
        assert_eq!(p.warn, lv("baseline"));
        // an invalid enforce is not inherited
        let (p, _) = policy_to_evaluate(&labels(&[(ENFORCE, "nope")]), &privileged());
        assert_eq!(p.warn, lv("privileged"));
    }

    #[test]
    fn mutate_label_is_validated() {
        assert_eq!(mutate_label(&labels(&[(MUTATE, "true")])), Some(true));
        let (_, e) = policy_to_evaluate(&labels(&[(MUTATE, "yes")]), &privileged());
        assert_eq!(e[0].detail, BOOL_ERROR);
    }
}
