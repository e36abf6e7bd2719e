//! The immutable family: what Pod Security Standards leave out about a
//! read-only root filesystem. Each rule lives in its own file.

mod read_only_root_filesystem;
mod rootfs_bypass;
mod unbounded_memory_volume;
mod writable_host_path;
mod writable_system_path;

use crate::finding::Severity;
use crate::scope::CheckFn;

pub use read_only_root_filesystem::POD_LEVEL_FIELD_MESSAGE;
pub use writable_system_path::{SYSTEM_PATHS, is_at_or_above_system_path};

/// A rule of the immutable family.
pub struct ImmutableRule {
    pub id: &'static str,
    pub severity: Severity,
    pub eval: CheckFn,
    /// Field (below a container) a finding points at.
    pub container_field: &'static [&'static str],
    pub description: &'static str,
}

/// The family, in result order.
pub fn rules() -> [&'static ImmutableRule; 5] {
    [
        &read_only_root_filesystem::RULE,
        &rootfs_bypass::RULE,
        &writable_system_path::RULE,
        &writable_host_path::RULE,
        &unbounded_memory_volume::RULE,
    ]
}

pub fn rule(id: &str) -> Option<&'static ImmutableRule> {
    rules().into_iter().find(|r| r.id == id)
}
