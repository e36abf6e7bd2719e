//! rootlock webhook (not yet implemented).
