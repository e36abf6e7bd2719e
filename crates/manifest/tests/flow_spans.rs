//! The flow-collection lexer against the YAML parser it guards.
//!
//! * Exactness on real text: over every YAML and JSON file of the test
//!   data, each document the parser reads gives the same outermost flow
//!   collections, at the same bytes, as the parser's own events.
//! * No bypass: the lexer exists because the parser holds a whole flow
//!   collection's tokens in memory. A counting allocator measures that
//!   directly: wherever a long collection makes the parser's heap grow
//!   with its length, the lexer must report a span at least that long —
//!   for documents the parser rejects too, since the tokens were queued
//!   before the error. Checked over constructs that end or hide scalars
//!   (comments, tabs, blank lines, quotes, tags) and over generated
//!   documents.

use proptest::prelude::*;
use rootlock_manifest::chunk::Chunker;
use rootlock_manifest::flow_oracle::compare;
use rootlock_manifest::flow_spans::FlowSpans;
use saphyr_parser::Parser;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Counts this thread's live heap bytes and their peak, so tests running
/// in parallel do not see each other's allocations.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn track(grow: usize, shrink: usize) {
    // `try_with`: the thread's storage may already be gone at its exit.
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(grow).saturating_sub(shrink);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size(), 0);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(0, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size, layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The most heap the parser held above what was live before, over all its
/// events (each dropped at once, as the tree builder consumes them).
fn parser_peak(text: &str) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    for event in Parser::new_from_str(text) {
        if event.is_err() {
            break;
        }
    }
    PEAK.with(Cell::get) - base
}

fn data_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            data_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_document_of_the_test_data_has_the_parsers_flow_collections() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "testdata",
        "examples",
        "crates/fix/tests/cases",
        "fuzz/corpus",
    ] {
        data_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 4_000, "test data missing: {}", files.len());
    let (mut compared, mut collections) = (0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let text = text.trim_start_matches('\u{feff}');
        for chunk in Chunker::new(BufReader::new(text.as_bytes()), 64 << 20) {
            let Ok(chunk) = chunk else { break };
            let Some(outcome) = compare(&chunk.text) else {
                continue;
            };
            let found =
                outcome.unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), chunk.first_line));
            compared += 1;
            collections += found;
        }
    }
    assert!(compared > 5_000, "{compared} documents compared");
    eprintln!("{compared} documents, {collections} flow collections");
    assert!(
        collections > 1_000,
        "{collections} flow collections compared"
    );
}

/// A flow sequence of `n` bytes.
fn payload(n: usize) -> String {
    let mut s = String::from("[1");
    while s.len() + 3 < n {
        s.push_str(",1");
    }
    s.push(']');
    s
}

const PAYLOAD: usize = 64 * 1024;

/// Whether the parser queued the payload in `text` (its heap grew by more
/// than 20 bytes per byte of it: a queued collection took 168, a streamed
/// one less than 3), and whether the lexer reported it as queued.
fn queued_and_reported(text: &str) -> (bool, bool) {
    let queued = parser_peak(text) > 20 * PAYLOAD;
    let reported = FlowSpans::new(text).any(|s| s.queued.is_some_and(|q| q.len() >= PAYLOAD - 8));
    (queued, reported)
}

#[test]
fn the_lexer_reports_what_the_parser_queues() {
    let p = payload(PAYLOAD);
    // (text, the parser queues the payload, the lexer reports it)
    let cases = [
        // Where a key may start: a line's start, after `- `, `? `, and
        // within a collection after `[`, `{` or `,`.
        (format!("{p}: 1\n"), true, true),
        (format!("- {p}\n"), true, true),
        (format!("? {p}\n"), true, true),
        (format!("args: [x, {p}]\n"), true, true),
        (format!("a: {{b: 1, {p}: 2}}\n"), true, true),
        // After the `: ` of a key, or `---`, the parser holds nothing.
        (format!("a: {p}\n"), false, false),
        (format!("a: &x !!seq {p}\n"), false, false),
        (format!("--- !!seq &x {p}\n"), false, false),
        (format!("a: {{k: {p}}}\n"), false, false),
        // A scalar ended: by a comment line, or a block scalar by a line
        // indented less than its first.
        (format!("a: b\n  # c\n  {p}\n"), true, true),
        (format!("a: |\n    x\n  {p}\n"), true, true),
        // Inside a collection, what closes it early to a naive reader: a
        // tag holding a bracket, a comment, a quote after an adjacent `:`.
        (format!("a: [!<tag:x]> b, {p}]\n"), true, true),
        (format!("a: [x, #]\n {p}]\n"), true, true),
        (format!("a: {{\"k\":\"}}\", {p}: 1}}\n"), true, true),
        // Invalid documents the parser rejects before holding anything,
        // which the lexer reports anyway (its errors are on that side).
        (format!("a: b #c\n  {p}\n"), false, true),
        (format!("a: |\n      \n  {p}\n"), false, true),
        (format!("a: |\n\t\n  {p}\n"), false, true),
        (format!("a: [\"x\" \"],[\" , {p}]\n"), false, true),
        (format!("a: {{\"k\" #c\n:\"}}\", {p}: 1}}\n"), false, true),
        (format!("a: \"b\" {p}\n"), false, false),
        // A lone `\r` ends a line to the parser, as `\n` does: a scalar or
        // a comment ends there.
        (format!("- x\r- {p}\n"), true, true),
        (format!("a: [x, #c\r{p}]\n"), true, true),
        (format!("a: |\r  x\r{p}: 1\n"), true, true),
        // A byte order mark at a line's start ends any scalar, even one of
        // indentation 0, and a key may follow it.
        (format!("\u{feff}- {p}\n"), true, true),
        (format!("a: 1\n\u{feff}{p}: 2\n"), true, true),
        (format!("a\n\u{feff}{p}\n"), true, true),
        (format!("--- |\nx\n\u{feff}{p}\n"), true, true),
        // A document marker does not close a collection: the parser goes
        // on holding what follows.
        (format!("- [a,\n--- {p}]\n"), true, true),
        // A `:` on the line after a collection is not adjacent to it: a
        // plain scalar, so the collection may still be a key.
        (format!("a: {{[a]\n  :x {p}}}\n"), true, true),
        (format!("a: {{\"a\"\n  :x {p}}}\n"), false, false),
        // A block scalar's indentation indicator sets its indentation; a
        // line indented less ends it, whatever its first line was.
        (format!("a: |1\n  x\n \"\n{p}: 1\n \"\n"), true, true),
        (format!("--- >2-\n   x\n  \"\n{p}: 1\n\"\n"), true, true),
        // A scalar's further lines are those indented more than its parent
        // collection, wherever the scalar starts (at a key's tag or
        // anchor, first on its line); scanning one of them as tokens could
        // open a quote that hides the key after it. Text before a comment
        // is the scalar's too.
        (format!("a:\n    b\n  \"\n{p}: 1\n  \"\n"), true, true),
        (format!("    |\n \'\n{p}\n"), true, true),
        (format!("- &x a: b\n    \"\n{p}: 1\n\"\n"), true, true),
        (format!("a: b\n  \" #x\n{p}: 1\n\"\n"), true, true),
        // Scalar content.
        (format!("a: |\n  {p}\n"), false, false),
        (format!("a: >-\n  {p}\n  {p}\n"), false, false),
        (format!("a: |1\n  x\n {p}\n"), false, false),
        (format!("a: b\n  {p}\n"), false, false),
        (format!("a: x {p}\n"), false, false),
        (format!("a: '{p}'\n"), false, false),
        (format!("a: \"{p}\"\n"), false, false),
        (format!("# {p}\na: 1\n"), false, false),
        (format!("--- |\n{p}\n"), false, false),
    ];
    for (text, parser, lexer) in &cases {
        let head: String = text.chars().take(40).collect();
        assert_eq!(queued_and_reported(text), (*parser, *lexer), "{head:?}");
    }
}

#[test]
fn the_pre_scan_holds_no_memory_per_nesting_level() {
    // A million levels of `[`: the parser stops at 255; the pre-scan must
    // not keep a stack of them (16 MB here) to find the queued span.
    let n = 1 << 20;
    let text = format!("- {}{}\n", "[".repeat(n), "]".repeat(n));
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let spans: Vec<_> = FlowSpans::new(&text).collect();
    let peak = PEAK.with(Cell::get) - base;
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].queued, Some(2..2 + 2 * n));
    assert!(peak < 4096, "{peak} bytes");
}

/// One line or a few of YAML that may end, hide or interrupt a scalar.
fn fragment() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "a", "b c", "x]", "[y", "{z", "#", "'", "\"", ":", ": ", " #c", "-", "- ", "? ", "|", ">",
        "!t", "&a", "*a", "!<u]>", ",", "]", "}", "[", "{", "\t", "  ", "''", "\\\"", "%",
        // Line breaks and markers the parser knows, indentation indicators.
        "\r", "\u{feff}", "---", "...", "|1", ">-2",
    ]);
    let indent = prop::sample::select(vec!["", " ", "  ", "    ", "      ", "\t", "\u{feff}"]);
    (indent, prop::collection::vec(words, 0..6)).prop_map(|(i, w)| format!("{i}{}\n", w.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Wherever the payload lands among generated lines, the parser never
    /// queues it without the lexer reporting it.
    #[test]
    fn no_generated_document_hides_a_queued_collection(
        before in prop::collection::vec(fragment(), 0..6),
        lead in prop::sample::select(vec!["", "a: ", "- ", "  ", "x ", "\"q\" ", "[", "{k: ", "\r", "[a]\n  :x "]),
        after in prop::collection::vec(fragment(), 0..3),
    ) {
        let text = format!("{}{lead}{}\n{}", before.concat(), payload(PAYLOAD), after.concat());
        let (queued, reported) = queued_and_reported(&text);
        prop_assert!(!queued || reported, "queued but not reported: {:?}", text.replace(&payload(PAYLOAD), "<PAYLOAD>"));
    }
}
