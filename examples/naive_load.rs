//! The naive baseline that docs/PERFORMANCE.md compares against: serde_json into the
//! opentelemetry-proto generated types, one line at a time, on one thread.
//!
//! `cargo run --release --example naive_load -- FILE.jsonl` prints spans, bytes and seconds.

use std::io::BufRead;
use std::time::Instant;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: naive_load FILE.jsonl");
        std::process::exit(2);
    };
    let t = Instant::now();
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("naive_load: {path}: {e}");
            std::process::exit(2);
        }
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let (mut spans, mut bytes, mut bad) = (0u64, 0u64, 0u64);
    // Keep every request, as a viewer built on these types would.
    let mut kept: Vec<ExportTraceServiceRequest> = Vec::new();
    for line in reader.lines() {
        let Ok(line) = line else {
            bad += 1;
            continue;
        };
        bytes += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ExportTraceServiceRequest>(&line) {
            Ok(req) => {
                spans += req
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .map(|s| s.spans.len() as u64)
                    .sum::<u64>();
                kept.push(req);
            }
            Err(_) => bad += 1,
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "naive_load: {spans} spans, {} requests, {bad} bad lines, {:.1} MB in {secs:.2} s = {:.0} MB/s",
        kept.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
}
