//! Writes log records for a trace dump, for the logs benchmark (docs/PERFORMANCE.md): one
//! OTLP log record per span of `SPANS` (its trace and span id, its service, a time inside
//! it, a Go-logger-like message and a caller attribute), as OTLP/JSON lines of 1,000 records
//! each, the Collector file exporter's shape.
//!
//! `cargo run --release --example gen_logs -- big.jsonl logs.jsonl`

use std::io::{BufWriter, Write};
use std::path::Path;

use tracetopo::ingest::{LoadOptions, load_path};
use tracetopo::model::Store;

const PER_LINE: usize = 1000;
const LEVELS: [(u8, &str); 4] = [(9, "INFO"), (5, "DEBUG"), (13, "WARN"), (17, "ERROR")];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(spans), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: gen_logs SPANS.jsonl OUT.jsonl".into());
    };
    let mut store = Store::new();
    load_path(&mut store, Path::new(spans), &LoadOptions::default())?;
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let mut n = 0u64;
    for chunk in (0..store.spans.len() as u32).collect::<Vec<_>>().chunks(PER_LINE) {
        // One resourceLogs per service on the line, as an SDK batches a process's records.
        let mut by_service: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
        for &i in chunk {
            by_service.entry(store.service_name(i)).or_default().push(i);
        }
        write!(w, "{{\"resourceLogs\":[")?;
        for (r, (service, spans)) in by_service.iter().enumerate() {
            if r > 0 {
                write!(w, ",")?;
            }
            write!(
                w,
                "{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":\"{service}\"}}}}]}},\"scopeLogs\":[{{\"logRecords\":["
            )?;
            for (k, &i) in spans.iter().enumerate() {
                let s = store.span(i);
                let (sev, text) = LEVELS[i as usize % LEVELS.len()];
                if k > 0 {
                    write!(w, ",")?;
                }
                write!(
                    w,
                    "{{\"timeUnixNano\":\"{}\",\"severityNumber\":{sev},\"severityText\":\"{text}\",\
                     \"body\":{{\"stringValue\":\"handled {} in {} µs\"}},\
                     \"attributes\":[{{\"key\":\"caller\",\"value\":{{\"stringValue\":\"handler/orders.go:{}\"}}}}],\
                     \"traceId\":\"{:032x}\",\"spanId\":\"{:016x}\"}}",
                    s.start + s.duration() / 2,
                    store.str(s.name),
                    s.duration() / 1000,
                    40 + i % 200,
                    s.trace_id,
                    s.span_id
                )?;
                n += 1;
            }
            write!(w, "]}}]}}")?;
        }
        writeln!(w, "]}}")?;
    }
    w.flush()?;
    eprintln!("{out}: {n} log records");
    Ok(())
}
