//! Shards of a content-addressed store: npm's `_cacache/index-v5/9a`,
//! git's `objects/db`, Go's build cache and ccache name a directory by the
//! first two hex digits of an entry's hash. The next run stores other
//! entries, in other shards, so a volume at the shards seen once fails it
//! with EROFS: the store's directory must be writable.

use crate::canonical::{normalized, parent};
use crate::reduce::{Change, ChangeKind};
use std::collections::{HashMap, HashSet};

/// Two hex digits, as the stores above write them (lower case).
fn shard_name(name: &str) -> bool {
    name.len() == 2
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The directories among `changes` that the run created as shards: a
/// shard's name beside another in the image (`entries`, see
/// [`crate::reduce::plan_with_image`]), or beside another the run
/// created. A lone `db` or `ab` is a name someone chose.
pub fn created_shards(
    changes: &[Change],
    entries: &dyn Fn(&str) -> Option<Vec<String>>,
) -> HashSet<String> {
    let mut by_parent: HashMap<String, Vec<String>> = HashMap::new();
    for c in changes {
        if c.kind != ChangeKind::Created || !c.is_dir || c.same_mount_as().is_some() {
            continue;
        }
        let Some(path) = normalized(&c.path) else {
            continue;
        };
        if shard_name(path.rsplit('/').next().unwrap_or("")) {
            by_parent
                .entry(parent(&path).to_string())
                .or_default()
                .push(path);
        }
    }
    by_parent
        .into_iter()
        .filter(|(dir, made)| {
            made.len() > 1 || entries(dir).is_some_and(|image| image.iter().any(|e| shard_name(e)))
        })
        .flat_map(|(_, made)| made)
        .collect()
}
