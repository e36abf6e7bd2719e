//! Nulls written with an anchor or a tag (`key: &a`, `key: !!null`), in
//! block and flow style: replaced cleanly, or refused with the line.

mod common;

use common::*;
use rootlock_fix::writable::parse_writable;

fn with_cache() -> rootlock_fix::Settings {
    let mut s = settings("immutable");
    s.options.writable = Some(vec![parse_writable("/cache").unwrap()]);
    s
}

/// Fixes `t`, checks the output reads back with another YAML library, holds
/// only additions and is stable under a second fix.
fn fixed(t: &str) -> String {
    let s = with_cache();
    let out = fix("p.yaml", t, &s);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let new = out.fixed.expect("a change");
    // serde_norway cannot read an empty `!!null` in the input; compare
    // against the same data written without the tag.
    assert_only_additions("p.yaml", &t.replace(" !!null", ""), &new);
    assert!(
        serde_norway::from_str::<serde_norway::Value>(&new).is_ok(),
        "invalid YAML written:\n{new}"
    );
    let again = fix("p.yaml", &new, &s);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert!(again.fixed.is_none(), "not idempotent:\n{new}");
    new
}

const POD_SC: &str =
    "spec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n";
const C_SC: &str = "securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}";

#[test]
fn a_tagged_null_in_a_flow_mapping_loses_its_tag() {
    let t = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{POD_SC}  containers:\n  - {{name: a, image: x, {C_SC}, volumeMounts: !!null }}\n"
    );
    let new = fixed(&t);
    assert!(
        new.contains(", volumeMounts: [{name: rootlock-cache, mountPath: /cache, subPath: a}] }\n"),
        "{new}"
    );
    assert!(!new.contains("!!null"), "{new}");
}

#[test]
fn a_tagged_null_with_a_value_in_a_flow_mapping_loses_its_tag() {
    let t = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{POD_SC}  containers:\n  - {{name: a, image: x, {C_SC}, volumeMounts: !!null ~, stdin: true}}\n"
    );
    let new = fixed(&t);
    assert!(
        new.contains(
            ", volumeMounts: [{name: rootlock-cache, mountPath: /cache, subPath: a}], stdin: true}"
        ),
        "{new}"
    );
}

#[test]
fn a_tagged_null_in_block_style_is_replaced_by_block_lines() {
    for value in ["!!null", "!!null ~", "!!null  # none yet"] {
        let t = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{POD_SC}  containers:\n  - name: a\n    image: x\n    {C_SC}\n  volumes: {value}\n"
        );
        let new = fixed(&t);
        assert!(!new.contains("!!null"), "{new}");
        assert!(new.contains("\n  volumes:"), "{new}");
        assert!(new.contains("  - name: rootlock-cache\n"), "{new}");
    }
}

#[test]
fn an_anchored_null_keeps_its_unused_anchor() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: &sc\n    resources: {}\n";
    let new = fixed(t);
    assert!(
        new.contains("    securityContext: &sc\n      readOnlyRootFilesystem: true\n"),
        "{new}"
    );
}

#[test]
fn an_anchored_and_tagged_null_keeps_the_anchor_only() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: &sc !!null   # later\n    resources: {}\n";
    let new = fixed(t);
    assert!(
        new.contains("    securityContext: &sc   # later\n      readOnlyRootFilesystem: true\n"),
        "{new}"
    );
}

#[test]
fn an_anchored_null_that_an_alias_uses_is_refused_with_its_line() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: &sc\n    args: [*sc]\n";
    let out = fix("p.yaml", t, &with_cache());
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    assert!(e.contains("p.yaml:10: "), "{e}");
    assert!(e.contains("&sc"), "{e}");
    assert!(e.contains("not changed"), "{e}");
}

#[test]
fn a_null_whose_value_is_below_its_tag_is_refused_not_a_panic() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: !!null\n      ~\n    resources: {}\n";
    let out = fix("p.yaml", t, &with_cache());
    assert!(out.fixed.is_none());
    let e = out.errors.join("\n");
    assert!(e.contains("p.yaml:9: "), "{e}");
}

#[test]
fn a_list_item_with_a_comment_after_its_dash_gets_new_items() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - # the app\n    name: a\n    image: x\n    volumeMounts:\n    - # data\n      name: d\n      mountPath: /data\n  volumes:\n  -\n    name: d\n    emptyDir: {}\n";
    let new = fixed(t);
    assert!(
        new.contains(
            "      mountPath: /data\n    - name: rootlock-cache\n      mountPath: /cache\n      subPath: a\n"
        ),
        "{new}"
    );
}

#[test]
fn new_lines_go_after_the_kept_blank_lines_of_a_keep_block_scalar() {
    for tail in ["\n  restartPolicy: Always\n", "\n\n", "\n# end\n"] {
        let t = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    args:\n    - |+\n      hello\n{tail}"
        );
        let new = fixed(&t);
        assert!(new.contains("      hello\n\n"), "{new}");
    }
}

#[test]
fn new_lines_go_after_a_flow_collection_closed_at_the_keys_indentation() {
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  volumes: [{name: v, emptyDir: {}}]\n  containers:\n  - name: a\n    image: x\n    volumeMounts: [{name: v, mountPath: /tmp}]\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL],\n      }\n";
    let s = settings("immutable");
    let out = fix("p.yaml", t, &s);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let new = out.fixed.expect("a change");
    assert!(
        new.ends_with(
            "      capabilities: {drop: [ALL],\n      }\n      readOnlyRootFilesystem: true\n"
        ),
        "{new}"
    );
    assert_only_additions("p.yaml", t, &new);
}

/// A JSON `null` in an object written on one line (`jq -c` output, one
/// object per line) is replaced on that line, in the file's compact
/// style, as members are added to such an object; one in an object over
/// several lines gets lines of its own.
#[test]
fn a_json_null_is_replaced_in_the_layout_of_its_object() {
    let lines = concat!(
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"securityContext":null,"containers":[{"name":"a","image":"a:1","securityContext":null}]}}"#,
        "\n",
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[{"name":"b","image":"b:1"}]}}"#,
        "\n",
    );
    let out = fix("p.json", lines, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let new = out.fixed.expect("a change");
    assert_eq!(new.lines().count(), 2, "{new}");
    for line in new.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not one object per line any more:\n{new}"
        );
    }
    assert!(
        new.contains(r#""spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"},"runAsNonRoot":true},"#),
        "{new}"
    );
    let pretty = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\"},\n  \"spec\": {\n    \"securityContext\": null,\n    \"containers\": [\n      {\"name\": \"b\", \"image\": \"b:1\", \"securityContext\": null}\n    ]\n  }\n}\n";
    let out = fix("p.json", pretty, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let new = out.fixed.expect("a change");
    assert!(
        new.contains("{\"name\": \"b\", \"image\": \"b:1\", \"securityContext\": {\"readOnlyRootFilesystem\": true, \"allowPrivilegeEscalation\": false, \"capabilities\": {\"drop\": [\"ALL\"]}}, \"volumeMounts\": [{\"name\": \"rootlock-tmp\", \"mountPath\": \"/tmp\", \"subPath\": \"b\"}]}\n"),
        "{new}"
    );
    assert!(
        new.contains("    \"securityContext\": {\n      \"seccompProfile\": {\n        \"type\": \"RuntimeDefault\"\n      },\n      \"runAsNonRoot\": true\n    },\n"),
        "{new}"
    );
    for text in [lines, pretty] {
        let once = fix("p.json", text, &settings("immutable")).fixed.unwrap();
        assert!(fix("p.json", &once, &settings("immutable")).fixed.is_none());
    }
}

/// A list item whose anchor (or tag) is alone on its `-` line, and a list
/// whose first item is an alias of it: new items are appended after them
/// at the same `-` column; nothing is edited through the alias.
#[test]
fn items_are_appended_to_lists_whose_first_item_has_props_or_is_an_alias() {
    let t = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{POD_SC}  containers:\n  - name: a\n    image: x\n    {C_SC}\n    volumeMounts:\n    - &cfg\n      name: cfg\n      mountPath: /etc/cfg\n  - name: b\n    image: z\n    {C_SC}\n    volumeMounts:\n    - *cfg\n  volumes:\n  - !!map\n    name: cfg\n    configMap: {{name: x}}\n"
    );
    let new = fixed(&t);
    assert!(
        new.contains("      mountPath: /etc/cfg\n    - name: rootlock-cache\n      mountPath: /cache\n      subPath: a\n  - name: b\n"),
        "{new}"
    );
    assert!(
        new.contains(
            "    - *cfg\n    - name: rootlock-cache\n      mountPath: /cache\n      subPath: b\n  volumes:\n"
        ),
        "{new}"
    );
    assert!(
        new.contains("    configMap: {name: x}\n  - name: rootlock-cache\n    emptyDir:\n"),
        "{new}"
    );
}
