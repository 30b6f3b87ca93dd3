//! JSON-lines log files as Go loggers write them (zap, logrus, zerolog, log/slog, and the
//! like), detected by content: each line one JSON object with a message and a time or level.
//! The keys and their preference are issue 12's; every other key becomes an attribute. A
//! trace id that is not a well-formed hex id (`"unknown"`, `"-"`, zeros) is no trace id.
//! Lines that are not JSON objects, or have no message, are counted and skipped.

use serde_json::{Map, Value};

use super::console::time::unix_nanos;
use super::ids;
use super::otlp_json::resource_since;
use crate::model::log::{LogRecord, severity_number};
use crate::model::{Batch, Position, WarningKind};

const TRACE_KEYS: &[&str] = &[
    "trace_id",
    "traceId",
    "traceID",
    "trace.id",
    "otel.trace_id",
    "dd.trace_id",
];
const SPAN_KEYS: &[&str] = &["span_id", "spanId", "spanID", "span.id"];
const TIME_KEYS: &[&str] = &["ts", "time", "timestamp", "@timestamp"];
const MESSAGE_KEYS: &[&str] = &["msg", "message"];
const LEVEL_KEYS: &[&str] = &["level", "severity", "lvl"];
const SERVICE_KEYS: &[&str] = &["service.name", "service", "app"];

/// Detection looks at a first line of at most this many bytes.
const SNIFF_LINE: usize = 64 << 10;

/// Whether the first line of `buf` is a Go logger's JSON line: an object with a message key
/// and a time or level key, and none of the trace formats' keys (those are read as traces).
pub fn sniff(buf: &[u8]) -> bool {
    let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let start = body.iter().position(|c| !c.is_ascii_whitespace());
    let Some(start) = start.filter(|&s| body[s] == b'{') else {
        return false;
    };
    let rest = &body[start..body.len().min(start + SNIFF_LINE)];
    let line = match memchr::memchr(b'\n', rest) {
        Some(e) => &rest[..e],
        None => rest,
    };
    let Ok(obj) = serde_json::from_slice::<Map<String, Value>>(line) else {
        return false;
    };
    let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
    has(MESSAGE_KEYS) && (has(TIME_KEYS) || has(LEVEL_KEYS))
}

/// Reads a whole log file into one batch.
pub fn read(input: &str, bytes: &[u8]) -> Batch {
    let mut b = Batch::new();
    let mut skipped = 0u64;
    let mut first_skipped = None;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (n, line) in bytes.split(|&c| c == b'\n').enumerate() {
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let ok = serde_json::from_slice::<Map<String, Value>>(text)
            .ok()
            .is_some_and(|o| record(&mut b, &o));
        if !ok {
            skipped += 1;
            first_skipped.get_or_insert(n as u64 + 1);
        }
    }
    if let Some(line) = first_skipped {
        b.diag.warn_n(
            WarningKind::SkippedLine,
            input,
            Position::Line { line },
            "line that is not a JSON log record with a message: skipped",
            skipped,
        );
    }
    b
}

/// Adds the record of one parsed line; false when it has no message (not a log record).
pub fn record(b: &mut Batch, o: &Map<String, Value>) -> bool {
    let first = |keys: &[&'static str]| -> Option<(&'static str, &Value)> {
        keys.iter().find_map(|&k| o.get(k).map(|v| (k, v)))
    };
    let Some((msg_key, msg)) = first(MESSAGE_KEYS) else {
        return false;
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut l = LogRecord::default();
    let time = first(TIME_KEYS);
    l.time = time.and_then(|(_, v)| time_nanos(v)).unwrap_or(0);
    let level = first(LEVEL_KEYS);
    if let Some((_, v)) = level {
        let t = text(v);
        l.severity = severity_number(&t);
        l.severity_text = b.intern(&t);
    }
    let trace = first(TRACE_KEYS);
    match trace {
        // Datadog's own tracers log a decimal 64-bit id there, not an OpenTelemetry one.
        Some(("dd.trace_id", Value::String(s))) if s.len() != 32 => {}
        Some((_, Value::String(s))) => l.trace_id = ids::log_trace_id(s),
        _ => {}
    }
    let span = first(SPAN_KEYS);
    if l.trace_id != 0
        && let Some((_, Value::String(s))) = span
    {
        l.span_id = ids::log_span_id(s);
    }
    let service = first(SERVICE_KEYS);
    let mark = b.attr_mark();
    if let Some((_, v)) = service {
        b.push_str_attr("service.name", &text(v));
    }
    l.resource = resource_since(b, mark);
    l.body = b.push_body(text(msg).as_bytes());

    let used = [
        Some(msg_key),
        time.map(|t| t.0),
        level.map(|t| t.0),
        trace.map(|t| t.0),
        span.map(|t| t.0),
        service.map(|t| t.0),
    ];
    let mark = b.attr_mark();
    for (k, v) in o {
        if used.contains(&Some(k.as_str())) {
            continue;
        }
        match v {
            Value::String(s) => b.push_str_attr(k, s),
            Value::Number(n) if n.is_i64() => b.push_int_attr(k, n.as_i64().unwrap_or(0)),
            Value::Null => {}
            other => b.push_str_attr(k, &other.to_string()),
        }
    }
    l.attrs = b.attrs_since(mark);
    b.logs.push(l);
    true
}

/// A log time: a number of seconds, ms, µs or ns by magnitude (a float for zap's seconds),
/// or an RFC 3339 string (or such a number as a string).
fn time_nanos(v: &Value) -> Option<u64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            return unix_nanos(s).or_else(|| s.trim().parse::<f64>().ok().and_then(by_magnitude));
        }
        _ => return None,
    };
    if let Value::Number(n) = v
        && let Some(i) = n.as_u64()
        && i >= 100_000_000_000_000_000
    {
        // Nanoseconds as an integer keep every digit (an f64 holds 15-16).
        return Some(i);
    }
    by_magnitude(x)
}

fn by_magnitude(x: f64) -> Option<u64> {
    if !x.is_finite() || x < 0.0 {
        return None;
    }
    let scale = if x < 1e11 {
        1e9
    } else if x < 1e14 {
        1e6
    } else if x < 1e17 {
        1e3
    } else {
        1.0
    };
    Some((x * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_by_magnitude_and_rfc3339() {
        let t = |s: &str| time_nanos(&serde_json::from_str(s).unwrap());
        assert_eq!(t("1714557600.5"), Some(1_714_557_600_500_000_000));
        assert_eq!(t("1714557600500"), Some(1_714_557_600_500_000_000));
        assert_eq!(t("1714557600500000"), Some(1_714_557_600_500_000_000));
        assert_eq!(t("1714557600500000001"), Some(1_714_557_600_500_000_001));
        assert_eq!(
            t("\"2024-05-01T10:00:00.5Z\""),
            Some(1_714_557_600_500_000_000)
        );
        assert_eq!(t("\"yesterday\""), None);
    }

    #[test]
    fn datadog_decimal_ids_are_no_trace_id() {
        let mut b = Batch::new();
        for line in [
            r#"{"msg":"a","dd.trace_id":"1234567890123456789"}"#,
            r#"{"msg":"b","dd.trace_id":"0af7651916cd43dd8448eb211c80319c"}"#,
            r#"{"msg":"c","trace_id":"-","dd.trace_id":"0af7651916cd43dd8448eb211c80319c"}"#,
        ] {
            assert!(record(&mut b, &serde_json::from_str(line).unwrap()));
        }
        let ids: Vec<u128> = b.logs.iter().map(|l| l.trace_id).collect();
        // The first key present wins, even when it holds a placeholder.
        assert_eq!(ids, vec![0, 0x0af7651916cd43dd8448eb211c80319c, 0]);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_are_not_bad_lines() {
        let b = read(
            "a.log",
            b"\xEF\xBB\xBF{\"msg\":\"a\",\"level\":\"info\"}\r\n{\"msg\":\"b\"}\r\n",
        );
        assert_eq!(b.logs.len(), 2);
        assert!(b.diag.warnings.is_empty());
    }

    #[test]
    fn sniffs_go_loggers_not_traces() {
        assert!(sniff(
            br#"{"level":"info","ts":1714557600.5,"caller":"a.go:1","msg":"hi"}"#
        ));
        assert!(sniff(
            b"{\"time\":\"2024-05-01T10:00:00Z\",\"level\":\"INFO\",\"msg\":\"x\"}\n{"
        ));
        assert!(!sniff(br#"{"resourceSpans":[]}"#));
        assert!(!sniff(br#"{"msg":"no time or level"}"#));
    }
}
