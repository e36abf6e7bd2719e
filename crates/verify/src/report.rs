//! The report: what was found, the verdict, and its text/JSON renderings.
//! The JSON field names are camelCase and stable.

use crate::classify::{self, Backing};
use crate::mountinfo::{self, MountEntry};
use crate::probe::Probe;
use crate::status::{ProcStatus, SeccompMode};
use crate::verdict;
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
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MountReport {
    #[serde(skip)]
    pub mount_id: u64,
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    pub read_only: bool,
    pub backing: Backing,
    pub system_path: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub effective: Vec<String>,
    pub bounding: Vec<String>,
}

impl Report {
    /// Builds the report and its verdict from what was read.
    pub fn new(mounts: &[MountEntry], status: &ProcStatus, probes: Vec<Probe>) -> Report {
        let root = mountinfo::root_mount(mounts);
        let mount_reports: Vec<MountReport> = mounts.iter().map(mount_report).collect();
        let reasons = verdict::reasons(root, &mount_reports, status, &probes);
        Report {
            root_read_only: root.is_some_and(MountEntry::read_only),
            verdict: if reasons.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            reasons,
            mounts: mount_reports,
            capabilities: Capabilities {
                effective: status.effective.names(),
                bounding: status.bounding.names(),
            },
            no_new_privs: status.no_new_privs,
            seccomp: status.seccomp,
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
            let width = writable
                .iter()
                .map(|m| m.mount_point.chars().count())
                .max()
                .unwrap_or(0);
            for m in &writable {
                let flag = if m.system_path { "  SYSTEM PATH" } else { "" };
                writeln!(
                    out,
                    "  {:width$}  {} from {} ({}){flag}",
                    m.mount_point,
                    m.fs_type,
                    m.source,
                    m.backing.as_str()
                )?;
            }
        }
        let hidden = self.mounts.len() - writable.len();
        writeln!(
            out,
            "  ({hidden} read-only or kernel-interface mounts not shown; --format json lists all)"
        )?;
        let sys_admin = if self
            .capabilities
            .effective
            .iter()
            .any(|c| c == "CAP_SYS_ADMIN")
        {
            "EFFECTIVE"
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
            "bounding capabilities: {}",
            list(&self.capabilities.bounding)
        )?;
        let nnp = if self.no_new_privs { "on" } else { "off" };
        writeln!(out, "NoNewPrivs: {nnp}, seccomp: {}", self.seccomp.as_str())?;
        if !self.probes.is_empty() {
            writeln!(out, "write probes:")?;
            for p in &self.probes {
                let errno = p.errno.as_deref().unwrap_or("no error");
                writeln!(out, "  {}: {errno}: {}", p.directory, p.message)?;
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
                    .try_for_each(|r| writeln!(out, "  - {r}"))
            }
        }
    }
}

fn mount_report(m: &MountEntry) -> MountReport {
    MountReport {
        mount_id: m.mount_id,
        mount_point: m.mount_point.clone(),
        fs_type: m.fs_type.clone(),
        source: m.source.clone(),
        read_only: m.read_only(),
        backing: classify::backing(&m.fs_type, &m.source, &m.mount_point),
        system_path: classify::covers_system_path(&m.mount_point),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
