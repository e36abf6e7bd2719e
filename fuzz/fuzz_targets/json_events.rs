//! The JSON reader against the YAML parser, on any text. It must never
//! panic; on a text the reader routes to it (one JSON array or object, by
//! serde_json) it must read to the end without error, and wherever the
//! YAML parser reads the same text, give exactly its events at exactly its
//! positions. (Where the YAML parser refuses valid JSON — surrogate pairs,
//! nesting past 255 — the JSON reader is the one that is right.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_manifest::json_events::JsonEvents;
use rootlock_manifest::json_stream::is_one_json_collection;
use saphyr_parser::Parser;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = JsonEvents::new(text).count();
    if !is_one_json_collection(text) {
        return;
    }
    let json: Vec<_> = JsonEvents::new(text)
        .map(|r| r.map(|(e, span)| (e, span.start)))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("valid JSON refused: {e}"));
    let Ok(yaml): Result<Vec<_>, _> = Parser::new_from_str(text)
        .map(|r| r.map(|(e, span)| (e, span.start)))
        .collect()
    else {
        return;
    };
    assert_eq!(json, yaml);
});
