//! The root directory of an overlay shows its upper directory's mode and
//! owner, not the lower one's: overlayfs takes a merged directory's
//! attributes from the upper layer whenever that has the directory, and an
//! overlay's root always has it (the upper directory itself). A per-mount
//! overlay (a tmpfs `/tmp`, rootless per-directory overlays) would show a
//! fresh `0755 root` directory where the host has `1777`, so a program
//! traced with `--user` got EACCES there and its writes were missing from
//! the plan. The upper directory is therefore given the lower's mode and
//! owner before mounting.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Gives `upper` the mode and owner of `lower`, as far as this process may
/// (in a user namespace an unmapped owner cannot be set: the upper keeps
/// the one mapped owner; the mode is still copied).
pub fn copy_attrs(lower: &Path, upper: &Path) {
    let Ok(m) = std::fs::metadata(lower) else {
        return;
    };
    // Owner first: chown clears set-id bits, the mode then restores them.
    let _ = std::os::unix::fs::chown(upper, Some(m.uid()), Some(m.gid()));
    let _ = std::fs::set_permissions(upper, std::fs::Permissions::from_mode(m.mode() & 0o7777));
}
