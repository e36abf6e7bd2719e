//! Snapshot tests: the diff (and notes) `rootlock fix` produces for typical
//! manifests, pinned in `tests/snapshots/*.diff`. Set `UPDATE_SNAPSHOTS=1`
//! to rewrite them, then review every change.

mod common;

use common::*;
use rootlock_fix::diff::unified;
use rootlock_fix::fixer::Settings;
use rootlock_policy::plan::{Medium, PlannedPath};

fn run_case(case: &str, settings: &Settings, snapshot: &str) {
    let dir = repo().join("crates/fix/tests");
    let text = std::fs::read_to_string(dir.join("cases").join(case)).unwrap();
    let name = format!("cases/{case}");
    let out = fix(&name, &text, settings);
    assert!(out.errors.is_empty(), "{case}: {:?}", out.errors);
    let mut got = match &out.fixed {
        Some(fixed) => {
            if !settings.options.force {
                assert_insert_only(case, &text, fixed);
            }
            // Idempotent: a second run adds nothing.
            let again = fix(&name, fixed, settings);
            assert!(
                again.fixed.is_none() && again.errors.is_empty(),
                "{case}: second run changed it"
            );
            unified(&name, &text, fixed)
        }
        None => String::new(),
    };
    for n in &out.notes {
        got.push_str(&format!("# note: {n}\n"));
    }
    let path = dir.join("snapshots").join(format!("{snapshot}.diff"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}", path.display()));
    assert_eq!(got, want, "{case}: output differs from {}", path.display());
}

fn immutable(case: &str) {
    run_case(case, &settings("immutable"), case);
}

#[test]
fn deployment_without_security_context() {
    immutable("deployment.yaml");
}

#[test]
fn cronjob_with_four_space_indentation() {
    immutable("cronjob.yaml");
}

#[test]
fn init_containers() {
    immutable("init-containers.yaml");
}

#[test]
fn existing_volumes_and_name_collision() {
    immutable("existing-volumes.yaml");
}

#[test]
fn existing_tmp_mount_and_empty_security_contexts() {
    immutable("existing-tmp-mount.yaml");
}

/// A stream may go on in YAML after a JSON document (kubectl reads it so,
/// and so does scan), or hold a JSON document after YAML ones: each
/// document is edited in its own syntax, JSON members quoted and indented
/// like their JSON neighbours, YAML values never in JSON's tabs.
#[test]
fn yaml_documents_after_a_json_one() {
    immutable("json-then-yaml.yaml");
}

#[test]
fn a_json_document_after_yaml_ones() {
    immutable("yaml-then-json.yaml");
}

#[test]
fn json_with_spaces() {
    immutable("pod.json");
}

#[test]
fn json_with_tabs_and_no_final_newline() {
    immutable("tabs-no-final-newline.json");
}

/// Two JSON values back to back, one compact, one pretty: kubectl reads
/// such a stream value by value, and so do fix's reader and its check of
/// the edited text (which once took the stream for one YAML text and
/// refused every such file).
#[test]
fn concatenated_json_values() {
    immutable("json-stream.json");
}

#[test]
fn style_is_not_read_from_block_scalars() {
    immutable("block-scalar-first.yaml");
}

#[test]
fn anchors_merge_keys_and_document_markers() {
    immutable("anchors.yaml");
}

#[test]
fn explicit_contrary_values_are_kept_and_reported() {
    immutable("contrary.yaml");
}

#[test]
fn explicit_contrary_values_are_overwritten_with_force() {
    let mut s = settings("immutable");
    s.options.force = true;
    run_case("contrary.yaml", &s, "contrary-force.yaml");
}

#[test]
fn lists_flow_style_and_ephemeral_containers() {
    immutable("list.yaml");
}

/// A List of Deployments as `kubectl get deploy -o yaml` gives them: each
/// item is verified within the one document the List is (its additions
/// compared to its own subtree), and this pins the output of that path.
#[test]
fn list_of_deployments() {
    immutable("list-deployments.yaml");
}

#[test]
fn windows_pods_get_only_what_applies() {
    immutable("windows.yaml");
}

#[test]
fn restricted_adds_no_volumes() {
    run_case(
        "deployment.yaml",
        &settings("restricted"),
        "deployment-restricted.yaml",
    );
}

#[test]
fn writable_paths_from_arguments_and_plan() {
    let mut s = settings("immutable");
    s.options.writable = Some(vec![
        rootlock_fix::writable::parse_writable("/var/cache/nginx=disk:1Gi").unwrap(),
        rootlock_fix::writable::parse_writable("/run").unwrap(),
        PlannedPath {
            path: "/var/lib/exporter".into(),
            medium: Medium::Persistent,
            size_limit: None,
            container: Some("exporter".into()),
            seed: false,
            reason: String::new(),
        },
        PlannedPath {
            path: "/etc/exporter".into(),
            medium: Medium::Memory,
            size_limit: Some("1Mi".into()),
            container: Some("exporter".into()),
            seed: true,
            reason: String::new(),
        },
    ]);
    run_case("writable.yaml", &s, "writable.yaml");
}

/// A path the app writes that an existing read-only mount covers (a
/// configMap, a `readOnly: true` mount) cannot get a mount of its own
/// there: the path stays read-only, and the note says so and why. A
/// writable mount that covers a path (`/tmp/app` under an emptyDir at
/// `/tmp`) already makes it writable: nothing added, nothing said. A path
/// given twice is noted once.
#[test]
fn paths_under_read_only_mounts_are_noted_not_skipped_silently() {
    let mut s = settings("immutable");
    s.options.writable = [
        "/etc/nginx/conf.d",
        "/etc/nginx/conf.d/",
        "/var/cache/nginx/proxy",
        "/tmp/app",
    ]
    .iter()
    .map(|p| rootlock_fix::writable::parse_writable(p).unwrap())
    .collect::<Vec<_>>()
    .into();
    run_case("read-only-mounts.yaml", &s, "read-only-mounts.yaml");
}

/// A plan from `rootlock logs --prefix` names each container that failed
/// to write a path, so one path comes once per container; `--writable`
/// may repeat a path (`/tmp` and `/tmp/`). Each container gets one mount
/// per path (the API server refuses two at one mountPath), and the
/// containers share one volume per path and medium, as the plan intends.
/// A path asked again with another medium is noted, not dropped silently.
#[test]
fn a_path_planned_per_container_or_twice_gets_one_volume_and_one_mount() {
    let mut s = settings("immutable");
    let tmp = |container: &str| PlannedPath {
        path: "/tmp".into(),
        medium: Medium::Memory,
        size_limit: Some("64Mi".into()),
        container: Some(container.into()),
        seed: false,
        reason: String::new(),
    };
    s.options.writable = Some(vec![
        tmp("app"),
        tmp("side"),
        rootlock_fix::writable::parse_writable("/cache=disk").unwrap(),
        rootlock_fix::writable::parse_writable("/cache/=disk").unwrap(),
        // Another medium: never a second mount, and a note per container.
        rootlock_fix::writable::parse_writable("/cache").unwrap(),
    ]);
    run_case("plan-per-container.yaml", &s, "plan-per-container.yaml");
}
