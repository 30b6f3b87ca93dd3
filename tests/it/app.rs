//! The desktop app driven through egui_kittest: loading a bundled sample, selecting a trace in
//! the Traces table, a span through navigation, jumping from a break to its related span,
//! switching every tab, keyboard shortcuts, the warnings notice, and snapshots of the Traces and
//! Breaks views (rendered with wgpu on the CPU; see .ci/run for the Mesa packages).

#[cfg(target_os = "linux")]
use crate::util;

use std::time::Duration;

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tracetopo::app::loading::Source;
use tracetopo::app::state::{Nav, Selection, Tab};
use tracetopo::app::{AppConfig, TracetopoApp};

const ORPHAN_TRACE: u128 = 0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51;

/// A window of `sources`, stepped until the load finished (bounded: 60 s).
pub(crate) fn app_with(sources: Vec<Source>) -> Harness<'static, TracetopoApp> {
    let mut h = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(move |cc| {
            let mut app = TracetopoApp::new(&cc.egui_ctx, AppConfig::default());
            app.open(sources);
            app
        });
    for _ in 0..6000 {
        if !h.state().is_loading() {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!h.state().is_loading(), "loading did not finish");
    h.run_steps(3);
    h
}

pub(crate) fn sample(name: &str) -> Vec<Source> {
    match Source::sample(name) {
        Some(s) => vec![s],
        None => panic!("no bundled sample {name}"),
    }
}

fn trace_number(h: &Harness<'_, TracetopoApp>, id: u128) -> u32 {
    let Some(s) = h.state().session() else {
        panic!("no session");
    };
    match s.store.index.traces.binary_search_by_key(&id, |t| t.id) {
        Ok(t) => t as u32,
        Err(_) => panic!("trace {id:032x} not loaded"),
    }
}

fn span_number(h: &Harness<'_, TracetopoApp>, trace: u128, span: u64) -> u32 {
    let Some(s) = h.state().session() else {
        panic!("no session");
    };
    match s.store.find_span(trace, span) {
        Some(i) => i,
        None => panic!("span {span:016x} not loaded"),
    }
}

#[test]
fn clicking_a_trace_row_selects_it_and_opens_the_trace_tab() {
    let mut h = app_with(sample("checkout-broken.json"));
    assert_eq!(h.state().tab(), Tab::Traces);
    // The broken sample has 15 traces (sample-traces/README.md), all listed.
    assert_eq!(h.state().traces_view().listed().count(), 15);
    h.get_by_label_contains("Trace 6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51")
        .click();
    h.run_steps(2);
    let t = trace_number(&h, ORPHAN_TRACE);
    assert_eq!(h.state().selection(), Selection::Trace(t));
    assert_eq!(h.state().tab(), Tab::Trace);
    // The flame chart shows that trace (5 spans, sample-traces/README.md); Details too.
    h.get_by_label("Trace 6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51");
    h.get_by_label_contains("5 spans ·");
    // The trace's topology can be exported from here like the Services and Types views.
    h.get_by_label("Export ▾");
    h.get_by_label("6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51");
}

#[test]
fn selecting_a_span_shows_its_details() {
    let mut h = app_with(sample("checkout-broken.json"));
    let orphan = span_number(&h, ORPHAN_TRACE, 0xc4e6180e4317825f);
    h.state_mut().apply(Nav::Select(Selection::Span(orphan)));
    h.run_steps(2);
    h.get_by_label("SELECT acme.users");
    h.get_by_label("c4e6180e4317825f");
    // Its parent was never exported: the id is shown as missing, and the break is listed.
    h.get_by_label_contains("(missing)");
    h.get_by_label("orphan_span");

    // "Parent" is offered only for spans whose parent is loaded.
    assert!(h.query_by_label("Parent").is_none());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert_eq!(h.state().selection(), Selection::None);
}

#[test]
fn chinese_names_render_in_details() {
    let mut h = app_with(sample("checkout-healthy.json"));
    let Some(session) = h.state().session().cloned() else {
        panic!("no session");
    };
    let store = &session.store;
    let query =
        (0..store.spans.len() as u32).find(|&i| store.str(store.span(i).name) == "查询用户");
    let Some(query) = query else {
        panic!("the healthy sample has a span 查询用户 (sample README)");
    };
    h.state_mut().apply(Nav::Select(Selection::Span(query)));
    // The harness panics on a glyph no font has: this frame draws Chinese text.
    h.run_steps(2);
    h.get_by_label("查询用户");
    h.get_by_label_contains("user-svc · internal");
}

#[test]
fn go_to_related_on_a_detached_root_lands_on_the_server_span() {
    let mut h = app_with(sample("checkout-broken.json"));
    h.get_by_role_and_label(Role::Button, "Breaks").click();
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Breaks);
    h.get_by_label("Go to related span of detached_root on audit.Write")
        .click();
    h.run_steps(2);
    // sample-traces/README.md: related = order.OrderService/CreateOrder 07535f094e8698f6 in
    // trace c0a8016e5d4c4b3a9f8e7d6c5b4a3921.
    let related = span_number(&h, 0xc0a8016e5d4c4b3a9f8e7d6c5b4a3921, 0x07535f094e8698f6);
    assert_eq!(h.state().selection(), Selection::Span(related));
    assert_eq!(h.state().tab(), Tab::Trace);
    h.get_by_label("07535f094e8698f6");
    h.get_by_label("order.OrderService/CreateOrder");
    // Its Details list the break that names it, with a link back to the detached root.
    h.get_by_label("detached_root");
    h.get_by_label_contains("broken span: order-svc · audit.Write")
        .click();
    h.run_steps(2);
    let root = span_number(&h, 0x91d35e7a0c2b4f6e8d1a3c5e7f9b2d40, 0xe8c230867741a9fb);
    assert_eq!(h.state().selection(), Selection::Span(root));
}

/// A span link hovered in Details is the app's hover (the Trace view outlines it: see
/// `flame::the_chart_notes_its_hovered_bar_and_outlines_a_span_hovered_elsewhere`), and the
/// hover ends when the pointer leaves.
#[test]
fn hovering_a_span_link_in_details_makes_it_the_hovered_span() {
    let mut h = app_with(sample("checkout-broken.json"));
    h.get_by_role_and_label(Role::Button, "Breaks").click();
    h.run_steps(2);
    h.get_by_label("Go to related span of detached_root on audit.Write")
        .click();
    h.run_steps(2);
    let related = span_number(&h, 0xc0a8016e5d4c4b3a9f8e7d6c5b4a3921, 0x07535f094e8698f6);
    let parent = h
        .state()
        .session()
        .and_then(|s| s.store.parent(related))
        .expect("the related span has a parent");
    h.get_by_role_and_label(Role::Button, "Parent").hover();
    h.run_steps(2);
    assert_eq!(h.state().hovered(), Selection::Span(parent));
    h.get_by_label_contains("broken span: order-svc · audit.Write")
        .hover();
    h.run_steps(2);
    let root = span_number(&h, 0x91d35e7a0c2b4f6e8d1a3c5e7f9b2d40, 0xe8c230867741a9fb);
    assert_eq!(h.state().hovered(), Selection::Span(root));
    h.hover_at(egui::pos2(2.0, 2.0));
    h.run_steps(2);
    assert_eq!(h.state().hovered(), Selection::None);
}

/// The broken sample's worker goroutine 500 kept an old request's context across three
/// requests: one group row that unfolds to its three `stale_parent` breaks and folds again.
#[test]
fn a_goroutines_stale_parents_are_one_group_in_the_breaks_view() {
    let mut h = app_with(sample("checkout-broken.json"));
    h.get_by_role_and_label(Role::Button, "Breaks").click();
    h.run_steps(2);
    let stale = "Go to span of stale_parent on stock.Reserve";
    let group = "goroutine 500: stale context in 3 requests";
    h.get_by_role_and_label(Role::Button, "▼ stale_parent (3, warning)");
    assert_eq!(h.query_all_by_label(stale).count(), 0, "folded at first");
    h.get_by_role_and_label(Role::Button, group).click();
    h.run_steps(2);
    assert_eq!(h.query_all_by_label(stale).count(), 3);
    h.get_all_by_label("Go to related span of stale_parent on stock.Reserve")
        .next()
        .expect("a related button")
        .click();
    h.run_steps(2);
    // Each stale reservation served one of the three later requests: its CreateOrder SERVER
    // span, in that request's trace (sample-traces/README.md).
    let Selection::Span(selected) = h.state().selection() else {
        panic!("no span selected: {:?}", h.state().selection());
    };
    let Some(session) = h.state().session() else {
        panic!("no session");
    };
    let span = session.store.span(selected);
    let served = [
        0x5e1f8c304fa249e48d7b1c3f508e2a61,
        0x6f209d4140b34af59e8c2d40619f3b72,
        0x7031ae5241c44b06af9d3e5172a04c83,
    ];
    assert!(served.contains(&span.trace_id), "{:032x}", span.trace_id);
    assert_eq!(span.kind, tracetopo::model::SpanKind::Server);
    assert_eq!(
        session.store.str(span.name),
        "order.OrderService/CreateOrder"
    );
    h.get_by_role_and_label(Role::Button, "Breaks").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, group).click();
    h.run_steps(2);
    assert_eq!(h.query_all_by_label(stale).count(), 0, "folded again");
}

#[test]
fn every_tab_opens_from_the_tab_bar_and_the_keyboard() {
    let mut h = app_with(sample("checkout-broken.json"));
    for tab in Tab::ALL {
        h.get_by_role_and_label(Role::Button, tab.title()).click();
        h.run_steps(2);
        assert_eq!(h.state().tab(), tab);
    }
    for (k, tab) in [
        Key::Num1,
        Key::Num2,
        Key::Num3,
        Key::Num4,
        Key::Num5,
        Key::Num6,
    ]
    .into_iter()
    .zip(Tab::ALL)
    {
        h.key_press_modifiers(Modifiers::COMMAND, k);
        h.run_steps(2);
        assert_eq!(h.state().tab(), tab, "{k:?}");
    }
}

#[test]
fn filters_narrow_the_trace_list() {
    let mut h = app_with(sample("checkout-broken.json"));
    // Frame filter, as the flame graph asks: the orphan trace's root path.
    let Some(session) = h.state().session().cloned() else {
        panic!("no session");
    };
    let store = &session.store;
    let t = trace_number(&h, ORPHAN_TRACE);
    let root = store.index.traces[t as usize].start_idx;
    let path = vec![(
        store.service_name(root).to_string(),
        store.str(store.span(root).name).to_string(),
    )];
    h.state_mut().apply(Nav::FilterTracesByFrame(path));
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Traces);
    let listed: Vec<u32> = h.state().traces_view().listed().collect();
    assert!(listed.contains(&t), "{listed:?}");
    for &other in &listed {
        let r = store.index.traces[other as usize].start_idx;
        assert_eq!(
            store.str(store.span(r).name),
            store.str(store.span(root).name)
        );
    }
    h.get_by_label_contains("Frame: ").click();
    h.run_steps(2);
    assert_eq!(h.state().traces_view().listed().count(), 15);

    // Span-name text: only the trace with audit.Write as a span... and every trace holding
    // an "audit" span name, case-insensitively.
    h.get_by_role_and_label(Role::TextInput, "Span name")
        .click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Span name")
        .type_text("AUDIT.write");
    h.run_steps(2);
    let listed: Vec<u32> = h.state().traces_view().listed().collect();
    let expected: Vec<u32> = (0..store.index.traces.len() as u32)
        .filter(|&t| {
            store.index.traces[t as usize]
                .range()
                .any(|i| store.str(store.spans[i].name) == "audit.Write")
        })
        .collect();
    assert!(!expected.is_empty());
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
}

#[test]
fn a_bad_line_shows_the_warnings_notice() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("two-lines.jsonl");
    let Some(Source::Sample(_, live)) = Source::sample("checkout-live.jsonl") else {
        panic!("no live sample");
    };
    let first = live.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut bytes = first.to_vec();
    bytes.extend_from_slice(b"\n{\"resourceSpans\": [ this is not json\n");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));

    let mut h = app_with(vec![Source::File(path.clone())]);
    let warnings = h.state().session().map_or(0, |s| s.store.diag.total());
    assert_eq!(warnings, 1);
    h.get_by_label_contains("1 warning while loading");
    h.get_by_label("Details").click();
    h.run_steps(2);
    let detail = format!("{}: line 2", path.display());
    h.get_by_label_contains(&detail);
    // The status line toggles it too.
    h.get_by_label_contains("⚠ 1 warning").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains(&detail).is_none());
}

#[test]
fn a_file_that_cannot_be_read_is_named_in_the_notice() {
    let mut h = app_with(vec![Source::File("/nonexistent/trace.json".into())]);
    assert!(h.state().session().is_none());
    h.get_by_label_contains("1 file could not be read");
    h.get_by_label_contains("/nonexistent/trace.json: cannot open");
    // The start page is still there to open something else.
    h.get_by_label("checkout-broken.json").click();
    for _ in 0..6000 {
        h.step();
        if h.state().session().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        h.state().session().map(|s| s.store.index.traces.len()),
        Some(15)
    );
}

#[test]
fn snapshots_of_the_traces_and_breaks_views() {
    let mut h = app_with(sample("checkout-broken.json"));
    let t = trace_number(&h, ORPHAN_TRACE);
    h.state_mut().apply(Nav::Select(Selection::Trace(t)));
    h.run_steps(3);
    h.snapshot("traces");
    let orphan = span_number(&h, ORPHAN_TRACE, 0xc4e6180e4317825f);
    h.state_mut().apply(Nav::SwitchTab(Tab::Breaks));
    h.state_mut().apply(Nav::Select(Selection::Span(orphan)));
    h.run_steps(3);
    h.snapshot("breaks");
}

/// The real window under Xvfb (`--screenshot`): a PNG of the window's size comes out, showing
/// the view `--view` names (the reviewed `window-breaks` snapshot), and the exit status is 0;
/// a missing input gives status 2 and one line naming it. Skipped when `xvfb-run` is not
/// installed, unless `TRACETOPO_REQUIRE_XVFB` is set (`.ci/run`).
#[cfg(target_os = "linux")]
#[test]
fn screenshot_mode_under_xvfb() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("breaks.png");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-traces/checkout-broken.json"
    );
    let run = |file: &str, png: &std::path::Path| {
        let png = png.to_string_lossy();
        util::in_xvfb(&[file, "--screenshot", &png, "--view", "breaks"], None)
    };
    let Some(r) = run(sample, &out) else {
        return;
    };
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let img = image::open(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .to_rgba8();
    // The window opens at 1400x860 points; the picture has at least that many pixels.
    assert!(
        img.width() >= 1400 && img.height() >= 860,
        "{:?}",
        img.dimensions()
    );
    // What the Breaks view draws: the tab selected, its ten kinds listed, nothing selected.
    egui_kittest::image_snapshot(&img, "window-breaks");

    let missing = dir.path().join("missing.json");
    let r = run(&missing.to_string_lossy(), &dir.path().join("x.png")).expect("xvfb-run");
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("tracetopo: "))
        .unwrap_or_default();
    assert!(line.contains(&missing.display().to_string()), "{err}");
    assert!(!dir.path().join("x.png").exists());
}

/// `tracetopo --screenshot OUT.png` without files: the real window under Xvfb pictures the
/// start page (status 0, a PNG of the window's size, not blank: the heading and the sample
/// buttons draw pixels unlike the background). Skipped when `xvfb-run` is not installed.
#[cfg(target_os = "linux")]
#[test]
fn screenshot_without_files_is_the_start_page() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("start.png");
    let Some(r) = util::in_xvfb(&["--screenshot", &out.to_string_lossy()], None) else {
        return;
    };
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let img = image::open(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .to_rgba8();
    assert!(
        img.width() >= 1400 && img.height() >= 860,
        "{:?}",
        img.dimensions()
    );
    // The centre column (heading, sample buttons) holds more than one colour.
    let (w, h) = img.dimensions();
    let background = *img.get_pixel(w / 2, h - 60);
    let drawn = (80..h / 2)
        .flat_map(|y| (w / 4..3 * w / 4).map(move |x| (x, y)))
        .filter(|&(x, y)| *img.get_pixel(x, y) != background)
        .count();
    assert!(
        drawn > 1000,
        "only {drawn} pixels differ from the background"
    );
}

/// Details of the healthy sample's batch consumer list the three producers it links to; a
/// click opens the producer's trace on it, whose Details list the batch as linking to it.
#[test]
fn details_list_span_links_both_ways_with_a_jump() {
    let mut h = app_with(sample("checkout-healthy.json"));
    let batch_trace = 0x8f41adc36a5e42abb174e5fa02c34d68;
    let Some(session) = h.state().session().cloned() else {
        panic!("no session");
    };
    let t = trace_number(&h, batch_trace);
    let info = session.store.index.traces[t as usize];
    let batch = (info.start_idx..info.start_idx + info.len)
        .find(|&i| session.store.span(i).parent_id == 0)
        .expect("the batch root");
    h.state_mut().apply(Nav::Select(Selection::Span(batch)));
    h.run_steps(2);
    h.get_by_label_contains("Links to (3)");
    let first = 0x5c1e7a903d2b4f688e41b2c7d9f01a35;
    h.get_by_label("order-svc · order-events publish (trace 5c1e7a903d2b4f688e41b2c7d9f01a35)")
        .click();
    h.run_steps(2);
    let producer = session.links_from(batch);
    let producer = producer
        .iter()
        .find_map(|l| match *l {
            tracetopo::query::LinkTarget::Loaded(p) if session.store.span(p).trace_id == first => {
                Some(p)
            }
            _ => None,
        })
        .expect("the first producer is loaded");
    assert_eq!(h.state().selection(), Selection::Span(producer));
    assert_eq!(h.state().tab(), Tab::Trace);
    h.get_by_label_contains("Linked from (1)");
    h.get_by_label("shipping-svc · order-events process (trace 8f41adc36a5e42abb174e5fa02c34d68)");
}
