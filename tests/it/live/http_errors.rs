//! OTLP/HTTP answers per the OTLP spec: 200 with an `ExportTraceServiceResponse` (partial
//! success when warned or cut), 400 bad payload, 413 over the limit, 415 unknown content type
//! or encoding, 405 for other methods; error bodies are `google.rpc.Status`.

use std::io::Write;
use std::sync::Arc;

use flate2::{Compression, write::GzEncoder};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tracetopo::live::LiveConfig;
use tracetopo::live::server::{self, Server};
use tracetopo::live::stats::Stats;
use tracetopo::model::Batch;

use super::{Reply, request};

const LIMIT: usize = 64 << 10;
const JSON: (&str, &str) = ("Content-Type", "application/json");
const PROTO: (&str, &str) = ("Content-Type", "application/x-protobuf");

struct Rig {
    server: Server,
    rx: std::sync::mpsc::Receiver<Batch>,
    stats: Arc<Stats>,
}

fn rig(retain: usize) -> Rig {
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        max_request_bytes: LIMIT,
        retain_spans: retain,
        ..LiveConfig::default()
    };
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let server = Server::start(&cfg, sink, Arc::clone(&stats)).expect("start the receiver");
    let rx = super::keep_all(rx);
    Rig { server, rx, stats }
}

impl Rig {
    fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        request(self.server.http_addr, "POST", headers, body)
    }

    /// Spans of the batches that reached the sink so far.
    fn received(&mut self) -> usize {
        let mut n = 0;
        while let Ok(b) = self.rx.try_recv() {
            n += b.spans.len();
        }
        n
    }
}

fn span_json(trace: &str, span: &str) -> String {
    format!(
        r#"{{"traceId":"{trace}","spanId":"{span}","name":"op","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}"#
    )
}

fn request_json(spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn json_body(r: &Reply) -> serde_json::Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&r.body)))
}

#[test]
fn a_json_request_is_accepted_and_answered_in_json() {
    let mut rig = rig(1000);
    let body = request_json(&[span_json(
        "0102030405060708090a0b0c0d0e0f10",
        "0102030405060708",
    )]);
    let r = rig.post(&[JSON], body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(json_body(&r), serde_json::json!({}));
    assert_eq!(rig.received(), 1);
    assert_eq!(rig.stats.snapshot().spans, 1);
}

#[test]
fn a_protobuf_request_is_answered_in_protobuf() {
    let mut rig = rig(1000);
    let body = request_json(&[span_json(
        "0102030405060708090a0b0c0d0e0f10",
        "0102030405060708",
    )]);
    let req: ExportTraceServiceRequest = serde_json::from_str(&body).unwrap();
    let r = rig.post(&[PROTO], &req.encode_to_vec());
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/x-protobuf");
    let resp = ExportTraceServiceResponse::decode(r.body.as_slice()).unwrap();
    assert_eq!(resp.partial_success, None);
    assert_eq!(rig.received(), 1);
}

#[test]
fn gzip_bodies_are_inflated() {
    let mut rig = rig(1000);
    let spans: Vec<String> = (1..=20)
        .map(|i| span_json("0102030405060708090a0b0c0d0e0f10", &format!("{i:016x}")))
        .collect();
    let r = rig.post(
        &[JSON, ("Content-Encoding", "gzip")],
        &gzip(request_json(&spans).as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(rig.received(), 20);
}

#[test]
fn bad_payloads_get_400_with_a_status_body() {
    let mut rig = rig(1000);
    let r = rig.post(&[JSON], br#"{"resourceSpans": [{"scopeSpans": "#);
    assert_eq!(r.status, 400);
    let st = json_body(&r);
    assert_eq!(st["code"], 3, "INVALID_ARGUMENT");
    let msg = st["message"].as_str().unwrap();
    assert!(msg.contains("line 1"), "the message says where: {msg}");

    let r = rig.post(&[PROTO], &[0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    assert_eq!(r.status, 400);
    assert_eq!(r.content_type, "application/x-protobuf");
    // google.rpc.Status: field 1 code, field 2 message.
    assert_eq!(&r.body[..2], &[0x08, 0x03]);
    assert!(String::from_utf8_lossy(&r.body).contains("not an OTLP protobuf trace request"));

    let r = rig.post(&[JSON, ("Content-Encoding", "gzip")], b"not gzip at all");
    assert_eq!(r.status, 400);
    assert!(json_body(&r)["message"].as_str().unwrap().contains("gzip"));
    assert_eq!(rig.received(), 0);
    assert_eq!(rig.stats.snapshot().bad_requests, 3);
}

#[test]
fn oversize_bodies_get_413_before_and_after_inflating() {
    let mut rig = rig(1000);
    let r = rig.post(&[JSON], &vec![b' '; LIMIT + 1]);
    assert_eq!(r.status, 413);
    assert!(json_body(&r)["message"].as_str().unwrap().contains("limit"));
    // A small gzip body that inflates past the limit.
    let bomb = gzip(&vec![b' '; LIMIT * 4]);
    assert!(bomb.len() < LIMIT);
    let r = rig.post(&[JSON, ("Content-Encoding", "gzip")], &bomb);
    assert_eq!(r.status, 413);
    assert_eq!(rig.stats.snapshot().too_large, 2);
    assert_eq!(rig.received(), 0);
}

#[test]
fn unknown_content_types_and_encodings_get_415() {
    let rig = rig(1000);
    let r = rig.post(&[("Content-Type", "text/plain")], b"hello");
    assert_eq!(r.status, 415);
    assert!(
        json_body(&r)["message"]
            .as_str()
            .unwrap()
            .contains("text/plain")
    );
    let r = rig.post(&[JSON, ("Content-Encoding", "br")], b"{}");
    assert_eq!(r.status, 415);
    assert_eq!(rig.stats.snapshot().unsupported, 2);
}

#[test]
fn other_methods_are_not_allowed() {
    let rig = rig(1000);
    let r = request(rig.server.http_addr, "GET", &[], b"");
    assert_eq!(r.status, 405);
}

#[test]
fn repaired_input_is_a_partial_success_with_a_message() {
    let mut rig = rig(1000);
    // Base64 ids: accepted, and the client is told.
    let body = request_json(&[span_json("AQIDBAUGBwgJCgsMDQ4PEA==", "AQIDBAUGBwg=")]);
    let r = rig.post(&[JSON], body.as_bytes());
    assert_eq!(r.status, 200);
    let p = &json_body(&r)["partialSuccess"];
    assert_eq!(p["rejectedSpans"], "0");
    assert!(
        p["errorMessage"].as_str().unwrap().contains("base64"),
        "{p}"
    );
    assert_eq!(rig.received(), 1);
}

#[test]
fn spans_beyond_the_retention_limit_are_rejected_and_counted() {
    let mut rig = rig(2);
    let spans: Vec<String> = (1..=3)
        .map(|i| span_json("0102030405060708090a0b0c0d0e0f10", &format!("{i:016x}")))
        .collect();
    let r = rig.post(&[JSON], request_json(&spans).as_bytes());
    assert_eq!(r.status, 200);
    let p = &json_body(&r)["partialSuccess"];
    assert_eq!(p["rejectedSpans"], "1", "{p}");
    assert_eq!(rig.received(), 2);
    let st = rig.stats.snapshot();
    assert_eq!((st.spans, st.rejected_spans), (2, 1));
}

#[test]
fn stopping_does_not_wait_for_a_client_that_never_finishes_its_request() {
    let rig = rig(1000);
    let mut stuck = std::net::TcpStream::connect(rig.server.http_addr).unwrap();
    // Headers promising a body that never comes.
    stuck
        .write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        rig.server.stop();
        let _ = tx.send(());
    });
    // Liveness, not speed: the stop gives up on the stuck request (after 3 s) instead of
    // hanging forever.
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the receiver stopped");
    drop(stuck);
}
