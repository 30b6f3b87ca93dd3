//! Log records for a trace dump, for the logs benchmark (docs/PERFORMANCE.md): one OTLP log
//! record per span (its trace and span id, its service, a time inside it, a Go-logger-like
//! message and a caller attribute), as OTLP/JSON lines of up to 1,000 records, one
//! `resourceLogs` per service on a line, as an SDK batches a process's records. Deterministic.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::Store;

const PER_LINE: usize = 1000;
const LEVELS: [(u8, &str); 4] = [(9, "INFO"), (5, "DEBUG"), (13, "WARN"), (17, "ERROR")];

/// Writes one record per span of `store` to `w`; returns the number written.
pub fn write_logs_jsonl(w: &mut impl Write, store: &Store) -> io::Result<u64> {
    let mut n = 0u64;
    for chunk in (0..store.spans.len() as u32)
        .collect::<Vec<_>>()
        .chunks(PER_LINE)
    {
        let mut by_service: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
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
    Ok(n)
}
