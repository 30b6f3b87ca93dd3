//! Tempo and Jaeger clients against a real HTTP server on loopback that answers in each API's
//! shapes (tests/backend_server), through the real `tracetopo` binary (`pull`, `analyze
//! --tempo/--jaeger`) and, for cancel, the library.

use crate::backend_server as server;

use std::collections::{BTreeSet, VecDeque};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use server::{Api, Behaviour, Server};
use tracetopo::backend::{self, Backend, ErrorKind, HttpConfig, Kind, PullOptions, Query, Window};

const BROKEN: &str = "sample-traces/checkout-broken.json";
const HEALTHY: &str = "sample-traces/checkout-healthy.json";
/// A range holding every sample trace (they start at 02:00 and 03:00 that day).
const RANGE: [&str; 4] = [
    "--start",
    "2025-06-12T00:00:00Z",
    "--end",
    "2025-06-12T06:00:00Z",
];

fn serve(api: Api, files: &[&str], behaviour: Behaviour) -> Server {
    server::start(api, server::traces_of(files), behaviour)
}

fn tracetopo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(args)
        .output()
        .expect("run tracetopo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON report without what names the inputs (the backend's input is named by its URL,
/// its warnings say how its ids were written).
fn report_body(o: &Output) -> Value {
    assert!(
        o.status.success() || o.status.code() == Some(1),
        "{:?}: {}",
        o.status,
        stderr(o)
    );
    let mut v: Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let m = v.as_object_mut().expect("object");
    m.remove("inputs");
    m.remove("warnings");
    v
}

fn file_report(files: &[&str]) -> Value {
    let mut args = vec!["analyze", "--format", "json"];
    args.extend(files);
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("sample-traces/") {
                format!("{}/{a}", env!("CARGO_MANIFEST_DIR"))
            } else {
                a.to_string()
            }
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    report_body(&tracetopo(&args))
}

fn analyze_backend(flag: &str, url: &str, extra: &[&str]) -> Output {
    let mut args = vec!["analyze", flag, url, "--format", "json"];
    args.extend(RANGE);
    args.extend(extra);
    tracetopo(&args)
}

fn searches(s: &Server) -> usize {
    let log = s.requests.lock().expect("log");
    log.iter().filter(|r| r.starts_with("search")).count()
}

#[test]
fn tempo_search_paged_by_time_window_gives_the_files_report() {
    let s = serve(Api::Tempo, &[BROKEN], Behaviour::default());
    // Pages of 2 traces: every full answer is searched again in halves.
    let o = analyze_backend("--tempo", &s.url, &["--limit", "2"]);
    assert_eq!(report_body(&o), file_report(&[BROKEN]), "{}", stderr(&o));
    assert!(searches(&s) > s.traces.len() / 2, "{}", searches(&s));
    let n = s.traces.len();
    assert!(
        stderr(&o).contains(&format!("{n} traces found, {n} traces fetched")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn tempo_json_answers_and_the_v1_fallback_read_like_the_file() {
    for api in [Api::Tempo, Api::TempoV1] {
        let s = serve(
            api,
            &[HEALTHY],
            Behaviour {
                json_only: true,
                ..Behaviour::default()
            },
        );
        let o = analyze_backend("--tempo", &s.url, &[]);
        assert_eq!(report_body(&o), file_report(&[HEALTHY]), "{}", stderr(&o));
        // Tempo's JSON has base64 ids: the readers say so.
        assert!(stderr(&o).contains("base64"), "{}", stderr(&o));
        let log = s.requests.lock().expect("log").clone();
        let v1 = log.iter().filter(|r| r.starts_with("v1 ")).count();
        match api {
            // v2 answered: v1 never asked.
            Api::Tempo => assert_eq!(v1, 0, "{log:?}"),
            // v1 asked for every trace, v2 found missing once and not asked again.
            _ => assert_eq!(v1, s.traces.len(), "{log:?}"),
        }
    }
}

#[test]
fn pull_writes_otlp_json_lines_that_load_again() {
    let s = serve(Api::Tempo, &[BROKEN], Behaviour::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pulled.jsonl");
    let out_s = out.to_str().expect("utf-8");
    let mut args = vec!["pull", "tempo", &s.url, "-o", out_s];
    args.extend(RANGE);
    let o = tracetopo(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let again = report_body(&tracetopo(&["analyze", "--format", "json", out_s]));
    assert_eq!(again, file_report(&[BROKEN]));

    // An output that cannot be written fails before any request.
    let before = s.requests.lock().expect("log").len();
    let bad = dir.path().join("no-such-dir").join("x.jsonl");
    let bad_s = bad.to_str().expect("utf-8");
    let o = tracetopo(&["pull", "tempo", &s.url, "-o", bad_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(bad_s), "{}", stderr(&o));
    assert_eq!(s.requests.lock().expect("log").len(), before);

    // A failed pull leaves no output behind.
    let failed = dir.path().join("failed.jsonl");
    let o = tracetopo(&[
        "pull",
        "tempo",
        &format!("{}/wrong", s.url),
        "-o",
        failed.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!failed.exists());
}

#[test]
fn jaeger_searches_every_service_and_gives_the_files_report() {
    let s = serve(Api::Jaeger, &[BROKEN, HEALTHY], Behaviour::default());
    // Detected (no kind given in the library; the CLI names it): Jaeger answers services.
    let b = Backend::connect(&s.url, None, HttpConfig::default(), None);
    assert_eq!(b.map(|b| b.kind()).ok(), Some(Kind::Jaeger));

    let o = analyze_backend("--jaeger", &s.url, &["--limit", "3"]);
    assert_eq!(
        report_body(&o),
        file_report(&[BROKEN, HEALTHY]),
        "{}",
        stderr(&o)
    );
    let log = s.requests.lock().expect("log").clone();
    let services: BTreeSet<&String> = s.traces.values().flat_map(|t| &t.services).collect();
    for svc in services {
        assert!(
            log.iter().any(|r| r == &format!("search Some({svc:?})")),
            "{svc} not searched: {log:?}"
        );
    }
}

#[test]
fn jaeger_no_traces_found_is_an_empty_result() {
    let s = serve(Api::Jaeger, &[BROKEN], Behaviour::default());
    let o = tracetopo(&[
        "analyze",
        "--jaeger",
        &s.url,
        "--service",
        "order-svc",
        "--start",
        "2020-01-01T00:00:00Z",
        "--end",
        "2020-01-01T01:00:00Z",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("report");
    assert_eq!(v["spans"], 0);
    assert!(stderr(&o).contains("0 traces found"), "{}", stderr(&o));
}

#[test]
fn tempo_detection_a_tenant_401_and_403() {
    let s = serve(
        Api::Tempo,
        &[HEALTHY],
        Behaviour {
            tenant: Some("acme".into()),
            ..Behaviour::default()
        },
    );
    let o = analyze_backend("--tempo", &s.url, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&s.url) && err.contains("401"), "{err}");
    assert!(err.contains("X-Scope-OrgID"), "{err}");

    let o = analyze_backend("--tempo", &s.url, &["--header", "X-Scope-OrgID: acme"]);
    assert_eq!(report_body(&o), file_report(&[HEALTHY]), "{}", stderr(&o));

    let cfg = HttpConfig {
        headers: vec![("X-Scope-OrgID".into(), "acme".into())],
        ..HttpConfig::default()
    };
    let b = Backend::connect(&s.url, None, cfg, None);
    assert_eq!(b.map(|b| b.kind()).ok(), Some(Kind::Tempo));

    // A proxy that knows the caller but refuses the read: 403, not retried, one line.
    let s = serve(
        Api::Tempo,
        &[HEALTHY],
        Behaviour {
            fail_first: Mutex::new(VecDeque::from([403])),
            ..Behaviour::default()
        },
    );
    let o = analyze_backend("--tempo", &s.url, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&s.url) && err.contains("403 Forbidden"),
        "{err}"
    );
}

#[test]
fn rate_limits_and_unavailable_answers_are_retried() {
    let s = serve(
        Api::Tempo,
        &[HEALTHY],
        Behaviour {
            fail_first: Mutex::new(VecDeque::from([429, 503, 429])),
            ..Behaviour::default()
        },
    );
    let o = analyze_backend("--tempo", &s.url, &[]);
    assert_eq!(report_body(&o), file_report(&[HEALTHY]), "{}", stderr(&o));
    // The search was asked four times: three refusals, then the answer.
    assert_eq!(searches(&s), 4);

    // More failures than retries: the last status is the error.
    let s = serve(
        Api::Tempo,
        &[HEALTHY],
        Behaviour {
            fail_first: Mutex::new(VecDeque::from([503; 10])),
            ..Behaviour::default()
        },
    );
    let o = analyze_backend("--tempo", &s.url, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("HTTP 503"), "{}", stderr(&o));
    assert_eq!(searches(&s), 1 + backend::http::DEFAULT_RETRIES as usize);
}

#[test]
fn a_slow_backend_times_out_with_one_line() {
    let s = serve(
        Api::Jaeger,
        &[HEALTHY],
        Behaviour {
            fetch_delay: Some(Duration::from_secs(3)),
            ..Behaviour::default()
        },
    );
    let id = s.traces.keys().next().expect("a trace").clone();
    let o = tracetopo(&[
        "analyze",
        "--jaeger",
        &s.url,
        "--trace",
        &id,
        "--timeout",
        "0.3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{}/api/v3/traces/{id}", s.url)) && err.contains("0.3 s"),
        "{err}"
    );
}

#[test]
fn refused_connections_and_wrong_paths_say_what_to_check() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let o = analyze_backend("--tempo", &url, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&url) && stderr(&o).contains("connection refused"),
        "{}",
        stderr(&o)
    );

    // The server is there, the path prefix is missing.
    let s = serve(Api::Tempo, &[HEALTHY], Behaviour::default());
    let bare = s.url.trim_end_matches("/prefix");
    let o = analyze_backend("--tempo", bare, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("404") && stderr(&o).contains("path prefix"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn partial_traces_are_load_warnings() {
    let traces = server::traces_of(&[HEALTHY]);
    let id = traces.keys().next().expect("a trace").clone();
    let s = server::start(
        Api::Tempo,
        traces,
        Behaviour {
            partial: BTreeSet::from([id]),
            ..Behaviour::default()
        },
    );
    let o = analyze_backend("--tempo", &s.url, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("report");
    let warnings = v["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["kind"] == "incomplete"
            && w["message"].as_str().is_some_and(|m| m.contains("PARTIAL"))),
        "{warnings:?}"
    );
}

#[test]
fn cancel_stops_a_pull_at_once() {
    let s = serve(
        Api::Tempo,
        &[BROKEN, HEALTHY],
        Behaviour {
            fetch_delay: Some(Duration::from_millis(300)),
            ..Behaviour::default()
        },
    );
    let b = Arc::new(
        Backend::connect(&s.url, Some(Kind::Tempo), HttpConfig::default(), None).expect("connect"),
    );
    let cancel = AtomicBool::new(false);
    // Cancel once the first trace arrived.
    let progress = |p: &backend::Progress| {
        if p.fetched >= 1 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let opts = PullOptions {
        progress: Some(&progress),
        cancel: Some(&cancel),
        concurrency: 1,
    };
    let q = Query {
        window: Some(Window {
            start: backend::parse_time("2025-06-12T00:00:00Z").expect("time"),
            end: backend::parse_time("2025-06-12T06:00:00Z").expect("time"),
        }),
        ..Query::default()
    };
    let mut got = 0;
    let r = backend::pull(&b, &q, &opts, &mut |_| got += 1);
    assert_eq!(r.err().map(|e| e.kind), Some(ErrorKind::Cancelled));
    assert!(got >= 1 && got < s.traces.len(), "{got}");
    // No more fetches start after the cancel (one may have been in flight).
    std::thread::sleep(Duration::from_millis(700));
    let fetches = s.fetches.load(Ordering::Relaxed) as usize;
    assert!(fetches <= got + 1, "{fetches} fetches for {got} traces");
}

#[test]
fn follow_breaks_finds_the_other_half() {
    let s = serve(Api::Tempo, &[BROKEN, HEALTHY], Behaviour::default());
    let query = ["--query", "{resource.service.name = \"api-gateway\"}"];
    let has_break = |o: &Output| {
        let v: Value = serde_json::from_slice(&o.stdout).expect("report");
        v["breaks"]
            .as_array()
            .expect("breaks")
            .iter()
            .any(|b| b["kind"] == "propagation_break" && b["span_id"] == "e6cf69f39e2445aa")
    };
    let without = analyze_backend("--tempo", &s.url, &query);
    assert!(without.status.success(), "{}", stderr(&without));
    assert!(
        !has_break(&without),
        "the other half was in the search already"
    );

    let mut args = query.to_vec();
    args.push("--follow-breaks");
    let with = analyze_backend("--tempo", &s.url, &args);
    assert!(with.status.success(), "{}", stderr(&with));
    assert!(has_break(&with), "{}", stderr(&with));
    // The report row says where its evidence came from.
    let v: Value = serde_json::from_slice(&with.stdout).expect("report");
    let row = v["breaks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["span_id"] == "e6cf69f39e2445aa"))
        .expect("the break's row");
    let from = row["related_input"].as_str().unwrap_or_default();
    assert!(
        from.contains(&s.url) && from.ends_with("(other half)"),
        "{row}"
    );
    let err = stderr(&with);
    assert!(
        err.lines()
            .any(|l| l.contains("other half: propagation_break")
                && l.contains("a7d2c41e9b3f4e08b5c6d7e8f9a0b1c2")
                && l.contains(&s.url)),
        "{err}"
    );
}

#[test]
fn an_answer_over_the_size_bound_is_refused_naming_it() {
    let s = serve(Api::Jaeger, &[BROKEN], Behaviour::default());
    let cfg = HttpConfig {
        max_body: 1024,
        ..HttpConfig::default()
    };
    let b = Arc::new(Backend::connect(&s.url, Some(Kind::Jaeger), cfg, None).expect("connect"));
    let q = Query {
        service: Some("api-gateway".into()),
        window: Some(Window {
            start: backend::parse_time("2025-06-12T00:00:00Z").expect("time"),
            end: backend::parse_time("2025-06-12T06:00:00Z").expect("time"),
        }),
        ..Query::default()
    };
    let e = backend::pull(&b, &q, &PullOptions::default(), &mut |_| {}).err();
    let Some(e) = e else {
        panic!("a 1 KiB bound let the answer through")
    };
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(
        e.url.contains("/api/v3/traces?") && e.message.contains("1024 bytes"),
        "{e}"
    );
}

#[test]
fn credentials_come_from_the_named_variable_and_are_never_printed() {
    let secret = "s3cr3t-t0ken";
    for (value, sent) in [
        (secret.to_string(), format!("Bearer {secret}")),
        (
            format!("acme:{secret}"),
            format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("acme:{secret}")
                )
            ),
        ),
    ] {
        let s = serve(
            Api::Tempo,
            &[HEALTHY],
            Behaviour {
                authorization: Some(sent),
                ..Behaviour::default()
            },
        );
        let run = |env: Option<&str>| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_tracetopo"));
            c.args(["analyze", "--tempo", &s.url, "--token-env", "TT_TEST_TOKEN"])
                .args(RANGE)
                .args(["--format", "json"]);
            match env {
                Some(v) => c.env("TT_TEST_TOKEN", v),
                None => c.env_remove("TT_TEST_TOKEN"),
            };
            c.output().expect("run tracetopo")
        };
        let o = run(Some(&value));
        assert_eq!(report_body(&o), file_report(&[HEALTHY]), "{}", stderr(&o));
        // A wrong token: 401, and the line does not show it.
        let o = run(Some("wrong-but-secret"));
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("401") && !stderr(&o).contains("wrong-but-secret"));
        let o = run(None);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("$TT_TEST_TOKEN"), "{}", stderr(&o));
    }
}

#[test]
fn traceql_is_refused_for_jaeger() {
    let o = tracetopo(&["analyze", "--jaeger", "http://127.0.0.1:9", "--query", "{}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--service"), "{}", stderr(&o));
}

/// Pull throughput through the whole path (search, protobuf fetches 4 at a time, readers,
/// store, OTLP JSON lines out), against the loopback server, which shares the machine. Not a
/// check: run it to measure (docs/PERFORMANCE.md), `--ignored --nocapture`.
#[test]
#[ignore]
fn measure_pull_throughput() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("large.jsonl");
    let cfg = tracetopo::synth::LargeConfig {
        traces: 2000,
        spans_per_trace: 50,
        ..tracetopo::synth::LargeConfig::default()
    };
    let f = std::fs::File::create(&dump).expect("create");
    tracetopo::synth::write_jsonl(std::io::BufWriter::new(f), &cfg, |_| {}).expect("write");
    let s = serve(
        Api::Tempo,
        &[dump.to_str().expect("utf-8")],
        Behaviour::default(),
    );
    let start = s.traces.values().map(|t| t.start_ns).min().expect("traces") / 1_000_000_000;
    let end = s.traces.values().map(|t| t.start_ns).max().expect("traces") / 1_000_000_000;
    let out = dir.path().join("pulled.jsonl");
    let spans: usize = s
        .traces
        .values()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
        .map(|ss| ss["spans"].as_array().map_or(0, Vec::len))
        .sum();
    let t = std::time::Instant::now();
    let o = tracetopo(&[
        "pull",
        "tempo",
        &s.url,
        "--start",
        &start.to_string(),
        "--end",
        &end.to_string(),
        "--limit",
        "500",
        "--max-traces",
        "100000",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let secs = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", stderr(&o));
    println!(
        "{} traces, {spans} spans in {secs:.2} s: {:.0} spans/s, {:.0} traces/s; {}",
        s.traces.len(),
        spans as f64 / secs,
        s.traces.len() as f64 / secs,
        stderr(&o).trim()
    );
}

#[test]
fn follow_breaks_fetches_a_trace_with_orphans_again() {
    let traces = server::traces_of(&[HEALTHY]);
    // A span with a parent and children of its own: without it, its children are orphans.
    let spans: Vec<&Value> = traces
        .values()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|ss| ss["spans"].as_array().into_iter().flatten())
        .collect();
    let parents: BTreeSet<&str> = spans
        .iter()
        .filter_map(|s| s["parentSpanId"].as_str())
        .collect();
    let late = spans
        .iter()
        .find(|s| {
            s["parentSpanId"].as_str().is_some_and(|p| !p.is_empty())
                && s["spanId"].as_str().is_some_and(|id| parents.contains(id))
        })
        .and_then(|s| s["spanId"].as_str())
        .expect("a middle span")
        .to_string();
    let s = server::start(
        Api::Tempo,
        traces,
        Behaviour {
            late: BTreeSet::from([late]),
            ..Behaviour::default()
        },
    );
    let first = analyze_backend("--tempo", &s.url, &["--follow-breaks"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // The first answer lacked the late span; fetched again, the trace is whole, and the
    // report is the file's.
    assert_eq!(
        report_body(&first),
        file_report(&[HEALTHY]),
        "{}",
        stderr(&first)
    );
    let log = s.requests.lock().expect("log").clone();
    let v2 = log.iter().filter(|r| r.starts_with("v2 ")).count();
    assert_eq!(v2, s.traces.len() + 1, "{log:?}");
}

#[test]
fn jaeger_operations_attributes_and_durations_reach_the_api() {
    let s = serve(Api::Jaeger, &[HEALTHY], Behaviour::default());
    let b =
        Backend::connect(&s.url, Some(Kind::Jaeger), HttpConfig::default(), None).expect("connect");
    let ops = b.operations("payment-svc", None).expect("operations");
    assert!(
        !ops.is_empty() && ops.windows(2).all(|w| w[0] < w[1]),
        "{ops:?}"
    );

    let o = analyze_backend(
        "--jaeger",
        &s.url,
        &[
            "--service",
            "api-gateway",
            "--attribute",
            "http.route=/orders",
            "--min-duration",
            "150ms",
            "--max-duration",
            "2s",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let log = s.requests.lock().expect("log").clone();
    let params: Value = log
        .iter()
        .find_map(|r| r.strip_prefix("params "))
        .map(|p| serde_json::from_str(p).expect("params"))
        .expect("a search");
    let attrs: Value =
        serde_json::from_str(params["query.attributes"].as_str().expect("attributes"))
            .expect("a JSON map");
    assert_eq!(attrs, serde_json::json!({"http.route": "/orders"}));
    assert_eq!(params["query.duration_min"], "150000us");
    assert_eq!(params["query.duration_max"], "2000000us");
}

#[test]
fn search_lists_hits_for_a_results_list() {
    let window = Some(Window {
        start: backend::parse_time("2025-06-12T00:00:00Z").expect("time"),
        end: backend::parse_time("2025-06-12T06:00:00Z").expect("time"),
    });
    let q = Query {
        window,
        limit: 3,
        ..Query::default()
    };
    for api in [Api::Tempo, Api::Jaeger] {
        let s = serve(api, &[BROKEN, HEALTHY], Behaviour::default());
        let b =
            Arc::new(Backend::connect(&s.url, None, HttpConfig::default(), None).expect("connect"));
        let (hits, sum) = backend::search(&b, &q, &PullOptions::default()).expect("search");
        assert_eq!(sum.found as usize, hits.len());
        let ids: BTreeSet<String> = hits
            .iter()
            .map(|h| format!("{:032x}", h.trace_id))
            .collect();
        let served: BTreeSet<String> = s.traces.keys().cloned().collect();
        assert_eq!(ids, served, "{}", b.kind().name());
        for h in &hits {
            let t = &s.traces[&format!("{:032x}", h.trace_id)];
            assert_eq!(h.start_unix_nano, t.start_ns);
            assert_eq!(h.duration_ms, (t.end_ns - t.start_ns) / 1_000_000);
            if api == Api::Tempo {
                assert_eq!(
                    (&h.root_service, &h.root_name),
                    (&t.root_service, &t.root_name)
                );
            }
            // Tempo sums its `serviceStats`; Jaeger counts the spans of its answer.
            let spans: usize = t
                .resource_spans
                .iter()
                .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
                .map(|ss| ss["spans"].as_array().map_or(0, Vec::len))
                .sum();
            assert_eq!(h.spans, Some(spans as u64), "{}", b.kind().name());
        }
        // Nothing was fetched by id.
        assert_eq!(s.fetches.load(Ordering::Relaxed), 0);
    }
}

#[test]
fn cancel_during_a_slow_search_returns_before_its_answer() {
    let s = serve(
        Api::Tempo,
        &[HEALTHY],
        Behaviour {
            search_delay: Some(Duration::from_secs(3)),
            ..Behaviour::default()
        },
    );
    let b = Arc::new(
        Backend::connect(&s.url, Some(Kind::Tempo), HttpConfig::default(), None).expect("connect"),
    );
    let cancel = AtomicBool::new(false);
    let r = std::thread::scope(|scope| {
        let pulling = scope.spawn(|| {
            let opts = PullOptions {
                cancel: Some(&cancel),
                ..PullOptions::default()
            };
            backend::pull(&b, &Query::default(), &opts, &mut |_| {})
        });
        // Cancel once the server holds the search.
        while !s
            .requests
            .lock()
            .expect("log")
            .iter()
            .any(|r| r.starts_with("search"))
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        cancel.store(true, Ordering::Relaxed);
        pulling.join().expect("pull thread")
    });
    assert_eq!(r.err().map(|e| e.kind), Some(ErrorKind::Cancelled));
    // The pull came back while the search was still unanswered.
    assert_eq!(s.searched.load(Ordering::Relaxed), 0);
}

/// `tracetopo --tempo URL`: the real window under Xvfb opens with the search loaded, saves its
/// screenshot, exits 0, and removes the temporary file it loaded. Skipped without `xvfb-run`
/// unless `TRACETOPO_REQUIRE_XVFB` is set (`.ci/run`).
#[cfg(target_os = "linux")]
#[test]
fn the_app_opens_with_a_backend_search_loaded() {
    let s = serve(Api::Tempo, &[BROKEN], Behaviour::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("breaks.png");
    let png_arg = png.to_string_lossy();
    let mut args = vec!["--tempo", &s.url];
    args.extend(RANGE);
    args.extend(["--screenshot", &png_arg, "--view", "breaks"]);
    let Some(o) = crate::util::in_xvfb(&args, None) else {
        return;
    };
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = s.traces.len();
    assert!(
        stderr(&o).contains(&format!("{n} traces fetched")),
        "{}",
        stderr(&o)
    );
    let img = image::open(&png).expect("the screenshot");
    assert!(img.width() > 0 && img.height() > 0);
    let port = s
        .url
        .rsplit(':')
        .next()
        .expect("port")
        .trim_end_matches("/prefix");
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tracetopo-tempo-") && n.contains(&format!("-{port}-")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_search_answer_over_the_size_bound_is_searched_again_in_smaller_windows() {
    let s = serve(Api::Jaeger, &[BROKEN, HEALTHY], Behaviour::default());
    // Room for the largest trace's answer, not for two traces: every window holding more
    // is cut (the samples start 1.5 s apart, so a one-second window holds one).
    let largest = s
        .traces
        .values()
        .map(|t| {
            serde_json::json!({"result": {"resourceSpans": t.resource_spans}})
                .to_string()
                .len()
        })
        .max()
        .expect("traces");
    let cfg = HttpConfig {
        max_body: largest as u64,
        ..HttpConfig::default()
    };
    let b = Arc::new(Backend::connect(&s.url, Some(Kind::Jaeger), cfg, None).expect("connect"));
    let q = Query {
        window: Some(Window {
            start: backend::parse_time("2025-06-12T00:00:00Z").expect("time"),
            end: backend::parse_time("2025-06-12T06:00:00Z").expect("time"),
        }),
        ..Query::default()
    };
    let mut got = BTreeSet::new();
    let sum = backend::pull(&b, &q, &PullOptions::default(), &mut |f| {
        for batch in &f.batches {
            got.extend(batch.spans.iter().map(|s| format!("{:032x}", s.trace_id)));
        }
    })
    .expect("pull");
    let served: BTreeSet<String> = s.traces.keys().cloned().collect();
    assert_eq!(got, served);
    assert_eq!(sum.found as usize, served.len());
}
