//! What a request will cost in memory once decoded, estimated from its bytes before anything
//! is materialised, so that a request of empty spans (2 bytes each on the wire, hundreds of
//! bytes each decoded) is refused or waits before it allocates. The estimate is an upper bound
//! of what decoding holds at its peak: the generated protobuf types and the `Batch` built from
//! them at the same time, with room for vectors grown by doubling.

use std::mem::size_of;

use opentelemetry_proto::tonic::common::v1 as pb_common;
use opentelemetry_proto::tonic::resource::v1 as pb_resource;
use opentelemetry_proto::tonic::trace::v1 as pb_trace;

use crate::model;

/// Vectors grow by doubling: one holding n records may have room for 2n.
const GROWTH: u64 = 2;
/// A string or byte field: its copy in the generated type, its copy in the interner (or its
/// text rendering, at most twice its size for base64 and JSON), and an interner entry.
const STRING_ENTRY: u64 = 32;
const STRING_FACTOR: u64 = 3;
/// prost refuses messages nested deeper than this; so does the estimate (it stops counting).
const MAX_DEPTH: u32 = 100;

/// The protobuf messages of `ExportTraceServiceRequest` whose decoded form costs memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Request,
    ResourceSpans,
    Resource,
    EntityRef,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KeyValueList,
}

impl Msg {
    /// The message a length-delimited field holds, or `None` for a string or bytes field.
    fn child(self, field: u64) -> Option<Msg> {
        use Msg::*;
        Some(match (self, field) {
            (Request, 1) => ResourceSpans,
            (ResourceSpans, 1) => Resource,
            (ResourceSpans, 2) => ScopeSpans,
            (Resource, 1) => KeyValue,
            (Resource, 3) => EntityRef,
            (ScopeSpans, 1) => Scope,
            (ScopeSpans, 2) => Span,
            (Scope, 3) => KeyValue,
            (Span, 9) => KeyValue,
            (Span, 11) => Event,
            (Span, 13) => Link,
            (Span, 15) => Status,
            (Event, 3) => KeyValue,
            (Link, 4) => KeyValue,
            (KeyValue, 2) => AnyValue,
            (AnyValue, 5) => ArrayValue,
            (AnyValue, 6) => KeyValueList,
            (ArrayValue, 1) => AnyValue,
            (KeyValueList, 1) => KeyValue,
            _ => return None,
        })
    }

    /// Bytes one occurrence costs: its generated type and what the `Batch` keeps of it.
    fn size(self) -> u64 {
        use Msg::*;
        let (generated, kept) = match self {
            Request => (0, 0),
            ResourceSpans => (
                size_of::<pb_trace::ResourceSpans>(),
                size_of::<model::Resource>() + size_of::<model::Process>(),
            ),
            Resource => (size_of::<pb_resource::Resource>(), 0),
            EntityRef => (size_of::<pb_common::EntityRef>(), 0),
            ScopeSpans => (size_of::<pb_trace::ScopeSpans>(), 0),
            Scope => (size_of::<pb_common::InstrumentationScope>(), 0),
            Span => (size_of::<pb_trace::Span>(), size_of::<model::Span>()),
            Event => (
                size_of::<pb_trace::span::Event>(),
                size_of::<model::Event>(),
            ),
            Link => (size_of::<pb_trace::span::Link>(), size_of::<model::Link>()),
            Status => (size_of::<pb_trace::Status>(), 0),
            KeyValue => (size_of::<pb_common::KeyValue>(), size_of::<model::Attr>()),
            AnyValue => (size_of::<pb_common::AnyValue>(), 0),
            ArrayValue => (size_of::<pb_common::ArrayValue>(), 0),
            KeyValueList => (size_of::<pb_common::KeyValueList>(), 0),
        };
        (generated + kept) as u64 * GROWTH
    }
}

fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Adds the cost of the fields of one `msg` in `b` to `total`. Stops at the first malformed
/// byte: prost fails there too, having allocated no more than what was counted before it.
fn message(b: &[u8], msg: Msg, depth: u32, total: &mut u64) -> Option<()> {
    let mut at = 0;
    while at < b.len() {
        let key = varint(b, &mut at)?;
        match key & 7 {
            0 => {
                varint(b, &mut at)?;
            }
            1 => at += 8,
            5 => at += 4,
            2 => {
                let len = usize::try_from(varint(b, &mut at)?).ok()?;
                let body = b.get(at..at.checked_add(len)?)?;
                at += len;
                match msg.child(key >> 3) {
                    Some(child) if depth < MAX_DEPTH => {
                        *total += child.size();
                        message(body, child, depth + 1, total)?;
                    }
                    Some(_) => return None,
                    None => *total += len as u64 * STRING_FACTOR + STRING_ENTRY,
                }
            }
            _ => return None,
        }
    }
    (at == b.len()).then_some(())
}

/// Bytes decoding this OTLP/protobuf `ExportTraceServiceRequest` into a batch holds at most.
pub fn protobuf(body: &[u8]) -> u64 {
    let mut total = body.len() as u64;
    let _ = message(body, Msg::Request, 0, &mut total);
    total
}

/// Bytes reading this OTLP/JSON request into a batch holds at most. The JSON reader writes
/// straight into the batch, so each object becomes at most one record there (a span, an
/// attribute, an event, a link, a resource), and each string at most one interned copy.
pub fn json(body: &[u8]) -> u64 {
    let objects = memchr::memchr_iter(b'{', body).count() as u64;
    let strings = memchr::memchr_iter(b'"', body).count() as u64 / 2;
    let record = [
        size_of::<model::Span>(),
        size_of::<model::Attr>(),
        size_of::<model::Event>(),
        size_of::<model::Link>(),
        size_of::<model::Resource>() + size_of::<model::Process>(),
    ]
    .into_iter()
    .max()
    .unwrap_or(0) as u64;
    body.len() as u64 * STRING_FACTOR + objects * record * GROWTH + strings * STRING_ENTRY
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;

    fn request(spans: usize, attrs: usize) -> Vec<u8> {
        let kv = |i: usize| pb_common::KeyValue {
            key: format!("k{i}"),
            value: Some(pb_common::AnyValue {
                value: Some(pb_common::any_value::Value::StringValue("v".into())),
            }),
            ..Default::default()
        };
        ExportTraceServiceRequest {
            resource_spans: vec![pb_trace::ResourceSpans {
                scope_spans: vec![pb_trace::ScopeSpans {
                    spans: (0..spans)
                        .map(|_| pb_trace::Span {
                            attributes: (0..attrs).map(kv).collect(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    #[test]
    fn each_span_and_attribute_is_counted_at_its_decoded_size() {
        let per_span = Msg::Span.size();
        let per_attr = Msg::KeyValue.size() + Msg::AnyValue.size();
        // Without the body itself, which the estimate counts once.
        let decoded = |b: Vec<u8>| protobuf(&b) - b.len() as u64;
        let base = decoded(request(0, 0));
        assert_eq!(decoded(request(1, 0)) - base, per_span);
        let thousand = decoded(request(1000, 0));
        assert_eq!(thousand - base, 1000 * per_span);
        let with_attrs = decoded(request(1000, 3));
        assert!(with_attrs - thousand >= 3000 * per_attr, "{with_attrs}");
        // An empty span is 2 bytes on the wire and hundreds once decoded.
        assert!(per_span > 100 * 2, "{per_span}");
    }

    #[test]
    fn nesting_and_malformed_input_stop_the_count_where_prost_stops() {
        // A truncated length: counted up to there, never panics.
        let mut b = request(10, 1);
        let full = protobuf(&b);
        b.truncate(b.len() / 2);
        assert!(protobuf(&b) < full);
        // Arrays nested past prost's recursion limit are not followed further.
        let mut v = pb_common::AnyValue::default();
        for _ in 0..200 {
            v = pb_common::AnyValue {
                value: Some(pb_common::any_value::Value::ArrayValue(
                    pb_common::ArrayValue { values: vec![v] },
                )),
            };
        }
        let mut total = 0;
        let parsed = message(&v.encode_to_vec(), Msg::AnyValue, 0, &mut total);
        assert_eq!(parsed, None, "too deep");
        assert!(
            total <= 2 * u64::from(MAX_DEPTH) * Msg::AnyValue.size(),
            "{total}"
        );
    }

    #[test]
    fn json_objects_cost_a_record_each() {
        let empty = json(br#"{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}"#);
        let spans = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            vec!["{}"; 1000].join(",")
        );
        let cost = json(spans.as_bytes()) - empty;
        assert!(cost >= 1000 * size_of::<model::Span>() as u64, "{cost}");
    }
}
