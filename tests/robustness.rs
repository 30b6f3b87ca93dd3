//! Bad input never panics: every reader, fed deterministic mutations of real inputs (flipped,
//! deleted and duplicated bytes, truncation), either loads or returns a one-line error naming
//! the input.

mod common;

use std::path::{Path, PathBuf};

use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;

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
        let at = rng.below(d.len());
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [
        "checkout-healthy.json",
        "checkout-broken.json",
        "checkout-live.jsonl",
    ]
    .iter()
    .map(|f| root.join("sample-traces").join(f))
    .collect();
    let Some(corpus) = common::corpus() else {
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
            common::require::missing(
                "TRACETOPO_REQUIRE_CORPUS",
                &format!("corpus file {f} not found"),
            );
        }
    }
    files
}

/// Mutations per input; `TRACETOPO_FUZZ_ROUNDS` raises it for a longer local run.
fn rounds(default: usize) -> usize {
    std::env::var("TRACETOPO_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load(name: &str, data: &[u8]) {
    let mut store = Store::new();
    match load_bytes(&mut store, name, data, &LoadOptions::default()) {
        Ok(_) => store.build_index(),
        Err(e) => {
            let line = e.to_string();
            assert!(line.starts_with(name), "{line}");
            assert_eq!(line.lines().count(), 1, "{line}");
        }
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let mut rng = Rng(7);
    for path in inputs() {
        let data = std::fs::read(&path).expect("read input");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("input");
        for _ in 0..rounds(150) {
            load(name, &mutate(&mut rng, &data));
        }
    }
}

#[test]
fn mutated_protobuf_and_compressed_inputs_never_panic() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    use std::io::Write;

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let json =
        std::fs::read_to_string(root.join("sample-traces/checkout-broken.json")).expect("sample");
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

    // The unmutated forms load the same 48 spans.
    for (name, data) in [("a.pb", &pb), ("a.gz", &gz), ("a.zst", &zst)] {
        let mut store = Store::new();
        load_bytes(&mut store, name, data, &LoadOptions::default()).expect(name);
        assert_eq!(store.spans.len(), 48, "{name}");
    }

    let mut rng = Rng(11);
    for (name, data) in [
        ("a.pb", &pb),
        ("a.framed.pb", &framed),
        ("a.gz", &gz),
        ("a.zst", &zst),
    ] {
        for _ in 0..rounds(200) {
            load(name, &mutate(&mut rng, data));
        }
    }
}
