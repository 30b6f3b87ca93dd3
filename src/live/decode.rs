//! Request bodies to batches: the content types and encodings OTLP/HTTP allows, with the
//! size limit applied after decompression (a small gzip body can inflate without bound).

use std::io::Read;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::ingest::{otlp_json, otlp_proto, otlp_proto_logs};
use crate::model::Batch;

/// The payload encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Protobuf,
    Json,
}

impl Payload {
    /// From a `Content-Type` header value (parameters such as `charset` are ignored).
    pub fn from_content_type(value: &str) -> Option<Payload> {
        let mime = value.split(';').next().unwrap_or("").trim();
        match mime.to_ascii_lowercase().as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Payload::Protobuf),
            "application/json" => Some(Payload::Json),
            _ => None,
        }
    }
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a valid request (HTTP 400 / gRPC INVALID_ARGUMENT).
    Bad(String),
    /// Larger than the limit once decompressed (HTTP 413).
    TooLarge { limit: usize },
}

/// Inflates a gzip body, refusing it once it grows past `limit` bytes.
pub fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Refused::Bad(format!("bad gzip body: {e}")))?;
    if out.len() > limit {
        return Err(Refused::TooLarge { limit });
    }
    Ok(out)
}

/// What a request exports: `/v1/traces` and `TraceService`, or `/v1/logs` and `LogsService`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
}

/// Decodes a request body into a batch named `input`. (An OTLP/JSON body is read by the
/// one reader of both signals.)
pub fn decode(
    body: &[u8],
    payload: Payload,
    signal: Signal,
    input: &str,
) -> Result<Batch, Refused> {
    match payload {
        Payload::Protobuf if signal == Signal::Logs => {
            let req = ExportLogsServiceRequest::decode(body)
                .map_err(|e| Refused::Bad(format!("not an OTLP protobuf logs request: {e}")))?;
            Ok(otlp_proto_logs::batch_from_logs_request(&req))
        }
        Payload::Protobuf => {
            let req = ExportTraceServiceRequest::decode(body)
                .map_err(|e| Refused::Bad(format!("not an OTLP protobuf trace request: {e}")))?;
            Ok(otlp_proto::batch_from_request(&req, input))
        }
        Payload::Json => otlp_json::read(input, body).map_err(|e| Refused::Bad(e.to_string())),
    }
}

/// What the reader repaired or skipped in this request, for the OTLP partial-success
/// `error_message` (the spec lets a server warn a client that way even when it keeps all).
pub fn warning_summary(batch: &Batch) -> Option<String> {
    let parts: Vec<String> = batch
        .diag
        .warnings
        .iter()
        .map(|w| match w.count {
            1 => w.message.clone(),
            n => format!("{} ({n} times)", w.message),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Payload::from_content_type("application/json; charset=utf-8"),
            Some(Payload::Json)
        );
        assert_eq!(
            Payload::from_content_type("Application/X-Protobuf"),
            Some(Payload::Protobuf)
        );
        assert_eq!(Payload::from_content_type("text/plain"), None);
    }

    #[test]
    fn gzip_is_limited_after_inflating() {
        let big = vec![b'a'; 10_000];
        let body = gz(&big);
        assert!(body.len() < 1_000);
        assert_eq!(gunzip(&body, 20_000).unwrap(), big);
        assert_eq!(
            gunzip(&body, 9_999),
            Err(Refused::TooLarge { limit: 9_999 })
        );
        assert!(matches!(gunzip(b"not gzip", 100), Err(Refused::Bad(_))));
    }

    #[test]
    fn bad_bodies_are_refused_with_a_reason() {
        let Err(Refused::Bad(m)) =
            decode(b"{\"resourceSpans\": [", Payload::Json, Signal::Traces, "x")
        else {
            panic!("truncated JSON accepted");
        };
        assert!(m.contains("line 1"), "{m}");
        assert!(matches!(
            decode(&[0xff, 0xff, 0xff], Payload::Protobuf, Signal::Traces, "x"),
            Err(Refused::Bad(_))
        ));
    }

    #[test]
    fn json_body_decodes_its_spans_and_warns_of_repairs() {
        let body = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"spans":[
            {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"},
            {"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwk=","name":"base64 ids"}]}]}]}"#;
        let b = decode(body, Payload::Json, Signal::Traces, "x").unwrap();
        assert_eq!(b.spans.len(), 2);
        assert_eq!(b.spans[0].trace_id, b.spans[1].trace_id);
        let w = warning_summary(&b).expect("base64 ids are warned");
        assert!(w.contains("base64"), "{w}");
        let clean = decode(&body[..0], Payload::Protobuf, Signal::Traces, "x").unwrap();
        assert_eq!(warning_summary(&clean), None);
    }
}
