//! `rootlock fix`: format-preserving rewrite that makes workloads immutable
//! (securityContext fields plus emptyDir volumes for the paths they write).
//!
//! Pipeline per file: read every document with positions
//! (`rootlock_manifest`), plan what each workload needs (`edits`, pure),
//! resolve that against the document tree (`resolve`), turn it into byte
//! edits that touch only inserted or changed lines (`yaml_edit`,
//! `flow_edit`), re-parse and verify the result (`verify`), then print a
//! diff, write atomically, or emit kustomize patches.

mod args;
pub mod diff;
pub mod edits;
pub mod fixer;
mod flow_edit;
mod inputs;
pub mod kustomize;
pub mod leftovers;
pub mod nested_paths;
pub mod plan_input;
pub mod refusal;
pub mod render;
pub mod resolve;
mod run;
pub mod seccomp_annotations;
pub mod splice;
pub mod style;
pub mod text;
pub mod value;
pub mod verify;
pub mod volume_conflicts;
pub mod volumes;
pub mod writable;
mod yaml_edit;

pub use args::FixArgs;
pub use fixer::{Outcome, Settings, fix_text};
pub use run::run;
