//! One evaluation per workload, reduced to what the reports need, so the
//! pod itself can be dropped as soon as it has been judged.

use crate::mutation::mutated;
use rootlock_manifest::Limits;
use rootlock_policy::model::ContainerKind;
use rootlock_policy::{
    ContainerRef, Evaluation, Exemptions, LevelVersion, Origin, Pod, Severity, evaluate, immutable,
};
use rootlock_webhook::admit::exemptions_of;
use rootlock_webhook::config::Config;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// One finding, without the field path (API objects have no lines).
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub exemption: Option<String>,
}

/// One container of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRow {
    pub name: String,
    pub kind: ContainerKind,
    /// `securityContext.readOnlyRootFilesystem`; `None` when unset.
    pub read_only: Option<bool>,
    pub findings: Vec<FindingRow>,
}

/// A workload's verdict at the report level and, if asked, the what-if level.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub containers: Vec<ContainerRow>,
    /// Findings about the pod as a whole (volumes, host namespaces, …).
    pub pod_findings: Vec<FindingRow>,
    /// PSA's `violates PodSecurity "…": …` for the Pod Security Standards part.
    pub pod_security: Option<String>,
    /// The immutable family in the same style.
    pub immutable: Option<String>,
    /// Any error-severity finding at the report level.
    pub failing: bool,
    /// Reasons enforce at the what-if level would give (PSA's dry-run
    /// reasons); empty when it would admit the pod.
    pub what_if: Vec<String>,
    /// Why the webhook of `--config` admits the pod though it violates the
    /// what-if level (an exempt runtime class; exemption annotations that
    /// cover every error); `None` when it violates nothing or nothing
    /// exempts it.
    pub what_if_exempt: Option<String>,
    /// What the webhook's mutation does for a pod the what-if level would
    /// reject, in a namespace where the webhook mutates; `None` elsewhere.
    pub what_if_mutation: Option<MutatedWhatIf>,
    /// Why the webhook mutates the pod's namespace, when the pod fails the
    /// report's level and its mutated copy passes it: its workload's next
    /// pods pass, the running ones need recreating.
    pub fixed_by_mutation: Option<&'static str>,
}

/// A pod that violates the what-if level, judged again as the webhook's
/// `/mutate` would hand it to validation. PSA's dry-run reasons
/// (`Evaluated::what_if`) stay those of the pod as it runs: neither PSA nor
/// the webhook's own namespace dry-run knows about mutation.
#[derive(Debug, Clone, PartialEq)]
pub struct MutatedWhatIf {
    /// Why the webhook mutates there (`rootlock.dev/mutate=true`,
    /// `mutate.enabled: true`).
    pub source: &'static str,
    /// Whether the mutated pod would be admitted.
    pub admitted: bool,
    /// PSA's reasons for the mutated pod (the pod's own when the mutation
    /// changes nothing); empty when admitted.
    pub reasons: Vec<String>,
    /// The mutation's own warnings: an explicit
    /// `readOnlyRootFilesystem: false` it keeps, a `/tmp` it cannot mount.
    pub warnings: Vec<String>,
}

/// A pod to judge also as the webhook's `/mutate` would change it.
#[derive(Debug, Clone, Copy)]
pub struct Mutating<'a> {
    /// The pod as API JSON (for a controller, its template as a Pod).
    pub pod: &'a Value,
    /// Why the namespace is mutated ([`crate::mutation::mutation_source`]).
    pub source: &'static str,
}

/// One pod as the webhook's `/mutate` would hand it to validation.
struct Mutation {
    source: &'static str,
    /// The mutated pod; `None` when the mutation changes nothing.
    pod: Option<Pod>,
    /// The mutation's own warnings.
    warnings: Vec<String>,
    /// The exemptions validation reads of the pod.
    exemptions: Option<Exemptions>,
}

impl Mutation {
    /// The what-if for the pod rejected at its level, as it runs, for
    /// `rejected`, given the mutated pod's evaluation there without
    /// exemptions (`None` when the mutation changes nothing).
    fn what_if(&self, mutated: Option<&Evaluation>, rejected: &[String]) -> MutatedWhatIf {
        let (admitted, reasons) = match mutated {
            // Nothing changes: rejected for what it is rejected for now.
            None => (false, rejected.to_vec()),
            Some(e) if !e.has_errors_after(self.exemptions.as_ref()) => (true, Vec::new()),
            Some(e) => (false, reasons(e)),
        };
        MutatedWhatIf {
            source: self.source,
            admitted,
            reasons,
            warnings: self.warnings.clone(),
        }
    }
}

/// The levels and options every workload is judged with.
#[derive(Debug, Clone)]
pub struct Judge {
    pub level: LevelVersion,
    pub what_if: Option<LevelVersion>,
    /// Whether `exempt.rootlock.dev/*` annotations count (findings, and the
    /// what-if when the webhook's config honours them).
    pub annotation_exemptions: bool,
    /// The webhook's config (`--config`): the what-if then admits what the
    /// webhook would (exempt runtime classes; annotated pods when
    /// `annotation_exemptions` is on too).
    pub webhook: Option<Arc<Config>>,
}

/// `readOnlyRootFilesystem` as `kubectl get -o custom-columns` prints it.
pub fn read_only_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "<none>",
    }
}

/// `init`, `regular` or `ephemeral`.
pub fn kind_text(k: ContainerKind) -> &'static str {
    match k {
        ContainerKind::Init => "init",
        ContainerKind::Regular => "regular",
        ContainerKind::Ephemeral => "ephemeral",
    }
}

impl Judge {
    /// `extra_annotations`: a controller's own annotations, which count
    /// for exemptions like the template's (as in `scan`). `mutating`: the
    /// pod's JSON when its namespace has the webhook's mutation on.
    pub fn judge(
        &self,
        pod: &Pod,
        extra_annotations: &[(String, String)],
        mutating: Option<Mutating<'_>>,
    ) -> Evaluated {
        let exemptions = self.annotation_exemptions.then(|| {
            let own = extra_annotations
                .iter()
                .map(|(k, v)| (Origin::Object, k.as_str(), v.as_str()));
            let template = pod
                .annotations
                .iter()
                .map(|(k, v)| (Origin::Pod, k.as_str(), v.as_str()));
            Exemptions::from_annotations(own.chain(template))
        });
        let eval = evaluate(pod, self.level, exemptions.as_ref());
        let mut containers: Vec<ContainerRow> = pod
            .spec
            .all_containers()
            .map(|(kind, _, c)| ContainerRow {
                name: c.name.clone(),
                kind,
                read_only: c.sc().and_then(|s| s.read_only_root_filesystem),
                findings: Vec::new(),
            })
            .collect();
        let mut pod_findings = Vec::new();
        for f in &eval.findings {
            let row = FindingRow {
                rule: f.rule,
                severity: f.severity,
                message: placed(&f.message, f.origin),
                exemption: f.exemption.clone(),
            };
            let slot = f.container.as_ref().and_then(|c| {
                // Containers are listed in all_containers order; index
                // within a kind maps to that order.
                pod.spec
                    .all_containers()
                    .position(|(k, i, _)| k == c.kind && i == c.index)
            });
            match slot.and_then(|i| containers.get_mut(i)) {
                Some(container) => container.findings.push(row),
                None => pod_findings.push(row),
            }
        }
        // PSA's dry-run reasons at the what-if level. Exemptions only mark
        // findings, never these results, so the evaluation at the report's
        // level serves when the two levels agree.
        let violations = |lv: LevelVersion| {
            if lv == self.level {
                reasons(&eval)
            } else {
                reasons(&evaluate(pod, lv, None))
            }
        };
        let (what_if, what_if_exempt) = match (self.what_if, &self.webhook) {
            (None, _) => (Vec::new(), None),
            (Some(lv), Some(config)) => self.webhook_what_if(pod, lv, config, violations(lv)),
            (Some(lv), None) => (violations(lv), None),
        };
        // The webhook's mutation, planned once for both verdicts below, and
        // only for a pod that one of them rejects.
        let mutation = mutating
            .filter(|_| eval.has_errors() || !what_if.is_empty())
            .map(|m| self.mutate(pod, m));
        // The mutated pod is evaluated without exemptions, once per level
        // the verdicts need: each verdict applies its own exemptions to the
        // findings, so a what-if at the report's level reuses the report's.
        let mutated_pod = mutation.as_ref().and_then(|m| m.pod.as_ref());
        let at_level = mutated_pod
            .filter(|_| eval.has_errors())
            .map(|p| evaluate(p, self.level, None));
        let what_if_mutation = match (self.what_if, &mutation) {
            (Some(lv), Some(m)) if !what_if.is_empty() => {
                let at_what_if = match &at_level {
                    Some(e) if lv == self.level => Some(Cow::Borrowed(e)),
                    _ => mutated_pod.map(|p| Cow::Owned(evaluate(p, lv, None))),
                };
                Some(m.what_if(at_what_if.as_deref(), &what_if))
            }
            _ => None,
        };
        // At the report's level the findings' exemptions count, as for the
        // pod as it runs.
        let fixed_by_mutation = mutation
            .as_ref()
            .zip(at_level.as_ref())
            .filter(|(_, e)| !e.has_errors_after(exemptions.as_ref()))
            .map(|(m, _)| m.source);
        Evaluated {
            containers,
            pod_findings,
            pod_security: eval.pod_security_message(),
            immutable: eval.immutable_message(),
            failing: eval.has_errors(),
            what_if,
            what_if_exempt,
            what_if_mutation,
            fixed_by_mutation,
        }
    }

    /// `pod` as the webhook's `/mutate` hands it to validation, which
    /// then reads the pod's own exemption annotations if the webhook
    /// honours them (without `--config`, the webhook's default: it does
    /// not). A pod of a runtime class the config exempts is not mutated.
    fn mutate(&self, pod: &Pod, m: Mutating<'_>) -> Mutation {
        let config = self.webhook.as_deref().unwrap_or(Config::builtin());
        let exemptions =
            (self.webhook.is_some() && self.annotation_exemptions).then(|| exemptions_of(pod));
        let exempt_class = config.exempt_runtime_class(pod.spec.runtime_class_name.as_deref());
        let (mutated, warnings) = if exempt_class {
            (None, Vec::new())
        } else {
            mutated(
                m.pod,
                &config.mutate.tmp_size_limit,
                exemptions.as_ref(),
                Limits::default().max_depth,
            )
        };
        Mutation {
            source: m.source,
            pod: mutated,
            warnings,
            exemptions,
        }
    }

    /// What the webhook run with `config` would do with the pod under
    /// enforce at `lv`, as its namespace dry-run does, given PSA's reasons
    /// there (`violations`): a pod of an exempt runtime class is not
    /// evaluated; with annotations honoured (only the pod's own: a
    /// controller's never reach its pods), a pod whose every error is
    /// exempted is admitted, and one still denied keeps all of PSA's
    /// reasons.
    fn webhook_what_if(
        &self,
        pod: &Pod,
        lv: LevelVersion,
        config: &Config,
        violations: Vec<String>,
    ) -> (Vec<String>, Option<String>) {
        // An exemption is said only of a pod that would be rejected
        // otherwise: the what-if lists what it lets through.
        if violations.is_empty() {
            return (violations, None);
        }
        if let Some(rc) = pod.spec.runtime_class_name.as_deref()
            && config.exempt_runtime_class(Some(rc))
        {
            return (
                Vec::new(),
                Some(format!(
                    "runtimeClassName {rc:?} is exempt (exemptions.runtimeClasses)"
                )),
            );
        }
        // With --config, `annotation_exemptions` is the config's choice
        // unless --no-annotation-exemptions overrules it.
        if !self.annotation_exemptions || evaluate(pod, lv, Some(&exemptions_of(pod))).has_errors()
        {
            return (violations, None);
        }
        (
            Vec::new(),
            Some("every violation is exempted by exempt.rootlock.dev annotations (annotationExemptions: true)".into()),
        )
    }
}

impl Evaluated {
    /// Applies a controller's own exemption annotations to a verdict made
    /// from one of its pods (pods do not carry the controller's
    /// annotations): as `scan` and a template judgment would, a matching
    /// finding becomes `info` with its reason, an unreadable annotation a
    /// warning. A finding already exempted by the pod keeps its reason.
    /// PSA's messages and the what-if reasons do not change: exemptions do
    /// not change what enforce does.
    pub fn exempt(&mut self, ex: &Exemptions) {
        let mark = |f: &mut FindingRow, container: Option<&ContainerRef>| {
            if f.severity == Severity::Info {
                return;
            }
            if let Some(e) = ex.find(f.rule, container) {
                f.severity = Severity::Info;
                f.exemption = Some(e.reason.clone());
            }
        };
        for c in &mut self.containers {
            let cref = ContainerRef {
                kind: c.kind,
                index: 0,
                name: c.name.clone(),
            };
            for f in &mut c.findings {
                mark(f, Some(&cref));
            }
        }
        for f in &mut self.pod_findings {
            mark(f, None);
        }
        self.pod_findings
            .extend(ex.problems.iter().map(|p| FindingRow {
                rule: "invalidExemption",
                severity: Severity::Warning,
                message: placed(&p.message, p.origin),
                exemption: None,
            }));
        self.failing = self
            .containers
            .iter()
            .flat_map(|c| &c.findings)
            .chain(&self.pod_findings)
            .any(|f| f.severity == Severity::Error);
    }
}

/// A finding's message with where its field is written when that is not
/// the pod (template): the inventory has no file location to tell a
/// controller's own exemption annotation from its template's, and the same
/// key may be invalid in both.
fn placed(message: &str, origin: Origin) -> String {
    match origin {
        Origin::Pod => message.to_string(),
        Origin::Object => {
            format!("{message} (written on the workload's own metadata, not its pod template)")
        }
    }
}

/// PSA's dry-run reasons (no details), then the immutable family's
/// error-severity reasons. Exemption annotations do not change what
/// enforce would do, as with PSA.
fn reasons(eval: &Evaluation) -> Vec<String> {
    let mut out: Vec<String> = eval
        .pss
        .iter()
        .map(|r| {
            if r.violation.reason.is_empty() {
                "unknown forbidden reason".to_string()
            } else {
                r.violation.reason.clone()
            }
        })
        .collect();
    out.extend(
        eval.immutable
            .iter()
            .filter(|r| immutable::rule(r.id).is_some_and(|rule| rule.severity == Severity::Error))
            .map(|r| r.violation.reason.clone()),
    );
    out
}
