//! rootlock fix (not yet implemented).
