//! The sample traces in `sample-traces/` and the large generator: reproducible output, the
//! OTLP/JSON structure promised, and each documented scenario present with the property it is
//! built to show. Reads the files with serde_json only (no tracetopo reader).
//!
//! After changing the generator, rewrite the files with `TRACETOPO_BLESS=1 cargo test --test
//! samples` and review the diff.

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
}

impl Sp {
    fn attr_str(&self, key: &str) -> Option<&str> {
        self.attrs.get(key)?.get("stringValue")?.as_str()
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
/// strings, a goroutine id under one of the SPEC §3 keys, resource identity present.
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
            "README.md"
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
