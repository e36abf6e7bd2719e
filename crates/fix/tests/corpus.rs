//! Properties over the real corpus and the PSA fixtures: after `fix
//! --level immutable` no targeted rule fails on a changed object (except the
//! contrary values the fix reported), a second fix changes nothing, the data
//! is the input plus only the additions, and every untouched line is still
//! there byte for byte and in order — also with CRLF line endings; and a
//! file with lone-CR line endings is fixed exactly as its LF twin.

mod common;

use common::*;
use rootlock_policy::LevelVersion;

fn check_file(name: &str, text: &str, level: &str) -> bool {
    let s = settings(level);
    let out = fix(name, text, &s);
    assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
    let Some(fixed) = &out.fixed else {
        return false;
    };
    assert_insert_only(name, text, fixed);
    let left = unexplained_findings(
        name,
        fixed,
        &out.workloads,
        LevelVersion::parse(level).unwrap(),
    );
    assert!(
        left.is_empty(),
        "{name}: still failing after fix: {left:#?}"
    );
    let again = fix(name, fixed, &s);
    assert!(
        again.errors.is_empty(),
        "{name}: second run: {:?}",
        again.errors
    );
    assert!(
        again.fixed.is_none(),
        "{name}: a second fix changed something"
    );
    assert_only_additions(name, text, fixed);
    assert_api_valid(name, text, fixed);
    true
}

#[test]
fn real_corpus_immutable() {
    let mut changed = 0;
    let files = files(&repo().join("testdata/real"));
    assert!(files.len() >= 30, "corpus missing");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        changed += usize::from(check_file(&name, &text, "immutable"));
    }
    // Files without workloads (RBAC, CRDs) have nothing to change.
    assert!(changed >= 25, "only {changed} files changed");
}

#[test]
fn real_corpus_restricted() {
    for f in files(&repo().join("testdata/real")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.display().to_string();
        let out = fix(&name, &text, &settings("restricted"));
        check_file(&name, &text, "restricted");
        // Restricted never touches the root filesystem or adds volumes.
        if let Some(fixed) = out.fixed {
            assert!(!fixed.contains("rootlock-tmp"), "{name}");
        }
    }
}

#[test]
fn real_corpus_with_crlf_line_endings() {
    for f in files(&repo().join("testdata/real")) {
        let text = std::fs::read_to_string(&f).unwrap().replace('\n', "\r\n");
        let name = format!("{} (CRLF)", f.display());
        if check_file(&name, &text, "immutable") {
            let fixed = fix(&name, &text, &settings("immutable")).fixed.unwrap();
            let bare = fixed.matches('\n').count() - fixed.matches("\r\n").count();
            assert_eq!(bare, 0, "{name}: lines without CR were inserted");
        }
    }
}

/// A CRLF file whose first line alone ends in LF, as `echo --- >> all.yaml;
/// cat windows.yaml >> all.yaml` makes it: new lines follow the file's
/// line ending, not its first line's.
#[test]
fn crlf_files_whose_first_line_ends_in_lf_get_crlf_lines() {
    for f in files(&repo().join("testdata/real")) {
        let crlf = std::fs::read_to_string(&f).unwrap().replace('\n', "\r\n");
        let text = format!("---\n{crlf}");
        let name = format!("{} (--- then CRLF)", f.display());
        if check_file(&name, &text, "immutable") {
            let fixed = fix(&name, &text, &settings("immutable")).fixed.unwrap();
            let bare = fixed.matches('\n').count() - fixed.matches("\r\n").count();
            assert_eq!(bare, 1, "{name}: lines without CR were inserted");
        }
    }
}

/// An old Mac file (lines ending in a lone `\r`, a line break to YAML) is
/// fixed exactly as its LF twin: the same edits, with its own line ending,
/// and the same notes at the same lines. Over the real corpus and fix's
/// own cases (flow collections, JSON, anchors, block scalars).
#[test]
fn real_corpus_with_cr_line_endings() {
    let mut changed = 0;
    let cases = files(&repo().join("crates/fix/tests/cases"));
    for f in files(&repo().join("testdata/real"))
        .into_iter()
        .chain(cases)
    {
        let lf = std::fs::read_to_string(&f).unwrap();
        let text = lf.replace('\n', "\r");
        let name = format!("{} (CR)", f.display());
        let s = settings("immutable");
        let want = fix(&name, &lf, &s);
        let got = fix(&name, &text, &s);
        assert_eq!(got.errors, want.errors, "{name}");
        assert_eq!(got.notes, want.notes, "{name}");
        assert_eq!(
            got.fixed,
            want.fixed.map(|f| f.replace('\n', "\r")),
            "{name}"
        );
        changed += usize::from(check_file(&name, &text, "immutable"));
    }
    assert!(changed >= 25, "only {changed} files changed");
}

/// A stray lone `\r` in an LF file ends a line to YAML: the lines after it
/// are the parser's, in the fix's edits and notes, and new lines end in LF.
#[test]
fn a_stray_carriage_return_in_an_lf_file() {
    for f in files(&repo().join("testdata/real")) {
        let lf = std::fs::read_to_string(&f).unwrap();
        let name = format!("{} (stray CR)", f.display());
        let s = settings("immutable");
        let want = fix(&name, &format!("# header\n{lf}"), &s);
        let got = fix(&name, &format!("# header\r{lf}"), &s);
        assert_eq!(got.errors, want.errors, "{name}");
        assert_eq!(got.notes, want.notes, "{name}");
        assert_eq!(
            got.fixed,
            want.fixed
                .map(|f| f.replacen("# header\n", "# header\r", 1)),
            "{name}"
        );
    }
}

#[test]
fn pod_security_fixtures() {
    let files = files(&repo().join("testdata/pod-security/testdata"));
    assert!(files.len() > 4000, "fixtures missing");
    let mut changed = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        changed += usize::from(check_file(&f.display().to_string(), &text, "immutable"));
    }
    assert!(changed > 4000, "only {changed} fixtures changed");
}

/// Each fixture fixed at the policy version of its folder
/// (`<level>/v1.N/…` at `immutable:v1.N`), not only at latest: what a
/// check asks for changes with the version (runAsNonRoot still applies to
/// `hostUsers: false` below v1.35), and the fix must follow it.
#[test]
fn pod_security_fixtures_at_their_own_version() {
    let files = files(&repo().join("testdata/pod-security/testdata"));
    let mut checked = 0;
    for f in &files {
        let Some(version) = f
            .ancestors()
            .filter_map(|d| d.file_name()?.to_str())
            .find(|n| n.starts_with("v1."))
        else {
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        let level = format!("immutable:{version}");
        check_file(&f.display().to_string(), &text, &level);
        checked += 1;
    }
    assert!(checked > 4000, "only {checked} fixtures found");
}

/// Whether the scanner reads `text` as manifests without an input error
/// (the peer corpora hold expected-output files that are not manifests).
fn scannable(name: &str, text: &str) -> bool {
    let errors = rootlock_manifest::read_stream(
        text.as_bytes(),
        name,
        &rootlock_manifest::Limits::default(),
        |doc| {
            if let Some(root) = &doc.document.root {
                rootlock_manifest::workloads(root).map_err(|e| e.into_input_error(name))?;
            }
            Ok(())
        },
    );
    errors.is_empty()
}

#[test]
fn peer_test_cases() {
    let mut changed = 0;
    for f in files(&repo().join("testdata/peers")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.display().to_string();
        if scannable(&name, &text) {
            changed += usize::from(check_file(&name, &text, "immutable"));
        }
    }
    assert!(changed >= 50, "only {changed} peer files changed");
}

/// A container that stays privileged (or keeps an added CAP_SYS_ADMIN)
/// must not get `allowPrivilegeEscalation: false`: the API server refuses
/// the pair, so the fixed manifest would not apply at all.
#[test]
fn privileged_containers_get_no_allow_privilege_escalation_false() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: priv
    image: b
    securityContext:
      privileged: true
  - name: admin
    image: b
    securityContext:
      capabilities:
        add: [CAP_SYS_ADMIN]
  - name: plain
    image: b
";
    assert!(check_file("privileged.yaml", text, "immutable"));
    let out = fix("privileged.yaml", text, &settings("immutable"));
    let fixed = out.fixed.unwrap();
    assert_eq!(
        fixed.matches("allowPrivilegeEscalation: false").count(),
        1,
        "{fixed}"
    );
    for who in ["priv", "admin"] {
        assert!(
            out.notes
                .iter()
                .any(|n| n.contains(&format!("container {who:?}"))
                    && n.contains("allowPrivilegeEscalation")),
            "{who}: {:#?}",
            out.notes
        );
    }
    // Under --force, privileged: true becomes false, and then the field can be set.
    let mut forced = settings("immutable");
    forced.options.force = true;
    let out = fix("privileged.yaml", text, &forced);
    let fixed = out.fixed.unwrap();
    assert_eq!(
        fixed.matches("allowPrivilegeEscalation: false").count(),
        2,
        "{fixed}"
    );
    assert_api_valid("privileged.yaml (--force)", text, &fixed);
}

/// A pod whose seccomp annotation says other than RuntimeDefault must not
/// get a `seccompProfile: RuntimeDefault` beside it: the API server refuses
/// a field and an annotation that differ, from every policy version.
#[test]
fn the_seccomp_field_added_agrees_with_the_pods_annotation() {
    let pod = |annotation: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: {annotation}
spec:
  containers:
  - name: c
    image: b
"
        )
    };
    for level in ["immutable", "immutable:v1.18", "restricted"] {
        for annotation in [
            "unconfined",
            "localhost/profiles/app.json",
            "runtime/default",
        ] {
            let text = pod(annotation);
            let name = format!("{annotation} at {level}");
            check_file(&name, &text, level);
            let plain = fix(&name, &text, &settings(level)).fixed.unwrap();
            let wanted = match annotation {
                // Kept: no field added.
                "unconfined" => "seccompProfile",
                "runtime/default" => "type: RuntimeDefault",
                _ => "localhostProfile: profiles/app.json",
            };
            assert_eq!(
                plain.contains(wanted),
                annotation != "unconfined",
                "{name}:\n{plain}"
            );
            let mut forced = settings(level);
            forced.options.force = true;
            fix_validly(&format!("{name} (--force)"), &text, &forced);
        }
    }
}

/// An empty or contrary `seccompProfile` set to RuntimeDefault (empty
/// always, contrary under --force) leaves no seccomp annotation of the
/// same pod or container saying otherwise: the API server would refuse it.
#[test]
fn seccomp_fields_set_over_empty_or_contrary_ones_agree_with_annotations() {
    let head = "apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
";
    let cases = [
        "    container.seccomp.security.alpha.kubernetes.io/c: unconfined
spec:
  containers:
  - name: c
    image: b
    securityContext:
      seccompProfile: {type: Unconfined}
",
        "    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
  - name: c
    image: b
",
        "    seccomp.security.alpha.kubernetes.io/pod: localhost/x.json
spec:
  securityContext:
    seccompProfile: {}
  containers:
  - name: c
    image: b
",
        "    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  securityContext:
    seccompProfile: {type: \"\"}
  containers:
  - name: c
    image: b
",
    ];
    for (i, case) in cases.iter().enumerate() {
        let text = format!("{head}{case}");
        for level in ["immutable", "immutable:v1.18", "restricted"] {
            for force in [false, true] {
                let name = format!("case {i} at {level}, force {force}");
                let mut s = settings(level);
                s.options.force = force;
                fix_validly(&name, &text, &s);
            }
        }
    }
}

/// A container that runs as root by an explicit `runAsUser: 0` (its own
/// or the pod's) is not put under `runAsNonRoot: true`, not even with
/// --force: the kubelet would refuse to start it, always.
#[test]
fn containers_that_run_as_uid_0_get_no_run_as_non_root() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: root
    image: b
    securityContext:
      runAsUser: 0
      runAsNonRoot: false
  - name: app
    image: b
---
apiVersion: v1
kind: Pod
metadata:
  name: q
spec:
  securityContext:
    runAsUser: 0
  containers:
  - name: app
    image: b
";
    for force in [false, true] {
        let name = format!("uid0.yaml, force {force}");
        let mut s = settings("immutable");
        s.options.force = force;
        let out = fix_validly(&name, text, &s);
        assert!(
            out.notes.iter().any(|n| n.contains("runAsUser: 0")),
            "{name}: {:#?}",
            out.notes
        );
    }
    assert!(check_file("uid0.yaml", text, "immutable"));
}

/// A container's raw block devices (`volumeDevices`) are no place for a
/// mount: the API server refuses a mount at a `devicePath` of the same
/// container, or of a name that container maps as a device (a StatefulSet
/// names its `volumeClaimTemplates` there, which are not in `volumes`).
/// A path at or under a device gets no mount and a note instead; a new
/// volume takes no name a device or mount already uses.
#[test]
fn block_devices_get_no_mount_at_their_path_and_names_stay_unique() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: blk
spec:
  containers:
  - name: app
    image: app:1
    volumeDevices:
    - name: block
      devicePath: /tmp
    - name: raw
      devicePath: /data/raw
  - name: side
    image: side:1
  volumes:
  - name: block
    persistentVolumeClaim:
      claimName: blk
  - name: raw
    persistentVolumeClaim:
      claimName: raw
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: db:1
        volumeDevices:
        - name: rootlock-tmp
          devicePath: /dev/xvdb
        volumeMounts:
        - name: rootlock-data-raw-x
          mountPath: /srv
  volumeClaimTemplates:
  - metadata:
      name: rootlock-tmp
    spec:
      volumeMode: Block
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
  - metadata:
      name: rootlock-data-raw-x
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
";
    let mut s = settings("immutable");
    s.options.writable = Some(
        ["/tmp", "/data/raw/x"]
            .iter()
            .map(|p| rootlock_fix::writable::parse_writable(p).unwrap())
            .collect(),
    );
    for s in [s, settings("immutable")] {
        let out = fix_validly("devices.yaml", text, &s);
        let fixed = out.fixed.unwrap();
        for (path, device) in [("/tmp", "block"), ("/data/raw/x", "raw")] {
            if s.options.writable.is_none() && path != "/tmp" {
                continue;
            }
            assert!(
                out.notes.iter().any(|n| n.contains(&format!("{device:?}"))
                    && n.contains("volumeDevices")
                    && n.contains(path)),
                "{path}: {:#?}",
                out.notes
            );
        }
        // The sidecar still gets its mounts; the StatefulSet's volumes
        // take names its devices and claim templates do not use.
        assert!(fixed.contains("subPath: side"), "{fixed}");
        assert!(fixed.contains("- name: rootlock-tmp-2"), "{fixed}");
    }
}

/// `fix --plan` run again with a plan that now asks another medium for a
/// path (a new trace found the app writes more than a tmpfs should hold)
/// than the emptyDir an earlier run added there: fix only adds, so the
/// volume is kept, but never silently: a note per container names the
/// volume, what it is and what the plan asks. The same holds within one
/// run for a path planned twice with two media (the first wins). Running
/// it again changes nothing and says the same.
#[test]
fn a_plan_asking_another_medium_than_the_volume_there_is_noted() {
    let text = TWO_CONTAINERS;
    let with = |paths: &[&str]| {
        let mut s = settings("immutable");
        s.options.writable = Some(
            paths
                .iter()
                .map(|p| rootlock_fix::writable::parse_writable(p).unwrap())
                .collect(),
        );
        s
    };
    let first = fix_validly("web.yaml", text, &with(&["/var/cache"]));
    let fixed = first.fixed.unwrap();
    let conflict = |notes: &[String], who: &str| {
        notes.iter().any(|n| {
            n.contains(&format!("container {who:?}"))
                && n.contains("rootlock-var-cache")
                && n.contains("memory")
                && n.contains("disk")
        })
    };
    assert!(!first.notes.iter().any(|n| n.contains("rootlock-var-cache")));
    for _ in 0..2 {
        let again = fix("web.yaml", &fixed, &with(&["/var/cache=disk"]));
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        assert_eq!(again.fixed, None, "the volume is kept");
        for who in ["app", "side"] {
            assert!(conflict(&again.notes, who), "{who}: {:#?}", again.notes);
        }
    }
    let same = fix("web.yaml", &fixed, &with(&["/var/cache"]));
    assert!(same.fixed.is_none() && !conflict(&same.notes, "app"));
    // Within one run: the first entry's medium is used, the second said.
    let twice = fix_validly("web.yaml", text, &with(&["/var/cache", "/var/cache=disk"]));
    let fixed = twice.fixed.unwrap();
    assert_eq!(fixed.matches("emptyDir:").count(), 1, "{fixed}");
    assert!(fixed.contains("medium: Memory"), "{fixed}");
    for who in ["app", "side"] {
        assert!(
            twice
                .notes
                .iter()
                .any(|n| n.contains(&format!("container {who:?}"))
                    && n.contains("/var/cache")
                    && n.contains("memory")
                    && n.contains("disk")),
            "{who}: {:#?}",
            twice.notes
        );
    }
}

/// A later run reuses an emptyDir it added for a path only when it is
/// what the new entry asks: a plan that asks disk for a sidecar's /tmp
/// after a run that gave the app a 64Mi tmpfs there gets a disk volume of
/// its own, not a mount of the tmpfs (which silently gave it memory).
#[test]
fn a_later_run_reuses_only_a_volume_of_the_medium_and_size_asked() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
  - name: app
    image: app:1
  - name: side
    image: side:1
";
    use rootlock_policy::plan::{Medium, PlannedPath};
    let entry = |container: &str, medium, size: Option<&str>| {
        let mut s = settings("immutable");
        s.options.writable = Some(vec![PlannedPath {
            path: "/tmp".into(),
            medium,
            size_limit: size.map(String::from),
            container: Some(container.into()),
            seed: false,
            reason: String::new(),
        }]);
        s
    };
    let first = fix_validly("two.yaml", text, &entry("app", Medium::Memory, None))
        .fixed
        .unwrap();
    for (medium, size, volume) in [
        (Medium::Disk, None, "emptyDir: {}"),
        (Medium::Memory, Some("1Gi"), "sizeLimit: 1Gi"),
    ] {
        let out = fix_validly("two.yaml", &first, &entry("side", medium, size));
        let fixed = out.fixed.unwrap();
        assert!(
            fixed.contains("- name: rootlock-tmp-2\n      mountPath: /tmp\n      subPath: side"),
            "{fixed}"
        );
        let added = &fixed[fixed
            .find("  - name: rootlock-tmp-2\n    emptyDir")
            .unwrap()..];
        assert!(added.contains(volume), "{fixed}");
    }
    // What matches is reused.
    let out = fix_validly(
        "two.yaml",
        &first,
        &entry("side", Medium::Memory, Some("64Mi")),
    );
    assert!(!out.fixed.unwrap().contains("rootlock-tmp-2"));
}

/// A `persistent` plan path is said only for the pods whose containers
/// need it, and not where the path already persists: a container that
/// mounts a PersistentVolumeClaim there (by hand, as the note asked, or a
/// StatefulSet's claim template) needs nothing, and a path for a
/// container another workload has is not this pod's to persist.
#[test]
fn persistent_paths_are_said_only_where_they_do_not_persist_yet() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
  - name: db
    image: db:1
    volumeMounts:
    - name: data
      mountPath: /var/lib/db
    - name: scratch
      mountPath: /var/lib/db/tmp
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: db
  - name: scratch
    emptyDir: {}
";
    use rootlock_policy::plan::{Medium, PlannedPath};
    let persist = |path: &str, container: Option<&str>| PlannedPath {
        path: path.into(),
        medium: Medium::Persistent,
        size_limit: None,
        container: container.map(String::from),
        seed: false,
        reason: String::new(),
    };
    let mut s = settings("immutable");
    s.options.writable = Some(vec![
        persist("/var/lib/db", None),
        persist("/var/lib/db/wal", Some("db")),
        persist("/var/lib/db/tmp/keep", None),
        persist("/var/log/other", Some("elsewhere")),
    ]);
    let out = fix_validly("db.yaml", text, &s);
    let said = |path: &str| {
        out.notes
            .iter()
            .any(|n| n.contains(&format!("{path} must persist")))
    };
    assert!(!said("/var/lib/db"), "{:#?}", out.notes);
    assert!(!said("/var/lib/db/wal"), "{:#?}", out.notes);
    assert!(!said("/var/log/other"), "{:#?}", out.notes);
    // Under an emptyDir, the path is writable but does not persist.
    assert!(said("/var/lib/db/tmp/keep"), "{:#?}", out.notes);
}

/// A mount of a StatefulSet's claim template (not in `volumes`) with
/// `readOnly: true` keeps the paths under it read-only: they get the
/// same note as under any read-only mount, not silence as if the mount
/// made them writable.
#[test]
fn paths_under_a_read_only_claim_template_mount_are_noted() {
    let text = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: db:1
        volumeMounts:
        - name: seed
          mountPath: /data
          readOnly: true
  volumeClaimTemplates:
  - metadata:
      name: seed
    spec:
      accessModes: [ReadOnlyMany]
      resources: {requests: {storage: 1Gi}}
";
    let mut s = settings("immutable");
    s.options.writable = Some(vec![
        rootlock_fix::writable::parse_writable("/data/cache").unwrap(),
    ]);
    let out = fix_validly("sts.yaml", text, &s);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("\"seed\" read-only at /data")
                && n.contains("/data/cache stays read-only")),
        "{:#?}",
        out.notes
    );
}

/// A Windows pod gets no volumes for `--plan`/`--writable` (its root is
/// not made read-only: the API rejects the field there), and says so
/// rather than dropping the paths silently.
#[test]
fn planned_paths_on_a_windows_pod_are_said_not_dropped() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: w
spec:
  os: {name: windows}
  containers:
  - name: app
    image: app:1
";
    let mut s = settings("immutable");
    s.options.writable = Some(vec![
        rootlock_fix::writable::parse_writable("/var/cache").unwrap(),
    ]);
    let out = fix_validly("win.yaml", text, &s);
    assert!(!out.fixed.unwrap().contains("volumeMounts"));
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("Windows") && n.contains("/var/cache")),
        "{:#?}",
        out.notes
    );
    // Without explicit paths there is nothing to say.
    let out = fix("win.yaml", text, &settings("immutable"));
    assert!(
        !out.notes.iter().any(|n| n.contains("/tmp")),
        "{:#?}",
        out.notes
    );
}

/// A pod bound for Windows nodes by its nodeSelector alone is a Linux pod
/// to the API server: it gets the fields (a selector does not decide where
/// it runs), and a note at the selector that Windows drops them and what
/// to write instead. Not at a level that sets no read-only root.
#[test]
fn a_pod_bound_for_windows_by_its_selector_is_fixed_with_a_note() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: w
spec:
  nodeSelector:
    kubernetes.io/os: windows
  containers:
  - name: app
    image: app:1
";
    let out = fix_validly("win.yaml", text, &settings("immutable"));
    assert!(out.fixed.unwrap().contains("readOnlyRootFilesystem: true"));
    let windows: Vec<&String> = out
        .notes
        .iter()
        .filter(|n| n.contains("bound for Windows nodes"))
        .collect();
    assert_eq!(windows.len(), 1, "{:#?}", out.notes);
    assert!(
        windows[0].starts_with("win.yaml:7: Pod \"w\": ")
            && windows[0].contains("set spec.os.name: windows"),
        "{}",
        windows[0]
    );
    let out = fix("win.yaml", text, &settings("restricted"));
    assert!(
        !out.notes.iter().any(|n| n.contains("Windows")),
        "{:#?}",
        out.notes
    );
}
