//! Log records back out as one OTLP/JSON `ExportLogsServiceRequest` line (`resourceLogs`),
//! as the Collector's file exporter writes them, so a recording with logs loads again. A
//! structured body (kept as JSON text) is written back as a string value.

use super::otlp_jsonl::{push_attrs, push_hex};
use crate::json_write::push_str;
use crate::model::{Attr, Batch, Interner, LogRecord, Resource, Store};

/// Borrowed view of log records and their arenas (a `Batch` or a `Store`).
#[derive(Clone, Copy)]
pub struct LogData<'a> {
    pub strings: &'a Interner,
    pub logs: &'a [LogRecord],
    pub log_bytes: &'a [u8],
    pub attrs: &'a [Attr],
    pub res_attrs: &'a [Attr],
    pub resources: &'a [Resource],
}

impl<'a> From<&'a Batch> for LogData<'a> {
    fn from(b: &'a Batch) -> Self {
        LogData {
            strings: &b.strings,
            logs: &b.logs,
            log_bytes: &b.log_bytes,
            attrs: &b.attrs,
            res_attrs: &b.res_attrs,
            resources: &b.resources,
        }
    }
}

impl<'a> From<&'a Store> for LogData<'a> {
    fn from(s: &'a Store) -> Self {
        LogData {
            strings: &s.strings,
            logs: &s.logs,
            log_bytes: &s.log_bytes,
            attrs: &s.attrs,
            res_attrs: &s.res_attrs,
            resources: &s.resources,
        }
    }
}

/// Writes every record as lines of at most `per_line` records; returns the records written.
pub fn write_all_logs(
    w: &mut impl std::io::Write,
    data: &LogData,
    per_line: usize,
) -> std::io::Result<u64> {
    let mut out = String::new();
    for chunk in data.logs.chunks(per_line.max(1)) {
        out.clear();
        push_logs_line(
            &mut out,
            &LogData {
                logs: chunk,
                ..*data
            },
        );
        w.write_all(out.as_bytes())?;
    }
    Ok(data.logs.len() as u64)
}

/// Appends one line (request JSON + '\n') holding every record, one `resourceLogs` per run of
/// records of one resource.
pub fn push_logs_line(out: &mut String, data: &LogData) {
    out.push_str("{\"resourceLogs\":[");
    for (k, run) in data
        .logs
        .chunk_by(|a, b| a.resource == b.resource)
        .enumerate()
    {
        if k > 0 {
            out.push(',');
        }
        let res = &data.resources[run[0].resource as usize];
        out.push_str("{\"resource\":{\"attributes\":");
        push_attrs(out, data.strings, &data.res_attrs[res.attrs.range()]);
        out.push_str("},\"scopeLogs\":[{\"logRecords\":[");
        for (j, l) in run.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_record(out, data, l);
        }
        out.push_str("]}]}");
    }
    out.push_str("]}\n");
}

fn push_record(out: &mut String, data: &LogData, l: &LogRecord) {
    out.push_str(&format!(
        "{{\"timeUnixNano\":\"{}\",\"observedTimeUnixNano\":\"{}\",\"severityNumber\":{},\"severityText\":",
        l.time, l.observed, l.severity
    ));
    push_str(out, data.strings.resolve(l.severity_text));
    out.push_str(",\"body\":{\"stringValue\":");
    push_str(
        out,
        &String::from_utf8_lossy(&data.log_bytes[l.body.range()]),
    );
    out.push_str("},\"attributes\":");
    push_attrs(out, data.strings, &data.attrs[l.attrs.range()]);
    if l.trace_id != 0 {
        out.push_str(",\"traceId\":");
        push_hex(out, l.trace_id, 32);
    }
    if l.span_id != 0 {
        out.push_str(",\"spanId\":");
        push_hex(out, l.span_id as u128, 16);
    }
    out.push('}');
}
