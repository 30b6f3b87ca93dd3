//! What the model derives from a span's attributes and name (spec §3): the goroutine it ran
//! on and the conversion step it performs. `Store::add_batch` derives both for every span as it
//! stores it, reading the attributes it has just copied. Later readers (the analyses, the
//! views) read two fields: scanning the attributes again after `build_index` would visit them
//! in trace order, scattered over the arena, which cost three times a scan in file order.

use super::attr::{Attr, AttrType, Value};
use super::ids::synthetic_id;
use super::interner::{Interner, Sym};
use super::span::{Span, flags};

const NAME_PREFIX: &str = "type.convert.";
const NAME_SEP: &str = ".to.";

/// Splits a span name `type.convert.<from>.to.<to>` at the first `.to.` after the prefix.
pub fn conversion_from_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let at = rest.find(NAME_SEP)?;
    let (from, to) = (&rest[..at], &rest[at + NAME_SEP.len()..]);
    (!from.is_empty() && !to.is_empty()).then_some((from, to))
}

/// The attribute keys spec §3 reads, as one interner spells them (`None` when no string in
/// it is that key, so no attribute can have it).
#[derive(Debug, Clone, Copy)]
pub struct FactKeys {
    /// `goroutine.id`, `go.goroutine.id`, `thread.id`, in order of preference.
    goroutine: [Option<Sym>; 3],
    convert_from: Option<Sym>,
    convert_to: Option<Sym>,
}

impl FactKeys {
    pub fn new(strings: &Interner) -> Self {
        let g = |k: &str| strings.get(k);
        FactKeys {
            goroutine: [g("goroutine.id"), g("go.goroutine.id"), g("thread.id")],
            convert_from: g("convert.from"),
            convert_to: g("convert.to"),
        }
    }
}

/// Sets the goroutine and the conversion of `s`, whose attributes are `attrs` and whose
/// strings are in `strings`; the type names of a conversion known only by its span name are
/// interned there. The first attribute of each key counts.
pub fn derive(s: &mut Span, attrs: &[Attr], keys: &FactKeys, strings: &mut Interner) {
    let mut goroutine: [Option<&Attr>; 3] = [None; 3];
    let (mut from, mut to) = (None, None);
    for a in attrs {
        let k = Some(a.key);
        let slot = if k == keys.goroutine[0] {
            &mut goroutine[0]
        } else if k == keys.goroutine[1] {
            &mut goroutine[1]
        } else if k == keys.goroutine[2] {
            &mut goroutine[2]
        } else if k == keys.convert_from {
            &mut from
        } else if k == keys.convert_to {
            &mut to
        } else {
            continue;
        };
        slot.get_or_insert(a);
    }
    s.flags &= !(flags::GOROUTINE | flags::CONVERSION);
    let [a, b, c] = goroutine;
    if let Some(g) = a.or(b).or(c).and_then(|a| goroutine_id(a.value(strings))) {
        s.gid = g;
        s.flags |= flags::GOROUTINE;
    }
    // Attributes win when both are non-empty strings ("" is always `Sym::EMPTY`).
    let text = |a: Option<&Attr>| {
        a.filter(|a| a.ty == AttrType::Str)
            .and_then(Attr::sym)
            .filter(|&v| v != Sym::EMPTY)
    };
    let conv = match (text(from), text(to)) {
        (Some(f), Some(t)) => Some([f, t]),
        _ => conversion_from_name(strings.resolve(s.name))
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .map(|(f, t)| [strings.intern(&f), strings.intern(&t)]),
    };
    if let Some(conv) = conv {
        s.conv = conv;
        s.flags |= flags::CONVERSION;
    }
}

/// A goroutine id as spec §3 allows it: an int, or a string that is one; other non-empty
/// text is hashed, so that two spans with the same text compare equal.
fn goroutine_id(v: Value) -> Option<i64> {
    match v {
        Value::Str("") => None,
        Value::Str(s) => Some(s.trim().parse().unwrap_or_else(|_| synthetic_id(s) as i64)),
        other => other.as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_splits_at_first_to() {
        let cases = [
            (
                "type.convert.[]byte.to.*dto.CreateOrderReq",
                Some(("[]byte", "*dto.CreateOrderReq")),
            ),
            (
                "type.convert.*pb.User.to.*domain.User.to.x",
                Some(("*pb.User", "*domain.User.to.x")),
            ),
            ("type.convert.[]byte", None),
            ("type.convert..to.x", None),
            ("json.Unmarshal", None),
        ];
        for (name, want) in cases {
            assert_eq!(conversion_from_name(name), want, "{name}");
        }
    }

    /// Derives `name` with `attrs` (key, value) and returns (goroutine, [from, to]).
    fn run(name: &str, attrs: &[(&str, Value)]) -> (Option<i64>, Option<(String, String)>) {
        let mut strings = Interner::new();
        let attrs: Vec<Attr> = attrs
            .iter()
            .map(|&(k, v)| {
                let k = strings.intern(k);
                match v {
                    Value::Str(t) => Attr::str(k, strings.intern(t)),
                    Value::Int(i) => Attr::int(k, i),
                    Value::Double(d) => Attr::double(k, d),
                    Value::Bool(b) => Attr::bool(k, b),
                    _ => Attr::empty(k),
                }
            })
            .collect();
        let mut s = Span {
            name: strings.intern(name),
            ..Span::default()
        };
        derive(&mut s, &attrs, &FactKeys::new(&strings), &mut strings);
        let conv = s.conversion().map(|[f, t]| {
            (
                strings.resolve(f).to_string(),
                strings.resolve(t).to_string(),
            )
        });
        (s.goroutine(), conv)
    }

    fn pair(f: &str, t: &str) -> Option<(String, String)> {
        Some((f.to_string(), t.to_string()))
    }

    #[test]
    fn goroutine_and_conversion_follow_spec() {
        use Value::{Bool, Double, Int, Str};
        let both = [
            ("convert.from", Str("[]byte")),
            ("convert.to", Str("*User")),
            ("goroutine.id", Int(4)),
        ];
        assert_eq!(run("decode", &both), (Some(4), pair("[]byte", "*User")));
        // Attributes win over a misleading name; the name counts when one attribute is
        // missing, empty or not a string. thread.id as text.
        assert_eq!(
            run("type.convert.a.to.b", &both[..2]),
            (None, pair("[]byte", "*User"))
        );
        let half = [("convert.from", Str("x")), ("thread.id", Str(" 12 "))];
        assert_eq!(
            run("type.convert.a.to.b", &half),
            (Some(12), pair("a", "b"))
        );
        let empty_to = [("convert.from", Str("p")), ("convert.to", Str(""))];
        assert_eq!(run("plain", &empty_to), (None, None));
        let int_to = [("convert.from", Str("p")), ("convert.to", Int(3))];
        assert_eq!(run("type.convert.c.to.d", &int_to).1, pair("c", "d"));
        // goroutine.id beats go.goroutine.id beats thread.id, whatever their order; the first
        // attribute of a key counts.
        let order = [
            ("thread.id", Int(1)),
            ("go.goroutine.id", Int(7)),
            ("goroutine.id", Int(8)),
            ("goroutine.id", Int(9)),
        ];
        assert_eq!(run("x", &order).0, Some(8));
        assert_eq!(run("x", &order[..2]).0, Some(7));
        // Text that is no number is hashed (stable); "" and a bool are no id, and a present
        // but useless goroutine.id does not fall back to the others.
        let text = run("x", &[("goroutine.id", Str("worker-3"))]).0;
        assert_eq!(text, Some(synthetic_id("worker-3") as i64));
        assert_eq!(run("x", &[("goroutine.id", Str(""))]).0, None);
        let useless = [("goroutine.id", Bool(true)), ("thread.id", Int(5))];
        assert_eq!(run("x", &useless).0, None);
        assert_eq!(run("x", &[("goroutine.id", Double(6.0))]).0, Some(6));
        assert_eq!(run("x", &[]), (None, None));
    }
}
