//! The PATH arguments of `scan` and `fix`, expanded the same way: files as
//! given, `-` for standard input, and the manifest files of a directory,
//! walked recursively and sorted (so output order is deterministic), files
//! ending in `.yaml`, `.yml` or `.json` (kubectl's extensions). A symlink to
//! a file counts like the file, as `kubectl apply -f DIR` reads it; a
//! symlink to a directory is not followed, so a link loop cannot trap the
//! walk; a manifest-named symlink whose target is missing is an error.

use std::path::{Path, PathBuf};

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A path that could not be read as an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The path as reports name it ([`display_name`]).
    pub name: String,
    /// Why it could not be read.
    pub why: String,
    /// The path's bytes when they are not UTF-8, as
    /// [`Input::non_utf8_path`] gives a readable one's: a SARIF URI
    /// percent-encodes them rather than `name`'s escapes.
    pub non_utf8_path: Option<Vec<u8>>,
}

impl PathError {
    fn new(path: &Path, why: impl Into<String>) -> PathError {
        PathError {
            name: display_name(path),
            why: why.into(),
            non_utf8_path: path
                .to_str()
                .is_none()
                .then(|| path.as_os_str().as_encoded_bytes().to_vec()),
        }
    }
}

/// The manifest files under `dir`, and the entries that could not be read,
/// in walk order.
fn manifest_entries(dir: &Path, out: &mut Vec<Result<Input, PathError>>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if is_manifest(e.path()) && e.file_type().is_file() => {
                out.push(Ok(Input::Found(e.into_path())))
            }
            Ok(e) if is_manifest(e.path()) && e.path_is_symlink() => {
                // A link whose target cannot be found (deleted, or a loop)
                // is a manifest that cannot be read: named, never skipped,
                // or the directory would pass without being fully scanned.
                match std::fs::metadata(e.path()) {
                    Ok(target) if target.is_file() => out.push(Ok(Input::Found(e.into_path()))),
                    Ok(target) if target.is_dir() => {}
                    Ok(_) => out.push(Err(not_a_file(e.path()))),
                    Err(why) => {
                        out.push(Err(PathError::new(e.path(), format!("cannot read: {why}"))))
                    }
                }
            }
            // A FIFO, socket or device with a manifest's name: reading it
            // could block forever, skipping it would pass the directory
            // without scanning all its manifests.
            Ok(e) if is_manifest(e.path()) && !e.file_type().is_dir() => {
                out.push(Err(not_a_file(e.path())))
            }
            Ok(_) => {}
            Err(e) => {
                let at = e.path().unwrap_or(dir);
                out.push(Err(PathError::new(
                    at,
                    format!("cannot walk directory: {e}"),
                )));
            }
        }
    }
}

/// The error for a manifest-named entry of a walked directory that is
/// neither a file nor a directory.
fn not_a_file(path: &Path) -> PathError {
    let why =
        "not a regular file (a FIFO, socket or device): name it on the command line to read it";
    PathError::new(path, why)
}

/// The name standard input (`-`) has in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// One input named on the command line or found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    /// A file named on the command line.
    File(PathBuf),
    /// A file found by walking a directory named on the command line: it
    /// may be no manifest at all (a JSON patch, Helm values), which `scan`
    /// tells apart only for such files.
    Found(PathBuf),
}

impl Input {
    /// The name used in reports: the path as given, `-` shown as `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => STDIN_NAME.to_string(),
            Input::File(p) | Input::Found(p) => display_name(p),
        }
    }

    /// The path's bytes when they are not UTF-8 (the name then escapes
    /// them, see [`display_name`]): what a SARIF URI percent-encodes.
    pub fn non_utf8_path(&self) -> Option<&[u8]> {
        match self {
            // Unix: the name's own bytes (Windows: its WTF-8).
            Input::File(p) | Input::Found(p) if p.to_str().is_none() => {
                Some(p.as_os_str().as_encoded_bytes())
            }
            _ => None,
        }
    }
}

/// A path as reports name it: as given when it is UTF-8. A JSON string
/// cannot hold a byte that is not UTF-8, and U+FFFD (`Path::display`) would
/// lose which byte it was and merge distinct names; so such a byte is
/// written `\xHH` and, in such a name only, a backslash `\\`: distinct
/// names stay distinct, and the bytes can be read back.
pub fn display_name(path: &Path) -> String {
    use std::fmt::Write as _;
    if let Some(s) = path.to_str() {
        return s.to_string();
    }
    let mut out = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// Expands the PATH arguments into inputs, and paths that could not be
/// read (the path, and why), in the order of the arguments (a directory's
/// in walk order): an argument that does not exist is an error, never a
/// silent skip, and it is reported where it was named, among the errors of
/// the inputs around it.
pub fn expand_in_order(args: &[PathBuf]) -> Vec<Result<Input, PathError>> {
    let mut out = Vec::new();
    for path in args {
        if path.as_os_str() == "-" {
            out.push(Ok(Input::Stdin));
        } else if path.is_dir() {
            manifest_entries(path, &mut out);
        } else {
            // `exists` would take a symlink loop or an unreadable parent
            // for a missing file: say what really failed.
            match std::fs::metadata(path) {
                Ok(_) => out.push(Ok(Input::File(path.clone()))),
                Err(e) => {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        "no such file or directory".to_string()
                    } else {
                        format!("cannot read: {e}")
                    };
                    out.push(Err(PathError::new(path, why)));
                }
            }
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt as _;

    fn name(bytes: &[u8]) -> String {
        display_name(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }

    #[test]
    fn names_that_are_not_utf8_stay_distinct_and_readable() {
        assert_eq!(name(b"d/caf\xc3\xa9.yaml"), "d/café.yaml");
        assert_eq!(name(b"a\\b.yaml"), "a\\b.yaml");
        assert_eq!(name(b"caf\xe9.yaml"), "caf\\xE9.yaml");
        // A literal `\xE9` beside a byte: the backslash is escaped, so the
        // two names below do not read alike.
        let (a, b) = (name(b"\\xE9\xff"), name(b"\xe9\\xFF"));
        assert_eq!(a, "\\\\xE9\\xFF");
        assert_eq!(b, "\\xE9\\\\xFF");
        assert_ne!(a, b);
        assert_ne!(name(b"caf\xe9"), name(b"caf\xe8"));
    }
}
