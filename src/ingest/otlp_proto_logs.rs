//! OTLP protobuf logs: `LogsData` / `ExportLogsServiceRequest` (the same bytes: field 1 is the
//! resource logs), from files and from the live receiver, into log records.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;

use super::ids;
use super::otlp_proto::{attr_range, resource_of};
use crate::json_write;
use crate::model::Batch;
use crate::model::log::{LogRecord, flags};

/// Converts one decoded logs request (from a file or the live receiver) into a batch.
pub fn batch_from_logs_request(req: &ExportLogsServiceRequest) -> Batch {
    let mut b = Batch::new();
    for rl in &req.resource_logs {
        fill_resource_logs(&mut b, rl);
    }
    b
}

pub(crate) fn fill_resource_logs(b: &mut Batch, rl: &ResourceLogs) {
    if rl.scope_logs.iter().all(|sl| sl.log_records.is_empty()) {
        return;
    }
    let resource = resource_of(b, rl.resource.as_ref());
    for sl in &rl.scope_logs {
        for r in &sl.log_records {
            let attrs = attr_range(b, &r.attributes);
            let (text, json) = body_text(r.body.as_ref());
            let trace = ids::trace_id_bytes(&r.trace_id);
            let span = ids::span_id_bytes(&r.span_id);
            let body = b.push_body(text.as_bytes());
            let severity_text = b.intern(&r.severity_text);
            b.logs.push(LogRecord {
                trace_id: if trace.flags == 0 { trace.value } else { 0 },
                span_id: if span.flags == 0 { span.value } else { 0 },
                time: if r.time_unix_nano != 0 {
                    r.time_unix_nano
                } else {
                    r.observed_time_unix_nano
                },
                observed: r.observed_time_unix_nano,
                body,
                attrs,
                resource,
                severity_text,
                severity: u8::try_from(r.severity_number)
                    .ok()
                    .filter(|&n| n <= 24)
                    .unwrap_or(0),
                flags: if json { flags::JSON_BODY } else { 0 },
                input: 0,
            });
        }
    }
}

/// A body as text: a string as it is, anything else as JSON text.
fn body_text(v: Option<&AnyValue>) -> (String, bool) {
    match v.and_then(|v| v.value.as_ref()) {
        None => (String::new(), false),
        Some(any_value::Value::StringValue(s)) => (s.clone(), false),
        Some(_) => {
            let mut text = String::new();
            json_write::push_any(&mut text, v);
            (text, true)
        }
    }
}
