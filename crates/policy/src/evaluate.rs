//! Evaluating one pod at one level: PSA's aggregate for the Pod Security
//! Standards part, and rootlock's per-subject findings for everything.

use crate::exemptions::Exemptions;
use crate::finding::{ContainerRef, FieldPath, Finding, Origin, Severity};
use crate::immutable;
use crate::level::{Level, LevelVersion};
use crate::model::Pod;
use crate::pss::{self, CheckResult};
use crate::scope::{CheckFn, Scope};

/// The result of evaluating a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub level: LevelVersion,
    /// Failed Pod Security Standards checks over the whole pod, in PSA order.
    pub pss: Vec<CheckResult>,
    /// Failed immutable-family rules over the whole pod, in rule order.
    pub immutable: Vec<CheckResult>,
    /// One finding per rule and subject (pod or container).
    pub findings: Vec<Finding>,
}

impl Evaluation {
    /// `violates PodSecurity "restricted:latest": …`, byte-identical to
    /// PSA, for the Pod Security Standards part; `None` when it passes.
    /// The label is the PSS level (`immutable:v1.30` prints `restricted:v1.30`).
    pub fn pod_security_message(&self) -> Option<String> {
        (!self.pss.is_empty()).then(|| {
            format!(
                "violates PodSecurity \"{}\": {}",
                self.level.pss(),
                pss::aggregate(&self.pss)
            )
        })
    }

    /// The immutable family in the same style:
    /// `violates PodSecurity "immutable:latest": readOnlyRootFilesystem != true (…)`.
    /// Only error-severity rules count: warnings never deny.
    pub fn immutable_message(&self) -> Option<String> {
        let errors: Vec<CheckResult> = self
            .immutable
            .iter()
            .filter(|r| immutable::rule(r.id).is_some_and(|rule| rule.severity == Severity::Error))
            .cloned()
            .collect();
        (!errors.is_empty()).then(|| {
            format!(
                "violates PodSecurity \"{}\": {}",
                self.level,
                pss::aggregate(&errors)
            )
        })
    }

    /// The whole denial/warning text: the PSS part, then the immutable part,
    /// joined by `; `.
    pub fn message(&self) -> Option<String> {
        let parts: Vec<String> = [self.pod_security_message(), self.immutable_message()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Whether any finding has error severity (after exemptions).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Whether any error finding is left once `exemptions` are applied:
    /// what `evaluate(pod, level, exemptions).has_errors()` says, from an
    /// evaluation made without them, so one evaluation serves callers
    /// that weigh the same pod against different exemptions.
    pub fn has_errors_after(&self, exemptions: Option<&Exemptions>) -> bool {
        self.findings.iter().any(|f| {
            f.severity == Severity::Error
                && exemptions.is_none_or(|ex| ex.find(f.rule, f.container.as_ref()).is_none())
        })
    }
}

/// Evaluates `pod` at `level`. `exemptions` are applied to findings only:
/// the PSA aggregate stays what PSA itself would say.
pub fn evaluate(pod: &Pod, level: LevelVersion, exemptions: Option<&Exemptions>) -> Evaluation {
    let pss_results = pss::evaluate(pod, level.level, level.version);
    let mut findings = Vec::new();
    let minor = level.version.effective_minor();
    for r in &pss_results {
        if let Some(check) = pss::check(r.id)
            && let Some(imp) = check.at(minor)
        {
            let fields = Fields {
                pod: check.pod_field,
                container: check.container_field,
                locate: &|scope| check.locate.and_then(|f| f(pod, scope, minor)),
            };
            per_subject(pod, r, imp.eval, Severity::Error, &fields, &mut findings);
        }
    }
    let mut immutable_results = Vec::new();
    if level.level == Level::Immutable {
        for rule in immutable::rules() {
            if let Some(violation) = (rule.eval)(pod, Scope::All) {
                let r = CheckResult {
                    id: rule.id,
                    violation,
                };
                let fields = Fields {
                    pod: &["spec"],
                    container: rule.container_field,
                    locate: &|scope| rule.locate.and_then(|f| f(pod, scope, minor)),
                };
                per_subject(pod, &r, rule.eval, rule.severity, &fields, &mut findings);
                immutable_results.push(r);
            }
        }
        findings.extend(pod_warnings(pod));
    }
    if let Some(ex) = exemptions {
        ex.apply(&mut findings);
    }
    Evaluation {
        level,
        pss: pss_results,
        immutable: immutable_results,
        findings,
    }
}

/// The immutable level's advice about the pod as a whole, never a verdict:
/// a `readOnlyRootFilesystem` written at the pod level (no such field; the
/// API server drops it), and a pod bound for Windows nodes by scheduling
/// alone. The webhook's fast evaluation adds these too, so `/validate`
/// warns as `scan` does.
pub fn pod_warnings(pod: &Pod) -> Vec<Finding> {
    let mut findings = Vec::new();
    let pod_level_field = pod
        .spec
        .security_context
        .as_ref()
        .is_some_and(|s| s.read_only_root_filesystem_written);
    if pod_level_field {
        findings.push(Finding {
            rule: "readOnlyRootFilesystem",
            severity: Severity::Warning,
            container: None,
            message: immutable::POD_LEVEL_FIELD_MESSAGE.to_string(),
            path: FieldPath::keys(&["spec", "securityContext", "readOnlyRootFilesystem"]),
            origin: Origin::Pod,
            exemption: None,
        });
    }
    // The rule still holds for such a pod (see `windows_nodes`): this
    // only says that meeting it does not make it read-only there.
    if let Some(binding) = pod.spec.windows_binding.filter(|_| !pod.spec.is_windows()) {
        findings.push(Finding {
            rule: "readOnlyRootFilesystem",
            severity: Severity::Warning,
            container: None,
            message: binding.warning(),
            path: binding.field(),
            origin: Origin::Pod,
            exemption: None,
        });
    }
    findings
}

/// Where a rule's findings point: a subject's own answer from `locate`,
/// else the rule's fixed field below the pod or the container.
struct Fields<'a> {
    pod: &'a [&'a str],
    container: &'a [&'a str],
    locate: &'a dyn Fn(Scope) -> Option<FieldPath>,
}

/// Splits one failed check into findings for the pod and each container,
/// re-running it per subject so each message names only that subject.
fn per_subject(
    pod: &Pod,
    whole: &CheckResult,
    eval: CheckFn,
    severity: Severity,
    fields: &Fields,
    out: &mut Vec<Finding>,
) {
    let before = out.len();
    if let Some(v) = eval(pod, Scope::Pod) {
        out.push(Finding {
            rule: whole.id,
            severity,
            container: None,
            message: v.render(),
            path: (fields.locate)(Scope::Pod).unwrap_or_else(|| FieldPath::keys(fields.pod)),
            origin: Origin::Pod,
            exemption: None,
        });
    }
    for (kind, index, c) in pod.spec.all_containers() {
        if let Some(v) = eval(pod, Scope::Container(kind, index)) {
            out.push(Finding {
                rule: whole.id,
                severity,
                container: Some(ContainerRef {
                    kind,
                    index,
                    name: c.name.clone(),
                }),
                message: v.render(),
                path: (fields.locate)(Scope::Container(kind, index))
                    .unwrap_or_else(|| FieldPath::container(kind, index).extend(fields.container)),
                origin: Origin::Pod,
                exemption: None,
            });
        }
    }
    if out.len() == before {
        // Every check attributes its offenders to a subject; should one not,
        // the whole-pod result is still reported rather than lost.
        out.push(Finding {
            rule: whole.id,
            severity,
            container: None,
            message: whole.violation.render(),
            path: FieldPath::keys(fields.pod),
            origin: Origin::Pod,
            exemption: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Version;
    use crate::testing::*;

    #[test]
    fn restricted_message_is_psa_format_and_findings_are_per_container() {
        let p = pod(vec![container("a"), container("b")]);
        let e = evaluate(&p, LevelVersion::parse("immutable").unwrap(), None);
        assert_eq!(
            e.pod_security_message().unwrap(),
            "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or containers \"a\", \"b\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        assert_eq!(
            e.immutable_message().unwrap(),
            "violates PodSecurity \"immutable:latest\": readOnlyRootFilesystem != true (containers \"a\", \"b\" must set securityContext.readOnlyRootFilesystem=true)"
        );
        let rofs: Vec<&Finding> = e
            .findings
            .iter()
            .filter(|f| f.rule == "readOnlyRootFilesystem")
            .collect();
        assert_eq!(rofs.len(), 2);
        assert_eq!(
            rofs[1].message,
            "readOnlyRootFilesystem != true (container \"b\" must set securityContext.readOnlyRootFilesystem=true)"
        );
        assert_eq!(
            rofs[1].path.to_string(),
            "spec.containers[1].securityContext.readOnlyRootFilesystem"
        );
        assert!(e.has_errors());
    }

    /// Each failed check is re-run per container to word its finding; a
    /// check asked about one container must look at that one, not walk
    /// them all, or a pod with thousands (a manifest, a review anyone can
    /// send the webhook) costs their square: 10,000 took over a minute
    /// here (debug build), linear well under a second. Time is not asserted
    /// (timings belong in benchmarks): this checks the findings at that
    /// size, and a quadratic regression shows as a test that takes minutes.
    #[test]
    fn per_container_findings_stay_linear_in_the_containers() {
        let n = 10_000;
        let p = pod((0..n).map(|i| container(&format!("c{i}"))).collect());
        let e = evaluate(&p, LevelVersion::parse("immutable").unwrap(), None);
        let rofs = e
            .findings
            .iter()
            .filter(|f| f.rule == "readOnlyRootFilesystem")
            .count();
        assert_eq!(rofs, n);
        assert_eq!(
            e.findings.last().map(|f| f.message.as_str()),
            Some(
                "readOnlyRootFilesystem != true (container \"c9999\" must set securityContext.readOnlyRootFilesystem=true)"
            )
        );
    }

    /// Locating a mount finding looks each mount's volume up by name once:
    /// a container of thousands of mounts over as many volumes, the
    /// offending one last, was quadratic.
    #[test]
    fn locating_a_mount_finding_stays_linear_in_the_mounts() {
        use crate::model::{Volume, VolumeMount};
        let n = 40_000;
        let mut c = with_sc("c", |s| s.read_only_root_filesystem = Some(true));
        let mut p = pod(vec![]);
        for i in 0..n {
            let name = format!("v{i}");
            let at = if i == n - 1 {
                "/etc".into()
            } else {
                format!("/data/{i}")
            };
            c.volume_mounts.push(VolumeMount {
                name: name.clone(),
                mount_path: at,
                ..Default::default()
            });
            p.spec.volumes.push(Volume {
                name,
                sources: vec!["emptyDir".into()],
                ..Default::default()
            });
        }
        p.spec.containers.push(c);
        let started = std::time::Instant::now();
        let e = evaluate(&p, LevelVersion::parse("immutable").unwrap(), None);
        let elapsed = started.elapsed();
        let f = e
            .findings
            .iter()
            .find(|f| f.rule == "writableSystemPath")
            .unwrap();
        assert_eq!(
            f.path.to_string(),
            format!("spec.containers[0].volumeMounts[{}]", n - 1)
        );
        assert!(elapsed.as_secs() < 3, "took {elapsed:?}");
    }

    #[test]
    fn restricted_level_has_no_immutable_findings() {
        let p = pod(vec![container("a")]);
        let e = evaluate(
            &p,
            LevelVersion::new(Level::Restricted, Version::Latest),
            None,
        );
        assert!(
            e.findings
                .iter()
                .all(|f| f.rule != "readOnlyRootFilesystem")
        );
        assert!(e.immutable_message().is_none());
        let e = evaluate(
            &p,
            LevelVersion::new(Level::Privileged, Version::Latest),
            None,
        );
        assert!(e.findings.is_empty() && e.message().is_none());
    }

    #[test]
    fn pod_level_field_is_called_out() {
        let mut p = pod(vec![with_sc("a", |s| {
            s.read_only_root_filesystem = Some(true)
        })]);
        pod_sc(&mut p).read_only_root_filesystem_written = true;
        let e = evaluate(&p, LevelVersion::parse("immutable").unwrap(), None);
        let f = e
            .findings
            .iter()
            .find(|f| f.message.contains("not a Kubernetes API field"))
            .unwrap();
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    fn exemptions_turn_findings_into_info() {
        let p = pod(vec![container("a"), container("b")]);
        let ex = Exemptions::from_annotations([(
            Origin::Pod,
            "exempt.rootlock.dev/a",
            "readOnlyRootFilesystem: legacy",
        )]);
        let e = evaluate(&p, LevelVersion::parse("immutable").unwrap(), Some(&ex));
        let a = e
            .findings
            .iter()
            .find(|f| {
                f.rule == "readOnlyRootFilesystem" && f.container.as_ref().unwrap().name == "a"
            })
            .unwrap();
        assert_eq!(
            (a.severity, a.exemption.as_deref()),
            (Severity::Info, Some("legacy"))
        );
        let b = e
            .findings
            .iter()
            .find(|f| {
                f.rule == "readOnlyRootFilesystem" && f.container.as_ref().unwrap().name == "b"
            })
            .unwrap();
        assert_eq!(b.severity, Severity::Error);
        assert!(
            e.pod_security_message().is_some(),
            "PSA's verdict is not changed by rootlock exemptions"
        );
    }

    #[test]
    fn a_pod_bound_for_windows_nodes_by_scheduling_is_warned_and_still_judged() {
        use crate::windows_nodes::WindowsBinding;
        let immutable = LevelVersion::parse("immutable").unwrap();
        let mut p = pod(vec![container("a")]);
        p.spec.windows_binding = Some(WindowsBinding::NodeSelector);
        let e = evaluate(&p, immutable, None);
        let warned: Vec<&Finding> = e
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && f.rule == "readOnlyRootFilesystem")
            .collect();
        assert_eq!(warned.len(), 1);
        assert!(warned[0].message.contains("set spec.os.name: windows"));
        assert_eq!(
            warned[0].path.to_string(),
            "spec.nodeSelector.kubernetes.io/os"
        );
        // The rule is not waived: a selector does not decide where it runs.
        assert!(e.immutable_message().is_some());
        // Nothing to say where the pod says it is a Windows pod, nor below
        // the immutable level.
        p.spec.os_name = Some("windows".into());
        let e = evaluate(&p, immutable, None);
        assert!(e.findings.iter().all(|f| f.severity != Severity::Warning));
        p.spec.os_name = None;
        let restricted = evaluate(&p, LevelVersion::parse("restricted").unwrap(), None);
        assert!(
            restricted
                .findings
                .iter()
                .all(|f| f.severity != Severity::Warning)
        );
    }

    #[test]
    fn errors_after_exemptions_match_an_evaluation_made_with_them() {
        let p = pod(vec![container("a"), container("b")]);
        let immutable = LevelVersion::parse("immutable").unwrap();
        let bare = evaluate(&p, immutable, None);
        let restricted_rules = "allowPrivilegeEscalation,capabilities_restricted,runAsNonRoot,seccompProfile_restricted";
        let cases = [
            // One container's readOnlyRootFilesystem only: errors are left.
            vec![(
                "exempt.rootlock.dev/a",
                "readOnlyRootFilesystem: legacy".to_string(),
            )],
            // Every rule, for every container and the pod: nothing is left.
            vec![(
                "exempt.rootlock.dev/all.containers",
                format!("readOnlyRootFilesystem,{restricted_rules}: legacy"),
            )],
            // An annotation that cannot be read exempts nothing.
            vec![("exempt.rootlock.dev/a", "no reason".to_string())],
        ];
        let mut seen = Vec::new();
        for annotations in &cases {
            let ex = Exemptions::from_annotations(
                annotations
                    .iter()
                    .map(|(k, v)| (Origin::Pod, *k, v.as_str())),
            );
            let with = evaluate(&p, immutable, Some(&ex)).has_errors();
            assert_eq!(bare.has_errors_after(Some(&ex)), with, "{annotations:?}");
            seen.push(with);
        }
        assert_eq!(seen, [true, false, true], "the cases cover both answers");
        assert!(bare.has_errors_after(None));
    }

    /// `has_errors_after` says what an evaluation made with the exemptions
    /// says, over pods and exemption annotations drawn at random (a fixed
    /// seed): containers with and without each field that decides a rule,
    /// annotations for a container, `all.containers`, the pod, rules known
    /// and unknown, reasons missing.
    #[test]
    fn errors_after_exemptions_match_over_random_pods_and_annotations() {
        use crate::model::{Capabilities, SeccompProfile, SecurityContext};
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let rules = [
            "readOnlyRootFilesystem",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "runAsNonRoot",
            "seccompProfile_restricted",
            "privileged",
            "hostNamespaces",
            "noSuchRule",
        ];
        let names = ["a", "b", "c"];
        let levels = ["privileged", "baseline", "restricted", "immutable"];
        let mut outcomes = [0usize; 2];
        for _ in 0..3000 {
            let mut containers = Vec::new();
            for name in &names[..1 + next(3) as usize] {
                let mut c = container(name);
                if next(4) > 0 {
                    let mut sc = SecurityContext::default();
                    let tri = |v: u64| [None, Some(false), Some(true)][v as usize];
                    sc.read_only_root_filesystem = tri(next(3));
                    sc.allow_privilege_escalation = tri(next(3));
                    sc.privileged = tri(next(3));
                    sc.run_as_non_root = tri(next(3));
                    if next(2) == 0 {
                        sc.capabilities = Some(Capabilities {
                            add: Vec::new(),
                            drop: vec!["ALL".into()],
                        });
                    }
                    if next(2) == 0 {
                        sc.seccomp_profile = Some(SeccompProfile {
                            type_: "RuntimeDefault".into(),
                        });
                    }
                    c.security_context = Some(sc);
                }
                containers.push(c);
            }
            let mut p = pod(containers);
            p.spec.host_pid = next(5) == 0;
            let mut annotations: Vec<(String, String)> = Vec::new();
            for _ in 0..next(4) {
                let target = ["a", "b", "c", "all.containers", "pod"][next(5) as usize];
                let mut chosen: Vec<&str> = Vec::new();
                for _ in 0..1 + next(3) {
                    chosen.push(rules[next(rules.len() as u64) as usize]);
                }
                let reason = if next(6) == 0 { "" } else { ": legacy" };
                annotations.push((
                    format!("exempt.rootlock.dev/{target}"),
                    format!("{}{reason}", chosen.join(",")),
                ));
            }
            let ex = Exemptions::from_annotations(
                annotations
                    .iter()
                    .map(|(k, v)| (Origin::Pod, k.as_str(), v.as_str())),
            );
            let level = LevelVersion::parse(levels[next(4) as usize]).unwrap();
            let with = evaluate(&p, level, Some(&ex)).has_errors();
            let bare = evaluate(&p, level, None);
            assert_eq!(
                bare.has_errors_after(Some(&ex)),
                with,
                "{annotations:?} {level:?} {p:?}"
            );
            assert_eq!(bare.has_errors_after(None), bare.has_errors());
            outcomes[with as usize] += 1;
        }
        assert!(outcomes.iter().all(|n| *n > 100), "{outcomes:?}");
    }
}
