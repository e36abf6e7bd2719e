//! The pure policy core of rootlock: the pod model, the versioned Pod
//! Security Standards checks, the immutable family, findings and PSA message
//! formatting. No I/O, no async: everything here is a function of its input.

pub mod plan;
