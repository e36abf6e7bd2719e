//! The report: what was found, the verdict, and its text/JSON renderings.
//! The JSON field names are camelCase and stable.

use crate::classify::{self, Backing, KernelInterface};
use crate::kernel::Kernel;
use crate::mountinfo::{self, MountEntry, NodeStateDir};
use crate::probe::Probe;
use crate::root::RootFacts;
use crate::status::{ProcStatus, SeccompMode};
use crate::userns::UserNamespace;
use crate::verdict;
use rootlock_policy::format::printable;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub root_read_only: bool,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub mounts: Vec<MountReport>,
    pub capabilities: Capabilities,
    pub no_new_privs: bool,
    pub seccomp: SeccompMode,
    /// The sysctl tree can be written through the mount a lookup of
    /// `/proc/sys` reaches (runtimes bind it read-only).
    pub proc_sys_writable: bool,
    pub user_namespace: UserNamespace,
    /// The proc mount point where the node's processes are in view (see
    /// [`crate::node_processes`]), if any.
    pub node_processes: Option<String>,
    /// `/proc/sys/kernel/core_pattern` exists: the sysctl tree is a Linux
    /// kernel's, not a sandbox's emulation (see [`Kernel::core_pattern`]).
    /// Not in the JSON: it only qualifies `procSysWritable`, which the
    /// text explains.
    #[serde(skip)]
    pub node_sysctls: bool,
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MountReport {
    #[serde(skip)]
    pub mount_id: u64,
    pub mount_point: String,
    /// The path inside the filesystem that is mounted (mountinfo field 4).
    #[serde(skip)]
    pub root: String,
    pub fs_type: String,
    pub source: String,
    pub read_only: bool,
    /// No `noexec` on the mount: a program written to it (when it is
    /// writable) can be run from it. Kubernetes mounts every volume
    /// without `noexec`, so a read-only root keeps the image's files
    /// unchanged but does not stop a dropped tool from running from a
    /// writable volume; this says where one can.
    pub executable: bool,
    pub backing: Backing,
    pub system_path: bool,
    /// Another mount lies on top of this one (or of a mount it sits in), so
    /// the process cannot reach it: it does not count, writable or not.
    pub covered: bool,
    /// For a covered mount: what the process still holds in it (`its
    /// working directory`, `descriptor 5`), through which it reaches the
    /// mount all the same (see [`crate::held`]).
    #[serde(rename = "heldBy")]
    pub held: Option<String>,
    /// When this is another mount of the root's own filesystem (same
    /// device) whose tree overlaps the root's: the path, as the root shows
    /// it, of what this mount shows (`/` when it shows all of the root). A
    /// write through it changes the root's files, read-only or not.
    pub root_filesystem_path: Option<String>,
    /// When this mount's tree holds a directory of the node's filesystem
    /// where the kubelet or the container runtime keeps every pod's files
    /// (learnt from the binds of `/etc/hosts`, `/etc/hostname`,
    /// `/etc/resolv.conf`): that directory's path on the node.
    pub node_state_path: Option<String>,
    /// `node_state_path` is a layer of the root's overlay (its upper or a
    /// lower directory on the node), not a directory of every pod's files.
    #[serde(skip)]
    pub root_layer: bool,
    /// When this mount shows a directory of the node's own root filesystem
    /// at or above a system path (a hostPath of the node's `/etc`): that
    /// path (see [`mountinfo::node_system_path`]).
    pub node_system_path: Option<String>,
    /// `None` unless `backing` is pseudo; then what the kernel interface
    /// means for the verdict (a covered one is always `Ignored`).
    pub kernel_interface: Option<KernelInterface>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub effective: Vec<String>,
    /// What the process may make effective at any time with capset(2).
    pub permitted: Vec<String>,
    pub bounding: Vec<String>,
    /// Kept across exec; a program's file-inheritable capabilities (all
    /// of them for root) come from it, beyond the bounding set.
    pub inheritable: Vec<String>,
}

impl Report {
    /// Builds the report and its verdict from what was read.
    pub fn new(
        mounts: &[MountEntry],
        status: &ProcStatus,
        kernel: Kernel,
        probes: Vec<Probe>,
        facts: &RootFacts,
    ) -> Report {
        let root = mountinfo::root_mount(mounts);
        let covered = mountinfo::covered(mounts);
        let node_state = mountinfo::node_state_dirs(mounts);
        // By mount ID, the first thing held there: a process may hold
        // thousands of descriptors, a node's table thousands of mounts.
        let mut held_in: std::collections::HashMap<u64, &str> = std::collections::HashMap::new();
        for h in &facts.held {
            held_in.entry(h.mount_id).or_insert(&h.what);
        }
        let mount_reports: Vec<MountReport> = mounts
            .iter()
            .map(|m| {
                let covered = covered.contains(&m.mount_id);
                // Only a covered mount needs it: the rest is reached anyway.
                let held = held_in
                    .get(&m.mount_id)
                    .filter(|_| covered)
                    .map(|what| what.to_string());
                mount_report(m, covered, held, root, &node_state)
            })
            .collect();
        let reasons = verdict::reasons(root, &mount_reports, status, kernel, &probes, facts);
        let proc_sys_writable = verdict::proc_sys_mount(&mount_reports).is_some();
        Report {
            root_read_only: match root {
                Some(root) => root.read_only(),
                None => facts.read_only == Some(true),
            },
            verdict: if reasons.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            reasons,
            mounts: mount_reports,
            capabilities: Capabilities {
                effective: status.effective.names(),
                permitted: status.permitted.names(),
                bounding: status.bounding.names(),
                inheritable: status.inheritable.names(),
            },
            no_new_privs: status.no_new_privs,
            seccomp: status.seccomp,
            proc_sys_writable,
            user_namespace: kernel.user_namespace,
            node_processes: facts.node_processes.clone(),
            node_sysctls: kernel.core_pattern,
            probes,
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// Human-readable rendering; `who` names the inspected process.
    pub fn to_text(&self, who: &str) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut out, who);
        out
    }

    fn write_text(&self, out: &mut String, who: &str) -> std::fmt::Result {
        writeln!(out, "rootlock verify: {who}")?;
        let root = if self.root_read_only {
            "read-only"
        } else {
            "WRITABLE"
        };
        writeln!(out, "root filesystem: {root}")?;
        let writable: Vec<&MountReport> =
            self.mounts.iter().filter(|m| verdict::matters(m)).collect();
        if writable.is_empty() {
            writeln!(out, "writable mounts: none")?;
        } else {
            writeln!(out, "writable mounts:")?;
            // Mount points and sources are the inspected container's to
            // name (the kernel escapes only space, tab, newline and
            // backslash in mountinfo, and verify unescapes them): each
            // value is shown with its control characters escaped, so a
            // newline cannot start a line of its own (a forged `verdict:`)
            // and an escape sequence cannot drive the terminal.
            let width = writable
                .iter()
                .map(|m| printable(&m.mount_point).chars().count())
                .max()
                .unwrap_or(0);
            for m in &writable {
                let flag = match (m.system_path, m.kernel_interface) {
                    (true, _) => "  SYSTEM PATH",
                    (false, _) if verdict::shows_root_system_path(m) => "  ROOT FILESYSTEM",
                    (false, _) if m.node_state_path.is_some() => "  NODE STATE",
                    (false, _) if m.node_system_path.is_some() => "  NODE SYSTEM PATH",
                    (false, Some(KernelInterface::Fails(_))) => "  NODE KERNEL INTERFACE",
                    (false, _) => "",
                };
                writeln!(
                    out,
                    "  {:width$}  {} from {} ({}{}){flag}",
                    printable(&m.mount_point),
                    printable(&m.fs_type),
                    printable(&m.source),
                    m.backing.as_str(),
                    match (m.backing, m.executable) {
                        // Where no program file can be made, exec is moot.
                        (Backing::Pseudo, _) => "",
                        (_, true) => ", exec",
                        (_, false) => ", noexec",
                    },
                )?;
            }
            if writable
                .iter()
                .any(|m| m.executable && m.backing != Backing::Pseudo)
            {
                // Not a reason to fail: Kubernetes has no way to mount a
                // volume noexec, so nearly every pod would. But a read-only
                // root is often taken to stop dropped tools, and it does not
                // where a writable mount lets them run.
                writeln!(
                    out,
                    "  (exec: a program written there can be run from there; the read-only root keeps the image's files unchanged, it does not stop that)"
                )?;
            }
        }
        let hidden = self.mounts.len() - writable.len();
        writeln!(
            out,
            "  ({hidden} read-only, kernel-interface or covered mounts not shown; --format json lists all)"
        )?;
        let holds = |set: &[String]| set.iter().any(|c| c == "CAP_SYS_ADMIN");
        let sys_admin = if holds(&self.capabilities.effective) {
            "EFFECTIVE"
        } else if holds(&self.capabilities.permitted) {
            "PERMITTED (not effective)"
        } else {
            "not effective"
        };
        writeln!(out, "CAP_SYS_ADMIN: {sys_admin}")?;
        writeln!(
            out,
            "effective capabilities: {}",
            list(&self.capabilities.effective)
        )?;
        writeln!(
            out,
            "permitted capabilities: {}",
            list(&self.capabilities.permitted)
        )?;
        writeln!(
            out,
            "bounding capabilities: {}",
            list(&self.capabilities.bounding)
        )?;
        writeln!(
            out,
            "inheritable capabilities: {}",
            list(&self.capabilities.inheritable)
        )?;
        let nnp = if self.no_new_privs { "on" } else { "off" };
        writeln!(out, "NoNewPrivs: {nnp}, seccomp: {}", self.seccomp.as_str())?;
        let proc_sys = match (
            self.proc_sys_writable,
            self.user_namespace,
            self.node_sysctls,
        ) {
            (false, _, _) => "read-only",
            (true, UserNamespace::Nested, _) => {
                "writable (in a nested user namespace: only the namespace's own sysctls)"
            }
            (true, UserNamespace::Initial, false) => {
                "writable (no kernel/core_pattern: a sandbox's emulated sysctls, as in gVisor)"
            }
            (true, UserNamespace::Initial, true) => "WRITABLE",
        };
        writeln!(
            out,
            "/proc/sys: {proc_sys}, user namespace: {}",
            self.user_namespace.as_str()
        )?;
        if !self.probes.is_empty() {
            writeln!(out, "write probes:")?;
            for p in &self.probes {
                let errno = p.errno.as_deref().unwrap_or("no error");
                writeln!(
                    out,
                    "  {}: {errno}: {}",
                    printable(&p.directory),
                    printable(&p.message)
                )?;
            }
        }
        match self.verdict {
            Verdict::Pass => writeln!(
                out,
                "verdict: PASS (the root filesystem is read-only and nothing found can undo it)"
            ),
            Verdict::Fail => {
                writeln!(out, "verdict: FAIL")?;
                self.reasons
                    .iter()
                    .try_for_each(|r| writeln!(out, "  - {}", printable(r)))
            }
        }
    }
}

fn mount_report(
    m: &MountEntry,
    covered: bool,
    held: Option<String>,
    root: Option<&MountEntry>,
    node_state: &[NodeStateDir],
) -> MountReport {
    let root_filesystem_path = root.and_then(|root| mountinfo::root_filesystem_path(m, root));
    let node_system_path = mountinfo::node_system_path(m, node_state).map(str::to_string);
    let node_state = mountinfo::node_state_path(m, node_state);
    let root_layer = node_state.is_some_and(|d| d.root_layer);
    let node_state_path = node_state.map(|d| d.path.clone());
    // Under /proc or /sys a non-pseudo filesystem is taken for the
    // runtime's mask (a tmpfs on /proc/kcore); one that shows the root
    // filesystem's or the node's pod files is what it shows, wherever it
    // is mounted.
    let backing = if root_filesystem_path.is_some()
        || node_state_path.is_some()
        || node_system_path.is_some()
    {
        classify::backing_of_type(&m.fs_type, &m.source)
    } else {
        classify::backing(&m.fs_type, &m.source, &m.mount_point)
    };
    let kernel_interface = (backing == Backing::Pseudo).then(|| {
        if covered || classify::runtime_device_bind(&m.fs_type, &m.root) {
            KernelInterface::Ignored
        } else {
            // A pseudo backing from the place alone (the runtime's tmpfs at
            // /dev, a masking tmpfs under /proc) is the runtime's own.
            classify::kernel_interface(&m.fs_type, &m.mount_point, m.read_only(), m.nodev())
                .unwrap_or(KernelInterface::Ignored)
        }
    });
    MountReport {
        mount_id: m.mount_id,
        mount_point: m.mount_point.clone(),
        root: m.root.clone(),
        fs_type: m.fs_type.clone(),
        source: m.source.clone(),
        read_only: m.read_only(),
        executable: m.executable(),
        backing,
        system_path: classify::covers_system_path(&m.mount_point),
        covered,
        held,
        root_filesystem_path,
        node_state_path,
        root_layer,
        node_system_path,
        kernel_interface,
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Outcome;
    use crate::root::SystemDir;
    use crate::status::{self, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN, CAP_SYS_MODULE, CapSet};

    const KUBERNETES: &str = include_str!("../tests/data/mountinfo-kubernetes-ro.txt");
    const HOST: &str = include_str!("../tests/data/mountinfo-host.txt");
    const RO_ROOT_TMPFS: &str = include_str!("../tests/data/mountinfo-ro-root-tmpfs.txt");
    /// A namespace of the same host laid out as runc lays out a container:
    /// fresh read-only sysfs and cgroup2, read-only /proc/sys, a tmpfs /dev
    /// (covering the host's devtmpfs) with devpts, shm and mqueue.
    const RUNTIME_LAYOUT: &str = include_str!("../tests/data/mountinfo-ro-root-runtime-layout.txt");
    const STATUS_HOST: &str = include_str!("../tests/data/status-root-host.txt");
    const STATUS_RESTRICTED: &str = include_str!("../tests/data/status-restricted.txt");

    fn report(mountinfo: &str, status: &ProcStatus, probes: Vec<Probe>) -> Report {
        Report::new(
            &mountinfo::parse(mountinfo).unwrap(),
            status,
            Kernel::NODE,
            probes,
            &RootFacts::default(),
        )
    }

    fn restricted() -> ProcStatus {
        status::parse(STATUS_RESTRICTED).unwrap()
    }

    /// The host's root status minus CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH and
    /// CAP_SYS_MODULE everywhere, as under `setpriv --bounding-set
    /// -sys_admin,-dac_read_search,-sys_module` (a runtime grants none of
    /// them by default).
    fn root_without_sys_admin() -> ProcStatus {
        let mut s = status::parse(STATUS_HOST).unwrap();
        let drop = |set: CapSet| {
            CapSet(set.0 & !(1 << CAP_SYS_ADMIN | 1 << CAP_DAC_READ_SEARCH | 1 << CAP_SYS_MODULE))
        };
        s.effective = drop(s.effective);
        s.permitted = drop(s.permitted);
        s.bounding = drop(s.bounding);
        s
    }

    fn probe(directory: &str, outcome: Outcome, errno: Option<&str>) -> Probe {
        Probe {
            directory: directory.into(),
            file: ".rootlock-verify-probe-test".into(),
            outcome,
            errno: errno.map(str::to_string),
            message: format!("{errno:?}"),
        }
    }

    /// A read-only root does not stop a dropped program from running out
    /// of a writable mount without `noexec` (Kubernetes mounts every
    /// volume so): the report says which, without failing for it. The
    /// runtime's /dev/shm is noexec; the emptyDir at /tmp and the NFS
    /// volume are not; a kernel interface gets no flag (no program file
    /// can be made there).
    #[test]
    fn writable_mounts_say_whether_a_program_written_there_can_run() {
        let r = report(KUBERNETES, &restricted(), Vec::new());
        assert!(r.passed());
        let exec = |at: &str| mount_at(&r, at).executable;
        assert!(exec("/tmp") && exec("/data"));
        assert!(!exec("/dev/shm") && !exec("/proc"));
        let text = r.to_text("pid 1");
        let line = |at: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("  {at} ")))
                .unwrap_or_else(|| panic!("{at}: {text}"))
                .to_string()
        };
        assert!(line("/tmp").ends_with("(memory, exec)"), "{text}");
        assert!(line("/dev/shm").ends_with("(memory, noexec)"), "{text}");
        assert!(line("/data").ends_with("(network, exec)"), "{text}");
        assert!(
            text.contains("\n  (exec: a program written there can be run from there;"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        let tmp = json["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPoint"] == "/tmp")
            .unwrap();
        assert_eq!(tmp["executable"], true);

        // Every writable mount noexec: no note.
        let noexec: String = KUBERNETES
            .lines()
            .map(|l| l.replacen(" rw,relatime - ", " rw,noexec,relatime - ", 1) + "\n")
            .collect();
        let text = report(&noexec, &restricted(), Vec::new()).to_text("pid 1");
        assert!(!text.contains("(exec:"), "{text}");
        assert!(!text.contains(", exec)"), "{text}");

        // A writable kernel interface is shown without a flag.
        let privileged = report(HOST, &status::parse(STATUS_HOST).unwrap(), Vec::new());
        let text = privileged.to_text("pid 1");
        assert!(
            text.lines().any(|l| l.starts_with("  /sys ")
                && l.ends_with("sysfs from sysfs (pseudo)  NODE KERNEL INTERFACE")),
            "{text}"
        );
    }

    #[test]
    fn kubernetes_read_only_pod_passes_and_lists_what_is_writable() {
        let r = report(KUBERNETES, &restricted(), Vec::new());
        assert_eq!(r.reasons, Vec::<String>::new());
        assert!(r.passed() && r.root_read_only);
        let writable: Vec<(&str, Backing)> = r
            .mounts
            .iter()
            .filter(|m| verdict::matters(m))
            .map(|m| (m.mount_point.as_str(), m.backing))
            .collect();
        assert_eq!(
            writable,
            [
                ("/tmp", Backing::Memory),
                ("/etc/hosts", Backing::Disk),
                ("/dev/termination-log", Backing::Disk),
                ("/etc/hostname", Backing::Disk),
                ("/etc/resolv.conf", Backing::Disk),
                ("/dev/shm", Backing::Memory),
                ("/data", Backing::Network),
            ]
        );
        let root = &r.mounts[0];
        assert_eq!(
            (root.backing, root.read_only, root.system_path),
            (Backing::Overlay, true, true)
        );
        // /dev is the runtime's tmpfs, /proc/kcore a masking tmpfs: pseudo.
        for pseudo in ["/dev", "/proc/kcore", "/sys/firmware", "/sys/fs/cgroup"] {
            let m = r.mounts.iter().find(|m| m.mount_point == pseudo).unwrap();
            assert_eq!(m.backing, Backing::Pseudo, "{pseudo}");
        }
    }

    /// The restricted status with `cap` effective and permitted.
    fn restricted_holding(cap: u32) -> ProcStatus {
        let mut status = restricted();
        status.effective = CapSet(status.effective.0 | 1 << cap);
        status.permitted = CapSet(status.permitted.0 | 1 << cap);
        status
    }

    /// The reasons of the recorded Kubernetes container's mounts, with
    /// `status` on `kernel`.
    fn judged(status: &ProcStatus, kernel: Kernel) -> Vec<String> {
        Report::new(
            &mountinfo::parse(KUBERNETES).unwrap(),
            status,
            kernel,
            Vec::new(),
            &RootFacts::default(),
        )
        .reasons
    }

    /// A runtime grants no CAP_SYS_MODULE; a pod that adds it can load
    /// kernel code, which undoes the read-only root from below. It counts
    /// only where loading a module is possible.
    #[test]
    fn sys_module_fails_where_the_node_kernel_loads_modules() {
        let with = |set: CapSet| CapSet(set.0 | 1 << CAP_SYS_MODULE);
        assert_eq!(judged(&restricted(), Kernel::NODE), Vec::<String>::new());
        let status = restricted_holding(CAP_SYS_MODULE);
        let reasons = judged(&status, Kernel::NODE);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with(
                "CAP_SYS_MODULE is in the effective capability set, and kernel.modules_disabled \
                 is not 1"
            ),
            "{reasons:?}"
        );
        // Where no module can be loaded: modules disabled, a nested user
        // namespace, a sandbox kernel without the node's sysctl tree.
        for kernel in [
            Kernel {
                modules_disabled: true,
                ..Kernel::NODE
            },
            Kernel {
                user_namespace: UserNamespace::Nested,
                ..Kernel::NODE
            },
            Kernel {
                core_pattern: false,
                ..Kernel::NODE
            },
        ] {
            assert_eq!(judged(&status, kernel), Vec::<String>::new(), "{kernel:?}");
        }
        // Only in the bounding set: exec regains it unless NoNewPrivs.
        let mut bounded = restricted();
        bounded.bounding = with(bounded.bounding);
        bounded.no_new_privs = false;
        assert!(judged(&bounded, Kernel::NODE)[0].contains("is in the bounding set"));
        bounded.no_new_privs = true;
        assert_eq!(judged(&bounded, Kernel::NODE), Vec::<String>::new());
    }

    #[test]
    fn dac_read_search_with_a_writable_disk_mount_fails_as_shocker() {
        let status = restricted_holding(CAP_DAC_READ_SEARCH);
        let reasons = judged(&status, Kernel::NODE);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with(
                "CAP_DAC_READ_SEARCH is in the effective capability set, and /etc/hosts, \
                 /dev/termination-log, /etc/hostname, /etc/resolv.conf are writable on the \
                 node's disk: open_by_handle_at(2)"
            ),
            "{reasons:?}"
        );
        // Only the bounding set, with NoNewPrivs on: exec cannot regain it.
        let mut bounded = restricted();
        bounded.bounding = CapSet(bounded.bounding.0 | 1 << CAP_DAC_READ_SEARCH);
        bounded.no_new_privs = true;
        assert_eq!(judged(&bounded, Kernel::NODE), Vec::<String>::new());
        bounded.no_new_privs = false;
        assert!(judged(&bounded, Kernel::NODE)[0].contains("is in the bounding set"));
        // In a nested user namespace the capability does not reach the
        // node's filesystems' handles.
        let nested = Kernel {
            user_namespace: UserNamespace::Nested,
            ..Kernel::NODE
        };
        assert_eq!(judged(&status, nested), Vec::<String>::new());
    }

    #[test]
    fn shocker_counts_a_writable_disk_mounted_under_sys_or_proc() {
        // The pod without the kubelet's binds from the node's disk, but
        // with a hostPath of another disk mounted under /sys and one under
        // /proc: the place does not make them kernel interfaces, and
        // open_by_handle_at through either reaches every file of its disk.
        let kubernetes: String = KUBERNETES
            .lines()
            .filter(|l| !l.contains(" ext4 /dev/nvme0n1p1 "))
            .map(|l| format!("{l}\n"))
            .collect();
        let text = format!(
            "{kubernetes}1497 1487 259:2 /data /sys/fs/data rw,relatime - xfs /dev/nvme1n1 rw\n\
             1498 1483 259:2 /more /proc/more rw,relatime - xfs /dev/nvme1n1 rw\n"
        );
        let mut status = restricted();
        status.effective = CapSet(status.effective.0 | 1 << CAP_DAC_READ_SEARCH);
        let r = report(&text, &status, Vec::new());
        assert_eq!(r.reasons.len(), 1, "{:?}", r.reasons);
        assert!(
            r.reasons[0].starts_with(
                "CAP_DAC_READ_SEARCH is in the effective capability set, and /sys/fs/data, \
                 /proc/more are writable on the node's disk"
            ),
            "{:?}",
            r.reasons
        );
        // Without the capability they are volumes like any other.
        assert!(report(&text, &restricted(), Vec::new()).passed());
    }

    /// Each reason up to its first `)`: what failed, where and from what,
    /// without the explanation.
    fn heads(r: &Report) -> Vec<&str> {
        r.reasons
            .iter()
            .map(|reason| reason.find(')').map_or(reason.as_str(), |i| &reason[..=i]))
            .collect()
    }

    /// The mount points of the `writable mount at …` reasons, in order.
    fn failing_mount_points(r: &Report) -> Vec<&str> {
        r.reasons
            .iter()
            .filter_map(|reason| reason.strip_prefix("writable mount at "))
            .map(|rest| rest.split_once(' ').map_or(rest, |(at, _)| at))
            .collect()
    }

    fn mount_at<'a>(r: &'a Report, mount_point: &str) -> &'a MountReport {
        r.mounts
            .iter()
            .rev()
            .find(|m| m.mount_point == mount_point)
            .unwrap()
    }

    /// The node's own kernel interfaces, as the host itself and a namespace
    /// unshared from it see them (not a container's).
    const HOST_KERNEL_INTERFACES: [&str; 3] = [
        "writable sysfs at /sys (from sysfs)",
        "devtmpfs at /dev (from devtmpfs, writable)",
        "writable cgroup at /sys/fs/cgroup/cpu, /sys/fs/cgroup/cpuacct, /sys/fs/cgroup/cpuset, \
         /sys/fs/cgroup/memory, /sys/fs/cgroup/devices, /sys/fs/cgroup/freezer, \
         /sys/fs/cgroup/blkio, /sys/fs/cgroup/pids, /sys/fs/cgroup/systemd (from cgroup)",
    ];
    /// The host's proc has no read-only bind at /proc/sys.
    const HOST_PROC_SYS: &str = "/proc/sys is writable (proc at /proc, not bound read-only)";

    /// Thousands of writable sysfs mounts of distinct sources (a node's
    /// table, or one a process with CAP_SYS_ADMIN made): one reason per
    /// source, in mountinfo order, mounts of one source sharing it. A
    /// search of the groups made this quadratic; the time bound is a guard
    /// against that, not a speed target.
    #[test]
    fn many_failing_kernel_interfaces_are_grouped() {
        let text: String = std::iter::once("1 0 8:1 / / ro - ext4 /dev/sda1 ro\n".to_string())
            .chain((2..100_002).map(|i| {
                format!(
                    "{i} 1 0:{} / /s/{i} rw - sysfs src{} rw\n",
                    30 + i / 2,
                    i / 2
                )
            }))
            .collect();
        let mounts = mountinfo::parse(&text).unwrap();
        // No time is asserted (speed is for benchmarks): a return to
        // quadratic shows as a slow test.
        let r = Report::new(
            &mounts,
            &restricted(),
            Kernel::NODE,
            Vec::new(),
            &RootFacts::default(),
        );
        let sysfs: Vec<&String> = r
            .reasons
            .iter()
            .filter(|reason| reason.starts_with("writable sysfs at "))
            .collect();
        // Two mounts of each of 50,000 sources (the kernel allows 100,000 mounts by default).
        assert_eq!(sysfs.len(), 50_000);
        assert!(sysfs[0].starts_with("writable sysfs at /s/2, /s/3 (from src1)"));
        assert!(
            sysfs[49_999].starts_with("writable sysfs at /s/100000, /s/100001 (from src50000)")
        );
    }

    #[test]
    fn host_fails_for_writable_root_kernel_interfaces_and_sys_admin() {
        let r = report(HOST, &status::parse(STATUS_HOST).unwrap(), Vec::new());
        assert!(!r.passed() && !r.root_read_only);
        let [sysfs, devtmpfs, cgroup] = HOST_KERNEL_INTERFACES;
        assert_eq!(
            heads(&r),
            [
                "root filesystem / is writable (ext4 from /dev/vda)",
                sysfs,
                devtmpfs,
                cgroup,
                HOST_PROC_SYS,
                "CAP_SYS_ADMIN is in the effective capability set: `mount -o remount,rw /` would succeed",
                "CAP_SYS_MODULE is in the effective capability set, and kernel.modules_disabled is \
                 not 1: finit_module(2)",
            ]
        );
    }

    #[test]
    fn namespace_of_the_host_fails_for_its_kernel_interfaces() {
        // A read-only root without CAP_SYS_ADMIN, but the host's writable
        // /sys, cgroup v1 hierarchies and devtmpfs /dev are still mounted.
        let r = report(RO_ROOT_TMPFS, &root_without_sys_admin(), Vec::new());
        let [sysfs, devtmpfs, cgroup] = HOST_KERNEL_INTERFACES;
        assert_eq!(heads(&r), [sysfs, cgroup, devtmpfs, HOST_PROC_SYS]);
        assert!(r.proc_sys_writable);
        let scratch = mount_at(&r, "/tmp/with space");
        assert_eq!(
            (scratch.source.as_str(), scratch.backing),
            ("scratch", Backing::Memory)
        );
        // The host's cgroup2 at /sys/fs/cgroup/unified is writable: listed,
        // not a reason. The covered devpts is ignored, the top one too.
        let unified = mount_at(&r, "/sys/fs/cgroup/unified");
        assert_eq!(unified.kernel_interface, Some(KernelInterface::Listed));
        assert!(verdict::matters(unified));
        assert_eq!(
            r.mounts
                .iter()
                .filter(|m| m.mount_point == "/dev/pts")
                .map(|m| m.kernel_interface)
                .collect::<Vec<_>>(),
            [Some(KernelInterface::Ignored); 2]
        );
        // The same mounts with CAP_SYS_ADMIN kept fail for that on top.
        let with = report(
            RO_ROOT_TMPFS,
            &status::parse(STATUS_HOST).unwrap(),
            Vec::new(),
        );
        assert_eq!(with.reasons.len(), 6);
        assert!(with.reasons[4].starts_with("CAP_SYS_ADMIN is in the effective"));
        assert!(with.reasons[5].starts_with("CAP_SYS_MODULE is in the effective"));
    }

    #[test]
    fn runtime_layout_passes_with_the_hosts_devtmpfs_covered() {
        let r = report(RUNTIME_LAYOUT, &root_without_sys_admin(), Vec::new());
        assert_eq!(r.reasons, Vec::<String>::new());
        let pseudo: Vec<(&str, &str, Option<KernelInterface>, bool)> = r
            .mounts
            .iter()
            .filter(|m| m.backing == Backing::Pseudo)
            .map(|m| {
                (
                    m.mount_point.as_str(),
                    m.fs_type.as_str(),
                    m.kernel_interface,
                    m.covered,
                )
            })
            .collect();
        let ignored = Some(KernelInterface::Ignored);
        assert_eq!(
            pseudo,
            [
                ("/proc", "proc", ignored, false),
                // The host's devtmpfs and all in it, under the runtime's tmpfs.
                ("/dev", "devtmpfs", ignored, true),
                ("/dev/pts", "devpts", ignored, true),
                ("/dev/pts", "devpts", ignored, true),
                ("/sys", "sysfs", ignored, false),
                ("/sys/fs/cgroup", "cgroup2", ignored, false),
                ("/proc/sys", "proc", ignored, false),
                ("/dev", "tmpfs", ignored, false),
                ("/dev/pts", "devpts", ignored, false),
                ("/dev/mqueue", "mqueue", ignored, false),
            ]
        );
        // Uncovered, the host's devtmpfs at /dev fails.
        let uncovered: String = RUNTIME_LAYOUT
            .lines()
            .filter(|l| !l.starts_with("49 "))
            .map(|l| format!("{l}\n"))
            .collect();
        let r = report(&uncovered, &root_without_sys_admin(), Vec::new());
        assert_eq!(heads(&r), ["devtmpfs at /dev (from devtmpfs, writable)"]);
    }

    #[test]
    fn privileged_layout_fails_for_writable_sys_and_lists_writable_cgroup2() {
        // The Kubernetes pod with /sys and /sys/fs/cgroup writable, as
        // containerd mounts them for a privileged container.
        let text = KUBERNETES
            .replace(
                "/sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro",
                "/sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw",
            )
            .replace("/sys/fs/cgroup ro,nosuid", "/sys/fs/cgroup rw,nosuid");
        let r = report(&text, &restricted(), Vec::new());
        assert_eq!(
            r.reasons,
            [
                "writable sysfs at /sys (from sysfs): runtimes mount sysfs read-only unless the \
                 container is privileged; writable, it changes the node's kernel and device \
                 settings, and kernel/uevent_helper names a program the kernel runs as root on \
                 the node"
            ]
        );
        let sys = mount_at(&r, "/sys");
        assert_eq!(
            sys.kernel_interface,
            Some(KernelInterface::Fails(classify::Exposure::WritableSysfs))
        );
        let cgroup = mount_at(&r, "/sys/fs/cgroup");
        assert_eq!(cgroup.kernel_interface, Some(KernelInterface::Listed));
        let text = r.to_text("pid 1");
        assert!(
            text.lines().any(|l| l.starts_with("  /sys ")
                && l.ends_with("(pseudo)  NODE KERNEL INTERFACE")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /sys/fs/cgroup ") && l.ends_with("(pseudo)")),
            "{text}"
        );
        // Read-only again (the unprivileged pod), neither is listed.
        let r = report(KUBERNETES, &restricted(), Vec::new());
        assert!(!r.to_text("pid 1").contains("(pseudo)"));
    }

    #[test]
    fn node_kernel_interfaces_mounted_in_a_pod_fail_naming_mount_type_and_source() {
        // hostPath volumes (kubelet bind-mounts them rw or ro, never nodev)
        // and a covered one.
        let text = format!(
            "{KUBERNETES}\
             1700 1482 0:6 / /host-dev rw,relatime - devtmpfs udev rw,size=12334492k,mode=755\n\
             1701 1482 0:6 / /host-dev-ro ro,relatime - devtmpfs udev rw,size=12334492k,mode=755\n\
             1702 1482 0:6 / /host-dev-nodev ro,nodev,relatime - devtmpfs udev rw,mode=755\n\
             1703 1482 0:21 / /host/proc rw,relatime - proc proc rw\n\
             1704 1482 0:22 / /host/sys ro,relatime - sysfs sysfs rw\n\
             1705 1487 0:7 / /sys/kernel/debug rw,relatime - debugfs debugfs rw\n\
             1706 1482 0:29 / /host/cgroup rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n\
             1707 1482 0:4 net:[4026531840] /run/netns/host rw - nsfs nsfs rw\n\
             1708 1484 0:24 / /dev/pts2 rw,relatime - devpts devpts rw,mode=600\n\
             1709 1482 0:30 / /covered rw,relatime - configfs configfs rw\n\
             1710 1709 0:31 / /covered ro,relatime - tmpfs cover ro\n"
        );
        let r = report(&text, &restricted(), Vec::new());
        assert_eq!(
            r.reasons,
            [
                "devtmpfs at /host-dev (from udev, writable) is the node's device tree, which \
                 runtimes never mount (they build /dev as a tmpfs): the process can replace the \
                 node's device nodes and open its disks, and with them the image layers, for \
                 writing; only the device cgroup (not read by verify) may refuse that",
                "devtmpfs at /host-dev-ro (from udev, read-only but not nodev) is the node's \
                 device tree, which runtimes never mount (they build /dev as a tmpfs): a \
                 read-only mount does not stop writes through device nodes, so the process can \
                 open the node's disks, and with them the image layers, for writing; only the \
                 device cgroup (not read by verify) may refuse that",
                "writable proc at /host/proc (from proc) is outside /proc, where the runtime \
                 mounts proc: it is the node's kernel interface (a hostPath) or another \
                 namespace's, and writing it changes the node; it lacks the runtime's read-only \
                 /proc/sys, and sys/kernel/core_pattern names a program the kernel runs as root \
                 on the node",
                "writable debugfs at /sys/kernel/debug (from debugfs): container runtimes never \
                 mount debugfs; it is the node's kernel interface, and writing it changes kernel \
                 state of the whole node",
                "writable cgroup2 at /host/cgroup (from cgroup2) is outside /sys/fs/cgroup, where \
                 the runtime mounts cgroup2: it is the node's kernel interface (a hostPath) or \
                 another namespace's, and writing it changes the node",
            ]
        );
        let effect = |at: &str| {
            mount_at(&r, at)
                .kernel_interface
                .map(KernelInterface::as_str)
        };
        assert_eq!(
            effect("/host-dev-nodev"),
            Some("ignored"),
            "read-only and nodev"
        );
        assert_eq!(effect("/host/sys"), Some("ignored"), "read-only");
        assert_eq!(effect("/run/netns/host"), Some("ignored"), "nsfs");
        assert_eq!(effect("/dev/pts2"), Some("ignored"), "devpts below /dev");
        assert_eq!(effect("/covered"), None, "the tmpfs on top is memory");
        let configfs = r.mounts.iter().find(|m| m.fs_type == "configfs").unwrap();
        assert_eq!(
            (configfs.covered, configfs.kernel_interface),
            (true, Some(KernelInterface::Ignored))
        );
        assert_eq!(effect("/host-dev"), Some("fails"));
        assert_eq!(effect("/tmp"), None, "not a kernel interface");
    }

    #[test]
    fn one_reason_for_one_kernel_interface_at_several_places() {
        let text = format!(
            "{KUBERNETES}\
             1700 1482 0:6 / /a rw - devtmpfs udev rw\n\
             1701 1482 0:9 / /b rw - devtmpfs other rw\n\
             1702 1482 0:6 / /c rw - devtmpfs udev rw\n\
             1703 1482 0:6 / /d ro - devtmpfs udev rw\n"
        );
        let r = report(&text, &restricted(), Vec::new());
        assert_eq!(
            heads(&r),
            [
                "devtmpfs at /a, /c (from udev, writable)",
                "devtmpfs at /b (from other, writable)",
                "devtmpfs at /d (from udev, read-only but not nodev)",
            ]
        );
    }

    #[test]
    fn sys_admin_in_bounding_set_fails_unless_no_new_privs() {
        let mut s = restricted();
        s.bounding = CapSet(s.bounding.0 | 1 << CAP_SYS_ADMIN);
        s.no_new_privs = false;
        let r = report(KUBERNETES, &s, Vec::new());
        assert_eq!(r.reasons.len(), 1);
        assert!(r.reasons[0].starts_with("CAP_SYS_ADMIN is in the bounding set"));
        s.no_new_privs = true;
        assert!(report(KUBERNETES, &s, Vec::new()).passed());
    }

    #[test]
    fn sys_admin_in_inheritable_set_fails_unless_no_new_privs() {
        // Dropped from the bounding set but still inheritable: exec keeps
        // the inheritable set, and a program with cap_sys_admin in its file
        // inheritable set (or any program run as root) gets it back; the
        // kernel does not mask that path with the bounding set.
        let mut s = restricted();
        s.inheritable = CapSet(1 << CAP_SYS_ADMIN);
        s.no_new_privs = false;
        assert!(!s.bounding.has(CAP_SYS_ADMIN));
        let r = report(KUBERNETES, &s, Vec::new());
        assert_eq!(r.reasons.len(), 1, "{:?}", r.reasons);
        assert!(
            r.reasons[0]
                .starts_with("CAP_SYS_ADMIN is in the inheritable set and NoNewPrivs is off"),
            "{:?}",
            r.reasons
        );
        assert_eq!(r.capabilities.inheritable, ["CAP_SYS_ADMIN"]);
        let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        assert_eq!(json["capabilities"]["inheritable"][0], "CAP_SYS_ADMIN");
        assert!(
            r.to_text("pid 1")
                .contains("\ninheritable capabilities: CAP_SYS_ADMIN\n")
        );
        s.no_new_privs = true;
        assert!(report(KUBERNETES, &s, Vec::new()).passed());
    }

    #[test]
    fn sys_admin_in_permitted_set_fails_even_with_no_new_privs() {
        // Not effective, but permitted: capset(2) makes it effective at
        // will, no exec and no privilege gain that NoNewPrivs could stop.
        let mut s = restricted();
        s.permitted = CapSet(s.permitted.0 | 1 << CAP_SYS_ADMIN);
        s.bounding = CapSet(s.bounding.0 | 1 << CAP_SYS_ADMIN);
        assert!(s.no_new_privs && !s.effective.has(CAP_SYS_ADMIN));
        let r = report(KUBERNETES, &s, Vec::new());
        assert_eq!(
            r.reasons,
            [
                "CAP_SYS_ADMIN is in the permitted capability set: the process can make it \
                 effective with capset(2), without exec, and then `mount -o remount,rw /` \
                 would succeed"
            ]
        );
        assert!(
            r.capabilities
                .permitted
                .iter()
                .any(|c| c == "CAP_SYS_ADMIN")
        );
        let text = r.to_text("pid 1");
        assert!(
            text.contains("\nCAP_SYS_ADMIN: PERMITTED (not effective)\n"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("permitted capabilities: ") && l.contains("CAP_SYS_ADMIN")),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        let permitted = json["capabilities"]["permitted"].as_array().unwrap();
        assert!(permitted.iter().any(|c| c == "CAP_SYS_ADMIN"), "{json}");
    }

    #[test]
    fn ptrace_with_the_nodes_processes_in_view_fails_in_the_nodes_user_namespace() {
        let facts = RootFacts {
            node_processes: Some("/proc".to_string()),
            ..RootFacts::default()
        };
        let judge = |status: &ProcStatus, kernel: Kernel, facts: &RootFacts| {
            Report::new(
                &mountinfo::parse(RUNTIME_LAYOUT).unwrap(),
                status,
                kernel,
                Vec::new(),
                facts,
            )
            .reasons
        };
        let with_ptrace = root_without_sys_admin();
        assert!(with_ptrace.effective.has(status::CAP_SYS_PTRACE));
        let reasons = judge(&with_ptrace, Kernel::NODE, &facts);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with(
                "CAP_SYS_PTRACE is in the effective capability set, and /proc shows the node's \
                 processes"
            ),
            "{reasons:?}"
        );
        // No node processes in view, a nested user namespace, or no
        // CAP_SYS_PTRACE: nothing to say.
        assert!(judge(&with_ptrace, Kernel::NODE, &RootFacts::default()).is_empty());
        let nested = Kernel {
            user_namespace: UserNamespace::Nested,
            ..Kernel::NODE
        };
        assert!(judge(&with_ptrace, nested, &facts).is_empty());
        assert!(judge(&restricted(), Kernel::NODE, &facts).is_empty());
    }

    #[test]
    fn many_held_descriptors_on_a_large_table_are_judged() {
        // 50,000 mounts, a directory descriptor held in each: every pair
        // compared was 2.5 billion comparisons.
        let text: String = std::iter::once("1 0 8:1 / / ro - ext4 /dev/sda1 ro\n".to_string())
            .chain((2..50_002).map(|i| format!("{i} 1 0:{i} / /m/{i} rw - tmpfs t rw\n")))
            .collect();
        let held = (2..50_002)
            .map(|i| crate::held::Held {
                what: format!("descriptor {i}"),
                mount_id: i,
                directory: true,
            })
            .collect();
        let facts = RootFacts {
            root_mount_id: Some(1),
            held,
            ..RootFacts::default()
        };
        let mounts = mountinfo::parse(&text).unwrap();
        // Matched by hash (every pair compared took 15 s in a debug build);
        // no time is asserted, as speed is for benchmarks.
        let r = Report::new(&mounts, &restricted(), Kernel::NODE, Vec::new(), &facts);
        assert_eq!(r.reasons, Vec::<String>::new());
    }

    #[test]
    fn a_directory_held_on_a_mount_outside_the_view_fails() {
        use crate::held::Held;
        let held = |mount_id, directory| Held {
            what: "descriptor 7".to_string(),
            mount_id,
            directory,
        };
        let judge = |held: Vec<Held>, root_mount_id| {
            Report::new(
                &mountinfo::parse(RUNTIME_LAYOUT).unwrap(),
                &root_without_sys_admin(),
                Kernel::NODE,
                Vec::new(),
                &RootFacts {
                    root_mount_id,
                    held,
                    ..RootFacts::default()
                },
            )
            .reasons
        };
        // Mount 9999 is in no line of the sample: outside the root.
        let reasons = judge(vec![held(9999, true)], None);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0]
                .starts_with("the process holds descriptor 7 outside its root (on mount 9999"),
            "{reasons:?}"
        );
        // A file there reaches only itself; the root's own mount, even
        // when mountinfo leaves it out (a chroot), is inside.
        assert!(judge(vec![held(9999, false)], None).is_empty());
        assert!(judge(vec![held(9999, true)], Some(9999)).is_empty());
    }

    #[test]
    fn system_paths_leading_into_a_writable_mount_fail() {
        // The root's /etc and /usr/lib are symlinks into the writable /tmp
        // (53); /bin is the read-only root's own (43), /sbin leads into the
        // read-only /sys (46): only the first two count, in one reason.
        let dirs = |pairs: &[(&str, u64)]| RootFacts {
            unopened: None,
            system_dirs: pairs
                .iter()
                .map(|(path, mount_id)| SystemDir {
                    path: (*path).to_string(),
                    mount_id: *mount_id,
                })
                .collect(),
            read_only: None,
            magic_linked: Vec::new(),
            runtime_sockets: Vec::new(),
            node_processes: None,
            disk_nodes: Vec::new(),
            root_mount_id: None,
            held: Vec::new(),
        };
        let r = Report::new(
            &mountinfo::parse(RUNTIME_LAYOUT).unwrap(),
            &root_without_sys_admin(),
            Kernel::NODE,
            Vec::new(),
            &dirs(&[("/bin", 43), ("/etc", 53), ("/sbin", 46), ("/usr/lib", 53)]),
        );
        assert_eq!(
            r.reasons,
            [
                "system paths /etc, /usr/lib lead, through a symlink, into writable mount at \
                 /tmp (tmpfs from tmpfs, memory): its files can be written there"
            ]
        );
        let none = Report::new(
            &mountinfo::parse(RUNTIME_LAYOUT).unwrap(),
            &root_without_sys_admin(),
            Kernel::NODE,
            Vec::new(),
            &dirs(&[("/bin", 43), ("/sbin", 46)]),
        );
        assert!(none.passed(), "{:?}", none.reasons);
        // A writable volume mounted under /sys is files, not a kernel
        // interface, though its place makes it `pseudo`: /etc leading into
        // it is as writable as /etc leading into /tmp.
        let under_sys = format!("{RUNTIME_LAYOUT}90 46 0:99 / /sys/appcfg rw - tmpfs appcfg rw\n");
        let r = Report::new(
            &mountinfo::parse(&under_sys).unwrap(),
            &root_without_sys_admin(),
            Kernel::NODE,
            Vec::new(),
            &dirs(&[("/bin", 43), ("/etc", 90)]),
        );
        assert_eq!(
            r.reasons,
            [
                "system path /etc leads, through a symlink, into writable mount at /sys/appcfg \
                 (tmpfs from appcfg, memory): its files can be written there"
            ]
        );
    }

    #[test]
    fn a_root_missing_from_mountinfo_is_judged_by_statfs() {
        // A chrooted process's view: the mount holding its root directory
        // has its mount point outside the root, so no `/` line.
        let chroot = "64 63 0:40 / /proc ro,relatime - proc proc rw\n";
        let with = |read_only| {
            Report::new(
                &mountinfo::parse(chroot).unwrap(),
                &restricted(),
                Kernel::NODE,
                Vec::new(),
                &RootFacts {
                    unopened: None,
                    system_dirs: Vec::new(),
                    read_only,
                    magic_linked: Vec::new(),
                    runtime_sockets: Vec::new(),
                    node_processes: None,
                    disk_nodes: Vec::new(),
                    root_mount_id: None,
                    held: Vec::new(),
                },
            )
        };
        let ro = with(Some(true));
        assert!(ro.passed(), "{:?}", ro.reasons);
        assert!(ro.root_read_only);
        let rw = with(Some(false));
        assert!(!rw.root_read_only);
        assert_eq!(
            heads(&rw),
            [
                "root filesystem / is writable (a directory inside a mount that mountinfo does not show, as in a chroot: statfs(2)"
            ]
        );
        let unknown = with(None);
        assert!(!unknown.root_read_only);
        assert_eq!(
            heads(&unknown),
            [
                "no mount for / in mountinfo (the root is a directory inside a mount the process cannot see, as in a chroot)"
            ]
        );
    }

    #[test]
    fn a_writable_alias_of_the_root_under_sys_is_no_kernel_interface() {
        // Mounted under /sys, so classified pseudo by its place, but it is
        // the root's own disk: every file of the root is written through it.
        let text = format!(
            "{RUNTIME_LAYOUT}90 46 254:0 / /sys/host-root rw,relatime - ext4 /dev/vda rw\n"
        );
        let r = report(&text, &root_without_sys_admin(), Vec::new());
        assert_eq!(
            heads(&r),
            [
                "writable mount at /sys/host-root shows / of the root filesystem (ext4 from /dev/vda, device 254:0)"
            ]
        );
        assert!(
            r.to_text("pid 1")
                .lines()
                .any(|l| l.starts_with("  /sys/host-root ") && l.ends_with("  ROOT FILESYSTEM")),
            "{}",
            r.to_text("pid 1")
        );
    }

    #[test]
    fn writable_system_mount_is_named() {
        let text = format!(
            "{KUBERNETES}1600 1482 259:1 /etc /etc rw - ext4 /dev/nvme0n1p1 rw\n\
             1601 1482 259:1 /usr /usr rw - ext4 /dev/nvme0n1p1 ro\n"
        );
        let r = report(&text, &restricted(), Vec::new());
        assert_eq!(
            r.reasons,
            [
                "writable mount at /etc is at or above a system path (ext4 from /dev/nvme0n1p1, disk)"
            ]
        );
    }

    #[test]
    fn writable_mount_of_the_root_filesystem_itself_fails() {
        // The root is a read-only bind of /dev/vda (254:0) at its "/". Other
        // binds of the same filesystem show parts of the very same files.
        let text = format!(
            "{RUNTIME_LAYOUT}\
             90 53 254:0 / /tmp/host-root rw,relatime - ext4 /dev/vda rw\n\
             91 43 254:0 /etc /mnt/etc rw,relatime - ext4 /dev/vda rw\n\
             92 43 254:0 /var/cache /cache rw,relatime - ext4 /dev/vda rw\n\
             93 43 254:0 /etc /etc2 ro,relatime - ext4 /dev/vda rw\n\
             94 43 254:16 /etc /other rw,relatime - ext4 /dev/vdb rw\n\
             95 43 254:0 /usr/share /share rw,relatime - ext4 /dev/vda rw\n"
        );
        let r = report(&text, &root_without_sys_admin(), Vec::new());
        assert_eq!(
            r.reasons,
            [
                "writable mount at /tmp/host-root shows / of the root filesystem (ext4 from \
                 /dev/vda, device 254:0): every file of the root filesystem can be written \
                 through it",
                "writable mount at /mnt/etc shows /etc of the root filesystem (ext4 from \
                 /dev/vda, device 254:0), at or above a system path: its files can be written \
                 through it",
                "writable mount at /share shows /usr/share of the root filesystem (ext4 from \
                 /dev/vda, device 254:0), inside a system path: its files can be written \
                 through it",
            ]
        );
        let shows = |at: &str| mount_at(&r, at).root_filesystem_path.as_deref();
        assert_eq!(shows("/tmp/host-root"), Some("/"));
        assert_eq!(shows("/mnt/etc"), Some("/etc"));
        assert_eq!(
            shows("/cache"),
            Some("/var/cache"),
            "listed, not a system path"
        );
        assert_eq!(shows("/etc2"), Some("/etc"), "read-only: does not count");
        assert_eq!(shows("/other"), None, "another filesystem");
        assert_eq!(shows("/"), None, "the root itself");
        let text = r.to_text("pid 1");
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /mnt/etc ")
                    && l.ends_with("(disk, exec)  ROOT FILESYSTEM")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /cache ") && l.ends_with("(disk, exec)")),
            "{text}"
        );
    }

    /// A hostPath of a layer of the root's overlay (its upperdir, or part
    /// of a lowerdir: the image's `/usr`), on the disk the runtime's binds
    /// come from: writable, the read-only root's files change through it.
    /// Another snapshot (not this root's) is not one; read-only, listed.
    #[test]
    fn writable_mount_of_a_root_overlay_layer_fails() {
        let snapshots = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";
        let text = format!(
            "{KUBERNETES}\
             1610 1482 259:1 {snapshots}/2305/fs /layer rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1611 1482 259:1 {snapshots}/2210/fs/usr /image-usr rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1612 1482 259:1 {snapshots}/2305 /snapshot rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1613 1482 259:1 {snapshots}/9999/fs /other rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1614 1482 259:1 {snapshots}/2211/fs /ro-layer ro,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1615 1482 259:17 {snapshots}/2305/fs /other-disk rw,relatime - ext4 /dev/nvme1n1 rw\n"
        );
        let r = report(&text, &restricted(), Vec::new());
        let shows = |at: &str| mount_at(&r, at).node_state_path.clone();
        let upper = format!("{snapshots}/2305/fs");
        assert_eq!(shows("/layer"), Some(upper.clone()));
        assert_eq!(shows("/image-usr"), Some(format!("{snapshots}/2210/fs")));
        assert_eq!(shows("/snapshot"), Some(upper));
        assert_eq!(shows("/other"), None, "not this root's layer");
        assert_eq!(shows("/ro-layer"), Some(format!("{snapshots}/2211/fs")));
        assert_eq!(shows("/other-disk"), None, "another filesystem");
        let failing = failing_mount_points(&r);
        assert_eq!(failing, ["/layer", "/image-usr", "/snapshot"]);
        assert!(
            r.reasons[0].contains("a layer of this container's root overlay"),
            "{:?}",
            r.reasons
        );
    }

    #[test]
    fn writable_mount_of_the_nodes_pod_state_fails() {
        // The kubelet's and containerd's binds show where each keeps every
        // pod's files on the node's disk (259:1): /var/lib/kubelet/pods and
        // containerd's sandboxes directory.
        let text = format!(
            "{KUBERNETES}\
             1600 1482 259:1 / /host rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1601 1482 259:1 /var/lib/containerd /containerd rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1602 1482 259:1 /var/lib/kubelet/pods/5b0c1e9a-4f5e-4c0e-9a43-8a8f7d9b1c2e/volumes/kubernetes.io~empty-dir/cache /cache rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1603 1482 259:1 /var/lib/kubelet/pods/5b0c1e9a-4f5e-4c0e-9a43-8a8f7d9b1c2e /own-pod rw,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1604 1482 259:1 /var/lib /ro-host ro,relatime - ext4 /dev/nvme0n1p1 rw\n\
             1605 1482 259:17 / /other-disk rw,relatime - ext4 /dev/nvme1n1 rw\n"
        );
        let r = report(&text, &restricted(), Vec::new());
        let shows = |at: &str| mount_at(&r, at).node_state_path.as_deref();
        assert_eq!(shows("/host"), Some("/var/lib/kubelet/pods"));
        assert_eq!(
            shows("/containerd"),
            Some("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes")
        );
        assert_eq!(
            shows("/cache"),
            None,
            "an emptyDir inside one pod's directory"
        );
        assert_eq!(shows("/own-pod"), None, "this pod's own directory only");
        assert_eq!(shows("/ro-host"), Some("/var/lib/kubelet/pods"));
        assert_eq!(shows("/other-disk"), None, "another filesystem");
        assert_eq!(shows("/etc/hosts"), None, "the bind of the file itself");
        let failing = failing_mount_points(&r);
        // Read-only, the view of the node is listed, not failed.
        assert_eq!(failing, ["/host", "/containerd"]);
        assert!(
            r.reasons[0].starts_with(
                "writable mount at /host shows /var/lib/kubelet/pods of the node's filesystem \
                 (ext4 from /dev/nvme0n1p1), where the kubelet or the container runtime keeps \
                 every pod's files"
            ),
            "{:?}",
            r.reasons
        );
        let text = r.to_text("pid 1");
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /host ") && l.ends_with("(disk, exec)  NODE STATE")),
            "{text}"
        );
        // The same mounts without the runtime's binds reveal nothing.
        let host = "1600 1482 259:1 / /host rw,relatime - ext4 /dev/nvme0n1p1 rw";
        let bare: String = KUBERNETES
            .lines()
            .chain([host])
            .filter(|l| {
                let point = l.split(' ').nth(4).unwrap_or("");
                !["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"].contains(&point)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let r = report(&bare, &restricted(), Vec::new());
        assert_eq!(mount_at(&r, "/host").node_state_path, None);
        assert!(r.reasons.is_empty(), "{:?}", r.reasons);
    }

    #[test]
    fn root_filesystem_paths_follow_the_roots_own_subtree() {
        // A chroot-like root: the bind of /srv/r of the disk. Mounts of the
        // disk outside /srv/r share nothing with it; one of /srv shows all.
        let text = "43 42 254:0 /srv/r / ro,relatime - ext4 /dev/vda rw\n\
             50 43 254:0 /srv/rx /a rw - ext4 /dev/vda rw\n\
             51 43 254:0 /srv/r/usr/lib /b rw - ext4 /dev/vda rw\n\
             52 43 254:0 /srv /c rw - ext4 /dev/vda rw\n\
             53 43 254:0 /var/lib/kubelet/pods/x/etc-hosts /etc/hosts rw - ext4 /dev/vda rw\n";
        let r = report(text, &root_without_sys_admin(), Vec::new());
        let shows = |at: &str| mount_at(&r, at).root_filesystem_path.as_deref();
        assert_eq!(shows("/a"), None);
        assert_eq!(shows("/b"), Some("/usr/lib"));
        assert_eq!(shows("/c"), Some("/"));
        assert_eq!(shows("/etc/hosts"), None);
        assert_eq!(
            heads(&r),
            [
                "writable mount at /b shows /usr/lib of the root filesystem (ext4 from /dev/vda, \
                 device 254:0)",
                "writable mount at /c shows / of the root filesystem (ext4 from /dev/vda, device \
                 254:0)",
            ]
        );
    }

    #[test]
    fn probes_erofs_and_denied_pass_created_and_errors_fail() {
        let refused = vec![
            probe("/", Outcome::ReadOnly, Some("EROFS")),
            probe("/etc", Outcome::Denied, Some("EACCES")),
        ];
        assert!(report(KUBERNETES, &restricted(), refused).passed());
        let bad = vec![
            probe("/", Outcome::Created, None),
            probe("/etc", Outcome::Error, Some("ENOSPC")),
        ];
        let r = report(KUBERNETES, &restricted(), bad);
        assert_eq!(
            r.reasons,
            [
                "write probe created a file in /: it is writable",
                "write probe in /etc was inconclusive: Some(\"ENOSPC\")",
            ]
        );
    }

    /// RUNTIME_LAYOUT with its line for mount 48 (the read-only bind of
    /// /proc/sys) replaced by `line`, or dropped.
    fn runtime_layout_with_proc_sys(line: Option<&str>) -> String {
        RUNTIME_LAYOUT
            .lines()
            .filter_map(|l| if l.starts_with("48 ") { line } else { Some(l) })
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn a_writable_proc_bind_below_the_read_only_proc_sys_fails() {
        // The runtime's read-only /proc/sys (48), and a writable bind of
        // proc's sys/kernel on top of part of it: core_pattern is written
        // through the bind.
        let layout = format!(
            "{RUNTIME_LAYOUT}90 48 0:21 /sys/kernel /proc/sys/kernel rw,relatime - proc proc rw\n"
        );
        let r = report(&layout, &root_without_sys_admin(), Vec::new());
        assert_eq!(
            heads(&r),
            ["/proc/sys is writable (proc at /proc/sys/kernel, mounted writable)"]
        );
        assert!(r.proc_sys_writable);
        // core_pattern itself bound read-only again on top: nothing of it is
        // reached through the writable bind.
        let rebound = format!(
            "{layout}91 90 0:21 /sys/kernel/core_pattern /proc/sys/kernel/core_pattern ro,relatime - proc proc rw\n"
        );
        let r = report(&rebound, &root_without_sys_admin(), Vec::new());
        assert!(r.passed(), "{:?}", r.reasons);
        assert!(!r.proc_sys_writable);
        // A writable bind of another part (net) does not reach core_pattern.
        let net = format!(
            "{RUNTIME_LAYOUT}90 48 0:21 /sys/net /proc/sys/net rw,relatime - proc proc rw\n"
        );
        let r = report(&net, &root_without_sys_admin(), Vec::new());
        assert!(r.passed(), "{:?}", r.reasons);
    }

    #[test]
    fn writable_proc_sys_fails_in_the_nodes_user_namespace_only() {
        let unbound = runtime_layout_with_proc_sys(None);
        let r = report(&unbound, &root_without_sys_admin(), Vec::new());
        assert_eq!(heads(&r), [HOST_PROC_SYS]);
        assert!(
            r.reasons[0].contains("kernel/core_pattern"),
            "{:?}",
            r.reasons
        );
        assert!(r.proc_sys_writable);
        assert!(
            r.to_text("pid 1")
                .contains("\n/proc/sys: WRITABLE, user namespace: initial\n")
        );
        // Bound at /proc/sys but writable: privileged, or systempaths=unconfined.
        let rw_bind = runtime_layout_with_proc_sys(Some(
            "48 45 0:21 /sys /proc/sys rw,relatime - proc proc rw",
        ));
        let r = report(&rw_bind, &root_without_sys_admin(), Vec::new());
        assert_eq!(
            heads(&r),
            ["/proc/sys is writable (proc at /proc/sys, mounted writable)"]
        );
        // In a nested user namespace (hostUsers: false) root is not the
        // node's root: sysctls of the node refuse it. Listed, not failed.
        let elsewhere = |kernel| {
            Report::new(
                &mountinfo::parse(&unbound).unwrap(),
                &root_without_sys_admin(),
                kernel,
                Vec::new(),
                &RootFacts::default(),
            )
        };
        let nested = elsewhere(Kernel {
            user_namespace: UserNamespace::Nested,
            ..Kernel::NODE
        });
        assert_eq!(nested.reasons, Vec::<String>::new());
        assert!(nested.proc_sys_writable);
        assert!(
            nested
                .to_text("pid 1")
                .contains("/proc/sys: writable (in a nested user namespace")
        );
        // gVisor emulates a few sysctls of its own and no core_pattern; it
        // ignores the runtime's read-only binds.
        let sandbox = elsewhere(Kernel {
            core_pattern: false,
            ..Kernel::NODE
        });
        assert_eq!(sandbox.reasons, Vec::<String>::new());
        assert!(
            sandbox
                .to_text("pid 1")
                .contains("/proc/sys: writable (no kernel/core_pattern")
        );
        // Masked by a tmpfs, or a writable proc covered by a read-only
        // bind on top of it: nothing reaches a writable sysctl tree.
        for top in [
            "48 45 0:43 / /proc/sys ro,relatime - tmpfs tmpfs ro",
            "48 45 0:21 /sys /proc/sys rw,relatime - proc proc rw\n\
             54 48 0:21 /sys /proc/sys ro,relatime - proc proc rw",
        ] {
            let r = report(
                &runtime_layout_with_proc_sys(Some(top)),
                &root_without_sys_admin(),
                Vec::new(),
            );
            assert_eq!(r.reasons, Vec::<String>::new(), "{top}");
            assert!(!r.proc_sys_writable, "{top}");
        }
    }

    #[test]
    fn missing_root_mount_fails() {
        let r = report(
            "45 43 0:21 / /proc rw - proc proc rw\n",
            &restricted(),
            Vec::new(),
        );
        assert!(!r.root_read_only);
        assert!(r.reasons[0].starts_with("no mount for / in mountinfo"));
    }

    #[test]
    fn json_shape_is_stable() {
        let r = report(
            KUBERNETES,
            &restricted(),
            vec![probe("/", Outcome::ReadOnly, Some("EROFS"))],
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&json),
            [
                "capabilities",
                "mounts",
                "noNewPrivs",
                "nodeProcesses",
                "probes",
                "procSysWritable",
                "reasons",
                "rootReadOnly",
                "seccomp",
                "userNamespace",
                "verdict"
            ]
        );
        assert_eq!(
            keys(&json["mounts"][0]),
            [
                "backing",
                "covered",
                "executable",
                "fsType",
                "heldBy",
                "kernelInterface",
                "mountPoint",
                "nodeStatePath",
                "nodeSystemPath",
                "readOnly",
                "rootFilesystemPath",
                "source",
                "systemPath"
            ]
        );
        assert_eq!(
            keys(&json["capabilities"]),
            ["bounding", "effective", "inheritable", "permitted"]
        );
        assert_eq!(
            keys(&json["probes"][0]),
            ["directory", "errno", "file", "message", "outcome"]
        );
        assert_eq!(json["verdict"], "pass");
        assert_eq!(json["seccomp"], "filter");
        assert_eq!(json["noNewPrivs"], true);
        assert_eq!(json["procSysWritable"], false);
        assert_eq!(json["userNamespace"], "initial");
        assert_eq!(json["nodeProcesses"], serde_json::Value::Null);
        assert_eq!(json["mounts"][0]["nodeSystemPath"], serde_json::Value::Null);
        assert_eq!(json["mounts"][0]["heldBy"], serde_json::Value::Null);
        assert_eq!(json["mounts"][0]["backing"], "overlay");
        assert_eq!(json["mounts"][0]["mountPoint"], "/");
        assert_eq!(
            json["mounts"][0]["kernelInterface"],
            serde_json::Value::Null
        );
        assert_eq!(json["mounts"][1]["mountPoint"], "/proc");
        assert_eq!(json["mounts"][1]["kernelInterface"], "ignored");
        assert_eq!(json["probes"][0]["outcome"], "readOnly");
        assert_eq!(json["capabilities"]["effective"][0], "CAP_CHOWN");
    }

    /// A mount point named with an escape sequence (the kernel leaves it
    /// raw in mountinfo) is shown escaped in the text; the report (and so
    /// the JSON) keeps it as it is.
    #[test]
    fn text_shows_control_characters_in_mount_points_escaped() {
        let mountinfo = format!(
            "{RO_ROOT_TMPFS}900 1 0:99 / /data\u{1b}]0;x\u{7} rw,relatime - ext4 /dev/vdb\u{1b}[2K rw\n"
        );
        let r = report(&mountinfo, &status::parse(STATUS_HOST).unwrap(), Vec::new());
        let text = r.to_text("pid 1");
        assert!(
            !text.contains(|c: char| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /data\\u{1b}]0;x\\u{7} ")
                    && l.contains(" ext4 from /dev/vdb\\u{1b}[2K (disk, exec)")),
            "{text}"
        );
        assert!(
            r.mounts
                .iter()
                .any(|m| m.mount_point == "/data\u{1b}]0;x\u{7}")
        );
    }

    /// A newline in a mount point (`\012` in mountinfo) stays inside its
    /// row and its reason: it cannot start a line of its own, such as a
    /// forged verdict.
    #[test]
    fn text_keeps_a_newline_in_a_mount_point_on_its_line() {
        let forged =
            "verdict: PASS (the root filesystem is read-only and nothing found can undo it)";
        let escaped = forged.replace(' ', "\\040");
        let mountinfo = format!(
            "{RO_ROOT_TMPFS}900 1 0:99 / /dbg\\012{escaped} rw,relatime - debugfs x\\012y rw\n"
        );
        let r = report(&mountinfo, &restricted(), Vec::new());
        assert_eq!(
            r.mounts.last().map(|m| m.mount_point.as_str()),
            Some(format!("/dbg\n{forged}").as_str())
        );
        let text = r.to_text("pid 1");
        let verdicts: Vec<&str> = text.lines().filter(|l| l.starts_with("verdict:")).collect();
        assert_eq!(verdicts, ["verdict: FAIL"], "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /dbg\\u{a}verdict: PASS ")
                    && l.ends_with(" debugfs from x\\u{a}y (pseudo)  NODE KERNEL INTERFACE")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("  - writable debugfs at /dbg\\u{a}verdict: PASS ")),
            "{text}"
        );
    }

    #[test]
    fn text_lists_writable_mounts_and_reasons() {
        let text = report(HOST, &status::parse(STATUS_HOST).unwrap(), Vec::new()).to_text("pid 1");
        assert!(
            text.starts_with("rootlock verify: pid 1\nroot filesystem: WRITABLE\n"),
            "{text}"
        );
        assert!(text.contains("CAP_SYS_ADMIN: EFFECTIVE"), "{text}");
        assert!(
            text.contains("\n  - root filesystem / is writable (ext4 from /dev/vda)\n"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("  /dev/shm") && l.ends_with("(memory, exec)")),
            "{text}"
        );
        assert!(text.contains("verdict: FAIL"), "{text}");
    }
}
