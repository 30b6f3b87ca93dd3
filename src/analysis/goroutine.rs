//! Goroutine ids of spans (SPEC §3): `goroutine.id`, else `go.goroutine.id`, else `thread.id`,
//! as an int or a string.

use super::keys::{Keys, span_attr};
use crate::model::{Store, Value};

/// The goroutine span `i` ran on, when known. Non-numeric string ids are hashed so that two
/// spans with the same text compare equal.
pub fn goroutine_of(store: &Store, keys: &Keys, i: u32) -> Option<i64> {
    let v = span_attr(store, i, keys.goroutine_id)
        .or_else(|| span_attr(store, i, keys.go_goroutine_id))
        .or_else(|| span_attr(store, i, keys.thread_id))?;
    match v {
        Value::Str("") => None,
        Value::Str(s) => Some(
            s.trim()
                .parse()
                .unwrap_or_else(|_| crate::ingest::ids::synthetic_id(s) as i64),
        ),
        other => other.as_i64(),
    }
}
