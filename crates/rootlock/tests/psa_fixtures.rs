//! The upstream Pod Security Admission conformance fixtures (4,537 pods):
//! `rootlock scan --level L:vN --format json` reports `podSecurity: null`
//! exactly for the `pass/` files, and for every `fail/` file a message that
//! contains the check-specific substring upstream's harness looks for.

mod common;

use common::{scan_json, testdata};
use std::fs;

/// Upstream's per-check substrings (test/run.go), keyed by fixture prefix.
const SUBSTRINGS: &[(&str, &str)] = &[
    ("allowprivilegeescalation", "allowPrivilegeEscalation"),
    ("apparmorprofile", "forbidden AppArmor profile"),
    ("capabilities_baseline", "capabilities"),
    ("capabilities_restricted", "unrestricted capabilities"),
    ("hostnamespaces", "host namespaces"),
    ("hostpathvolumes", "hostPath"),
    ("hostports", "hostPort"),
    ("hostprobesandhostlifecycle", "probe or lifecycle host"),
    ("privileged", "privileged"),
    ("procmount_restricted", "procMount"),
    ("procmount", "procMount"),
    ("restrictedvolumes", "restricted volume types"),
    ("runasnonroot", "runAsNonRoot"),
    ("runasuser", "runAsUser"),
    ("selinuxoptions", "seLinuxOptions"),
    ("seccompprofile_baseline", "seccompProfile"),
    ("seccompprofile_restricted", "seccompProfile"),
    ("sysctls", "forbidden sysctl"),
    ("windowshostprocess", "hostProcess"),
];

fn expected_substring(stem: &str) -> &'static str {
    SUBSTRINGS
        .iter()
        .find(|(prefix, _)| {
            stem.strip_prefix(prefix)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no substring known for fixture {stem}"))
}

#[test]
fn every_fixture_passes_or_fails_exactly_as_upstream() {
    let root = testdata().join("pod-security/testdata");
    let mut checked = 0;
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<String> = fs::read_dir(root.join(level))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        versions.sort();
        for v in versions {
            let dir = root.join(level).join(&v);
            let pass = dir.join("pass");
            let fail = dir.join("fail");
            let lv = format!("{level}:{v}");
            let (code, doc, stderr) = scan_json(&[
                "--level",
                &lv,
                pass.to_str().unwrap(),
                fail.to_str().unwrap(),
            ]);
            assert!(
                doc["errors"].as_array().unwrap().is_empty(),
                "{lv}: {stderr}"
            );
            assert!(code == 0 || code == 1, "{lv}: exit {code}");
            let expected =
                fs::read_dir(&pass).unwrap().count() + fs::read_dir(&fail).unwrap().count();
            let objects = doc["objects"].as_array().unwrap();
            assert_eq!(objects.len(), expected, "{lv}: one object per fixture");
            for o in objects {
                let file = o["file"].as_str().unwrap();
                let stem = std::path::Path::new(file)
                    .file_stem()
                    .unwrap()
                    .to_str()
                    .unwrap();
                let message = o["podSecurity"].as_str();
                if file.contains("/pass/") {
                    assert_eq!(message, None, "{lv} {file} should pass");
                } else {
                    let m = message.unwrap_or_else(|| panic!("{lv} {file} should fail"));
                    let prefix = format!("violates PodSecurity \"{lv}\": ");
                    assert!(m.starts_with(&prefix), "{m}");
                    assert!(m.contains(expected_substring(stem)), "{lv} {file}: {m}");
                    assert!(!m.contains("unknown forbidden reason"), "{m}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4537);
}

#[test]
fn exit_status_follows_error_findings() {
    let root = testdata().join("pod-security/testdata/restricted/v1.37");
    let (code, _, _) = scan_json(&["--level", "restricted", root.join("pass").to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, _, _) = scan_json(&[
        "--level",
        "restricted",
        root.join("fail/privileged0.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
}
