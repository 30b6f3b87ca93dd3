//! Hostile and degenerate files: decompression and zero bombs, empty documents, repeated
//! inputs, parent cycles and very deep traces, backwards times. Everything goes through the
//! readers and the command users run; memory is measured by `/usr/bin/time -v`, never time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tracetopo::analysis::breaks::BreakKind;
use tracetopo::analysis::flame::{FlameGraph, FlameIndex, TraceLayout};
use tracetopo::analysis::lanes::LaneLayout;
use tracetopo::analysis::trace_summary::{has_frame_path, summarize};
use tracetopo::analysis::{Analysis, Options};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracetopo-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn analyze(files: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .arg("analyze")
        .args(files)
        .args(["--format", "json"])
        .output()
        .expect("run tracetopo")
}

/// Runs `analyze` under `/usr/bin/time -v`; returns its output and peak RSS in KiB.
fn analyze_measured(file: &Path) -> (Output, u64) {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_tracetopo"))
        .arg("analyze")
        .arg(file)
        .args(["--format", "json"])
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
    (out, rss)
}

/// A zstd file of `total` bytes, `pattern` repeated.
fn zstd_bomb(name: &str, pattern: &[u8], total: usize) -> PathBuf {
    let path = scratch(name);
    let file = std::fs::File::create(&path).expect("create bomb");
    let mut z = zstd::Encoder::new(file, 3).expect("zstd encoder");
    let whole = (1 << 20) / pattern.len() * pattern.len();
    let block: Vec<u8> = pattern.iter().copied().cycle().take(whole).collect();
    for _ in 0..total / block.len() {
        z.write_all(&block).expect("write bomb");
    }
    z.finish().expect("finish bomb");
    path
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn warnings(v: &serde_json::Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// 128 MiB of nothing, three ways: zeros (zero-length length-prefixed messages), empty
/// resource spans in one request (`0a 00`), and length-prefixed requests of one empty
/// resource spans each. Each compresses to a few KiB; none may cost memory for what it
/// does not hold (the old reader took 7.4 GB for 1 GiB of zeros, so about 0.9 GB for this).
#[test]
fn compressed_nothing_costs_no_memory_and_says_no_spans() {
    const TOTAL: usize = 128 << 20;
    const LIMIT_KIB: u64 = 96 << 10;
    for (name, pattern) in [
        ("zeros.zst", &[0u8][..]),
        ("empty-resources.zst", &[0x0a, 0x00][..]),
        ("empty-requests.zst", &[0, 0, 0, 2, 0x0a, 0x00][..]),
    ] {
        let bomb = zstd_bomb(name, pattern, TOTAL);
        let (out, rss) = analyze_measured(&bomb);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert!(stderr.contains("no spans found"), "{name}: {stderr}");
        let v = report(&out);
        assert!(
            warnings(&v).iter().any(|w| w == "no spans found"),
            "{name}: {v}"
        );
        assert!(
            rss < LIMIT_KIB,
            "{name}: {} MiB of nothing took {} MiB",
            TOTAL >> 20,
            rss >> 10
        );
    }
}

/// A JSON document is parsed whole, a JSON line too: 128 MiB of spaces inside
/// `{"resourceSpans":[ ]}` (a few KiB of zstd), as the document or as the second line after a
/// real one, is refused as a bomb once it has grown past 64 MiB and 100× its compressed size,
/// with one line naming the file, instead of being held whole.
#[test]
fn a_json_document_or_line_that_decompresses_to_nothing_is_refused_early() {
    let first_line = std::fs::read(crate::util::sample("checkout-live.jsonl")).unwrap();
    let first_line = &first_line[..=first_line.iter().position(|&b| b == b'\n').unwrap()];
    for (name, before) in [
        ("spaces.json.zst", &b""[..]),
        ("spaces.jsonl.zst", first_line),
    ] {
        let path = scratch(name);
        let file = std::fs::File::create(&path).expect("create bomb");
        let mut z = zstd::Encoder::new(file, 3).expect("zstd encoder");
        z.write_all(before).unwrap();
        z.write_all(br#"{"resourceSpans":["#).unwrap();
        let block = vec![b' '; 1 << 20];
        for _ in 0..128 {
            z.write_all(&block).expect("write bomb");
        }
        z.write_all(b"]}").unwrap();
        z.finish().expect("finish bomb");
        let (out, rss) = analyze_measured(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("decompression bomb"))
            .unwrap_or_else(|| panic!("{name}: no bomb error in: {stderr}"));
        assert!(line.contains(&format!("{name}: byte ")), "{line}");
        assert!(line.contains("of one JSON document or line"), "{line}");
        assert!(rss < 120 << 10, "{name}: the bomb took {} MiB", rss >> 10);
    }
}

#[test]
fn empty_documents_say_no_spans_were_found() {
    for (name, text) in [("empty-object.json", "{}"), ("empty-array.json", "[]")] {
        let path = scratch(name);
        std::fs::write(&path, text).expect("write");
        let out = analyze(&[&path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("no spans found"), "{name}: {stderr}");
        let v = report(&out);
        assert_eq!(v["inputs"][0]["spans"], 0);
        assert_eq!(v["inputs"][0]["warnings"], 1, "{v}");
        assert!(warnings(&v).iter().any(|w| w == "no spans found"), "{v}");
    }
}

#[test]
fn a_repeated_file_is_read_once_and_a_copy_says_where_its_spans_came_from() {
    let sample = crate::util::sample("checkout-healthy.json");
    let copy = scratch("copy-of-healthy.json");
    std::fs::copy(&sample, &copy).expect("copy sample");
    let once = report(&analyze(&[&sample]));
    let spans = once["inputs"][0]["spans"].as_u64().expect("spans");
    assert!(spans > 1);

    let twice = report(&analyze(&[&sample, &sample]));
    assert_eq!(twice["inputs"].as_array().map(Vec::len), Some(1), "{twice}");
    assert_eq!(twice["inputs"][0]["spans"], spans);
    assert!(
        warnings(&twice)
            .iter()
            .any(|w| w == "given more than once; loaded once"),
        "{twice}"
    );

    let with_copy = report(&analyze(&[&sample, &copy]));
    assert_eq!(with_copy["inputs"][1]["spans"], 0);
    let want = format!(
        "{spans} spans, all already loaded from {}",
        sample.display()
    );
    assert!(warnings(&with_copy).contains(&want), "{with_copy}");
}

/// OTLP JSON of one trace; each span is (id, parent id, start, end) in nanoseconds.
fn otlp(spans: impl Iterator<Item = (u64, u64, u64, u64)>) -> String {
    let spans: Vec<String> = spans
        .map(|(id, parent, start, end)| {
            let parent = if parent == 0 {
                String::new()
            } else {
                format!("{parent:016x}")
            };
            format!(
                r#"{{"traceId":"{:032x}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"work","startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"}}"#,
                7
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn load(text: &str) -> (Store, Analysis) {
    let mut store = Store::new();
    load_bytes(
        &mut store,
        "t.json",
        text.as_bytes(),
        &LoadOptions::default(),
    )
    .expect("load");
    store.build_index();
    let analysis = Analysis::run(&store, &Options::default());
    (store, analysis)
}

/// Every traversal a view runs over a trace: flame chart with stitching, flame graph,
/// summaries, frame paths.
fn draw_everything(store: &Store, analysis: &Analysis) {
    let fx = FlameIndex::new(store, analysis);
    let layout = TraceLayout::build(store, &fx, 0, true);
    assert_eq!(layout.span_count(), store.spans.len(), "no span lost");
    let lanes = LaneLayout::build(store, &fx, &layout.traces);
    assert_eq!(lanes.bars.len(), store.spans.len(), "no span lost in lanes");
    let graph = FlameGraph::build(store, None);
    assert!(graph.depths() > 0);
    let rows = summarize(store, &analysis.breaks);
    assert_eq!(rows.len(), 1);
    let path = vec![("svc".to_string(), "work".to_string()); 3];
    has_frame_path(store, &store.index.traces[0], &path);
}

const N: u64 = 100_000;
const T0: u64 = 1_700_000_000_000_000_000;

#[test]
fn a_parent_ring_of_100k_spans_is_one_parent_cycle_break() {
    // Span k's parent is k+1, and the last one's is the first.
    let ring = (1..=N).map(|k| (k, k % N + 1, T0 + k, T0 + k + 10));
    let (store, analysis) = load(&otlp(ring));
    let cycles: Vec<_> = analysis
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::ParentCycle)
        .collect();
    assert_eq!(cycles.len(), 1, "one break per cycle");
    assert_eq!(store.span(cycles[0].span).span_id, 1, "on the lowest id");
    let message = cycles[0].message(&store);
    assert!(message.starts_with("100000 spans of trace"), "{message}");
    draw_everything(&store, &analysis);

    // A two-span cycle hanging off a healthy root is found as well, and the root is not in it.
    let text = otlp(
        [
            (1, 0, T0, T0 + 100),
            (2, 3, T0 + 1, T0 + 2),
            (3, 2, T0 + 1, T0 + 3),
        ]
        .into_iter(),
    );
    let (store, analysis) = load(&text);
    let cycles: Vec<_> = analysis
        .breaks
        .iter()
        .filter(|b| b.kind == BreakKind::ParentCycle)
        .map(|b| {
            (
                store.span(b.span).span_id,
                b.related.map(|r| store.span(r).span_id),
            )
        })
        .collect();
    assert_eq!(cycles, [(2, Some(3))]);
}

#[test]
fn a_chain_100k_deep_is_drawn_without_recursion() {
    let chain = (1..=N).map(|k| (k, k - 1, T0 + k, T0 + 2 * N - k));
    let (store, analysis) = load(&otlp(chain));
    assert!(
        analysis
            .breaks
            .iter()
            .all(|b| b.kind != BreakKind::ParentCycle),
        "a chain is not a cycle"
    );
    draw_everything(&store, &analysis);
    let path = vec![("svc".to_string(), "work".to_string()); N as usize];
    assert!(has_frame_path(&store, &store.index.traces[0], &path));
    let longer = vec![("svc".to_string(), "work".to_string()); N as usize + 1];
    assert!(!has_frame_path(&store, &store.index.traces[0], &longer));
}

#[test]
fn a_span_ending_before_it_starts_is_a_warning_with_both_times() {
    let text = otlp([(1, 0, T0 + 500, T0 + 100), (2, 0, T0 + 900, T0 + 800)].into_iter());
    let (store, _) = load(&text);
    let w = store
        .diag
        .warnings
        .iter()
        .find(|w| w.message.contains("ends before it starts"))
        .expect("a warning");
    assert_eq!(w.count, 2);
    assert!(
        w.message
            .contains(&format!("start {} ns, end {} ns", T0 + 500, T0 + 100)),
        "{}",
        w.message
    );
    assert_eq!(store.inputs[0].warnings, 2);
    // Kept as given, not clamped.
    let k = store.find_span(7, 1).expect("span kept");
    assert_eq!(store.span(k).end, T0 + 100);
}
