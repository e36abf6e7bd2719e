//! `rootlock logs` on arbitrary bytes: the streaming reader (line cap,
//! UTF-8 repair) → every recogniser (nginx, Go, Java, Node, MySQL, shell,
//! ...) → the plan. The recognisers slice lines by byte offsets; nothing
//! may panic, and every planned path is absolute.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_trace::logs::{plan_from_scan, scan_reader};

fuzz_target!(|data: &[u8]| {
    let scan = scan_reader(data).expect("reading a slice cannot fail");
    let plan = plan_from_scan(&scan, "fuzz");
    for p in &plan.paths {
        assert!(p.path.starts_with('/'), "planned a relative path: {:?}", p.path);
    }
});
