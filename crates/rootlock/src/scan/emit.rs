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

/// Prints the input errors on stderr for the JSON and SARIF formats (whose
/// standard output is for programs), escaped as the text format escapes
/// them: a file name or a message quoting the input is not the terminal's
/// to obey (an escape sequence in a file name could retitle or clear it).
pub fn errors_to_stderr(errors: &[InputError]) {
    for e in errors {
        eprintln!(
            "error: {}",
            rootlock_policy::format::printable(&e.to_string())
        );
    }
}

/// The standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Whether a write failed because the reader went away (`scan … | head`):
/// not worth a message. JSON and SARIF write through serde_json, which
/// wraps the pipe error in its own, so the cause is looked at too.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<serde_json::Error>())
            .and_then(serde_json::Error::io_error_kind)
            == Some(io::ErrorKind::BrokenPipe)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_recognised_through_serde_json() {
        // What `JsonArray::push` and the SARIF writer return.
        let e = serde_json::to_writer_pretty(Closed, &"x")
            .map_err(io::Error::other)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other, "serde_json wraps it");
        assert!(is_broken_pipe(&e));
        assert!(is_broken_pipe(&io::ErrorKind::BrokenPipe.into()));
        assert!(!is_broken_pipe(&io::Error::other("disk full")));
    }
}
