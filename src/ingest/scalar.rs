//! Pieces shared by the Jaeger and Zipkin readers: a lenient `Scalar` that accepts any JSON
//! value (so one odd field is skipped and counted instead of failing the whole file), an
//! order-keeping object reader, an array-or-object reader, the conversion of a serde_json error
//! into a `LoadError`, warnings placed at the current span, microsecond times and events, and a
//! cache that makes each distinct process or endpoint one resource.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use rustc_hash::FxHashMap;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor,
};

use crate::model::{
    ArenaRange, Attr, Batch, Diagnostics, Event, LoadError, Position, Sym, WarningKind,
};

/// Any JSON value, kept when it is a leaf. Strings borrow from the input when they have no
/// escapes. Arrays and objects are skipped (`Nested`): no reader expects them in a leaf field.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar<'a> {
    /// Absent or `null`.
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Nested,
}

impl<'a> Scalar<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }

    /// The value as text: strings as they are, numbers and bools printed; `None` for null
    /// and nested values.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Scalar::Str(s) => Cow::Borrowed(s.as_ref()),
            Scalar::Bool(b) => Cow::Owned(b.to_string()),
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::UInt(u) => Cow::Owned(u.to_string()),
            Scalar::Float(f) => Cow::Owned(f.to_string()),
            Scalar::Null | Scalar::Nested => return None,
        })
    }

    /// Non-negative integer: JSON numbers, decimal strings, floats without a fraction.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_int()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_int()
    }

    /// An integer that fits `T`: JSON numbers, decimal strings, floats without a fraction.
    fn as_int<T>(&self) -> Option<T>
    where
        T: TryFrom<u64> + TryFrom<i64> + TryFrom<i128> + std::str::FromStr,
    {
        match self {
            Scalar::UInt(u) => T::try_from(*u).ok(),
            Scalar::Int(i) => T::try_from(*i).ok(),
            // `as i128` saturates: a whole float beyond `T`'s range fails the conversion.
            Scalar::Float(f) if f.fract() == 0.0 => T::try_from(*f as i128).ok(),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Float(f) => Some(*f),
            Scalar::Int(i) => Some(*i as f64),
            Scalar::UInt(u) => Some(*u as f64),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Bools, and the strings `true`/`false` in any case (Jaeger UI fixtures write `"true"`).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Scalar::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Scalar::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A JSON object read as its entries in file order (Zipkin tags, Jaeger `processes`), so that
/// attributes keep the order they were written in. `null` reads as no entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<'a, V>(pub Vec<(Cow<'a, str>, V)>);

impl<V> Default for Entries<'_, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

struct EntriesVisitor<'a, V>(PhantomData<(&'a (), V)>);

impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<'a, V> {
    type Value = Entries<'a, V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key::<Text<'de>>()? {
            out.push((k.0, map.next_value::<V>()?));
        }
        Ok(Entries(out))
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Entries<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntriesVisitor(PhantomData))
    }
}

/// A string (an object key, a value), borrowed when it has no escapes.
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

/// A JSON array of `L`, or one object `O`: the readers' top levels (a Jaeger trace or its
/// spans, Zipkin spans or one span) and Jaeger's `data` (its traces or one trace). Read by
/// the JSON type found, so nothing is buffered.
pub enum ListOrOne<L, O> {
    List(Vec<L>),
    One(O),
}

impl<'de, L: Deserialize<'de>, O: Deserialize<'de>> ListOrOne<L, O> {
    /// Reads one from `d`; `expecting` names what was wanted when the value is neither. With
    /// `null_is_empty`, `null` reads as an empty list (a search that found nothing).
    pub fn read<D: Deserializer<'de>>(
        d: D,
        expecting: &'static str,
        null_is_empty: bool,
    ) -> Result<Self, D::Error> {
        d.deserialize_any(ListOrOneVisitor {
            expecting,
            null_is_empty,
            of: PhantomData,
        })
    }

    /// Reads a whole file that holds one (nothing but white space may follow it).
    pub fn from_slice(bytes: &'de [u8], expecting: &'static str) -> serde_json::Result<Self> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let v = Self::read(&mut de, expecting, false)?;
        de.end()?;
        Ok(v)
    }
}

struct ListOrOneVisitor<L, O> {
    expecting: &'static str,
    null_is_empty: bool,
    of: PhantomData<(L, O)>,
}

impl<'de, L: Deserialize<'de>, O: Deserialize<'de>> Visitor<'de> for ListOrOneVisitor<L, O> {
    type Value = ListOrOne<L, O>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.null_is_empty {
            Ok(ListOrOne::List(Vec::new()))
        } else {
            Err(E::invalid_type(Unexpected::Unit, &self))
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Vec::deserialize(SeqAccessDeserializer::new(seq)).map(ListOrOne::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        O::deserialize(MapAccessDeserializer::new(map)).map(ListOrOne::One)
    }
}

/// A file that is not the JSON we expect: one `LoadError` with serde_json's line and column.
pub fn json_error(input: &str, e: &serde_json::Error) -> LoadError {
    let (line, column) = (e.line() as u64, e.column() as u64);
    let full = e.to_string();
    // serde_json appends " at line L column C" to its message; the position has its own field.
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let position = if line == 0 {
        Position::Unknown
    } else {
        Position::LineCol { line, column }
    };
    LoadError::new(input, position, message)
}

/// Microseconds (Jaeger and Zipkin times) to nanoseconds; `None` when it does not fit.
pub fn micros_to_nanos(us: u64) -> Option<u64> {
    us.checked_mul(1000)
}

/// The end (ns) of a span starting at `start` (ns) that lasts `duration` microseconds (no
/// duration: 0); `None` when the duration is not a usable number or the end overflows.
fn end_after_micros(start: u64, duration: &Scalar) -> Option<u64> {
    let dur = if duration.is_null() {
        Some(0)
    } else {
        duration.as_u64().and_then(micros_to_nanos)
    };
    dur.and_then(|d| start.checked_add(d))
}

/// What the Jaeger and Zipkin readers say when `end_after_micros` finds no end.
const UNUSABLE_DURATION: &str = "duration is not a usable number of microseconds; read as 0";

/// Where the Jaeger and Zipkin readers are, to position their warnings: the input, and the
/// current span's id (or name) as written.
pub struct Place<'i> {
    pub input: &'i str,
    pub bytes: &'i [u8],
    pub near: Option<String>,
}

impl<'i> Place<'i> {
    pub fn new(input: &'i str, bytes: &'i [u8]) -> Self {
        Place {
            input,
            bytes,
            near: None,
        }
    }

    /// Counts a warning about the current span (see `warn_near`).
    pub fn warn(&self, diag: &mut Diagnostics, kind: WarningKind, message: &str) {
        let near = self.near.as_deref();
        warn_near(diag, (self.input, self.bytes), kind, message, near);
    }
}

/// What the Jaeger and Zipkin readers share as they turn spans into a batch: warnings placed
/// at the current span, and microsecond times.
pub trait MicrosReader {
    /// Where the reader is, and the batch it fills.
    fn parts(&mut self) -> (&Place<'_>, &mut Batch);

    /// Counts a warning about the current span.
    fn warn(&mut self, kind: WarningKind, message: &str) {
        let (at, b) = self.parts();
        at.warn(&mut b.diag, kind, message);
    }

    /// The end (ns) of a span starting at `start` (ns) that lasts `duration` microseconds; a
    /// duration that is not usable is counted and read as 0.
    fn end_after(&mut self, start: u64, duration: &Scalar) -> u64 {
        end_after_micros(start, duration).unwrap_or_else(|| {
            self.warn(WarningKind::SkippedField, UNUSABLE_DURATION);
            start
        })
    }

    /// Pushes an event for each item whose `time` (microseconds) is usable, named and given
    /// attributes by `event`; the others are counted as `untimed`. Returns the events' range.
    fn events<T>(
        &mut self,
        items: &[T],
        time: impl Fn(&T) -> &Scalar,
        untimed: &str,
        mut event: impl FnMut(&mut Self, &T) -> (Sym, ArenaRange),
    ) -> ArenaRange {
        let start = self.parts().1.events.len() as u32;
        for item in items {
            let Some(time) = time(item).as_u64().and_then(micros_to_nanos) else {
                self.warn(WarningKind::SkippedField, untimed);
                continue;
            };
            let (name, attrs) = event(self, item);
            self.parts().1.events.push(Event { time, name, attrs });
        }
        range_since(start, self.parts().1.events.len())
    }
}

/// Counts a warning about one span, positioned where `near` (the span's id or name) is first
/// written as `"near"` in the file. Only the first warning of a kind and message keeps a
/// position, so the file is searched only then.
pub fn warn_near(
    diag: &mut Diagnostics,
    (input, bytes): (&str, &[u8]),
    kind: WarningKind,
    message: &str,
    near: Option<&str>,
) {
    let seen = diag
        .warnings
        .iter()
        .any(|w| w.kind == kind && w.message == message && w.input == input);
    let position = match near {
        Some(text) if !seen => locate(bytes, text),
        _ => Position::Unknown,
    };
    diag.warn(kind, input, position, message);
}

/// Line and column (1-based, in bytes as serde_json counts) of the first `"text"` in `bytes`.
fn locate(bytes: &[u8], text: &str) -> Position {
    let needle = format!("\"{text}\"");
    let Some(off) = memchr::memmem::find(bytes, needle.as_bytes()) else {
        return Position::Unknown;
    };
    let before = bytes.get(..off).unwrap_or_default();
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Position::LineCol {
        line,
        column: (off - line_start) as u64 + 1,
    }
}

/// The range of an arena (events, links) from `start` to its current `len`.
pub fn range_since(start: u32, len: usize) -> ArenaRange {
    ArenaRange {
        start,
        len: len as u32 - start,
    }
}

/// Resources by their attributes: Jaeger repeats a process for every span that embeds it and
/// Zipkin repeats the endpoint in every span; each distinct one becomes one resource.
#[derive(Default)]
pub struct ResourceCache(FxHashMap<Vec<Attr>, u32>);

impl ResourceCache {
    /// Turns the attributes pushed since `mark` into a resource, reusing an identical one.
    pub fn resource_since(&mut self, b: &mut Batch, mark: u32) -> u32 {
        let key = b.attrs.split_off(mark as usize);
        if let Some(&r) = self.0.get(&key) {
            return r;
        }
        let mark = b.attr_mark();
        b.attrs.extend_from_slice(&key);
        let r = b.add_resource(mark);
        self.0.insert(key, r);
        r
    }
}

/// What the Jaeger and Zipkin reader tests read back from a batch.
#[cfg(test)]
pub(crate) mod read_back {
    use crate::model::{ArenaRange, Attr, Batch, Span, Value, WarningKind};

    /// The value of `key` among the attributes `r` of `arena`.
    pub fn attr<'b>(b: &'b Batch, arena: &[Attr], r: ArenaRange, key: &str) -> Option<Value<'b>> {
        arena[r.range()]
            .iter()
            .find(|a| b.strings.resolve(a.key) == key)
            .map(|a| a.value(&b.strings))
    }

    /// The value of `key` among the attributes of span `s`'s resource.
    pub fn resource_attr<'b>(b: &'b Batch, s: &Span, key: &str) -> Option<Value<'b>> {
        attr(b, &b.res_attrs, b.resources[s.resource as usize].attrs, key)
    }

    /// The spans called `name`.
    pub fn named<'b>(b: &'b Batch, name: &str) -> Vec<&'b Span> {
        b.spans
            .iter()
            .filter(|s| b.strings.resolve(s.name) == name)
            .collect()
    }

    /// The one span called `name`.
    pub fn one<'b>(b: &'b Batch, name: &str) -> &'b Span {
        let v = named(b, name);
        assert_eq!(v.len(), 1, "{name}");
        v[0]
    }

    /// How many warnings of `kind` were counted.
    pub fn warned(b: &Batch, kind: WarningKind) -> u64 {
        b.diag
            .warnings
            .iter()
            .filter(|w| w.kind == kind)
            .map(|w| w.count)
            .sum()
    }

    /// The service name of span `s`.
    pub fn service(b: &Batch, s: &Span) -> String {
        b.strings
            .resolve(b.resources[s.resource as usize].service)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_accepts_every_json_value() {
        let v: Vec<Scalar> = serde_json::from_str(
            r#"[true, -3, 18446744073709551615, 1.5, "x", null, [1], {"a":1}]"#,
        )
        .unwrap();
        assert_eq!(v[0].as_bool(), Some(true));
        assert_eq!(v[1].as_i64(), Some(-3));
        assert_eq!(v[1].as_u64(), None, "negative is not a u64");
        assert_eq!(v[2].as_u64(), Some(u64::MAX));
        assert_eq!(v[2].as_i64(), None, "too big for i64");
        assert_eq!(v[3].as_f64(), Some(1.5));
        assert_eq!(v[3].as_u64(), None, "has a fraction");
        assert!(matches!(&v[4], Scalar::Str(Cow::Borrowed("x"))));
        assert!(v[5].is_null());
        assert_eq!(v[6], Scalar::Nested);
        assert_eq!(v[7], Scalar::Nested);
        assert_eq!(v[7].text(), None);
        let s: Scalar = serde_json::from_str(r#""1605223981761425""#).unwrap();
        assert_eq!(s.as_u64(), Some(1_605_223_981_761_425));
        let s: Scalar = serde_json::from_str(r#""TRUE""#).unwrap();
        assert_eq!(s.as_bool(), Some(true));
    }

    #[test]
    fn entries_keep_file_order() {
        let e: Entries<Scalar> = serde_json::from_str(r#"{"z":"1","a":2,"m":null}"#).unwrap();
        let keys: Vec<&str> = e.0.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        let e: Entries<Scalar> = serde_json::from_str("null").unwrap();
        assert!(e.0.is_empty());
    }

    #[test]
    fn warnings_point_at_the_span() {
        let bytes = b"[\n  {\"id\": \"a1\"},\n  {\"id\": \"b2\"}\n]";
        let mut d = Diagnostics::default();
        warn_near(
            &mut d,
            ("f", bytes),
            WarningKind::SkippedSpan,
            "m",
            Some("b2"),
        );
        warn_near(
            &mut d,
            ("f", bytes),
            WarningKind::SkippedSpan,
            "m",
            Some("a1"),
        );
        warn_near(
            &mut d,
            ("f", bytes),
            WarningKind::SkippedField,
            "m",
            Some("zz"),
        );
        assert_eq!(d.warnings.len(), 2);
        assert_eq!(
            d.warnings[0].position,
            Position::LineCol {
                line: 3,
                column: 10
            }
        );
        assert_eq!(
            d.warnings[0].count, 2,
            "the second folds, keeping the first position"
        );
        assert_eq!(d.warnings[1].position, Position::Unknown);
    }

    #[test]
    fn json_error_names_line_and_column() {
        let e = serde_json::from_str::<Scalar>("[1,\n  2,,]").unwrap_err();
        let le = json_error("t.json", &e);
        assert_eq!(le.position, Position::LineCol { line: 2, column: 5 });
        assert!(!le.message.contains("at line"), "{}", le.message);
        assert!(le.to_string().starts_with("t.json: line 2 column 5: "));
    }
}
