//! The verdict: pass only when the root is read-only and nothing that this
//! tool can see would let the process undo it. Every failing check adds its
//! own reason, so a report names everything that has to be fixed.

use crate::classify::Backing;
use crate::mountinfo::MountEntry;
use crate::probe::{Outcome, Probe};
use crate::report::MountReport;
use crate::status::{CAP_SYS_ADMIN, ProcStatus};

/// Reasons the verdict fails; empty means pass.
pub fn reasons(
    root: Option<&MountEntry>,
    mounts: &[MountReport],
    status: &ProcStatus,
    probes: &[Probe],
) -> Vec<String> {
    let mut reasons = Vec::new();
    match root {
        None => reasons.push("no mount for / in mountinfo: cannot tell what the root is".into()),
        Some(root) if !root.read_only() => reasons.push(format!(
            "root filesystem / is writable ({} from {})",
            root.fs_type, root.source
        )),
        Some(_) => {}
    }
    let root_id = root.map(|r| r.mount_id);
    reasons.extend(
        mounts
            .iter()
            .filter(|m| matters(m) && m.system_path && Some(m.mount_id) != root_id)
            .map(|m| {
                format!(
                    "writable mount at {} is at or above a system path ({} from {}, {})",
                    m.mount_point,
                    m.fs_type,
                    m.source,
                    m.backing.as_str()
                )
            }),
    );
    if status.effective.has(CAP_SYS_ADMIN) {
        reasons.push(
            "CAP_SYS_ADMIN is in the effective capability set: `mount -o remount,rw /` would succeed"
                .into(),
        );
    } else if status.bounding.has(CAP_SYS_ADMIN) && !status.no_new_privs {
        reasons.push(
            "CAP_SYS_ADMIN is in the bounding set and NoNewPrivs is off: executing a program \
             as root (or any set-uid/file-capability program) regains it"
                .into(),
        );
    }
    reasons.extend(
        probes
            .iter()
            .filter(|p| !p.refused())
            .map(|p| match p.outcome {
                Outcome::Created => format!(
                    "write probe created a file in {}: it is writable",
                    p.directory
                ),
                _ => format!(
                    "write probe in {} was inconclusive: {}",
                    p.directory, p.message
                ),
            }),
    );
    reasons
}

/// A writable mount the process can reach that is not a kernel interface.
pub fn matters(mount: &MountReport) -> bool {
    !mount.read_only && !mount.covered && mount.backing != Backing::Pseudo
}
