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

/// The manifest files under `dir`, and the entries that could not be read
/// (the path, and why).
pub fn manifest_files(dir: &Path) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if is_manifest(e.path()) && e.file_type().is_file() => found.push(e.into_path()),
            Ok(e) if is_manifest(e.path()) && e.path_is_symlink() => {
                // A link whose target cannot be found (deleted, or a loop)
                // is a manifest that cannot be read: named, never skipped,
                // or the directory would pass without being fully scanned.
                match std::fs::metadata(e.path()) {
                    Ok(target) if target.is_file() => found.push(e.into_path()),
                    Ok(_) => {}
                    Err(why) => errors.push((
                        e.path().display().to_string(),
                        format!("cannot read: {why}"),
                    )),
                }
            }
            Ok(_) => {}
            Err(e) => {
                let at = e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
                errors.push((at, format!("cannot walk directory: {e}")));
            }
        }
    }
    (found, errors)
}

/// The name standard input (`-`) has in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// One input named on the command line or found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in reports: the path as given, `-` shown as `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => STDIN_NAME.to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Expands the PATH arguments, and names those that could not be read (the
/// path, and why): an argument that does not exist is an error, never a
/// silent skip.
pub fn expand(args: &[PathBuf]) -> (Vec<Input>, Vec<(String, String)>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in args {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            let (found, walk_errors) = manifest_files(path);
            inputs.extend(found.into_iter().map(Input::File));
            errors.extend(walk_errors);
        } else if path.exists() {
            inputs.push(Input::File(path.clone()));
        } else {
            let why = "no such file or directory".to_string();
            errors.push((path.display().to_string(), why));
        }
    }
    (inputs, errors)
}
