//! rootlock cluster (not yet implemented).
