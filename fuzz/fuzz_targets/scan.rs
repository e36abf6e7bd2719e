//! Reader + evaluator on arbitrary bytes: must never panic, hang or blow
//! up memory, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_manifest::{Limits, read_stream, workloads};
use rootlock_policy::{Level, LevelVersion, Version, evaluate};

fuzz_target!(|data: &[u8]| {
    // A tiny size limit: JSON streams are cut between values at half of it.
    let tiny = Limits { max_document_bytes: 512, max_depth: 64, max_nodes: 20_000 };
    let _ = read_stream(data, "fuzz", &tiny, |_| Ok(()));
    // Small limits so the fuzzer explores the limit paths too.
    let limits = Limits { max_document_bytes: 64 * 1024, max_depth: 64, max_nodes: 20_000 };
    let _ = read_stream(data, "fuzz", &limits, |doc| {
        let Some(root) = &doc.document.root else { return Ok(()) };
        let found = workloads(root).map_err(|e| e.into_input_error("fuzz"))?;
        for w in &found {
            // The controller's own annotations and its template's, as scan reads them.
            let ex = w.exemptions();
            for level in Level::ALL {
                for version in [Version::Minor(0), Version::Minor(24), Version::Latest] {
                    let e = evaluate(&w.pod, LevelVersion::new(level, version), Some(&ex));
                    let _ = e.message();
                    for f in &e.findings {
                        let _ = rootlock_manifest::line_of(root, &w.finding_path(f));
                    }
                }
            }
        }
        Ok(())
    });
});
