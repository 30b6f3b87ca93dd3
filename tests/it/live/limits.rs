//! The receiver's bounds, over loopback with raw HTTP and the tonic client: the decoded size of
//! one request, the in-flight budget shared by all (429 / RESOURCE_EXHAUSTED with retry advice,
//! then accepted once budget frees), `Content-Length` over the limit answered before the body,
//! idle and half-sent connections closed, and the connection cap. Timeouts are set short here
//! so the tests are quick; what is asserted is what happens, never how long it took.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tokio::sync::mpsc;
use tracetopo::live::LiveConfig;
use tracetopo::live::cost;
use tracetopo::live::server::{self, Delivery, Server};
use tracetopo::live::stats::Stats;

use super::request;

const LIMIT: usize = 64 << 10;
const PROTO: (&str, &str) = ("Content-Type", "application/x-protobuf");

fn config() -> LiveConfig {
    LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        max_request_bytes: LIMIT,
        budget_wait: Duration::from_millis(200),
        ..LiveConfig::default()
    }
}

/// A request of `n` spans, each with ids and a name (distinct per `tag`).
fn spans(n: u64, tag: u8) -> Vec<u8> {
    let spans = (1..=n)
        .map(|i| Span {
            trace_id: vec![tag; 16],
            span_id: i.to_be_bytes().to_vec(),
            name: format!("op-{tag}"),
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

/// `n` empty spans: 2 bytes each on the wire.
fn empty_spans(n: usize) -> Vec<u8> {
    let scope: Vec<u8> = [0x12, 0x00].repeat(n);
    let mut rs = Vec::new();
    prost::encoding::bytes::encode(2, &scope, &mut rs);
    let mut req = Vec::new();
    prost::encoding::bytes::encode(1, &rs, &mut req);
    req
}

/// A consumer that keeps deliveries unanswered until told: their requests keep their share
/// of the budget meanwhile.
struct Holder {
    rx: mpsc::Receiver<Delivery>,
    held: Vec<Delivery>,
}

impl Holder {
    fn take(&mut self) -> usize {
        let d = self.rx.blocking_recv().expect("a delivery");
        self.held.push(d);
        self.held[self.held.len() - 1].batch.spans.len()
    }

    fn release_all(&mut self) {
        for d in self.held.drain(..) {
            let _ = d.done.send(Ok(()));
        }
    }
}

#[test]
fn a_request_too_large_once_decoded_is_refused_before_it_is_decoded() {
    let cfg = LiveConfig {
        in_flight_bytes: 4 << 20,
        ..config()
    };
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let srv = Server::start(&cfg, sink, Arc::clone(&stats)).unwrap();
    let kept = super::keep_all(rx);
    // 30,000 empty spans: 60 KB on the wire, under the 64 KiB limit, but each is hundreds of
    // bytes decoded: over the 2 MiB one request may take.
    let body = empty_spans(30_000);
    assert!(body.len() < LIMIT);
    assert!(cost::protobuf(&body) > cfg.max_decoded_bytes());
    let r = request(srv.http_addr, "POST", &[PROTO], &body);
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("once decoded"));
    // The same request over gRPC: RESOURCE_EXHAUSTED without retry advice (permanent).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(async {
        let mut c = TraceServiceClient::connect(format!("http://{}", srv.grpc_addr))
            .await
            .unwrap();
        let req = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
        c.export(req).await.unwrap_err()
    });
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("once decoded"), "{err:?}");
    assert!(!String::from_utf8_lossy(err.details()).contains("RetryInfo"));
    // A small request still gets through: the refused ones gave their budget back.
    let r = request(srv.http_addr, "POST", &[PROTO], &spans(3, 1));
    assert_eq!(r.status, 200);
    assert_eq!(
        kept.recv_timeout(Duration::from_secs(30))
            .unwrap()
            .spans
            .len(),
        3
    );
    assert!(kept.try_recv().is_err(), "nothing of the refused requests");
    assert_eq!(stats.snapshot().too_large, 2);
    srv.stop();
}

#[test]
fn over_the_in_flight_budget_requests_are_told_to_retry_and_then_accepted() {
    let one = spans(400, 1);
    let cost = cost::protobuf(&one);
    // Two such requests fit in the budget, a third does not (and one alone is under the
    // per-request half).
    let cfg = LiveConfig {
        in_flight_bytes: cost * 5 / 2,
        ..config()
    };
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let srv = Server::start(&cfg, sink, Arc::clone(&stats)).unwrap();
    let mut holder = Holder {
        rx,
        held: Vec::new(),
    };
    let addr = srv.http_addr;
    let waiting: Vec<_> = (1..=2u8)
        .map(|tag| std::thread::spawn(move || request(addr, "POST", &[PROTO], &spans(400, tag))))
        .collect();
    assert_eq!(holder.take() + holder.take(), 800);
    // Both held unanswered: a third waits for budget, then is told to retry.
    let r = request(addr, "POST", &[PROTO], &one);
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    let head = r.head.to_ascii_lowercase();
    assert!(head.contains("retry-after: 2"), "{head}");
    // gRPC: RESOURCE_EXHAUSTED with RetryInfo, which OTLP clients retry.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(async {
        let mut c = TraceServiceClient::connect(format!("http://{}", srv.grpc_addr))
            .await
            .unwrap();
        c.export(ExportTraceServiceRequest::decode(one.as_slice()).unwrap())
            .await
            .unwrap_err()
    });
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(
        String::from_utf8_lossy(err.details()).contains("google.rpc.RetryInfo"),
        "{err:?}"
    );
    assert_eq!(stats.snapshot().busy, 2);
    // Once the held requests are answered, their budget is free again.
    holder.release_all();
    for w in waiting {
        assert_eq!(w.join().unwrap().status, 200);
    }
    let retry = std::thread::spawn(move || request(addr, "POST", &[PROTO], &spans(400, 3)));
    assert_eq!(holder.take(), 400);
    holder.release_all();
    assert_eq!(retry.join().unwrap().status, 200);
    srv.stop();
}

/// Reads until the server closes the connection (or the 30 s guard fires: a failure).
fn read_until_closed(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

fn started(cfg: &LiveConfig) -> (Server, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let srv = Server::start(cfg, sink, Arc::clone(&stats)).unwrap();
    let kept = super::keep_all(rx);
    // The batches are not looked at here.
    std::thread::spawn(move || while kept.recv().is_ok() {});
    (srv, stats)
}

#[test]
fn a_content_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let (srv, stats) = started(&config());
    let mut s = TcpStream::connect(srv.http_addr).unwrap();
    write!(
        s,
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        1u64 << 30
    )
    .unwrap();
    // Not a byte of the body: the answer comes anyway, and the connection is closed.
    let reply = String::from_utf8_lossy(&read_until_closed(&mut s)).to_string();
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("limit"), "{reply}");
    assert_eq!(stats.snapshot().too_large, 1);
    srv.stop();
}

#[test]
fn idle_and_half_sent_connections_are_closed() {
    let cfg = LiveConfig {
        idle_timeout: Duration::from_millis(300),
        header_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(300),
        ..config()
    };
    let (srv, _) = started(&cfg);
    // Connected, silent: closed (HTTP/2 says its settings first, and goodbye).
    let mut idle = TcpStream::connect(srv.http_addr).unwrap();
    assert!(read_until_closed(&mut idle).is_empty());
    let mut idle = TcpStream::connect(srv.grpc_addr).unwrap();
    let _ = read_until_closed(&mut idle);
    // Headers cut off in the middle.
    let mut half = TcpStream::connect(srv.http_addr).unwrap();
    half.write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .unwrap();
    let _ = read_until_closed(&mut half);
    // A body promised and never finished: refused and closed.
    let mut body = TcpStream::connect(srv.http_addr).unwrap();
    body.write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"resourceSpans\"")
        .unwrap();
    let reply = String::from_utf8_lossy(&read_until_closed(&mut body)).to_string();
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 4"),
        "{reply}"
    );
    // A slow client that keeps sending a byte at a time still cannot hold headers open.
    let mut slow = TcpStream::connect(srv.http_addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut closed = false;
    for b in b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Pad: "
        .iter()
        .chain([b'a'; 1000].iter())
    {
        if slow.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        match slow.read(&mut buf) {
            Ok(_) => {
                closed = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => {} // nothing yet: keep trickling
        }
    }
    assert!(closed, "a request trickling its headers was held open");
    srv.stop();
}

/// Whether a request on `s` is answered within `wait`.
fn answered_within(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(n) if n > 0)
}

#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    let cfg = LiveConfig {
        max_connections: 2,
        ..config()
    };
    let (srv, _) = started(&cfg);
    let addr: SocketAddr = srv.http_addr;
    let open: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let send = |s: &mut TcpStream| {
        let body = spans(1, 9);
        write!(
            s,
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(&body).unwrap();
    };
    // The kernel completes the handshake, but the receiver does not take the connection.
    let mut third = TcpStream::connect(addr).unwrap();
    send(&mut third);
    assert!(
        !answered_within(&mut third, Duration::from_millis(500)),
        "a third connection was served while two were open"
    );
    drop(open);
    assert!(
        answered_within(&mut third, Duration::from_secs(30)),
        "the waiting connection was served once a slot freed"
    );
    srv.stop();
}
