//! Very long lines: a `kubectl get -o json | jq -c` List is one line of
//! megabytes, and its edits must not each walk that line from its start
//! (which made fixing a 400 KB line take seconds and 1.6 MB minutes).

mod common;

use common::*;
use std::time::{Duration, Instant};

#[test]
fn a_compact_json_list_on_one_line_is_fixed_in_linear_time() {
    let item = |i: usize| {
        format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d{i}","annotations":{{"a":"{pad}"}}}},"spec":{{"template":{{"spec":{{"containers":[{{"name":"a","image":"nginx:1.25"}}]}}}}}}}}"#,
            pad = "b".repeat(200)
        )
    };
    let items: Vec<String> = (0..2000).map(item).collect();
    let text = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    );
    assert!(text.len() > 700_000 && !text.contains('\n'));
    let started = Instant::now();
    let out = fix("list.json", &text, &settings("immutable"));
    let took = started.elapsed();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let fixed = out.fixed.expect("a change");
    assert_eq!(
        fixed.matches(r#""readOnlyRootFilesystem":true"#).count(),
        2000
    );
    // Linear, it takes about a second in a debug build; walking the line
    // per edit took a minute.
    assert!(took < Duration::from_secs(15), "took {took:?}");
}
