//! `rootlock logs`: recognise `Read-only file system` errors in container
//! logs and turn them into a volume plan.
//!
//! One module per runtime holds that runtime's patterns; each is a pure
//! function from one log line to the paths it names. Lines that no runtime
//! claims but that still say EROFS fall back to the absolute path nearest
//! before the words that say it (`generic_path`).
//!
//! Before that, a line is taken out of what carries it: kubectl's
//! `--prefix` (the container) and `--timestamps`, a CRI log file's record
//! head or a Docker json-file record (the partial records of both are
//! joined: `join`), a JSON line's strings, a logfmt record's values
//! (`logfmt`). A JSON or logfmt record whose texts name no path may name
//! it in a `path`, `file` or `dir` field beside its error (`json_path`).
//!
//! A line next to an error may say what it was about: a stack trace's
//! frames (Java's, .NET's and Ruby's below, Python's above), the name
//! unzip prints on the line above its error (`unzip`).

mod ansi;
mod cri;
mod dotnet;
mod erlang;
mod go;
mod image_content;
mod java;
mod join;
mod json_file;
mod json_line;
mod json_path;
mod logfmt;
mod mongodb;
mod mysql;
mod nginx;
mod node;
mod postgres;
mod prefix;
mod python;
mod quotearg;
mod redis;
mod rsync;
mod ruby;
mod sh;
mod timestamp;
mod unzip;
mod utf8_carry;

use crate::canonical::{normalized, parent};
use crate::made_up_names::made_up;
use crate::reduce::{Anchor, reduce, shared_mount_dir, unshareable_dirs};
use rootlock_policy::plan::VolumePlan;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the failed operation was, as far as the message tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Creating or writing a file: its directory must be writable.
    File,
    /// Creating this directory: it becomes the mount point.
    Mkdir,
    /// Removing an entry: its directory must be writable, and it existed.
    Remove,
    /// Renaming: both directories must be writable (image content moved).
    Rename,
    /// Changing mode, owner or times of an entry (file or directory).
    Attr,
    /// Changing mode or owner of a directory named as such.
    DirAttr,
    /// Writing somewhere in this directory.
    Dir,
}

/// What one line of a stack trace says about the error it belongs to.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// Its method did this operation: the error was that.
    Op(Op),
    /// Another frame.
    Other,
}

/// One path found in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    pub op: Op,
    pub runtime: &'static str,
    /// The container that logged it, from `kubectl logs --prefix`.
    pub container: Option<String>,
    /// For one end of a rename the line names both ends of: (from, to).
    /// rename(2) fails with EXDEV across mounts, so both directories must
    /// be in one volume.
    pub renamed: Option<(String, String)>,
}

/// A runtime's recogniser: the hits in one line (empty when not its format).
type Recogniser = fn(&str) -> Vec<(String, Op)>;

/// Most distinctive formats first: the first that claims a line wins.
const RUNTIMES: &[(&str, Recogniser)] = &[
    ("nginx", nginx::find),
    ("node", node::find),
    ("python", python::find),
    ("ruby", ruby::find),
    // Before `java`, which reads `IOException: ` too.
    ("dotnet", dotnet::find),
    ("java", java::find),
    ("postgres", postgres::find),
    ("redis", redis::find),
    ("mongodb", mongodb::find),
    ("erlang", erlang::find),
    ("mysql", mysql::find),
    // Before `sh`, which reads any `: Read-only file system`.
    ("rsync", rsync::find),
    ("go", go::find),
    ("sh", sh::find),
];

/// Does the line report a read-only file system at all?
///
/// Every mark holds a word `json_file::quiet` looks for (`read-only`,
/// `erofs`, `[errno 30]`, `no usable temporary directory`; and Node's
/// ENOENT of a mkdir, see [`mentions_refusal`]): a new mark without one
/// must be added there, or records saying it are skipped.
pub fn mentions_erofs(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    erofs_words_at(line, &l).is_some()
        || l.contains("no usable temporary directory")
        || erlang::has_atom(line)
        || line.contains(mongodb::MARK)
}

/// Does the line report a refusal a read-only file system may have
/// caused: EROFS in words ([`mentions_erofs`]), or Node's ENOENT of a
/// recursive mkdir ([`node::masked_mkdir`]).
pub fn mentions_refusal(line: &str) -> bool {
    mentions_erofs(line) || node::mentions_masked_mkdir(line)
}

/// The hits in one line.
pub fn recognise(line: &str) -> Vec<Hit> {
    if !mentions_erofs(line) {
        return hits_of(node::MASKED_MKDIR, node::masked_mkdir(line));
    }
    for (runtime, find) in RUNTIMES {
        let found = find(line);
        if !found.is_empty() {
            return hits_of(runtime, found);
        }
    }
    generic_path(line)
        .into_iter()
        .map(|p| Hit {
            path: p.to_string(),
            op: Op::File,
            runtime: "generic",
            container: None,
            renamed: None,
        })
        .collect()
}

/// The hits of what one recogniser found in one line.
fn hits_of(runtime: &'static str, found: Vec<(String, Op)>) -> Vec<Hit> {
    // Every recogniser names a rename's two ends in this order.
    let renamed = match found.as_slice() {
        [(from, Op::Rename), (to, Op::Rename)] => Some((from.clone(), to.clone())),
        _ => None,
    };
    found
        .into_iter()
        .map(|(path, op)| Hit {
            path,
            op,
            runtime,
            container: None,
            renamed: renamed.clone(),
        })
        .collect()
}

/// The path a line no runtime claims is about: the absolute path nearest
/// before the words that say EROFS (`could not write /srv/x (Read-only
/// file system)`, as `sh` reads `cannot create /x: …`), else the first
/// after them (Apache's `(30)Read-only file system: … could not open
/// error log file /x.`). A log prefix may name a path before it (a
/// script's, a source file's): the nearest is the one the error is about.
/// Source locations are where the error was raised, not what was written,
/// and are never taken (see [`is_source_location`]).
fn generic_path(line: &str) -> Option<&str> {
    let mut quoted = QuotedNames::new(line);
    let paths: Vec<(usize, &str)> = abs_paths_at(line)
        .into_iter()
        .map(|(at, p)| (at, quoted.whole(at).unwrap_or(p)))
        .filter(|&(at, p)| !is_source_location(p, &line[at + p.len()..]))
        .collect();
    let before = erofs_at(line).and_then(|e| paths.iter().rev().find(|(at, _)| *at < e));
    before.or(paths.first()).map(|&(_, p)| p)
}

/// Quote pairs a name may be written in.
const QUOTES: [(char, char); 5] = [('"', '"'), ('\'', '\''), ('`', '`'), ('‘', '’'), ('“', '”')];

/// Whole quoted names in a line, for paths asked in increasing order. A
/// quoted name may hold spaces where an unquoted one ends: logfmt quotes
/// a value with a space (`file="/var/lib/my app/x.db"`), programs `%q`
/// their paths (`open "/var/lib/my app/x.db": read-only file system`).
/// Cut at the space, the name read was `/var/lib/my`, and the volume
/// planned `/var/lib`, over the image's whole `/var/lib`.
struct QuotedNames<'a> {
    line: &'a str,
    /// Each closing quote's places, read once (a search from every path
    /// to its closing quote would be quadratic in a hostile line of
    /// quotes that never close).
    closing: [std::iter::Peekable<std::str::MatchIndices<'a, char>>; 5],
}

impl<'a> QuotedNames<'a> {
    fn new(line: &'a str) -> Self {
        QuotedNames {
            line,
            closing: QUOTES.map(|(_, close)| line.match_indices(close).peekable()),
        }
    }

    /// The whole name a path at `at` starts, when a quote opens right
    /// before it and closes later in the line; `None` when it does not
    /// close, or encloses a message rather than a name (`": "`, another
    /// quote, the words that say EROFS). `at` must not decrease from one
    /// call to the next.
    fn whole(&mut self, at: usize) -> Option<&'a str> {
        let open = self.line[..at].chars().next_back()?;
        let kind = QUOTES.iter().position(|&(o, _)| o == open)?;
        let closing = &mut self.closing[kind];
        let end = loop {
            match closing.peek() {
                Some(&(i, _)) if i < at => {
                    closing.next();
                }
                Some(&(i, _)) => break i,
                None => return None,
            }
        };
        let name = &self.line[at..end];
        let message = name.contains(": ")
            || name.contains(['"', '\'', '`', '‘', '’', '“', '”'])
            || mentions_erofs(name);
        (!message).then_some(name)
    }
}

/// Where `line` first says EROFS in words [`mentions_erofs`] reads
/// (`read-only file system` in any case, `EROFS`, `[Errno 30]`); `None`
/// when only a runtime's own mark says it.
fn erofs_at(line: &str) -> Option<usize> {
    erofs_words_at(line, &line.to_ascii_lowercase())
}

/// [`erofs_at`] given `line`'s ASCII lower-case copy `l` (which keeps
/// every byte where it was).
fn erofs_words_at(line: &str, l: &str) -> Option<usize> {
    [
        l.find("read-only file system"),
        line.find("EROFS"),
        l.find("[errno 30]"),
    ]
    .into_iter()
    .flatten()
    .min()
}

/// A path that is a source location, given what follows it: with a line
/// number (`/app/worker.py:88`, `/app/x.js:3:14`), or followed by one
/// (PHP's `in /var/www/x.php on line 3`, Python's `"/app/x.py", line 3`).
fn is_source_location(path: &str, after: &str) -> bool {
    let mut tail = path.rsplit(':');
    let numbered =
        |s: Option<&str>| s.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if numbered(tail.next()) && path.contains(':') {
        return true;
    }
    let after = after.strip_prefix(['"', '\'']).unwrap_or(after);
    [" on line ", ", line "].iter().any(|m| {
        after
            .strip_prefix(m)
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// An EROFS line that names no path.
#[derive(Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// Its 1-based line number.
    pub line: usize,
    /// The container that logged it, from `kubectl logs --prefix`.
    pub container: Option<String>,
    /// Its start, trimmed.
    pub text: String,
}

/// What makes a hit distinct: its path, operation, format, container and
/// the rename it is an end of.
type HitKey = (
    String,
    Op,
    &'static str,
    Option<String>,
    Option<(String, String)>,
);

/// What a log scan found.
///
/// A crash-looping or retrying program logs the same error over and over:
/// a hit already seen (same path, operation and format) is counted, not
/// kept, so memory grows with the distinct paths, not with the log.
#[derive(Debug, Default)]
pub struct Scan {
    /// (1-based line number of its first occurrence, hit).
    pub hits: Vec<(usize, Hit)>,
    /// Hits that repeated one already in `hits`.
    pub repeated: usize,
    seen: HashSet<HitKey>,
    /// Hits of paths not kept, past [`MAX_DISTINCT`] distinct ones (their
    /// repeats included: they are not remembered).
    pub over_limit: usize,
    /// The first line with such a hit.
    pub first_over_limit: Option<usize>,
    /// [`MAX_DISTINCT`] unless a test sets it lower.
    max_distinct: Option<usize>,
    /// Bytes of the paths and container names of `hits`.
    kept_bytes: usize,
    /// Some hit was not kept because of [`MAX_DISTINCT_BYTES`].
    over_bytes: bool,
    /// EROFS lines that name no path: the first [`MAX_UNRESOLVED`]
    /// distinct ones.
    pub unresolved: Vec<Unresolved>,
    /// Further such lines, not kept.
    pub unresolved_more: usize,
    /// Lines longer than [`MAX_LINE`], only their start was read.
    pub truncated: usize,
    /// The first of them (1-based), for the warning.
    pub first_truncated: Option<usize>,
    /// Messages joined from partial records (CRI `P`, Docker json-file
    /// records without a trailing newline) longer than
    /// [`MAX_LINE`], only their start was read.
    pub joined_cut: usize,
    /// The line where the first of them started.
    pub first_joined_cut: Option<usize>,
    /// Messages of partial records, until their last record.
    joiner: join::Joiner,
    /// The hits whose stack traces, below them, are still being read: one
    /// a stream at most (see [`OpenTrace::stream`]), at most
    /// [`MAX_OPEN_TRACES`].
    open_traces: Vec<OpenTrace>,
    /// The stream of the line being read: its `kubectl logs --prefix`
    /// source (`[pod/NAME/CONTAINER] `), hashed; `None` without one.
    stream: Option<u64>,
    /// The containers and streams whose last traceback line was a frame
    /// doing an operation, and the operation (see [`python::frame_op`]):
    /// one a stream, as two pods' tracebacks may be in flight at once; at
    /// most [`MAX_OPEN_TRACES`], the oldest dropped past that.
    python_ops: Vec<(Option<String>, Option<u64>, Op)>,
    /// The first line of unzip's two-line error last read.
    unzip_lead: Option<UnzipLead>,
    /// A character cut between two CRI records (see [`utf8_carry`]).
    carry: utf8_carry::Carry,
}

/// The first line of one of unzip's two-line errors (see [`unzip`]),
/// waiting for the second.
#[derive(Debug)]
struct UnzipLead {
    /// Its line number: the evidence names the line that names the entry.
    line: usize,
    container: Option<String>,
    /// Its stream ([`Scan::stream`]): another pod's line between the two
    /// does not drop it.
    stream: Option<u64>,
    name: String,
    op: Op,
}

/// A hit whose stack trace, in the lines right below it, may show what
/// the operation was where the message does not say (see
/// [`Scan::trace_frame`]): Java's `FileSystemException` may be a
/// `createDirectory`, .NET's `IOException` any call, Ruby's `apply2files`
/// a chmod as well as an unlink.
#[derive(Debug)]
struct OpenTrace {
    /// Its index in [`Scan::hits`].
    hit: usize,
    container: Option<String>,
    /// The pod and container that logged it ([`Scan::stream`]): two
    /// replicas' containers have one name, and read together (`kubectl
    /// logs -l app=x --prefix -f`) their traces interleave, so a trace
    /// is read on beside another's, each in its own lines.
    stream: Option<u64>,
    /// Its runtime's reader of one line of the trace.
    read: FrameReader,
    /// Frames read so far.
    frames: usize,
    /// At most this many of its lines are read: the last unless it says
    /// the operation.
    max_frames: usize,
}

/// A runtime's reader of one line of a stack trace: `None` when the line
/// is none of its frames.
type FrameReader = fn(&str) -> Option<Frame>;

/// How far back [`Scan::recent_hit`] looks: an `AggregateException`
/// lists all of its inner exceptions' messages before it prints the
/// first.
const RECENT_HITS: usize = 16;

/// Most stack traces read at once: a trace ends within a few lines of its
/// own stream, so more are only streams that stopped mid-trace; past this
/// the oldest is dropped.
const MAX_OPEN_TRACES: usize = 64;

/// `UnixFileSystemProvider.createDirectory` is the fourth frame (below
/// three of `UnixException`'s); a few more are read, no further.
const MAX_JAVA_FRAMES: usize = 6;

impl Scan {
    /// Adds one line (1-based number `n`).
    fn line(&mut self, n: usize, line: &str) {
        let (container, rest) = prefix::split(line);
        let source = container.map(|_| &line[..line.len() - rest.len()]);
        self.stream = stream_key(source, None);
        let line = rest;
        if self.skips(line) {
            return;
        }
        if let Some(record) = cri::record(line).or_else(|| json_file::record(line)) {
            // The messages this record ends are all of its stream.
            self.stream = stream_key(source, Some(record.stream));
            let ended =
                self.joiner
                    .push(n, container, record.stream, &record.message, record.partial);
            for message in ended.into_iter().flatten() {
                self.message(message);
            }
            return;
        }
        self.body(n, container, timestamp::strip(line));
    }

    /// Most json-file records: read, they would find nothing. But a line
    /// next to an error may say what the error was about: a stack trace's
    /// frames, below a Java error or above a Python one, and the name
    /// above unzip's error. Those are read, and every record while one
    /// waits for its error, which a line between them cancels.
    fn skips(&self, line: &str) -> bool {
        self.open_traces.is_empty()
            && self.python_ops.is_empty()
            && self.unzip_lead.is_none()
            && json_file::quiet(line).is_some_and(|stream| self.joiner.idle(stream))
            && json_file::raw_log(line)
                .is_some_and(|log| !python::may_say_op(log) && !unzip::may_lead(log))
    }

    /// Adds a whole message of a runtime's log records.
    fn message(&mut self, m: join::Message<'_>) {
        if m.cut {
            self.joined_cut += 1;
            // Messages end out of line order (the other stream's go on).
            self.first_joined_cut = Some(self.first_joined_cut.map_or(m.line, |f| f.min(m.line)));
        }
        // A json-file `log` is one line; a hostile one may hold more.
        for text in m.text.lines() {
            let text = text.strip_suffix('\r').unwrap_or(text);
            self.body(m.line, m.container.as_deref(), text);
        }
    }

    /// Adds what the program logged at line `n`.
    fn body(&mut self, n: usize, container: Option<&str>, line: &str) {
        // Colour codes may sit inside the words (`\x1b[1mRead-only\x1b[0m`).
        let line = ansi::strip(line);
        // JSON escapes do not touch the words that say EROFS: a line
        // without them has nothing to decode (and most lines are such),
        // but may be a frame of a stack trace.
        if !mentions_refusal(&line) {
            self.trace_frame(container, &line);
            self.python_frame(container, &line);
            self.unzip_lead(n, container, &line);
            return;
        }
        if self.unzip_error(container, &line) {
            return;
        }
        // Progress drawn with `\r` (curl, pip, tqdm) goes before or after
        // an error on the same line: the terminal showed each piece over
        // the one before, and read as one line, progress words before
        // Go's `mkdir /x: …` hid it from its recogniser.
        for piece in line.split('\r') {
            if mentions_refusal(piece) {
                self.record(n, container, piece);
            }
        }
    }

    /// Adds what one line (or one `\r` piece of it) says.
    fn record(&mut self, n: usize, container: Option<&str>, line: &str) {
        // The strings of one JSON record are one error: pino's `code`
        // is `EROFS` alone beside a `message` that names the path, and is
        // no error of its own to warn about (a plain line is one text).
        let texts = json_line::texts(line);
        let mut nameless = Vec::new();
        let mut named = false;
        for text in &texts {
            if nginx::is_skipped_edit(text) {
                continue;
            }
            // A JSON string's stack trace: its frames are lines too (the
            // error's below it, the Python traceback's above).
            self.trace_frame(container, text);
            if self.text(n, container, text) {
                named = true;
            } else {
                nameless.push(text);
            }
            self.python_frame(container, text);
        }
        // The message may name no path where a field of the record does.
        if !named {
            for record in json_line::records(line) {
                let found = json_path::find(&record);
                if !found.is_empty() {
                    self.add(n, container, hits_of("json path", found));
                    named = true;
                }
            }
        }
        if named {
            return;
        }
        match logfmt::record(line) {
            // Its message may name the path that neither its error nor a
            // field does (`msg="cannot write /srv/x" err="read-only file
            // system"`): read whole, as a line no runtime claims, unless
            // it is a request's (whose `path` is a URL's). Else quoted
            // whole: a logfmt record is a line people read, clearer than
            // its `err` value alone.
            Some(fields) => {
                if json_path::is_request(&fields) || !self.text(n, container, line) {
                    self.names_no_path(n, container, line);
                }
            }
            // A JSON record's message may name it likewise: its fields
            // read as one such line.
            None => {
                let read = json_line::records(line)
                    .iter()
                    .filter_map(json_path::as_line)
                    .any(|fields| self.text(n, container, &fields));
                if !read {
                    for text in nameless {
                        self.names_no_path(n, container, text);
                    }
                }
            }
        }
    }

    /// Reads the messages still open at the end of the input as they are.
    fn finish(&mut self) {
        for message in self.joiner.finish() {
            self.message(message);
        }
    }

    /// Records a text of line `n` that names no path as such an EROFS
    /// error, when it says EROFS at all.
    fn names_no_path(&mut self, n: usize, container: Option<&str>, line: &str) {
        let line: &str = &ansi::strip(line);
        if !mentions_erofs(line) || node::is_code_line(line) {
            return;
        }
        let text: String = line.trim().chars().take(200).collect();
        if self.unresolved.len() < MAX_UNRESOLVED
            && !self
                .unresolved
                .iter()
                .any(|u| u.text == text && u.container.as_deref() == container)
        {
            self.unresolved.push(Unresolved {
                line: n,
                container: container.map(String::from),
                text,
            });
        } else {
            self.unresolved_more += 1;
        }
    }

    /// Adds the hits of one text of line `n`: the line itself, or a
    /// decoded string of a JSON line. False when it names no path.
    fn text(&mut self, n: usize, container: Option<&str>, line: &str) -> bool {
        // A JSON string may carry them escaped (`\u001b[31m`).
        let line: &str = &ansi::strip(line);
        let mut hits = recognise(line);
        if hits.is_empty() {
            return false;
        }
        if let Some(op) = self.python_frame_op(container)
            && let [hit] = hits.as_mut_slice()
            && hit.runtime == "python"
            && hit.op == Op::File
        {
            hit.op = op;
        }
        let trace = match hits.as_slice() {
            [h] => trace_below(h, line).map(|t| (t, h.path.clone(), h.op, h.runtime)),
            _ => None,
        };
        let kept = self.hits.len();
        self.add(n, container, hits);
        if let Some(((read, max_frames), path, op, runtime)) = trace
            && let Some(hit) = if self.hits.len() > kept {
                Some(kept)
            } else {
                self.recent_hit(container, &path, op, runtime)
            }
        {
            let stream = self.stream;
            self.open_traces
                .retain(|o| !(o.container.as_deref() == container && o.stream == stream));
            if self.open_traces.len() == MAX_OPEN_TRACES {
                self.open_traces.remove(0);
            }
            self.open_traces.push(OpenTrace {
                hit,
                container: container.map(String::from),
                stream,
                read,
                frames: 0,
                max_frames,
            });
        }
        true
    }

    /// Where the error just read (`path`, as `op`, by `runtime`) was kept, when it
    /// repeats one of the last [`RECENT_HITS`] hits: its stack trace below
    /// is read for that hit. That is how an exception's cause gets its
    /// frames: .NET's `AggregateException` repeats each inner exception's
    /// message in its own (`One or more errors occurred. (Read-only file
    /// system : '/app/keys')`), then prints each below it (` --->
    /// System.IO.IOException: Read-only file system : '/app/keys'`) with
    /// the frames that say the operation (`FileSystem.CreateDirectory`),
    /// and Java prints a `Caused by:` below the wrapper's frames. And an
    /// error logged first without its trace gets the operation of a later
    /// one's.
    fn recent_hit(
        &self,
        container: Option<&str>,
        path: &str,
        op: Op,
        runtime: &str,
    ) -> Option<usize> {
        let from = self.hits.len().saturating_sub(RECENT_HITS);
        let recent = self.hits.get(from..)?;
        recent
            .iter()
            .rposition(|(_, h)| {
                h.path == path
                    && h.op == op
                    && h.runtime == runtime
                    && h.container.as_deref() == container
            })
            .map(|i| from + i)
    }

    /// Reads `line` (number `n`) of `container` as the first line of one
    /// of unzip's two-line errors; any other line of the container drops
    /// the one before.
    fn unzip_lead(&mut self, n: usize, container: Option<&str>, line: &str) {
        if let Some((name, op)) = unzip::lead(line) {
            self.unzip_lead = Some(UnzipLead {
                line: n,
                container: container.map(String::from),
                stream: self.stream,
                name,
                op,
            });
        } else if self
            .unzip_lead
            .as_ref()
            .is_some_and(|l| l.container.as_deref() == container && l.stream == self.stream)
        {
            self.unzip_lead = None;
        }
    }

    /// Reads an EROFS `line` of `container` as the second line of one of
    /// unzip's errors: true when it was, and its hit is added.
    fn unzip_error(&mut self, container: Option<&str>, line: &str) -> bool {
        let stream = self.stream;
        let Some(lead) = self
            .unzip_lead
            .take_if(|l| l.container.as_deref() == container && l.stream == stream)
        else {
            return false;
        };
        if !unzip::is_error(line) {
            return false;
        }
        let hits = hits_of("unzip", vec![(lead.name, lead.op)]);
        self.add(lead.line, container, hits);
        true
    }

    /// Reads `line` of `container` as a Python traceback's line: the
    /// operation of the frame right above an error, if it says one.
    fn python_frame(&mut self, container: Option<&str>, line: &str) {
        let Some(said) = python::frame_op(line) else {
            return;
        };
        let stream = self.stream;
        // This stream's frame before is replaced, or ended by a line that
        // says nothing.
        self.python_ops
            .retain(|(c, s, _)| !(c.as_deref() == container && *s == stream));
        if let Some(op) = said {
            if self.python_ops.len() == MAX_OPEN_TRACES {
                self.python_ops.remove(0);
            }
            self.python_ops
                .push((container.map(String::from), stream, op));
        }
    }

    /// The operation the last traceback line of `container` (in the line's
    /// stream) did, if any.
    fn python_frame_op(&self, container: Option<&str>) -> Option<Op> {
        self.python_ops
            .iter()
            .find(|(c, stream, _)| c.as_deref() == container && *stream == self.stream)
            .map(|&(_, _, op)| op)
    }

    /// Reads `line` as a frame of the stack trace open in its stream, if
    /// any: the first frame that says an operation makes the hit that (a
    /// `createDirectory` frame a mkdir). The trace ends there, at a line
    /// of the same stream that is no frame, or past its runtime's number
    /// of frames.
    fn trace_frame(&mut self, container: Option<&str>, line: &str) {
        let stream = self.stream;
        let Some(i) = self
            .open_traces
            .iter()
            .position(|o| o.container.as_deref() == container && o.stream == stream)
        else {
            return;
        };
        let open = &mut self.open_traces[i];
        match (open.read)(line) {
            Some(Frame::Op(op)) => {
                let hit = open.hit;
                self.open_traces.remove(i);
                self.set_op(hit, op);
            }
            Some(Frame::Other) if open.frames + 1 < open.max_frames => open.frames += 1,
            _ => {
                self.open_traces.remove(i);
            }
        }
    }

    /// Hit `i` was, as its stack trace shows, `op`. When that is already
    /// kept, `i` is a repeat of it.
    fn set_op(&mut self, i: usize, op: Op) {
        let Some((_, hit)) = self.hits.get_mut(i) else {
            return;
        };
        if hit.op == op {
            return;
        }
        let was = hit_key(hit);
        hit.op = op;
        let is = hit_key(hit);
        self.seen.remove(&was);
        if self.seen.contains(&is) {
            self.kept_bytes -= key_size(&is);
            self.hits.remove(i);
            self.repeated += 1;
            // The hits after it moved down one.
            for o in &mut self.open_traces {
                if o.hit > i {
                    o.hit -= 1;
                }
            }
        } else {
            self.seen.insert(is);
        }
    }

    /// Adds the hits of line `n`: each new one is kept, a repeat counted.
    fn add(&mut self, n: usize, container: Option<&str>, hits: Vec<Hit>) {
        for h in hits {
            let key = (
                h.path,
                h.op,
                h.runtime,
                container.map(String::from),
                h.renamed,
            );
            // Each is held twice (in `seen` and `hits`), and copied a few
            // times more into the plan.
            let size = key_size(&key);
            let over_bytes = self.kept_bytes + size > MAX_DISTINCT_BYTES;
            if self.seen.contains(&key) {
                self.repeated += 1;
            } else if self.seen.len() >= self.max_distinct.unwrap_or(MAX_DISTINCT) || over_bytes {
                self.over_limit += 1;
                self.over_bytes |= over_bytes;
                self.first_over_limit.get_or_insert(n);
            } else {
                self.kept_bytes += size;
                let (path, op, runtime, container, renamed) = key.clone();
                self.seen.insert(key);
                self.hits.push((
                    n,
                    Hit {
                        path,
                        op,
                        runtime,
                        container,
                        renamed,
                    },
                ));
            }
        }
    }
}

/// The reader of the stack trace below `hit`, found in `line`, and the
/// frames it reads at most, when its frames may say what the message does
/// not: a Java `FileSystemException` read as a file's, a .NET
/// `IOException` whose line shows no frame that says it, a Ruby
/// `apply2files` whose line shows no location.
fn trace_below(hit: &Hit, line: &str) -> Option<(FrameReader, usize)> {
    match hit.runtime {
        "java" if hit.op == Op::File && java::may_be_directory(line) => {
            Some((java::frame, MAX_JAVA_FRAMES))
        }
        "dotnet" if hit.op == Op::File => Some((dotnet::frame, dotnet::MAX_FRAMES)),
        // The function's own frame is the first: the next line, or the
        // one after Rails' line of spaces (see `ruby::frame`).
        "ruby" if ruby::awaits_frame(line) => Some((ruby::frame, 2)),
        _ => None,
    }
}

/// The stream a line is of ([`Scan::stream`]): its `--prefix` source
/// (pod and container) and, in a runtime's log file, its record's stdout
/// or stderr. A .NET or Java exception goes to stderr whole, while the
/// application's stdout lines interleave with it in a CRI or json-file
/// log: read as one stream, the first stdout line ended the trace.
/// `None` for a plain line without a prefix.
fn stream_key(source: Option<&str>, record: Option<join::Stream>) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let Some(source) = source else {
        // Most records of a runtime's file: no hashing per record.
        return record.map(|s| s as u64);
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    record.map(|s| s as u8).hash(&mut h);
    Some(h.finish())
}

/// What makes `hit` distinct (see [`HitKey`]).
fn hit_key(hit: &Hit) -> HitKey {
    (
        hit.path.clone(),
        hit.op,
        hit.runtime,
        hit.container.clone(),
        hit.renamed.clone(),
    )
}

/// The bytes a kept hit's key holds (see [`MAX_DISTINCT_BYTES`]).
fn key_size(key: &HitKey) -> usize {
    key.0.len()
        + key.3.as_ref().map_or(0, String::len)
        + key.4.as_ref().map_or(0, |(a, b)| a.len() + b.len())
}

/// Scans a whole log.
pub fn scan(text: &str) -> Scan {
    let mut scan = Scan::default();
    for (i, line) in text.lines().enumerate() {
        scan.line(i + 1, line);
    }
    scan.finish();
    scan
}

/// At most this many distinct hits are kept. A program's log names a few
/// hundred paths at most; without a bound, a log of distinct paths (a
/// hostile container writes its own log) would cost the reader about 1 KB
/// of memory per path, 20 times the log's size.
pub const MAX_DISTINCT: usize = 100_000;

/// At most this many bytes of distinct hits' paths (and container names)
/// are kept. [`MAX_DISTINCT`] alone bounds their number, not their size: a
/// log line holds a path of up to [`MAX_LINE`] bytes, and a log (or an
/// endless `kubectl logs -f`) of distinct such paths held 7.5 times its
/// own size in memory (900 MB for 120 MB), up to tens of GB before the
/// count bound. A program's few hundred paths are a few dozen KiB.
pub const MAX_DISTINCT_BYTES: usize = 16 << 20;

/// At most this many EROFS lines that name no path are quoted in warnings.
pub const MAX_UNRESOLVED: usize = 50;

/// At most this much of one line is read. A log line is a few hundred
/// bytes; without a cap, input with no newline (`/dev/zero`, a binary file,
/// `kubectl logs -f` of a program printing progress with `\r`) would be held
/// in memory whole.
pub const MAX_LINE: usize = 64 * 1024;

/// Scans a log as it is read, holding at most [`MAX_LINE`] bytes of it: the
/// rest of a longer line is read and dropped (and counted).
///
/// A log that starts with a UTF-16 byte-order mark (Windows PowerShell 5
/// writes `kubectl logs … > pod.log` so; kubectl and `scan` read such
/// files) is decoded as it streams in: read as UTF-8, a NUL beside every
/// character hid every error.
pub fn scan_reader(mut input: impl std::io::BufRead) -> std::io::Result<Scan> {
    let start = loop {
        match input.fill_buf() {
            Ok(start) => break start,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    // Only a whole mark: a stray 0xFE or 0xFF is read (as U+FFFD) like any
    // other byte that is not UTF-8. A pipe giving the first byte alone is
    // left to the decoder, which waits for the second.
    if matches!(start, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [0xFF] | [0xFE]) {
        return scan_utf8_reader(rootlock_manifest::utf16::decode(input)?);
    }
    scan_utf8_reader(input)
}

/// [`scan_reader`] of a log in UTF-8 (or in no encoding at all).
fn scan_utf8_reader(mut input: impl std::io::BufRead) -> std::io::Result<Scan> {
    let mut scan = Scan::default();
    let mut lines = crate::bounded_lines::BoundedLines::new(MAX_LINE);
    let mut n = 0;
    let mut each = |line: &[u8], cut: bool| {
        n += 1;
        finish_line(&mut scan, n, line, cut);
    };
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            // EOF: a last line without a newline still counts.
            lines.finish(&mut each);
            scan.finish();
            return Ok(scan);
        }
        let used = chunk.len();
        lines.feed(chunk, &mut each);
        input.consume(used);
    }
}

/// Scans one line read by [`scan_reader`].
fn finish_line(scan: &mut Scan, n: usize, bytes: &[u8], too_long: bool) {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    // A UTF-8 byte-order mark (PowerShell's `Out-File -Encoding utf8`)
    // hid the first line's kubectl prefix, or its JSON.
    let bytes = match n {
        1 => bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes),
        _ => bytes,
    };
    let bytes = if too_long {
        scan.truncated += 1;
        scan.first_truncated.get_or_insert(n);
        // Whatever the cut went through (a path, a quoted string) is not
        // evidence: keep only the words before it.
        match bytes.iter().rposition(|b| b.is_ascii_whitespace()) {
            Some(i) => &bytes[..i],
            None => &[],
        }
    } else {
        bytes
    };
    // Nearly every line is UTF-8: `str::from_utf8` checks it a word at a
    // time where `from_utf8_lossy` goes a byte at a time (17 % of reading
    // a json-file log). Both give the same text.
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            scan.carry.read_whole(text);
            scan.line(n, text)
        }
        Err(e) => {
            let bytes = if too_long {
                Cow::Borrowed(bytes)
            } else {
                scan.carry.mend(bytes, e.valid_up_to())
            };
            scan.line(n, &String::from_utf8_lossy(&bytes))
        }
    }
}

/// Why a hit plans no volume.
enum Unplanned {
    /// A relative path: where it is depends on the working directory.
    Relative,
    /// The mount point would hold bytes that are not UTF-8 (read as
    /// U+FFFD): a volume's `mountPath` is a string, and one with U+FFFD
    /// names no directory of the image.
    NotUtf8 { at: String, evidence: String },
    /// The mount point would hold control characters (left by a
    /// terminal's line editing, a binary dump, a hostile log): a directory
    /// seldom has one in its name, and a planned `mountPath` with one
    /// would pass `kubectl apply` and mount somewhere nobody looks.
    Control { at: String, evidence: String },
    /// The source of a rename no one volume can hold both ends of: a
    /// rename or hard link fails with EXDEV whatever the plan, a symlink
    /// never writes its target.
    UnshareableSource,
}

/// The anchor one hit needs. `files`: the paths its container's log
/// writes as files (see [`written_files`]).
fn anchor_of(line: usize, hit: &Hit, files: &HashSet<String>) -> Result<Anchor, Unplanned> {
    let path = normalized(&hit.path).ok_or(Unplanned::Relative)?;
    // A volume at the source's directory would serve nothing (see
    // `unshareable_renames`, which warns).
    if let Some(renamed) = &hit.renamed
        && renamed.0 == hit.path
        && unshareable_rename(renamed).is_some()
    {
        return Err(Unplanned::UnshareableSource);
    }
    let what = op_word(hit.op);
    let (at, seed, what) = match hit.op {
        Op::File => (parent(&path).to_string(), false, what),
        Op::Mkdir if made_up(last_component(&path)) => {
            (parent(&path).to_string(), false, "mkdir (random name)")
        }
        Op::Mkdir | Op::Dir => (path.clone(), false, what),
        // Both ends of a rename in one volume (see `Hit::renamed`); when
        // none may hold both, the destination's directory alone (the
        // source's was refused above), and a warning.
        Op::Rename if let Some(common) = renamed_within(hit) => (common, true, what),
        // chmod, chown and utimes change the entry itself, not its
        // directory, which need not be writable: a directory is its own
        // mount point (the volume takes the change, seeded with what the
        // image had in it), as trace plans one whose attributes changed.
        // A volume cannot be mounted over a file, and the error does not
        // say which it is: a name the log writes as a file elsewhere
        // (`touch X; chmod 600 X`) is one; else a name with an extension
        // is taken for a file, any other for a directory.
        Op::Attr if files.contains(&path) => (
            parent(&path).to_string(),
            true,
            "chmod/chown (a file, as the log writes it)",
        ),
        Op::Attr if !looks_like_file(last_component(&path)) => {
            (path.clone(), true, "chmod/chown (a directory, by its name)")
        }
        Op::Remove | Op::Rename | Op::Attr => (parent(&path).to_string(), true, what),
        Op::DirAttr => (path.clone(), true, what),
    };
    let evidence = format!(
        "{what} {path}: {} ({}, line {line})",
        error_code(hit),
        hit.runtime
    );
    // Only the mount point matters: a file of such a name in a directory
    // that decodes is covered by a volume at that directory.
    if at.contains(char::REPLACEMENT_CHARACTER) {
        return Err(Unplanned::NotUtf8 { at, evidence });
    }
    if at.contains(char::is_control) {
        return Err(Unplanned::Control { at, evidence });
    }
    Ok(Anchor::new(&at, seed, None, evidence, &path))
}

/// The error as the log gave it: Node's masked mkdir said ENOENT.
fn error_code(hit: &Hit) -> &'static str {
    if hit.runtime == node::MASKED_MKDIR {
        "ENOENT read as EROFS"
    } else {
        "EROFS"
    }
}

/// Most paths one warning about Node's masked mkdirs names.
const MASKED_NAMED: usize = 5;

/// A warning for each container that logged Node's masked mkdir (see
/// [`node::masked_mkdir`]): its volumes rest on reading an ENOENT as the
/// EROFS it hides, which a plain mkdir under a missing parent would not be.
fn masked_mkdirs(scan: &Scan) -> Vec<String> {
    let mut by_container: BTreeMap<Option<&str>, Vec<(usize, &str)>> = BTreeMap::new();
    for (line, hit) in &scan.hits {
        if hit.runtime == node::MASKED_MKDIR {
            by_container
                .entry(hit.container.as_deref())
                .or_default()
                .push((*line, &hit.path));
        }
    }
    by_container
        .into_iter()
        .map(|(container, found)| {
            let mut named: Vec<String> = found
                .iter()
                .take(MASKED_NAMED)
                .map(|(line, path)| format!("{path} (line {line})"))
                .collect();
            if found.len() > MASKED_NAMED {
                named.push(format!("{} more", found.len() - MASKED_NAMED));
            }
            of_container(container, format!(
                "Node reported ENOENT for mkdir of {}: Node 19 and later report a recursive mkdir that a read-only file system refused that way (nodejs/node#47098), so each is planned as if it said EROFS; a plain mkdir under a directory missing from the image says the same and needs that directory, not a volume: `rootlock trace` tells the two apart",
                named.join(", ")
            ))
        })
        .collect()
}

/// The directory one volume must be at to hold both ends of the rename
/// `hit` is an end of, if the log names both and a volume may be there.
fn renamed_within(hit: &Hit) -> Option<String> {
    let (from, to) = hit.renamed.as_ref()?;
    shared_mount_dir(&normalized(from)?, &normalized(to)?)
}

/// The directories of a rename's two ends (from, to) when they differ
/// and no one volume can hold both; `None` when one can, when both are in
/// one directory (which is all the rename needs), or an end is relative.
fn unshareable_rename(renamed: &(String, String)) -> Option<(String, String)> {
    unshareable_dirs(&normalized(&renamed.0)?, &normalized(&renamed.1)?)
}

/// A warning for each rename among `hits` (line, hit) whose ends no one
/// volume can hold, once per rename.
fn unshareable_renames<'a>(hits: impl IntoIterator<Item = &'a (usize, Hit)>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (line, hit) in hits {
        let Some(renamed @ (from, to)) = hit.renamed.as_ref() else {
            continue;
        };
        let Some((from_dir, to_dir)) = unshareable_rename(renamed) else {
            continue;
        };
        if seen.insert(renamed) {
            out.push(format!(
                "line {line}: {from} -> {to}: no directory a volume may be mounted at holds both, so {from_dir} is not planned: a rename or hard link between {from_dir} and {to_dir} fails with EXDEV (cross-device) whatever the plan, and a symlink (which Python reports alike) only writes in {to_dir}; keep both in one directory"
            ));
        }
    }
    out
}

/// How evidence names an operation.
fn op_word(op: Op) -> &'static str {
    match op {
        Op::File => "write",
        Op::Mkdir => "mkdir",
        Op::Remove => "remove",
        Op::Rename => "rename",
        Op::Attr | Op::DirAttr => "chmod/chown",
        Op::Dir => "write in",
    }
}

/// The last component of a normalized absolute path.
fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A name with an extension (`key.pem`, `nginx.pid`, `.erlang.cookie`):
/// a file's, most likely. Not `conf.d` (a directory of configuration
/// pieces), not a version (`python3.11`), not a hidden name alone
/// (`.ssh`, `.cache`).
fn looks_like_file(name: &str) -> bool {
    let name = name.trim_start_matches('.');
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && ext != "d"
            && (1..=8).contains(&ext.len())
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            && ext.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// A warning about what `container` logged (`None`: the log has no
/// kubectl prefixes), naming it as the plan's paths do.
fn of_container(container: Option<&str>, warning: String) -> String {
    match container {
        Some(c) => format!("container {c}: {warning}"),
        None => warning,
    }
}

/// The readers whose errors name the path alone, whatever the call was:
/// their hits are a file's write by default, not by the message's word
/// (Python's `OSError` without the frame above it, Java's
/// `FileSystemException`, .NET's `IOException`, a JSON or logfmt record's
/// field, the generic reading of a line no runtime claims).
const PATH_ALONE: [&str; 5] = ["python", "java", "dotnet", "json path", "generic"];

/// The paths each container's log writes as files (normalized): the
/// hits a runtime read as a file's creation or write from its message
/// (`touch: cannot touch`, `open`, a shell's redirection), not from
/// readers of the path alone ([`PATH_ALONE`]).
fn written_files(scan: &Scan) -> HashMap<Option<&str>, HashSet<String>> {
    let mut files: HashMap<Option<&str>, HashSet<String>> = HashMap::new();
    for (_, hit) in &scan.hits {
        if hit.op == Op::File
            && !PATH_ALONE.contains(&hit.runtime)
            && let Some(path) = normalized(&hit.path)
        {
            files
                .entry(hit.container.as_deref())
                .or_default()
                .insert(path);
        }
    }
    files
}

/// A scan → a plan.
pub fn plan_from_scan(scan: &Scan, source: &str) -> VolumePlan {
    let files = written_files(scan);
    let none = HashSet::new();
    // Hits that plan no volume, warned about after the plan's own warnings.
    let mut unplanned = Vec::new();
    // Anchors and hits by the container that logged them (`None`: no
    // kubectl prefix); each container's are reduced on their own.
    let mut by_container: BTreeMap<Option<&str>, (Vec<Anchor>, Vec<&Hit>)> = BTreeMap::new();
    for (line, hit) in &scan.hits {
        let container = hit.container.as_deref();
        let (anchors, hits) = by_container.entry(container).or_default();
        hits.push(hit);
        match anchor_of(*line, hit, files.get(&container).unwrap_or(&none)) {
            Ok(a) => anchors.push(a),
            Err(Unplanned::Relative) => unplanned.push(of_container(container, format!(
                "line {line}: {:?} is relative, and the log does not show the program's working directory, so no volume is planned for it ({} {0:?}: {}, {}): resolve it against the working directory (the container's workingDir or the image's WORKDIR) and add the volume by hand",
                hit.path,
                op_word(hit.op),
                error_code(hit),
                hit.runtime
            ))),
            Err(Unplanned::NotUtf8 { at, evidence }) => unplanned.push(of_container(container, format!(
                "line {line}: {at:?} is not valid UTF-8 (the log's bytes there were read as U+FFFD), so no volume can be planned at it ({evidence}): find the directory's name in the image and add the volume by hand"
            ))),
            Err(Unplanned::Control { at, evidence }) => unplanned.push(of_container(container, format!(
                "line {line}: {at:?} holds control characters, so no volume is planned at it ({evidence}): find the directory's real name in the image and add the volume by hand"
            ))),
            Err(Unplanned::UnshareableSource) => {}
        }
    }
    let mut plan = VolumePlan::new(source);
    // What each container's image may hold where its volumes go: each
    // container has its own image, and only its own errors show it.
    let mut hidden = Vec::new();
    for (container, (anchors, hits)) in by_container {
        if anchors.is_empty() {
            continue;
        }
        let part = reduce(anchors, source);
        hidden.extend(
            image_content::warning(&part.paths, hits.iter().copied())
                .map(|w| of_container(container, w)),
        );
        for mut p in part.paths {
            p.container = container.map(String::from);
            plan.paths.push(p);
        }
        plan.warnings.extend(
            part.warnings
                .into_iter()
                .chain(unshareable_renames(
                    scan.hits
                        .iter()
                        .filter(|(_, h)| h.container.as_deref() == container),
                ))
                .map(|w| of_container(container, w)),
        );
    }
    plan.paths
        .sort_by(|a, b| (&a.path, &a.container).cmp(&(&b.path, &b.container)));
    plan.warnings.extend(hidden);
    plan.warnings.extend(masked_mkdirs(scan));
    plan.warnings.extend(unplanned);
    for u in &scan.unresolved {
        plan.warnings.push(of_container(
            u.container.as_deref(),
            format!(
                "line {}: read-only file system error names no path: {}",
                u.line, u.text
            ),
        ));
    }
    if scan.unresolved_more > 0 {
        plan.warnings.push(format!(
            "{} more read-only file system error line(s) name no path (repeats, or past the first {MAX_UNRESOLVED})",
            scan.unresolved_more
        ));
    }
    if let (Some(first), true) = (scan.first_over_limit, scan.over_bytes) {
        plan.warnings.push(format!(
            "{} path(s) named from line {first} on (repeats counted) were not planned: only the first {} MiB of distinct paths are kept, and a program's log names a few hundred short ones",
            scan.over_limit,
            MAX_DISTINCT_BYTES >> 20
        ));
    } else if let Some(first) = scan.first_over_limit {
        plan.warnings.push(format!(
            "{} path(s) named from line {first} on (repeats counted) were not planned: only the first {} distinct paths are kept, and a program's log names a few hundred",
            scan.over_limit,
            scan.max_distinct.unwrap_or(MAX_DISTINCT)
        ));
    }
    if let Some(first) = scan.first_truncated {
        plan.warnings.push(format!(
            "{} line(s) longer than {} KiB (the first is line {first}): only their first {} KiB were read",
            scan.truncated,
            MAX_LINE / 1024,
            MAX_LINE / 1024
        ));
    }
    if let Some(first) = scan.first_joined_cut {
        plan.warnings.push(format!(
            "{} message(s) joined from partial log records longer than {} KiB (the first starts at line {first}): only their first {} KiB were read",
            scan.joined_cut,
            MAX_LINE / 1024,
            MAX_LINE / 1024
        ));
    }
    plan
}

// ---- helpers shared by the recognisers ----

/// Characters that end an unquoted path.
fn ends_path(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | ',' | ')' | '(' | ']' | '[' | ';' | '‘' | '’' | '“' | '”'
        )
}

/// The path at the start of `s` (which starts with `/`): up to whitespace, a
/// quote, `,`, `)`, or a `:` that ends the path (followed by a space or the
/// end). A trailing `.` (end of sentence) is dropped.
fn path_at(s: &str) -> &str {
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        if ends_path(c) {
            end = i;
            break;
        }
        if c == ':' {
            let next = s[i + 1..].chars().next();
            if next.is_none_or(|n| n.is_whitespace()) {
                end = i;
                break;
            }
        }
    }
    let p = &s[..end];
    p.strip_suffix('.').filter(|q| !q.is_empty()).unwrap_or(p)
}

/// Every absolute path in a line (a `/` at the start or after a delimiter).
fn abs_paths(line: &str) -> Vec<&str> {
    abs_paths_at(line).into_iter().map(|(_, p)| p).collect()
}

/// Every absolute path in a line, with where it starts.
fn abs_paths_at(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    // No path starts inside one already read: it would only be its tail,
    // and reading every tail made a hostile line (`=/=/=/…`, 64 KiB)
    // quadratic: half a minute per line.
    let mut taken_to = 0;
    for (i, c) in line.char_indices() {
        if i >= taken_to && c == '/' && prev.is_none_or(|p| ends_path(p) || p == '=' || p == ':') {
            let p = path_at(&line[i..]);
            taken_to = i + p.len();
            if p.len() > 1 && !p.starts_with("//") {
                out.push((i, p));
            }
        }
        prev = Some(c);
    }
    out
}

/// The contents of every string quoted with `open` … `close` in `s`.
fn quoted(s: &str, open: char, close: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len_utf8()..];
        match after.find(close) {
            Some(j) => {
                out.push(&after[..j]);
                rest = &after[j + close.len_utf8()..];
            }
            None => break,
        }
    }
    out
}

/// The operation a syscall-ish word names.
fn op_from_word(word: &str) -> Option<Op> {
    let w = word
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .to_ascii_lowercase();
    Some(match w.as_str() {
        "open" | "openat" | "openat2" | "creat" | "create" | "write" | "truncate" | "ftruncate"
        | "copyfile" | "link" | "linkat" | "symlink" | "symlinkat" | "mknod" | "mkfifo"
        | "bind" | "rb_sysopen" | "rb_file_s_symlink" | "rb_file_s_link" | "rb_file_s_truncate" => {
            Op::File
        }
        // mkdtemp names its template (`/tmp/app-XXXXXX`), not a directory
        // the program will ask for again: what must be writable is the
        // directory the template is in, as for a file created there.
        "mkdtemp" => Op::File,
        "mkdir" | "mkdirat" | "dir_s_mkdir" => Op::Mkdir,
        // Ruby's `apply2files` runs chmod, chown and utime as well as
        // unlink: `ruby` reads its backtrace for which; without one, a
        // removal.
        "unlink" | "unlinkat" | "remove" | "rmdir" | "delete" | "dir_s_rmdir" | "apply2files" => {
            Op::Remove
        }
        "rename" | "renameat" | "renameat2" | "move" | "rb_file_s_rename" => Op::Rename,
        "chmod" | "fchmod" | "fchmodat" | "chown" | "fchown" | "lchown" | "fchownat" | "utime"
        | "utimes" | "utimensat" | "chtimes" | "lutimes" => Op::Attr,
        _ => return None,
    })
}

/// Absolute paths among `candidates`, each with `op`.
fn with_op<'a>(candidates: impl IntoIterator<Item = &'a str>, op: Op) -> Vec<(String, Op)> {
    candidates
        .into_iter()
        .filter(|p| p.starts_with('/'))
        .map(|p| (p.to_string(), op))
        .collect()
}

#[cfg(test)]
mod tests;
