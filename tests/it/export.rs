//! Topology snapshots of the bundled samples in every format: DOT structure (and Graphviz when
//! installed), JSON figures against the reviewed report, SVG as XML with every name, PNG decoded and
//! not blank, and the `tracetopo export` command's exit codes.

use crate::util::{self, SAMPLES, load, sample, tracetopo};

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use resvg::tiny_skia::Pixmap;
use resvg::usvg::roxmltree;
use tracetopo::analysis::Analysis;
use tracetopo::export::{ExportView, Format, export, export_to_file};
use tracetopo::model::Store;
use tracetopo::model::ids::{span_hex, trace_hex};

const HEALTHY_CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn bytes(store: &Store, a: &Analysis, view: ExportView, format: Format) -> Vec<u8> {
    match export(store, a, view, format) {
        Ok(b) => b,
        Err(e) => panic!("{view:?} {format:?}: {e}"),
    }
}

fn text(store: &Store, a: &Analysis, view: ExportView, format: Format) -> String {
    String::from_utf8(bytes(store, a, view, format))
        .unwrap_or_else(|e| panic!("{view:?} {format:?}: {e}"))
}

/// A DOT edge statement: (from, to, attributes).
fn dot_edges(dot: &str) -> Vec<(String, String, String)> {
    dot.lines()
        .filter_map(|l| {
            let l = l.trim();
            let (ends, attrs) = l.split_once(" [")?;
            let (a, b) = ends.split_once(" -> ")?;
            let unq = |s: &str| s.trim_matches('"').to_string();
            Some((unq(a), unq(b), attrs.to_string()))
        })
        .collect()
}

/// DOT node statements: the quoted ids of lines `"id" [label=...]` without `->`.
fn dot_nodes(dot: &str) -> Vec<String> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"') && !l.contains(" -> "))
        .filter_map(|l| {
            l.split_once(" [")
                .map(|(id, _)| id.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn dot_of_the_broken_sample_marks_the_broken_edge() {
    let (store, a) = load("checkout-broken.json");
    let dot = text(&store, &a, ExportView::Services, Format::Dot);
    assert!(dot.starts_with("digraph \"Services\" {\n"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    assert!(dot.contains("rankdir=LR;"));

    let g = &a.services.graph;
    let mut nodes = dot_nodes(&dot);
    nodes.sort();
    let mut want: Vec<String> = g.node_weights().map(|n| n.name.clone()).collect();
    want.sort();
    assert_eq!(nodes, want);
    let edges = dot_edges(&dot);
    assert_eq!(edges.len(), g.edge_count());

    // README: api-gateway's call to payment-svc lost its traceparent, so the only call on
    // that edge is stitched by the propagation_break: 1 call, 1 broken, drawn red dashed.
    let (_, _, attrs) = edges
        .iter()
        .find(|(f, t, _)| f == "api-gateway" && t == "payment-svc")
        .unwrap_or_else(|| panic!("no api-gateway → payment-svc edge in\n{dot}"));
    assert!(attrs.contains("label=\"1 call · p99 "), "{attrs}");
    assert!(attrs.contains("\\n1 broken\""), "{attrs}");
    assert!(attrs.contains("style=dashed"), "{attrs}");
    assert!(attrs.contains("color=\"#dc2626\""), "{attrs}");
    // A healthy edge is solid.
    let (_, _, attrs) = edges
        .iter()
        .find(|(f, t, _)| f == "loadgen" && t == "api-gateway")
        .unwrap_or_else(|| panic!("no loadgen → api-gateway edge"));
    assert!(attrs.contains("style=solid"), "{attrs}");
    // postgres is a virtual peer drawn as a database.
    assert!(dot.contains("\"postgresql\" [label=\"postgresql\\ndatabase\", shape=cylinder"));
}

#[test]
fn dot_is_valid_graphviz() {
    let Ok(probe) = Command::new("dot").arg("-V").output() else {
        util::missing("TRACETOPO_REQUIRE_DOT", "graphviz `dot` not installed");
        return;
    };
    assert!(probe.status.success());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for name in SAMPLES {
        let (store, a) = load(name);
        let trace = ExportView::parse(&format!("trace:{HEALTHY_CHECKOUT}"));
        let mut views = vec![ExportView::Services, ExportView::Types];
        if name != "checkout-broken.json" {
            views.push(trace.unwrap_or_else(|e| panic!("{e}")));
        }
        for view in views {
            let path = dir.path().join("g.dot");
            std::fs::write(&path, bytes(&store, &a, view, Format::Dot))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let out = Command::new("dot").arg("-Tsvg").arg(&path).output();
            let out = out.unwrap_or_else(|e| panic!("{e}"));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && err.is_empty(),
                "{name} {view:?}: {err}"
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
        }
    }
}

/// The reviewed report of a sample (`tests/golden`, checked against `tracetopo analyze` by
/// tests/it/golden.rs).
fn golden_report(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.report.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `items` with only `keys` of each object kept: the figures two documents share.
fn project(items: &serde_json::Value, keys: &[&str]) -> Vec<serde_json::Value> {
    let items = items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"));
    items
        .iter()
        .map(|o| {
            keys.iter()
                .map(|&k| (k.to_string(), o[k].clone()))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect()
}

/// `(trace_id, span_id)` of each span in an evidence list.
fn evidence(spans: &serde_json::Value) -> Vec<(String, String)> {
    let spans = spans
        .as_array()
        .unwrap_or_else(|| panic!("no spans: {spans}"));
    spans
        .iter()
        .map(|s| {
            let hex = |k: &str| {
                s[k].as_str()
                    .unwrap_or_else(|| panic!("{k}: {s}"))
                    .to_string()
            };
            (hex("trace_id"), hex("span_id"))
        })
        .collect()
}

#[test]
fn json_figures_equal_the_reviewed_report() {
    for name in SAMPLES {
        let (store, a) = load(name);
        let report = golden_report(name);
        let service_of: HashMap<(String, String), &str> = (0..store.spans.len() as u32)
            .map(|i| {
                let s = store.span(i);
                let key = (trace_hex(s.trace_id), span_hex(s.span_id));
                (key, store.service_name(i))
            })
            .collect();

        let json = bytes(&store, &a, ExportView::Services, Format::Json);
        let doc: serde_json::Value =
            serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc["schema"], "tracetopo.topology/v1");
        assert_eq!(doc["view"], "services");
        let node = ["name", "spans", "virtual"];
        assert_eq!(
            project(&doc["nodes"], &node),
            project(&report["services"], &node),
            "{name}"
        );
        let edge = [
            "from", "to", "calls", "errors", "broken", "unpaired", "p50_ms", "p95_ms", "p99_ms",
        ];
        assert_eq!(
            project(&doc["edges"], &edge),
            project(&report["service_edges"], &edge),
            "{name}"
        );
        // The evidence: one measured span per call, in the input, of a service at either end.
        for e in doc["edges"].as_array().into_iter().flatten() {
            let spans = evidence(&e["spans"]);
            assert_eq!(Some(spans.len() as u64), e["calls"].as_u64(), "{name}: {e}");
            for id in &spans {
                let service = service_of.get(id).copied();
                assert!(
                    service.is_some_and(|s| e["from"] == s || e["to"] == s),
                    "{name}: {id:?} ({service:?}) on {} → {}",
                    e["from"],
                    e["to"]
                );
            }
        }

        let json = bytes(&store, &a, ExportView::Types, Format::Json);
        let doc: serde_json::Value =
            serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc["view"], "types");
        let conversion = ["from", "to", "count", "errors", "services"];
        assert_eq!(
            project(&doc["conversions"], &conversion),
            project(&report["conversions"], &conversion),
            "{name}"
        );
        for c in doc["conversions"].as_array().into_iter().flatten() {
            let spans = evidence(&c["spans"]);
            assert_eq!(Some(spans.len() as u64), c["count"].as_u64(), "{name}: {c}");
            assert!(
                spans.iter().all(|id| service_of.contains_key(id)),
                "{name}: {c}"
            );
        }
        let chain = ["trace_id", "span_ids", "types", "services"];
        assert_eq!(
            project(&doc["chains"], &chain),
            project(&report["conversion_chains"], &chain),
            "{name}"
        );
    }
}

#[test]
fn json_of_a_trace_has_its_span_graph() {
    let (store, a) = load("checkout-healthy.json");
    let view = ExportView::parse(&format!("trace:{HEALTHY_CHECKOUT}"));
    let view = view.unwrap_or_else(|e| panic!("{e}"));
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes(&store, &a, view, Format::Json)).unwrap_or_default();
    assert_eq!(doc["trace_id"], HEALTHY_CHECKOUT);
    // README: the whole checkout is 17 spans, one root; every other span hangs off its parent.
    let nodes = doc["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 17);
    assert_eq!(
        nodes
            .iter()
            .filter(|n| n.get("parent_id").is_none())
            .count(),
        1
    );
    let edges = doc["edges"].as_array().cloned().unwrap_or_default();
    let kind = |k: &str| edges.iter().filter(|e| e["kind"] == k).count();
    assert_eq!(edges.len(), 16);
    // README: payment-svc charges on its own goroutine 519 and order-svc publishes from a new
    // goroutine 247: two goroutine hops. loadgen → gateway → order → payment, order → kafka
    // consumer: four process hops.
    assert_eq!(kind("goroutine_hop"), 2);
    assert_eq!(kind("process_hop"), 4);
    assert_eq!(kind("same_goroutine"), 10);
    let unknown = ExportView::Trace(0xdead);
    let err = export(&store, &a, unknown, Format::Json).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("no trace with id 0000000000000000000000000000dead in the loaded files".into())
    );
}

/// Text of every `<text>` element of an SVG document (which must parse as XML).
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

#[test]
fn svg_parses_and_names_every_service_and_type() {
    for name in SAMPLES {
        let (store, a) = load(name);
        let svg = text(&store, &a, ExportView::Services, Format::Svg);
        let texts = svg_texts(&svg);
        for n in a.services.graph.node_weights() {
            assert!(texts.contains(&n.name), "{name}: {} missing", n.name);
        }
        let svg = text(&store, &a, ExportView::Types, Format::Svg);
        let texts = svg_texts(&svg);
        for t in a.types.graph.node_weights() {
            assert!(texts.contains(t), "{name}: type {t} missing");
        }
    }
    let (store, a) = load("checkout-healthy.json");
    let texts = svg_texts(&text(&store, &a, ExportView::Services, Format::Svg));
    assert!(texts.iter().any(|t| t == "通知服务"));
    // The broken edge is drawn red and dashed, as in the app.
    let (store, a) = load("checkout-broken.json");
    let svg = text(&store, &a, ExportView::Services, Format::Svg);
    assert!(svg.contains("stroke=\"#dc2626\" stroke-width=\"2\" stroke-dasharray=\"6,4\""));
    assert!(svg_texts(&svg).iter().any(|t| t == "1 broken"));
}

#[test]
fn png_has_the_svg_size_and_is_drawn() {
    for name in SAMPLES {
        let (store, a) = load(name);
        for view in [ExportView::Services, ExportView::Types] {
            let svg = text(&store, &a, view, Format::Svg);
            let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}"));
            let dim = |k: &str| {
                doc.root_element()
                    .attribute(k)
                    .and_then(|v| v.parse::<f32>().ok())
                    .unwrap_or(0.0)
            };
            let png = bytes(&store, &a, view, Format::Png);
            let img = Pixmap::decode_png(&png).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Rendered at 2 pixels per SVG unit.
            assert_eq!(
                img.width(),
                (dim("width") * 2.0).ceil() as u32,
                "{name} {view:?}"
            );
            assert_eq!(img.height(), (dim("height") * 2.0).ceil() as u32);
            let bg = img.pixel(0, 0).map(|p| (p.red(), p.green(), p.blue()));
            assert_eq!(bg, Some((0xf8, 0xfa, 0xfc)), "background");
            let drawn = img
                .pixels()
                .iter()
                .filter(|p| (p.red(), p.green(), p.blue()) != (0xf8, 0xfa, 0xfc))
                .count();
            let share = drawn as f64 / img.pixels().len() as f64;
            assert!(
                share > 0.02,
                "{name} {view:?}: only {share:.3} of pixels drawn"
            );
        }
    }
}

#[test]
fn every_sample_exports_in_every_format() {
    for name in SAMPLES {
        let (store, a) = load(name);
        for view in [ExportView::Services, ExportView::Types] {
            for format in Format::ALL {
                let b = bytes(&store, &a, view, format);
                assert!(b.len() > 100, "{name} {view:?} {format:?}");
            }
        }
    }
}

#[test]
fn cli_writes_the_file_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_path = dir.path().join("services.dot");
    let input = sample("checkout-broken.json");
    let out = tracetopo(&[
        "export",
        &input.to_string_lossy(),
        "--view",
        "services",
        "--format",
        "dot",
        "-o",
        &out_path.to_string_lossy(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let (store, a) = load("checkout-broken.json");
    let written = std::fs::read(&out_path).unwrap_or_default();
    assert_eq!(
        written,
        bytes(&store, &a, ExportView::Services, Format::Dot)
    );

    let png = dir.path().join("trace.png");
    let out = tracetopo(&[
        "export",
        &sample("checkout-healthy.json").to_string_lossy(),
        "--view",
        &format!("trace:{}", HEALTHY_CHECKOUT.to_uppercase()),
        "--format",
        "png",
        "-o",
        &png.to_string_lossy(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Pixmap::decode_png(&std::fs::read(&png).unwrap_or_default()).is_ok());
}

#[test]
fn cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_path = dir.path().join("x.svg");
    let out_arg = out_path.to_string_lossy().into_owned();
    let input = sample("checkout-healthy.json")
        .to_string_lossy()
        .into_owned();

    // Unknown trace id: one line naming it, no file.
    let out = tracetopo(&[
        "export",
        &input,
        "--view",
        "trace:abc",
        "--format",
        "svg",
        "-o",
        &out_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "tracetopo: export: no trace with id 00000000000000000000000000000abc in the loaded files\n"
    );
    assert!(!out_path.exists());

    // Unreadable input: the reader's one-line error naming the file.
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let out = tracetopo(&[
        "export", &missing, "--view", "services", "--format", "svg", "-o", &out_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1);
    assert!(err.starts_with(&format!("tracetopo: {missing}: ")), "{err}");

    // Usage errors (clap's code 2): a bad view, a bad format, no output.
    for args in [
        &[
            "export", &input, "--view", "graph", "--format", "svg", "-o", &out_arg,
        ][..],
        &[
            "export",
            &input,
            "--view",
            "trace:xyz",
            "--format",
            "svg",
            "-o",
            &out_arg,
        ],
        &[
            "export", &input, "--view", "services", "--format", "pdf", "-o", &out_arg,
        ],
        &["export", &input, "--view", "services", "--format", "svg"],
    ] {
        let out = tracetopo(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }

    // An output that cannot be written.
    let bad_out = dir.path().join("no-such-dir").join("x.svg");
    let out = tracetopo(&[
        "export",
        &input,
        "--view",
        "types",
        "--format",
        "svg",
        "-o",
        &bad_out.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("tracetopo: export: cannot write "));
}

/// What the Export menu of the Services and Types views writes once its dialog has a path
/// (`export_to_file`; the dialog itself is never opened in a test).
#[test]
fn export_to_file_writes_the_views_snapshots() {
    let (store, a) = load("checkout-broken.json");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let png = dir.path().join("services.png");
    export_to_file(&store, &a, ExportView::Services, Format::Png, &png)
        .unwrap_or_else(|e| panic!("{e}"));
    let img = Pixmap::decode_png(&std::fs::read(&png).unwrap_or_default());
    assert!(img.is_ok_and(|i| i.width() > 400 && i.height() > 200));
    let dot = dir.path().join("types.dot");
    export_to_file(&store, &a, ExportView::Types, Format::Dot, &dot)
        .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&dot).unwrap_or_default();
    assert!(text.starts_with("digraph \"Types\""));
    assert!(
        text.contains("\"[]byte\" -> \"*dto.CreateOrderReq\""),
        "{text}"
    );
}

#[test]
fn export_draws_the_services_view_choices() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let broken = sample("checkout-broken.json");
    let broken = broken.to_str().unwrap_or_default();
    let out = dir.path().join("focus.dot");
    let out_s = out.to_str().unwrap_or_default();
    let run = |extra: &[&str]| {
        let mut args = vec!["export", broken, "--view", "services", "-o", out_s];
        args.extend_from_slice(extra);
        tracetopo(&args)
    };
    let nodes = |out: &Path| {
        let dot = std::fs::read_to_string(out).unwrap_or_else(|e| panic!("{e}"));
        let mut n = dot_nodes(&dot);
        n.sort();
        (n, dot_edges(&dot).len())
    };
    // One hop around order-svc: its caller and its callees, not api-gateway's others.
    let o = run(&["--focus", "order-svc"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        nodes(&out),
        (
            vec![
                "api-gateway".to_string(),
                "audit-svc".into(),
                "order-svc".into(),
                "postgresql".into()
            ],
            3
        )
    );
    let o = run(&["--focus", "order-svc", "--depth", "2"]);
    assert!(o.status.success());
    assert_eq!(nodes(&out).0.len(), 5, "loadgen two hops up");
    // Only the broken and unpaired calls.
    let o = run(&["--only-problems"]);
    assert!(o.status.success());
    assert_eq!(
        nodes(&out),
        (
            vec![
                "api-gateway".to_string(),
                "audit-svc".into(),
                "payment-svc".into()
            ],
            2
        )
    );
    // Only the traces a TraceQL query matches: the detached audit.Write trace (order-svc
    // calls audit-svc in it), with no node for the services of the traces left out.
    let o = run(&["--where", r#"{ rootName = "audit.Write" }"#]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        nodes(&out),
        (vec!["audit-svc".to_string(), "order-svc".into()], 1)
    );
    let o = run(&["--where", "{ rootName = "]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at column 13"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A name that is no service suggests the ones containing it; other views refuse the
    // options.
    let o = run(&["--focus", "order"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no service named \"order\"") && err.contains("\"order-svc\""),
        "{err}"
    );
    let o = tracetopo(&[
        "export",
        broken,
        "--view",
        "types",
        "--focus",
        "order-svc",
        "-o",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(2));

    // A generated mesh grouped by namespace: one node per namespace.
    let mesh = dir.path().join("mesh.jsonl");
    let o = tracetopo(&["generate", "mesh", "-o", mesh.to_str().unwrap_or_default()]);
    assert!(o.status.success());
    let o = tracetopo(&[
        "export",
        mesh.to_str().unwrap_or_default(),
        "--view",
        "services",
        "--group",
        "service.namespace",
        "-o",
        out_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        nodes(&out),
        (
            vec![
                "catalog/*".to_string(),
                "checkout/*".into(),
                "payments/*".into()
            ],
            6
        )
    );
}
