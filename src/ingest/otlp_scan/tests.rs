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
        Some(dir)
    } else {
        println!("corpus not found, skipping");
        None
    }
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
    assert_eq!(lines.len(), 10);
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
