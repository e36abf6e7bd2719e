//! Expands the PATH arguments: files as given, directories walked
//! recursively for `.yaml`, `.yml` and `.json` (sorted, so output order is
//! deterministic), and `-` for standard input.

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

/// Expands the arguments. An argument that does not exist is an error
/// (named), not a silent skip.
pub fn expand(args: &[String]) -> (Vec<Input>, Vec<String>) {
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
                    Ok(e) if e.file_type().is_file() && is_manifest(e.path()) => {
                        found.push(e.into_path())
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(format!("{arg}: cannot walk directory: {e}")),
                }
            }
            inputs.extend(found.into_iter().map(Input::File));
        } else if path.exists() {
            inputs.push(Input::File(path));
        } else {
            errors.push(format!("{arg}: no such file or directory"));
        }
    }
    (inputs, errors)
}
