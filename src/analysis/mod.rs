//! Analysis over an indexed `Store`: graphs and breaks. Knows nothing of files, sockets or UI.

pub mod breaks;
pub mod conversion;
pub mod goroutine;
pub mod keys;
pub mod peer;

/// Settings shared by every analysis.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time comparisons tolerate this much (SPEC §5: default 1 ms).
    pub tolerance_ns: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tolerance_ns: 1_000_000,
        }
    }
}
