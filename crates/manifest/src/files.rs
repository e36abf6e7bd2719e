//! The manifest files of a directory, as `scan` and `fix` both read them:
//! walked recursively and sorted (so output order is deterministic), files
//! ending in `.yaml`, `.yml` or `.json` (kubectl's extensions). A symlink to
//! a file counts like the file, as `kubectl apply -f DIR` reads it; a
//! symlink to a directory is not followed, so a link loop cannot trap the
//! walk.

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
            Ok(e)
                if is_manifest(e.path())
                    && (e.file_type().is_file() || (e.path_is_symlink() && e.path().is_file())) =>
            {
                found.push(e.into_path())
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
