//! The next rollout step for a namespace, following the warn → audit →
//! enforce order PSA recommends.

use crate::inventory::Namespace;
use rootlock_policy::{Level, LevelVersion};

/// The label family that enforces `level`: PSA's for the Pod Security
/// Standards levels, rootlock's for `immutable` (PSA does not know it).
pub fn label_prefix(level: Level) -> &'static str {
    match level {
        Level::Immutable => "rootlock.dev/",
        _ => "pod-security.kubernetes.io/",
    }
}

pub fn recommend(ns: &Namespace, level: LevelVersion, workloads: usize, failing: usize) -> String {
    if level.level == Level::Privileged {
        return "privileged level: nothing to enforce".into();
    }
    if workloads == 0 {
        return "no workloads".into();
    }
    let prefix = label_prefix(level.level);
    let lv = level.level.as_str();
    let has = |mode: &str| ns.label(&format!("{prefix}{mode}")).is_some();
    let failing_text = match failing {
        1 => "1 workload fails".to_string(),
        n => format!("{n} workloads fail"),
    };
    if has("enforce") {
        return if failing == 0 {
            format!("enforced ({prefix}enforce set); all workloads pass {level}")
        } else {
            format!(
                "{prefix}enforce is set but {failing_text} {level} (created before the label, or admitted elsewhere): fix them"
            )
        };
    }
    let name = &ns.name;
    if !has("warn") || !has("audit") {
        let labels = format!("{prefix}warn={lv} {prefix}audit={lv}");
        return if failing == 0 {
            format!(
                "all workloads pass {level}: ready to enforce (kubectl label ns {name} {prefix}enforce={lv})"
            )
        } else {
            format!(
                "no warn/audit label yet: label warn+audit first (kubectl label ns {name} {labels}); {failing_text} {level}"
            )
        };
    }
    if failing == 0 {
        format!(
            "warn+audit show no violations: ready to enforce (kubectl label ns {name} {prefix}enforce={lv})"
        )
    } else {
        format!("warn+audit are on; {failing_text} {level}: fix them, then enforce")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(labels: &[(&str, &str)]) -> Namespace {
        Namespace {
            name: "shop".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
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
}
