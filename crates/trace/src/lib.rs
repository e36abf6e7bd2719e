//! rootlock trace (not yet implemented).
