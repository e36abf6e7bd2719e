//! Expands the PATH arguments: files as given, directories walked as
//! [`rootlock_manifest::files`] does it, and `-` for standard input.

use std::path::PathBuf;

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

/// An argument or directory entry that could not be read: the path, and why.
pub type ArgError = (String, String);

/// Expands the arguments. An argument that does not exist is an error
/// (named), not a silent skip.
pub fn expand(args: &[PathBuf]) -> (Vec<Input>, Vec<ArgError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in args {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = path.clone();
        if path.is_dir() {
            let (found, walk_errors) = rootlock_manifest::files::manifest_files(&path);
            inputs.extend(found.into_iter().map(Input::File));
            errors.extend(walk_errors);
        } else if path.exists() {
            inputs.push(Input::File(path));
        } else {
            errors.push((
                path.display().to_string(),
                "no such file or directory".into(),
            ));
        }
    }
    (inputs, errors)
}
