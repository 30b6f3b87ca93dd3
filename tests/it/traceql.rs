//! TraceQL (spec §8) over the bundled samples: a table of queries with the traces and spans
//! each must match (read off `sample-traces/README.md` and the files, not off the evaluator),
//! every error message, the `{A} && {B}` property, and the `query` / `analyze --where` CLI.

use std::collections::BTreeMap;

use tracetopo::analysis::{Analysis, Options};
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::model::Store;
use tracetopo::model::ids::{span_hex, trace_hex};
use tracetopo::query::traceql::Query;
use tracetopo::synth::{LargeConfig, write_jsonl};

use crate::util::{sample, tracetopo};

/// The healthy and the broken checkout samples in one store, indexed and analysed.
fn samples() -> (Store, Analysis) {
    let mut store = Store::new();
    for f in ["checkout-healthy.json", "checkout-broken.json"] {
        if let Err(e) = ingest::load_path(&mut store, &sample(f), &LoadOptions::default()) {
            panic!("{e}");
        }
    }
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    (store, analysis)
}

/// Trace id → its matched span ids (both sorted), as hex.
fn run(store: &Store, analysis: &Analysis, q: &str) -> BTreeMap<String, Vec<String>> {
    let query = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    query
        .evaluate(store, &analysis.breaks)
        .into_iter()
        .map(|m| {
            let mut spans: Vec<String> = m
                .spans
                .iter()
                .map(|&i| span_hex(store.span(i).span_id))
                .collect();
            spans.sort();
            (trace_hex(store.index.traces[m.trace as usize].id), spans)
        })
        .collect()
}

/// (query, [(trace id prefix, [span ids])]).
type Case = (
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

const CASES: &[Case] = &[
    (
        "{ status = error }",
        &[("9c8b7a", &["9fa7d6108c9e8aec", "defbd737c076abf5"])],
    ),
    (
        r#"{ resource.service.name = "payment-svc" && name = "payment.Charge" }"#,
        &[
            ("4bf92f", &["5b97ad30805df0ea"]),
            ("3f9e8d", &["175fc4ba88f0aaa8"]),
        ],
    ),
    // The Kafka consumer of the healthy checkout, and the batch consumer linked to the
    // cancellations' producers.
    (
        "{ kind = consumer }",
        &[
            ("4bf92f", &["9fc50c940c53713b"]),
            ("8f41ad", &["2d700b48fbd05899"]),
        ],
    ),
    // Unscoped: the resource's service.name, as no span has one.
    (
        r#"{ .service.name = "通知服务" }"#,
        &[("0af765", &["9b1871fa8e6b9c95", "bff77e38b9db36ab"])],
    ),
    // Child: the right side's spans whose parent matches the left.
    (
        r#"{ resource.service.name = "payment-svc" && kind = server } > { name = "payment.Charge" }"#,
        &[
            ("4bf92f", &["5b97ad30805df0ea"]),
            ("3f9e8d", &["175fc4ba88f0aaa8"]),
        ],
    ),
    // Descendant, across the Kafka hop.
    (
        r#"{ name = "order.OrderService/CreateOrder" && kind = server } >> { kind = client }"#,
        &[
            (
                "4bf92f",
                &["8b7a0415aef3386a", "90c29c8a47401e56", "bdc949e2acb55fcd"],
            ),
            ("c0a801", &["bc98d78660e68b40"]),
        ],
    ),
    // Parent: the right side's spans that are the parent of a left one (the orphan has none).
    (
        r#"{ name = "SELECT acme.users" } < { }"#,
        &[
            ("0af765", &["6aa026f8306f9a61"]),
            ("2b7e15", &["850d3ab913f90bc6"]),
        ],
    ),
    // Ancestor.
    (
        r#"{ name = "UPDATE acme.stock" } << { kind = server }"#,
        &[("4bf92f", &["3cd3701f1bd7d25f", "b4a1bb5edaacf644"])],
    ),
    // Sibling: another child of the same parent.
    (
        r#"{ name = "mapper.ToCharge" } ~ { }"#,
        &[("4bf92f", &["5b97ad30805df0ea"])],
    ),
    // Not parent: user-svc's leaf spans (the orphan's parent is not loaded, so it is a leaf).
    (
        r#"{ } !< { resource.service.name = "user-svc" }"#,
        &[
            ("0af765", &["851f750f40f7371b", "9ccc6c1810cf3abc"]),
            ("2b7e15", &["1431b940f5af7294"]),
            ("6e0f1a", &["c4e6180e4317825f", "d1b55217343acc93"]),
        ],
    ),
    // Union child: both sides of the relation.
    (
        "{ kind = producer } &> { kind = consumer }",
        &[("4bf92f", &["8405ceea63a0ed89", "9fc50c940c53713b"])],
    ),
    // Regular expressions are anchored at both ends.
    (r#"{ name =~ "SELECT" }"#, &[]),
    (
        r#"{ name =~ "SELECT acme\\.u.*" }"#,
        &[
            ("0af765", &["851f750f40f7371b"]),
            ("2b7e15", &["1431b940f5af7294"]),
            ("6e0f1a", &["c4e6180e4317825f"]),
        ],
    ),
    (
        r#"{ resource.service.name = "audit-svc" && name !~ "POST.*" }"#,
        &[("5b8eff", &["8c0f20272f6e07a5"])],
    ),
    // nil: absent, and present.
    (
        r#"{ resource.service.name = "user-svc" && span.db.system = nil }"#,
        &[
            (
                "0af765",
                &["51e4ee8e9ef77379", "6aa026f8306f9a61", "9ccc6c1810cf3abc"],
            ),
            ("2b7e15", &["850d3ab913f90bc6"]),
            ("6e0f1a", &["d1b55217343acc93"]),
        ],
    ),
    (
        "{ span.peer.service != nil }",
        &[
            ("0af765", &["8c64d4ef907761f4"]),
            ("1d4e7f", &["10ba348e8e6bfee1"]),
        ],
    ),
    // Durations.
    (
        "{ duration > 100ms }",
        &[
            (
                "4bf92f",
                &[
                    "27f211eda44add7e",
                    "3cd3701f1bd7d25f",
                    "5dc606d2b17cc2de",
                    "b4a1bb5edaacf644",
                ],
            ),
            (
                "c0a801",
                &[
                    "07535f094e8698f6",
                    "0c6fa22567f610cf",
                    "4e8193995268aae2",
                    "d17b32cf8ed34a04",
                ],
            ),
            ("5d2c7e", &["39df93ea673cae0d"]),
        ],
    ),
    (
        "{ kind = internal && duration < 500us }",
        &[
            ("0af765", &["13137803948a91dd"]),
            ("4bf92f", &["83bb556544177b87", "a374e4ecfed42e36"]),
            ("5b8eff", &["8b20ee40c26211c4", "fcf0dfac7d5b1e17"]),
            ("3f9e8d", &["c0181223e09cf977"]),
        ],
    ),
    (
        "{ traceDuration < 10ms && kind = server }",
        // The three 9.8 ms order cancellations, and the 9 ms failed payment.
        &[
            ("5c1e7a", &["2855668831f354b1"]),
            ("6d2f8b", &["a6acac3c1248989f"]),
            ("7e309c", &["f52fee6f9e3674da"]),
            ("9c8b7a", &["351f1938db87d699"]),
        ],
    ),
    (
        r#"{ rootServiceName = "payment-svc" }"#,
        &[(
            "3f9e8d",
            &["175fc4ba88f0aaa8", "c0181223e09cf977", "cb94a4fa6bd3b4a3"],
        )],
    ),
    (
        r#"{ rootName = "audit.Write" && kind = server }"#,
        &[("91d35e", &["da8097a35e1583cc"])],
    ),
    // Spanset && and ||.
    (r#"{ name = "orders publish" } && { status = error }"#, &[]),
    (
        r#"{ name = "orders publish" } || { status = error }"#,
        &[
            ("4bf92f", &["8405ceea63a0ed89"]),
            ("9c8b7a", &["9fa7d6108c9e8aec", "defbd737c076abf5"]),
        ],
    ),
    (
        r#"{ resource.service.name = "audit-svc" } && { name = "audit.Write" }"#,
        &[("91d35e", &["da8097a35e1583cc", "e8c230867741a9fb"])],
    ),
    // ! and parentheses; && and || on one level, left to right, as in Tempo.
    (
        r#"{ !(kind = client || kind = server) && resource.service.name = "payment-svc" }"#,
        &[
            ("4bf92f", &["5b97ad30805df0ea", "87dc220e9142f6b5"]),
            ("3f9e8d", &["175fc4ba88f0aaa8", "c0181223e09cf977"]),
        ],
    ),
    (
        r#"{ kind = producer || kind = consumer && resource.service.name = "inventory-consumer" }"#,
        &[("4bf92f", &["9fc50c940c53713b"])],
    ),
    // Pipelines.
    (
        r#"{ resource.service.name = "order-svc" } | count() > 5"#,
        &[(
            "4bf92f",
            &[
                "8405ceea63a0ed89",
                "8b7a0415aef3386a",
                "90c29c8a47401e56",
                "a374e4ecfed42e36",
                "b4a1bb5edaacf644",
                "e2cd909db5990e15",
            ],
        )],
    ),
    (
        "{ kind = server } | avg(duration) > 100ms",
        &[
            (
                "4bf92f",
                &["0943dda001aea4ed", "3cd3701f1bd7d25f", "b4a1bb5edaacf644"],
            ),
            ("c0a801", &["07535f094e8698f6", "d17b32cf8ed34a04"]),
        ],
    ),
    (
        "{ } | max(duration) < 10ms",
        &[
            (
                "5c1e7a",
                &["11a3e68886f8440d", "2855668831f354b1", "30517dee76bad0e7"],
            ),
            (
                "6d2f8b",
                &["087a79022ec7604b", "12c3ee2c7d67bb1a", "a6acac3c1248989f"],
            ),
            (
                "7e309c",
                &["0c611073f7cd7690", "1b1a7d2f607e7451", "f52fee6f9e3674da"],
            ),
            (
                "9c8b7a",
                &["351f1938db87d699", "9fa7d6108c9e8aec", "defbd737c076abf5"],
            ),
        ],
    ),
    (
        "{ } | by(resource.service.name) | count() > 4",
        &[
            (
                "4bf92f",
                &[
                    "8405ceea63a0ed89",
                    "8b7a0415aef3386a",
                    "90c29c8a47401e56",
                    "a374e4ecfed42e36",
                    "b4a1bb5edaacf644",
                    "e2cd909db5990e15",
                ],
            ),
            // The stale-context trace: order-svc's request and its four reservations.
            (
                "c0de5a",
                &[
                    "4ddfff04724632c5",
                    "51ee44c29544f12a",
                    "d4ae42ed3fb3f775",
                    "f4bc9696107c8c26",
                    "f85c1777951a7f57",
                ],
            ),
        ],
    ),
    (
        r#"{ resource.service.name = "payment-svc" } | { kind = server }"#,
        &[
            ("4bf92f", &["0943dda001aea4ed"]),
            ("3f9e8d", &["cb94a4fa6bd3b4a3"]),
        ],
    ),
    (
        "{ } | by(resource.service.name) | coalesce() | count() > 16",
        &[(
            "4bf92f",
            &[
                "0943dda001aea4ed",
                "27f211eda44add7e",
                "32fc4238bd11cadd",
                "380d2607c355a442",
                "3cd3701f1bd7d25f",
                "5b97ad30805df0ea",
                "5dc606d2b17cc2de",
                "83bb556544177b87",
                "8405ceea63a0ed89",
                "87dc220e9142f6b5",
                "8b7a0415aef3386a",
                "90c29c8a47401e56",
                "9fc50c940c53713b",
                "a374e4ecfed42e36",
                "b4a1bb5edaacf644",
                "bdc949e2acb55fcd",
                "e2cd909db5990e15",
            ],
        )],
    ),
    // tracetopo's intrinsics.
    (
        "{ break = orphan_span }",
        &[("6e0f1a", &["c4e6180e4317825f"])],
    ),
    (
        r#"{ break = "propagation_break" }"#,
        &[
            ("a7d2c4", &["e6cf69f39e2445aa"]),
            ("3f9e8d", &["cb94a4fa6bd3b4a3"]),
        ],
    ),
    (
        r#"{ conversion.from = "[]byte" }"#,
        &[
            ("4bf92f", &["32fc4238bd11cadd"]),
            ("3f9e8d", &["c0181223e09cf977"]),
            ("9c8b7a", &["defbd737c076abf5"]),
        ],
    ),
    (
        r#"{ conversion.to = "*userpb.User" }"#,
        &[("0af765", &["9ccc6c1810cf3abc"])],
    ),
    ("{ goroutine = 519 }", &[("4bf92f", &["5b97ad30805df0ea"])]),
    (
        r#"{ hop = goroutine_hop && resource.service.name = "api-gateway" }"#,
        &[("0af765", &["8c64d4ef907761f4", "9263d0c6882fe5a3"])],
    ),
];

#[test]
fn queries_match_the_expected_traces_and_spans() {
    let (store, analysis) = samples();
    let mut failures = Vec::new();
    for (q, expected) in CASES {
        let got = run(&store, &analysis, q);
        let got: Vec<(String, Vec<String>)> = got.into_iter().collect();
        let mut want: Vec<(String, Vec<String>)> = Vec::new();
        for (prefix, spans) in *expected {
            let id = got
                .iter()
                .map(|(t, _)| t.clone())
                .find(|t| t.starts_with(prefix))
                .unwrap_or_else(|| format!("{prefix}…"));
            let mut spans: Vec<String> = spans.iter().map(|s| s.to_string()).collect();
            spans.sort();
            want.push((id, spans));
        }
        want.sort();
        if got != want {
            failures.push(format!("{q}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_error_names_its_column() {
    let cases = [
        ("", "expected '{' (an empty query) at column 1"),
        (
            r#"{ span.http.route = "/orders" "#,
            "expected '}', found the end of the query at column 30",
        ),
        (
            r#"{ span.http.route = "/orders" ) }"#,
            "expected '}' at column 31",
        ),
        (r#"name = "x""#, "expected '{' at column 1"),
        ("{ } }", "unexpected '}' at column 5"),
        (r#"{ name = "abc }"#, "unterminated string at column 10"),
        (
            r#"{ name = "a\q" }"#,
            r"invalid escape '\q' in a string at column 12",
        ),
        (
            "{ duration > 3xs }",
            "invalid duration '3xs' (units: ns us ms s m h) at column 14",
        ),
        ("{ name = # }", "unexpected '#' at column 10"),
        (
            "{ . = 1 }",
            "expected an attribute name after '.' at column 3",
        ),
        (
            "{ .a = 99999999999999999999 }",
            "number '99999999999999999999' is too large at column 8",
        ),
        ("{ span: = 1 }", "expected a name after 'span:' at column 8"),
        (
            r#"{ duration = "x" }"#,
            "cannot compare a number with a string at column 12",
        ),
        (
            "{ status = server }",
            "cannot compare a status (error, ok, unset) with a kind (server, client, producer, consumer, internal, unspecified) at column 10",
        ),
        (
            "{ status > error }",
            "a status (error, ok, unset) has no order: use = or !=, not > at column 10",
        ),
        (
            "{ .a > nil }",
            "nil compares only with = or !=, not > at column 6",
        ),
        (
            "{ name =~ 3 }",
            "=~ needs a string on the right at column 8",
        ),
        (
            r#"{ duration =~ "1" }"#,
            "=~ needs a string on the left, not a number at column 12",
        ),
        (
            r#"{ name =~ "(" }"#,
            "invalid regular expression: unclosed group at column 8",
        ),
        (
            "{ 1 = 1 }",
            "a comparison needs a field on one side at column 3",
        ),
        ("{ foo = 1 }", "unknown name 'foo' at column 3"),
        (
            "{ break = nope }",
            "unknown break kind 'nope' (one of orphan_span, parent_cycle, propagation_break, \
             detached_root, span_outlives_parent, stale_parent, conversion_error, clock_skew, \
             invalid_id, duplicate_span, unmatched_client, log_without_trace) at column 11",
        ),
        (
            r#"{ hop = "jump" }"#,
            "unknown hop kind 'jump' (goroutine_hop, process_hop or same_goroutine) at column 9",
        ),
        (
            r#"{ conversion.via = "x" }"#,
            "unknown intrinsic 'conversion.via' (conversion.from or conversion.to) at column 3",
        ),
        (
            r#"{ event.exception.message = "x" }"#,
            "the event. scope is not supported by tracetopo at column 3",
        ),
        (
            r#"{ span:id = "x" }"#,
            "span:id is not supported by tracetopo at column 3",
        ),
        (
            "{ nestedSetLeft > 1 }",
            "nestedSetLeft is a Tempo intrinsic tracetopo does not support at column 3",
        ),
        (
            "{ duration + 1 > 2 }",
            "arithmetic ('+') is not supported by tracetopo at column 12",
        ),
        (
            "{ } | rate()",
            "rate is a TraceQL metrics function; tracetopo evaluates span filters only at column 7",
        ),
        (
            "{ } | select(span.a)",
            "select is not supported by tracetopo: every matched span is returned at column 7",
        ),
        (
            r#"{ "a" }"#,
            "a spanset filter needs a condition, not a string at column 7",
        ),
        (
            "{ } | )",
            "expected a spanset, count(), avg(), min(), max(), sum(), by() or coalesce() after '|' at column 7",
        ),
        ("{ } | foo()", "unknown pipeline function 'foo' at column 7"),
        (
            "{ } with(sample=true)",
            "with is not supported by tracetopo (query hints) at column 5",
        ),
        (
            "{ } | count()",
            "expected a comparison (= != > >= < <=), found the end of the query at column 14",
        ),
        (
            r#"{ } | count() > "a""#,
            "expected a number or a duration at column 17",
        ),
        (
            "{ } | 3 > foo()",
            "expected count(), avg(), min(), max() or sum() at column 11",
        ),
        (
            "{ } | avg(name) > 1",
            "avg() needs a number, not a string at column 7",
        ),
        (
            "{ } | by(name",
            "expected ')', found the end of the query at column 14",
        ),
        (
            "{ name = ",
            "expected a field or a value, found the end of the query at column 9",
        ),
        (
            "{ name = }",
            "expected a field or a value, found '}' at column 10",
        ),
    ];
    let deep = format!("{{ {}.a = 1 }}", "(".repeat(65));
    let long = format!("{{ {} }}", vec!["name = \"x\""; 1400].join(" || "));
    let cases = cases
        .into_iter()
        .map(|(q, w)| (q.to_string(), w.to_string()))
        .chain([
            (
                deep,
                "nesting deeper than 64 levels at column 67".to_string(),
            ),
            (
                long,
                "the query is too long (more than 1024 tokens) at column 3584".to_string(),
            ),
        ]);
    let mut failures = Vec::new();
    for (q, want) in cases {
        match Query::parse(&q) {
            Ok(p) => failures.push(format!("{q}: parsed as {:?}", p.ast)),
            Err(e) if e.to_string() != want => {
                failures.push(format!("{q}\n  got  {e}\n  want {want}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The samples plus a generated dump with deliberate breaks: enough shapes for the property.
fn mixed() -> (Store, Analysis) {
    let mut store = Store::new();
    for f in ["checkout-healthy.json", "checkout-broken.json"] {
        if let Err(e) = ingest::load_path(&mut store, &sample(f), &LoadOptions::default()) {
            panic!("{e}");
        }
    }
    let cfg = LargeConfig {
        traces: 300,
        spans_per_trace: 12,
        services: 6,
        breaks_per_mille: 300,
        ..LargeConfig::default()
    };
    let mut bytes = Vec::new();
    write_jsonl(&mut bytes, &cfg, |_| {}).expect("generate");
    ingest::load_bytes(&mut store, "gen.jsonl", &bytes, &LoadOptions::default()).expect("load");
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    (store, analysis)
}

const ATOMS: &[&str] = &[
    "{ kind = server }",
    "{ kind = client }",
    "{ status = error }",
    "{ duration > 10ms }",
    "{ duration < 1ms }",
    r#"{ resource.service.name = "order-svc" }"#,
    r#"{ name =~ "SELECT.*|INSERT.*" }"#,
    "{ span.db.system != nil }",
    "{ goroutine != nil }",
    "{ hop = process_hop }",
    "{ break = orphan_span }",
    "{ break = clock_skew }",
    r#"{ conversion.from != nil }"#,
    "{ childCount > 1 }",
    "{ kind = server } > { kind = client }",
    "{ kind = client } >> { status = error }",
    "{ } ~ { kind = internal }",
    "({ kind = internal } | count() > 2)",
];

/// A small deterministic generator (xorshift), so a failure names its seed and repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Trace number → its matched spans (store indices, so duplicated span ids stay apart).
fn run_idx(store: &Store, analysis: &Analysis, q: &str) -> BTreeMap<u32, Vec<u32>> {
    let query = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    query
        .evaluate(store, &analysis.breaks)
        .into_iter()
        .map(|m| (m.trace, m.spans))
        .collect()
}

#[test]
fn spanset_and_is_the_intersection_of_traces() {
    let (store, analysis) = mixed();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut nonempty = 0;
    for _ in 0..120 {
        let (a, b) = (rng.pick(ATOMS), rng.pick(ATOMS));
        let ra = run_idx(&store, &analysis, a);
        let rb = run_idx(&store, &analysis, b);
        let both = run_idx(&store, &analysis, &format!("{a} && {b}"));
        let traces: Vec<&u32> = both.keys().collect();
        let want: Vec<&u32> = ra.keys().filter(|t| rb.contains_key(*t)).collect();
        assert_eq!(traces, want, "{a} && {b}");
        // And the spans are those of both sides.
        for (t, spans) in &both {
            let mut union: Vec<u32> = ra[t].iter().chain(&rb[t]).copied().collect();
            union.sort();
            union.dedup();
            assert_eq!(spans, &union, "{a} && {b} in {t}");
        }
        nonempty += usize::from(!both.is_empty());
    }
    assert!(nonempty > 10, "too few pairs matched anything: {nonempty}");
}

#[test]
fn cli_query_prints_the_matches_sorted_by_start_time() {
    let healthy = sample("checkout-healthy.json");
    let broken = sample("checkout-broken.json");
    let q = r#"{ name =~ "SELECT acme\\.u.*" }"#;
    let out = tracetopo(&[
        "query",
        &healthy.to_string_lossy(),
        &broken.to_string_lossy(),
        "--q",
        q,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["query"], q);
    let traces = v["traces"].as_array().expect("traces");
    let ids: Vec<&str> = traces
        .iter()
        .filter_map(|t| t["trace_id"].as_str())
        .collect();
    // The healthy GET /users first (02:00), then the broken scenarios by start time.
    assert_eq!(
        ids,
        [
            "0af7651916cd43dd8448eb211c80319c",
            "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51",
            "2b7e151628aed2a6abf7158809cf4f3c"
        ]
    );
    let starts: Vec<u64> = traces
        .iter()
        .filter_map(|t| t["start_unix_nano"].as_u64())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let first = &traces[0];
    assert_eq!(first["root_service"], "loadgen");
    assert_eq!(first["root_name"], "GET");
    assert_eq!(first["duration_ms"], 64.0);
    assert_eq!(first["matched"], serde_json::json!(["851f750f40f7371b"]));

    let limited = tracetopo(&[
        "query",
        &healthy.to_string_lossy(),
        &broken.to_string_lossy(),
        "--q",
        q,
        "--limit",
        "1",
        "--format",
        "text",
    ]);
    assert_eq!(limited.status.code(), Some(0));
    let text = String::from_utf8_lossy(&limited.stdout);
    assert!(text.contains("0af7651916cd43dd8448eb211c80319c"), "{text}");
    assert!(!text.contains("6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51"), "{text}");
    assert!(text.trim_end().ends_with("\n1 trace"), "{text}");
}

#[test]
fn cli_bad_query_exits_2_with_the_column() {
    let broken = sample("checkout-broken.json");
    for args in [
        vec!["query", "--q", r#"{ span.http.route = "/orders" ) }"#],
        vec!["analyze", "--where", r#"{ span.http.route = "/orders" ) }"#],
    ] {
        let mut args = args;
        args.insert(1, broken.to_str().expect("utf-8 path"));
        let out = tracetopo(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.trim_end().ends_with("expected '}' at column 31"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn cli_analyze_where_reports_the_matching_traces_only() {
    let broken = sample("checkout-broken.json");
    let out = tracetopo(&[
        "analyze",
        &broken.to_string_lossy(),
        "--format",
        "json",
        "--where",
        "{ break = propagation_break }",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // Both halves of the break match (the break names a span in each), so it is found again.
    assert_eq!(v["traces"], 2);
    assert_eq!(v["spans"], 6);
    let kinds: Vec<&str> = v["breaks"]
        .as_array()
        .expect("breaks")
        .iter()
        .filter_map(|b| b["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["propagation_break"]);
}

/// The query bar driven as a user drives it: typing a query filters the trace list to the
/// matching traces and hands the matched spans to the flame chart; a bad query shows its
/// error with the column; Up brings the last query back; `resource.` offers the data's
/// resource attribute names.
#[test]
fn typing_a_query_in_the_app_filters_the_traces() {
    use egui::{Key, Role};
    use egui_kittest::kittest::Queryable;

    let mut h = crate::app::app_with(crate::app::sample("checkout-broken.json"));
    let Some(session) = h.state().session().cloned() else {
        panic!("no session");
    };
    let store = &session.store;
    let orphan = store
        .find_span(0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51, 0xc4e6180e4317825f)
        .expect("the orphan span");
    let orphan_trace = store.index.span_trace[orphan as usize];

    h.get_by_role_and_label(Role::TextInput, "TraceQL").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "TraceQL")
        .type_text("{ break = orphan_span }");
    h.run_steps(1);
    h.key_press(Key::Enter);
    for _ in 0..3000 {
        h.step();
        if h.state().traces_view().matched().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(2);
    let matched = h.state().traces_view().matched().cloned();
    let matched = matched.expect("the query ran");
    assert_eq!(matched.traces, [orphan_trace]);
    assert_eq!(matched.spans, [orphan]);
    let listed: Vec<u32> = h.state().traces_view().listed().collect();
    assert_eq!(listed, [orphan_trace]);
    h.get_by_label_contains("matched: 1 trace, 1 span");
    // docs/screenshots/query-bar.png is taken here: TRACETOPO_SHOT_DIR=docs/screenshots.
    if let Some(dir) = std::env::var_os("TRACETOPO_SHOT_DIR") {
        h.set_render_cursor(false);
        h.run_steps(5);
        let image = h.render().expect("render");
        let out = std::path::Path::new(&dir).join("query-bar.png");
        image.save(&out).expect("save the screenshot");
    }

    // The flame graph aggregates the listed traces only.
    h.state_mut().apply(tracetopo::app::state::Nav::SwitchTab(
        tracetopo::app::state::Tab::Flame,
    ));
    h.run_steps(3);
    h.get_by_label("1 filtered traces");
    h.state_mut().apply(tracetopo::app::state::Nav::SwitchTab(
        tracetopo::app::state::Tab::Traces,
    ));
    h.run_steps(2);

    // A bad query: the error with its column, and the list stays as it was.
    h.get_by_role_and_label(Role::TextInput, "TraceQL").click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "TraceQL")
        .type_text("{ name = ");
    h.run_steps(2);
    h.get_by_label("expected a field or a value, found the end of the query at column 9");
    let listed: Vec<u32> = h.state().traces_view().listed().collect();
    assert_eq!(listed, [orphan_trace]);

    // Up: the last query run.
    h.key_press(Key::ArrowUp);
    h.run_steps(2);
    assert_eq!(
        h.state().traces_view().query.text,
        "{ break = orphan_span }"
    );

    // Completion from the data.
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "TraceQL")
        .type_text("{ resource.service.");
    h.run_steps(2);
    h.get_by_label("resource.service.name").click();
    h.run_steps(2);
    assert_eq!(
        h.state().traces_view().query.text,
        "{ resource.service.name"
    );
}

/// Completion offers what the loaded data holds: attribute names after a scope, values after
/// a comparison (inside an open string too), intrinsics for a bare word.
#[test]
fn completion_comes_from_the_loaded_data() {
    use tracetopo::query::traceql::complete::{Vocabulary, suggest};

    let (store, _) = samples();
    let vocab = Vocabulary::build(&store);
    // The session's index holds the same.
    let session = tracetopo::query::Session::build(store.clone(), Options::default());
    assert_eq!(session.index.vocabulary().span_keys, vocab.span_keys);
    assert!(vocab.resource_keys.iter().any(|k| k == "service.name"));
    assert!(vocab.span_keys.iter().any(|k| k == "db.system"));
    let at_end = |q: &str| suggest(&store, &vocab, q, q.len());

    let s = at_end("{ span.db.sy").expect("span attribute names");
    assert_eq!(s.items, ["span.db.system"]);
    assert_eq!(s.replace, 2..12);

    let s = at_end("{ resource.service.name = ").expect("services");
    assert!(
        s.items.iter().any(|v| v == "\"payment-svc\""),
        "{:?}",
        s.items
    );
    assert!(s.items.iter().any(|v| v == "\"通知服务\""), "{:?}", s.items);
    assert_eq!(s.replace, 26..26);

    let q = r#"{ span.db.system = "po"#;
    let s = at_end(q).expect("values in an open string");
    assert_eq!(s.items, ["\"postgresql\""]);
    assert_eq!(s.replace, 19..q.len());

    let s = at_end(r#"{ name =~ "SELECT acme.u"#).expect("span names");
    assert_eq!(s.items, ["\"SELECT acme.users\""]);

    let s = at_end("{ roo").expect("intrinsics");
    assert_eq!(s.items, ["rootName", "rootServiceName"]);

    assert_eq!(at_end("{ span.no_such_key"), None);
    assert_eq!(at_end("{ duration > "), None);
}

/// What the Services view highlights for the listed traces: their services and the calls
/// between them.
#[test]
fn the_services_of_the_matched_traces() {
    let mut store = Store::new();
    if let Err(e) = ingest::load_path(
        &mut store,
        &sample("checkout-broken.json"),
        &LoadOptions::default(),
    ) {
        panic!("{e}");
    }
    let session = tracetopo::query::Session::build(store, Options::default());
    let q = Query::parse(r#"{ rootServiceName = "order-svc" && rootName = "audit.Write" }"#)
        .expect("query");
    let m = q.matched(&session);
    assert_eq!(m.traces.len(), 1, "the audit.Write trace");
    let part = session.graph_part(&m.traces);
    let names: Vec<&str> = part
        .nodes
        .iter()
        .filter_map(|&n| session.service(n).map(|s| s.name.as_str()))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"order-svc") && names.contains(&"audit-svc"),
        "{names:?}"
    );
    let edges: Vec<(&str, &str)> = part
        .edges
        .iter()
        .filter_map(|&e| session.service_edge(e).map(|e| (e.from_name, e.to_name)))
        .collect();
    assert_eq!(edges, [("order-svc", "audit-svc")]);
}

/// Structural operators on a trace that is no tree: a parent cycle (X ⇄ Y, with Z under Y)
/// ends the walk up, and spans whose parent is not loaded have no parent and no siblings.
#[test]
fn structure_without_a_tree() {
    use tracetopo::analysis::testkit::Kit;
    use tracetopo::model::SpanKind;

    let mut kit = Kit::starting_at(1_700_000_000_000_000_000);
    let svc = kit.service("svc", "i-1");
    let t = 0xabc;
    for (id, parent, name) in [
        (1, 0, "R"),
        (2, 1, "A"),
        (3, 4, "X"),
        (4, 3, "Y"),
        (5, 4, "Z"),
        (6, 99, "O1"),
        (7, 99, "O2"),
    ] {
        kit.span(
            svc,
            t,
            id,
            parent,
            (id, id + 10),
            SpanKind::Internal,
            name,
            &[],
        );
    }
    let store = kit.store();
    let analysis = Analysis::run(&store, &Options::default());
    let names = |q: &str| -> Vec<String> {
        let mut n: Vec<String> = run_idx(&store, &analysis, q)
            .into_values()
            .flatten()
            .map(|i| store.str(store.span(i).name).to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(r#"{ } >> { name = "Z" }"#), ["Z"]);
    assert_eq!(names(r#"{ name = "Z" } << { }"#), ["X", "Y"]);
    assert_eq!(names(r#"{ name = "R" } >> { }"#), ["A"]);
    assert_eq!(names(r#"{ name = "X" } > { }"#), ["Y"]);
    assert_eq!(names(r#"{ name = "O1" } ~ { }"#), Vec::<String>::new());
    assert_eq!(names("{ } !> { }"), ["O1", "O2", "R"]);
    assert_eq!(names(r#"{ name = "Y" } &<< { name = "X" }"#), ["X", "Y"]);
}
