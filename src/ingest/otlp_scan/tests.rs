//! Differential tests: the scanner against the serde visitors, on the corpus, the samples,
//! generated dumps, hand-written edge cases and broken input.

use std::path::{Path, PathBuf};

use super::parse as scan;
use crate::ingest::otlp_json::{self, Counts, Ctx};
use crate::model::{Attr, Batch};

/// What one parse produced: the batch, the counts, and the error (message, line, column).
struct Run {
    batch: Batch,
    counts: Counts,
    result: Result<(), (String, usize, usize)>,
}

fn run(f: impl FnOnce(&mut Ctx) -> Result<(), serde_json::Error>) -> Run {
    let mut batch = Batch::new();
    let mut ctx = Ctx {
        batch: &mut batch,
        counts: Counts::default(),
    };
    let result = f(&mut ctx).map_err(|e| (e.to_string(), e.line(), e.column()));
    let counts = ctx.counts;
    Run {
        batch,
        counts,
        result,
    }
}

fn serde_path(text: &str) -> Run {
    run(|c| otlp_json::parse_serde(c, text))
}

/// `otlp_json::parse`: the scanner, falling back to serde.
fn both_paths(text: &str) -> Run {
    run(|c| otlp_json::parse(c, text.as_bytes()))
}

fn attr_view(b: &Batch, a: &Attr) -> String {
    let v = match a.sym() {
        Some(s) => b.strings.resolve(s).to_string(),
        None => format!("{:#x}", a.raw),
    };
    format!("{}={:?}:{v}", b.strings.resolve(a.key), a.ty)
}

/// Everything in a batch with strings resolved, one line per record, so that two batches
/// whose interners differ (after a bail-out) still compare equal when their data does.
fn view(b: &Batch) -> Vec<String> {
    let r = |s| b.strings.resolve(s).to_string();
    let mut out = Vec::new();
    for s in &b.spans {
        out.push(format!(
            "span {:x} {:x} {:x} {}..{} name={:?} scope={:?} status={:?}/{:?} kind={:?} \
             flags={} res={} attrs={:?} events={:?} links={:?} input={}",
            s.trace_id,
            s.span_id,
            s.parent_id,
            s.start,
            s.end,
            r(s.name),
            r(s.scope),
            s.status,
            r(s.status_message),
            s.kind,
            s.flags,
            s.resource,
            s.attrs,
            s.events,
            s.links,
            s.input
        ));
    }
    out.extend(b.attrs.iter().map(|a| format!("attr {}", attr_view(b, a))));
    out.extend(
        b.res_attrs
            .iter()
            .map(|a| format!("res_attr {}", attr_view(b, a))),
    );
    for e in &b.events {
        out.push(format!("event {} {:?} {:?}", e.time, r(e.name), e.attrs));
    }
    for l in &b.links {
        out.push(format!(
            "link {:x} {:x} {:?}",
            l.trace_id, l.span_id, l.attrs
        ));
    }
    for x in &b.resources {
        out.push(format!(
            "resource {:?} {} {:?}",
            r(x.service),
            x.process,
            x.attrs
        ));
    }
    for p in &b.processes {
        out.push(format!("process {:?} {:?}", r(p.service), r(p.key)));
    }
    for l in &b.logs {
        out.push(format!(
            "log {:x} {:x} {} {} sev={}/{:?} body={:?} flags={} res={} attrs={:?}",
            l.trace_id,
            l.span_id,
            l.time,
            l.observed,
            l.severity,
            r(l.severity_text),
            String::from_utf8_lossy(&b.log_bytes[l.body.range()]),
            l.flags,
            l.resource,
            b.attrs[l.attrs.range()]
                .iter()
                .map(|a| attr_view(b, a))
                .collect::<Vec<_>>()
        ));
    }
    out.extend(b.diag.warnings.iter().map(|w| format!("warning {w}")));
    out
}

fn strings(b: &Batch) -> Vec<&str> {
    (0..b.strings.len() as u32)
        .map(|i| b.strings.resolve(crate::model::Sym(i)))
        .collect()
}

/// Checks one input; returns whether the scanner handled it (did not bail out).
fn check(text: &str) -> bool {
    check_spans(text).0
}

/// `check`, and the number of spans read.
fn check_spans(text: &str) -> (bool, usize) {
    let want = serde_path(text);
    let got = both_paths(text);
    assert_eq!(got.result, want.result, "result of {text:.300}");
    if want.result.is_ok() {
        assert_eq!(view(&got.batch), view(&want.batch), "batch of {text:.300}");
        assert_eq!(got.counts, want.counts, "counts of {text:.300}");
    }
    // The scanner alone: identical to serde down to the Sym numbers, or nothing at all.
    let mut b = Batch::new();
    let mut ctx = Ctx {
        batch: &mut b,
        counts: Counts::default(),
    };
    let handled = scan(&mut ctx, text);
    let counts = ctx.counts;
    if handled {
        assert!(
            want.result.is_ok(),
            "scanner accepted what serde rejects: {text:.300}"
        );
        assert_eq!(counts, want.counts);
        let w = &want.batch;
        assert_eq!(b.spans, w.spans, "{text:.300}");
        assert_eq!(b.attrs, w.attrs, "{text:.300}");
        assert_eq!(b.res_attrs, w.res_attrs, "{text:.300}");
        assert_eq!(b.events, w.events, "{text:.300}");
        assert_eq!(b.links, w.links, "{text:.300}");
        assert_eq!(b.resources, w.resources, "{text:.300}");
        assert_eq!(b.processes, w.processes, "{text:.300}");
        assert_eq!(b.logs, w.logs, "{text:.300}");
        assert_eq!(b.log_bytes, w.log_bytes, "{text:.300}");
        assert_eq!(strings(&b), strings(w), "interned strings of {text:.300}");
    } else {
        assert_eq!(counts, Counts::default(), "counts kept after a bail-out");
        assert!(view(&b).is_empty(), "a bail-out left data: {text:.300}");
    }
    (handled, want.batch.spans.len())
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRACETOPO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    if dir.is_dir() {
        return Some(dir);
    }
    // As tests/it/util.rs does: CI requires the corpus; elsewhere a line that
    // `.ci/run` counts, written past the harness's capture.
    assert!(
        std::env::var_os("TRACETOPO_REQUIRE_CORPUS").is_none(),
        "trace corpus not found, and TRACETOPO_REQUIRE_CORPUS is set: it is required here"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: trace corpus not found");
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn sample(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-traces")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn corpus_files_load_the_same() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    json_files(&dir.join("otlp-json"), &mut files);
    assert!(files.len() >= 60, "{} OTLP/JSON files", files.len());
    let mut bailed = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if !check(&text) {
            bailed.push(f.strip_prefix(&dir).unwrap().display().to_string());
        }
    }
    // The three negative fixtures fail (serde reports them); everything else is read by the
    // scanner, escapes, base64 ids, enum names and wrappers included.
    assert_eq!(
        bailed,
        [
            "otlp-json/otlp2parquet/invalid/trace_invalid_base64.json",
            "otlp-json/otlp2parquet/invalid/trace_invalid_kind.json",
            "otlp-json/otlp2parquet/invalid/trace_mixed_encoding.json",
        ]
    );
}

#[test]
fn samples_are_read_by_the_scanner() {
    let live = sample("checkout-live.jsonl");
    let lines: Vec<&str> = live.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 13);
    for line in lines {
        assert!(check(line), "bailed on {line:.200}");
    }
    for name in ["checkout-healthy.json", "checkout-broken.json"] {
        assert!(check(&sample(name)), "bailed on {name}");
    }
}

#[test]
fn generated_lines_are_read_by_the_scanner() {
    let cfg = crate::synth::LargeConfig {
        traces: 400,
        spans_per_trace: 100,
        services: 20,
        breaks_per_mille: 200,
        ..Default::default()
    };
    let mut out = Vec::new();
    crate::synth::write_jsonl(&mut out, &cfg, |_| {}).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut n = 0;
    let mut spans = 0;
    for line in text.lines() {
        let (handled, n_spans) = check_spans(line);
        assert!(handled, "bailed on {line:.200}");
        spans += n_spans;
        n += 1;
    }
    assert!(n >= 200, "only {n} lines");
    assert_eq!(spans, 400 * 100);
}

const T: &str = "0af7651916cd43dd8448eb211c80319c";

fn doc(spans: &str) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{"name":"lib"}},"spans":[{spans}]}}]}}]}}"#
    )
}

/// A document using every feature the scanner handles, on several lines.
fn rich_doc() -> String {
    format!(
        "{{\"result\":{{\"resource_spans\":[{{\"scope_spans\":[{{\"instrumentation_library\":{{\"name\":\"old\",\"version\":\"1\"}},\"spans\":[\n\
         {{\"trace_id\":\"{T}\",\"span_id\":\"b7ad6b7169203331\",\"parent_span_id\":\"\",\"name\":\"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00 \\/ \\n\\t\u{e9}\",\n\
           \"kind\":\"SPAN_KIND_CLIENT\",\"start_time_unix_nano\":1700000000123456789,\"end_time_unix_nano\":\"1700000000223456789\",\n\
           \"status\":{{\"code\":\"STATUS_CODE_ERROR\",\"message\":null}},\"traceState\":\"x\",\"flags\":257,\n\
           \"extra\":{{\"a\":[1,-2.5e-3,true,false,null,{{\"b\":\"\\\\\"}}],\"c\":{{}}}},\n\
           \"attributes\":[\n\
             {{\"value\":{{\"int_value\":\"-42\"}},\"key\":\"i\"}},\n\
             {{\"key\":\"n\",\"value\":{{\"intValue\":-7}}}},\n\
             {{\"key\":\"d\",\"value\":{{\"doubleValue\":0.1}}}},\n\
             {{\"key\":\"e\",\"value\":{{\"doubleValue\":12345678901234567890123}}}},\n\
             {{\"key\":\"nan\",\"value\":{{\"doubleValue\":\"NaN\"}}}},\n\
             {{\"key\":\"b\",\"value\":{{\"bool_value\":true,\"ignored\":[]}}}},\n\
             {{\"key\":\"raw\",\"value\":{{\"bytesValue\":\"AQID\"}}}},\n\
             {{\"key\":\"arr\",\"value\":{{\"arrayValue\":{{\"values\":[{{\"stringValue\":\"x\\\"y\"}},{{\"intValue\":\"2\"}},{{}},null,{{\"doubleValue\":\"-Infinity\"}},{{\"arrayValue\":{{}}}},{{\"kvlistValue\":null}}]}}}}}},\n\
             {{\"key\":\"kv\",\"value\":{{\"kvlist_value\":{{\"values\":[{{\"value\":{{\"boolValue\":false}},\"key\":\"k\"}},{{\"key\":\"e\"}},{{\"key\":\"two\",\"value\":{{\"stringValue\":\"a\",\"intValue\":3}}}}],\"values\":[]}}}}}},\n\
             {{\"key\":\"empty\",\"value\":{{}}}},{{\"key\":\"nul\",\"value\":null}},{{}}],\n\
           \"events\":[{{\"time_unix_nano\":\"5\",\"name\":\"exception\",\"attributes\":null}},{{}}],\n\
           \"links\":[{{\"traceId\":\"nXmxo38xgBzRGmcG+0DWvQ==\",\"spanId\":\"SyPeJdH7ZkE=\",\"attributes\":[{{\"key\":\"l\",\"value\":{{\"stringValue\":\"y\"}}}}]}}]}},\n\
         {{\"name\":\"no ids\",\"kind\":9,\"status\":{{\"code\":7}}}},\n\
         {{\"traceId\":\"{T}\",\"spanId\":\"0000000000000000\",\"kind\":\"4\",\"status\":null,\"events\":null,\"links\":[]}}\n\
         ]}}],\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":\"late\"}}}},{{\"key\":\"host.name\",\"value\":{{\"stringValue\":\"h\"}}}},{{\"key\":\"process.pid\",\"value\":{{\"intValue\":\"7\"}}}}]}}}},\n\
         {{\"resource\":null,\"scopeSpans\":null}}],\n\
         \"resourceMetrics\":[{{\"x\":1}}],\"unknown\":{{\"deep\":[[[{{}}]]]}}}}}}\n"
    )
}

#[test]
fn edge_cases_the_scanner_handles() {
    let rich = rich_doc();
    assert!(check(&rich));
    let b = serde_path(&rich).batch;
    assert_eq!(b.spans.len(), 3);
    assert_eq!(b.strings.resolve(b.spans[0].name), "café \"q\" 😀 / \n\té");
    assert_eq!(
        b.attrs.len(),
        12 + 1,
        "12 span attributes (one `{{}}`), the link's"
    );
    let json = |key: &str| {
        let k = b.strings.get(key).unwrap();
        let a = b.attrs.iter().find(|a| a.key == k).unwrap();
        a.value(&b.strings)
    };
    use crate::model::Value;
    assert_eq!(
        json("arr"),
        Value::Json(r#"["x\"y",2,null,null,"-Infinity",[],{}]"#)
    );
    // The last key of an AnyValue wins; a second `values` adds nothing.
    assert_eq!(json("kv"), Value::Json(r#"{"k":false,"e":null,"two":3}"#));
    assert_eq!(json("e"), Value::Double(12345678901234567890123.0));
    let cases = [
        doc(""),
        doc(&format!(r#"{{"traceId":"{T}","spanId":"b7ad6b7169203331"}}"#)),
        // Whitespace everywhere the grammar allows it.
        format!(
            " \t\r\n{{ \"resourceSpans\" : [ {{ \"scopeSpans\" : [ {{ \"spans\" : [ {{ \"traceId\" : \"{T}\" , \"kind\" : 2 , \"attributes\" : [ ] }} ] }} ] }} ] }} \n "
        ),
        // Duplicate keys: serde reads each occurrence; the last assignment wins.
        doc(&format!(
            r#"{{"traceId":"{T}","name":"a","name":"b","attributes":[{{"key":"x","value":{{"intValue":"1"}}}}],"attributes":[{{"key":"y","value":{{"intValue":"2"}}}}]}}"#
        )),
        // Uppercase hex, ints as numbers, enum names in other spellings.
        doc(
            r#"{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","kind":"server","status":{"code":"Ok"},"startTimeUnixNano":0,"endTimeUnixNano":18446744073709551615}"#,
        ),
        r#"{"batches":[{"resource":{},"instrumentationLibrarySpans":[{"spans":[{"spanId":"b7ad6b7169203331"}]}]}]}"#.to_string(),
        r#"{"resourceSpans":null}"#.to_string(),
        "{}".to_string(),
        // Ints as strings with spaces or a sign: `str::parse` after `trim`, as in serde.
        doc(r#"{"startTimeUnixNano":" 12 ","endTimeUnixNano":"+13","attributes":[{"key":"i","value":{"intValue":"+5"}}]}"#),
        doc(r#"{"attributes":[{"key":"big","value":{"intValue":9223372036854775807}},{"key":"min","value":{"intValue":-9223372036854775808}}]}"#),
        doc(r#"{"attributes":[{"key":"f","value":{"doubleValue":-0}},{"key":"g","value":{"doubleValue":1E+2}}]}"#),
        doc(r#"{"kind":-1,"status":{"code":18446744073709551615}}"#),
        // Attributes in the compact layout read by literals, and near misses of it that the
        // general path reads: escapes, spaces, a second value key, an extra key, other types.
        doc(
            r#"{"attributes":[{"key":"k\"1","value":{"stringValue":"v\u00e9"}},{"key":"i","value":{"intValue":"12"}},{"key":"n","value":{"intValue":-3}},{"key":"b","value":{"boolValue":false}}]}"#,
        ),
        doc(
            r#"{"attributes":[{"key":"x" ,"value":{"stringValue":"a"}},{"key":"y","value":{"stringValue":"a","intValue":3}},{"key":"z","value":{"stringValue":"a"},"extra":1},{"key":"d","value":{"doubleValue":1.5}},{"key":"e","value":{ "boolValue":true}}]}"#,
        ),
    ];
    for c in &cases {
        assert!(check(c), "bailed on {c}");
    }
}

#[test]
fn unusual_input_bails_out_and_serde_decides() {
    let cases = [
        // A key with an escape (serde unescapes it and matches `traceId`).
        doc(&format!(r#"{{"trace\u0049d":"{T}"}}"#)),
        // Numbers serde reads as floats where an integer is wanted.
        doc(r#"{"startTimeUnixNano":-0}"#),
        doc(r#"{"startTimeUnixNano":1.5e18}"#),
        doc(r#"{"attributes":[{"key":"i","value":{"intValue":-0}}]}"#),
        doc(r#"{"attributes":[{"key":"i","value":{"intValue":9223372036854775808}}]}"#),
        doc(r#"{"startTimeUnixNano":-5}"#),
        doc(r#"{"startTimeUnixNano":012}"#),
        doc(r#"{"status":{"code":99999999999999999999}}"#),
        // Lone surrogates, control characters, bad escapes.
        doc(r#"{"name":"\ud800"}"#),
        doc(r#"{"name":"\udc00\ud800"}"#),
        doc("{\"name\":\"a\u{1}b\"}"),
        doc(r#"{"name":"\x"}"#),
        doc(r#"{"unknown":"\u12"}"#),
        // Structure serde rejects.
        doc(r#"{"traceId":"zzz"}"#),
        doc(r#"{"kind":"SPAN_KIND_BOGUS"}"#),
        doc(r#"{"attributes":[{"key":"b","value":{"boolValue":null}}]}"#),
        doc(r#"{"attributes":[{"key":"i","value":{"intValue":null}}]}"#),
        doc(r#"{"attributes":[{"key":"d","value":{"doubleValue":1e400}}]}"#),
        doc(r#"{"attributes":[{"key":"i","value":{"intValue":"abc"}}]}"#),
        doc(r#"{"attributes":[{"key":"b","value":{"boolValue":tru}}]}"#),
        doc(r#"{"attributes":[{"key":"s","value":{"stringValue":"a"}}}]}"#),
        doc(r#"{"name":"a",}"#),
        doc(r#"{"name":"a"} {}"#),
        doc("null"),
        format!("{}x", doc("")),
        "[]".to_string(),
        String::new(),
        // Deeper than the scanner goes (serde's limit is 128).
        doc(&format!(
            r#"{{"x":{}{}}}"#,
            "[".repeat(120),
            "]".repeat(120)
        )),
        doc(&format!(
            r#"{{"x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        )),
    ];
    for c in &cases {
        assert!(!check(c), "handled {c}");
    }
    // The serde path fails on most of these; spot-check that the error is serde's own.
    let e = both_paths(&cases[0]).result;
    assert!(e.is_ok(), "an escaped key is still a key: {e:?}");
    let e = both_paths(&doc(r#"{"traceId":"zzz"}"#)).result.unwrap_err();
    assert!(e.0.contains("invalid trace id"), "{e:?}");
}

#[test]
fn a_bail_out_leaves_earlier_lines_intact() {
    let good = doc(&format!(
        r#"{{"traceId":"{T}","spanId":"b7ad6b7169203331","attributes":[{{"key":"k","value":{{"stringValue":"v"}}}}],"events":[{{"name":"e"}}]}}"#
    ));
    // Valid, but with an escaped key at the very end: the scanner has already pushed the
    // span, its attributes, events and resource when it gives up.
    let late = good.replacen(r#""resourceSpans""#, r#""resource\u0053pans""#, 1);
    let bad = good.replacen(r#""spanId""#, r#""kind":"NOPE","spanId""#, 1);
    let mut mixed = Batch::new();
    let mut reference = Batch::new();
    for text in [&good, &late, &bad, &good] {
        let mut ctx = Ctx {
            batch: &mut mixed,
            counts: Counts::default(),
        };
        let r1 = otlp_json::parse(&mut ctx, text.as_bytes()).map_err(|e| e.to_string());
        let mut ctx = Ctx {
            batch: &mut reference,
            counts: Counts::default(),
        };
        let r2 = otlp_json::parse_serde(&mut ctx, text).map_err(|e| e.to_string());
        assert_eq!(r1, r2);
    }
    let mut fresh = Batch::new();
    let mut ctx = Ctx {
        batch: &mut fresh,
        counts: Counts::default(),
    };
    assert!(!scan(&mut ctx, &late));
    // The failing line half-wrote into both (jsonl rolls that back); what matters here is
    // that the scanner's attempts left nothing the serde path would not have written.
    assert_eq!(view(&mixed), view(&reference));
    // good, late (serde matches the unescaped key), good; the bad line fails before its span.
    assert_eq!(mixed.spans.len(), 3);
}

#[test]
fn every_prefix_and_garbled_byte_gives_serdes_answer() {
    let rich = rich_doc();
    let line = sample("checkout-live.jsonl")
        .lines()
        .next()
        .unwrap()
        .to_string();
    for text in [&rich, &line] {
        for (i, _) in text.char_indices() {
            check(&text[..i]);
        }
    }
    let mut handled = 0;
    for (i, c) in rich.char_indices() {
        if !c.is_ascii() {
            continue;
        }
        for g in ["\"", "}", "]", ",", "\\", "0", "-", "x", " ", "{", ":"] {
            let garbled = format!("{}{g}{}", &rich[..i], &rich[i + 1..]);
            handled += check(&garbled) as usize;
        }
    }
    // Some garbling is harmless (a space between tokens, a digit inside a string).
    assert!(handled > 0);
}

#[test]
fn log_records_read_as_serde_reads_them() {
    let logs = r#"{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"zap"},"logRecords":[
        {"timeUnixNano":"5","severityNumber":"SEVERITY_NUMBER_WARN","body":{"stringValue":"a \"quoted\" line"},
         "attributes":[{"key":"k","value":{"intValue":"3"}}],"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"},
        {"observedTimeUnixNano":7,"severityText":"error","body":null,"traceId":"unknown","spanId":null},
        {"severityNumber":99,"traceId":"00000000000000000000000000000000"}]}],
      "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"order-svc"}}]}}],
      "resourceSpans":[]}"#;
    assert!(check(logs), "string bodies are the scanner's");
    let kv = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[]}}}]}]}]}"#;
    assert!(!check(kv), "structured bodies are serde's");
    let b = both_paths(logs).batch;
    let sev: Vec<u8> = b.logs.iter().map(|l| l.severity).collect();
    assert_eq!(sev, vec![13, 17, 0]);
    assert_eq!(b.logs[1].time, 7, "observed time stands in");
    assert_eq!(b.logs[1].trace_id, 0, "a placeholder is no trace id");
}
