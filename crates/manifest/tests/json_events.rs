//! The JSON reader emits exactly the YAML parser's events, at exactly its
//! positions, for every JSON text the YAML parser reads: the tree, its
//! lines and columns, and fix's edits cannot tell which one read a file.
//! Over every JSON file in the repository's test data (the recorded API
//! traffic among them) and over generated values, compact and pretty,
//! with LF and CRLF line ends.

use proptest::prelude::*;
use rootlock_manifest::json_events::JsonEvents;
use saphyr_parser::{Event, Parser, Span};
use std::path::{Path, PathBuf};

fn events<'a>(
    it: impl Iterator<Item = Result<(Event<'a>, Span), saphyr_parser::ScanError>>,
) -> Vec<(Event<'a>, saphyr_parser::Marker)> {
    it.map(|r| {
        let (e, span) = r.unwrap_or_else(|e| panic!("{e}"));
        (e, span.start)
    })
    .collect()
}

fn assert_same_events(text: &str, what: &str) {
    let yaml = events(Parser::new_from_str(text));
    let json = events(JsonEvents::new(text));
    for (i, (y, j)) in yaml.iter().zip(&json).enumerate() {
        assert_eq!(y, j, "{what}: event {i}");
    }
    assert_eq!(yaml.len(), json.len(), "{what}: number of events");
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_json_file_of_the_test_data_gives_the_yaml_parsers_events() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    json_files(&root.join("testdata"), &mut files);
    json_files(&root.join("crates/fix/tests/cases"), &mut files);
    assert!(files.len() >= 30, "test data missing: {}", files.len());
    let mut read = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        // One JSON value per text (a stream of several is split before).
        if serde_json::from_str::<serde_json::Value>(text).is_err() {
            continue;
        }
        assert_same_events(text, &path.display().to_string());
        read += 1;
    }
    assert!(read >= 30, "{read} files compared");
}

#[test]
fn characters_past_the_basic_plane_are_read_from_surrogate_pairs() {
    let got = events(JsonEvents::new(r#"{"a": "x\ud83d\ude00y\u00e9\n"}"#));
    assert!(
        matches!(&got[4].0, Event::Scalar(s, ..) if s == "x😀yé\n"),
        "{got:?}"
    );
    // A half pair is U+FFFD, as kubectl (Go's encoding/json) reads it, and
    // what follows it is kept; an unknown escape is an error.
    for (half, want) in [
        (r#"["\ud83d"]"#, "\u{fffd}"),
        (r#"["\ud83dx"]"#, "\u{fffd}x"),
        (r#"["\ud83d]\u0041"]"#, "\u{fffd}]A"),
        (r#"["\ude00\ud83d"]"#, "\u{fffd}\u{fffd}"),
        (r#"["\ud83d\u0041"]"#, "\u{fffd}A"),
    ] {
        let got = events(JsonEvents::new(half));
        assert!(
            matches!(&got[3].0, Event::Scalar(s, ..) if s == want),
            "{half}: {got:?}"
        );
    }
    let last = JsonEvents::new(r#"["\q"]"#).last().unwrap();
    assert!(last.is_err());
}

#[test]
fn a_long_array_is_streamed_to_its_end() {
    // The YAML parser queued every token of this array before its first
    // event; the JSON reader's state is its open brackets (memory and time
    // are measured by bench/fix.sh).
    let text = format!("[{}]", vec!["1"; 200_000].join(","));
    let mut it = JsonEvents::new(&text);
    let mut n = 0;
    for item in it.by_ref() {
        item.unwrap();
        n += 1;
    }
    // stream, document, sequence start/end, 200,000 scalars, document, stream.
    assert_eq!(n, 200_006);
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        // Letters, escapes JSON writes (quote, backslash, controls) and
        // characters of several UTF-8 lengths; not past U+FFFF, whose
        // escaped form the YAML parser refuses (see the test above).
        "[a-z\"\\\\/\\n\\t\u{1}é€ #:-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::vec(("[a-z:# é]{0,6}", inner), 0..6)
                .prop_map(|kv| { serde_json::Value::Object(kv.into_iter().collect()) }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn generated_values_give_the_yaml_parsers_events(v in json_value()) {
        let compact = serde_json::to_string(&v).unwrap();
        assert_same_events(&compact, &compact);
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_same_events(&pretty, &pretty);
        let crlf = format!("\r\n {}\r\n", pretty.replace('\n', "\r\n"));
        assert_same_events(&crlf, &crlf);
        let tabs = pretty.replace("  ", "\t");
        assert_same_events(&tabs, &tabs);
    }
}
