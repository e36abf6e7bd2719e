//! `sysctls`: only the namespaced, safe sysctls; the allowed set grows with
//! the version.

use super::{CheckVersion, PssCheck};
use crate::finding::FieldPath;
use crate::level::Level;
use crate::model::Pod;
use crate::scope::{Scope, Violation};

pub static CHECK: PssCheck = PssCheck {
    id: "sysctls",
    level: Level::Baseline,
    versions: &[
        CheckVersion {
            min_minor: 0,
            overrides: &[],
            eval: v1_0,
        },
        CheckVersion {
            min_minor: 27,
            overrides: &[],
            eval: v1_27,
        },
        CheckVersion {
            min_minor: 29,
            overrides: &[],
            eval: v1_29,
        },
        CheckVersion {
            min_minor: 32,
            overrides: &[],
            eval: v1_32,
        },
        CheckVersion {
            min_minor: 37,
            overrides: &[],
            eval: v1_37,
        },
    ],
    container_field: &[],
    pod_field: &["spec", "securityContext", "sysctls"],
    description: "Sysctls can disable security mechanisms or affect all containers on a host; only a safe subset is allowed.",
    locate: Some(locate),
};

/// The first forbidden sysctl.
fn locate(pod: &Pod, scope: Scope, minor: u32) -> Option<FieldPath> {
    if !scope.pod() {
        return None;
    }
    let sc = pod.spec.security_context.as_ref()?;
    let i = sc.sysctls.iter().position(|n| !allowed(n, minor))?;
    Some(FieldPath::keys(&["spec", "securityContext", "sysctls"]).index(i))
}

/// Each version's additions, in version order.
const ADDED: &[(u32, &[&str])] = &[
    (
        0,
        &[
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ],
    ),
    (27, &["net.ipv4.ip_local_reserved_ports"]),
    (
        29,
        &[
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ],
    ),
    (32, &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]),
    (
        37,
        &[
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ],
    ),
];

fn allowed(name: &str, minor: u32) -> bool {
    ADDED
        .iter()
        .filter(|(since, _)| *since <= minor)
        .any(|(_, names)| names.contains(&name))
}

fn check(pod: &Pod, scope: Scope, minor: u32) -> Option<Violation> {
    if !scope.pod() {
        return None;
    }
    let sc = pod.spec.security_context.as_ref()?;
    // Pod order, not sorted, not deduplicated.
    let bad: Vec<&str> = sc
        .sysctls
        .iter()
        .map(String::as_str)
        .filter(|n| !allowed(n, minor))
        .collect();
    (!bad.is_empty()).then(|| Violation::new("forbidden sysctls", bad.join(", ")))
}

fn v1_0(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, 0)
}
fn v1_27(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, 27)
}
fn v1_29(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, 29)
}
fn v1_32(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, 32)
}
fn v1_37(pod: &Pod, scope: Scope) -> Option<Violation> {
    check(pod, scope, 37)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn messages_and_versions() {
        let mut p = pod(vec![container("a")]);
        pod_sc(&mut p).sysctls = vec![
            "kernel.msgmax".into(),
            "net.ipv4.tcp_rmem".into(),
            "kernel.msgmax".into(),
        ];
        assert_eq!(
            run(v1_29, &p).unwrap(),
            "forbidden sysctls (kernel.msgmax, net.ipv4.tcp_rmem, kernel.msgmax)"
        );
        assert_eq!(
            run(v1_32, &p).unwrap(),
            "forbidden sysctls (kernel.msgmax, kernel.msgmax)"
        );
        pod_sc(&mut p).sysctls = vec!["net.ipv4.tcp_notsent_lowat".into()];
        assert!(run(v1_32, &p).is_some());
        assert_eq!(run(v1_37, &p), None);
        pod_sc(&mut p).sysctls = vec!["net.ipv4.ip_local_reserved_ports".into()];
        assert!(run(v1_0, &p).is_some());
        assert_eq!(run(v1_27, &p), None);
    }
}
