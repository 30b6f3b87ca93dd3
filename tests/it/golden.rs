//! Golden reports: `tracetopo analyze --format json` of each bundled sample must equal the
//! reviewed report in `tests/golden/`. When the analysis changes on purpose, rewrite them with
//! `TRACETOPO_BLESS=1 cargo test --test it golden::` and review the diff before committing.

use std::path::Path;
use std::process::Command;

use crate::util::SAMPLES;

fn report_of(sample: &str) -> String {
    // Relative path, as a user types it, so the report's `inputs[].path` is stable.
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "analyze",
            &format!("sample-traces/{sample}"),
            "--format",
            "json",
        ])
        .output()
        .expect("run tracetopo");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no warnings expected: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 report")
}

#[test]
fn sample_reports_match_the_reviewed_goldens() {
    let bless = std::env::var_os("TRACETOPO_BLESS").is_some();
    for sample in SAMPLES {
        let got = report_of(sample);
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(format!("{sample}.report.json"));
        if bless {
            std::fs::write(&golden, &got).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
        assert!(
            got == want,
            "{sample}: report differs from {}; run with TRACETOPO_BLESS=1 and review the diff",
            golden.display()
        );
    }
}

#[test]
fn healthy_and_live_tell_the_same_story() {
    // The same spans as one request and as Collector-style lines: only the input differs.
    let strip = |r: String| {
        let mut v: serde_json::Value = serde_json::from_str(&r).expect("json");
        v.as_object_mut().expect("object").remove("inputs");
        v
    };
    assert_eq!(
        strip(report_of("checkout-healthy.json")),
        strip(report_of("checkout-live.jsonl"))
    );
}

#[test]
fn broken_sample_shows_every_break_kind_once() {
    let v: serde_json::Value =
        serde_json::from_str(&report_of("checkout-broken.json")).expect("json");
    let mut kinds: Vec<&str> = v["breaks"]
        .as_array()
        .expect("breaks")
        .iter()
        .map(|b| b["kind"].as_str().expect("kind"))
        .collect();
    kinds.sort();
    // One goroutine's stale context across three requests: a break per request.
    let stale = kinds.iter().filter(|&&k| k == "stale_parent").count();
    assert_eq!(stale, 3);
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "clock_skew",
            "conversion_error",
            "detached_root",
            "duplicate_span",
            "invalid_id",
            "orphan_span",
            "propagation_break",
            "span_outlives_parent",
            "stale_parent",
            "unmatched_client"
        ]
    );
}

#[test]
fn fail_on_sets_the_exit_status() {
    let run = |file: &str, kinds: &str| {
        Command::new(env!("CARGO_BIN_EXE_tracetopo"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["analyze", file, "--fail-on", kinds])
            .output()
            .expect("run tracetopo")
            .status
            .code()
    };
    let all = "orphan_span,parent_cycle,propagation_break,detached_root,span_outlives_parent,stale_parent,conversion_error,clock_skew,invalid_id,duplicate_span,unmatched_client";
    assert_eq!(run("sample-traces/checkout-healthy.json", all), Some(0));
    assert_eq!(
        run("sample-traces/checkout-broken.json", "orphan_span"),
        Some(1)
    );
    assert_eq!(
        run("sample-traces/checkout-broken.json", "detached_root"),
        Some(1)
    );
    assert_eq!(
        run("sample-traces/checkout-broken.json", "stale_parent"),
        Some(1)
    );
}

/// The broken sample with its services' logs in every format (sample-traces/README.md, "Logs
/// of checkout-broken.json"): the reviewed report, and the join figures the files were written
/// to give.
#[test]
fn broken_sample_with_its_logs_matches_the_reviewed_golden() {
    let files = [
        "sample-traces/checkout-broken.json",
        "sample-traces/order-svc.zap.log",
        "sample-traces/payment-svc.slog.log",
        "sample-traces/user-svc.logrus.log",
        "sample-traces/api-gateway.zerolog.log",
        "sample-traces/checkout-broken.logs.json",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("analyze")
        .args(files)
        .args(["--format", "json"])
        .output()
        .expect("run tracetopo");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).expect("utf-8 report");
    let v: serde_json::Value = serde_json::from_str(&got).expect("report");
    assert_eq!(
        v["logs"],
        serde_json::json!({"records": 45, "joined_to_span": 23, "joined_to_trace": 5,
                           "unknown_trace": 1, "without_trace": 16})
    );
    let without = v["breaks"]
        .as_array()
        .expect("breaks")
        .iter()
        .filter(|b| b["kind"] == "log_without_trace")
        .count();
    assert_eq!(
        without, 10,
        "two per service with a request, none for start-up lines"
    );
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/checkout-broken+logs.report.json");
    if std::env::var_os("TRACETOPO_BLESS").is_some() {
        std::fs::write(&golden, &got).expect("write golden");
        return;
    }
    let want =
        std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
    assert!(
        got == want,
        "report differs from {}; run with TRACETOPO_BLESS=1 and review the diff",
        golden.display()
    );
}
