//! Refusals: templates, wrong types, aliases; and the command's exit codes.

mod common;

use clap::Parser;
use common::*;
use rootlock_fix::FixArgs;

#[test]
fn helm_templates_are_refused_with_a_pointer_to_kustomize() {
    let t = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n      {{- toYaml .Values.containers | nindent 6 }}\n";
    let out = fix("chart/templates/d.yaml", t, &settings("immutable"));
    assert!(out.fixed.is_none());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].starts_with("chart/templates/d.yaml:"),
        "{}",
        out.errors[0]
    );
    assert!(out.errors[0].contains("Helm template"), "{}", out.errors[0]);
    assert!(
        out.errors[0].contains("--emit kustomize"),
        "{}",
        out.errors[0]
    );
}

/// `add: [null]` is the API server's `add: [""]` (Go's decoder gives a null
/// item the zero value): the pod is fixed, not refused as a wrongly typed
/// field, and the note on kept capabilities shows the empty name.
#[test]
fn a_null_capability_is_fixed_and_named_as_the_empty_string() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a\n    securityContext:\n      capabilities: {add: [null, NET_RAW]}\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.fixed.is_some());
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains(r#"adds capabilities "", NET_RAW; kept"#)),
        "{:?}",
        out.notes
    );
}

/// A flow collection closed at its key's column: scan reads it as kubectl
/// does, from a re-indented copy; fix, which edits the file's own bytes
/// and checks its output by parsing it, refuses it where it starts, with
/// what to change, and leaves the file as it is.
#[test]
fn a_flow_collection_closed_at_its_keys_column_is_refused_where_it_starts() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a\n    args: [\n      \"x\",\n    ]\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.fixed.is_none());
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    let e = out.errors.join("\n");
    assert!(
        e.starts_with("p.yaml:8:11: the lines of the flow collection"),
        "{e}"
    );
    assert!(e.contains("indent those lines past the key"), "{e}");
    // Indented as YAML 1.2 wants, the same file is fixed.
    let indented = t.replace("      \"x\",\n    ]", "       \"x\",\n     ]");
    assert!(
        fix("p.yaml", &indented, &settings("immutable"))
            .fixed
            .is_some()
    );
}

#[test]
fn wrong_types_name_the_file_line_and_field() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    securityContext:\n      readOnlyRootFilesystem: \"true\"\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    // Named once: `p.yaml:8:…`, not `p.yaml: p.yaml:8:…`.
    assert!(e.starts_with("p.yaml:8:"), "{e}");
    assert_eq!(e.matches("p.yaml").count(), 1, "{e}");
    assert!(
        e.contains("spec.containers[0].securityContext.readOnlyRootFilesystem"),
        "{e}"
    );
}

#[test]
fn an_aliased_container_is_refused_not_edited_through_its_anchor() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: &c {name: a, image: a}\nspec:\n  containers:\n  - *c\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    assert!(e.contains("alias"), "{e}");
    assert!(e.contains("not changed"), "{e}");
}

/// A refused file is not changed, so nothing the fix would have done is
/// reported as done: a first document that could be fixed says nothing
/// ("set runAsNonRoot: true; … will now be refused") when the second
/// refuses the file.
#[test]
fn a_refused_file_gets_no_notes_about_changes_it_did_not_get() {
    let pod = |name: &str, containers: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n{containers}"
        )
    };
    let fine = pod("a", "  - name: a\n    image: x\n");
    let aliased = pod("b", "  - &c\n    name: b\n    image: x\n  - *c\n");
    let out = fix(
        "p.yaml",
        &format!("{fine}---\n{aliased}"),
        &settings("immutable"),
    );
    assert!(out.fixed.is_none());
    assert!(out.errors.join("\n").contains("alias"), "{:?}", out.errors);
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    // Alone, the first document is fixed and its note is said.
    let out = fix("p.yaml", &fine, &settings("immutable"));
    assert!(out.fixed.is_some() && out.errors.is_empty());
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("set runAsNonRoot: true")),
        "{:?}",
        out.notes
    );
}

/// A container merging another's keys (`<<: *base`) shares its
/// securityContext: an edit there would go through the alias to every
/// user of the anchor. Refused like any edit through an alias, naming the
/// line of the container that merges, not reported as a failed
/// verification at a line of the edited text.
#[test]
fn an_edit_through_a_merge_key_is_refused_with_the_merging_line() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - &base\n    name: a\n    image: x\n    securityContext:\n      runAsUser: 1\n  - <<: *base\n    name: b\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    assert!(e.starts_with("p.yaml:12: "), "{e}");
    assert!(e.contains("alias") && e.contains("not changed"), "{e}");
    assert!(!e.contains("verified"), "{e}");
    // Merged keys that need no edit, and edits beside them, are fine.
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - &base\n    name: a\n    image: x\n  - <<: *base\n    name: b\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.fixed.is_some());
}

/// The other way round: a list (or mapping) the fix adds to is anchored,
/// and an alias copies it (`volumeMounts: &m` in one container,
/// `volumeMounts: *m` in one that needs no new mount), or a merge key
/// merges it into a mapping that neither gets nor overrides the new key:
/// the copy would change too. Refused at the copy, saying so, not
/// reported as a failed verification at line 1.
#[test]
fn an_addition_that_would_show_through_an_alias_or_merge_key_is_refused_at_the_copy() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    volumeMounts: &m\n    - {name: v, mountPath: /v}\n  - name: b\n    image: x\n    securityContext: {readOnlyRootFilesystem: true}\n    volumeMounts: *m\n  volumes:\n  - {name: v, emptyDir: {}}\n";
    let merged = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - &a\n    name: a\n    image: x\n  - <<: *a\n    name: b\n    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";
    for (text, line) in [(t, 14), (merged, 10)] {
        let out = fix("p.yaml", text, &settings("immutable"));
        assert!(out.fixed.is_none());
        let e = out.errors.join("\n");
        assert!(e.starts_with(&format!("p.yaml:{line}: ")), "{e}");
        assert!(e.contains("alias") && e.contains("not changed"), "{e}");
        assert!(!e.contains("verified"), "{e}");
    }
    // Unshared, the same list is added to.
    let unshared = t.replace("*m", "[{name: v, mountPath: /v}]");
    let out = fix("p.yaml", &unshared, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.fixed.is_some());
}

/// The search for copies walks the whole document. Without an anchor it
/// holds no copy, and fix does not search (its chunk has no `&`); with one
/// it searches, and refuses the edits above. Here the walk itself: no
/// node visited when told there is no anchor, every node otherwise.
#[test]
fn the_search_for_copies_is_made_only_where_an_anchor_can_be() {
    use rootlock_fix::edits::Op;
    use rootlock_fix::resolve::resolve_ops;
    use rootlock_fix::value::New;
    use rootlock_manifest::Limits;
    use rootlock_manifest::tree::parse_documents;
    use rootlock_policy::FieldPath;
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n";
    let docs = parse_documents(t, 0, &Limits::default(), &|_| true).unwrap();
    let root = docs[0].root.as_ref().unwrap();
    let ops = [Op::Set {
        path: FieldPath::default()
            .key("spec")
            .key("containers")
            .index(0)
            .key("securityContext")
            .key("readOnlyRootFilesystem"),
        value: New::Bool(true),
        replace: false,
    }];
    assert_eq!(resolve_ops(root, &ops, false).unwrap().searched, 0);
    // Every node: the document, its 4 values, metadata's name, spec's
    // containers, the container and its 2 values.
    assert_eq!(resolve_ops(root, &ops, true).unwrap().searched, 10);
    // Through fix, a document without an anchor is fixed as before.
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(
        out.errors.is_empty() && out.fixed.is_some(),
        "{:?}",
        out.errors
    );
}

/// A failed check of the edited text names the file alone: the line in
/// its message is the edited text's, which is not the file's once lines
/// were added above it. (Here the check fails because the plan is made
/// for restricted and the check wants immutable, settings the command
/// never combines.)
#[test]
fn a_failed_verification_names_the_file_not_a_line_of_it() {
    let t = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers:\n    - name: a\n      image: x\n      securityContext:\n        readOnlyRootFilesystem: true\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n  spec:\n    containers:\n    - name: b\n      image: x\n";
    let mut s = settings("immutable");
    s.options.level = rootlock_policy::Level::Restricted;
    let out = fix("p.yaml", t, &s);
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    // Pod "b" starts on line 14 of the file and further down once pod
    // "a" has its new lines.
    let edited_line = 14 + 8;
    assert_eq!(
        e,
        format!(
            "p.yaml: the fix could not be verified (line {edited_line}: Pod \"b\": readOnlyRootFilesystem still fails after the fix (readOnlyRootFilesystem != true (container \"b\" must set securityContext.readOnlyRootFilesystem=true))); the file was not changed"
        )
    );
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: FixArgs,
}

fn args(list: &[&str]) -> FixArgs {
    let mut v = vec!["fix"];
    v.extend(list);
    Cli::try_parse_from(v).unwrap().args
}

#[test]
fn check_write_and_idempotence_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    let src = repo().join("crates/fix/tests/cases/deployment.yaml");
    let original = std::fs::read_to_string(src).unwrap();
    std::fs::write(&p, &original).unwrap();
    let path = p.to_str().unwrap();
    assert_eq!(rootlock_fix::run(&args(&["--check", path])), 1);
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        original,
        "--check wrote"
    );
    assert_eq!(rootlock_fix::run(&args(&["--write", path])), 0);
    let fixed = std::fs::read_to_string(&p).unwrap();
    assert_ne!(fixed, original);
    assert_eq!(
        rootlock_fix::run(&args(&["--check", path])),
        0,
        "second run changed something"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), fixed);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, "kind: Pod\nspec: [\n").unwrap();
    let path = p.to_str().unwrap();
    assert_eq!(rootlock_fix::run(&args(&["--level", "baseline", path])), 2);
    assert_eq!(rootlock_fix::run(&args(&["--writable", "tmp", path])), 2);
    assert_eq!(
        rootlock_fix::run(&args(&["--plan", "/nonexistent/plan.yaml", path])),
        2
    );
    assert_eq!(rootlock_fix::run(&args(&[path])), 2, "invalid YAML");
    assert_eq!(rootlock_fix::run(&args(&["/nonexistent/x.yaml"])), 2);
}

/// Writable paths are volumes for a read-only root filesystem, which only
/// `--level immutable` sets: asked for at `restricted`, they would be
/// dropped without a word (the diff would lack the volumes asked for), so
/// the command is refused, saying why, and the file is left as it is.
#[test]
fn writable_paths_at_a_level_that_keeps_the_root_writable_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /run\n  medium: memory\n",
    )
    .unwrap();
    let p = dir.path().join("d.yaml");
    let src = repo().join("crates/fix/tests/cases/deployment.yaml");
    let original = std::fs::read_to_string(src).unwrap();
    std::fs::write(&p, &original).unwrap();
    let (plan, path) = (plan.to_str().unwrap(), p.to_str().unwrap());
    for options in [
        ["restricted", "--writable", "/cache"],
        ["restricted:v1.30", "--plan", plan],
    ] {
        let mut list = vec!["--level"];
        list.extend(options);
        list.extend(["--write", path]);
        assert_eq!(rootlock_fix::run(&args(&list)), 2, "{options:?}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), original);
    }
    // Without them, restricted fixes the file.
    assert_eq!(
        rootlock_fix::run(&args(&["--level", "restricted", "--write", path])),
        0
    );
}

#[test]
fn a_forbidden_seccomp_annotation_before_v1_19_is_kept_and_reported_not_refused() {
    // Below v1.19 PSA judges the deprecated annotations, not the fields: an
    // `unconfined` one is an explicit contrary value like `privileged: true`.
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n    container.seccomp.security.alpha.kubernetes.io/a: \"\"\nspec:\n  containers:\n  - name: a\n    image: x\n";
    for level in ["restricted:v1.0", "immutable:v1.18"] {
        let out = fix("p.yaml", t, &settings(level));
        assert!(out.errors.is_empty(), "{level}: {:?}", out.errors);
        assert!(
            out.fixed.is_some(),
            "{level}: the other fields are still fixed"
        );
        let notes = out.notes.join("\n");
        assert!(
            notes.contains(
                "seccomp.security.alpha.kubernetes.io/pod: \"unconfined\" explicitly; kept"
            ),
            "{level}: {notes}"
        );
        assert!(
            notes.contains("container \"a\" sets metadata.annotations.container.seccomp.security.alpha.kubernetes.io/a: \"\" explicitly; kept"),
            "{level}: {notes}"
        );
    }
    // With --force both become runtime/default and the pod passes v1.0.
    let mut forced = settings("restricted:v1.0");
    forced.options.force = true;
    let out = fix("p.yaml", t, &forced);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let fixed = out.fixed.unwrap();
    assert!(
        fixed.contains("seccomp.security.alpha.kubernetes.io/pod: runtime/default"),
        "{fixed}"
    );
    assert!(
        fixed.contains("container.seccomp.security.alpha.kubernetes.io/a: runtime/default"),
        "{fixed}"
    );
    // From v1.19 the annotations are not read: nothing said, nothing changed.
    let out = fix("p.yaml", t, &settings("restricted:v1.19"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(
        !out.notes.join("\n").contains("annotations"),
        "{:?}",
        out.notes
    );
    assert!(out.fixed.unwrap().contains("pod: unconfined"));
}

#[test]
fn max_document_size_takes_the_same_suffixes_as_scan() {
    // `scan --max-document-size 8Mi` works; the same flag on `fix` must too.
    let a = args(&["--max-document-size", "8Mi", "p.yaml"]);
    assert_eq!(a.max_document_size, 8 << 20);
    assert_eq!(args(&["p.yaml"]).max_document_size, 16 << 20);
    let mut zero = vec!["fix", "--max-document-size", "0", "p.yaml"];
    assert!(
        Cli::try_parse_from(&zero).is_err(),
        "0 would refuse everything"
    );
    zero[2] = "12XB";
    assert!(Cli::try_parse_from(&zero).is_err());
}

#[test]
fn kustomize_patches_one_per_workload() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("patches");
    let cases = repo().join("crates/fix/tests/cases");
    let files = [cases.join("deployment.yaml"), cases.join("list.yaml")];
    let mut a = vec![
        "--emit",
        "kustomize",
        "--out-dir",
        out_dir.to_str().unwrap(),
    ];
    a.extend(files.iter().map(|f| f.to_str().unwrap()));
    assert_eq!(rootlock_fix::run(&args(&a)), 0);
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "deployment-web.patch.yaml",
            "pod-a.patch.yaml",
            "pod-b.patch.yaml"
        ]
    );
    let got = std::fs::read_to_string(out_dir.join("deployment-web.patch.yaml")).unwrap();
    let want = std::fs::read_to_string(
        repo().join("crates/fix/tests/snapshots/deployment.kustomize.yaml"),
    )
    .unwrap();
    assert_eq!(got, want);
    // Every patch is a YAML object naming its target.
    for n in &names {
        let text = std::fs::read_to_string(out_dir.join(n)).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        assert!(v["metadata"]["name"].as_str().is_some(), "{n}");
    }
}

/// Writes `plan` (its bytes) and a copy of the deployment case to a fresh
/// directory, runs `fix --plan PLAN --write COPY` and then `--check`, and
/// gives both exit statuses and the fixed text.
fn fix_deployment_with_plan(plan: &[u8]) -> (i32, i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let plan_file = dir.path().join("plan.yaml");
    std::fs::write(&plan_file, plan).unwrap();
    let p = dir.path().join("d.yaml");
    let src = repo().join("crates/fix/tests/cases/deployment.yaml");
    std::fs::write(&p, std::fs::read_to_string(src).unwrap()).unwrap();
    let (plan, path) = (plan_file.to_str().unwrap(), p.to_str().unwrap());
    let wrote = rootlock_fix::run(&args(&["--plan", plan, "--write", path]));
    let checked = rootlock_fix::run(&args(&["--plan", plan, "--check", path]));
    (wrote, checked, std::fs::read_to_string(&p).unwrap())
}

#[test]
fn a_volume_plan_file_drives_the_writable_paths() {
    let (wrote, checked, fixed) = fix_deployment_with_plan(
        b"apiVersion: rootlock.dev/v1\nkind: VolumePlan\nsource: \"trace: nginx\"\npaths:\n  - path: /var/cache/nginx/\n    medium: disk\n    sizeLimit: 1Gi\n  - path: /run\n    medium: memory\n",
    );
    assert_eq!(wrote, 0);
    assert!(fixed.contains("mountPath: /var/cache/nginx\n"), "{fixed}");
    assert!(fixed.contains("- name: rootlock-run\n"), "{fixed}");
    assert!(fixed.contains("sizeLimit: 1Gi"), "{fixed}");
    // With a plan, the default /tmp is not added.
    assert!(!fixed.contains("/tmp"), "{fixed}");
    assert_eq!(checked, 0);
}

/// A plan that lists no path (`rootlock trace` of a program that wrote
/// nothing: `paths: []`) says the application needs no writable path: fix
/// adds no volume, not the default `/tmp` meant for when no plan is given.
#[test]
fn an_empty_volume_plan_adds_no_volume() {
    let (wrote, _, fixed) = fix_deployment_with_plan(
        b"apiVersion: rootlock.dev/v1\nkind: VolumePlan\nsource: \"trace: true\"\npaths: []\n",
    );
    assert_eq!(wrote, 0);
    assert!(fixed.contains("readOnlyRootFilesystem: true"), "{fixed}");
    assert!(!fixed.contains("volumeMounts"), "{fixed}");
    assert!(!fixed.contains("emptyDir"), "{fixed}");
}

/// A plan saved with a byte-order mark (UTF-8 from an editor, UTF-16 from
/// Windows PowerShell 5's `>`) is read as manifests are, not refused with
/// a field "missing" because the mark became part of the first key.
#[test]
fn a_volume_plan_with_a_byte_order_mark_is_read() {
    let text = "apiVersion: rootlock.dev/v1\r\nkind: VolumePlan\r\npaths:\r\n- path: /run\r\n  medium: disk\r\n";
    let utf8 = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    for (name, bytes) in [("utf8", utf8), ("utf16", utf16)] {
        let (wrote, _, fixed) = fix_deployment_with_plan(&bytes);
        assert_eq!(wrote, 0, "{name}");
        assert!(fixed.contains("mountPath: /run\n"), "{name}: {fixed}");
    }
}

#[test]
fn an_empty_seccomp_type_is_set_not_refused() {
    // The API server refuses `type: ""`; nobody chose it, so it is replaced
    // (an explicit `Unconfined` is kept and reported instead).
    for profile in ["{type: \"\"}", "{}"] {
        let t = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {profile}\n  containers:\n  - name: a\n    image: x\n"
        );
        let out = fix("p.yaml", &t, &settings("restricted"));
        assert!(out.errors.is_empty(), "{profile}: {:?}", out.errors);
        let new = out.fixed.expect("a change");
        assert!(
            new.contains("seccompProfile: {type: RuntimeDefault}"),
            "{new}"
        );
    }
}

#[test]
fn utf16_files_are_fixed_and_written_back_in_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("crates/fix/tests/cases/deployment.yaml");
    let original = std::fs::read_to_string(src).unwrap();
    for big_endian in [false, true] {
        let unit = |u: u16| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        };
        let encode = |text: &str| -> Vec<u8> {
            std::iter::once(0xFEFF)
                .chain(text.encode_utf16())
                .flat_map(unit)
                .collect()
        };
        let p = dir.path().join(format!("d-{big_endian}.yaml"));
        std::fs::write(&p, encode(&original)).unwrap();
        let path = p.to_str().unwrap();
        assert_eq!(rootlock_fix::run(&args(&["--write", path])), 0);
        let written = std::fs::read(&p).unwrap();
        // Same byte order, same mark; the text is what a UTF-8 file gets.
        let utf8 = dir.path().join("d-utf8.yaml");
        std::fs::write(&utf8, &original).unwrap();
        assert_eq!(
            rootlock_fix::run(&args(&["--write", utf8.to_str().unwrap()])),
            0
        );
        let expected = std::fs::read_to_string(&utf8).unwrap();
        assert_ne!(expected, original);
        assert_eq!(written, encode(&expected), "big endian: {big_endian}");
        assert_eq!(rootlock_fix::run(&args(&["--check", path])), 0);
    }
}

#[test]
fn what_fix_leaves_failing_is_noted_once_at_the_original_line() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      privileged: true\n    volumeMounts:\n    - name: h\n      mountPath: /data\n  volumes:\n  - name: h\n    hostPath:\n      path: /srv\n";
    let out = fix("p.yaml", t, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.fixed.is_some());
    let left: Vec<&String> = out
        .notes
        .iter()
        .filter(|n| n.contains("which fix does not change"))
        .collect();
    // Lines of the file as given (the fix inserts lines above them).
    assert!(
        left.iter().any(|n| n
            .starts_with("p.yaml:12: Pod \"p\": still fails writableHostPath at immutable:latest")),
        "{left:?}"
    );
    assert!(
        left.iter()
            .any(|n| n.starts_with("p.yaml:15: Pod \"p\": still fails restrictedVolumes")),
        "{left:?}"
    );
    // The kept `privileged: true` has its own note, not a second one, and
    // neither has the rootfsBypass that follows from it.
    assert!(
        !left.iter().any(|n| n.contains("fails privileged")),
        "{left:?}"
    );
    assert!(
        !left.iter().any(|n| n.contains("fails rootfsBypass")),
        "{left:?}"
    );
    assert_eq!(left.len(), 2, "{left:?}");
    // But the note of the kept value says the read-only root the fix set
    // does not hold while it stays.
    assert!(
        out.notes.iter().any(|n| n.starts_with("p.yaml:9: ")
            && n.contains("container \"a\" keeps privileged: true, with which it can remount its root read-write")
            && n.ends_with("(rootfsBypass)")),
        "{:?}",
        out.notes
    );

    // Fixing the fixed file edits nothing and still says what is left.
    let again_text = out.fixed.clone().unwrap();
    let again = fix("p.yaml", &again_text, &settings("immutable"));
    assert!(again.fixed.is_none() && again.errors.is_empty());
    // The hostPath mount, the entry after `volumeMounts:`.
    let line = 2 + again_text
        .lines()
        .position(|l| l.trim() == "volumeMounts:")
        .unwrap();
    assert!(
        again.notes.iter().any(|n| n.starts_with(&format!(
            "p.yaml:{line}: Pod \"p\": still fails writableHostPath"
        ))),
        "{:?}",
        again.notes
    );

    // Everything fixable: no such note.
    let clean = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n";
    let out = fix("p.yaml", clean, &settings("immutable"));
    assert!(
        !out.notes
            .iter()
            .any(|n| n.contains("which fix does not change")),
        "{:?}",
        out.notes
    );
}

/// Volume names are slugs of paths, and `/a_b` and `/a-b` share one. An
/// earlier run's `rootlock-a-b` mounted at `/a_b` is reused for another
/// container that needs `/a_b`, never for `/a-b`: that gets its own volume.
#[test]
fn an_earlier_volume_is_reused_only_for_its_own_path() {
    let text = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    securityContext: {readOnlyRootFilesystem: true}
    volumeMounts:
    - {name: rootlock-a-b, mountPath: /a_b}
  - name: b
    image: x
  volumes:
  - name: rootlock-a-b
    emptyDir: {}
";
    let fixed_with = |spec: &str| {
        let mut s = settings("immutable");
        s.options.writable = Some(vec![rootlock_fix::writable::parse_writable(spec).unwrap()]);
        let out = fix("p.yaml", text, &s);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        out.fixed.expect("a change")
    };
    let same_path = fixed_with("/a_b=disk");
    assert!(
        same_path.contains("- name: rootlock-a-b\n      mountPath: /a_b")
            || same_path.contains("{name: rootlock-a-b, mountPath: /a_b}\n  - name: b"),
        "{same_path}"
    );
    assert_eq!(same_path.matches("emptyDir").count(), 1, "{same_path}");
    let other_path = fixed_with("/a-b=disk");
    assert!(other_path.contains("rootlock-a-b-2"), "{other_path}");
    assert_eq!(other_path.matches("emptyDir").count(), 2, "{other_path}");
}

/// A bare Pod's patch that changes an annotation (the seccomp annotation
/// replaced under --force) has one `metadata`, holding the name and the
/// annotation: a second `metadata` key is a duplicate that kustomize and
/// kubectl refuse.
#[test]
fn a_pod_patch_that_changes_an_annotation_has_one_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  containers:
  - name: c
    image: b
",
    )
    .unwrap();
    let out_dir = dir.path().join("patches");
    for level in ["immutable", "immutable:v1.18"] {
        let a = args(&[
            "--emit",
            "kustomize",
            "--force",
            "--level",
            level,
            "--out-dir",
            out_dir.to_str().unwrap(),
            pod.to_str().unwrap(),
        ]);
        assert_eq!(rootlock_fix::run(&a), 0);
        let text = std::fs::read_to_string(out_dir.join("pod-p.patch.yaml")).unwrap();
        let v: serde_norway::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{level}: {e}\n{text}"));
        assert_eq!(v["metadata"]["name"].as_str(), Some("p"), "{text}");
        assert_eq!(
            v["metadata"]["annotations"]["seccomp.security.alpha.kubernetes.io/pod"].as_str(),
            Some("runtime/default"),
            "{level}: {text}"
        );
    }
}

/// `container: ""` in a plan names no container a pod can have (the API
/// server refuses an empty name): it is a mistake in the plan, refused
/// (exit 2, the manifest untouched) with the file, the line and the field,
/// not a note that "no workload has" a container named "".
#[test]
fn an_empty_container_name_in_a_plan_is_refused_with_its_line() {
    let yaml = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /run\n  medium: memory\n- path: /cache\n  medium: disk\n  container: \"\"\n";
    let e = rootlock_fix::plan_input::parse_plan(yaml, "p.yaml").unwrap_err();
    assert!(
        e.starts_with("p.yaml:8: invalid plan: paths[1].container: "),
        "{e}"
    );
    assert!(e.contains("empty"), "{e}");
    let json = "{\"apiVersion\": \"rootlock.dev/v1\", \"kind\": \"VolumePlan\",\n \"paths\": [\n  {\"path\": \"/run\", \"medium\": \"memory\", \"container\": \"\"}\n ]\n}\n";
    let e = rootlock_fix::plan_input::parse_plan(json, "p.json").unwrap_err();
    assert!(
        e.starts_with("p.json:3: invalid plan: paths[0].container: "),
        "{e}"
    );
    let original =
        std::fs::read_to_string(repo().join("crates/fix/tests/cases/deployment.yaml")).unwrap();
    let (wrote, checked, after) = fix_deployment_with_plan(yaml.as_bytes());
    assert_eq!((wrote, checked), (2, 2));
    assert_eq!(
        after, original,
        "a refused plan leaves the manifest as it was"
    );
}

/// Documents are fixed as they are read (not after the whole file), so
/// what the documents before an error or a refusal gave must not leak out:
/// the file is not changed, and no note speaks of a change not made.
#[test]
fn an_error_or_refusal_after_a_fixable_document_changes_nothing() {
    let fixable = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n";
    let s = settings("immutable");
    let alone = fix("f.yaml", fixable, &s);
    assert!(
        alone.fixed.is_some() && !alone.notes.is_empty(),
        "{alone:?}"
    );
    assert_eq!(alone.workloads.len(), 1);

    // A syntax error in a later document.
    let out = fix("f.yaml", &format!("{fixable}---\nkey: [unclosed\n"), &s);
    assert!(out.fixed.is_none(), "{out:?}");
    assert!(out.notes.is_empty() && out.workloads.is_empty(), "{out:?}");
    assert_eq!(out.errors.len(), 1, "{out:?}");
    assert!(out.errors[0].starts_with("f.yaml:10:"), "{}", out.errors[0]);

    // A document fix refuses (a list root, in a file named to be read),
    // after the fixable one and before another.
    for text in [
        format!("{fixable}---\n- 1\n"),
        format!("- 1\n---\n{fixable}"),
    ] {
        let out = fix("f.yaml", &text, &s);
        assert!(out.fixed.is_none(), "{out:?}");
        assert!(out.notes.is_empty(), "{out:?}");
        assert_eq!(out.errors.len(), 1, "{out:?}");
        assert!(
            out.errors[0].contains("the file was not changed"),
            "{}",
            out.errors[0]
        );
    }
}
