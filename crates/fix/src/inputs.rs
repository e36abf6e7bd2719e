//! The PATH arguments: files as given, directories walked as
//! [`rootlock_manifest::files`] does it (the same files `scan` reads), and
//! `-` for standard input.

use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }

    /// The whole input as text.
    pub fn read(&self) -> Result<String, String> {
        let bytes = match self {
            Source::Stdin => {
                let mut b = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut b)
                    .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
                b
            }
            Source::File(p) => {
                std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?
            }
        };
        String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            format!("{}:{line}: not valid UTF-8", self.name())
        })
    }
}

/// Expands the arguments; a missing path is an error, never skipped.
pub fn expand(args: &[String]) -> (Vec<Source>, Vec<String>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if arg == "-" {
            sources.push(Source::Stdin);
        } else if path.is_dir() {
            let (found, walk_errors) = rootlock_manifest::files::manifest_files(&path);
            sources.extend(found.into_iter().map(Source::File));
            errors.extend(
                walk_errors
                    .into_iter()
                    .map(|(at, why)| format!("{at}: {why}")),
            );
        } else if path.exists() {
            sources.push(Source::File(path));
        } else {
            errors.push(format!("{arg}: no such file or directory"));
        }
    }
    (sources, errors)
}
