//! Goroutine ids of spans (SPEC §3): `goroutine.id`, else `go.goroutine.id`, else `thread.id`,
//! as an int or a string.

use rayon::prelude::*;

use super::keys::Keys;
use crate::model::{Store, Value};

/// The goroutine span `i` ran on, when known. Non-numeric string ids are hashed so that two
/// spans with the same text compare equal. One pass over the span's attributes.
pub fn goroutine_of(store: &Store, keys: &Keys, i: u32) -> Option<i64> {
    let mut found: [Option<Value>; 3] = [None, None, None];
    for a in store.span_attrs(i) {
        let k = Some(a.key);
        let slot = if k == keys.goroutine_id {
            0
        } else if k == keys.go_goroutine_id {
            1
        } else if k == keys.thread_id {
            2
        } else {
            continue;
        };
        found[slot].get_or_insert(a.value(&store.strings));
        if slot == 0 {
            break;
        }
    }
    let [a, b, c] = found;
    match a.or(b).or(c)? {
        Value::Str("") => None,
        Value::Str(s) => Some(
            s.trim()
                .parse()
                .unwrap_or_else(|_| crate::ingest::ids::synthetic_id(s) as i64),
        ),
        other => other.as_i64(),
    }
}

/// The goroutine of every span, in one parallel pass over the attributes (for work that
/// asks about every parent/child pair).
pub fn goroutines(store: &Store, keys: &Keys) -> Vec<Option<i64>> {
    (0..store.spans.len() as u32)
        .into_par_iter()
        .map(|i| goroutine_of(store, keys, i))
        .collect()
}
