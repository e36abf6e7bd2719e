//! Very long lines: a `kubectl get -o json | jq -c` List is one line of
//! megabytes with thousands of edits on it. Whether that stays linear is
//! measured by `bench/fix.sh` (its one-line List figure, against scan),
//! not timed here; this checks every edit on such a line lands.

mod common;

use common::*;

#[test]
fn every_workload_of_a_compact_json_list_on_one_line_is_fixed() {
    let item = |i: usize| {
        format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d{i}","annotations":{{"a":"{pad}"}}}},"spec":{{"template":{{"spec":{{"containers":[{{"name":"a","image":"nginx:1.25"}}]}}}}}}}}"#,
            pad = "b".repeat(200)
        )
    };
    let items: Vec<String> = (0..500).map(item).collect();
    let text = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    );
    assert!(text.len() > 150_000 && !text.contains('\n'));
    let out = fix("list.json", &text, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let fixed = out.fixed.expect("a change");
    assert_eq!(
        fixed.matches(r#""readOnlyRootFilesystem":true"#).count(),
        500
    );
    assert!(!fixed.contains('\n'), "still one line");
    // Each container's edit is in its own container: the n-th
    // `"readOnlyRootFilesystem":true` follows the n-th `"name":"d…"`.
    let mut at = 0;
    for i in 0..500 {
        let name = fixed[at..]
            .find(&format!(r#""name":"d{i}""#))
            .map(|j| at + j)
            .expect("each workload in order");
        let edit = fixed[name..]
            .find(r#""readOnlyRootFilesystem":true"#)
            .map(|j| name + j)
            .expect("an edit after it");
        if let Some(next) = fixed[name + 1..].find(r#""name":"d"#) {
            assert!(edit < name + 1 + next, "d{i}'s edit is in d{i}");
        }
        at = edit;
    }
}

/// A List that meets `--max-document-size` grows past it with the fix's
/// additions; the fixed text is still read back (and so written), not
/// refused as an oversized document it never was on input.
#[test]
fn a_list_that_grows_past_the_document_size_limit_is_fixed() {
    let item = |i: usize| {
        format!(
            "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {{\"name\": \"p{i}\"}},\n  \"spec\": {{\"containers\": [{{\"name\": \"a\", \"image\": \"nginx\"}}]}}\n}}"
        )
    };
    let items: Vec<String> = (0..200).map(item).collect();
    let text = format!(
        "{{\n\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": [\n{}\n]\n}}\n",
        items.join(",\n")
    );
    let mut s = settings("immutable");
    s.limits.max_document_bytes = text.len() + 16;
    let out = fix("list.json", &text, &s);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let fixed = out.fixed.expect("a change");
    assert!(fixed.len() > 2 * text.len(), "the fix more than doubled it");
    assert_eq!(
        fixed.matches(r#""readOnlyRootFilesystem": true"#).count(),
        200
    );
    // The limit still holds for what is read: the fixed text, fixed again
    // under the same limit, is refused as too large.
    let again = fix("list.json", &fixed, &s);
    assert!(
        again.errors.iter().any(|e| e.contains("larger than")),
        "{:?}",
        again.errors
    );
}

/// A JSON stream of one object per line (`jq -c '.items[]'`) longer than
/// the reader's cut is read in chunks cut between values; every chunk's
/// edits are checked as JSON and land, and the notes name the right lines.
#[test]
fn a_json_stream_read_in_several_chunks_is_fixed_throughout() {
    let line = |i: usize| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p{i}","annotations":{{"a":"{pad}"}}}},"spec":{{"containers":[{{"name":"c","image":"nginx"}}]}}}}"#,
            pad = "b".repeat(200)
        )
    };
    let text: String = (0..600).map(|i| format!("{}\n", line(i))).collect();
    assert!(text.len() > 150_000, "more than two cuts of 64 KiB");
    let out = fix("pods.json", &text, &settings("immutable"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let fixed = out.fixed.expect("a change");
    let lines: Vec<&str> = fixed.lines().collect();
    assert_eq!(lines.len(), 600);
    for (i, l) in lines.iter().enumerate() {
        assert!(l.contains(&format!(r#""name":"p{i}""#)), "line {}", i + 1);
        assert!(
            l.contains(r#""readOnlyRootFilesystem":true"#),
            "line {}",
            i + 1
        );
    }
    let last = out
        .notes
        .iter()
        .rfind(|n| n.contains("Pod \"p599\""))
        .expect("a note on the last pod");
    assert!(last.starts_with("pods.json:600: "), "{last}");
}
