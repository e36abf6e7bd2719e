//! Canonical spelling of the paths a program wrote.
//!
//! Two things make one file have several names: the well-known compatibility
//! symlinks of the filesystem hierarchy (`/var/run` → `/run`, `/var/lock` →
//! `/run/lock`), which hold in practically every image, and symlinks of the
//! particular image, which can only be resolved against its root directory.

use std::path::{Component, Path, PathBuf};

/// Aliases that hold in every mainstream image, longest first.
const ALIASES: &[(&str, &str)] = &[("/var/run", "/run"), ("/var/lock", "/run/lock")];

/// Lexically normalises an absolute path (`//`, `.`, `..`, trailing `/`) and
/// applies the well-known aliases: for paths as a program named them (log
/// lines), which may go through `/var/run`. Returns `None` for a relative
/// path.
pub fn canonical(path: &str) -> Option<String> {
    let out = normalized(path)?;
    for (alias, target) in ALIASES {
        if let Some(rest) = strip_dir_prefix(&out, alias) {
            return Some(format!("{target}{rest}"));
        }
    }
    Some(out)
}

/// Lexically normalises an absolute path, without aliases: for paths the
/// kernel already resolved (a trace's overlay upper layers and fanotify
/// events), where `/var/run/x` can only appear if the image has a real
/// `/var/run` directory, which a volume at `/run` would not cover.
pub fn normalized(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
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

/// Resolves every symlink in `path` as the program would have seen it
/// inside `root` (absolute link targets are taken relative to `root`, `..`
/// never leaves it), then canonicalises the result. Components that do not
/// exist are kept as written. At most 40 links are followed, like the kernel.
pub fn resolve_in_root(root: &Path, path: &str) -> Option<String> {
    let mut pending: Vec<String> = Vec::new();
    push_components(&mut pending, path);
    let mut resolved: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let mut candidate: PathBuf = root.to_path_buf();
        for r in &resolved {
            candidate.push(r);
        }
        candidate.push(&part);
        match std::fs::read_link(&candidate) {
            Ok(target) if links < 40 => {
                links += 1;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    resolved.clear();
                }
                push_components(&mut pending, &target);
            }
            _ => resolved.push(part),
        }
    }
    canonical(&format!("/{}", resolved.join("/")))
}

/// Pushes the components of `path` onto a stack so that the first one pops first.
fn push_components(stack: &mut Vec<String>, path: &str) {
    let parts: Vec<String> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect();
    stack.extend(parts.into_iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_normalisation() {
        assert_eq!(
            canonical("/var/run/nginx.pid").as_deref(),
            Some("/run/nginx.pid")
        );
        assert_eq!(canonical("/var/run").as_deref(), Some("/run"));
        assert_eq!(canonical("/var/lock/x").as_deref(), Some("/run/lock/x"));
        assert_eq!(canonical("/var/running").as_deref(), Some("/var/running"));
        assert_eq!(canonical("//tmp/./a/../b/").as_deref(), Some("/tmp/b"));
        assert_eq!(canonical("/..").as_deref(), Some("/"));
        assert_eq!(canonical("relative/x"), None);
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
        let dir = std::env::temp_dir().join(format!("rootlock-canon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("var")).unwrap();
        std::os::unix::fs::symlink("/run", dir.join("var/run")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", dir.join("var/escape")).unwrap();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        assert_eq!(
            resolve_in_root(&dir, "/var/run/app.pid").as_deref(),
            Some("/run/app.pid")
        );
        assert_eq!(
            resolve_in_root(&dir, "/var/escape/x").as_deref(),
            Some("/etc/x")
        );
        assert_eq!(resolve_in_root(&dir, "/loop/x").as_deref(), Some("/loop/x"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
