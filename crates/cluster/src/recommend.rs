//! The next rollout step for a namespace, following the warn → audit →
//! enforce order PSA recommends.

use crate::inventory::Namespace;
use crate::labels::{Mode, covers, effective, invalid, label_args};
use rootlock_policy::format::shell_word;
use rootlock_policy::{Level, LevelVersion};

/// The label family that enforces `level`: PSA's for the Pod Security
/// Standards levels, rootlock's for `immutable` (PSA does not know it).
pub fn label_prefix(level: Level) -> &'static str {
    match level {
        Level::Immutable => "rootlock.dev/",
        _ => "pod-security.kubernetes.io/",
    }
}

/// `kubectl label ns NAME K=V…`, with `--overwrite` when a key has a value.
fn kubectl_label(ns: &Namespace, prefix: &str, modes: &[Mode], level: LevelVersion) -> String {
    let mut args = Vec::new();
    let mut overwrite = false;
    for &mode in modes {
        let (a, existing) = label_args(ns, prefix, mode, level);
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

pub fn recommend(ns: &Namespace, level: LevelVersion, workloads: usize, failing: usize) -> String {
    if level.level == Level::Privileged {
        return "privileged level: nothing to enforce".into();
    }
    let prefix = label_prefix(level.level);
    // An invalid value reads as set and does something else: said first.
    let step = next_step(ns, prefix, level, workloads, failing);
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
    failing: usize,
) -> String {
    if workloads == 0 {
        return "no workloads".into();
    }
    // A label counts only when its value (read as PSA reads it) is at
    // least as strict as the level: `enforce=baseline` does not enforce
    // `immutable`, `warn=privileged` warns about nothing.
    let covered = |mode: Mode| effective(ns, prefix, mode).is_some_and(|set| covers(set, level));
    let failing_text = match failing {
        1 => "1 workload fails".to_string(),
        n => format!("{n} workloads fail"),
    };
    if covered(Mode::Enforce) {
        return if failing == 0 {
            format!("enforced ({prefix}enforce set); all workloads pass {level}")
        } else {
            format!(
                "{prefix}enforce is set but {failing_text} {level} (created before the label, or admitted elsewhere): fix them"
            )
        };
    }
    // An enforce label that is set but weaker is worth saying: it reads
    // as if the namespace were done.
    let weaker = match ns.label(&format!("{prefix}enforce")) {
        Some(value) => format!("{prefix}enforce={value} does not enforce {level}; "),
        None => String::new(),
    };
    let enforce = kubectl_label(ns, prefix, &[Mode::Enforce], level);
    if !covered(Mode::Warn) || !covered(Mode::Audit) {
        return if failing == 0 {
            format!("{weaker}all workloads pass {level}: ready to enforce ({enforce})")
        } else {
            let modes: Vec<Mode> = [Mode::Warn, Mode::Audit]
                .into_iter()
                .filter(|&m| !covered(m))
                .collect();
            let warn_audit = kubectl_label(ns, prefix, &modes, level);
            let labelled = [Mode::Warn, Mode::Audit]
                .iter()
                .any(|m| ns.label(&format!("{prefix}{}", m.as_str())).is_some());
            let state = if labelled {
                format!("warn/audit labels are below {level}")
            } else {
                "no warn/audit label yet".to_string()
            };
            format!(
                "{weaker}{state}: label warn+audit first ({warn_audit}); {failing_text} {level}"
            )
        };
    }
    if failing == 0 {
        format!("{weaker}warn+audit show no violations: ready to enforce ({enforce})")
    } else {
        format!("{weaker}warn+audit are on; {failing_text} {level}: fix them, then enforce")
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
        let r = recommend(&ns(&[]), imm, 3, 2);
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
        );
        assert!(r.contains("rootlock.dev/enforce=immutable"), "{r}");
        // PSA's labels do not enforce the immutable level.
        let r = recommend(
            &ns(&[("pod-security.kubernetes.io/enforce", "restricted")]),
            imm,
            1,
            1,
        );
        assert!(r.starts_with("no warn/audit label yet"), "{r}");
        let restricted = LevelVersion::parse("restricted").unwrap();
        let r = recommend(
            &ns(&[("pod-security.kubernetes.io/enforce", "restricted")]),
            restricted,
            1,
            1,
        );
        assert!(r.contains("enforce is set but 1 workload fails"), "{r}");
        assert_eq!(recommend(&ns(&[]), imm, 0, 0), "no workloads");
    }

    /// A label is judged by its value, as the admission controller reads
    /// it, not by its presence.
    #[test]
    fn a_weaker_label_is_not_enforcement() {
        let imm = LevelVersion::parse("immutable").unwrap();
        let r = recommend(&ns(&[("rootlock.dev/enforce", "baseline")]), imm, 1, 0);
        assert_eq!(
            r,
            "rootlock.dev/enforce=baseline does not enforce immutable:latest; all workloads pass immutable:latest: ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable --overwrite)"
        );
        let r = recommend(&ns(&[("rootlock.dev/enforce", "privileged")]), imm, 1, 1);
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
        );
        assert!(
            r.ends_with("ready to enforce (kubectl label ns shop rootlock.dev/enforce=immutable rootlock.dev/enforce-version=latest --overwrite)"),
            "{r}"
        );
        // An invalid enforce level fails closed: it enforces the strictest,
        // and the value is named, so that it is set right.
        let r = recommend(&ns(&[("rootlock.dev/enforce", "strict")]), imm, 1, 0);
        assert_eq!(
            r,
            "rootlock.dev/enforce=strict is not a valid level (read as immutable, failing closed); enforced (rootlock.dev/enforce set); all workloads pass immutable:latest"
        );
    }
}
