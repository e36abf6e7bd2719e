//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — rule
//! metadata, physical locations, exempted findings as suppressed notes.

use super::emit::{Emitter, JsonArray};
use super::report::{FindingReport, ObjectReport};
use rootlock_manifest::InputError;
use rootlock_manifest::files::{Input, PathError, STDIN_NAME};
use rootlock_policy::exemptions::INVALID_EXEMPTION;
use rootlock_policy::sarif::{self, Driver};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;

/// A URI for a path as given on the command line: relative and
/// forward-slashed for a relative path (code scanning resolves it against
/// the checkout), a `file://` URI for an absolute one — a bare `/tmp/x` is
/// a relative reference with no base that SARIF consumers cannot place.
/// Empty and `.` steps are dropped (`.//p.yaml` is `p.yaml`, not
/// `file:///p.yaml`; `d//q.yaml` is `d/q.yaml`, the path the checkout knows);
/// `..` is kept, as only the file system can resolve it past a symlink.
fn uri(file: &str) -> String {
    // A backslash separates directories only on Windows; on Unix it is an
    // ordinary file-name byte, percent-encoded below like any other.
    let f = if cfg!(windows) {
        file.replace('\\', "/")
    } else {
        file.to_string()
    };
    uri_of_bytes(f.as_bytes())
}

/// [`uri`] of a path's bytes, which need not be UTF-8: a URI
/// percent-encodes bytes, so a name that is not UTF-8 keeps its own.
fn uri_of_bytes(f: &[u8]) -> String {
    let scheme = if f.starts_with(b"/") { "file:///" } else { "" };
    let path = f
        .split(|b| *b == b'/')
        .filter(|seg| !seg.is_empty() && *seg != b".")
        .map(|seg| {
            seg.iter()
                .map(|&b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("{scheme}{path}")
}

/// The `artifactLocation` of an input.
///
/// Standard input has no path, and SARIF 2.1.0 gives it no URI of its own.
/// An `artifactLocation` needs a `uri` (a valid URI reference) or an
/// `index` into `run.artifacts`, and a result's `physicalLocation` needs an
/// `artifactLocation`; a location with only `logicalLocations` is valid
/// SARIF, but GitHub code scanning refuses the whole upload for a result
/// without a physical location, or with an empty `uri`. So stdin keeps a
/// physical location with a plain relative reference, `stdin`, and says
/// what it is in `description`; the object's field is in the result's
/// logical location as for any file. The display name `<stdin>` is not
/// used: percent-encoded (`%3Cstdin%3E`) it is valid but names a file
/// called `<stdin>` to every consumer — a name Windows cannot even have —
/// and unencoded it is not a URI reference at all.
fn artifact_location(file: &str, raw_names: &RawNames) -> Value {
    if file == STDIN_NAME {
        json!({"uri": "stdin", "description": {"text": "standard input"}})
    } else if let Some(bytes) = raw_names.get(file) {
        json!({"uri": uri_of_bytes(bytes)})
    } else {
        json!({"uri": uri(file)})
    }
}

/// The bytes of the inputs whose names are not UTF-8, by the name reports
/// give them (`files::display_name`, which escapes those bytes), so their
/// URIs percent-encode the real bytes rather than the escapes.
pub type RawNames = HashMap<String, Vec<u8>>;

/// [`RawNames`] of the inputs. A name that two inputs share with different
/// bytes (a UTF-8 name written with a literal `\xE9`, beside a name with
/// the byte 0xE9) is left out: its URI is then the name's own encoding,
/// still a valid URI, rather than perhaps the other file's.
pub fn raw_names(entries: &[Result<Input, PathError>]) -> RawNames {
    let mut names: HashMap<String, Option<&[u8]>> = HashMap::new();
    // A path that could not be read is named too (its error's location).
    let named = entries.iter().map(|entry| match entry {
        Ok(input) => (input.name(), input.non_utf8_path()),
        Err(e) => (e.name.clone(), e.non_utf8_path.as_deref()),
    });
    for (name, bytes) in named {
        match names.get(&name) {
            Some(seen) if *seen != bytes => {
                names.insert(name, None);
            }
            Some(_) => {}
            None => {
                names.insert(name, bytes);
            }
        }
    }
    names
        .into_iter()
        .filter_map(|(name, bytes)| Some((name, bytes?.to_vec())))
        .collect()
}

/// What a result is about within its object, for its fingerprint: the
/// container, or for a bad exemption the annotation (an object may carry
/// several, and the same key on a controller and on its template); code
/// scanning folds results with one fingerprint into one alert. Container
/// names, not indexes, keep the fingerprint across edits; a container
/// without one (a fragment's) is told apart by its field.
fn subject(f: &FindingReport) -> &str {
    match &f.container {
        Some(c) if !c.is_empty() => c,
        Some(_) => &f.field,
        None if f.rule == INVALID_EXEMPTION => &f.field,
        None => "",
    }
}

/// SARIF output: the run header with rule metadata first, then each result
/// as it comes, then the invocation with any input errors.
pub struct Sarif<W: Write> {
    out: W,
    driver: Driver,
    results: JsonArray,
    started: bool,
    identities: Identities,
    raw_names: RawNames,
}

/// The objects of the file being written, by identity (`Kind/ns/name`),
/// for fingerprints: code scanning folds results of one file with one
/// fingerprint into one alert, and several objects of a file may share an
/// identity (no name of their own, as with `generateName`, or a name
/// written twice). The first keeps the identity, the next are numbered
/// (`#2`, `#3`) in the order they are written. Only the current file is
/// remembered, so memory stays that of one file however many are scanned.
#[derive(Default)]
struct Identities {
    file: String,
    seen: HashMap<String, usize>,
}

impl Identities {
    fn of(&mut self, o: &ObjectReport) -> String {
        if self.file != o.file {
            self.file.clone_from(&o.file);
            self.seen.clear();
        }
        let identity = format!(
            "{}/{}/{}",
            o.kind,
            o.namespace.as_deref().unwrap_or(""),
            o.name.as_deref().unwrap_or("")
        );
        let n = self.seen.entry(identity.clone()).or_insert(0);
        *n += 1;
        match *n {
            1 => identity,
            n => format!("{identity}#{n}"),
        }
    }
}

impl<W: Write> Sarif<W> {
    pub fn new(out: W, raw_names: RawNames) -> Self {
        Sarif {
            out,
            raw_names,
            driver: sarif::driver(),
            results: JsonArray::new(),
            started: false,
            identities: Identities::default(),
        }
    }

    fn start(&mut self) -> std::io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        write!(
            self.out,
            "{{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", \"runs\": [{{\"tool\": {{\"driver\": "
        )?;
        serde_json::to_writer_pretty(&mut self.out, &self.driver).map_err(std::io::Error::other)?;
        write!(self.out, "}}, \"results\": [")
    }
}

impl<W: Write> Emitter for Sarif<W> {
    fn object(&mut self, o: &ObjectReport) -> std::io::Result<()> {
        self.start()?;
        let identity = self.identities.of(o);
        for f in &o.findings {
            let index = self.driver.rule_index(f.rule);
            let mut r = json!({
                "ruleId": f.rule,
                "level": sarif::level(f.severity),
                "message": {"text": format!("{} {}: {}", o.kind, o.name.as_deref().unwrap_or("<unnamed>"), f.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_location(&o.file, &self.raw_names),
                        "region": {"startLine": f.line.max(1)}
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.field, "kind": "member"}]
                }],
                "partialFingerprints": {
                    "rootlock/v1": format!("{identity}/{}/{}", f.rule, subject(f))
                }
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            if let Some(reason) = &f.exemption {
                r["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
            }
            self.results.push(&mut self.out, &r)?;
        }
        Ok(())
    }

    fn finish(&mut self, errors: &[InputError]) -> std::io::Result<()> {
        super::emit::errors_to_stderr(errors);
        self.start()?;
        let notifications: Vec<Value> = errors
            .iter()
            .map(|e| {
                json!({
                    "level": "error",
                    "message": {"text": e.to_string()},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": artifact_location(&e.file, &self.raw_names),
                        "region": {"startLine": e.line.max(1)}
                    }}]
                })
            })
            .collect();
        let invocations = json!([{
            "executionSuccessful": errors.is_empty(),
            "toolExecutionNotifications": notifications
        }]);
        write!(self.out, "\n], \"invocations\": ")?;
        serde_json::to_writer_pretty(&mut self.out, &invocations).map_err(std::io::Error::other)?;
        writeln!(self.out, "}}]}}")?;
        self.out.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::PathBuf;

    fn file(bytes: &[u8]) -> Result<Input, PathError> {
        Ok(Input::Found(PathBuf::from(std::ffi::OsStr::from_bytes(
            bytes,
        ))))
    }

    #[test]
    fn a_uri_percent_encodes_the_names_own_bytes() {
        let names = raw_names(&[file(b"d/caf\xe9.yaml"), file(b"ok.yaml"), Ok(Input::Stdin)]);
        assert_eq!(names.len(), 1);
        let loc = artifact_location("d/caf\\xE9.yaml", &names);
        assert_eq!(loc["uri"], "d/caf%E9.yaml");
        assert_eq!(artifact_location("ok.yaml", &names)["uri"], "ok.yaml");
        // A UTF-8 name spelling the escape: which file is meant is unknown,
        // so neither gets the other's bytes; the URI is still valid.
        let names = raw_names(&[file(b"caf\xe9"), file(b"caf\\xE9")]);
        assert!(names.is_empty());
        assert_eq!(artifact_location("caf\\xE9", &names)["uri"], "caf%5CxE9");
    }

    /// A path that could not be read is a result's location too: its URI
    /// percent-encodes its own bytes, not the escapes of its name.
    #[test]
    fn an_unreadable_paths_uri_percent_encodes_its_own_bytes() {
        let missing = std::path::Path::new(std::ffi::OsStr::from_bytes(b"gone/caf\xe9.yaml"));
        let entries = rootlock_manifest::files::expand_in_order(&[missing.to_path_buf()]);
        let names = raw_names(&entries);
        let Err(e) = &entries[0] else {
            panic!("{entries:?}")
        };
        assert_eq!(e.name, "gone/caf\\xE9.yaml");
        assert_eq!(
            artifact_location(&e.name, &names)["uri"],
            "gone/caf%E9.yaml"
        );
    }
}
