//! Bad input never panics: every reader, fed deterministic mutations of real inputs (flipped,
//! deleted and duplicated bytes, truncation), either loads or returns a one-line error naming
//! the input; what loads goes through the whole path users run (analysis, both reports, every
//! export format, both flame layouts), and its OTLP JSON lines export loads back.

use std::path::{Path, PathBuf};

use tracetopo::analysis::flame::{FlameGraph, FlameIndex, TraceLayout};
use tracetopo::analysis::lanes::LaneLayout;
use tracetopo::analysis::{Analysis, Options};
use tracetopo::export::otlp_jsonl::{SpanData, write_all};
use tracetopo::export::{ExportView, Format, export};
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::report::{Report, text};

/// splitmix64: a fixed sequence, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        if d.is_empty() {
            break;
        }
        // One mutation in four hits the first 64 bytes, where formats are detected and
        // headers and top-level keys are read.
        let span = if rng.below(4) == 0 {
            d.len().min(64)
        } else {
            d.len()
        };
        let at = rng.below(span);
        match rng.below(5) {
            0 => d[at] ^= 1 << rng.below(8),
            1 => {
                d.remove(at);
            }
            2 => d.insert(at, d[at]),
            3 => d.truncate(at),
            // Bytes that matter to JSON and protobuf framing.
            _ => d[at] = [b'"', b'{', b'}', b',', b':', b'\\', 0, 0xff][rng.below(8)],
        }
    }
    d
}

fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = crate::util::SAMPLES.map(crate::util::sample).into();
    // The SDKs' console output, service lines among the spans (tests/console/README.md).
    let console = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console");
    for f in [
        "go-shop-stdout.txt",
        "python-console.txt",
        "go-current-sdk.jsonl",
    ] {
        files.push(console.join(f));
    }
    let Some(corpus) = crate::util::corpus() else {
        return files;
    };
    for f in [
        "jaeger-json/jaeger-ui__TraceGraph__testTrace.json",
        "jaeger-json/jaeger__anonymizer__trace_success.json",
        "zipkin-json/zipkin-lens__skew.json",
        "zipkin-json/zipkin-benchmarks__zipkin2-client.json",
        "otlp-json/otlp2parquet/trace.json",
        "otlp-json/jaeger__memory__otel_traces_01.json",
    ] {
        let p = corpus.join(f);
        if p.exists() {
            files.push(p);
        } else {
            crate::util::missing(
                "TRACETOPO_REQUIRE_CORPUS",
                &format!("corpus file {f} not found"),
            );
        }
    }
    files
}

/// Mutations per input; `TRACETOPO_FUZZ_ROUNDS` raises it (`.ci/run` in CI: 1000).
fn rounds(default: usize) -> usize {
    std::env::var("TRACETOPO_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `rounds` mutations of `data`, each loaded and, when it loads, taken down the whole path.
/// The rng is seeded per input, so a failure names the input and round that reproduce it.
fn fuzz(name: &str, data: &[u8], seed: u64, rounds: usize) {
    let mut rng = Rng(seed);
    for round in 0..rounds {
        let input = mutate(&mut rng, data);
        let at = format!("{name} (round {round})");
        let mut store = Store::new();
        match load_bytes(&mut store, name, &input, &LoadOptions::default()) {
            Ok(_) => {
                store.build_index();
                whole_path(&at, &store, &mut rng, round);
            }
            Err(e) => {
                let line = e.to_string();
                assert!(line.starts_with(name), "{at}: {line}");
                assert_eq!(line.lines().count(), 1, "{at}: {line}");
            }
        }
    }
}

/// `fuzz` on every input at once, one thread each.
fn fuzz_all(inputs: &[(String, Vec<u8>)], seed: u64, rounds: usize) {
    std::thread::scope(|s| {
        for (i, (name, data)) in inputs.iter().enumerate() {
            s.spawn(move || fuzz(name, data, seed + i as u64, rounds));
        }
    });
}

/// One round in this many also renders one view (chosen by the rng) as PNG: rasterising costs
/// ~100 ms in a debug build, more than the rest of the path, and draws the SVG every round
/// checks.
const PNG_EVERY: usize = 100;

/// What a user can do with a loaded input: the report (JSON and text), every export of the
/// service and type graphs and of one trace (chosen by `rng`), the flame chart of every
/// trace (plain and stitched) and the flame graph, and the OTLP JSON lines export, which
/// must load back with every span.
fn whole_path(name: &str, store: &Store, rng: &mut Rng, round: usize) {
    let analysis = Analysis::run(store, &Options::default());
    let report = Report::build(store, &analysis);
    let json = report
        .to_json()
        .unwrap_or_else(|e| panic!("{name}: report: {e}"));
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("{name}: the report is not JSON: {e}");
    }
    let summary = text::render(&report);
    assert!(!summary.is_empty(), "{name}: empty text report");

    let traces = &store.index.traces;
    let mut views = vec![ExportView::Services, ExportView::Types];
    if !traces.is_empty() {
        views.push(ExportView::Trace(traces[rng.below(traces.len())].id));
    }
    let png = round
        .is_multiple_of(PNG_EVERY)
        .then(|| views[rng.below(views.len())]);
    for view in views {
        for format in Format::ALL {
            if format == Format::Png && png != Some(view) {
                continue;
            }
            let out = export(store, &analysis, view, format)
                .unwrap_or_else(|e| panic!("{name}: {view:?} {format:?}: {e}"));
            assert!(!out.is_empty(), "{name}: {view:?} {format:?} is empty");
        }
    }

    let fx = FlameIndex::new(store, &analysis);
    for t in 0..traces.len() as u32 {
        for stitch in [false, true] {
            let l = TraceLayout::build(store, &fx, t, stitch);
            assert!(
                l.traces.contains(&t),
                "{name}: trace {t} not in its own chart"
            );
            let lanes = LaneLayout::build(store, &fx, &l.traces);
            assert_eq!(lanes.bars.len(), l.span_count(), "{name}: trace {t} lanes");
        }
    }
    FlameGraph::build(store, None);

    let mut lines = Vec::new();
    let written = write_all(&mut lines, &SpanData::from(store), 64)
        .unwrap_or_else(|e| panic!("{name}: OTLP JSON lines: {e}"));
    assert_eq!(written, store.spans.len() as u64, "{name}: spans written");
    let mut back = Store::new();
    if let Err(e) = load_bytes(&mut back, "export.jsonl", &lines, &LoadOptions::default()) {
        panic!("{name}: its OTLP JSON lines export does not load: {e}");
    }
    assert_eq!(
        back.spans.len(),
        store.spans.len(),
        "{name}: spans lost in the OTLP JSON lines export"
    );
}

#[test]
fn mutated_inputs_never_panic() {
    let inputs: Vec<(String, Vec<u8>)> = inputs()
        .iter()
        .map(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("input");
            (name.to_string(), std::fs::read(path).expect("read input"))
        })
        .collect();
    fuzz_all(&inputs, 7, rounds(150));
}

#[test]
fn mutated_protobuf_and_compressed_inputs_never_panic() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    use std::io::Write;

    let json =
        std::fs::read_to_string(crate::util::sample("checkout-broken.json")).expect("sample");
    let req: ExportTraceServiceRequest = serde_json::from_str(&json).expect("sample is OTLP/JSON");
    let pb = req.encode_to_vec();
    let mut framed = (pb.len() as u32).to_be_bytes().to_vec();
    framed.extend(&pb);
    framed.extend((pb.len() as u32).to_be_bytes());
    framed.extend(&pb);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let zst = zstd::encode_all(json.as_bytes(), 1).expect("zstd");

    // The unmutated forms load the same 59 spans.
    for (name, data) in [("a.pb", &pb), ("a.gz", &gz), ("a.zst", &zst)] {
        let mut store = Store::new();
        load_bytes(&mut store, name, data, &LoadOptions::default()).expect(name);
        assert_eq!(store.spans.len(), 59, "{name}");
    }

    let inputs = [
        ("a.pb", pb),
        ("a.framed.pb", framed),
        ("a.gz", gz),
        ("a.zst", zst),
    ]
    .map(|(name, data)| (name.to_string(), data));
    fuzz_all(&inputs, 11, rounds(200));
}
