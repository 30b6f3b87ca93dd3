//! The sample traces in `sample-traces/` and the large generator: reproducible output, the
//! OTLP/JSON structure promised, and each documented scenario present with the property it is
//! built to show. Reads the files with serde_json only (no tracetopo reader), except to check
//! tracetopo's break detectors against that independent reading.
//!
//! After changing the generator, rewrite the files with `TRACETOPO_BLESS=1 cargo test --test it
//! samples::` and review the diff.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tracetopo::synth::{LargeConfig, write_jsonl, write_samples};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(sample_dir().join(name)).unwrap()
}

/// One span with what the checks need, flattened out of its resource.
#[derive(Debug, Clone)]
struct Sp {
    service: String,
    instance: String,
    trace: String,
    id: String,
    parent: String,
    name: String,
    kind: i64,
    start: u64,
    end: u64,
    attrs: HashMap<String, Value>,
    events: Vec<String>,
    status: i64,
    /// Span links as (trace id, span id).
    links: Vec<(String, String)>,
}

impl Sp {
    fn attr_str(&self, key: &str) -> Option<&str> {
        self.attrs.get(key)?.get("stringValue")?.as_str()
    }

    fn goroutine(&self) -> Option<u64> {
        let text = self
            .attrs
            .get("goroutine.id")
            .or_else(|| self.attrs.get("go.goroutine.id"))
            .map(|v| v["intValue"].as_str())
            .or_else(|| {
                self.attrs
                    .get("thread.id")
                    .map(|v| v["stringValue"].as_str())
            })??;
        text.parse().ok()
    }

    fn same_process(&self, other: &Sp) -> bool {
        self.service == other.service && self.instance == other.instance
    }

    fn is_conversion(&self) -> bool {
        self.name.starts_with("type.convert.")
            || (self.attrs.contains_key("convert.from") && self.attrs.contains_key("convert.to"))
    }
}

fn attr_map(list: &Value) -> HashMap<String, Value> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| (kv["key"].as_str().unwrap().to_string(), kv["value"].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// 64-bit ints are decimal strings in OTLP/JSON.
fn u64_string(v: &Value) -> u64 {
    v.as_str().expect("64-bit int as a string").parse().unwrap()
}

fn spans_of(doc: &Value) -> Vec<Sp> {
    let mut out = Vec::new();
    for rs in doc["resourceSpans"].as_array().unwrap() {
        let res = attr_map(&rs["resource"]["attributes"]);
        let s = |k: &str| res[k]["stringValue"].as_str().unwrap().to_string();
        for ss in rs["scopeSpans"].as_array().unwrap() {
            assert!(ss["scope"]["name"].as_str().is_some_and(|n| !n.is_empty()));
            for sp in ss["spans"].as_array().unwrap() {
                out.push(Sp {
                    service: s("service.name"),
                    instance: s("service.instance.id"),
                    trace: sp["traceId"].as_str().unwrap().to_string(),
                    id: sp["spanId"].as_str().unwrap().to_string(),
                    parent: sp["parentSpanId"].as_str().unwrap_or("").to_string(),
                    name: sp["name"].as_str().unwrap().to_string(),
                    kind: sp["kind"].as_i64().unwrap(),
                    start: u64_string(&sp["startTimeUnixNano"]),
                    end: u64_string(&sp["endTimeUnixNano"]),
                    attrs: attr_map(&sp["attributes"]),
                    events: sp["events"]
                        .as_array()
                        .map(|e| {
                            e.iter()
                                .map(|e| e["name"].as_str().unwrap().to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                    status: sp["status"]["code"].as_i64().unwrap_or(0),
                    links: sp["links"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|l| {
                                    let id = |k: &str| l[k].as_str().unwrap().to_string();
                                    (id("traceId"), id("spanId"))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
        }
    }
    out
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Conformance details every generated span shares: lowercase hex ids, int64 values as
/// strings, a goroutine id under one of the spec §3 keys, resource identity present.
fn check_conformant(spans: &[Sp]) {
    for s in spans {
        assert!(is_hex(&s.trace, 32), "{s:?}");
        assert!(is_hex(&s.id, 16), "{s:?}");
        assert!(s.parent.is_empty() || is_hex(&s.parent, 16), "{s:?}");
        assert!((1..=5).contains(&s.kind), "{s:?}");
        assert!(s.start <= s.end, "{s:?}");
        assert!(!s.service.is_empty() && !s.instance.is_empty());
        for v in s.attrs.values() {
            if let Some(i) = v.get("intValue") {
                assert!(i.as_str().is_some_and(|t| t.parse::<i64>().is_ok()), "{v}");
            }
        }
        let g = s
            .attrs
            .get("goroutine.id")
            .map(|v| v["intValue"].as_str())
            .or_else(|| {
                s.attrs
                    .get("go.goroutine.id")
                    .map(|v| v["intValue"].as_str())
            })
            .or_else(|| s.attrs.get("thread.id").map(|v| v["stringValue"].as_str()));
        assert!(
            g.flatten().is_some_and(|t| t.parse::<u64>().is_ok()),
            "no goroutine id: {s:?}"
        );
    }
}

#[test]
fn sample_files_are_what_the_generator_writes() {
    if std::env::var_os("TRACETOPO_BLESS").is_some() {
        write_samples(&sample_dir()).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let written = write_samples(tmp.path()).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "checkout-healthy.json",
            "checkout-broken.json",
            "checkout-live.jsonl",
            "README.md",
            "order-svc.zap.log",
            "payment-svc.slog.log",
            "user-svc.logrus.log",
            "api-gateway.zerolog.log",
            "checkout-broken.logs.json",
        ]
    );
    for (path, name) in written.iter().zip(&names) {
        let fresh = std::fs::read(path).unwrap();
        let committed = std::fs::read(sample_dir().join(name)).unwrap();
        assert!(
            fresh == committed,
            "sample-traces/{name} differs from what write_samples writes"
        );
        assert!(fresh.len() < 60_000, "{name} is {} bytes", fresh.len());
    }
}

const TOLERANCE: u64 = 1_000_000;
const SERVER: i64 = 2;
const CLIENT: i64 = 3;
const PRODUCER: i64 = 4;
const CONSUMER: i64 = 5;

/// An independent reading of spec §5 over the raw spans, enough to tell whether a file shows
/// exactly the breaks it was built to show: `(kind, trace id, span id)`, sorted.
fn spec_breaks(spans: &[Sp]) -> Vec<(&'static str, String, String)> {
    let mut found = Vec::new();
    let mut first: HashMap<(&str, &str), &Sp> = HashMap::new();
    for s in spans {
        let key = (s.trace.as_str(), s.id.as_str());
        match first.get(&key) {
            Some(f) if f.name != s.name || f.start != s.start || f.end != s.end => {
                found.push(("duplicate_span", s.trace.clone(), s.id.clone()));
            }
            Some(_) => {}
            None => {
                first.insert(key, s);
            }
        }
        if s.id.bytes().all(|b| b == b'0') || s.trace.bytes().all(|b| b == b'0') {
            found.push(("invalid_id", s.trace.clone(), s.id.clone()));
        }
    }
    let services: HashSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    let serving: HashSet<(&str, &str)> = spans
        .iter()
        .filter(|s| s.kind == SERVER || s.kind == CONSUMER)
        .map(|s| (s.service.as_str(), s.instance.as_str()))
        .collect();
    // Spec §5 "Span links": a root linking into another trace started it on purpose, and a
    // span such a link names is paired by it.
    let linked_root = |r: &Sp| r.parent.is_empty() && r.links.iter().any(|(t, _)| *t != r.trace);
    let linked_to = |c: &Sp| {
        spans.iter().any(|s| {
            s.trace != c.trace && s.links.iter().any(|(t, id)| *t == c.trace && *id == c.id)
        })
    };
    let has_incoming_child = |c: &Sp| {
        spans.iter().any(|s| {
            s.trace == c.trace && s.parent == c.id && (s.kind == SERVER || s.kind == CONSUMER)
        })
    };
    for s in spans {
        if !s.parent.is_empty() {
            match first.get(&(s.trace.as_str(), s.parent.as_str())) {
                None => found.push(("orphan_span", s.trace.clone(), s.id.clone())),
                Some(p) => {
                    let messaging = p.kind == PRODUCER && s.kind == CONSUMER;
                    if s.same_process(p) {
                        let started_after = s.start > p.end + TOLERANCE;
                        let incoming = s.kind == SERVER || s.kind == CONSUMER;
                        let under_messaging = p.kind == PRODUCER || p.kind == CONSUMER;
                        if started_after && !incoming && !under_messaging {
                            found.push(("stale_parent", s.trace.clone(), s.id.clone()));
                        } else if !messaging && !started_after && s.end > p.end + TOLERANCE {
                            found.push(("span_outlives_parent", s.trace.clone(), s.id.clone()));
                        }
                    } else if s.start + TOLERANCE < p.start
                        || (!messaging && s.end > p.end + TOLERANCE)
                    {
                        found.push(("clock_skew", s.trace.clone(), s.id.clone()));
                    }
                }
            }
        }
        if s.is_conversion() && (s.status == 2 || s.events.iter().any(|e| e == "exception")) {
            found.push(("conversion_error", s.trace.clone(), s.id.clone()));
        }
        if s.parent.is_empty()
            && !linked_root(s)
            && [0, 1, CLIENT, PRODUCER].contains(&s.kind)
            && serving.contains(&(s.service.as_str(), s.instance.as_str()))
            && spans.iter().any(|p| {
                p.trace != s.trace
                    && p.same_process(s)
                    && [1, SERVER, CONSUMER].contains(&p.kind)
                    && p.start <= s.start
                    && s.start <= p.end
            })
        {
            found.push(("detached_root", s.trace.clone(), s.id.clone()));
        }
        if (s.kind == CLIENT || s.kind == PRODUCER) && !has_incoming_child(s) && !linked_to(s) {
            let peer = s
                .attr_str("peer.service")
                .or_else(|| s.attr_str("server.address"));
            let window = if s.kind == PRODUCER {
                60_000_000_000
            } else {
                0
            };
            let candidate = spans.iter().any(|r| {
                r.parent.is_empty()
                    && !linked_root(r)
                    && (r.kind == SERVER || r.kind == CONSUMER)
                    && r.trace != s.trace
                    && r.service != s.service
                    && s.start <= r.start
                    && r.start <= s.end + window
                    && peer.is_none_or(|p| p == r.service)
            });
            if candidate {
                found.push(("propagation_break", s.trace.clone(), s.id.clone()));
            } else if s.kind == CLIENT && peer.is_some_and(|p| services.contains(p)) {
                found.push(("unmatched_client", s.trace.clone(), s.id.clone()));
            }
        }
    }
    found.sort();
    found
}

fn parse_doc(name: &str) -> Vec<Sp> {
    let doc: Value = serde_json::from_str(&read(name)).unwrap();
    spans_of(&doc)
}

fn in_trace<'a>(spans: &'a [Sp], trace: &str, name: &str) -> Vec<&'a Sp> {
    spans
        .iter()
        .filter(|s| s.trace == trace && s.name == name)
        .collect()
}

fn gateway_post<'a>(spans: &'a [Sp], trace: &str) -> &'a Sp {
    let found: Vec<_> = in_trace(spans, trace, "POST")
        .into_iter()
        .filter(|s| s.service == "api-gateway")
        .collect();
    assert_eq!(found.len(), 1, "gateway POST in {trace}");
    found[0]
}

fn one<'a>(spans: &'a [Sp], trace: &str, name: &str) -> &'a Sp {
    let found = in_trace(spans, trace, name);
    assert_eq!(found.len(), 1, "{name} in {trace}");
    found[0]
}

// Trace ids as documented in sample-traces/README.md.
const H_CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const H_USER: &str = "0af7651916cd43dd8448eb211c80319c";
const H_ORDER: &str = "5b8efff798038103d269b633813fc60c";
/// The order-events scenario: three producer traces, then the batch consumer's.
const H_EVENTS: [&str; 4] = [
    "5c1e7a903d2b4f688e41b2c7d9f01a35",
    "6d2f8ba14e3c40799f52c3d8e0a12b46",
    "7e309cb25f4d418aa063d4e9f1b23c57",
    "8f41adc36a5e42abb174e5fa02c34d68",
];
const B_ORPHAN: &str = "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51";
const B_PROP_CLIENT: &str = "a7d2c41e9b3f4e08b5c6d7e8f9a0b1c2";
const B_PROP_SERVER: &str = "3f9e8d7c6b5a49382716059483726150";
const B_DETACHED_REQUEST: &str = "c0a8016e5d4c4b3a9f8e7d6c5b4a3921";
const B_DETACHED_ROOT: &str = "91d35e7a0c2b4f6e8d1a3c5e7f9b2d40";
const B_OUTLIVES: &str = "5d2c7e9a1b3f4c6d8e0a2b4c6d8e0f13";
const B_CONVERSION: &str = "9c8b7a6f5e4d4c3b2a19087f6e5d4c3b";
const B_SKEW: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const B_INVALID: &str = "e3b0c44298fc4c149afbf4c8996fb924";
const B_DUPLICATE: &str = "7f3a9c2e5b1d4f8a6c0e2a4b6d8f0a1c";
const B_UNMATCHED: &str = "1d4e7f0a3b6c4d9e8f2a5b8c1d4e7f0b";
const B_STALE: &str = "c0de5a1e7b2f4e918d3c6a0b2e4f7d19";

fn count_by_trace(spans: &[Sp]) -> HashMap<&str, usize> {
    let mut n = HashMap::new();
    for s in spans {
        *n.entry(s.trace.as_str()).or_default() += 1;
    }
    n
}

#[test]
fn healthy_file_has_the_promised_traces_and_no_breaks() {
    let spans = parse_doc("checkout-healthy.json");
    check_conformant(&spans);
    // Counted from the scenario descriptions: 17 + 11 + 10 + 3 × 3 + 2.
    assert_eq!(spans.len(), 49);
    let per = count_by_trace(&spans);
    assert_eq!(per.len(), 7);
    assert_eq!((per[H_CHECKOUT], per[H_USER], per[H_ORDER]), (17, 11, 10));
    assert_eq!(
        H_EVENTS.map(|t| per[t]),
        [3, 3, 3, 2],
        "three producer traces and the batch"
    );
    assert_eq!(spec_breaks(&spans), []);

    // The batch consumer is a new root CONSUMER linking the PRODUCER span of each of the
    // three traces; without the links, the three would be propagation_breaks.
    let batch = one(&spans, H_EVENTS[3], "order-events process");
    assert!(batch.parent.is_empty() && batch.kind == CONSUMER);
    let producers: Vec<(String, String)> = H_EVENTS[..3]
        .iter()
        .map(|t| {
            let p = one(&spans, t, "order-events publish");
            assert_eq!(p.kind, PRODUCER);
            (p.trace.clone(), p.id.clone())
        })
        .collect();
    assert_eq!(batch.links, producers);
    let mut unlinked = spans.clone();
    for s in &mut unlinked {
        s.links.clear();
    }
    let mut want: Vec<_> = producers
        .iter()
        .map(|(t, id)| ("propagation_break", t.clone(), id.clone()))
        .collect();
    want.sort();
    assert_eq!(spec_breaks(&unlinked), want);

    // Traces do not overlap in time, so nothing can be matched across them.
    let mut windows: Vec<(u64, u64)> = per
        .keys()
        .map(|t| {
            let of = spans.iter().filter(|s| s.trace == *t);
            (
                of.clone().map(|s| s.start).min().unwrap(),
                of.map(|s| s.end).max().unwrap(),
            )
        })
        .collect();
    windows.sort();
    assert!(windows.windows(2).all(|w| w[0].1 < w[1].0));

    // The conversion chain crosses from the gateway into order-svc.
    let a = one(
        &spans,
        H_CHECKOUT,
        "type.convert.*dto.CreateOrderReq.to.*orderpb.CreateOrderRequest",
    );
    let b = one(
        &spans,
        H_CHECKOUT,
        "type.convert.*orderpb.CreateOrderRequest.to.*domain.Order",
    );
    assert_eq!(
        (a.service.as_str(), b.service.as_str()),
        ("api-gateway", "order-svc")
    );
    assert!(b.start >= a.end);
    assert!(
        spans
            .iter()
            .filter(|s| s.attrs.contains_key("convert.from"))
            .count()
            >= 3
    );

    // Kafka: the consumer is a child of the producer and starts after it ends.
    let producer = one(&spans, H_CHECKOUT, "orders publish");
    let consumer = one(&spans, H_CHECKOUT, "orders process");
    assert_eq!((producer.kind, consumer.kind), (PRODUCER, CONSUMER));
    assert_eq!(consumer.parent, producer.id);
    assert!(consumer.start > producer.end);
    assert_eq!(consumer.service, "inventory-consumer");

    // Chinese names, and the goroutine id fallbacks per service.
    assert!(spans.iter().any(|s| s.service == "通知服务"));
    assert_eq!(one(&spans, H_USER, "查询用户").service, "user-svc");
    assert_eq!(one(&spans, H_USER, "发送通知").service, "通知服务");
    for s in &spans {
        let key = match s.service.as_str() {
            "user-svc" => "go.goroutine.id",
            "audit-svc" => "thread.id",
            _ => "goroutine.id",
        };
        assert!(s.attrs.contains_key(key), "{} lacks {key}", s.name);
    }
    assert!(spans.iter().any(|s| {
        s.attrs
            .get("thread.id")
            .is_some_and(|v| v["stringValue"].is_string())
    }));

    // Goroutine hops: same-process parent/child pairs on different goroutines.
    let hops = spans
        .iter()
        .filter(|c| {
            spans.iter().any(|p| {
                p.trace == c.trace
                    && p.id == c.parent
                    && p.same_process(c)
                    && p.goroutine() != c.goroutine()
            })
        })
        .count();
    // payment.Charge, orders publish, both fan-out clients, the audit client.
    assert_eq!(hops, 5);
}

#[test]
fn live_lines_hold_the_healthy_traces_in_collector_batches() {
    let text = read("checkout-live.jsonl");
    let mut from_lines = Vec::new();
    let mut lines_of: HashMap<String, HashSet<usize>> = HashMap::new();
    for (k, line) in text.lines().enumerate() {
        let doc: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            doc["resourceSpans"].as_array().unwrap().len(),
            1,
            "one process per line"
        );
        let spans = spans_of(&doc);
        assert!((1..=6).contains(&spans.len()));
        for s in &spans {
            lines_of.entry(s.trace.clone()).or_default().insert(k);
        }
        from_lines.extend(spans);
    }
    let key = |s: &Sp| {
        (
            s.trace.clone(),
            s.id.clone(),
            s.name.clone(),
            s.start,
            s.end,
            s.service.clone(),
        )
    };
    let mut a: Vec<_> = from_lines.iter().map(key).collect();
    let mut b: Vec<_> = parse_doc("checkout-healthy.json").iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(lines_of.len(), 7);
    // Each checkout trace crosses services, so it arrives over several lines (the order-events
    // traces are one process each and may fit in one batch).
    assert!(
        [H_CHECKOUT, H_USER, H_ORDER]
            .iter()
            .all(|t| lines_of[*t].len() >= 3),
        "{lines_of:?}"
    );
}

#[test]
fn broken_file_shows_each_break_kind_once_where_documented() {
    let spans = parse_doc("checkout-broken.json");
    check_conformant(
        &spans
            .iter()
            .filter(|s| s.trace != B_INVALID)
            .cloned()
            .collect::<Vec<_>>(),
    );
    assert_eq!(spans.len(), 5 + 6 + 8 + 5 + 3 + 5 + 5 + 6 + 5 + 8 + 3);
    let readme = read("README.md");

    let orphan = one(&spans, B_ORPHAN, "SELECT acme.users");
    assert_eq!(orphan.service, "user-svc");
    let prop = gateway_post(&spans, B_PROP_CLIENT);
    let prop_root = one(&spans, B_PROP_SERVER, "POST /v1/payments");
    assert!(prop_root.parent.is_empty() && prop_root.kind == SERVER);
    assert!(prop.start <= prop_root.start && prop_root.start <= prop.end);
    assert_eq!(
        prop.attr_str("url.full"),
        Some("http://payment-svc:8080/v1/payments")
    );
    assert_eq!(prop_root.attr_str("http.route"), Some("/v1/payments"));
    let detached = one(&spans, B_DETACHED_ROOT, "audit.Write");
    let served = in_trace(&spans, B_DETACHED_REQUEST, "order.OrderService/CreateOrder")
        .into_iter()
        .find(|s| s.kind == SERVER)
        .unwrap();
    assert!(detached.parent.is_empty() && detached.kind == 1 && detached.same_process(served));
    let outlives = one(&spans, B_OUTLIVES, "order.notifyWarehouse");
    let outlived = spans.iter().find(|p| p.id == outlives.parent).unwrap();
    assert_eq!(outlives.end - outlived.end, 50_000_000);
    let conversion = one(
        &spans,
        B_CONVERSION,
        "type.convert.[]byte.to.*dto.CreateOrderReq",
    );
    assert_eq!(conversion.status, 2);
    assert_eq!(conversion.events, ["exception"]);
    let skewed = spans
        .iter()
        .find(|s| s.trace == B_SKEW && s.kind == SERVER && s.service == "user-svc")
        .unwrap();
    let caller = spans.iter().find(|p| p.id == skewed.parent).unwrap();
    assert_eq!(caller.start - skewed.start, 30_000_000);
    let invalid = one(&spans, B_INVALID, "order.validate");
    assert_eq!(invalid.id, "0000000000000000");
    let dup_first = one(&spans, B_DUPLICATE, "orderCache.Get");
    let dup = one(&spans, B_DUPLICATE, "orderRepo.Get");
    assert_eq!(dup_first.id, dup.id);
    let unmatched = gateway_post(&spans, B_UNMATCHED);
    assert_eq!(unmatched.attr_str("peer.service"), Some("audit-svc"));

    let expected = [
        ("orphan_span", orphan),
        ("propagation_break", prop),
        ("detached_root", detached),
        ("span_outlives_parent", outlives),
        ("conversion_error", conversion),
        ("clock_skew", skewed),
        ("invalid_id", invalid),
        ("duplicate_span", dup),
        ("unmatched_client", unmatched),
    ];
    // The worker's first reservation ran inside its request; the next three are stale.
    let reservations = in_trace(&spans, B_STALE, "stock.Reserve");
    let request = in_trace(&spans, B_STALE, "order.OrderService/CreateOrder")
        .into_iter()
        .find(|s| s.kind == SERVER)
        .unwrap();
    assert_eq!(reservations.len(), 4);
    assert!(reservations.iter().all(|r| r.parent == request.id));
    let stale: Vec<&Sp> = reservations
        .into_iter()
        .filter(|r| r.start > request.end)
        .collect();
    assert_eq!(stale.len(), 3);
    let mut want: Vec<_> = expected
        .iter()
        .copied()
        .chain(stale.iter().map(|&s| ("stale_parent", s)))
        .map(|(k, s)| (k, s.trace.clone(), s.id.clone()))
        .collect();
    want.sort();
    assert_eq!(spec_breaks(&spans), want);
    for (kind, s) in expected {
        let line = format!("- break: `{kind}` on span `{}` `{}`", s.name, s.id);
        assert!(readme.contains(&line), "README lacks {line}");
        assert!(readme.contains(&format!("- trace `{}`", s.trace)));
    }
    let line = format!(
        "- break: `stale_parent` on span `stock.Reserve` `{}`",
        stale[0].id
    );
    assert!(readme.contains(&line), "README lacks {line}");
    for related in [prop_root, served] {
        assert!(readme.contains(&format!(
            "- related: span `{}` `{}` in trace `{}`",
            related.name, related.id, related.trace
        )));
    }
}

fn large(cfg: &LargeConfig) -> (Vec<u8>, tracetopo::synth::Stats, Vec<u64>) {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let stats = write_jsonl(&mut out, cfg, |n| seen.push(n)).unwrap();
    (out, stats, seen)
}

#[test]
fn large_generator_is_deterministic_and_counts_right() {
    let cfg = LargeConfig {
        traces: 20,
        spans_per_trace: 50,
        ..LargeConfig::default()
    };
    let (a, stats, progress) = large(&cfg);
    let (b, _, _) = large(&cfg);
    assert!(a == b, "two runs differ");
    let (c, _, _) = large(&LargeConfig {
        seed: 2,
        ..cfg.clone()
    });
    assert!(a != c, "the seed changes the output");

    let text = String::from_utf8(a).unwrap();
    let mut spans = Vec::new();
    let mut small_lines = 0;
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).unwrap();
        assert_eq!(doc["resourceSpans"].as_array().unwrap().len(), 1);
        let batch = spans_of(&doc);
        assert!(
            batch.len() <= 201,
            "a batch closes at its target (at most 200) plus one pair"
        );
        if batch.len() < 50 {
            small_lines += 1;
        }
        spans.extend(batch);
    }
    // Only the final flush of each service may be smaller than a batch target.
    assert!(small_lines <= cfg.services as usize);
    assert_eq!(spans.len(), 1000);
    assert_eq!(stats.spans, 1000);
    assert_eq!(stats.lines, text.lines().count() as u64);
    assert_eq!(stats.bytes, text.len() as u64);
    let traces: HashSet<&str> = spans.iter().map(|s| s.trace.as_str()).collect();
    assert_eq!(stats.traces, traces.len() as u64);
    assert!(progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(progress.last(), Some(&1000));
    check_conformant(&spans);
}

#[test]
fn large_generator_breaks_are_the_planned_ones() {
    let clean = LargeConfig {
        traces: 60,
        spans_per_trace: 40,
        services: 12,
        breaks_per_mille: 0,
        ..LargeConfig::default()
    };
    let (out, stats, _) = large(&clean);
    let spans: Vec<Sp> = String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|l| spans_of(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(stats.traces, 60);
    assert_eq!(stats.breaks, 0);
    assert_eq!(spec_breaks(&spans), []);

    let broken = LargeConfig {
        breaks_per_mille: 300,
        ..clean
    };
    let (out, stats, _) = large(&broken);
    let spans: Vec<Sp> = String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|l| spans_of(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(spans.len(), 60 * 40);
    let found = spec_breaks(&spans);
    assert!(stats.breaks >= 5, "{stats:?}");
    assert_eq!(found.len() as u64, stats.breaks, "{found:?}");
    let kinds: HashSet<&str> = found.iter().map(|f| f.0).collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
}

#[test]
fn large_generator_spans_look_like_go_services() {
    let cfg = LargeConfig {
        traces: 50,
        spans_per_trace: 100,
        ..LargeConfig::default()
    };
    let (out, stats, _) = large(&cfg);
    let spans: Vec<Sp> = String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|l| spans_of(&serde_json::from_str(l).unwrap()))
        .collect();
    let n = spans.len() as f64;
    let conversions = spans.iter().filter(|s| s.is_conversion()).count() as f64;
    assert!(
        (0.07..0.14).contains(&(conversions / n)),
        "{conversions} conversions"
    );
    let attrs = spans.iter().map(|s| s.attrs.len()).sum::<usize>() as f64;
    assert!(
        (6.0..=12.0).contains(&(attrs / n)),
        "{} attributes per span",
        attrs / n
    );
    let services: HashSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(services.len(), 40);
    assert!(services.contains("api-gateway") && services.contains("svc-39"));
    for kind in [SERVER, CLIENT, PRODUCER, CONSUMER, 1] {
        assert!(
            spans.iter().any(|s| s.kind == kind),
            "no span of kind {kind}"
        );
    }
    assert!(spans.iter().all(|s| s.attrs.contains_key("user.id")));
    let per_span = stats.bytes as f64 / n;
    println!(
        "large: {per_span:.0} bytes and {:.1} attributes per span",
        attrs / n
    );
    assert!(
        (400.0..900.0).contains(&per_span),
        "{per_span} bytes per span"
    );
}

/// The breaks tracetopo's detectors find in `bytes` (loaded by the reader users run), in
/// `spec_breaks`' terms.
fn detected_breaks(name: &str, bytes: &[u8]) -> Vec<(&'static str, String, String)> {
    use tracetopo::analysis::{Analysis, Options};
    use tracetopo::model::ids::{span_hex, trace_hex};
    let mut store = tracetopo::model::Store::new();
    if let Err(e) = tracetopo::ingest::load_bytes(
        &mut store,
        name,
        bytes,
        &tracetopo::ingest::LoadOptions::default(),
    ) {
        panic!("{e}");
    }
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    let mut found: Vec<_> = analysis
        .breaks
        .iter()
        .map(|b| {
            let s = store.span(b.span);
            (b.kind.name(), trace_hex(s.trace_id), span_hex(s.span_id))
        })
        .collect();
    found.sort();
    found
}

/// The detectors against the independent reading above, on generated dumps over several
/// seeds (each with a different mix of deliberate breaks) and on the sample files: the same
/// breaks, on the same spans.
#[test]
fn detectors_agree_with_the_independent_checker() {
    let mut kinds = HashSet::new();
    for seed in 1..=6 {
        let cfg = LargeConfig {
            traces: 60,
            spans_per_trace: 40,
            services: 12,
            seed,
            breaks_per_mille: 300,
            ..LargeConfig::default()
        };
        let (out, stats, _) = large(&cfg);
        let spans: Vec<Sp> = String::from_utf8(out.clone())
            .unwrap()
            .lines()
            .flat_map(|l| spans_of(&serde_json::from_str(l).unwrap()))
            .collect();
        let want = spec_breaks(&spans);
        assert_eq!(want.len() as u64, stats.breaks, "seed {seed}");
        assert_eq!(
            detected_breaks(&format!("seed-{seed}.jsonl"), &out),
            want,
            "seed {seed}"
        );
        kinds.extend(want.iter().map(|b| b.0));
    }
    // Every kind the generator plans; the broken sample below holds all nine.
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    for name in ["checkout-healthy.json", "checkout-broken.json"] {
        assert_eq!(
            detected_breaks(name, read(name).as_bytes()),
            spec_breaks(&parse_doc(name)),
            "{name}"
        );
    }
}
