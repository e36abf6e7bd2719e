//! The volume plan: which paths a container must be able to write once its
//! root filesystem is read-only, and what should back each of them.
//!
//! One format, produced by `rootlock trace` and `rootlock logs`, consumed by
//! `rootlock fix --plan FILE`. It is written as YAML (or JSON, which is the
//! same schema) so people can review and edit it before applying it:
//!
//! ```yaml
//! apiVersion: rootlock.dev/v1
//! kind: VolumePlan
//! source: "trace: nginx -g 'daemon off;'"
//! paths:
//!   - path: /run
//!     medium: memory        # memory | disk | persistent
//!     sizeLimit: 16Mi       # optional; becomes emptyDir.sizeLimit
//!     reason: "created /run/nginx.pid (transient)"
//!   - path: /var/log/nginx
//!     medium: disk
//!     seed: true            # image content there was modified: an emptyDir hides it
//!     reason: "modified /var/log/nginx/access.log"
//!     container: web        # optional: only this container (default: every container)
//! warnings:
//!   - "wrote /etc/nginx/conf.d/x.conf under a system path: change the application or accept a writable system path"
//! ```

use serde::{Deserialize, Serialize};

/// API version written into and accepted from plan files.
pub const PLAN_API_VERSION: &str = "rootlock.dev/v1";
/// Kind written into and accepted from plan files.
pub const PLAN_KIND: &str = "VolumePlan";

/// What backs a writable path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    /// `emptyDir: {medium: Memory}` — a tmpfs; counts against the memory limit.
    Memory,
    /// `emptyDir: {}` — node disk, gone when the pod goes.
    Disk,
    /// Data the application must keep: needs a PersistentVolumeClaim, which
    /// `fix` does not invent; it is reported instead.
    Persistent,
}

impl Medium {
    /// The lowercase name used in plan files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Memory => "memory",
            Medium::Disk => "disk",
            Medium::Persistent => "persistent",
        }
    }
}

/// One path the application writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedPath {
    /// Absolute, canonical mount point (e.g. `/run`, not `/var/run`).
    pub path: String,
    pub medium: Medium,
    /// Kubernetes quantity for `emptyDir.sizeLimit`, e.g. `64Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
    /// Restrict to one container by name; `None` means every container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The image has content at this path (changed, deleted, or beside
    /// what was written): an emptyDir would hide it, so it should be
    /// seeded from an init container.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seed: bool,
    /// Why the path is in the plan (the evidence), for humans.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumePlan {
    pub api_version: String,
    pub kind: String,
    /// Where the plan came from (`trace: CMD`, `logs: FILE`), for humans.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default)]
    pub paths: Vec<PlannedPath>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl VolumePlan {
    /// An empty plan with the right `apiVersion` and `kind`.
    pub fn new(source: impl Into<String>) -> Self {
        VolumePlan {
            api_version: PLAN_API_VERSION.to_string(),
            kind: PLAN_KIND.to_string(),
            source: source.into(),
            paths: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Checks what serde cannot: the header, absolute paths, no `/`.
    pub fn validate(&self) -> Result<(), String> {
        if self.api_version != PLAN_API_VERSION {
            return Err(format!(
                "apiVersion: expected {PLAN_API_VERSION:?}, found {:?}",
                self.api_version
            ));
        }
        if self.kind != PLAN_KIND {
            return Err(format!(
                "kind: expected {PLAN_KIND:?}, found {:?}",
                self.kind
            ));
        }
        for (i, p) in self.paths.iter().enumerate() {
            if !p.path.starts_with('/') {
                return Err(format!("paths[{i}].path: {:?} is not absolute", p.path));
            }
            if p.path == "/" {
                return Err(format!(
                    "paths[{i}].path: \"/\" cannot be a volume (it would make the whole root writable)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_round_trips_through_json_with_camel_case_fields() {
        let mut plan = VolumePlan::new("trace: nginx");
        plan.paths.push(PlannedPath {
            path: "/run".into(),
            medium: Medium::Memory,
            size_limit: Some("16Mi".into()),
            container: None,
            seed: false,
            reason: "created /run/nginx.pid".into(),
        });
        let text = serde_json::to_string(&plan).unwrap();
        assert!(text.contains("\"apiVersion\":\"rootlock.dev/v1\""));
        assert!(text.contains("\"sizeLimit\":\"16Mi\""));
        assert!(!text.contains("seed"), "false seed is omitted: {text}");
        let back: VolumePlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
        back.validate().unwrap();
    }

    #[test]
    fn validate_rejects_root_relative_paths_and_wrong_kind() {
        let mut plan = VolumePlan::new("");
        plan.paths.push(PlannedPath {
            path: "/".into(),
            medium: Medium::Disk,
            size_limit: None,
            container: None,
            seed: false,
            reason: String::new(),
        });
        assert!(plan.validate().unwrap_err().contains("paths[0].path"));
        plan.paths[0].path = "tmp".into();
        assert!(plan.validate().unwrap_err().contains("not absolute"));
        plan.paths.clear();
        plan.kind = "Other".into();
        assert!(plan.validate().unwrap_err().starts_with("kind:"));
    }
}
