//! `windowsHostProcess`: neither the pod nor a container may set
//! `windowsOptions.hostProcess: true` (checked whatever the OS).

use super::{CheckVersion, PssCheck};
use crate::format::containers_phrase;
use crate::level::Level;
use crate::model::{Pod, WindowsOptions};
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "windowsHostProcess",
    level: Level::Baseline,
    versions: &[CheckVersion {
        min_minor: 0,
        overrides: &[],
        eval: v1_0,
    }],
    container_field: &["securityContext", "windowsOptions", "hostProcess"],
    pod_field: &["spec", "securityContext", "windowsOptions", "hostProcess"],
    description: "Windows HostProcess containers must not be allowed.",
    locate: None,
};

fn host_process(w: Option<&WindowsOptions>) -> bool {
    w.and_then(|w| w.host_process) == Some(true)
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    let bad: Vec<&str> = scope
        .containers(&pod.spec)
        .filter(|c| host_process(c.sc().and_then(|s| s.windows_options.as_ref())))
        .map(|c| c.name.as_str())
        .collect();
    let mut setters: Vec<String> = Vec::new();
    if scope.pod()
        && host_process(
            pod.spec
                .security_context
                .as_ref()
                .and_then(|s| s.windows_options.as_ref()),
        )
    {
        setters.push("pod".into());
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    (!setters.is_empty()).then(|| {
        Violation::new(
            "hostProcess",
            format!(
                "{} must not set securityContext.windowsOptions.hostProcess=true",
                setters.join(" and ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn hp() -> Option<WindowsOptions> {
        Some(WindowsOptions {
            host_process: Some(true),
        })
    }

    #[test]
    fn messages() {
        let mut p = pod(vec![with_sc("a", |s| s.windows_options = hp())]);
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostProcess (container \"a\" must not set securityContext.windowsOptions.hostProcess=true)"
        );
        pod_sc(&mut p).windows_options = hp();
        p.spec
            .containers
            .push(with_sc("b", |s| s.windows_options = hp()));
        assert_eq!(
            run(v1_0, &p).unwrap(),
            "hostProcess (pod and containers \"a\", \"b\" must not set securityContext.windowsOptions.hostProcess=true)"
        );
    }
}
