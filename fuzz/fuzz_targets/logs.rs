//! `rootlock logs` on arbitrary bytes: the streaming reader (line cap,
//! UTF-8 repair) → every recogniser (nginx, Go, Java, Node, MySQL, shell,
//! ...) → the plan. The recognisers slice lines by byte offsets; nothing
//! may panic, and every planned path is absolute.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_trace::logs::{plan_from_scan, scan_reader};

fuzz_target!(|data: &[u8]| {
    // A slice cannot fail to read; but a log that starts with a UTF-16
    // byte-order mark and is not valid UTF-16 is an input error (`rootlock
    // logs` exits 2 naming it), not a crash.
    let scan = match scan_reader(data) {
        Ok(scan) => scan,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return,
        Err(e) => panic!("reading a slice failed: {e}"),
    };
    let plan = plan_from_scan(&scan, "fuzz");
    for p in &plan.paths {
        assert!(p.path.starts_with('/'), "planned a relative path: {:?}", p.path);
    }
});
