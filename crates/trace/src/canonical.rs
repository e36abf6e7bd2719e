//! Canonical spelling of the paths a program wrote.
//!
//! Paths are normalised lexically and otherwise kept as written. The
//! compatibility symlinks (`/var/run` → `/run`) are not applied: a volume
//! at the path as the program named it covers it whether the image has the
//! link (the runtime resolves a mount path inside the image's root, so it
//! lands on `/run`) or a real `/var/run` directory, which a volume at
//! `/run` would not cover. Symlinks of a particular image can only be
//! resolved against its root directory ([`resolve_in_root`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Lexically normalises an absolute path (`//`, `.`, `..`, trailing `/`);
/// `None` for a relative path.
pub fn normalized(path: &str) -> Option<String> {
    // The policy's normalisation, the one scan judges mount paths with.
    path.starts_with('/')
        .then(|| rootlock_policy::model::normalize_path(path))
}

/// `path` relative to the directory `dir` (`""` when equal, `"/x"` below),
/// or `None` when `path` is not at or under `dir`.
pub fn strip_dir_prefix<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    if dir == "/" {
        return Some(if path == "/" { "" } else { path });
    }
    let rest = path.strip_prefix(dir)?;
    if rest.is_empty() || rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

/// True when `path` is `dir` or lies below it.
pub fn is_at_or_under(path: &str, dir: &str) -> bool {
    strip_dir_prefix(path, dir).is_some()
}

/// The parent directory of an absolute canonical path (`/` for `/x`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// `path` (absolute, as a plan names it) inside `root`, resolved as a
/// program will see it once `root` is its `/`: `..` stops at `root`, and a
/// symlink is followed inside `root` (an absolute target restarts at
/// `root`). Components that do not exist are kept as written. More than 40
/// links is an error, as for the kernel (ELOOP). Never a path outside
/// `root`.
pub fn resolve_in_root(root: &Path, path: &str) -> Result<PathBuf, String> {
    let mut done: Vec<String> = Vec::new();
    let mut todo: VecDeque<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        match c.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let here = done
            .iter()
            .fold(root.to_path_buf(), |p, d| p.join(d))
            .join(&c);
        let Ok(target) = std::fs::read_link(&here) else {
            done.push(c);
            continue;
        };
        links += 1;
        if links > 40 {
            return Err(format!("{path}: too many levels of symbolic links"));
        }
        let target = target.to_string_lossy().into_owned();
        if target.starts_with('/') {
            done.clear();
        }
        for (i, part) in target.split('/').filter(|p| !p.is_empty()).enumerate() {
            todo.insert(i, part.to_string());
        }
    }
    Ok(done.iter().fold(root.to_path_buf(), |p, d| p.join(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_keeps_paths_as_written() {
        assert_eq!(
            normalized("/var/run/nginx.pid").as_deref(),
            Some("/var/run/nginx.pid")
        );
        assert_eq!(normalized("//tmp/./a/../b/").as_deref(), Some("/tmp/b"));
        assert_eq!(normalized("/..").as_deref(), Some("/"));
        assert_eq!(normalized("relative/x"), None);
    }

    #[test]
    fn prefixes_respect_component_boundaries() {
        assert!(is_at_or_under("/var/lib/nginx", "/var/lib"));
        assert!(is_at_or_under("/var/lib", "/var/lib"));
        assert!(!is_at_or_under("/var/library", "/var/lib"));
        assert!(is_at_or_under("/x", "/"));
        assert_eq!(parent("/run/nginx.pid"), "/run");
        assert_eq!(parent("/run"), "/");
    }

    #[test]
    fn resolves_symlinks_inside_the_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("run")).unwrap();
        std::fs::create_dir_all(root.join("var")).unwrap();
        std::os::unix::fs::symlink("/run", root.join("var/run")).unwrap();
        std::os::unix::fs::symlink("../run", root.join("var/rel")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", root.join("var/escape")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        let at = |p: &str| resolve_in_root(root, p).unwrap();
        assert_eq!(at("/var/run/app.pid"), root.join("run/app.pid"));
        assert_eq!(at("/var/rel/x"), root.join("run/x"));
        assert_eq!(at("/var/escape/x"), root.join("etc/x"));
        assert_eq!(at("/../../etc"), root.join("etc"));
        // The symlink first, then `..`, as the kernel walks it.
        assert_eq!(at("/var/./run/../tmp"), root.join("tmp"));
        // A loop is an error, not a path through the link (which the host
        // would then resolve against its own root).
        assert!(resolve_in_root(root, "/loop/x").is_err());
    }
}
