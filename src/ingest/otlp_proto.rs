//! OTLP protobuf: a binary `ExportTraceServiceRequest`, or a stream of them each preceded by
//! a 4-byte big-endian length (the Collector file exporter's `proto` format).
//! `batch_from_request` is shared with the live receiver.

use std::io::Read;

use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message;
use rayon::prelude::*;

use super::ids;
use super::otlp_json::resource_since;
use super::otlp_proto_logs;
use crate::json_write;
use crate::model::{
    ArenaRange, Attr, Batch, Event, Link, LoadError, Position, Span, SpanKind, StatusCode, Sym,
    WarningKind,
};

/// Message bytes gathered per group; a group is decoded into one batch.
const GROUP_BYTES: usize = 4 << 20;
/// What each gathered message costs beside its bytes (its offset and place in the group), so
/// that a flood of tiny messages is bounded like a few big ones.
const MESSAGE_OVERHEAD: usize = 24;
/// Bytes read from the input at a time.
const READ_BYTES: usize = 1 << 20;

/// Reads a protobuf request, or a length-prefixed stream of them, held in memory.
pub fn read(input: &str, bytes: &[u8]) -> Result<Vec<Batch>, LoadError> {
    let mut out = Vec::new();
    stream(
        input,
        &mut &bytes[..0],
        bytes.to_vec(),
        &mut || Ok(()),
        &mut |b| out.push(b),
    )?;
    Ok(out)
}

/// Streams a protobuf input (`head`: the bytes already read, then `rest`) into batches handed
/// to `sink` in input order: either one `ExportTraceServiceRequest` (it starts with field 1,
/// byte 0x0a), read one `ResourceSpans` at a time, or a stream of requests each preceded by a
/// 4-byte big-endian length (the Collector file exporter's `proto` format). Messages are
/// gathered into groups of about `GROUP_BYTES` and the groups decoded in parallel, so memory
/// holds a few groups, not the input. A zero-length message holds nothing and costs nothing.
pub(crate) fn stream(
    input: &str,
    rest: &mut dyn Read,
    head: Vec<u8>,
    check: &mut dyn FnMut() -> Result<(), LoadError>,
    sink: &mut dyn FnMut(Batch),
) -> Result<(), LoadError> {
    let single = head.first() == Some(&0x0a);
    let mut r = Bytes {
        input,
        rest,
        buf: head,
        pos: 0,
        offset: 0,
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut group = Group::default();
    let per_round = rayon::current_num_threads().max(1);
    loop {
        let at = r.offset;
        let fail = |msg: String| {
            // A failure at the first message means the input was never OTLP protobuf.
            let msg = if at == 0 {
                format!("not an OTLP protobuf trace request: {msg}")
            } else {
                msg
            };
            LoadError::new(input, Position::Byte { offset: at }, msg)
        };
        let len = if single {
            match next_resource_spans(&mut r).map_err(&fail)? {
                Field::End => break,
                Field::Skipped => continue,
                Field::ResourceSpans(len) => len,
            }
        } else {
            let mut prefix = [0u8; 4];
            match r.read_up_to(&mut prefix)? {
                0 => break,
                4 => u32::from_be_bytes(prefix) as u64,
                _ => return Err(fail("truncated length prefix".to_string())),
            }
        };
        if len == 0 {
            continue;
        }
        let from = group.bytes.len();
        let got = r.append(len, &mut group.bytes)?;
        if got < len {
            let what = if single {
                "resource spans"
            } else {
                "length prefix"
            };
            return Err(fail(format!("{what} says {len} bytes, only {got} left")));
        }
        group.messages.push((at, from, group.bytes.len()));
        if group.bytes.len() + group.messages.len() * MESSAGE_OVERHEAD >= GROUP_BYTES {
            groups.push(std::mem::take(&mut group));
            if groups.len() >= per_round {
                check()?;
                decode_groups(input, single, std::mem::take(&mut groups), sink)?;
            }
        }
    }
    if !group.messages.is_empty() {
        groups.push(group);
    }
    decode_groups(input, single, groups, sink)?;
    // An input of nothing but empty messages still gives one (empty) batch.
    sink(Batch::new());
    Ok(())
}

/// Messages read but not decoded yet: `(offset in the input, start, end in bytes)`.
#[derive(Default)]
struct Group {
    bytes: Vec<u8>,
    messages: Vec<(u64, usize, usize)>,
}

fn decode_groups(
    input: &str,
    single: bool,
    groups: Vec<Group>,
    sink: &mut dyn FnMut(Batch),
) -> Result<(), LoadError> {
    let decoded: Vec<Result<Batch, LoadError>> = groups
        .par_iter()
        .map(|g| {
            let mut batch = Batch::new();
            let mut unknown = 0;
            for &(offset, from, to) in &g.messages {
                let body = &g.bytes[from..to];
                let bad = |e: prost::DecodeError, what: &str| {
                    let msg = format!("bad {what}: {e}");
                    let msg = if offset == 0 {
                        format!("not an OTLP protobuf trace request: {msg}")
                    } else {
                        msg
                    };
                    LoadError::new(input, Position::Byte { offset }, msg)
                };
                // Logs share the traces' field numbers (field 1 of a request, field 2 of a
                // resource) but not their records' wire types: what does not decode as spans
                // is tried as logs, and the spans' error stands when neither reads.
                if single {
                    match ResourceSpans::decode(body) {
                        Ok(rs) => fill_resource(&mut batch, &rs, &mut unknown),
                        Err(e) => match ResourceLogs::decode(body) {
                            Ok(rl) => otlp_proto_logs::fill_resource_logs(&mut batch, &rl),
                            Err(_) => return Err(bad(e, "resource spans")),
                        },
                    }
                } else {
                    match ExportTraceServiceRequest::decode(body) {
                        Ok(req) => fill(&mut batch, &req, &mut unknown),
                        Err(e) => match ExportLogsServiceRequest::decode(body) {
                            Ok(req) => {
                                for rl in &req.resource_logs {
                                    otlp_proto_logs::fill_resource_logs(&mut batch, rl);
                                }
                            }
                            Err(_) => return Err(bad(e, "length-prefixed message")),
                        },
                    }
                }
            }
            warn_unknown(&mut batch, input, unknown);
            Ok(batch)
        })
        .collect();
    // The first bad message in input order is the one reported.
    for b in decoded {
        sink(b?);
    }
    Ok(())
}

/// What the next field of a single request is.
enum Field {
    End,
    /// A field other than `resource_spans` (unknown to this version), passed over.
    Skipped,
    /// `resource_spans` of this many bytes, which follow.
    ResourceSpans(u64),
}

/// Reads the next field's key (and length) of a single `ExportTraceServiceRequest`, skipping
/// fields other than `resource_spans` as protobuf decoders do.
fn next_resource_spans(r: &mut Bytes) -> Result<Field, String> {
    let Some(key) = r.varint().map_err(|e| e.message)? else {
        return Ok(Field::End);
    };
    let need = |v: Result<Option<u64>, LoadError>| match v {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err("truncated field".to_string()),
        Err(e) => Err(e.message),
    };
    let skip = |r: &mut Bytes, n: u64| -> Result<Field, String> {
        let got = r.skip(n).map_err(|e| e.message)?;
        if got < n {
            return Err("truncated field".to_string());
        }
        Ok(Field::Skipped)
    };
    match (key >> 3, key & 7) {
        (0, _) => Err("field number 0".to_string()),
        (1, 2) => Ok(Field::ResourceSpans(need(r.varint())?)),
        (_, 0) => need(r.varint()).map(|_| Field::Skipped),
        (_, 1) => skip(r, 8),
        (_, 2) => {
            let n = need(r.varint())?;
            skip(r, n)
        }
        (_, 5) => skip(r, 4),
        (_, w) => Err(format!("invalid wire type {w}")),
    }
}

/// The input as a byte stream with its offset: the bytes already read, then the rest.
struct Bytes<'r> {
    input: &'r str,
    rest: &'r mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    offset: u64,
}

impl Bytes<'_> {
    /// Refills the buffer when it is used up; false at the end of the input.
    fn more(&mut self) -> Result<bool, LoadError> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        self.buf.resize(READ_BYTES, 0);
        let n = super::decompress::read_full(&mut self.rest, &mut self.buf).map_err(|e| {
            LoadError::new(
                self.input,
                Position::Byte {
                    offset: self.offset,
                },
                format!("read error: {e}"),
            )
        })?;
        self.buf.truncate(n);
        self.pos = 0;
        Ok(n > 0)
    }

    /// Passes up to `n` bytes to `f`, as they come; returns how many there were.
    fn consume(&mut self, n: u64, mut f: impl FnMut(&[u8])) -> Result<u64, LoadError> {
        let mut got = 0;
        while got < n && self.more()? {
            let k = (self.buf.len() - self.pos).min((n - got).min(usize::MAX as u64) as usize);
            f(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            self.offset += k as u64;
            got += k as u64;
        }
        Ok(got)
    }

    /// Appends up to `n` bytes to `out`; memory grows with the bytes that come, not with `n`.
    fn append(&mut self, n: u64, out: &mut Vec<u8>) -> Result<u64, LoadError> {
        self.consume(n, |b| out.extend_from_slice(b))
    }

    fn skip(&mut self, n: u64) -> Result<u64, LoadError> {
        self.consume(n, |_| {})
    }

    fn read_up_to(&mut self, out: &mut [u8]) -> Result<usize, LoadError> {
        let mut k = 0;
        self.consume(out.len() as u64, |b| {
            out[k..k + b.len()].copy_from_slice(b);
            k += b.len();
        })?;
        Ok(k)
    }

    /// A base-128 varint; `None` at the end of the input before its first byte.
    fn varint(&mut self) -> Result<Option<u64>, LoadError> {
        let mut v = 0u64;
        for i in 0..10 {
            let mut b = [0u8];
            if self.read_up_to(&mut b)? == 0 {
                return match i {
                    0 => Ok(None),
                    _ => Err(LoadError::new(
                        self.input,
                        Position::Unknown,
                        "truncated varint",
                    )),
                };
            }
            v |= u64::from(b[0] & 0x7f) << (7 * i);
            if b[0] & 0x80 == 0 {
                return Ok(Some(v));
            }
        }
        Err(LoadError::new(
            self.input,
            Position::Unknown,
            "varint too long",
        ))
    }
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
        fill_resource(b, rs, unknown);
    }
}

fn fill_resource(b: &mut Batch, rs: &ResourceSpans, unknown: &mut u64) {
    // A resource without spans adds nothing: a flood of empty ones must cost nothing.
    if rs.scope_spans.iter().all(|ss| ss.spans.is_empty()) {
        return;
    }
    {
        let resource = resource_of(b, rs.resource.as_ref());
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
                let attrs = attr_range(b, &sp.attributes);
                let first_event = b.events.len();
                for e in &sp.events {
                    let attrs = attr_range(b, &e.attributes);
                    let ev = Event {
                        time: e.time_unix_nano,
                        name: b.intern(&e.name),
                        attrs,
                    };
                    b.events.push(ev);
                }
                let first_link = b.links.len();
                for l in &sp.links {
                    let link = Link {
                        trace_id: ids::trace_id_bytes(&l.trace_id).value,
                        span_id: ids::span_id_bytes(&l.span_id).value,
                        attrs: attr_range(b, &l.attributes),
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

/// Pushes `kvs` and returns where they are.
pub(crate) fn attr_range(b: &mut Batch, kvs: &[KeyValue]) -> ArenaRange {
    let mark = b.attr_mark();
    push_attrs(b, kvs);
    b.attrs_since(mark)
}

/// The resource with `r`'s attributes (absent: the resource without any).
pub(crate) fn resource_of(b: &mut Batch, r: Option<&Resource>) -> u32 {
    let mark = b.attr_mark();
    if let Some(r) = r {
        push_attrs(b, &r.attributes);
    }
    resource_since(b, mark)
}

pub(crate) fn push_attrs(b: &mut Batch, kvs: &[KeyValue]) {
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
            json_write::push_any(&mut text, v);
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
        // Not field 1, so read as a length-prefixed stream, which it is not either.
        let e = read("x.bin", &[0x78, 0x01]).map(|_| ()).unwrap_err();
        assert_eq!(
            e.message,
            "not an OTLP protobuf trace request: truncated length prefix"
        );
        assert_eq!(read("x.bin", b"").map(|b| b[0].spans.len()), Ok(0));
    }

    #[test]
    fn empty_messages_cost_nothing() {
        // Zeros read as a stream of zero-length messages: no batch content, no error.
        let batches = read("zeros.bin", &vec![0u8; 1 << 20]).unwrap();
        assert_eq!(batches.len(), 1);
        assert!(batches[0].spans.is_empty() && batches[0].resources.is_empty());
        // Empty resource spans in one request: nothing kept for them.
        let empty = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans::default(); 1000],
        }
        .encode_to_vec();
        let batches = read("empty.bin", &empty).unwrap();
        assert!(batches.iter().all(|b| b.resources.is_empty()));
    }

    /// A request of one span named `a`, encoded.
    fn one_span_request() -> Vec<u8> {
        req(vec![PbSpan {
            trace_id: vec![7; 16],
            span_id: vec![1; 8],
            name: "a".into(),
            ..Default::default()
        }])
        .encode_to_vec()
    }

    #[test]
    fn one_request_is_read_resource_by_resource_skipping_unknown_fields() {
        let one = one_span_request();
        let mut s = one.clone();
        // Unknown fields 2 (varint), 3 (bytes), 4 (fixed64) and 5 (fixed32) between them.
        s.extend([0x10, 0x96, 0x01, 0x1a, 0x02, b'h', b'i', 0x21]);
        s.extend([0; 8]);
        s.extend([0x2d, 0, 0, 0, 0]);
        s.extend(&one);
        let spans: usize = read("one.bin", &s)
            .unwrap()
            .iter()
            .map(|b| b.spans.len())
            .sum();
        assert_eq!(spans, 2);
        // A resource spans field longer than what is left names its offset.
        let mut cut = one.clone();
        cut.extend(&one[..one.len() - 3]);
        let e = read("cut.bin", &cut).map(|_| ()).unwrap_err();
        assert_eq!(
            e.position,
            Position::Byte {
                offset: one.len() as u64
            }
        );
        assert!(e.message.starts_with("resource spans says"), "{e}");
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
        let one = one_span_request();
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
