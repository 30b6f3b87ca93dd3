//! The log files of the bundled samples (issue 12): what the broken checkout's services logged,
//! in each format tracetopo reads: zap, log/slog, logrus and zerolog JSON lines (one service
//! each) and OTLP/JSON logs (the other services, as the Collector's file exporter writes them).
//! Each request span of a service gets a record with its trace and span id (joined to the span);
//! the first also one with only the trace id (joined to the trace), one with no trace id and one
//! with the placeholder `"unknown"` (two `log_without_trace` breaks: a logger that lost the
//! context); an errored span logs its error; every service logs one start-up line outside any
//! request (no break), and the OTLP file one record of a trace that is not loaded.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};

use super::spans::SpanRec;
use crate::model::SpanKind;
use crate::model::ids::{span_hex, trace_hex};

/// A Go logger's JSON line layout.
#[derive(Clone, Copy)]
enum Go {
    Zap,
    Slog,
    Logrus,
    Zerolog,
}

/// Which service logs in which Go format; the others write OTLP logs.
const GO_LOGGERS: [(&str, Go, &str); 4] = [
    ("order-svc", Go::Zap, "order-svc.zap.log"),
    ("payment-svc", Go::Slog, "payment-svc.slog.log"),
    ("user-svc", Go::Logrus, "user-svc.logrus.log"),
    ("api-gateway", Go::Zerolog, "api-gateway.zerolog.log"),
];

/// The OTLP logs file of the services without a Go logger file.
pub const OTLP_FILE: &str = "checkout-broken.logs.json";

/// A trace id no sample holds: the record of a request whose trace was sampled out.
const UNKNOWN_TRACE: u128 = 0x5a3b_1c00_0000_0000_0000_0000_0000_0001;

/// One record, before it is written in a format.
struct Rec {
    time: u64,
    level: &'static str,
    msg: String,
    trace: Option<String>,
    span: Option<String>,
}

/// The records of `service`, from its spans, in time order.
fn records(service: &str, spans: &[&SpanRec]) -> Vec<Rec> {
    let requests: Vec<&&SpanRec> = spans
        .iter()
        .filter(|s| matches!(s.kind, SpanKind::Server | SpanKind::Consumer))
        .collect();
    let Some(first) = spans.iter().map(|s| s.start).min() else {
        return Vec::new();
    };
    let mut out = vec![Rec {
        time: first - 1_000_000_000,
        level: "info",
        msg: format!("{service} listening"),
        trace: None,
        span: None,
    }];
    for (k, s) in requests.iter().enumerate() {
        let (trace, span) = (Some(trace_hex(s.trace)), Some(span_hex(s.id)));
        let at = |us: u64| s.start + us * 1000;
        out.push(Rec {
            time: at(100),
            level: "info",
            msg: format!("handling {}", s.name),
            trace: trace.clone(),
            span: span.clone(),
        });
        if k == 0 {
            out.push(Rec {
                time: at(200),
                level: "debug",
                msg: "request validated".to_string(),
                trace: trace.clone(),
                span: None,
            });
            out.push(Rec {
                time: at(300),
                level: "warn",
                msg: "cache miss, reading through".to_string(),
                trace: None,
                span: None,
            });
            out.push(Rec {
                time: at(400),
                level: "info",
                msg: "enqueued follow-up work".to_string(),
                trace: Some("unknown".to_string()),
                span: None,
            });
        }
        if let Some(e) = &s.error {
            out.push(Rec {
                time: s.end - 1000,
                level: "error",
                msg: e.clone(),
                trace,
                span,
            });
        }
    }
    out.sort_by_key(|r| r.time);
    out
}

fn rfc3339(ns: u64) -> String {
    humantime::format_rfc3339_nanos(UNIX_EPOCH + Duration::from_nanos(ns)).to_string()
}

/// One JSON line of `r` as `go` writes it (`serde_json::Map` keeps the keys sorted, which all
/// four loggers' readers accept).
fn go_line(go: Go, service: &str, r: &Rec) -> String {
    let mut m = serde_json::Map::new();
    let time = match go {
        // zap's production encoder: seconds as a float (microseconds kept).
        Go::Zap => json!(
            format!(
                "{}.{:06}",
                r.time / 1_000_000_000,
                r.time / 1000 % 1_000_000
            )
            .parse::<f64>()
            .unwrap_or_default()
        ),
        _ => json!(rfc3339(r.time)),
    };
    let (time_key, msg_key, level) = match go {
        Go::Zap => ("ts", "msg", r.level.to_string()),
        Go::Slog => ("time", "msg", r.level.to_uppercase()),
        Go::Logrus => ("time", "msg", r.level.to_string()),
        Go::Zerolog => ("time", "message", r.level.to_string()),
    };
    m.insert(time_key.into(), time);
    m.insert("level".into(), json!(level));
    m.insert(msg_key.into(), json!(r.msg));
    m.insert("service".into(), json!(service));
    if let Go::Zap = go {
        m.insert("caller".into(), json!("server/handler.go:42"));
    }
    if let Some(t) = &r.trace {
        m.insert("trace_id".into(), json!(t));
    }
    if let Some(s) = &r.span {
        m.insert("span_id".into(), json!(s));
    }
    Value::Object(m).to_string()
}

/// An OTLP log record of `r` (the protobuf JSON mapping, as the Collector writes it).
fn otlp_record(r: &Rec) -> Value {
    let (number, text) = match r.level {
        "debug" => (5, "DEBUG"),
        "warn" => (13, "WARN"),
        "error" => (17, "ERROR"),
        _ => (9, "INFO"),
    };
    let mut rec = json!({
        "timeUnixNano": r.time.to_string(),
        "observedTimeUnixNano": (r.time + 1_000_000).to_string(),
        "severityNumber": number,
        "severityText": text,
        "body": {"stringValue": r.msg},
    });
    if let Some(t) = &r.trace {
        rec["traceId"] = json!(t);
    }
    if let Some(s) = &r.span {
        rec["spanId"] = json!(s);
    }
    rec
}

/// The sample log files, `(file name, text)`, from the broken checkout's spans.
pub fn files(spans: &[SpanRec]) -> Vec<(String, String)> {
    let mut by_service: BTreeMap<&str, Vec<&SpanRec>> = BTreeMap::new();
    for s in spans {
        by_service.entry(s.proc.service).or_default().push(s);
    }
    let mut out = Vec::new();
    for (service, go, name) in GO_LOGGERS {
        let recs = records(service, by_service.get(service).map_or(&[][..], |v| v));
        let text: String = recs
            .iter()
            .map(|r| go_line(go, service, r) + "\n")
            .collect();
        out.push((name.to_string(), text));
    }
    let mut resources = Vec::new();
    for (service, spans) in &by_service {
        if GO_LOGGERS.iter().any(|(s, _, _)| s == service) {
            continue;
        }
        let mut logs: Vec<Value> = records(service, spans).iter().map(otlp_record).collect();
        if resources.is_empty() {
            logs.push(otlp_record(&Rec {
                time: spans[0].start,
                level: "info",
                msg: "retrying a request of an earlier trace".to_string(),
                trace: Some(trace_hex(UNKNOWN_TRACE)),
                span: None,
            }));
        }
        resources.push(json!({
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": service}}
            ]},
            "scopeLogs": [{"scope": {"name": "go.opentelemetry.io/contrib/bridges/otelslog"},
                           "logRecords": logs}],
        }));
    }
    let doc = json!({ "resourceLogs": resources });
    out.push((
        OTLP_FILE.to_string(),
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
    ));
    out
}

/// The samples README's section on these files.
pub const README: &str = "
## Logs of `checkout-broken.json`

What its services logged, one file per format tracetopo reads: `order-svc.zap.log` (zap),
`payment-svc.slog.log` (log/slog), `user-svc.logrus.log` (logrus),
`api-gateway.zerolog.log` (zerolog) and `checkout-broken.logs.json` (OTLP/JSON logs of the
other services, as the Collector's file exporter writes them). Open them beside the traces:
`tracetopo analyze checkout-broken.json *.log checkout-broken.logs.json`.

- Each request span's service logs `handling <span>` with the trace and span id: joined to
  the span (18).
- The first request of each service also logs `request validated` with only the trace id:
  joined to the trace (5), and, inside that request, `cache miss, reading through` with no
  trace id and `enqueued follow-up work` with the placeholder `\"unknown\"`: 10
  `log_without_trace` breaks, a logger that lost the request's context.
- Every service logs one start-up line outside any request: no trace id, and no break.
- The OTLP file holds one record of a trace that is not loaded (sampled out, or in another
  file): an unknown trace.
";
