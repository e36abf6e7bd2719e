//! `--format json`: one document, `{"objects": […], "errors": […]}`, written
//! object by object. `"errors"` comes last so a consumer cannot miss an input
//! that was not scanned.

use super::emit::{Emitter, JsonArray};
use super::report::ObjectReport;
use rootlock_manifest::InputError;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct ErrorReport<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    field: Option<&'a str>,
    message: &'a str,
}

pub struct Json<W: Write> {
    out: W,
    objects: JsonArray,
    started: bool,
}

impl<W: Write> Json<W> {
    pub fn new(out: W) -> Self {
        Json {
            out,
            objects: JsonArray::new(),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(b"{\"objects\": [")?;
        }
        Ok(())
    }
}

impl<W: Write> Emitter for Json<W> {
    fn object(&mut self, o: &ObjectReport) -> io::Result<()> {
        self.start()?;
        self.objects.push(&mut self.out, o)
    }

    fn finish(&mut self, errors: &[InputError]) -> io::Result<()> {
        super::emit::errors_to_stderr(errors);
        self.start()?;
        self.out.write_all(b"\n], \"errors\": ")?;
        let errors: Vec<ErrorReport> = errors
            .iter()
            .map(|e| ErrorReport {
                file: &e.file,
                line: e.line,
                column: e.column,
                field: e.field.as_deref(),
                message: &e.message,
            })
            .collect();
        serde_json::to_writer_pretty(&mut self.out, &errors).map_err(io::Error::other)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}
