//! rootlock verify (not yet implemented).
