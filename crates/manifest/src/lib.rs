//! Reading Kubernetes manifests: bytes → documents → workload objects with
//! source positions, within limits that bound hostile input.
//!
//! YAML (multi-document, comments, anchors, merge keys) and JSON are built
//! into one tree by one builder: YAML from the YAML parser's events, a
//! stream kubectl reads as JSON, once checked and split as JSON, from
//! [`json_events`]; files are split into documents before parsing so memory
//! stays flat whatever the file size.

pub mod atomic_write;
pub mod bounded_read;
pub mod chunk;
pub mod encoding;
pub mod error;
pub mod extract;
pub mod files;
pub mod flow_indent;
pub mod flow_oracle;
pub mod flow_spans;
pub mod json;
pub mod json_boundaries;
pub mod json_error;
pub mod json_events;
pub mod json_stream;
pub mod limits;
pub mod line_breaks;
mod map_keys;
pub mod offsets;
pub mod plan_file;
pub mod reader;
pub mod scalar;
pub mod scheduling;
pub mod tree;
pub mod utf16;
pub mod workload;

pub use error::{ErrorKind, InputError};
pub use limits::Limits;
pub use reader::{ParsedDocument, read_stream};
pub use workload::{Workload, line_of, position_of, workloads};
