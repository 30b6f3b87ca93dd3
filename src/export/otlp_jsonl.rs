//! Spans back out as OTLP/JSON lines: one `ExportTraceServiceRequest` per line, in the OTLP
//! spec's JSON encoding (what the Collector's `file` exporter writes), so that the file loads
//! again here, streamed and in parallel, and in any other OTLP tool.
//!
//! Lines are built as text straight from the compact spans (no `serde_json::Value` trees):
//! the app saves stores of millions of spans.

use std::fmt::Write as _;
use std::io;
use std::ops::Range;

use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ingest::otlp_json::self_seed;
use crate::ingest::scalar::Text;
use crate::json_write::{push_bool, push_f64, push_i64, push_str};
use crate::model::{Attr, Batch, Event, Interner, Link, Resource, Span, Store, Sym, Value};

/// Borrowed view of spans and the arenas they point into (a `Batch` or a `Store`).
pub struct SpanData<'a> {
    strings: &'a Interner,
    spans: &'a [Span],
    attrs: &'a [Attr],
    res_attrs: &'a [Attr],
    events: &'a [Event],
    links: &'a [Link],
    resources: &'a [Resource],
}

/// `Batch` and `Store` hold the same arenas under the same names.
macro_rules! span_data_from {
    ($t:ty) => {
        impl<'a> From<&'a $t> for SpanData<'a> {
            fn from(s: &'a $t) -> Self {
                SpanData {
                    strings: &s.strings,
                    spans: &s.spans,
                    attrs: &s.attrs,
                    res_attrs: &s.res_attrs,
                    events: &s.events,
                    links: &s.links,
                    resources: &s.resources,
                }
            }
        }
    };
}
span_data_from!(Batch);
span_data_from!(Store);

/// Appends one line (request JSON + '\n') holding `spans` (indexes into the view's spans),
/// grouped by resource, then by scope, each in order of first appearance.
pub fn push_line(out: &mut String, data: &SpanData, spans: impl Iterator<Item = u32>) {
    let grouped = group(data, spans);
    out.push_str("{\"resourceSpans\":[");
    for (k, rs) in grouped.chunk_by(|a, b| a.0 == b.0).enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_resource_spans(out, data, rs);
    }
    out.push_str("]}\n");
}

/// Writes every span as lines of at most `per_line` spans, whole traces per line where they
/// fit, in the view's order; returns the spans written. No spans still give one (empty)
/// request, so that the file loads again.
pub fn write_all(w: &mut impl io::Write, data: &SpanData, per_line: usize) -> io::Result<u64> {
    let mut out = String::new();
    for r in line_ranges(data.spans, per_line.max(1)) {
        out.clear();
        push_line(&mut out, data, r.map(|i| i as u32));
        w.write_all(out.as_bytes())?;
    }
    Ok(data.spans.len() as u64)
}

/// Cuts `spans` into runs of at most `per_line`: a line takes whole traces (runs of one trace
/// id) while they fit; a trace longer than a line is split.
fn line_ranges(spans: &[Span], per_line: usize) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < spans.len() {
        let id = spans[i].trace_id;
        let end = i + spans[i..].iter().take_while(|s| s.trace_id == id).count();
        if end - start > per_line && i > start {
            lines.push(start..i);
            start = i;
        }
        while end - start > per_line {
            lines.push(start..start + per_line);
            start += per_line;
        }
        i = end;
    }
    if start < spans.len() || lines.is_empty() {
        lines.push(start..spans.len());
    }
    lines
}

/// `(resource rank, scope rank, span)` sorted by rank; ranks number resources and
/// (resource, scope) pairs by first appearance. The stable sort keeps span order in a group.
fn group(data: &SpanData, spans: impl Iterator<Item = u32>) -> Vec<(u32, u32, u32)> {
    let mut res_rank: FxHashMap<u32, u32> = FxHashMap::default();
    let mut scope_rank: FxHashMap<(u32, Sym), u32> = FxHashMap::default();
    let mut out: Vec<(u32, u32, u32)> = spans
        .map(|i| {
            let s = &data.spans[i as usize];
            let n = res_rank.len() as u32;
            let r = *res_rank.entry(s.resource).or_insert(n);
            let n = scope_rank.len() as u32;
            (r, *scope_rank.entry((s.resource, s.scope)).or_insert(n), i)
        })
        .collect();
    out.sort_by_key(|&(r, sc, _)| (r, sc));
    out
}

/// One `ResourceSpans`: `group` holds spans of one resource, sorted by scope rank.
fn push_resource_spans(out: &mut String, data: &SpanData, group: &[(u32, u32, u32)]) {
    let span = |i: u32| &data.spans[i as usize];
    let res = &data.resources[span(group[0].2).resource as usize];
    out.push_str("{\"resource\":{\"attributes\":");
    push_attrs(out, data.strings, &data.res_attrs[res.attrs.range()]);
    out.push_str("},\"scopeSpans\":[");
    for (k, ss) in group.chunk_by(|a, b| a.1 == b.1).enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"scope\":{\"name\":");
        push_str(out, data.strings.resolve(span(ss[0].2).scope));
        out.push_str("},\"spans\":");
        push_items(out, ss, |out, &(_, _, i)| push_span(out, data, span(i)));
        out.push('}');
    }
    out.push_str("]}");
}

fn push_span(out: &mut String, data: &SpanData, s: &Span) {
    let strings = data.strings;
    out.push_str("{\"traceId\":");
    push_hex(out, s.trace_id, 32);
    out.push_str(",\"spanId\":");
    push_hex(out, s.span_id.into(), 16);
    if s.parent_id != 0 {
        out.push_str(",\"parentSpanId\":");
        push_hex(out, s.parent_id.into(), 16);
    }
    out.push_str(",\"name\":");
    push_str(out, strings.resolve(s.name));
    let _ = write!(
        out,
        ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\"",
        s.kind as u8, s.start, s.end
    );
    push_field(out, "attributes", &data.attrs[s.attrs.range()], |out, a| {
        push_attr(out, strings, a)
    });
    push_field(out, "events", &data.events[s.events.range()], |out, e| {
        push_event(out, data, e)
    });
    push_field(out, "links", &data.links[s.links.range()], |out, l| {
        push_link(out, data, l)
    });
    let _ = write!(out, ",\"status\":{{\"code\":{}", s.status as u8);
    let message = strings.resolve(s.status_message);
    if !message.is_empty() {
        out.push_str(",\"message\":");
        push_str(out, message);
    }
    out.push_str("}}");
}

fn push_event(out: &mut String, data: &SpanData, e: &Event) {
    let _ = write!(out, "{{\"timeUnixNano\":\"{}\",\"name\":", e.time);
    push_str(out, data.strings.resolve(e.name));
    push_field(out, "attributes", &data.attrs[e.attrs.range()], |out, a| {
        push_attr(out, data.strings, a)
    });
    out.push('}');
}

fn push_link(out: &mut String, data: &SpanData, l: &Link) {
    out.push_str("{\"traceId\":");
    push_hex(out, l.trace_id, 32);
    out.push_str(",\"spanId\":");
    push_hex(out, l.span_id.into(), 16);
    push_field(out, "attributes", &data.attrs[l.attrs.range()], |out, a| {
        push_attr(out, data.strings, a)
    });
    out.push('}');
}

/// The low `digits` hex digits of `v`, lowercase, quoted (as `ids::trace_hex` prints them, but
/// without the formatting machinery and a `String` per id: three ids per span add up).
pub(crate) fn push_hex(out: &mut String, v: u128, digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [b'"'; 34];
    for (k, b) in buf[1..=digits].iter_mut().rev().enumerate() {
        *b = HEX[(v >> (4 * k)) as usize & 0xf];
    }
    out.push_str(std::str::from_utf8(&buf[..digits + 2]).expect("ASCII"));
}

/// `,"name":[items]`, left out when empty (as OTLP/JSON writers leave out empty lists).
fn push_field<T>(out: &mut String, name: &str, items: &[T], f: impl FnMut(&mut String, &T)) {
    if !items.is_empty() {
        let _ = write!(out, ",\"{name}\":");
        push_items(out, items, f);
    }
}

fn push_items<T>(out: &mut String, items: &[T], mut f: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        f(out, item);
    }
    out.push(']');
}

pub(crate) fn push_attrs(out: &mut String, strings: &Interner, attrs: &[Attr]) {
    push_items(out, attrs, |out, a| push_attr(out, strings, a));
}

fn push_attr(out: &mut String, strings: &Interner, a: &Attr) {
    out.push_str("{\"key\":");
    push_str(out, strings.resolve(a.key));
    out.push_str(",\"value\":");
    push_value(out, a.value(strings));
    out.push('}');
}

/// An `AnyValue` object.
fn push_value(out: &mut String, v: Value) {
    match v {
        Value::Str(s) => push_object(out, "stringValue", |out| push_str(out, s)),
        // OTLP/JSON writes 64-bit integers as decimal strings.
        Value::Int(i) => push_object(out, "intValue", |out| {
            out.push('"');
            push_i64(out, i);
            out.push('"');
        }),
        Value::Double(d) => push_object(out, "doubleValue", |out| push_f64(out, d)),
        Value::Bool(b) => push_object(out, "boolValue", |out| push_bool(out, b)),
        Value::Bytes(base64) => push_object(out, "bytesValue", |out| push_str(out, base64)),
        Value::Json(text) => push_json(out, text),
        Value::Empty => out.push_str("{}"),
    }
}

/// `{"key":value}`, the value written by `value`.
fn push_object(out: &mut String, key: &str, value: impl FnOnce(&mut String)) {
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\":");
    value(out);
    out.push('}');
}

/// The compact JSON text of an array or kvlist attribute (see `json_write`) as an `AnyValue`.
/// Text that does not parse (never written by the readers) is kept as a string value.
fn push_json(out: &mut String, text: &str) {
    let mark = out.len();
    let mut de = serde_json::Deserializer::from_str(text);
    if AnyOut(&mut *out)
        .deserialize(&mut de)
        .and(de.end())
        .is_err()
    {
        out.truncate(mark);
        push_value(out, Value::Str(text));
    }
}

/// Writes the JSON value it is given as an `AnyValue` object, streaming (no value tree, and
/// kvlist keys keep their order and repeats).
struct AnyOut<'s>(&'s mut String);

self_seed!(AnyOut<'_>);

impl<'de> Visitor<'de> for AnyOut<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        push_value(self.0, Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        push_value(self.0, Value::Int(v));
        Ok(())
    }
    // Above `i64::MAX` the text came from a double that printed as an integer.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(i) => self.visit_i64(i),
            Err(_) => self.visit_f64(v as f64),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        push_value(self.0, Value::Double(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        push_value(self.0, Value::Str(v));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        push_value(self.0, Value::Empty);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let out = self.0;
        out.push_str("{\"arrayValue\":{\"values\":[");
        push_streamed(out, |out| Ok(seq.next_element_seed(AnyOut(out))?.is_some()))?;
        out.push_str("]}}");
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        out.push_str("{\"kvlistValue\":{\"values\":[");
        push_streamed(out, |out| {
            let Some(key) = map.next_key::<Text>()? else {
                return Ok(false);
            };
            out.push_str("{\"key\":");
            push_str(out, &key.0);
            out.push_str(",\"value\":");
            map.next_value_seed(AnyOut(&mut *out))?;
            out.push('}');
            Ok(true)
        })?;
        out.push_str("]}}");
        Ok(())
    }
}

/// Writes the items `item` writes, separated by commas, until it says there are no more
/// (`false`; what it wrote then is taken back with the comma).
fn push_streamed<E>(
    out: &mut String,
    mut item: impl FnMut(&mut String) -> Result<bool, E>,
) -> Result<(), E> {
    let mut first = true;
    loop {
        let mark = out.len();
        if !first {
            out.push(',');
        }
        if !item(out)? {
            out.truncate(mark);
            return Ok(());
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArenaRange, SpanKind, StatusCode};

    fn value(v: Value) -> String {
        let mut s = String::new();
        push_value(&mut s, v);
        s
    }

    #[test]
    fn scalars_are_any_values() {
        assert_eq!(value(Value::Int(-5)), r#"{"intValue":"-5"}"#);
        assert_eq!(
            value(Value::Int(i64::MAX)),
            r#"{"intValue":"9223372036854775807"}"#
        );
        assert_eq!(value(Value::Double(0.5)), r#"{"doubleValue":0.5}"#);
        assert_eq!(value(Value::Double(f64::NAN)), r#"{"doubleValue":"NaN"}"#);
        assert_eq!(value(Value::Bool(true)), r#"{"boolValue":true}"#);
        assert_eq!(value(Value::Bytes("AQID")), r#"{"bytesValue":"AQID"}"#);
        assert_eq!(value(Value::Empty), "{}");
        assert_eq!(
            value(Value::Str("a\"b\\\n\u{1}é")),
            r#"{"stringValue":"a\"b\\\n\u0001é"}"#
        );
    }

    #[test]
    fn json_arrays_and_kvlists_become_any_values() {
        assert_eq!(
            value(Value::Json(r#"["x",-2,1.5,true,null,[],"NaN"]"#)),
            concat!(
                r#"{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"-2"},"#,
                r#"{"doubleValue":1.5},{"boolValue":true},{},"#,
                r#"{"arrayValue":{"values":[]}},{"stringValue":"NaN"}]}}"#
            )
        );
        // Keys keep their order and repeats; escapes survive.
        assert_eq!(
            value(Value::Json(r#"{"z\"":{"k":[1]},"a":null,"z\"":{}}"#)),
            concat!(
                r#"{"kvlistValue":{"values":[{"key":"z\"","value":{"kvlistValue":{"values":["#,
                r#"{"key":"k","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}}},"#,
                r#"{"key":"a","value":{}},"#,
                r#"{"key":"z\"","value":{"kvlistValue":{"values":[]}}}]}}"#
            )
        );
        // 1e19 printed by a double: too big for an int, so a double again.
        assert_eq!(
            value(Value::Json("[10000000000000000000]")),
            r#"{"arrayValue":{"values":[{"doubleValue":10000000000000000000}]}}"#
        );
    }

    #[test]
    fn unparsable_json_text_is_kept_as_a_string() {
        assert_eq!(value(Value::Json("[1,")), r#"{"stringValue":"[1,"}"#);
        assert_eq!(value(Value::Json("[1] x")), r#"{"stringValue":"[1] x"}"#);
    }

    #[test]
    fn ids_are_quoted_padded_lowercase_hex() {
        use crate::model::ids::{span_hex, trace_hex};
        let mut s = String::new();
        for id in [0, 0xAB, 1 << 127, u128::MAX] {
            s.clear();
            push_hex(&mut s, id, 32);
            assert_eq!(s, format!("\"{}\"", trace_hex(id)));
        }
        s.clear();
        push_hex(&mut s, 0xAB, 16);
        assert_eq!(s, format!("\"{}\"", span_hex(0xAB)));
    }

    fn traces(ids: &[u128]) -> Vec<Span> {
        ids.iter()
            .map(|&trace_id| Span {
                trace_id,
                ..Span::default()
            })
            .collect()
    }

    #[test]
    fn lines_hold_whole_traces_and_split_long_ones() {
        let s = traces(&[1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4]);
        assert_eq!(line_ranges(&s, 5), vec![0..5, 5..10, 10..13]);
        assert_eq!(line_ranges(&s, 4), vec![0..3, 3..5, 5..9, 9..13]);
        assert_eq!(line_ranges(&s, 100), vec![0..13]);
        assert_eq!(line_ranges(&[], 100), vec![0..0]);
    }

    #[test]
    fn a_line_groups_by_resource_then_scope_in_first_appearance_order() {
        let mut b = Batch::new();
        let (ra, rb) = (b.add_service_resource("a"), b.add_service_resource("b"));
        let layout = [(rb, "s1"), (ra, "s1"), (rb, "s2"), (rb, "s1"), (ra, "s1")];
        for (k, (resource, scope)) in layout.into_iter().enumerate() {
            let span = Span {
                trace_id: 1,
                span_id: k as u64 + 1,
                name: b.intern(&k.to_string()),
                scope: b.intern(scope),
                resource,
                ..Span::default()
            };
            b.spans.push(span);
        }
        let mut line = String::new();
        push_line(&mut line, &SpanData::from(&b), 0..5);
        assert_eq!(line.find('\n'), Some(line.len() - 1), "one line");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let mut got = Vec::new();
        for rs in v["resourceSpans"].as_array().unwrap() {
            let service = &rs["resource"]["attributes"][0]["value"]["stringValue"];
            for ss in rs["scopeSpans"].as_array().unwrap() {
                let spans = ss["spans"].as_array().unwrap().iter();
                let names: Vec<String> = spans.map(|s| s["name"].to_string()).collect();
                got.push(format!(
                    "{service} {} {}",
                    ss["scope"]["name"],
                    names.join("")
                ));
            }
        }
        assert_eq!(
            got,
            [
                r#""b" "s1" "0""3""#,
                r#""b" "s2" "2""#,
                r#""a" "s1" "1""4""#
            ]
        );
    }

    #[test]
    fn span_fields_are_the_otlp_json_encoding() {
        let mut b = Batch::new();
        let resource = b.add_service_resource("svc");
        let mark = b.attr_mark();
        b.push_int_attr("n", 7);
        let attrs = b.attrs_since(mark);
        let mark = b.attr_mark();
        b.push_str_attr("k", "v");
        let (name, ev_attrs) = (b.intern("ev"), b.attrs_since(mark));
        b.events.push(Event {
            time: 5,
            name,
            attrs: ev_attrs,
        });
        b.links.push(Link {
            trace_id: 0xab,
            span_id: 0xcd,
            attrs: ArenaRange::default(),
        });
        let one = ArenaRange { start: 0, len: 1 };
        let span = Span {
            trace_id: 0x0af7651916cd43dd8448eb211c80319c,
            span_id: 0xb7ad6b7169203331,
            parent_id: 0x1,
            start: u64::MAX,
            end: 2,
            name: b.intern("GET /"),
            resource,
            scope: b.intern("lib"),
            status_message: b.intern("bad"),
            attrs,
            events: one,
            links: one,
            kind: SpanKind::Client,
            status: StatusCode::Error,
            ..Span::default()
        };
        let root = Span {
            parent_id: 0,
            events: ArenaRange::default(),
            links: ArenaRange::default(),
            attrs: ArenaRange::default(),
            status_message: Sym::EMPTY,
            status: StatusCode::Unset,
            kind: SpanKind::Unspecified,
            ..span
        };
        b.spans.extend([span, root]);
        let mut line = String::new();
        push_line(&mut line, &SpanData::from(&b), 0..2);
        let want = concat!(
            r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"#,
            r#""scopeSpans":[{"scope":{"name":"lib"},"spans":["#,
            r#"{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"0000000000000001","#,
            r#""name":"GET /","kind":3,"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":"2","#,
            r#""attributes":[{"key":"n","value":{"intValue":"7"}}],"#,
            r#""events":[{"timeUnixNano":"5","name":"ev","attributes":[{"key":"k","value":{"stringValue":"v"}}]}],"#,
            r#""links":[{"traceId":"000000000000000000000000000000ab","spanId":"00000000000000cd"}],"#,
            r#""status":{"code":2,"message":"bad"}},"#,
            r#"{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","#,
            r#""name":"GET /","kind":0,"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":"2","#,
            r#""status":{"code":0}}]}]}]}"#,
            "\n"
        );
        assert_eq!(line, want);
    }
}
