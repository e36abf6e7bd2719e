//! Output sinks that write each object as soon as it is known, so memory
//! stays flat however large the input: objects are never all held at once.

use super::report::ObjectReport;
use rootlock_manifest::InputError;
use std::io::{self, Write};

/// Receives objects in output order, then the input errors, once.
pub trait Emitter {
    fn object(&mut self, o: &ObjectReport) -> io::Result<()>;
    fn finish(&mut self, errors: &[InputError]) -> io::Result<()>;
}

/// Counts what was emitted, for the exit status.
#[derive(Default)]
pub struct Tally {
    pub failed: bool,
}

impl Tally {
    pub fn see(&mut self, o: &ObjectReport) {
        self.failed |= o
            .findings
            .iter()
            .any(|f| f.severity == rootlock_policy::Severity::Error);
    }
}

/// The standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Writes `items` as a JSON array body (`,`-separated) incrementally.
pub struct JsonArray {
    first: bool,
}

impl JsonArray {
    pub fn new() -> Self {
        JsonArray { first: true }
    }

    pub fn push<W: Write, T: serde::Serialize>(&mut self, out: &mut W, item: &T) -> io::Result<()> {
        if !self.first {
            out.write_all(b",")?;
        }
        self.first = false;
        out.write_all(b"\n")?;
        serde_json::to_writer_pretty(&mut *out, item).map_err(io::Error::other)
    }
}
