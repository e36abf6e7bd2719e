//! The next rollout step for a namespace, following the warn → audit →
//! enforce order PSA recommends.

use crate::inventory::Namespace;
use crate::labels::{Mode, covers, effective, invalid, label_args};
use crate::webhook_policy::{Source, WebhookPolicy};
use rootlock_policy::format::shell_word;
use rootlock_policy::{Level, LevelVersion, Version};

/// The label family that enforces `level`: PSA's for the Pod Security
/// Standards levels, rootlock's for `immutable` (PSA does not know it).
pub fn label_prefix(level: Level) -> &'static str {
    match level {
        Level::Immutable => ROOTLOCK_PREFIX,
        _ => "pod-security.kubernetes.io/",
    }
}

/// The label family of the rootlock webhook.
const ROOTLOCK_PREFIX: &str = "rootlock.dev/";

/// `kubectl label ns NAME K=V…`, with `--overwrite` when a key has a value.
fn kubectl_label(
    ns: &Namespace,
    prefix: &str,
    modes: &[Mode],
    level: LevelVersion,
    webhook: Option<&WebhookPolicy>,
) -> String {
    let mut args = Vec::new();
    let mut overwrite = false;
    for &mode in modes {
        // Without a version label the webhook takes its default's version.
        let default_version = webhook.map_or(Version::Latest, |w| w.default_version(mode));
        let (a, existing) = label_args(ns, prefix, mode, level, default_version);
        args.extend(a);
        overwrite |= existing;
    }
    let flag = if overwrite { " --overwrite" } else { "" };
    // A command to copy and run: the name is the server's, and one that
    // does not check names could send `$(…)` in it.
    format!(
        "kubectl label ns {} {}{flag}",
        shell_word(&ns.name),
        args.join(" ")
    )
}

/// The workloads of a namespace that fail the level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failing {
    pub all: usize,
    /// How many of them fail only for what the webhook's mutation sets
    /// (their next pods pass), and why it mutates there.
    pub fixed_by_mutation: Option<(usize, &'static str)>,
}

impl From<usize> for Failing {
    fn from(all: usize) -> Failing {
        Failing {
            all,
            fixed_by_mutation: None,
        }
    }
}

/// `webhook`: what the rootlock webhook of `--config` applies to the
/// namespace; it decides for rootlock's own label family (its defaults
/// stand in for absent labels, and an exempt namespace enforces nothing).
pub fn recommend(
    ns: &Namespace,
    level: LevelVersion,
    workloads: usize,
    failing: impl Into<Failing>,
    webhook: Option<&WebhookPolicy>,
) -> String {
    let failing = failing.into();
    if level.level == Level::Privileged {
        return "privileged level: nothing to enforce".into();
    }
    let prefix = label_prefix(level.level);
    // PSA's labels are PSA's: the rootlock webhook's config is no part of
    // how PSA reads them.
    let webhook = webhook.filter(|_| prefix == ROOTLOCK_PREFIX);
    // An invalid value reads as set and does something else: said first.
    let step = match webhook {
        Some(w) if w.exempt => {
            "exempt in the webhook's config (exemptions.namespaces): nothing is enforced here, whatever its labels".to_string()
        }
        _ => next_step(ns, prefix, level, workloads, failing, webhook),
    };
    match invalid(ns, prefix) {
        notes if notes.is_empty() => step,
        notes => format!("{}; {step}", notes.join("; ")),
    }
}

fn next_step(
    ns: &Namespace,
    prefix: &str,
    level: LevelVersion,
    workloads: usize,
    failing: Failing,
    webhook: Option<&WebhookPolicy>,
) -> String {
    if workloads == 0 {
        return "no workloads".into();
    }
    // A label counts only when its value (read as PSA reads it) is at
    // least as strict as the level: `enforce=baseline` does not enforce
    // `immutable`, `warn=privileged` warns about nothing. With the
    // webhook's config, an absent label is its default.
    let set = |mode: Mode| match webhook {
        Some(w) => Some(w.mode(mode).level),
        None => effective(ns, prefix, mode),
    };
    let covered = |mode: Mode| set(mode).is_some_and(|set| covers(set, level));
    let failing_text = match failing.all {
        1 => "1 workload fails".to_string(),
        n => format!("{n} workloads fail"),
    };
    // What the webhook's mutation fixes needs no change to any manifest:
    // the workload's next pods pass, the running ones need recreating.
    let (fixable, mutated_by) = failing.fixed_by_mutation.unwrap_or((0, ""));
    let blocking = failing.all.saturating_sub(fixable);
    let note = match fixable {
        0 => String::new(),
        1 => format!(
            " (1 of them only needs the pods recreated: the webhook's mutation ({mutated_by}) sets what they lack)"
        ),
        n => format!(
            " ({n} of them only need the pods recreated: the webhook's mutation ({mutated_by}) sets what they lack)"
        ),
    };
    let fix = if blocking == 0 {
        format!("recreate the pods: the webhook's mutation ({mutated_by}) sets what they lack")
    } else {
        format!("fix them{note}")
    };
    if covered(Mode::Enforce) {
        let by_default = webhook.filter(|w| w.enforce.source == Source::Default);
        return match (by_default, failing.all) {
            (None, 0) => format!("enforced ({prefix}enforce set); all workloads pass {level}"),
            (None, _) => format!(
                "{prefix}enforce is set but {failing_text} {level} (created before the label, or admitted elsewhere): {fix}"
            ),
            (Some(_), 0) => {
                format!("enforced (the webhook's default enforce); all workloads pass {level}")
            }
            (Some(w), _) => format!(
                "the webhook's default enforce={} applies but {failing_text} {level} (created before it applied, or admitted elsewhere): {fix}",
                w.enforce.level
            ),
        };
    }
    // An enforce label that is set but weaker is worth saying: it reads
    // as if the namespace were done.
    let weaker = match (ns.label(&format!("{prefix}enforce")), webhook) {
        (Some(value), _) => format!("{prefix}enforce={value} does not enforce {level}; "),
        (None, Some(w)) => format!(
            "the webhook's enforce={} ({}) does not enforce {level}; ",
            w.enforce.level,
            w.enforce.sources()
        ),
        (None, None) => String::new(),
    };
    let enforce = kubectl_label(ns, prefix, &[Mode::Enforce], level, webhook);
    if failing.all > 0 && blocking == 0 {
        return format!(
            "{weaker}{failing_text} {level} only for what the webhook's mutation ({mutated_by}) sets: ready to enforce ({enforce}), then recreate the pods"
        );
    }
    if !covered(Mode::Warn) || !covered(Mode::Audit) {
        return if failing.all == 0 {
            format!("{weaker}all workloads pass {level}: ready to enforce ({enforce})")
        } else {
            let modes: Vec<Mode> = [Mode::Warn, Mode::Audit]
                .into_iter()
                .filter(|&m| !covered(m))
                .collect();
            let warn_audit = kubectl_label(ns, prefix, &modes, level, webhook);
            let labelled = [Mode::Warn, Mode::Audit]
                .iter()
                .any(|m| ns.label(&format!("{prefix}{}", m.as_str())).is_some());
            let state = if labelled {
                format!("warn/audit labels are below {level}")
            } else {
                "no warn/audit label yet".to_string()
            };
            format!(
                "{weaker}{state}: label warn+audit first ({warn_audit}); {failing_text} {level}{note}"
            )
        };
    }
    if failing.all == 0 {
        format!("{weaker}warn+audit show no violations: ready to enforce ({enforce})")
    } else {
        format!("{weaker}warn+audit are on; {failing_text} {level}: fix them{note}, then enforce")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(labels: &[(&str, &str)]) -> Namespace {
        Namespace::shop(labels)
    }

    #[test]
    fn the_next_step_follows_warn_audit_enforce() {
        let imm = LevelVersion::parse("immutable").unwrap();
        let r = recommend(&ns(&[]), imm, 3, 2, None);
        assert!(
            r.starts_with("no warn/audit label yet: label warn+audit first (kubectl label ns shop rootlock.dev/warn=immutable rootlock.dev/audit=immutable)"),
            "{r}"
        );
        let r = recommend(
            &ns(&[
                ("rootlock.dev/warn", "immutable"),
                ("rootlock.dev/audit", "immutable"),
            ]),
            imm,
            3,
            0,
            None,
        );
        assert!(r.contains("rootlock.dev/enforce=immutable"), "{r}");
        // PSA's labels do not enforce the immutable level.
        let r = recommend(
            &ns(&[("pod-security.kubernetes.io/enforce", "restricted")]),
            imm,
            1,
            1,
            None,
        );
        assert!(r.starts_with("no warn/audit label yet"), "{r}");
        let restricted = LevelVersion::parse("restricted").unwrap();
        let r = recommend(
            &ns(&[("pod-security.kubernetes.io/enforce", "restricted")]),
            restricted,
            1,
            1,
            None,
        );
        assert!(r.contains("enforce is set but 1 workload fails"), "{r}");
        assert_eq!(recommend(&ns(&[]), imm, 0, 0, None), "no workloads");
    }

    /// A label is judged by its value, as the admission controller reads
    /// it, not by its presence.
    #[test]
    fn a_weaker_label_is_not_enforcement() {
        let imm = LevelVersion::parse("immutable").unwrap();
        let r = recommend(
            &ns(&[("rootlock.dev/enforce", "baseline")]),
            imm,
            1,
            0,
            None,
        );
        assert_eq!(
            r,
            "rootlock.dev/enforce=baseline does not enforce immutable:latest; all workloads pass immutable:latest: ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable --overwrite)"
        );
        let r = recommend(
            &ns(&[("rootlock.dev/enforce", "privileged")]),
            imm,
            1,
            1,
            None,
        );
        assert!(
            r.starts_with("rootlock.dev/enforce=privileged does not enforce immutable:latest; no warn/audit label yet"),
            "{r}"
        );
        // `warn=privileged` warns about nothing; an invalid audit level
        // fails open to privileged.
        let r = recommend(
            &ns(&[
                ("rootlock.dev/warn", "privileged"),
                ("rootlock.dev/audit", "Immutable"),
            ]),
            imm,
            1,
            1,
            None,
        );
        assert_eq!(
            r,
            "rootlock.dev/audit=Immutable is not a valid level (read as privileged: it audits nothing); warn/audit labels are below immutable:latest: label warn+audit first (kubectl label ns shop rootlock.dev/warn=immutable rootlock.dev/audit=immutable --overwrite); 1 workload fails immutable:latest"
        );
        // An old enforce version enforces the old checks.
        let r = recommend(
            &ns(&[
                ("rootlock.dev/enforce", "immutable"),
                ("rootlock.dev/enforce-version", "v1.24"),
                ("rootlock.dev/warn", "immutable"),
                ("rootlock.dev/audit", "immutable"),
            ]),
            imm,
            1,
            0,
            None,
        );
        assert!(
            r.ends_with("ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable rootlock.dev/enforce-version=latest --overwrite)"),
            "{r}"
        );
        // An invalid enforce level fails closed: it enforces the strictest,
        // and the value is named, so that it is set right.
        let r = recommend(&ns(&[("rootlock.dev/enforce", "strict")]), imm, 1, 0, None);
        assert_eq!(
            r,
            "rootlock.dev/enforce=strict is not a valid level (read as immutable, failing closed); enforced (rootlock.dev/enforce set); all workloads pass immutable:latest"
        );
    }

    /// A workload that fails only for what the webhook's mutation sets
    /// needs no fix: its next pods pass, its running ones need recreating.
    #[test]
    fn what_the_webhooks_mutation_fixes_needs_the_pods_recreated() {
        let imm = LevelVersion::parse("immutable").unwrap();
        let mutated = |all, fixed| Failing {
            all,
            fixed_by_mutation: Some((fixed, "rootlock.dev/mutate=true")),
        };
        assert_eq!(
            recommend(&ns(&[]), imm, 3, mutated(2, 2), None),
            "2 workloads fail immutable:latest only for what the webhook's mutation (rootlock.dev/mutate=true) sets: ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable), then recreate the pods"
        );
        let warn_audit = [
            ("rootlock.dev/warn", "immutable"),
            ("rootlock.dev/audit", "immutable"),
        ];
        assert_eq!(
            recommend(&ns(&warn_audit), imm, 3, mutated(2, 1), None),
            "warn+audit are on; 2 workloads fail immutable:latest: fix them (1 of them only needs the pods recreated: the webhook's mutation (rootlock.dev/mutate=true) sets what they lack), then enforce"
        );
        assert_eq!(
            recommend(
                &ns(&[("rootlock.dev/enforce", "immutable")]),
                imm,
                3,
                mutated(1, 1),
                None
            ),
            "rootlock.dev/enforce is set but 1 workload fails immutable:latest (created before the label, or admitted elsewhere): recreate the pods: the webhook's mutation (rootlock.dev/mutate=true) sets what they lack"
        );
    }

    /// With the webhook's config, its policy is what counts for the
    /// rootlock.dev family: an unlabelled namespace is enforced by the
    /// default, and labels in an exempt one change nothing.
    #[test]
    fn the_webhooks_defaults_and_exemptions_decide_the_next_step() {
        use crate::webhook_policy::webhook_policy;
        use rootlock_webhook::config::Config;
        let imm = LevelVersion::parse("immutable").unwrap();
        let policy = |labels: &[(&str, &str)], config: &str| {
            webhook_policy(&ns(labels), &Config::parse(config).unwrap())
        };
        // The webhook's own default: immutable everywhere.
        let all = policy(&[], "");
        assert_eq!(
            recommend(&ns(&[]), imm, 3, 2, Some(&all)),
            "the webhook's default enforce=immutable:latest applies but 2 workloads fail immutable:latest (created before it applied, or admitted elsewhere): fix them"
        );
        assert_eq!(
            recommend(&ns(&[]), imm, 3, 0, Some(&all)),
            "enforced (the webhook's default enforce); all workloads pass immutable:latest"
        );
        // Defaults that warn and audit but do not enforce: ready to enforce.
        let warn_audit = policy(&[], "defaults:\n  enforce: privileged\n");
        assert_eq!(
            recommend(&ns(&[]), imm, 3, 0, Some(&warn_audit)),
            "the webhook's enforce=privileged:latest (default) does not enforce immutable:latest; warn+audit show no violations: ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable)"
        );
        // A default version older than the level's stays when only the
        // level is labelled: the command sets the version too.
        let old = policy(&[], "defaults:\n  enforce-version: v1.24\n");
        assert_eq!(
            recommend(&ns(&[]), imm, 3, 0, Some(&old)),
            "the webhook's enforce=immutable:v1.24 (default) does not enforce immutable:latest; warn+audit show no violations: ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable rootlock.dev/enforce-version=latest)"
        );
        // A label still counts as one.
        let labelled = [("rootlock.dev/enforce", "immutable")];
        assert_eq!(
            recommend(
                &ns(&labelled),
                imm,
                1,
                0,
                Some(&policy(&labelled, "defaults:\n  enforce: privileged\n"))
            ),
            "enforced (rootlock.dev/enforce set); all workloads pass immutable:latest"
        );
        // Exempt: labels would change nothing.
        let exempt = policy(&[], "exemptions:\n  namespaces: [shop]\n");
        assert_eq!(
            recommend(&ns(&[]), imm, 3, 2, Some(&exempt)),
            "exempt in the webhook's config (exemptions.namespaces): nothing is enforced here, whatever its labels"
        );
        // PSA's family is PSA's: the rootlock webhook's config is no part of it.
        let restricted = LevelVersion::parse("restricted").unwrap();
        assert_eq!(
            recommend(&ns(&[]), restricted, 3, 2, Some(&exempt)),
            recommend(&ns(&[]), restricted, 3, 2, None)
        );
    }
}
