//! The flow-collection pre-scan on any text. It must never panic or loop;
//! its spans are in order, in bounds, start at a bracket and hold their
//! queued part; and wherever the YAML parser reads the text, they are the
//! parser's outermost flow collections in block context (see
//! `rootlock_manifest::flow_oracle`). The memory side — the parser never
//! holds a collection the pre-scan did not report — is checked by
//! `crates/manifest/tests/flow_spans.rs` with a counting allocator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_manifest::flow_oracle::compare;
use rootlock_manifest::flow_spans::FlowSpans;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut after = 0;
    for s in FlowSpans::new(text) {
        assert!(after <= s.range.start && s.range.end <= text.len(), "{s:?}");
        assert!(text[s.range.start..].starts_with(['[', '{']), "{s:?}");
        if let Some(q) = &s.queued {
            assert!(s.range.start <= q.start && q.end <= s.range.end, "{s:?}");
        }
        after = s.range.end;
    }
    if let Some(Err(e)) = compare(text) {
        panic!("{e}");
    }
});
