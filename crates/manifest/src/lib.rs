//! rootlock manifest (not yet implemented).
