//! `--format json`: one document, `{"objects": […]}` per the contract, plus
//! `"errors"` so a consumer cannot miss an input that was not scanned.

use super::report::ObjectReport;
use rootlock_manifest::InputError;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct ErrorReport<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    field: Option<&'a str>,
    message: &'a str,
}

#[derive(Serialize)]
struct Output<'a> {
    objects: &'a [ObjectReport],
    errors: Vec<ErrorReport<'a>>,
}

pub fn write(objects: &[ObjectReport], errors: &[InputError]) -> std::io::Result<()> {
    for e in errors {
        eprintln!("error: {e}");
    }
    let out = Output {
        objects,
        errors: errors
            .iter()
            .map(|e| ErrorReport {
                file: &e.file,
                line: e.line,
                column: e.column,
                field: e.field.as_deref(),
                message: &e.message,
            })
            .collect(),
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::other)?;
    writeln!(stdout)?;
    stdout.flush()
}
