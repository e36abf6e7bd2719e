//! The security-relevant lines of `/proc/PID/status`: capability sets,
//! `NoNewPrivs`, `Seccomp` and the effective UID.

use serde::Serialize;

/// Capability names by bit number (linux/capability.h), 0..=40.
const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Bit number of CAP_DAC_READ_SEARCH: with it, open_by_handle_at(2) works.
pub const CAP_DAC_READ_SEARCH: u32 = 2;

/// Bit number of CAP_SYS_ADMIN: with it, `mount -o remount,rw /` works.
pub const CAP_SYS_ADMIN: u32 = 21;

/// Bit number of CAP_SYS_PTRACE: with it, ptrace access to any process of
/// the user namespace, `/proc/PID/root` included.
pub const CAP_SYS_PTRACE: u32 = 19;

/// Bit number of CAP_SYS_MODULE: with it, init_module(2) loads code into
/// the kernel.
pub const CAP_SYS_MODULE: u32 = 16;

/// A capability set as the kernel prints it (64 bits of hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSet(pub u64);

impl CapSet {
    pub fn has(self, bit: u32) -> bool {
        bit < 64 && self.0 & (1u64 << bit) != 0
    }

    /// Names of the set bits, lowest first; bits newer than this table are
    /// named `CAP_<n>` rather than dropped.
    pub fn names(self) -> Vec<String> {
        (0..64u32)
            .filter(|bit| self.has(*bit))
            .map(
                |bit| match usize::try_from(bit).ok().and_then(|b| CAP_NAMES.get(b)) {
                    Some(name) => (*name).to_string(),
                    None => format!("CAP_{bit}"),
                },
            )
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SeccompMode {
    Disabled,
    Strict,
    Filter,
}

impl SeccompMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SeccompMode::Disabled => "disabled",
            SeccompMode::Strict => "strict",
            SeccompMode::Filter => "filter",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStatus {
    /// `CapInh`: kept across exec, and not masked by the bounding set
    /// there (a program's file-inheritable capabilities come from it).
    pub inheritable: CapSet,
    pub effective: CapSet,
    pub permitted: CapSet,
    pub bounding: CapSet,
    /// `NoNewPrivs` (absent before Linux 4.10: reported as off).
    pub no_new_privs: bool,
    /// `Seccomp` (absent without CONFIG_SECCOMP: reported as disabled).
    pub seccomp: SeccompMode,
    /// Effective UID (second number of the `Uid:` line).
    pub euid: Option<u32>,
}

/// Parses status text. The capability lines are required (a verdict without
/// them would be a guess); the others have documented defaults.
pub fn parse(text: &str) -> Result<ProcStatus, String> {
    let field = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k == key).then(|| v.trim())
        })
    };
    let caps = |key: &str| -> Result<CapSet, String> {
        let value = field(key).ok_or_else(|| format!("no {key} line"))?;
        u64::from_str_radix(value, 16)
            .map(CapSet)
            .map_err(|_| format!("{key} value {value:?} is not hexadecimal"))
    };
    let no_new_privs = match field("NoNewPrivs") {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => return Err(format!("NoNewPrivs value {other:?} is not 0 or 1")),
    };
    let seccomp = match field("Seccomp") {
        None | Some("0") => SeccompMode::Disabled,
        Some("1") => SeccompMode::Strict,
        Some("2") => SeccompMode::Filter,
        Some(other) => return Err(format!("Seccomp value {other:?} is not 0, 1 or 2")),
    };
    let euid = field("Uid")
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    Ok(ProcStatus {
        inheritable: caps("CapInh")?,
        effective: caps("CapEff")?,
        permitted: caps("CapPrm")?,
        bounding: caps("CapBnd")?,
        no_new_privs,
        seccomp,
        euid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_HOST: &str = include_str!("../tests/data/status-root-host.txt");
    const RESTRICTED: &str = include_str!("../tests/data/status-restricted.txt");

    #[test]
    fn host_root_has_sys_admin() {
        // Real sample from a CI host: 0x000001fffeffffff, i.e. every
        // capability 0..=40 except CAP_SYS_RESOURCE (bit 24).
        let s = parse(ROOT_HOST).unwrap();
        assert!(s.effective.has(CAP_SYS_ADMIN));
        let names = s.effective.names();
        assert_eq!(names.len(), 40);
        assert!(!names.iter().any(|n| n == "CAP_SYS_RESOURCE"));
        assert!(names.iter().any(|n| n == "CAP_SYS_ADMIN"));
        assert_eq!(names.first().map(String::as_str), Some("CAP_CHOWN"));
        assert_eq!(
            names.last().map(String::as_str),
            Some("CAP_CHECKPOINT_RESTORE")
        );
        assert!(!s.no_new_privs);
        assert_eq!(s.seccomp, SeccompMode::Disabled);
        assert_eq!(s.euid, Some(0));
    }

    #[test]
    fn restricted_container_process() {
        let s = parse(RESTRICTED).unwrap();
        // Docker's default set: 0x00000000a80425fb.
        assert_eq!(
            s.effective.names(),
            [
                "CAP_CHOWN",
                "CAP_DAC_OVERRIDE",
                "CAP_FOWNER",
                "CAP_FSETID",
                "CAP_KILL",
                "CAP_SETGID",
                "CAP_SETUID",
                "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE",
                "CAP_NET_RAW",
                "CAP_SYS_CHROOT",
                "CAP_MKNOD",
                "CAP_AUDIT_WRITE",
                "CAP_SETFCAP",
            ]
        );
        assert!(!s.effective.has(CAP_SYS_ADMIN));
        assert!(s.no_new_privs);
        assert_eq!(s.seccomp, SeccompMode::Filter);
        assert_eq!(s.euid, Some(65532));
    }

    #[test]
    fn unknown_bits_are_named_by_number() {
        assert_eq!(CapSet(1 << 41 | 1).names(), ["CAP_CHOWN", "CAP_41"]);
        assert!(CapSet(0).names().is_empty());
        assert!(!CapSet(u64::MAX).has(64));
    }

    #[test]
    fn optional_lines_default_and_bad_values_are_errors() {
        let minimal = "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n";
        let s = parse(minimal).unwrap();
        assert!(!s.no_new_privs);
        assert_eq!(s.seccomp, SeccompMode::Disabled);
        assert_eq!(s.euid, None);
        assert!(
            parse("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\n")
                .unwrap_err()
                .contains("CapBnd")
        );
        assert!(
            parse("CapInh:\t0\nCapPrm:\t0\nCapEff:\tzz\nCapBnd:\t0\n")
                .unwrap_err()
                .contains("CapEff")
        );
        assert!(
            parse("CapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n")
                .unwrap_err()
                .contains("CapInh")
        );
        assert!(parse(&format!("{minimal}Seccomp:\t3\n")).is_err());
        assert!(parse(&format!("{minimal}NoNewPrivs:\t2\n")).is_err());
        assert_eq!(
            parse(&format!("{minimal}Seccomp:\t1\n")).unwrap().seccomp,
            SeccompMode::Strict
        );
    }
}
