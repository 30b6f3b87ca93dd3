//! Logs joined to traces (issue 12): every reader of log records on real files, the join
//! after loading in any file order, the `log_without_trace` break and the report's `logs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tracetopo::analysis::breaks::BreakKind;
use tracetopo::analysis::{Analysis, Options};
use tracetopo::ingest::{Format, LoadOptions, load_path};
use tracetopo::model::{Join, Level, NONE, SpanKind, Store, WarningKind};
use tracetopo::report::Report;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const ROOT: &str = "b7ad6b7169203331";
const CHILD: &str = "b7ad6b7169203332";
/// Another well-formed trace id, of no loaded trace.
const LOST: &str = "1af7651916cd43dd8448eb211c80319c";

/// Spans of order-svc: a SERVER span from 1 s to 2 s, an INTERNAL child from 1.1 s to 1.2 s;
/// and a CONSUMER span of stock-svc in another trace from 1 s to 3 s.
fn spans_json() -> String {
    format!(
        r#"{{"resourceSpans":[
  {{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"order-svc"}}}}]}},
   "scopeSpans":[{{"spans":[
    {{"traceId":"{TRACE}","spanId":"{ROOT}","name":"order.OrderService/Create","kind":2,
     "startTimeUnixNano":"1000000000","endTimeUnixNano":"2000000000"}},
    {{"traceId":"{TRACE}","spanId":"{CHILD}","parentSpanId":"{ROOT}","name":"validate","kind":1,
     "startTimeUnixNano":"1100000000","endTimeUnixNano":"1200000000"}}]}}]}},
  {{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"stock-svc"}}}}]}},
   "scopeSpans":[{{"spans":[
    {{"traceId":"2af7651916cd43dd8448eb211c80319c","spanId":"c7ad6b7169203331","name":"stock.reserve",
     "kind":5,"startTimeUnixNano":"1000000000","endTimeUnixNano":"3000000000"}}]}}]}}]}}"#
    )
}

fn record(time_ns: u64, level: u8, body: &str, trace: &str, span: &str) -> String {
    format!(
        r#"{{"timeUnixNano":"{time_ns}","severityNumber":{level},"body":{{"stringValue":"{body}"}},"traceId":"{trace}","spanId":"{span}"}}"#
    )
}

fn resource_logs(service: &str, records: &[String]) -> String {
    format!(
        r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeLogs":[{{"logRecords":[{}]}}]}}"#,
        records.join(",")
    )
}

/// Records of every join: on the root span, on the trace only (inside the child), of a lost
/// trace, without a trace id inside the SERVER span (a break), and at start-up (no break).
fn order_logs() -> String {
    resource_logs(
        "order-svc",
        &[
            record(1_050_000_000, 9, "request received", TRACE, ROOT),
            record(1_150_000_000, 17, "validation failed", TRACE, ""),
            record(1_160_000_000, 13, "cache miss", LOST, ""),
            record(1_170_000_000, 9, "charging card", "", ""),
            record(500_000_000, 9, "starting", "", ""),
        ],
    )
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracetopo-logs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn load(paths: &[&Path]) -> Store {
    let mut store = Store::new();
    for p in paths {
        load_path(&mut store, p, &LoadOptions::default()).expect("load");
    }
    store.build_index();
    store
}

fn report_json(store: &Store) -> serde_json::Value {
    let analysis = Analysis::run(store, &Options::default());
    let text = Report::build(store, &analysis).to_json().expect("json");
    serde_json::from_str(&text).expect("report is JSON")
}

fn joins(store: &Store) -> Vec<(String, Join)> {
    let mut v: Vec<_> = (0..store.logs.len() as u32)
        .map(|k| {
            (
                store.log_body(k).into_owned(),
                store.index.log_join[k as usize],
            )
        })
        .collect();
    v.sort();
    v
}

fn body_of_span(store: &Store, span_id: &str) -> Vec<String> {
    let id = u64::from_str_radix(span_id, 16).expect("hex");
    let trace = u128::from_str_radix(TRACE, 16).expect("hex");
    let s = store.find_span(trace, id).expect("span loaded");
    store
        .span_logs(s)
        .iter()
        .map(|&k| store.log_body(k).into_owned())
        .collect()
}

fn check_order_logs(store: &Store) {
    assert_eq!(
        joins(store),
        vec![
            ("cache miss".to_string(), Join::UnknownTrace),
            ("charging card".to_string(), Join::WithoutTrace),
            ("request received".to_string(), Join::Span),
            ("starting".to_string(), Join::WithoutTrace),
            ("validation failed".to_string(), Join::Trace),
        ]
    );
    assert_eq!(body_of_span(store, ROOT), vec!["request received"]);
    // Joined to the trace only: placed on the innermost span of its service open at its time.
    assert_eq!(body_of_span(store, CHILD), vec!["validation failed"]);
    let v = report_json(store);
    assert_eq!(
        v["logs"],
        serde_json::json!({"records": 5, "joined_to_span": 1, "joined_to_trace": 1,
                           "unknown_trace": 1, "without_trace": 2})
    );
    let breaks: Vec<&serde_json::Value> = v["breaks"]
        .as_array()
        .expect("breaks")
        .iter()
        .filter(|b| b["kind"] == "log_without_trace")
        .collect();
    assert_eq!(breaks.len(), 1, "start-up logs are not breaks: {breaks:?}");
    let b = breaks[0];
    assert_eq!(b["severity"], "warning");
    assert_eq!(b["trace_id"], TRACE);
    assert_eq!(b["span_id"], ROOT);
    assert_eq!(b["service"], "order-svc");
    assert_eq!(
        b["message"],
        "order-svc logged \"charging card\" inside order.OrderService/Create without a trace \
         id: is the logger taking the request's context?"
    );
}

#[test]
fn otlp_json_logs_and_spans_in_one_document_are_joined() {
    let d = dir("one-doc");
    let spans = spans_json();
    let doc = format!(
        "{},\"resourceLogs\":[{}]}}",
        spans.trim_end().trim_end_matches('}'),
        order_logs()
    );
    let p = write(&d, "mixed.json", doc);
    let store = load(&[&p]);
    assert_eq!(store.inputs[0].logs, 5);
    assert!(
        !store
            .diag
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::OtherSignal),
        "logs are loaded, not a 'not loaded' warning"
    );
    check_order_logs(&store);
}

#[test]
fn otlp_json_lines_mix_logs_and_spans_on_one_line_and_across_lines() {
    let d = dir("jsonl");
    let spans = spans_json().replace('\n', "");
    let logs = format!("{{\"resourceLogs\":[{}]}}", order_logs());
    let both = format!(
        "{},\"resourceLogs\":[{}]}}",
        spans.trim_end_matches('}'),
        order_logs()
    );
    // The same records twice: on the spans' line, then on their own line with the spans.
    let p = write(&d, "mixed.jsonl", format!("{both}\n{logs}\n"));
    let store = load(&[&p]);
    assert_eq!(store.inputs[0].format, "otlp-jsonl");
    assert_eq!(store.logs.len(), 10);
    assert_eq!(store.log_counts().joined_to_span, 2);
    assert_eq!(store.log_counts().without_trace, 4);
}

/// The same records as `order_logs`, as a protobuf `ExportLogsServiceRequest`.
fn order_logs_proto() -> Vec<u8> {
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
            .collect()
    };
    let rec = |t: u64, sev: i32, body: &str, trace: &str, span: &str| LogRecord {
        time_unix_nano: t,
        observed_time_unix_nano: t,
        severity_number: sev,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        trace_id: hex(trace),
        span_id: hex(span),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("order-svc".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    rec(1_050_000_000, 9, "request received", TRACE, ROOT),
                    rec(1_150_000_000, 17, "validation failed", TRACE, ""),
                    rec(1_160_000_000, 13, "cache miss", LOST, ""),
                    rec(1_170_000_000, 9, "charging card", "", ""),
                    rec(500_000_000, 9, "starting", "", ""),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn otlp_protobuf_logs_single_and_length_prefixed_join_spans_of_another_file() {
    let d = dir("proto");
    let spans = write(&d, "spans.json", spans_json());
    let single = write(&d, "logs.pb", order_logs_proto());
    let store = load(&[&single, &spans]);
    assert_eq!(store.inputs[0].format, "otlp-proto");
    check_order_logs(&store);

    let body = order_logs_proto();
    let mut framed = (body.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&body);
    let framed = write(&d, "logs.binpb", framed);
    let store = load(&[&spans, &framed]);
    check_order_logs(&store);
}

/// A Go service's log file: one line per logger style, placeholders for missing trace ids,
/// and a line that is not JSON.
fn go_log_file() -> String {
    [
        // zap: ts as float seconds, caller.
        format!(
            r#"{{"level":"info","ts":1.05,"caller":"order/create.go:42","msg":"request received","trace_id":"{TRACE}","span_id":"{ROOT}","service":"order-svc"}}"#
        ),
        // logrus: time RFC 3339, traceID key.
        format!(
            r#"{{"level":"error","msg":"validation failed","time":"1970-01-01T00:00:01.15Z","traceID":"{TRACE}","service":"order-svc"}}"#
        ),
        // zerolog: time in ms, message key.
        format!(
            r#"{{"level":"warn","time":1160,"message":"cache miss","trace.id":"{LOST}","app":"order-svc"}}"#
        ),
        // slog: RFC 3339 with nanoseconds, upper-case level, a placeholder trace id.
        r#"{"time":"1970-01-01T00:00:01.170000000Z","level":"INFO","msg":"charging card","trace_id":"unknown","service.name":"order-svc"}"#.to_string(),
        r#"{"time":"1970-01-01T00:00:00.5Z","level":"INFO","msg":"starting","trace_id":"00000000000000000000000000000000","service.name":"order-svc"}"#.to_string(),
        "panic: not a JSON line".to_string(),
        r#"{"level":"info","ts":1.3,"msg":"stock ok","trace_id":"-","service":"stock-svc"}"#.to_string(),
    ]
    .join("\n")
}

#[test]
fn go_logger_files_join_traces_of_another_file_in_either_order() {
    let d = dir("go");
    let spans = write(&d, "traces.json", spans_json());
    let logs = write(&d, "app.log", go_log_file());
    for order in [[&logs, &spans], [&spans, &logs]] {
        let store = load(&order.map(|p| p.as_path()));
        let input = store
            .inputs
            .iter()
            .find(|i| i.path.ends_with("app.log"))
            .expect("log input");
        assert_eq!(input.format, Format::GoLogs.name());
        assert_eq!(input.logs, 6);
        let skipped: u64 = store
            .diag
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::SkippedLine)
            .map(|w| w.count)
            .sum();
        assert_eq!(skipped, 1, "the non-JSON line is counted");
        let c = store.log_counts();
        assert_eq!(
            (
                c.joined_to_span,
                c.joined_to_trace,
                c.unknown_trace,
                c.without_trace
            ),
            (1, 1, 1, 3)
        );
        let levels: Vec<Level> = {
            let mut v: Vec<_> = store.logs.iter().map(|l| Level::of(l.severity)).collect();
            v.sort();
            v
        };
        assert_eq!(
            levels,
            vec![
                Level::Info,
                Level::Info,
                Level::Info,
                Level::Info,
                Level::Warn,
                Level::Error
            ]
        );
        // "charging card" (order-svc inside its SERVER span) and "stock ok" (stock-svc inside
        // its CONSUMER span) lost their context; "starting" came before any request.
        let v = report_json(&store);
        let mut msgs: Vec<String> = v["breaks"]
            .as_array()
            .expect("breaks")
            .iter()
            .filter(|b| b["kind"] == "log_without_trace")
            .map(|b| b["message"].as_str().unwrap_or_default().to_string())
            .collect();
        msgs.sort();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0]
                .starts_with("order-svc logged \"charging card\" inside order.OrderService/Create")
        );
        assert!(msgs[1].starts_with("stock-svc logged \"stock ok\" inside stock.reserve"));
    }
}

#[test]
fn a_record_is_placed_on_the_latest_starting_open_span_of_its_service() {
    let d = dir("innermost");
    let spans = write(&d, "traces.json", spans_json());
    let logs = write(
        &d,
        "app.log",
        format!(
            "{}\n",
            r#"{"level":"info","ts":1.15,"msg":"no context inside validate","service":"order-svc"}"#
        ),
    );
    let store = load(&[&spans, &logs]);
    let analysis = Analysis::run(&store, &Options::default());
    let b: Vec<_> = analysis
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::LogWithoutTrace)
        .collect();
    assert_eq!(b.len(), 1);
    // The INTERNAL child is innermost but not a request span: the SERVER span is named.
    let s = store.span(b[0].span);
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!(
        store.index.log_span[0], NONE,
        "a record without a trace is on no span"
    );
}

#[test]
fn console_output_log_lines_are_log_records_not_skipped_lines() {
    let d = dir("console");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/console/go-shop-stdout.txt"
    );
    let spans_only = load(&[Path::new(sample)]);
    // A SERVER span of the capture, and a log line of its service inside it with no trace id.
    let server = (0..spans_only.spans.len() as u32)
        .find(|&i| spans_only.span(i).kind == SpanKind::Server)
        .expect("the capture has a server span");
    let s = spans_only.span(server);
    let service = spans_only.service_name(server).to_string();
    let mid = s.start + s.duration() / 2;
    let mut text = std::fs::read_to_string(sample).expect("sample");
    text.push_str(&format!(
        "{{\"level\":\"info\",\"ts\":{}.{:09},\"msg\":\"handled\",\"service\":\"{service}\"}}\n",
        mid / 1_000_000_000,
        mid % 1_000_000_000
    ));
    let p = write(&d, "stdout.txt", text);
    let store = load(&[&p]);
    assert_eq!(store.spans.len(), spans_only.spans.len());
    // The capture's own log line ("checkout done") is a record too.
    assert_eq!(store.logs.len(), spans_only.logs.len() + 1);
    assert!(!spans_only.logs.is_empty());
    let analysis = Analysis::run(&store, &Options::default());
    assert!(
        analysis.breaks.iter().any(
            |b| b.kind == BreakKind::LogWithoutTrace && store.span(b.span).span_id == s.span_id
        )
    );
}

/// A service's console output: its spans (one service) and its logger's lines, which name no
/// service. A line logged inside the request without a trace id is that service's
/// `log_without_trace`; the same line in a file of its own (no spans) stays a record of no
/// known service.
#[test]
fn console_log_lines_without_a_service_are_the_services_of_the_stream() {
    let d = dir("console-service");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/console/go-current-sdk.jsonl"
    );
    let first = std::fs::read_to_string(fixture)
        .expect("fixture")
        .lines()
        .next()
        .expect("a span line")
        .to_string();
    // "POST /checkout" of service checkout ran 11:00:00.000 to 11:00:00.250 UTC.
    let line = r#"{"time":"2025-03-04T11:00:00.100Z","level":"INFO","msg":"cart loaded"}"#;
    let p = write(&d, "stdout.txt", format!("{line}\n{first}\n"));
    let store = load(&[&p]);
    assert_eq!((store.spans.len(), store.logs.len()), (1, 1));
    assert_eq!(store.log_service(0), "checkout");
    let analysis = Analysis::run(&store, &Options::default());
    let b: Vec<_> = analysis
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::LogWithoutTrace)
        .collect();
    assert_eq!(b.len(), 1);
    assert_eq!(store.service_name(b[0].span), "checkout");

    let spans = write(&d, "spans.jsonl", format!("{first}\n"));
    let logs = write(&d, "app.log", format!("{line}\n"));
    let store = load(&[&spans, &logs]);
    assert_eq!(store.log_service(0), "unknown_service");
}

#[test]
fn fail_on_log_without_trace_fails_the_run_and_text_report_has_logs() {
    let d = dir("cli");
    let spans = write(&d, "traces.json", spans_json());
    let logs = write(&d, "app.log", go_log_file());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tracetopo"))
            .args(args)
            .output()
            .expect("run tracetopo")
    };
    let (s, l) = (
        spans.to_str().unwrap_or_default(),
        logs.to_str().unwrap_or_default(),
    );
    let out = run(&["analyze", "--fail-on", "log_without_trace", s, l]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "analyze",
        "--fail-on",
        "orphan_span",
        "--format",
        "text",
        s,
        l,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nLogs\n  6 log records: 1 joined to their span, 1 to their trace only, 1 of traces not loaded"), "{text}");
    assert!(text.contains("log_without_trace (warning): 2"), "{text}");
}

// ---- live: the OpenTelemetry Python SDK's log exporters against `listen --headless` ----

const LOG_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/send_logs.py");

/// The Python with the SDK's OTLP log exporters (`TRACETOPO_PYTHON`, as tests/live uses);
/// `None` (skip) without it unless `TRACETOPO_REQUIRE_PYTHON` is set.
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("TRACETOPO_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let ok = Command::new(&py)
        .args([
            "-c",
            "import opentelemetry.exporter.otlp.proto.grpc._log_exporter, \
             opentelemetry.exporter.otlp.proto.http._log_exporter",
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "the OpenTelemetry Python SDK's OTLP log exporters are not importable by {}",
        py.display()
    );
    crate::util::missing("TRACETOPO_REQUIRE_PYTHON", &msg);
    None
}

#[test]
fn python_sdk_log_exporters_over_http_and_grpc_arrive_joined_to_their_spans() {
    use std::io::{BufRead, BufReader};
    let Some(py) = python() else { return };
    let d = dir("live");
    let out = d.join("received.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(["listen", "--headless", "--out"])
        .arg(&out)
        .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start listen");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("first line");
    let addr = |proto: &str| {
        line.split(&format!("OTLP/{proto} "))
            .nth(1)
            .and_then(|r| r.split([' ', ',']).next())
            .unwrap_or_else(|| panic!("no {proto} address in {line:?}"))
            .to_string()
    };
    let (grpc, http) = (addr("gRPC"), format!("http://{}", addr("HTTP")));
    let mut sent: Vec<serde_json::Value> = Vec::new();
    for (protocol, endpoint) in [("http", &http), ("grpc", &grpc)] {
        let o = Command::new(&py)
            .args([LOG_CLIENT, "--protocol", protocol, "--endpoint", endpoint])
            .output()
            .expect("run the Python client");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        sent.push(serde_json::from_slice(&o.stdout).expect("client's counts"));
    }
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    assert!(child.wait().expect("listen ends").success());
    let mut rest = String::new();
    for l in stderr.lines() {
        rest.push_str(&l.unwrap_or_default());
    }
    let total = |k: &str| sent.iter().map(|v| v[k].as_u64().unwrap_or(0)).sum::<u64>();
    assert!(
        rest.contains(&format!("and {} log records", total("logs"))),
        "{rest}"
    );

    let store = load(&[&out]);
    assert_eq!(store.spans.len() as u64, total("spans"));
    let c = store.log_counts();
    assert_eq!(c.records, total("logs"));
    assert_eq!(c.joined_to_span, total("with_context"));
    assert_eq!(
        c.without_trace,
        total("without_context_in_request") + total("startup")
    );
    // Each record with context is on the span that was current when it was logged.
    for k in 0..store.logs.len() as u32 {
        let s = store.index.log_span[k as usize];
        if s == NONE {
            continue;
        }
        let body = store.log_body(k);
        let name = store.str(store.span(s).name);
        let want = if body.starts_with("slow validation") {
            "validate"
        } else {
            "orders.OrderService/Create"
        };
        assert_eq!(name, want, "{body}");
    }
    let analysis = Analysis::run(&store, &Options::default());
    let lost = analysis
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::LogWithoutTrace)
        .count() as u64;
    assert_eq!(
        lost,
        total("without_context_in_request"),
        "start-up logs are not breaks"
    );
}

#[test]
fn a_service_known_only_by_its_logs_is_no_service_of_the_report() {
    let d = dir("log-only-service");
    let spans = write(&d, "traces.json", spans_json());
    let logs = write(
        &d,
        "app.log",
        "{\"level\":\"info\",\"ts\":1.5,\"msg\":\"x\",\"service\":\"lonely\"}\n\
         {\"level\":\"info\",\"ts\":1.6,\"msg\":\"y\"}\n",
    );
    let store = load(&[&logs, &spans]);
    let v = report_json(&store);
    let names: Vec<&str> = v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        !names.contains(&"lonely") && !names.contains(&"unknown_service"),
        "{names:?}"
    );
    assert_eq!(v["logs"]["records"], 2);
}

#[test]
fn python_sdk_logs_reach_the_live_store_joined_to_their_spans() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tracetopo::live::LiveConfig;
    use tracetopo::live::collector::{Collector, Snapshot};
    use tracetopo::live::server::Server;

    let Some(py) = python() else { return };
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().expect("addr"),
        http: "127.0.0.1:0".parse().expect("addr"),
        ..LiveConfig::default()
    };
    let latest: Arc<Mutex<Option<Store>>> = Arc::default();
    let slot = Arc::clone(&latest);
    let collector = Collector::start(&cfg, Arc::default(), move |s: Snapshot| {
        if let Ok(mut l) = slot.lock() {
            *l = Some(s.store);
        }
    })
    .expect("collector");
    let server =
        Server::start(&cfg, collector.sink(), Arc::clone(&collector.stats)).expect("server");
    let o = Command::new(&py)
        .args([LOG_CLIENT, "--protocol", "grpc", "--endpoint"])
        .arg(server.grpc_addr.to_string())
        .output()
        .expect("run the Python client");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sent: serde_json::Value = serde_json::from_slice(&o.stdout).expect("counts");
    let count = |k: &str| sent[k].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut store = loop {
        let got = latest.lock().ok().and_then(|mut l| l.take());
        if let Some(s) = got
            && s.logs.len() as u64 == count("logs")
            && s.spans.len() as u64 == count("spans")
        {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the live store never held every record"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    store.build_index();
    let c = store.log_counts();
    assert_eq!(c.joined_to_span, count("with_context"));
    assert_eq!(
        c.without_trace,
        count("without_context_in_request") + count("startup")
    );
    server.stop();
}
