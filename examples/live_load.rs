//! Live receiver load benchmark (docs/PERFORMANCE.md): spans/s sustained over OTLP/HTTP
//! protobuf from a second process, into the live store the app uses, with its snapshots
//! indexed and analysed as in the app.
//!
//! `cargo run --release --example live_load -- [SPANS] [CONNECTIONS]` (default 1,000,000
//! spans over 4 keep-alive connections). The example starts the receiver and the live store,
//! then runs itself again as the client: that process builds realistic requests of ~512 spans
//! (the Go and Python SDKs' default batch) from `tracetopo generate large` data, encodes them
//! as protobuf before timing, and posts them as fast as the receiver answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tracetopo::analysis::Options;
use tracetopo::app::state::Session;
use tracetopo::app::views::Views;
use tracetopo::live::LiveConfig;
use tracetopo::live::collector::{Collector, Snapshot};
use tracetopo::live::server::Server;
use tracetopo::synth::{self, LargeConfig};

const SPANS_PER_REQUEST: usize = 512;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--client") {
        client(&args[1..]);
        return;
    }
    let spans: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let conns: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    server(spans, conns);
}

fn server(spans: u64, conns: usize) {
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        ..LiveConfig::default()
    };
    let snapshots = Arc::new(AtomicU64::new(0));
    let last_build = Arc::new(Mutex::new((Duration::ZERO, 0usize, Duration::ZERO)));
    let publish = {
        let (snapshots, last_build) = (Arc::clone(&snapshots), Arc::clone(&last_build));
        move |snap: Snapshot| {
            let t = Instant::now();
            let s = Session::build_with(snap.store, Options::default(), Some(snap.arrivals));
            let built = t.elapsed();
            // What the UI thread redoes when this snapshot is shown: every view's reset (the
            // indexes they look up are built above, with the session).
            let t = Instant::now();
            Views::default().reset(&s);
            let views = t.elapsed();
            *last_build.lock().unwrap() = (built, s.store.spans.len(), views);
            snapshots.fetch_add(1, Ordering::Relaxed);
        }
    };
    let collector = Collector::start(&cfg, Arc::default(), publish).expect("live store");
    let server =
        Server::start(&cfg, collector.sink(), Arc::clone(&collector.stats)).expect("receiver");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--client", &server.http_addr.to_string()])
        .args([spans.to_string(), conns.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the client process");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The client says when it starts sending (after building its requests) and what it sent.
    let ready = lines.next().unwrap().unwrap();
    let t0 = Instant::now();
    println!("client: {ready}");
    let sent: u64 = lines
        .next()
        .unwrap()
        .unwrap()
        .trim()
        .parse()
        .expect("span count from the client");
    let client_secs = t0.elapsed().as_secs_f64();
    let _ = child.wait();
    // Until the store holds everything (a request answered is in the store's queue).
    while collector.stats.snapshot().spans + collector.stats.snapshot().rejected_spans < sent
        || collector.stats.snapshot().held + collector.stats.snapshot().evicted_spans < sent
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let stored_secs = t0.elapsed().as_secs_f64();
    let st = collector.stats.snapshot();
    let (build, built_spans, views) = *last_build.lock().unwrap();
    println!(
        "{sent} spans in {} requests over {conns} connections\n\
         client: all answered after {client_secs:.2} s = {:.0} spans/s\n\
         store: all merged after {stored_secs:.2} s = {:.0} spans/s (held {}, evicted {})\n\
         snapshots indexed+analysed meanwhile: {} (last: {} spans in {:.0} ms)\n\
         UI thread when showing it: the views' reset {:.1} ms",
        st.requests,
        sent as f64 / client_secs,
        sent as f64 / stored_secs,
        st.held,
        st.evicted_spans,
        snapshots.load(Ordering::Relaxed),
        built_spans,
        build.as_secs_f64() * 1e3,
        views.as_secs_f64() * 1e3
    );
    server.stop();
}

/// Builds the request bodies, prints "ready", posts them all, prints the span count.
fn client(args: &[String]) {
    let addr: SocketAddr = args[0].parse().expect("address");
    let target: u64 = args[1].parse().unwrap();
    let conns: usize = args[2].parse().unwrap();
    let bodies = bodies(target);
    let total: u64 = bodies.iter().map(|b| b.1).sum();
    println!(
        "{} requests of ~{SPANS_PER_REQUEST} spans built",
        bodies.len()
    );
    std::io::stdout().flush().unwrap();
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..conns {
            s.spawn(|| {
                let mut conn = TcpStream::connect(addr).expect("connect");
                conn.set_nodelay(true).unwrap();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some((body, _)) = bodies.get(k) else {
                        break;
                    };
                    post(&mut conn, addr, body);
                }
            });
        }
    });
    println!("{total}");
}

/// Requests of about `SPANS_PER_REQUEST` spans until `target` spans, from the large
/// generator's OTLP JSON lines, protobuf-encoded. Repeats get fresh trace ids.
fn bodies(target: u64) -> Vec<(Vec<u8>, u64)> {
    let cfg = LargeConfig {
        traces: 2_000,
        ..LargeConfig::default()
    };
    let mut jsonl = Vec::new();
    synth::write_jsonl(&mut jsonl, &cfg, |_| {}).expect("generate");
    let lines: Vec<ExportTraceServiceRequest> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("generated line"))
        .collect();
    let mut out = Vec::new();
    let (mut req, mut n, mut sent, mut round) = (ExportTraceServiceRequest::default(), 0, 0, 0u8);
    'fill: loop {
        for line in &lines {
            let mut line = line.clone();
            for rs in &mut line.resource_spans {
                for ss in &mut rs.scope_spans {
                    for sp in &mut ss.spans {
                        sp.trace_id[0] ^= round;
                        n += 1;
                    }
                }
            }
            req.resource_spans.extend(line.resource_spans);
            if n >= SPANS_PER_REQUEST as u64 {
                out.push((req.encode_to_vec(), n));
                sent += n;
                req = ExportTraceServiceRequest::default();
                n = 0;
                if sent >= target {
                    break 'fill;
                }
            }
        }
        round = round.wrapping_add(1);
    }
    out
}

/// One keep-alive POST; panics on anything but 200.
fn post(conn: &mut TcpStream, addr: SocketAddr, body: &[u8]) {
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut buf = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).expect("response");
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).unwrap();
}
