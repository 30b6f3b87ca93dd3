//! OTLP protobuf: a binary `ExportTraceServiceRequest`, or a stream of them each preceded by
//! a 4-byte big-endian length (the Collector file exporter's `proto` format).
//! `batch_from_request` is shared with the live receiver.

use base64::Engine;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use rayon::prelude::*;

use super::ids;
use super::json_text;
use super::otlp_json::resource_since;
use crate::model::{
    ArenaRange, Attr, Batch, Event, Link, LoadError, Position, Span, SpanKind, StatusCode, Sym,
    WarningKind,
};

/// Reads a protobuf request, or a length-prefixed stream of them. The messages of a stream
/// are decoded in parallel, a group of messages per batch, in file order.
pub fn read(input: &str, bytes: &[u8]) -> Result<Vec<Batch>, LoadError> {
    let single = ExportTraceServiceRequest::decode(bytes);
    if let Ok(req) = &single
        && (!req.resource_spans.is_empty() || bytes.is_empty())
    {
        return Ok(vec![batch_from_request(req, input)]);
    }
    // Frame the stream first (cheap: only the length prefixes are read).
    let mut frames: Vec<(usize, &[u8])> = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let fail = |msg: String| {
            // A stream that fails on its first message was never a stream: say why the
            // plain message did not decode either.
            let msg = match (&single, offset) {
                (Err(e), 0) => format!("not an OTLP protobuf trace request: {e}"),
                (Ok(_), 0) => "not an OTLP protobuf trace request: no resource spans".to_string(),
                _ => msg,
            };
            LoadError::new(
                input,
                Position::Byte {
                    offset: offset as u64,
                },
                msg,
            )
        };
        let Some(head) = bytes.get(offset..offset + 4) else {
            return Err(fail("truncated length prefix".to_string()));
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(body) = bytes.get(offset + 4..offset + 4 + len) else {
            return Err(fail(format!(
                "length prefix says {len} bytes, only {} left",
                bytes.len() - offset - 4
            )));
        };
        frames.push((offset, body));
        offset += 4 + len;
    }
    let per_group = frames
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(1);
    let decoded: Vec<Result<Batch, LoadError>> = frames
        .par_chunks(per_group)
        .map(|group| {
            let mut batch = Batch::new();
            let mut unknown = 0;
            for &(offset, body) in group {
                let req = ExportTraceServiceRequest::decode(body).map_err(|e| {
                    LoadError::new(
                        input,
                        Position::Byte {
                            offset: offset as u64,
                        },
                        format!("bad length-prefixed message: {e}"),
                    )
                })?;
                fill(&mut batch, &req, &mut unknown);
            }
            warn_unknown(&mut batch, input, unknown);
            Ok(batch)
        })
        .collect();
    // The first bad message in file order is the one reported.
    decoded.into_iter().collect()
}

/// Converts one decoded request (from a file or the live receiver) into a batch.
pub fn batch_from_request(req: &ExportTraceServiceRequest, input: &str) -> Batch {
    let mut batch = Batch::new();
    let mut unknown = 0;
    fill(&mut batch, req, &mut unknown);
    warn_unknown(&mut batch, input, unknown);
    batch
}

fn warn_unknown(batch: &mut Batch, input: &str, unknown: u64) {
    batch.diag.warn_n(
        WarningKind::EnumValue,
        input,
        Position::Unknown,
        "unknown span kind or status code number read as unspecified",
        unknown,
    );
}

fn fill(b: &mut Batch, req: &ExportTraceServiceRequest, unknown: &mut u64) {
    for rs in &req.resource_spans {
        let mark = b.attr_mark();
        if let Some(r) = &rs.resource {
            push_attrs(b, &r.attributes);
        }
        let resource = resource_since(b, mark);
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().map_or(Sym::EMPTY, |s| b.intern(&s.name));
            for sp in &ss.spans {
                let t = ids::trace_id_bytes(&sp.trace_id);
                let s = ids::span_id_bytes(&sp.span_id);
                let p = ids::parent_id_bytes(&sp.parent_span_id);
                let kind = SpanKind::from_i64(sp.kind as i64).unwrap_or_else(|| {
                    *unknown += 1;
                    SpanKind::Unspecified
                });
                let (status, status_message) = match &sp.status {
                    Some(st) => (
                        StatusCode::from_i64(st.code as i64).unwrap_or_else(|| {
                            *unknown += 1;
                            StatusCode::Unset
                        }),
                        b.intern(&st.message),
                    ),
                    None => (StatusCode::Unset, Sym::EMPTY),
                };
                let mark = b.attr_mark();
                push_attrs(b, &sp.attributes);
                let attrs = b.attrs_since(mark);
                let first_event = b.events.len();
                for e in &sp.events {
                    let mark = b.attr_mark();
                    push_attrs(b, &e.attributes);
                    let ev = Event {
                        time: e.time_unix_nano,
                        name: b.intern(&e.name),
                        attrs: b.attrs_since(mark),
                    };
                    b.events.push(ev);
                }
                let first_link = b.links.len();
                for l in &sp.links {
                    let mark = b.attr_mark();
                    push_attrs(b, &l.attributes);
                    let link = Link {
                        trace_id: ids::trace_id_bytes(&l.trace_id).value,
                        span_id: ids::span_id_bytes(&l.span_id).value,
                        attrs: b.attrs_since(mark),
                    };
                    b.links.push(link);
                }
                let span = Span {
                    trace_id: t.value,
                    span_id: s.value,
                    parent_id: p.value,
                    start: sp.start_time_unix_nano,
                    end: sp.end_time_unix_nano,
                    name: b.intern(&sp.name),
                    resource,
                    scope,
                    status_message,
                    attrs,
                    events: range(first_event, b.events.len()),
                    links: range(first_link, b.links.len()),
                    kind,
                    status,
                    flags: t.flags | s.flags | p.flags,
                    ..Span::default()
                };
                b.spans.push(span);
            }
        }
    }
}

fn range(from: usize, to: usize) -> ArenaRange {
    ArenaRange {
        start: from as u32,
        len: (to - from) as u32,
    }
}

fn push_attrs(b: &mut Batch, kvs: &[KeyValue]) {
    for kv in kvs {
        let key = b.intern(&kv.key);
        let attr = value_attr(b, key, kv.value.as_ref());
        b.attrs.push(attr);
    }
}

fn value_attr(b: &mut Batch, key: Sym, v: Option<&AnyValue>) -> Attr {
    use any_value::Value;
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => Attr::str(key, b.intern(s)),
        Some(Value::BoolValue(x)) => Attr::bool(key, *x),
        Some(Value::IntValue(i)) => Attr::int(key, *i),
        Some(Value::DoubleValue(d)) => Attr::double(key, *d),
        Some(Value::BytesValue(bytes)) => {
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            Attr::bytes(key, b.intern(&text))
        }
        Some(Value::ArrayValue(_) | Value::KvlistValue(_)) => {
            let mut text = String::new();
            json_text::push_any(&mut text, v);
            Attr::json(key, b.intern(&text))
        }
        // A profiles string-table reference means nothing outside profiles: read as empty.
        Some(Value::StringValueStrindex(_)) | None => Attr::empty(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::span::flags;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as PbSpan};

    fn req(spans: Vec<PbSpan>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn bad_ids_and_enums_are_flagged_not_fatal() {
        let b = batch_from_request(
            &req(vec![PbSpan {
                trace_id: vec![0; 16],
                span_id: vec![1, 2, 3],
                parent_span_id: vec![9; 8],
                kind: 42,
                ..Default::default()
            }]),
            "live",
        );
        let s = b.spans[0];
        assert_eq!(s.flags, flags::BAD_TRACE_ID | flags::BAD_SPAN_ID);
        assert_eq!(s.span_id, 0x010203);
        assert_eq!(s.parent_id, 0x0909_0909_0909_0909);
        assert_eq!(s.kind, SpanKind::Unspecified);
        assert_eq!(b.strings.resolve(b.resources[0].service), "unknown_service");
        assert_eq!(b.diag.warnings.len(), 1);
        assert_eq!(b.diag.warnings[0].kind, WarningKind::EnumValue);
        assert_eq!(b.diag.warnings[0].input, "live");
    }

    #[test]
    fn garbage_is_an_error_at_byte_zero() {
        let e = read("x.bin", b"\x00\x00\x00\x09abc")
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.position, Position::Byte { offset: 0 });
        assert!(
            e.message.starts_with("not an OTLP protobuf trace request"),
            "{e}"
        );
        // Decodes as a message of unknown fields only: not a trace request either.
        let e = read("x.bin", &[0x78, 0x01]).map(|_| ()).unwrap_err();
        assert_eq!(
            e.message,
            "not an OTLP protobuf trace request: no resource spans"
        );
        assert_eq!(read("x.bin", b"").map(|b| b[0].spans.len()), Ok(0));
    }

    #[test]
    fn long_streams_decode_in_parallel_in_file_order() {
        let frame = |name: String| {
            let m = req(vec![PbSpan {
                trace_id: vec![7; 16],
                span_id: vec![1; 8],
                name,
                ..Default::default()
            }])
            .encode_to_vec();
            let mut f = (m.len() as u32).to_be_bytes().to_vec();
            f.extend(m);
            f
        };
        let mut s = Vec::new();
        let mut bad_at = 0;
        for i in 0..100 {
            if i == 60 {
                bad_at = s.len();
                // A frame whose body is not a protobuf message (a truncated varint).
                s.extend([0, 0, 0, 2, 0x0a, 0xff]);
            }
            s.extend(frame(format!("op{i}")));
        }
        let e = read("s.bin", &s).map(|_| ()).unwrap_err();
        assert_eq!(
            e.position,
            Position::Byte {
                offset: bad_at as u64
            }
        );

        let s: Vec<u8> = (0..100).flat_map(|i| frame(format!("op{i}"))).collect();
        let batches = read("s.bin", &s).unwrap();
        assert!(batches.len() > 1, "split into groups");
        let names: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                b.spans
                    .iter()
                    .map(|sp| b.strings.resolve(sp.name).to_string())
            })
            .collect();
        let want: Vec<String> = (0..100).map(|i| format!("op{i}")).collect();
        assert_eq!(names, want);
    }

    #[test]
    fn length_prefixed_stream() {
        let one = req(vec![PbSpan {
            trace_id: vec![7; 16],
            span_id: vec![1; 8],
            name: "a".into(),
            ..Default::default()
        }])
        .encode_to_vec();
        let mut s = Vec::new();
        for _ in 0..2 {
            s.extend((one.len() as u32).to_be_bytes());
            s.extend(&one);
        }
        let mut store = crate::model::Store::new();
        for b in read("s.bin", &s).unwrap() {
            store.add_batch(b, 0);
        }
        assert_eq!(store.spans.len(), 2);
        assert_eq!(
            store.resources.len(),
            1,
            "the repeated empty resource is stored once"
        );
        s.extend([0, 0]);
        let e = read("s.bin", &s).map(|_| ()).unwrap_err();
        assert_eq!(
            e.position,
            Position::Byte {
                offset: 2 * (one.len() as u64 + 4)
            }
        );
        assert_eq!(e.message, "truncated length prefix");
    }
}
