//! Streams that start with `{`, which kubectl decodes as JSON, through the
//! reader: what kubectl (1.33 and later) accepts is read, every document at
//! its line and column; what it refuses is an error at the line and column
//! of the mistake, in serde_json's words.

use rootlock_manifest::tree::{Document, parse_documents};
use rootlock_manifest::workload::interesting_kind;
use rootlock_manifest::{ErrorKind, InputError, Limits, read_stream};

/// Every document's root as (line, column, the value of its key `n`).
type Roots = Vec<(usize, usize, String)>;

fn read_with(text: &str, limits: &Limits) -> (Roots, Vec<InputError>) {
    let mut roots = Vec::new();
    let errors = read_stream(text.as_bytes(), "f.json", limits, |d| {
        if let Some(root) = &d.document.root {
            let n = root.get("n").and_then(|n| n.as_scalar());
            roots.push((
                root.line,
                root.column,
                n.map_or(String::new(), |s| s.text.clone()),
            ));
        }
        Ok(())
    });
    (roots, errors)
}

fn read(text: &str) -> (Roots, Vec<InputError>) {
    read_with(text, &Limits::default())
}

fn roots(text: &str) -> Roots {
    let (roots, errors) = read(text);
    assert!(errors.is_empty(), "{text:?}: {errors:?}");
    roots
}

fn only_error(text: &str) -> InputError {
    let (_, mut errors) = read(text);
    assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
    errors.remove(0)
}

fn documents(text: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let errors = read_stream(text.as_bytes(), "f.json", &Limits::default(), |d| {
        docs.push(d.document);
        Ok(())
    });
    assert!(errors.is_empty(), "{errors:?}");
    docs
}

const POD: &str = r#"{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {
    "containers": [
      {"name": "app", "image": "nginx", "securityContext": {"readOnlyRootFilesystem": false}}
    ]
  }
}
"#;

#[test]
fn one_valid_value_reads_exactly_as_the_yaml_reader_reads_it() {
    let yaml = parse_documents(POD, 0, &Limits::default(), &interesting_kind).unwrap();
    assert_eq!(documents(POD), yaml);
    // A byte-order mark and blank lines before the `{` change nothing.
    let padded = format!("\n \n{POD}");
    let yaml = parse_documents(&padded, 0, &Limits::default(), &interesting_kind).unwrap();
    assert_eq!(documents(&format!("\u{feff}{padded}")), yaml);
    assert_eq!(yaml[0].root.as_ref().unwrap().line, 3);
}

#[test]
fn concatenated_values_are_documents_at_their_lines_and_columns() {
    // One after another, on one line or one per line (as `jq -c` writes
    // them): a JSON stream, which YAML alone would refuse.
    let text = "{\"n\": \"one\"}{\"n\": \"two\"} {\"n\": \"three\"}\n  {\"n\":\n  \"four\"}\n";
    assert_eq!(
        roots(text),
        [
            (1, 1, "one".to_string()),
            (1, 13, "two".to_string()),
            (1, 26, "three".to_string()),
            (2, 3, "four".to_string()),
        ]
    );
    // Lines and columns inside a value that starts mid-line.
    let mut values = Vec::new();
    read_stream(
        "{\"n\": 1}{\"n\": [\"a\",\n \"b\"]}".as_bytes(),
        "f.json",
        &Limits::default(),
        |d| {
            if let Some(n) = d.document.root.as_ref().and_then(|r| r.get("n")) {
                values.extend(n.as_seq().unwrap_or(&[]).iter().map(|v| (v.line, v.column)));
            }
            Ok(())
        },
    );
    assert_eq!(values, [(1, 16), (2, 2)]);
}

#[test]
fn a_byte_order_mark_comes_before_the_sniffing() {
    assert_eq!(
        roots("\u{feff}{\"n\": \"a\"}\n{\"n\": \"b\"}\n"),
        [(1, 1, "a".to_string()), (2, 1, "b".to_string())]
    );
}

#[test]
fn a_first_value_that_is_not_json_is_read_as_yaml() {
    // kubectl 1.33+ (kubernetes/kubernetes#130666, which fixed #78946)
    // reads the stream as YAML when its first value is not JSON, so these
    // are applied, not refused: a trailing comma, single quotes, YAML's
    // flow style, a `//` that YAML takes as text.
    for text in [
        "{\n  \"n\": \"a\",\n}\n",
        "{'n': 'a'}",
        "{n: a}",
        "{\"n\": a // not a comment to YAML\n}",
    ] {
        let got = roots(text);
        assert_eq!(got.len(), 1, "{text:?}");
        assert_eq!((got[0].0, got[0].1), (1, 1), "{text:?}");
    }
    // So is what follows the first value when the second is not JSON.
    assert_eq!(
        roots("{\"n\": \"one\"}\n{n: two}\n"),
        [(1, 1, "one".to_string()), (2, 1, "two".to_string())]
    );
    assert_eq!(
        roots("{\"n\": \"one\"}   {n: two}"),
        [(1, 1, "one".to_string()), (1, 16, "two".to_string())]
    );
    assert_eq!(
        roots("{\"n\": \"one\"}\n---\nn: two\n"),
        [(1, 1, "one".to_string()), (3, 1, "two".to_string())]
    );
}

#[test]
fn after_two_values_the_stream_is_strict_json() {
    // Two values make a JSON stream for good: a third that is not JSON is
    // the stream's error, in serde_json's words at the mistake's place,
    // and reading stops there, as kubectl's does.
    let cases = [
        ("{\"n\": \"three\",}", 15, "trailing comma"),
        ("{'n': 'three'}", 2, "key must be a string"),
        ("{\"n\": \"three\" // c\n}", 15, "expected `,` or `}`"),
        ("{n: three}", 2, "key must be a string"),
    ];
    for (third, column, message) in cases {
        let text =
            format!("{{\"n\": \"one\"}}\n{{\"n\": \"two\"}}\n{third}\n{{\"n\": \"four\"}}\n");
        let (roots, errors) = read(&text);
        assert_eq!(roots.len(), 2, "{text:?}");
        assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
        let e = &errors[0];
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert_eq!((e.line, e.column), (3, column), "{text:?}");
        assert_eq!(e.message, format!("invalid JSON: {message}"));
        assert_eq!(
            e.to_string(),
            format!("f.json:3:{column}: invalid JSON: {message}")
        );
    }
    // The lines of a later chunk count from the chunk's first line.
    let e = only_error("{}\n{}\n---\nn: x\n");
    assert_eq!((e.line, e.column), (3, 2), "{e}");
    assert_eq!(e.message, "invalid JSON: invalid number");
}

#[test]
fn neither_json_nor_yaml_is_reported_by_the_reader_that_got_further() {
    // kubectl says the JSON error; here it is said when the JSON reader
    // got at least as far as the YAML one…
    let e = only_error("{\n  \"n\": \"a\"\n  \"m\": 1\n}\n");
    assert_eq!((e.line, e.column), (3, 3), "{e}");
    assert_eq!(e.message, "invalid JSON: expected `,` or `}`");
    let e = only_error("{\"n\": \"a\" // c\n}");
    assert_eq!(e.message, "invalid JSON: expected `,` or `}`", "{e}");
    // … and a flow-style YAML file is told its YAML mistake.
    let e = only_error("{n: a, m: [b,\n  c}\n");
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.starts_with("invalid YAML/JSON: "), "{e}");
}

#[test]
fn only_a_stream_starting_with_a_brace_is_json() {
    // YAML streams stay YAML: a later `{…}` document is YAML's to judge.
    assert_eq!(roots("n: a\n---\n{\"n\": \"b\",}\n").len(), 2);
    // A comment first makes the stream YAML, where two values are an error.
    let e = only_error("# c\n{\"n\": 1}{\"n\": 2}\n");
    assert!(e.message.starts_with("invalid YAML/JSON: "), "{e}");
    // So does a `[` (kubectl sniffs `{` only).
    let e = only_error("[1]\n[2]\n");
    assert!(e.message.starts_with("invalid YAML/JSON: "), "{e}");
}

#[test]
fn helm_templates_starting_with_braces_are_still_templates() {
    let e = only_error("{{- if .Values.x }}\napiVersion: v1\nkind: Pod\n{{- end }}\n");
    assert_eq!(e.kind, ErrorKind::Template, "{e}");
}

#[test]
fn nesting_meets_the_yaml_readers_limits_not_serde_jsons() {
    let nested = |depth: usize| {
        format!(
            "{{\"n\": \"deep\", \"x\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // Deeper than serde_json's recursion limit (128), within rootlock's.
    assert_eq!(roots(&nested(200)), [(1, 1, "deep".to_string())]);
    // The depth limit, at the bracket that passes it.
    let limits = Limits {
        max_depth: 64,
        ..Limits::default()
    };
    let (_, errors) = read_with(&nested(100), &limits);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    assert_eq!(
        errors[0].message,
        "input limit exceeded: nesting deeper than 64 levels"
    );
    assert_eq!((errors[0].line, errors[0].column), (1, 83));
    // However deep, the default limit at the bracket that passes it, and
    // without recursing. (JSON is not read by the YAML parser, whose own
    // bound of 255 a YAML file meets first.)
    for depth in [300, 100_000] {
        let e = only_error(&nested(depth));
        assert_eq!((e.line, e.column), (1, 19 + 256));
        assert_eq!(e.kind, ErrorKind::Limit);
        assert_eq!(
            e.message,
            "input limit exceeded: nesting deeper than 256 levels"
        );
    }
}

#[test]
fn the_size_limit_applies_before_any_parsing() {
    let big = format!("{{\"n\": \"{}\"}}{{\"n\": 1,}}", "x".repeat(5000));
    let limits = Limits {
        max_document_bytes: 1000,
        ..Limits::default()
    };
    let (roots, errors) = read_with(&big, &limits);
    assert!(roots.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    assert!(
        errors[0].message.contains("larger than 1000 bytes"),
        "{:?}",
        errors[0]
    );
    // A stream of small values, one per line (`jq -c`), larger than the
    // limit is read whole: it is cut between values.
    let lines: String = (0..200).map(|i| format!("{{\"n\": \"{i}\"}}\n")).collect();
    let (roots, errors) = read_with(&lines, &limits);
    assert!(errors.is_empty(), "{errors:?}");
    let want: Vec<(usize, usize, String)> = (0..200).map(|i| (i + 1, 1, i.to_string())).collect();
    assert_eq!(roots, want);
    // Values on one line cannot be cut apart: the message says so.
    let one_line: String = (0..200).map(|i| format!("{{\"n\": {i}}}")).collect();
    let (_, errors) = read_with(&one_line, &limits);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.starts_with(
            "a JSON value, or the values written on one line, is larger than 1000 bytes"
        ),
        "{:?}",
        errors[0]
    );
    // YAML keeps its own message.
    let yaml = format!("n: {}\n", "x".repeat(5000));
    let (_, errors) = read_with(&yaml, &limits);
    assert!(
        errors[0]
            .message
            .starts_with("document is larger than 1000 bytes"),
        "{:?}",
        errors[0]
    );
}

/// A chunk kubectl reads as YAML that is one JSON array (`kubectl get -o
/// json | jq .items`) is read by the JSON reader: the same tree, and what
/// only the JSON reader reads right (a surrogate pair) is read. Flow YAML
/// that is not JSON still goes to the YAML reader.
#[test]
fn a_yaml_chunk_that_is_one_json_collection_is_read_as_json() {
    let docs = documents("\n  [{\"n\": \"x\\ud83d\\ude00\"}]");
    let root = docs[0].root.as_ref().unwrap();
    assert_eq!((root.line, root.column), (2, 3));
    let item = root
        .as_seq()
        .and_then(|s| s[0].get("n"))
        .and_then(|n| n.as_scalar());
    assert_eq!(item.map(|s| s.text.as_str()), Some("x😀"));
    assert_eq!(roots("---\n{n: x}\n"), [(2, 1, "x".to_string())]);
    assert_eq!(roots("[{n: x}, 1]"), [(1, 1, String::new())]);
}
