//! The scanner's `resourceLogs`: log records into the batch exactly as the serde visitors
//! (`otlp_json_logs`) write them. A structured body bails out to serde_json (rare: Go and
//! most SDKs log strings).

use super::{Scan, Scanner};
use crate::ingest::ids;
use crate::ingest::otlp_json::Logs;
use crate::model::log::{LogRecord, severity_number};

impl Scanner<'_, '_, '_> {
    pub(super) fn resource_logs(&mut self) -> Scan<()> {
        self.resource_item::<Logs>(
            [
                b"scopeLogs",
                b"scope_logs",
                b"instrumentationLibraryLogs",
                b"instrumentation_library_logs",
            ],
            |sc| sc.scope_item::<Logs>(&[b"logRecords", b"log_records"], Self::log_record),
        )
    }

    fn log_record(&mut self) -> Scan<()> {
        self.open(b'{')?;
        let mut l = LogRecord::default();
        let mut number = None;
        let mut first = true;
        while let Some(k) = self.key(&mut first)? {
            match k {
                b"timeUnixNano" | b"time_unix_nano" => l.time = self.u64()?,
                b"observedTimeUnixNano" | b"observed_time_unix_nano" => l.observed = self.u64()?,
                b"severityNumber" | b"severity_number" => number = Some(self.severity()?),
                b"severityText" | b"severity_text" => l.severity_text = self.sym()?,
                b"body" => l.body = self.string_body()?,
                b"attributes" => l.attrs = self.attributes()?,
                b"traceId" | b"trace_id" => l.trace_id = ids::log_trace_id(&self.id_text()?),
                b"spanId" | b"span_id" => l.span_id = ids::log_span_id(&self.id_text()?),
                _ => self.skip()?,
            }
        }
        if l.time == 0 {
            l.time = l.observed;
        }
        let b = &mut *self.ctx.batch;
        l.severity = number.unwrap_or_else(|| severity_number(b.strings.resolve(l.severity_text)));
        b.logs.push(l);
        Some(())
    }

    /// An id as text; `null` is empty.
    fn id_text(&mut self) -> Scan<std::borrow::Cow<'_, str>> {
        if self.null() {
            return Some("".into());
        }
        self.str()
    }

    /// A severity number or its name; outside 0..=24 reads as 0.
    fn severity(&mut self) -> Scan<u8> {
        if self.null() {
            return Some(0);
        }
        let v = if self.peek()? == b'"' {
            let s = self.str()?;
            match s.parse::<u64>() {
                Ok(v) => v,
                Err(_) => return Some(severity_number(&s)),
            }
        } else {
            match self.int()? {
                super::Int::U(v) => v,
                super::Int::I(_) => u64::MAX,
            }
        };
        Some(if v <= 24 { v as u8 } else { 0 })
    }

    /// A body that is a string value (or null, or empty); anything else bails out.
    fn string_body(&mut self) -> Scan<crate::model::ArenaRange> {
        let mut body = Default::default();
        self.object_or_null(|s, k| {
            match k {
                b"stringValue" | b"string_value" => {
                    let text = if s.null() { "".into() } else { s.str()? };
                    body = s.ctx.batch.push_body(text.as_bytes());
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(body)
    }
}
