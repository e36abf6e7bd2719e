//! What a namespace's admission labels of one family actually set, read as
//! Pod Security Admission reads them: an `enforce` level it cannot parse
//! fails closed (to the family's strictest level), a `warn` or `audit`
//! level it cannot parse fails open (to `privileged`), and a missing or
//! unparsable `-version` is `latest`.
//!
//! The recommendation needs the value, not just the key: a namespace
//! labelled `rootlock.dev/enforce=baseline` does not enforce `immutable`,
//! and `warn=privileged` warns about nothing.

use crate::inventory::Namespace;
use rootlock_policy::{Level, LevelVersion, Version};

/// `enforce`, `warn` or `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Warn,
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// The strictest level a label family knows: PSA's labels stop at
/// `restricted`, rootlock's go up to `immutable`.
fn strictest(prefix: &str) -> Level {
    if prefix == "rootlock.dev/" {
        Level::Immutable
    } else {
        Level::Restricted
    }
}

/// A level value as the family's admission controller parses it: PSA's
/// labels do not know `immutable` (PSA reads it as invalid).
fn level_of(prefix: &str, value: &str) -> Option<Level> {
    Level::parse(value).filter(|&l| l <= strictest(prefix))
}

/// What an unparsable `mode` level is read as: `enforce` fails closed, to
/// the family's strictest level; `warn` and `audit` fail open.
fn fallback(prefix: &str, mode: Mode) -> Level {
    match mode {
        Mode::Enforce => strictest(prefix),
        Mode::Warn | Mode::Audit => Level::Privileged,
    }
}

/// The level and version `{prefix}{mode}` sets on `ns`; `None` when the
/// namespace has no such label.
pub fn effective(ns: &Namespace, prefix: &str, mode: Mode) -> Option<LevelVersion> {
    let value = ns.label(&format!("{prefix}{}", mode.as_str()))?;
    let level = level_of(prefix, value).unwrap_or(fallback(prefix, mode));
    let version = ns
        .label(&format!("{prefix}{}-version", mode.as_str()))
        .and_then(Version::parse)
        .unwrap_or(Version::Latest);
    Some(LevelVersion::new(level, version))
}

/// The labels of the family on `ns` whose values the admission controller
/// cannot parse, each with what it is read as. Such a label was set before
/// the controller (PSA, or rootlock's webhook) could refuse it, and reads
/// as set while it does something else.
pub fn invalid(ns: &Namespace, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for mode in [Mode::Enforce, Mode::Warn, Mode::Audit] {
        let key = format!("{prefix}{}", mode.as_str());
        if let Some(value) = ns.label(&key)
            && level_of(prefix, value).is_none()
        {
            let read_as = match fallback(prefix, mode) {
                Level::Privileged => format!("privileged: it {}s nothing", mode.as_str()),
                strictest => format!("{strictest}, failing closed"),
            };
            out.push(format!(
                "{key}={value} is not a valid level (read as {read_as})"
            ));
        }
        let key = format!("{key}-version");
        if let Some(value) = ns.label(&key)
            && Version::parse(value).is_none()
        {
            out.push(format!(
                "{key}={value} is not a valid version (read as latest)"
            ));
        }
    }
    out
}

/// Whether admitting at `set` rejects everything `target` rejects: at least
/// as strict a level, at a version no older (`latest` is the newest).
pub fn covers(set: LevelVersion, target: LevelVersion) -> bool {
    set.level >= target.level && set.version.effective_minor() >= target.version.effective_minor()
}

/// The `KEY=VALUE` arguments of a `kubectl label` that makes `mode` cover
/// `target`, and whether one of those keys already has a value (kubectl
/// then refuses without `--overwrite`). `default_version` is what the mode
/// reads without a version label (`latest`, or the webhook config's
/// default).
pub fn label_args(
    ns: &Namespace,
    prefix: &str,
    mode: Mode,
    target: LevelVersion,
    default_version: Version,
) -> (Vec<String>, bool) {
    let key = format!("{prefix}{}", mode.as_str());
    let version_key = format!("{key}-version");
    let mut args = vec![format!("{key}={}", target.level)];
    let mut existing = ns.label(&key).is_some();
    // A version older than the target (a label's, or a default's) keeps
    // enforcing the old checks whatever the level says: it has to change
    // too. An unparsable label reads as latest.
    let version = ns.label(&version_key);
    let in_effect = match version {
        Some(v) => Version::parse(v).unwrap_or(Version::Latest),
        None => default_version,
    };
    if in_effect.effective_minor() < target.version.effective_minor() {
        args.push(format!("{version_key}={}", target.version));
        existing |= version.is_some();
    }
    (args, existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(labels: &[(&str, &str)]) -> Namespace {
        Namespace::shop(labels)
    }

    fn lv(s: &str) -> LevelVersion {
        LevelVersion::parse(s).unwrap()
    }

    const R: &str = "rootlock.dev/";
    const PSA: &str = "pod-security.kubernetes.io/";

    #[test]
    fn invalid_enforce_fails_closed_and_invalid_warn_audit_fail_open() {
        let n = ns(&[
            ("rootlock.dev/enforce", "strict"),
            ("rootlock.dev/warn", "Immutable"),
            ("rootlock.dev/audit", "restricted"),
            ("rootlock.dev/audit-version", "1.30"),
            ("pod-security.kubernetes.io/enforce", "bogus"),
        ]);
        assert_eq!(effective(&n, R, Mode::Enforce), Some(lv("immutable")));
        assert_eq!(effective(&n, R, Mode::Warn), Some(lv("privileged")));
        assert_eq!(effective(&n, R, Mode::Audit), Some(lv("restricted")));
        assert_eq!(effective(&n, PSA, Mode::Enforce), Some(lv("restricted")));
        assert_eq!(effective(&n, PSA, Mode::Warn), None);
        assert_eq!(
            invalid(&n, R),
            [
                "rootlock.dev/enforce=strict is not a valid level (read as immutable, failing closed)",
                "rootlock.dev/warn=Immutable is not a valid level (read as privileged: it warns nothing)",
                "rootlock.dev/audit-version=1.30 is not a valid version (read as latest)",
            ]
        );
    }

    /// PSA does not know `immutable`: on its own labels it is an invalid
    /// value, read as PSA reads one (it is no stricter than restricted).
    #[test]
    fn immutable_is_not_a_level_of_psas_labels() {
        let n = ns(&[
            ("pod-security.kubernetes.io/enforce", "immutable"),
            ("pod-security.kubernetes.io/warn", "immutable"),
        ]);
        assert_eq!(effective(&n, PSA, Mode::Enforce), Some(lv("restricted")));
        assert_eq!(effective(&n, PSA, Mode::Warn), Some(lv("privileged")));
        assert_eq!(invalid(&n, PSA).len(), 2);
        assert!(invalid(&n, R).is_empty());
    }

    #[test]
    fn a_weaker_level_or_older_version_does_not_cover() {
        assert!(covers(lv("immutable"), lv("restricted:v1.30")));
        assert!(!covers(lv("baseline"), lv("immutable")));
        assert!(!covers(lv("immutable:v1.24"), lv("immutable")));
        assert!(covers(lv("restricted:v1.99"), lv("restricted")));
    }

    #[test]
    fn label_args_change_an_old_version_and_ask_for_overwrite() {
        let target = lv("immutable");
        assert_eq!(
            label_args(&ns(&[]), R, Mode::Warn, target, Version::Latest),
            (vec!["rootlock.dev/warn=immutable".to_string()], false)
        );
        let n = ns(&[
            ("rootlock.dev/enforce", "immutable"),
            ("rootlock.dev/enforce-version", "v1.24"),
        ]);
        assert_eq!(
            label_args(&n, R, Mode::Enforce, target, Version::Latest),
            (
                vec![
                    "rootlock.dev/enforce=immutable".to_string(),
                    "rootlock.dev/enforce-version=latest".to_string()
                ],
                true
            )
        );
    }
}
