//! `rootlock scan`: static check of manifests against a level.

mod emit;
mod json;
mod list_roots;
mod report;
mod sarif;
mod snippet;
mod text;

use clap::Args;
use emit::{Emitter, Tally};
use list_roots::ListRoots;
use rayon::prelude::*;
use report::{FileReport, ObjectReport, ReportOptions, object_report};
use rootlock_manifest::files::{self, Input, PathError};
use rootlock_manifest::{ErrorKind, InputError, Limits, read_stream, workloads};
use rootlock_policy::LevelVersion;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

/// `rootlock scan [--level LEVEL[:VERSION]] [--format text|json|sarif] PATH…`
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Level to check: privileged, baseline, restricted or immutable
    /// (restricted + the read-only-root-filesystem rules), optionally with a
    /// policy version: `restricted:v1.30`. Versions parse like PSA's labels.
    #[arg(long, default_value = "immutable", value_name = "LEVEL[:VERSION]")]
    pub level: String,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "sarif"])]
    pub format: String,
    /// Ignore `exempt.rootlock.dev/*` annotations (strict mode for CI).
    #[arg(long)]
    pub no_annotation_exemptions: bool,
    /// Largest single document accepted, in bytes (suffixes Ki, Mi, Gi).
    #[arg(long, default_value = "16Mi", value_parser = rootlock_manifest::limits::parse_size)]
    pub max_document_size: usize,
    /// Color: auto (when stdout is a terminal and NO_COLOR is unset or empty), always, never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Files or directories (YAML/JSON, recursively); `-` reads stdin.
    // PathBuf, not String: a file name need not be UTF-8 on Linux.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,
    /// How the user runs rootlock (`rootlock`, or `kubectl rootlock` when
    /// installed as a kubectl plugin): the commands messages suggest must
    /// work as typed.
    #[arg(skip = String::from("rootlock"))]
    pub program: String,
}

/// Runs the command; returns the exit status (0 clean, 1 findings, 2 input
/// or usage error).
pub fn run(args: &ScanArgs) -> i32 {
    let level = match LevelVersion::parse(&args.level) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{} scan: --level {}: {e}", args.program, args.level);
            return 2;
        }
    };
    let limits = Limits {
        max_document_bytes: args.max_document_size,
        ..Limits::default()
    };
    let opts = ReportOptions {
        level,
        annotation_exemptions: !args.no_annotation_exemptions,
        snippets: args.format == "text",
    };
    // Inputs, and paths that cannot be read, in the order they were named:
    // errors are reported in input order, as objects are.
    let entries = files::expand_in_order(&args.paths);
    let mut errors: Vec<InputError> = Vec::new();
    let mut emitter: Box<dyn Emitter> = match args.format.as_str() {
        "json" => Box::new(json::Json::new(emit::stdout())),
        "sarif" => Box::new(sarif::Sarif::new(
            emit::stdout(),
            sarif::raw_names(&entries),
        )),
        _ => Box::new(text::Text::new(
            emit::stdout(),
            level,
            &args.color,
            &args.program,
        )),
    };
    let mut tally = Tally::default();
    let mut write_error: Option<std::io::Error> = None;
    let mut emit = |o: ObjectReport| {
        tally.see(&o);
        if write_error.is_none()
            && let Err(e) = emitter.object(&o)
        {
            write_error = Some(e);
        }
    };
    if entries.iter().filter(|e| e.is_ok()).count() <= 1 {
        // One input (a file, a directory of one file, or stdin): objects go
        // out as they are found, so memory stays flat however large it is.
        for entry in &entries {
            errors.extend(scan_entry(entry, &limits, &opts, &mut emit));
        }
    } else {
        errors.extend(scan_parallel(&entries, &limits, &opts, &mut emit));
    }
    let failed = tally.failed;
    let finished = match write_error {
        Some(e) => Err(e),
        None => emitter.finish(&errors),
    };
    if let Err(e) = finished {
        if !emit::is_broken_pipe(&e) {
            eprintln!("{} scan: cannot write output: {e}", args.program);
        }
        return 2;
    }
    if !errors.is_empty() {
        2
    } else if failed {
        1
    } else {
        0
    }
}

/// Scans files in parallel and hands their objects to `emit` in input
/// order as soon as every earlier file is done: at most the files in flight
/// are held in memory, never the whole input. Errors come back in input
/// order too, a path that could not be read among them where it was named.
fn scan_parallel(
    entries: &[Result<Input, PathError>],
    limits: &Limits,
    opts: &ReportOptions,
    emit: &mut dyn FnMut(ObjectReport),
) -> Vec<InputError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, FileReport)>(32);
    let mut errors = Vec::new();
    std::thread::scope(|s| {
        s.spawn(move || {
            entries
                .par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, entry)| {
                    let mut objects = Vec::new();
                    let errors = scan_entry(entry, limits, opts, &mut |o| objects.push(o));
                    // The receiver only goes away if the main thread panicked.
                    let _ = tx.send((i, FileReport { objects, errors }));
                });
        });
        let mut pending: BTreeMap<usize, FileReport> = BTreeMap::new();
        let mut next = 0;
        for (i, report) in rx {
            pending.insert(i, report);
            while let Some(r) = pending.remove(&next) {
                r.objects.into_iter().for_each(&mut *emit);
                errors.extend(r.errors);
                next += 1;
            }
        }
    });
    errors
}

/// Scans one input, or reports the path named that could not be read.
fn scan_entry(
    entry: &Result<Input, PathError>,
    limits: &Limits,
    opts: &ReportOptions,
    emit: &mut dyn FnMut(ObjectReport),
) -> Vec<InputError> {
    match entry {
        Ok(input) => scan_input(input, limits, opts, emit),
        Err(e) => vec![InputError {
            kind: ErrorKind::Io,
            file: e.name.clone(),
            line: 0,
            column: 0,
            field: None,
            message: e.why.clone(),
        }],
    }
}

fn scan_input(
    input: &Input,
    limits: &Limits,
    opts: &ReportOptions,
    emit: &mut dyn FnMut(ObjectReport),
) -> Vec<InputError> {
    let name = input.name();
    match input {
        Input::Stdin => scan_reader(
            BufReader::new(std::io::stdin().lock()),
            &name,
            false,
            limits,
            opts,
            emit,
        ),
        Input::File(path) | Input::Found(path) => match std::fs::File::open(path) {
            Ok(f) => scan_reader(
                BufReader::with_capacity(256 * 1024, f),
                &name,
                matches!(input, Input::Found(_)),
                limits,
                opts,
                emit,
            ),
            Err(e) => vec![InputError {
                kind: ErrorKind::Io,
                file: name,
                line: 0,
                column: 0,
                field: None,
                message: format!("cannot open: {e}"),
            }],
        },
    }
}

/// Scans one stream of documents, handing each object to `emit`.
/// `walked`: the stream is a file found in a directory (see `list_roots`).
pub fn scan_reader<R: BufRead>(
    reader: R,
    name: &str,
    walked: bool,
    limits: &Limits,
    opts: &ReportOptions,
    emit: &mut dyn FnMut(ObjectReport),
) -> Vec<InputError> {
    let mut list_roots = ListRoots::new(walked);
    let mut errors = read_stream(reader, name, limits, |doc| {
        list_roots.see(&doc.document);
        let Some(root) = &doc.document.root else {
            return Ok(());
        };
        let found = match workloads(root) {
            Ok(found) => found,
            Err(e) => return list_roots.hold(&doc.document, e.into_input_error(name)),
        };
        // Indexed once per document, however many workloads it holds.
        let lines = (opts.snippets && !found.is_empty())
            .then(|| snippet::SourceLines::new(doc.text, doc.first_line));
        for w in &found {
            emit(object_report(name, root, lines.as_ref(), w, opts));
        }
        Ok(())
    });
    list_roots.finish(&mut errors);
    errors
}
