//! The live receiver against real clients: the OpenTelemetry Python SDK's OTLP exporters
//! (HTTP protobuf and gRPC, plain and gzip) sending to `tracetopo listen --headless` and to
//! the in-process live store over loopback, and raw HTTP requests for every error answer.

mod app;
mod cli;
mod grpc;
mod http_errors;
mod limits;
mod python;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio::sync::mpsc;
use tracetopo::live::server::Delivery;
use tracetopo::model::Batch;

/// Consumes a sink as the live store does: each delivery is kept (handed to the returned
/// channel for the test to read), then acknowledged, so the request it came from is answered.
pub fn keep_all(mut rx: mpsc::Receiver<Delivery>) -> std::sync::mpsc::Receiver<Batch> {
    let (tx, kept) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        while let Some(d) = rx.blocking_recv() {
            let Delivery { batch, done, .. } = d;
            let _ = tx.send(batch);
            let _ = done.send(Ok(()));
        }
    });
    kept
}

/// A parsed HTTP/1.1 response.
pub struct Reply {
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Sends one request on a new connection and reads the whole response (`Connection: close`).
pub fn request(addr: SocketAddr, method: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect to the receiver");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} /v1/traces HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything; the answer is what counts.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    Reply {
        status,
        head,
        content_type,
        body: raw[split + 4..].to_vec(),
    }
}
