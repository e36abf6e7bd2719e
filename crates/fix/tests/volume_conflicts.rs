//! What `fix --plan`/`--writable` finds already there, or asks twice:
//! an emptyDir of another size or medium at the path or at a parent of
//! it, and plan paths nested in one another. fix only adds: what it
//! keeps is said in a note, never silently shrunk, grown or replaced.

mod common;

use common::*;
use rootlock_fix::{Outcome, Settings};
use rootlock_policy::plan::{Medium, PlannedPath};

fn entry(path: &str, medium: Medium, size: Option<&str>, container: Option<&str>) -> PlannedPath {
    PlannedPath {
        path: path.into(),
        medium,
        size_limit: size.map(String::from),
        container: container.map(String::from),
        seed: false,
        reason: String::new(),
    }
}

fn with(paths: Vec<PlannedPath>) -> Settings {
    let mut s = settings("immutable");
    s.options.writable = Some(paths);
    s
}

/// Fixes `text`, which must change, validly and for good (see
/// [`fix_validly`]), and checks that only additions were made and every
/// untouched line kept its bytes.
fn fix_preserving(name: &str, text: &str, s: &Settings) -> (String, Outcome) {
    let out = fix_validly(name, text, s);
    let fixed = out.fixed.clone().unwrap_or_default();
    assert_insert_only(name, text, &fixed);
    assert_only_additions(name, text, &fixed);
    (fixed, out)
}

/// A pod whose `app` mounts the emptyDir `cache` (`EMPTY_DIR` its
/// fields) at `AT`; `side` mounts nothing.
fn pod_with_cache(at: &str, empty_dir: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: app:1
    volumeMounts:
    - name: cache
      mountPath: {at}
  - name: side
    image: side:1
  volumes:
  - name: cache
    emptyDir: {empty_dir}
"
    )
}

fn said<'n>(out: &'n Outcome, parts: &[&str]) -> Option<&'n String> {
    out.notes
        .iter()
        .find(|n| parts.iter().all(|p| n.contains(p)))
}

/// An emptyDir the user sized at the very path the plan asks another size
/// for: kept as written, and said with both sizes. Sizes are compared by
/// value: `1024Mi` is the `1Gi` asked, `512Mi` is not the `500M` asked.
#[test]
fn an_emptydir_of_another_size_at_the_path_is_kept_and_said() {
    for (has, asks, conflict) in [
        ("64Mi", "256Mi", true),
        ("512Mi", "500M", true),
        ("1024Mi", "1Gi", false),
        ("67108864", "64Mi", false),
    ] {
        let text = pod_with_cache("/var/cache", &format!("{{sizeLimit: {has}}}"));
        let s = with(vec![entry("/var/cache", Medium::Disk, Some(asks), None)]);
        let (fixed, out) = fix_preserving("web.yaml", &text, &s);
        assert!(
            fixed.contains(&format!("    emptyDir: {{sizeLimit: {has}}}\n")),
            "{fixed}"
        );
        let note = said(&out, &["container \"app\"", "\"cache\"", has, asks, "kept"]);
        assert_eq!(
            note.is_some(),
            conflict,
            "{has} vs {asks}: {:#?}",
            out.notes
        );
        // The side container, which had nothing there, gets what is asked.
        assert!(fixed.contains(&format!("sizeLimit: {asks}")), "{fixed}");
        // Said again on a later run: the conflict is still there.
        let again = fix("web.yaml", &fixed, &s);
        assert_eq!(again.fixed, None);
        assert_eq!(
            said(&again, &["container \"app\"", has, asks]).is_some(),
            conflict,
            "{:#?}",
            again.notes
        );
    }
}

/// A volume an earlier run added, asked again with another size: kept,
/// and said; asked with the same size spelled otherwise, reused by a
/// container that needs it now (not a second volume for the same path).
#[test]
fn an_earlier_runs_volume_asked_at_another_size_is_said_or_reused() {
    let text = TWO_CONTAINERS;
    let first = with(vec![entry("/tmp", Medium::Memory, None, Some("app"))]);
    let (fixed, _) = fix_preserving("web.yaml", text, &first);
    let bigger = with(vec![entry(
        "/tmp",
        Medium::Memory,
        Some("256Mi"),
        Some("app"),
    )]);
    let out = fix("web.yaml", &fixed, &bigger);
    assert_eq!(out.fixed, None, "the volume is kept");
    assert!(
        said(
            &out,
            &["container \"app\"", "rootlock-tmp", "64Mi", "256Mi"]
        )
        .is_some(),
        "{:#?}",
        out.notes
    );
    let same = with(vec![entry(
        "/tmp",
        Medium::Memory,
        Some("67108864"),
        Some("side"),
    )]);
    let (again, _) = fix_preserving("web.yaml", &fixed, &same);
    assert!(!again.contains("rootlock-tmp-2"), "{again}");
    assert!(
        again.contains("- name: rootlock-tmp\n          mountPath: /tmp\n          subPath: side"),
        "{again}"
    );
}

/// One path asked twice in one run with two sizes: the first is used,
/// the second said, as two media are.
#[test]
fn a_path_asked_twice_with_two_sizes_is_said() {
    let text = pod_with_cache("/srv", "{}");
    let s = with(vec![
        entry("/var/cache", Medium::Memory, Some("64Mi"), None),
        entry("/var/cache", Medium::Memory, Some("1Gi"), None),
    ]);
    let (fixed, out) = fix_preserving("web.yaml", &text, &s);
    assert_eq!(fixed.matches("sizeLimit: 64Mi").count(), 1, "{fixed}");
    assert!(!fixed.contains("1Gi"), "{fixed}");
    for who in ["app", "side"] {
        assert!(
            said(
                &out,
                &[&format!("container {who:?}"), "/var/cache", "64Mi", "1Gi"]
            )
            .is_some(),
            "{who}: {:#?}",
            out.notes
        );
    }
    // The same size spelled otherwise is the same ask: nothing to say.
    let s = with(vec![
        entry("/var/cache", Medium::Memory, Some("1Gi"), None),
        entry("/var/cache", Medium::Memory, Some("1024Mi"), None),
    ]);
    let (_, out) = fix_preserving("web.yaml", &text, &s);
    assert!(said(&out, &["/var/cache"]).is_none(), "{:#?}", out.notes);
}

/// A planned path under an emptyDir mounted at a parent directory is
/// served by that volume: another medium there, or a limit below what the
/// path alone is asked, is said (the volume is kept); a larger limit holds
/// the path and more, and is not a conflict.
#[test]
fn an_emptydir_at_a_parent_of_another_medium_or_too_small_is_said() {
    for (empty_dir, ask, conflict) in [
        (
            "{}",
            entry("/var/cache/nginx", Medium::Memory, None, None),
            Some(["disk", "memory"]),
        ),
        (
            "{medium: Memory, sizeLimit: 64Mi}",
            entry("/var/cache/nginx", Medium::Disk, None, None),
            Some(["memory", "disk"]),
        ),
        (
            "{sizeLimit: 64Mi}",
            entry("/var/cache/nginx", Medium::Disk, Some("256Mi"), None),
            Some(["64Mi", "256Mi"]),
        ),
        (
            "{sizeLimit: 1Gi}",
            entry("/var/cache/nginx", Medium::Disk, Some("256Mi"), None),
            None,
        ),
        (
            "{}",
            entry("/var/cache/nginx", Medium::Disk, Some("256Mi"), None),
            None,
        ),
    ] {
        let text = pod_with_cache("/var/cache", empty_dir);
        let s = with(vec![ask]);
        let (fixed, out) = fix_preserving("web.yaml", &text, &s);
        assert!(
            fixed.contains(&format!("    emptyDir: {empty_dir}\n")),
            "{fixed}"
        );
        let note = |out: &Outcome| {
            conflict
                .and_then(|[has, asked]| {
                    said(
                        out,
                        &[
                            "container \"app\"",
                            "\"cache\"",
                            "/var/cache/nginx",
                            "at /var/cache,",
                            has,
                            asked,
                        ],
                    )
                })
                .is_some()
        };
        assert_eq!(
            note(&out),
            conflict.is_some(),
            "{empty_dir}: {:#?}",
            out.notes
        );
        if conflict.is_none() {
            assert!(
                said(&out, &["container \"app\""]).is_none(),
                "{empty_dir}: {:#?}",
                out.notes
            );
        }
        // The app gets no mount inside its own volume; idempotent.
        assert_eq!(
            fixed.matches("mountPath: /var/cache/nginx").count(),
            1,
            "{fixed}"
        );
        let again = fix("web.yaml", &fixed, &s);
        assert_eq!(again.fixed, None);
        assert_eq!(note(&again), conflict.is_some(), "{:#?}", again.notes);
    }
}

/// A plan path inside another of the same medium and size (`rootlock
/// trace` lists the directories the app wrote: nginx's cache and its
/// `client_temp`) is served by the outer path's volume: one emptyDir and
/// one mount per container, whichever order the plan lists them in, and
/// a second run adds nothing.
#[test]
fn nested_plan_paths_of_one_kind_share_the_outer_paths_volume() {
    let outer = entry("/var/cache/nginx", Medium::Disk, Some("1Gi"), None);
    let inner = entry(
        "/var/cache/nginx/client_temp/",
        Medium::Disk,
        Some("1024Mi"),
        None,
    );
    let deeper = entry(
        "/var/cache/nginx/client_temp/x",
        Medium::Disk,
        Some("1Gi"),
        None,
    );
    for paths in [
        vec![outer.clone(), inner.clone()],
        vec![inner.clone(), outer.clone()],
        vec![deeper.clone(), outer.clone(), inner.clone()],
    ] {
        let s = with(paths);
        let (fixed, out) = fix_preserving("web.yaml", TWO_CONTAINERS, &s);
        assert_eq!(fixed.matches("emptyDir").count(), 1, "{fixed}");
        assert_eq!(
            fixed.matches("mountPath: /var/cache/nginx\n").count(),
            2,
            "{fixed}"
        );
        assert!(!fixed.contains("client_temp"), "{fixed}");
        assert!(said(&out, &["client_temp"]).is_none(), "{:#?}", out.notes);
        let again = fix("web.yaml", &fixed, &s);
        assert_eq!(again.fixed, None);
        assert!(
            said(&again, &["/var/cache"]).is_none(),
            "{:#?}",
            again.notes
        );
    }
}

/// An inner path asked as another medium or size than the path around it
/// cannot share its volume: it gets one of its own, mounted inside the
/// outer one, and a note says why there are two.
#[test]
fn a_nested_plan_path_of_another_kind_gets_its_own_volume_and_a_note() {
    for inner in [
        entry("/var/cache/nginx/client_temp", Medium::Memory, None, None),
        entry(
            "/var/cache/nginx/client_temp",
            Medium::Disk,
            Some("64Mi"),
            None,
        ),
    ] {
        let outer = entry("/var/cache/nginx", Medium::Disk, Some("1Gi"), None);
        let s = with(vec![outer, inner]);
        let (fixed, out) = fix_preserving("web.yaml", TWO_CONTAINERS, &s);
        assert_eq!(fixed.matches("emptyDir").count(), 2, "{fixed}");
        assert_eq!(
            fixed
                .matches("mountPath: /var/cache/nginx/client_temp\n")
                .count(),
            2,
            "{fixed}"
        );
        let notes: Vec<&String> = out
            .notes
            .iter()
            .filter(|n| {
                n.contains("/var/cache/nginx/client_temp") && n.contains("inside /var/cache/nginx,")
            })
            .collect();
        assert_eq!(notes.len(), 1, "one note per pod: {:#?}", out.notes);
        let again = fix("web.yaml", &fixed, &s);
        assert_eq!(again.fixed, None);
    }
}

/// Which containers an entry is for counts: an outer path planned for
/// `app` alone serves `app`'s inner path, not `side`'s, which gets a
/// volume at the inner path.
#[test]
fn a_nested_path_is_shared_only_with_an_outer_path_of_the_same_container() {
    let s = with(vec![
        entry("/var/cache/nginx", Medium::Disk, None, Some("app")),
        entry("/var/cache/nginx/client_temp", Medium::Disk, None, None),
    ]);
    let (fixed, _) = fix_preserving("web.yaml", TWO_CONTAINERS, &s);
    assert_eq!(fixed.matches("emptyDir").count(), 2, "{fixed}");
    assert!(
        fixed.contains(
            "        - name: rootlock-var-cache-nginx-client-temp\n          mountPath: /var/cache/nginx/client_temp\n          subPath: side\n"
        ),
        "{fixed}"
    );
    assert_eq!(
        fixed
            .matches("mountPath: /var/cache/nginx/client_temp")
            .count(),
        1,
        "{fixed}"
    );
}

/// What lies between an inner path and the outer one is not skipped: a
/// read-only mount inside the outer path keeps the inner path read-only,
/// said as ever. A seeded inner path served by the outer path's new
/// volume is said to be hidden by it.
#[test]
fn nested_paths_keep_what_lies_between_and_their_seed_note() {
    let text = pod_with_cache("/srv", "{}").replace(
        "      mountPath: /srv\n",
        "      mountPath: /var/cache/nginx/conf\n      readOnly: true\n",
    );
    let mut seeded = entry("/var/cache/nginx/client_temp", Medium::Disk, None, None);
    seeded.seed = true;
    let s = with(vec![
        entry("/var/cache/nginx", Medium::Disk, None, None),
        entry("/var/cache/nginx/conf/x", Medium::Disk, None, None),
        seeded,
    ]);
    let (fixed, out) = fix_preserving("web.yaml", &text, &s);
    assert!(!fixed.contains("/var/cache/nginx/conf/x"), "{fixed}");
    assert!(
        said(
            &out,
            &["container \"app\"", "read-only", "/var/cache/nginx/conf/x"]
        )
        .is_some(),
        "{:#?}",
        out.notes
    );
    assert!(!fixed.contains("client_temp"), "{fixed}");
    assert!(
        said(
            &out,
            &[
                "image has content at /var/cache/nginx/client_temp",
                "/var/cache/nginx"
            ]
        )
        .is_some(),
        "{:#?}",
        out.notes
    );
}

/// One path planned per container with one size spelled two ways is one
/// ask: the containers share one volume, as with one spelling.
#[test]
fn one_size_spelled_two_ways_in_one_run_is_one_volume() {
    let s = with(vec![
        entry("/tmp", Medium::Memory, Some("1Gi"), Some("app")),
        entry("/tmp", Medium::Memory, Some("1024Mi"), Some("side")),
    ]);
    let (fixed, _) = fix_preserving("web.yaml", TWO_CONTAINERS, &s);
    assert_eq!(fixed.matches("emptyDir").count(), 1, "{fixed}");
    assert_eq!(
        fixed.matches("- name: rootlock-tmp\n").count(),
        3,
        "{fixed}"
    );
}
