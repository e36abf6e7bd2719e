//! Pods bound for Windows nodes by their scheduling alone. `spec.os.name:
//! windows` is how the API server and PSA know a Windows pod; a pod that
//! only selects Windows nodes (`nodeSelector`, or a required node affinity
//! on `kubernetes.io/os`) is a Linux pod to both, and judged as one. But
//! the Windows kubelet drops `readOnlyRootFilesystem` before the runtime
//! sees it (kubernetes/kubernetes#93475; `docker run --read-only` has no
//! effect on Windows either): such a pod that sets it still runs writable.
//!
//! The rule is never waived for it: `nodeName` places a pod on a node
//! without the scheduler, so a selector proves nothing about where it runs.
//! A warning says what the pod should say instead (`spec.os.name`). The
//! readers of manifests and of API JSON walk their own trees and ask the
//! functions here.

use crate::finding::FieldPath;

/// The node label every kubelet sets to its OS.
pub const OS_LABEL: &str = "kubernetes.io/os";

/// How a pod's scheduling binds it to Windows nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowsBinding {
    /// `nodeSelector` `kubernetes.io/os: windows`.
    NodeSelector,
    /// Every required node-affinity term asks `kubernetes.io/os In
    /// [windows]`.
    NodeAffinity,
}

impl WindowsBinding {
    /// As a message says it.
    pub fn describe(self) -> &'static str {
        match self {
            WindowsBinding::NodeSelector => "nodeSelector kubernetes.io/os=windows",
            WindowsBinding::NodeAffinity => {
                "a required node affinity for kubernetes.io/os In [windows]"
            }
        }
    }

    /// The field that binds it, below the pod.
    pub fn field(self) -> FieldPath {
        match self {
            WindowsBinding::NodeSelector => FieldPath::keys(&["spec", "nodeSelector", OS_LABEL]),
            WindowsBinding::NodeAffinity => FieldPath::keys(&[
                "spec",
                "affinity",
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
            ]),
        }
    }

    /// The warning for a pod bound this way that does not say
    /// `spec.os.name: windows`; at most 256 characters, which the API
    /// server may cut an admission warning to.
    pub fn warning(self) -> String {
        format!(
            "the pod is bound for Windows nodes by {} without spec.os.name: windows; \
             the Windows kubelet drops readOnlyRootFilesystem, so its root stays writable there \
             (set spec.os.name: windows; PSA reads it too)",
            self.describe()
        )
    }
}

/// The binding, from the `kubernetes.io/os` entry of `nodeSelector` and,
/// for each required node-affinity term (`None`: there is no such list),
/// whether it requires Windows ([`term_requires_windows`]). Terms are
/// ORed: every one must require it.
pub fn binding(
    selector: Option<&str>,
    terms: Option<impl IntoIterator<Item = bool>>,
) -> Option<WindowsBinding> {
    if selector == Some("windows") {
        return Some(WindowsBinding::NodeSelector);
    }
    let mut terms = terms?.into_iter().peekable();
    let any = terms.peek().is_some();
    (any && terms.all(|t| t)).then_some(WindowsBinding::NodeAffinity)
}

/// A term's expressions are ANDed: one `kubernetes.io/os In [windows]`
/// (no other value) is enough. Each expression as (key, operator, values).
pub fn term_requires_windows<'a, V>(
    expressions: impl IntoIterator<Item = (&'a str, &'a str, V)>,
) -> bool
where
    V: IntoIterator<Item = Option<&'a str>>,
{
    expressions.into_iter().any(|(key, operator, values)| {
        if key != OS_LABEL || operator != "In" {
            return false;
        }
        let mut values = values.into_iter().peekable();
        values.peek().is_some() && values.all(|v| v == Some("windows"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(expressions: &[(&'static str, &'static str, &[&'static str])]) -> bool {
        term_requires_windows(
            expressions
                .iter()
                .map(|(k, o, v)| (*k, *o, v.iter().map(|s| Some(*s)))),
        )
    }

    #[test]
    fn only_a_pod_that_cannot_run_on_linux_is_bound_for_windows() {
        let none: Option<Vec<bool>> = None;
        assert_eq!(
            binding(Some("windows"), none.clone()),
            Some(WindowsBinding::NodeSelector)
        );
        assert_eq!(binding(Some("linux"), none.clone()), None);
        assert_eq!(binding(None, none), None);
        assert_eq!(
            binding(None, Some([true, true])),
            Some(WindowsBinding::NodeAffinity)
        );
        // Another term may pick a Linux node; no term picks none.
        assert_eq!(binding(None, Some([true, false])), None);
        assert_eq!(binding(None, Some(Vec::<bool>::new())), None);

        let arch = ("kubernetes.io/arch", "In", &["amd64"][..]);
        assert!(term(&[arch, (OS_LABEL, "In", &["windows"])]));
        assert!(!term(&[arch]));
        assert!(!term(&[(OS_LABEL, "In", &["windows", "linux"])]));
        assert!(!term(&[(OS_LABEL, "In", &[])]));
        assert!(!term(&[(OS_LABEL, "NotIn", &["linux"])]));
        assert!(!term(&[(OS_LABEL, "Exists", &[])]));
        assert!(!term(&[]));
        // A value that is no string is no `windows`.
        assert!(!term_requires_windows([(
            OS_LABEL,
            "In",
            [Some("windows"), None]
        )]));
    }

    /// The API server truncates a warning past 256 characters once a
    /// response's warnings pass 4,096 (`truncateItemRunes` and
    /// `truncateAtTotalRunes` in k8s.io/apiserver's
    /// `endpoints/filters/warning.go`; AdmissionResponse's `warnings`: "Warnings over 256
    /// characters and large numbers of warnings may be truncated"): the
    /// advice's end, what to set, must not be what is cut.
    #[test]
    fn the_warning_fits_the_api_servers_limit_for_one_warning() {
        for binding in [WindowsBinding::NodeSelector, WindowsBinding::NodeAffinity] {
            let w = binding.warning();
            assert!(w.chars().count() <= 256, "{} chars: {w}", w.chars().count());
            assert!(w.contains("set spec.os.name: windows"), "{w}");
        }
    }
}
