//! Expands the PATH arguments: files as given, directories walked
//! recursively for `.yaml`, `.yml` and `.json` (sorted, so output order is
//! deterministic), and `-` for standard input. In a directory, a symlink to
//! a file counts like the file (as `kubectl apply -f DIR` reads it); a
//! symlink to a directory is not followed, so a link loop cannot trap the
//! walk.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in reports: the path as given, `-` shown as `<stdin>`.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// An argument or directory entry that could not be read: the path, and why.
pub type ArgError = (String, String);

/// Expands the arguments. An argument that does not exist is an error
/// (named), not a silent skip.
pub fn expand(args: &[String]) -> (Vec<Input>, Vec<ArgError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = Vec::new();
            for entry in walkdir::WalkDir::new(&path).sort_by_file_name() {
                match entry {
                    Ok(e)
                        if is_manifest(e.path())
                            && (e.file_type().is_file()
                                || (e.path_is_symlink() && e.path().is_file())) =>
                    {
                        found.push(e.into_path())
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let at = e
                            .path()
                            .map_or_else(|| arg.clone(), |p| p.display().to_string());
                        errors.push((at, format!("cannot walk directory: {e}")))
                    }
                }
            }
            inputs.extend(found.into_iter().map(Input::File));
        } else if path.exists() {
            inputs.push(Input::File(path));
        } else {
            errors.push((arg.clone(), "no such file or directory".into()));
        }
    }
    (inputs, errors)
}
