//! The `tracetopo` binary as a user runs it: exit codes and error lines.

use std::process::{Command, Output};

use crate::util::tracetopo;

#[test]
fn unknown_fail_on_kind_is_a_usage_error() {
    let out = tracetopo(&["analyze", "x.json", "--fail-on", "orphan_span,nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown break kind \"nonsense\""), "{err}");
    assert!(
        err.contains("valid kinds: orphan_span, parent_cycle, propagation_break, detached_root"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_gives_one_line_naming_it() {
    let dir = tempfile::tempdir().ok();
    let missing = dir
        .as_ref()
        .map(|d| d.path().join("no-such-trace.json"))
        .unwrap_or_else(|| "no-such-trace.json".into());
    let missing = missing.to_string_lossy().into_owned();
    let out = tracetopo(&["analyze", &missing]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("tracetopo: {missing}: ")), "{err}");
    assert!(out.stdout.is_empty(), "no report when an input failed");
}

#[test]
fn analyze_needs_a_file() {
    let out = tracetopo(&["analyze"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILE"));
}

#[test]
fn help_lists_the_subcommands_and_the_app_options() {
    let out = tracetopo(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["analyze", "generate", "--screenshot", "--view", "[FILE]..."] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

/// Without a subcommand the app opens (spec §6); with no display that fails in one line.
#[cfg(target_os = "linux")]
#[test]
fn no_subcommand_opens_the_app_and_fails_cleanly_without_a_display() {
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output();
    let out = out.unwrap_or_else(|e| panic!("cannot run tracetopo: {e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("tracetopo: cannot open the window: ")),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// A bundled sample's path as an argument.
fn sample(name: &str) -> String {
    crate::util::sample(name).to_string_lossy().into_owned()
}

/// Runs tracetopo with `stdin` piped in.
fn tracetopo_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let child = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = child.unwrap_or_else(|e| panic!("cannot run tracetopo: {e}"));
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin)
            .unwrap_or_else(|e| panic!("stdin: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("tracetopo: {e}"))
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn report(path: &str) -> serde_json::Value {
    let out = tracetopo(&["analyze", path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    json(&out.stdout)
}

/// Control characters other than the line feed that ends each line.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

#[test]
fn control_characters_in_names_and_keys_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("controls.jsonl");
    // ESC, CR and BEL in a service name, a span name and an attribute key; the second line
    // fails on a value quoted in the warning.
    let lines = [
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"evil\u001b[31m\rsvc"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000aa","parentSpanId":"00000000000000ff","name":"GET \u001b]0;pwned\u0007/x","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"k\u001b[2J","value":{"stringValue":"v"}}]}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000bb","attributes":[{"key":"n\u001b[2J","value":{"intValue":"x\u001b[2J\u009b"}}]}]}]}]}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    let path = path.to_string_lossy().into_owned();

    let out = tracetopo(&["analyze", &path]);
    assert_eq!(out.status.code(), Some(0));
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(raw_controls(&text), Vec::<char>::new(), "{text:?}");
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err:?}");
    assert!(text.contains("evil\\u{1b}[31m\\rsvc"), "{text}");
    assert!(text.contains("GET \\u{1b}]0;pwned\\u{7}/x"), "{text}");
    assert!(err.contains("x\\u{1b}[2J\\u{9b}"), "{err}");
    assert!(
        text.contains("x\\u{1b}[2J\\u{9b}"),
        "the Warnings section: {text}"
    );

    // The JSON report keeps the names as they are (JSON escapes them itself).
    let v = report(&path);
    assert_eq!(v["services"][0]["name"], "evil\u{1b}[31m\rsvc");
    assert_eq!(v["breaks"][0]["span_name"], "GET \u{1b}]0;pwned\u{7}/x");

    // A file name with an ESC in an error line.
    let missing = dir.path().join("no\u{1b}[2Jsuch.json");
    let out = tracetopo(&["analyze", &missing.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err:?}");
    assert!(err.contains("no\\u{1b}[2Jsuch.json"), "{err}");
}

#[test]
fn an_error_without_a_position_prints_none() {
    let out = tracetopo(&["analyze", "/nonexistent/trace.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("tracetopo: /nonexistent/trace.json: cannot open: "),
        "{err}"
    );
    assert!(!err.contains("position"), "{err}");
}

#[test]
fn analyze_dash_reads_stdin() {
    let path = sample("checkout-broken.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let out = tracetopo_with_stdin(&["analyze", "-", "--format", "json"], &bytes);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut from_stdin = json(&out.stdout);
    let mut from_file = report(&path);
    assert_eq!(from_stdin["inputs"][0]["path"], "<stdin>");
    assert!(
        from_file["breaks"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
    // Everything but the input's name is the same.
    from_stdin["inputs"][0]["path"] = serde_json::Value::Null;
    from_file["inputs"][0]["path"] = serde_json::Value::Null;
    assert_eq!(from_stdin, from_file);
}

#[test]
fn fail_on_names_the_kinds_that_tripped_it() {
    let path = sample("checkout-broken.json");
    let v = report(&path);
    let count = |kind: &str| {
        v["breaks"]
            .as_array()
            .map_or(0, |b| b.iter().filter(|b| b["kind"] == kind).count())
    };
    // spec §5 order.
    let kinds = [
        "orphan_span",
        "propagation_break",
        "detached_root",
        "span_outlives_parent",
        "stale_parent",
        "conversion_error",
        "clock_skew",
        "invalid_id",
        "duplicate_span",
        "unmatched_client",
    ];
    let found: Vec<&str> = kinds.into_iter().filter(|k| count(k) > 0).collect();
    assert!(found.len() >= 4, "{found:?}");
    // Asked for three kinds in reverse order: named in spec order, only those.
    let asked = [found[3], found[2], found[0]];
    let out = tracetopo(&["analyze", &path, "--fail-on", &asked.join(",")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let named: Vec<String> = [found[0], found[2], found[3]]
        .iter()
        .map(|k| {
            let n = count(k);
            format!("{n} {k} break{}", if n == 1 { "" } else { "s" })
        })
        .collect();
    let line = format!("tracetopo: --fail-on: found {}\n", named.join(", "));
    assert!(err.ends_with(&line), "{err}");
    assert!(!err.contains(found[1]), "{err}");

    // Nothing tripped, nothing said.
    let healthy = sample("checkout-healthy.json");
    let v = report(&healthy);
    let absent: Vec<&str> = kinds
        .into_iter()
        .filter(|k| {
            !v["breaks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|b| b["kind"] == *k)
        })
        .collect();
    assert!(!absent.is_empty());
    let out = tracetopo(&["analyze", &healthy, "--fail-on", &absent.join(",")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("--fail-on"));
}

#[test]
fn export_takes_the_format_from_the_output_name() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = sample("checkout-broken.json");
    let out_at = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    for (name, start) in [
        ("a.svg", &b"<svg"[..]),
        ("b.DOT", b"digraph"),
        ("c.json", b"{"),
        ("d.png", b"\x89PNG"),
    ] {
        let target = out_at(name);
        let out = tracetopo(&["export", &path, "--view", "services", "-o", &target]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&target).unwrap_or_default();
        assert!(bytes.starts_with(start), "{name}");
    }

    // A mismatch, or a name that does not tell, is a usage error and writes nothing.
    for (name, format) in [("x.svg", Some("png")), ("y.out", None), ("z", None)] {
        let target = out_at(name);
        let mut args = vec!["export", &path, "--view", "services", "-o", &target];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let out = tracetopo(&args);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains("--format"), "{err}");
        assert!(err.contains("Usage: tracetopo export "), "{err}");
        assert!(!std::path::Path::new(&target).exists(), "{name}");
    }
    // An unknown extension with an explicit format is fine.
    let target = out_at("graph.txt");
    let out = tracetopo(&[
        "export", &path, "--view", "services", "--format", "dot", "-o", &target,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read(&target)
            .unwrap_or_default()
            .starts_with(b"digraph")
    );
}

#[test]
fn export_dash_writes_stdout() {
    let path = sample("checkout-broken.json");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("s.dot").to_string_lossy().into_owned();
    let out = tracetopo(&[
        "export", &path, "--view", "types", "--format", "dot", "-o", "-",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let to_file = tracetopo(&["export", &path, "--view", "types", "-o", &file]);
    assert_eq!(to_file.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"digraph"));
    assert_eq!(out.stdout, std::fs::read(&file).unwrap_or_default());
    // `-` has no extension: the format must be given.
    let out = tracetopo(&["export", &path, "--view", "types", "-o", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn export_trace_view_is_the_trace_with_the_most_breaks() {
    let path = sample("checkout-broken.json");
    // The most broken trace by the report: most breaks, the lowest id on a tie.
    let v = report(&path);
    let mut per_trace: std::collections::BTreeMap<String, usize> = Default::default();
    for b in v["breaks"].as_array().into_iter().flatten() {
        *per_trace
            .entry(b["trace_id"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let max = per_trace.values().copied().max().unwrap_or(0);
    let worst = per_trace
        .iter()
        .find(|(_, n)| **n == max)
        .map(|(t, _)| t.clone())
        .unwrap_or_default();
    assert!(max > 0);

    let export = |view: &str| {
        let out = tracetopo(&[
            "export", &path, "--view", view, "--format", "json", "-o", "-",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out.stdout)
    };
    let doc = export("trace");
    assert_eq!(doc["trace_id"], worst.as_str());
    assert_eq!(doc, export(&format!("trace:{worst}")));
}

#[test]
fn export_flame_view_draws_the_aggregated_flame_graph() {
    let path = sample("checkout-live.jsonl");
    let traces = report(&path)["traces"].as_u64().unwrap_or(0);
    assert!(traces > 1);
    let run = |format: &str| {
        let out = tracetopo(&[
            "export", &path, "--view", "flame", "--format", format, "-o", "-",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };

    // JSON: the frame tree, the root aggregating every trace, children inside their parent.
    let doc = json(&run("json"));
    assert_eq!(doc["view"], "flame");
    assert_eq!(doc["traces"].as_u64(), Some(traces));
    let frames = doc["frames"].as_array().cloned().unwrap_or_default();
    assert!(frames.len() > 3);
    assert_eq!(frames[0]["name"], "all");
    assert!(frames[0].get("parent").is_none());
    for (k, f) in frames.iter().enumerate().skip(1) {
        let p = f["parent"].as_u64().unwrap_or(u64::MAX) as usize;
        assert!(p < k, "parents come first");
        let (x, w) = (
            f["x"].as_f64().unwrap_or(-1.0),
            f["width"].as_f64().unwrap_or(-1.0),
        );
        let (px, pw) = (
            frames[p]["x"].as_f64().unwrap_or(0.0),
            frames[p]["width"].as_f64().unwrap_or(0.0),
        );
        assert!(
            x >= px - 1e-9 && x + w <= px + pw + 1e-9,
            "frame {k} inside its parent"
        );
        assert_eq!(
            f["depth"].as_u64(),
            frames[p]["depth"].as_u64().map(|d| d + 1)
        );
    }

    // SVG: the root frame labelled as the app labels it, the widest top-level frame too.
    let svg = String::from_utf8(run("svg")).unwrap_or_default();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains(&format!(">all ({traces} traces)</text>")),
        "{svg}"
    );
    let top = frames
        .iter()
        .filter(|f| f["depth"] == 1)
        .max_by(|a, b| {
            a["width"]
                .as_f64()
                .partial_cmp(&b["width"].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|f| {
            format!(
                "{} · {}",
                f["name"].as_str().unwrap_or(""),
                f["service"].as_str().unwrap_or("")
            )
        })
        .unwrap_or_default();
    assert!(svg.contains(&top), "{top} in {svg}");

    // DOT: the call tree, one edge per frame drawn under its drawn parent.
    let dot = String::from_utf8(run("dot")).unwrap_or_default();
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains(" -> "), "{dot}");
}
