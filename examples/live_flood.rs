//! Memory of the live receiver under adversarial load (docs/PERFORMANCE.md, issue 9): eight
//! concurrent maximum-size requests of one shape sent to `tracetopo listen --headless`, and the
//! peak resident memory of that process (`VmHWM`) above what it held before the first request.
//!
//! `cargo build --release --bin tracetopo --example live_flood && target/release/examples/live_flood`
//! runs every shape, each against a fresh `tracetopo listen --headless --out /dev/null`
//! (recording keeps nothing in memory, so the peak is all the receiver's). `[SHAPE...]` runs
//! some. The shapes, each as large as the default 16 MiB limit allows:
//!
//! * `empty-proto`, `empty-json`, `empty-grpc`: empty spans (2 bytes each in protobuf, `{}` in
//!   JSON), hundreds of bytes each decoded: refused by the decoded-size limit.
//! * `gzip-empty-proto`: the same, gzip-compressed to a few KB.
//! * `int-attrs-proto`: one span with as many tiny integer attributes as fit.
//! * `nested-proto`: an attribute whose value is an array of empty values, as many as fit.
//! * `at-cap-proto`, `at-cap-grpc`: empty spans, as many as the decoded-size limit admits
//!   (the most a single admitted request can cost).
//! * `realistic-proto`: spans as SDKs send them (ids, name, times, 10 string attributes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::BufMut;
use flate2::{Compression, write::GzEncoder};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tracetopo::live::{LiveConfig, cost};

const SHAPES: [&str; 10] = [
    "empty-proto",
    "empty-json",
    "empty-grpc",
    "gzip-empty-proto",
    "int-attrs-proto",
    "nested-proto",
    "at-cap-proto",
    "at-cap-grpc",
    "realistic-proto",
    "realistic-json",
];
const CONCURRENT: usize = 8;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shapes: Vec<&str> = if args.is_empty() {
        SHAPES.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("tracetopo"))
        .filter(|p| p.exists())
        .expect("build the binary first: cargo build --release --bin tracetopo");
    println!(
        "{:<18} {:>10} {:>8} {:>12} {:>12}  answers",
        "shape", "body MiB", "spans", "estimate MiB", "peak MiB"
    );
    for shape in shapes {
        run(&bin, shape);
    }
}

/// The largest body under the default limit, leaving room for the envelope.
fn max_body() -> usize {
    LiveConfig::default().max_request_bytes - 64
}

fn envelope(spans: Vec<Span>, resource: Option<Resource>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// `n` empty spans, encoded without building them (2 bytes each).
fn empty_spans(n: usize) -> Vec<u8> {
    let scope: Vec<u8> = [0x12, 0x00].repeat(n);
    let mut rs = Vec::new();
    prost::encoding::bytes::encode(2, &scope, &mut rs);
    let mut req = Vec::new();
    prost::encoding::bytes::encode(1, &rs, &mut req);
    req
}

fn kv(key: String, value: any_value::Value) -> KeyValue {
    KeyValue {
        key,
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

fn realistic(i: u64) -> Span {
    Span {
        trace_id: (u128::from(i / 8) + 1).to_be_bytes().to_vec(),
        span_id: (i + 1).to_be_bytes().to_vec(),
        parent_span_id: if i.is_multiple_of(8) {
            vec![]
        } else {
            i.to_be_bytes().to_vec()
        },
        name: format!("orders.Service/Get{}", i % 20),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000,
        end_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000 + 500,
        attributes: (0..10)
            .map(|a| {
                kv(
                    format!("app.attribute.{a}"),
                    any_value::Value::StringValue(format!("value-{}-{a}", i % 1000)),
                )
            })
            .collect(),
        ..Span::default()
    }
}

/// The body, its content type and encoding, and whether it goes over gRPC.
struct Shape {
    body: Vec<u8>,
    spans: usize,
    json: bool,
    gzip: bool,
    grpc: bool,
}

fn shape(name: &str) -> Shape {
    let proto = |body: Vec<u8>| Shape {
        spans: ExportTraceServiceRequest::decode(body.as_slice())
            .map_or(0, |r| r.resource_spans[0].scope_spans[0].spans.len()),
        body,
        json: false,
        gzip: false,
        grpc: false,
    };
    let max = max_body();
    match name {
        "empty-proto" => proto(empty_spans(max / 2 - 8)),
        "empty-grpc" => Shape {
            grpc: true,
            ..proto(empty_spans(max / 2 - 8))
        },
        "empty-json" => {
            let head = r#"{"resourceSpans":[{"scopeSpans":[{"spans":["#;
            let tail = "]}]}]}";
            let n = (max - head.len() - tail.len()) / 3;
            let body = format!("{head}{}{}", vec!["{}"; n].join(","), tail).into_bytes();
            Shape {
                json: true,
                spans: n,
                body,
                gzip: false,
                grpc: false,
            }
        }
        "gzip-empty-proto" => {
            let mut e = GzEncoder::new(Vec::new(), Compression::best());
            e.write_all(&empty_spans(max / 2 - 8)).unwrap();
            Shape {
                gzip: true,
                spans: max / 2 - 8,
                body: e.finish().unwrap(),
                json: false,
                grpc: false,
            }
        }
        "int-attrs-proto" => {
            let one = kv("k".into(), any_value::Value::IntValue(1)).encoded_len() + 2;
            let attrs = (0..max / one * 99 / 100)
                .map(|_| kv("k".into(), any_value::Value::IntValue(1)))
                .collect();
            proto(fit(vec![Span {
                attributes: attrs,
                ..Span::default()
            }]))
        }
        "nested-proto" => {
            let values = vec![AnyValue::default(); max / 2 * 99 / 100];
            let attr = kv(
                "a".into(),
                any_value::Value::ArrayValue(ArrayValue { values }),
            );
            proto(fit(vec![Span {
                attributes: vec![attr],
                ..Span::default()
            }]))
        }
        "at-cap-proto" | "at-cap-grpc" => {
            // The largest count of empty spans whose estimate the per-request limit admits.
            let cap = LiveConfig::default().max_decoded_bytes();
            let (mut lo, mut hi) = (1usize, max / 2);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if cost::protobuf(&empty_spans(mid)) <= cap {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            Shape {
                grpc: name.ends_with("grpc"),
                ..proto(empty_spans(lo))
            }
        }
        "realistic-proto" | "realistic-json" => {
            let one = envelope(vec![realistic(1)], None).encoded_len();
            let n = (max / one) as u64;
            let spans: Vec<Span> = (0..n).map(realistic).collect();
            let json = name.ends_with("json");
            // As many of them as fit, in the shape's encoding.
            let mut k = spans.len();
            loop {
                let part = envelope(spans[..k].to_vec(), None);
                let body = if json {
                    serde_json::to_vec(&part).unwrap()
                } else {
                    part.encode_to_vec()
                };
                if body.len() <= max {
                    return Shape {
                        json,
                        spans: k,
                        body,
                        gzip: false,
                        grpc: false,
                    };
                }
                k = k * max / body.len() - 1;
            }
        }
        other => panic!("unknown shape {other}; shapes: {}", SHAPES.join(", ")),
    }
}

fn fit(spans: Vec<Span>) -> Vec<u8> {
    let body = envelope(spans, None).encode_to_vec();
    assert!(body.len() <= max_body(), "{} bytes", body.len());
    body
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn listen(bin: &std::path::Path) -> (Child, SocketAddr, SocketAddr) {
    let mut child = Command::new(bin)
        .args(["listen", "--headless", "--out", "/dev/null"])
        .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = |p: &str| -> SocketAddr {
        line.split(&format!("OTLP/{p} "))
            .nth(1)
            .and_then(|r| r.split([' ', ',']).next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no {p} address in {line:?}"))
    };
    let (grpc, http) = (addr("gRPC"), addr("HTTP"));
    (child, grpc, http)
}

fn run(bin: &std::path::Path, name: &str) {
    let s = Arc::new(shape(name));
    let estimate = if s.json {
        cost::json(&s.body)
    } else if s.gzip {
        cost::protobuf(&empty_spans(max_body() / 2 - 8))
    } else {
        cost::protobuf(&s.body)
    };
    let (mut child, grpc, http) = listen(bin);
    let pid = child.id();
    let before = status_kib(pid, "VmRSS:");
    let answers: Vec<String> = if s.grpc {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|_| {
                    let s = Arc::clone(&s);
                    tokio::spawn(async move { grpc_export(grpc, s.body.clone()).await })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        })
    } else {
        let threads: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || post(http, &s))
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    };
    let peak = status_kib(pid, "VmHWM:");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let mut tally: Vec<(String, usize)> = Vec::new();
    for a in answers {
        match tally.iter_mut().find(|(k, _)| *k == a) {
            Some((_, n)) => *n += 1,
            None => tally.push((a, 1)),
        }
    }
    let tally: Vec<String> = tally.iter().map(|(k, n)| format!("{n}× {k}")).collect();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{:<18} {:>10.1} {:>8} {:>12.0} {:>12.0}  {}",
        name,
        s.body.len() as f64 / (1 << 20) as f64,
        s.spans,
        estimate as f64 / (1 << 20) as f64,
        mib(peak.saturating_sub(before)),
        tally.join(", ")
    );
}

/// One OTLP/HTTP request; its status code.
fn post(addr: SocketAddr, s: &Shape) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let ct = if s.json {
        "application/json"
    } else {
        "application/x-protobuf"
    };
    let enc = if s.gzip {
        "Content-Encoding: gzip\r\n"
    } else {
        ""
    };
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {ct}\r\n{enc}Content-Length: {}\r\n\r\n",
        s.body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    let _ = c.write_all(&s.body);
    let mut reply = Vec::new();
    let _ = c.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)
        .map_or("no answer".into(), |c| format!("HTTP {c}"))
}

async fn grpc_export(addr: SocketAddr, body: Vec<u8>) -> String {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel).max_encoding_message_size(usize::MAX);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    match grpc.unary(tonic::Request::new(body), path, RawCodec).await {
        Ok(_) => "gRPC OK".into(),
        Err(e) => format!("gRPC {:?}", e.code()),
    }
}

/// Sends bytes as they are; ignores the answer's body.
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, _src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        Ok(Some(()))
    }
}
