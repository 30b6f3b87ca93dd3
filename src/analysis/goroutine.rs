//! Goroutine ids of spans (SPEC §3): `goroutine.id`, else `go.goroutine.id`, else `thread.id`,
//! as an int or a string.

use super::facts::SpanScan;
use super::keys::Keys;
use crate::model::Store;

/// The goroutine span `i` ran on, when known (see `SpanScan::goroutine`).
pub fn goroutine_of(store: &Store, keys: &Keys, i: u32) -> Option<i64> {
    SpanScan::of(store, keys, i).goroutine()
}
