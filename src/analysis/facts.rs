//! The per-span facts several analyses need, goroutine ids and conversion steps (SPEC §3),
//! read in one pass over a span's attributes. Over a whole store the pass is memory-bound, so
//! `SpanFacts` reads every span once for all the analyses instead of once per analysis.

use rayon::prelude::*;

use super::conversion::{Conversion, from_name};
use super::keys::Keys;
use crate::model::{Store, Value};

/// What one pass over span `i`'s attributes found (the first attribute of each key counts).
#[derive(Default)]
pub struct SpanScan<'s> {
    /// `goroutine.id`, `go.goroutine.id`, `thread.id`.
    goroutine: [Option<Value<'s>>; 3],
    convert_from: Option<Value<'s>>,
    convert_to: Option<Value<'s>>,
}

impl<'s> SpanScan<'s> {
    pub fn of(store: &'s Store, keys: &Keys, i: u32) -> Self {
        let mut f = SpanScan::default();
        for a in store.span_attrs(i) {
            let k = Some(a.key);
            let slot = if k == keys.goroutine_id {
                &mut f.goroutine[0]
            } else if k == keys.go_goroutine_id {
                &mut f.goroutine[1]
            } else if k == keys.thread_id {
                &mut f.goroutine[2]
            } else if k == keys.convert_from {
                &mut f.convert_from
            } else if k == keys.convert_to {
                &mut f.convert_to
            } else {
                continue;
            };
            slot.get_or_insert_with(|| a.value(&store.strings));
        }
        f
    }

    /// The goroutine the span ran on. Non-numeric string ids are hashed so that two spans
    /// with the same text compare equal.
    pub fn goroutine(&self) -> Option<i64> {
        let [a, b, c] = self.goroutine;
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

    /// The conversion the span performs: `convert.from`/`convert.to` when both are non-empty
    /// strings (attributes win), else the name `type.convert.<from>.to.<to>`.
    pub fn conversion(&self, store: &'s Store, i: u32) -> Option<Conversion<'s>> {
        let text = |v: Option<Value<'s>>| v.and_then(|v| v.as_str()).filter(|s| !s.is_empty());
        match (text(self.convert_from), text(self.convert_to)) {
            (Some(from), Some(to)) => Some(Conversion { from, to }),
            _ => from_name(store.str(store.span(i).name)),
        }
    }
}

/// Goroutine ids of every span and the conversion steps in store order.
pub struct SpanFacts<'s> {
    pub goroutine: Vec<Option<i64>>,
    pub conversions: Vec<(u32, Conversion<'s>)>,
}

/// Spans per parallel work item.
const CHUNK: usize = 16 * 1024;

impl<'s> SpanFacts<'s> {
    /// One parallel pass over all spans.
    pub fn build(store: &'s Store, keys: &Keys) -> Self {
        let mut goroutine = vec![None; store.spans.len()];
        let conversions = goroutine
            .par_chunks_mut(CHUNK)
            .enumerate()
            .flat_map_iter(|(c, out)| {
                let base = c * CHUNK;
                let mut found = Vec::new();
                for (k, g) in out.iter_mut().enumerate() {
                    let i = (base + k) as u32;
                    let scan = SpanScan::of(store, keys, i);
                    *g = scan.goroutine();
                    if let Some(conv) = scan.conversion(store, i) {
                        found.push((i, conv));
                    }
                }
                found
            })
            .collect();
        SpanFacts {
            goroutine,
            conversions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Kit, V};
    use super::*;
    use crate::model::SpanKind::Internal;

    #[test]
    fn one_pass_finds_goroutines_and_conversions_as_asked_one_by_one() {
        let mut k = Kit::new();
        let svc = k.service("api", "api-1");
        let conv = [
            ("convert.from", V::S("[]byte")),
            ("convert.to", V::S("*User")),
            ("goroutine.id", V::I(4)),
        ];
        k.span(svc, 1, 1, 0, (0, 9), Internal, "decode", &conv);
        // The name counts when the attributes are not both there; thread.id as text.
        let half = [("convert.from", V::S("x")), ("thread.id", V::S("12"))];
        k.span(svc, 1, 2, 1, (1, 2), Internal, "type.convert.a.to.b", &half);
        // go.goroutine.id loses to goroutine.id; an empty convert.to falls back to the name.
        let both = [
            ("go.goroutine.id", V::I(7)),
            ("goroutine.id", V::I(8)),
            ("convert.from", V::S("p")),
            ("convert.to", V::S("")),
        ];
        k.span(svc, 1, 3, 1, (3, 4), Internal, "plain", &both);
        k.span(svc, 1, 4, 1, (5, 6), Internal, "nothing", &[]);
        let store = k.store();
        let keys = Keys::new(&store);
        let facts = SpanFacts::build(&store, &keys);
        let by_id = |id: u64| store.find_span(1, id).unwrap();
        let g = |id: u64| facts.goroutine[by_id(id) as usize];
        assert_eq!((g(1), g(2), g(3), g(4)), (Some(4), Some(12), Some(8), None));
        let convs: Vec<(u32, &str, &str)> = facts
            .conversions
            .iter()
            .map(|&(i, c)| (i, c.from, c.to))
            .collect();
        assert_eq!(convs, [(by_id(1), "[]byte", "*User"), (by_id(2), "a", "b")]);
        for i in 0..store.spans.len() as u32 {
            assert_eq!(
                facts.goroutine[i as usize],
                crate::analysis::goroutine::goroutine_of(&store, &keys, i)
            );
        }
    }
}
