//! The flame views on the bundled samples: layouts and aggregation checked against
//! `sample-traces/README.md`, and the egui views driven with egui_kittest (click, hover,
//! scroll, double-click, stitching) with snapshots of the main states.

use std::sync::Arc;

use egui::{Event, Modifiers, MouseWheelUnit, Pos2, pos2, vec2};
use egui_kittest::Harness;
use tracetopo::analysis::Options;
use tracetopo::analysis::flame::{FlameGraph, FlameIndex, TraceLayout, marks};
use tracetopo::app::state::{Nav, Selection, Session, TraceFilter, View, ViewCtx};
use tracetopo::app::views::flame::FlameGraphView;
use tracetopo::app::views::trace::FlameChartView;
use tracetopo::ingest::{LoadOptions, load_path};
use tracetopo::model::{NONE, Store};

use crate::util::session;

fn trace_index(s: &Session, hex: &str) -> u32 {
    let id = u128::from_str_radix(hex, 16).expect("hex id");
    s.store
        .index
        .traces
        .binary_search_by_key(&id, |t| t.id)
        .expect("trace loaded") as u32
}

fn span_index(s: &Session, trace: &str, span: &str) -> u32 {
    let t = u128::from_str_radix(trace, 16).expect("hex id");
    let id = u64::from_str_radix(span, 16).expect("hex id");
    s.store.find_span(t, id).expect("span loaded")
}

fn by_name(s: &Session, trace: u32, name: &str) -> u32 {
    let info = s.store.index.traces[trace as usize];
    info.range()
        .map(|i| i as u32)
        .find(|&i| s.store.str(s.store.span(i).name) == name)
        .expect("span with that name")
}

struct ChartState {
    view: FlameChartView,
    session: Arc<Session>,
    selection: Selection,
    navs: Vec<Nav>,
    /// What another view notes as hovered (the chart outlines it).
    hovered: Selection,
    /// What the chart noted as hovered, frame by frame.
    hovers: Vec<Selection>,
    /// The Traces view's filter and query answer.
    filter: TraceFilter,
}

fn chart_harness(
    session: Arc<Session>,
    selection: Selection,
    stitch: bool,
) -> Harness<'static, ChartState> {
    let mut view = FlameChartView::default();
    view.reset(&session);
    view.set_stitch(stitch);
    let state = ChartState {
        view,
        session,
        selection,
        navs: Vec::new(),
        hovered: Selection::None,
        hovers: Vec::new(),
        filter: TraceFilter::default(),
    };
    let mut h = Harness::builder()
        .with_size(vec2(1200.0, 420.0))
        // Small steps so that two clicks make a double-click; enough of them for the zoom
        // animation to finish.
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(60)
        .with_context_setup(tracetopo::app::fonts::install)
        .build_ui_state(
            |ui, st: &mut ChartState| {
                let mut cx = ViewCtx::new(&st.session, st.selection).with_hover(st.hovered);
                cx.filter = st.filter.clone();
                st.view.ui(ui, &mut cx);
                let navs = cx.take_nav();
                st.navs.extend(navs);
                st.hovers.push(cx.take_hover());
            },
            state,
        );
    h.run();
    h
}

fn wheel(h: &Harness<'_, ChartState>, at: Pos2, dy: f32) {
    h.hover_at(at);
    h.event(Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
}

#[test]
fn layout_of_the_orphan_trace_hangs_the_orphan_under_its_missing_parent() {
    let s = session("checkout-broken.json");
    let fx = FlameIndex::new(&s.store, &s.analysis);
    let t = trace_index(&s, "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51");
    let l = TraceLayout::build(&s.store, &fx, t, false);
    // README: 5 spans, the SELECT's parent was lost.
    assert_eq!(l.bars.iter().filter(|b| b.span != NONE).count(), 5);
    assert_eq!(l.span_count(), 5);
    let orphan = span_index(&s, "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51", "c4e6180e4317825f");
    let ob = l.bars[l.bar_of_span(orphan).expect("drawn") as usize];
    assert_eq!(ob.depth, 1);
    let ph = l.bars[ob.parent as usize];
    assert_eq!((ph.span, ph.depth), (NONE, 0));
    assert_ne!(ph.marks & marks::MISSING_PARENT, 0);
    assert_eq!(
        l.missing_parent(ob.parent),
        Some(s.store.span(orphan).parent_id)
    );
    assert_eq!(
        (ph.start, ph.end),
        (s.store.span(orphan).start, s.store.span(orphan).end)
    );
    // The placeholder block comes after the root's tree (it starts later).
    let root_lanes = l
        .bars
        .iter()
        .filter(|b| b.span != NONE && b.parent == NONE)
        .map(|b| b.lane)
        .collect::<Vec<_>>();
    assert_eq!(root_lanes, vec![0]);
    assert!(ph.lane > 0);
    assert_ne!(ob.marks & marks::BREAK, 0);
}

#[test]
fn layout_stitches_the_propagation_break_pair() {
    let s = session("checkout-broken.json");
    let fx = FlameIndex::new(&s.store, &s.analysis);
    let (gw, pay) = (
        "a7d2c41e9b3f4e08b5c6d7e8f9a0b1c2",
        "3f9e8d7c6b5a49382716059483726150",
    );
    let t = trace_index(&s, gw);
    let client = span_index(&s, gw, "e6cf69f39e2445aa");
    let server = span_index(&s, pay, "cb94a4fa6bd3b4a3");
    assert!(TraceLayout::can_stitch(&fx, t));
    let plain = TraceLayout::build(&s.store, &fx, t, false);
    assert_eq!(plain.bars.len(), 3, "README: 3 spans");
    assert!(plain.bar_of_span(server).is_none());

    let l = TraceLayout::build(&s.store, &fx, t, true);
    assert_eq!(l.traces, vec![t, trace_index(&s, pay)]);
    assert_eq!(l.bars.len(), 6, "both traces, 3 spans each");
    let cb = l.bar_of_span(client).expect("client drawn");
    let sb = l.bar_of_span(server).expect("server drawn");
    assert_eq!(l.joints, vec![(cb, sb)]);
    let (c, sv) = (l.bars[cb as usize], l.bars[sb as usize]);
    assert_eq!(sv.parent, cb);
    assert_eq!(sv.depth, c.depth + 1);
    assert!(sv.lane > c.lane);
    assert_ne!(sv.marks & marks::STITCHED, 0);
    assert_ne!(sv.marks & marks::FOREIGN, 0);
    assert_ne!(
        c.marks & marks::BREAK,
        0,
        "the client span is the break's span"
    );
    // The server's own child is drawn under it, one level deeper.
    let kids: Vec<_> = l.bars.iter().filter(|b| b.parent == sb).collect();
    assert!(!kids.is_empty());
    assert!(kids.iter().all(|b| b.depth == sv.depth + 1));
}

#[test]
fn flame_graph_numbers_on_the_healthy_sample() {
    let s = session("checkout-healthy.json");
    let g = FlameGraph::build(&s.store, None);
    // README: seven traces, rooted at loadgen (POST /orders), at api-gateway, at order-svc
    // (three POST /orders/{id}/cancel) and at shipping-svc (the batch).
    assert_eq!(g.traces, 7);
    assert_eq!(g.frames[0].count, 7);
    let top: u64 = g
        .frames
        .iter()
        .filter(|f| f.depth == 1)
        .map(|f| f.count)
        .sum();
    assert_eq!(top, 7, "one root per trace");
    let spans: u64 = g.frames.iter().skip(1).map(|f| f.count).sum();
    assert_eq!(
        spans,
        17 + 11 + 10 + 3 * 3 + 2,
        "every span lands in exactly one frame"
    );

    // The GET /users/{id} trace: a known frame path, computed from the raw spans.
    let t = trace_index(&s, "0af7651916cd43dd8448eb211c80319c");
    let query = by_name(&s, t, "查询用户");
    let mut path = Vec::new();
    let mut at = Some(query);
    while let Some(i) = at {
        path.push((
            s.store.service_name(i).to_string(),
            s.store.str(s.store.span(i).name).to_string(),
        ));
        at = s.store.parent(i);
    }
    path.reverse();
    let refs: Vec<(&str, &str)> = path.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let f = g.find(&s.store, &refs).expect("frame of 查询用户");
    let frame = g.frames[f as usize];
    assert_eq!(frame.count, 1);
    assert_eq!(frame.total, s.store.span(query).duration());
    assert_eq!(g.path(&s.store, f), path);
    // Only that trace: the same frame, and the root covers just its root span.
    let g1 = FlameGraph::build(&s.store, Some(&[t]));
    assert_eq!(g1.traces, 1);
    let root = s.store.index.traces[t as usize]
        .range()
        .find(|&i| s.store.parent(i as u32).is_none());
    assert_eq!(
        g1.frames[0].total,
        s.store.span(root.expect("root") as u32).duration()
    );
    assert!(g1.find(&s.store, &refs).is_some());
}

#[test]
fn clicking_a_bar_selects_its_span_and_hovering_shows_the_tooltip() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, "0af7651916cd43dd8448eb211c80319c");
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    assert_eq!(h.state().view.trace(), Some(t));
    let query = by_name(&s, t, "查询用户");
    let r = h.state().view.span_rect(query).expect("查询用户 visible");
    h.hover_at(r.center());
    // Past egui's tooltip delay (0.5 s) in 1/60 s steps.
    h.run_steps(40);
    // The tooltip names the span, its service and its goroutine (README: go.goroutine.id).
    use egui_kittest::kittest::Queryable;
    assert!(
        h.query_by_label_contains("service: user-svc").is_some(),
        "tooltip shows the service"
    );
    assert!(h.query_by_label_contains("goroutine:").is_some());
    h.drag_at(r.center());
    h.drop_at(r.center());
    h.run();
    assert_eq!(h.state().navs, vec![Nav::Select(Selection::Span(query))]);
}

/// The shared hover (`ViewCtx::hovered`): the bar under the pointer is noted for the other
/// views, and a span hovered in another view (a row of Details) is outlined in the chart.
#[test]
fn the_chart_notes_its_hovered_bar_and_outlines_a_span_hovered_elsewhere() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, "0af7651916cd43dd8448eb211c80319c");
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    let query = by_name(&s, t, "查询用户");
    let r = h.state().view.span_rect(query).expect("查询用户 visible");
    h.hover_at(r.center());
    h.run();
    assert_eq!(h.state().hovers.last(), Some(&Selection::Span(query)));
    h.hover_at(pos2(1.0, 1.0));
    h.run();
    assert_eq!(h.state().hovers.last(), Some(&Selection::None));

    let plain = h.render().unwrap_or_else(|e| panic!("{e}"));
    h.state_mut().hovered = Selection::Span(query);
    h.run();
    let outlined = h.render().unwrap_or_else(|e| panic!("{e}"));
    assert_outlined(&plain, &outlined, r);
}

/// `after` differs from `before` by an outline around `bar` and nothing else.
fn assert_outlined(before: &image::RgbaImage, after: &image::RgbaImage, bar: egui::Rect) {
    let around = bar.expand(3.0);
    let mut changed = 0;
    for (x, y, p) in after.enumerate_pixels() {
        if before.get_pixel(x, y) != p {
            changed += 1;
            assert!(
                around.contains(pos2(x as f32, y as f32)),
                "pixel ({x}, {y}) changed outside the bar {bar:?}"
            );
        }
    }
    assert!(changed > 20, "the outline is drawn ({changed} pixels)");
}

/// The spans the query bar's query matched are outlined in the chart, and only they.
#[test]
fn spans_the_query_matched_are_outlined() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, "0af7651916cd43dd8448eb211c80319c");
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    let query = by_name(&s, t, "查询用户");
    let r = h.state().view.span_rect(query).expect("查询用户 visible");
    let plain = h.render().unwrap_or_else(|e| panic!("{e}"));
    let q = tracetopo::query::traceql::Query::parse(r#"{ name = "查询用户" }"#).expect("query");
    let m = q.matched(&s);
    assert_eq!(m.spans, [query]);
    h.state_mut().filter.matched = Some(Arc::new(m));
    h.run();
    let outlined = h.render().unwrap_or_else(|e| panic!("{e}"));
    assert_outlined(&plain, &outlined, r);
}

#[test]
fn scrolling_zooms_around_the_cursor_and_double_click_zooms_to_the_span() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, "4bf92f3577b34da6a3ce929d0e0e4736");
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    let (a0, b0) = h.state().view.visible_time().expect("window");
    let at = pos2(700.0, 200.0);
    // The time under the cursor before zooming.
    let frac = |h: &Harness<'_, ChartState>, x: f32| {
        let r = h.state().view.lanes_rect();
        ((x - r.left()) / r.width()) as f64
    };
    let f = frac(&h, at.x);
    let t_at = a0 + f * (b0 - a0);
    wheel(&h, at, 200.0);
    h.run();
    let (a1, b1) = h.state().view.visible_time().expect("window");
    assert!(
        b1 - a1 < (b0 - a0) * 0.75,
        "zoomed in: {} → {}",
        b0 - a0,
        b1 - a1
    );
    let t_after = a1 + f * (b1 - a1);
    assert!(
        (t_after - t_at).abs() < (b0 - a0) * 1e-3,
        "the time under the cursor stays put"
    );
    assert!(a1 > a0 && b1 < b0, "the window shrinks around the cursor");

    // Double-click the conversion span of the gateway: the window becomes that span.
    let conv = by_name(&s, t, "type.convert.[]byte.to.*dto.CreateOrderReq");
    h.state_mut().view.fit();
    h.run();
    let r = h.state().view.span_rect(conv).expect("conversion visible");
    let p = r.center();
    for _ in 0..2 {
        h.drag_at(p);
        h.drop_at(p);
    }
    h.run();
    let (a2, b2) = h.state().view.visible_time().expect("window");
    let sp = s.store.span(conv);
    let (st, en) = (sp.start as f64, sp.end as f64);
    assert!(a2 <= st && b2 >= en, "span inside the window");
    assert!(
        b2 - a2 < (en - st) * 1.2,
        "and fills it: {} vs {}",
        b2 - a2,
        en - st
    );
}

#[test]
fn selecting_a_span_elsewhere_brings_it_into_view() {
    let s = session("checkout-broken.json");
    let (gw, pay) = (
        "a7d2c41e9b3f4e08b5c6d7e8f9a0b1c2",
        "3f9e8d7c6b5a49382716059483726150",
    );
    let server = span_index(&s, pay, "cb94a4fa6bd3b4a3");
    let mut h = chart_harness(s.clone(), Selection::Trace(trace_index(&s, gw)), true);
    // Stitched: the server root of the other trace is drawn in this chart.
    assert!(h.state().view.span_rect(server).is_some());
    h.state_mut().selection = Selection::Span(server);
    h.run();
    assert_eq!(
        h.state().view.trace(),
        Some(trace_index(&s, gw)),
        "stays on the stitched chart"
    );
    assert!(h.state().view.span_rect(server).is_some());
}

#[test]
fn snapshots_of_the_detached_root_trace() {
    let s = session("checkout-broken.json");
    let t = trace_index(&s, "c0a8016e5d4c4b3a9f8e7d6c5b4a3921");
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    h.snapshot("flame_chart_detached_root");
    h.state_mut().view.set_stitch(true);
    h.run();
    let root = span_index(&s, "91d35e7a0c2b4f6e8d1a3c5e7f9b2d40", "e8c230867741a9fb");
    assert!(
        h.state().view.span_rect(root).is_some(),
        "the detached root is drawn stitched"
    );
    h.snapshot("flame_chart_detached_root_stitched");
}

/// The healthy sample's batch consumer (trace 8f41…) links the order-events producers of
/// three traces: from the first producer's trace, Stitch draws all four traces, the batch
/// under its first producer, every joint a link and no bar broken (docs/breaks.md pictures
/// this snapshot).
#[test]
fn snapshot_of_a_linked_batch_consumer_stitched() {
    let s = session("checkout-healthy.json");
    let first = "5c1e7a903d2b4f688e41b2c7d9f01a35";
    let t = trace_index(&s, first);
    let batch = by_name(
        &s,
        trace_index(&s, "8f41adc36a5e42abb174e5fa02c34d68"),
        "order-events process",
    );
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    assert!(
        h.state().view.span_rect(batch).is_none(),
        "another trace without Stitch"
    );
    h.state_mut().view.set_stitch(true);
    h.run();
    // The batch started 2.5 s after the first producer: fit the stitched chart to see it.
    h.state_mut().view.fit();
    h.run();
    assert!(
        h.state().view.span_rect(batch).is_some(),
        "the batch drawn stitched"
    );
    let fx = FlameIndex::new(&s.store, &s.analysis);
    let l = TraceLayout::build(&s.store, &fx, t, true);
    assert_eq!(l.traces.len(), 4);
    assert_eq!(l.joints.len(), 3);
    let bar = l.bar_of_span(batch).expect("batch bar");
    let producer = by_name(&s, t, "order-events publish");
    assert_eq!(
        l.bars[bar as usize].parent,
        l.bar_of_span(producer).unwrap()
    );
    assert!(l.bars[bar as usize].marks & marks::LINKED != 0);
    assert!(l.bars.iter().all(|b| b.marks & marks::BREAK == 0));
    h.snapshot("flame_chart_linked_stitched");
}

struct GraphState {
    view: FlameGraphView,
    session: Arc<Session>,
    navs: Vec<Nav>,
}

fn graph_harness(session: Arc<Session>, filter: Option<Vec<u32>>) -> Harness<'static, GraphState> {
    let mut view = FlameGraphView::default();
    view.reset(&session);
    view.set_trace_filter(filter);
    let state = GraphState {
        view,
        session,
        navs: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size(vec2(1200.0, 300.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(60)
        .with_context_setup(tracetopo::app::fonts::install)
        .build_ui_state(
            |ui, st: &mut GraphState| {
                let mut cx = ViewCtx::new(&st.session, Selection::None);
                st.view.ui(ui, &mut cx);
                let navs = cx.take_nav();
                st.navs.extend(navs);
            },
            state,
        );
    h.run();
    h
}

#[test]
fn clicking_a_flame_graph_frame_filters_traces_by_its_path() {
    let s = session("checkout-healthy.json");
    let mut h = graph_harness(s.clone(), None);
    let path = [("loadgen", "POST"), ("api-gateway", "POST /orders")];
    let g = h.state().view.graph().expect("built");
    let f = g.find(&s.store, &path).expect("frame");
    let r = h.state().view.frame_rect(f).expect("frame visible");
    h.drag_at(r.center());
    h.drop_at(r.center());
    h.run();
    let want: Vec<(String, String)> = path
        .iter()
        .map(|&(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(h.state().navs, vec![Nav::FilterTracesByFrame(want)]);
    h.snapshot("flame_graph_healthy");

    // Double-click zooms the window to the frame.
    let fr = h.state().view.graph().expect("built").frames[f as usize];
    let p = h.state().view.frame_rect(f).expect("visible").center();
    for _ in 0..2 {
        h.drag_at(p);
        h.drop_at(p);
    }
    h.run();
    let (a, b) = h.state().view.visible().expect("window");
    assert!(a <= fr.x && b >= fr.x + fr.width, "frame inside the window");
    assert!(b - a < fr.width * 1.1, "and fills it");
}

#[test]
fn degenerate_traces_draw_without_panicking() {
    // A zero-length root, a span ending before it starts, an orphan: each drawn, none lost.
    let json = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
      "scopeSpans":[{"spans":[
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000001","name":"zero","kind":2,
         "startTimeUnixNano":"1000","endTimeUnixNano":"1000"},
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000002","parentSpanId":"0000000000000001",
         "name":"backwards","startTimeUnixNano":"1000","endTimeUnixNano":"500"},
        {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000003","parentSpanId":"00000000000000ff",
         "name":"orphan","startTimeUnixNano":"1000","endTimeUnixNano":"1000"}]}]}]}"#;
    let mut store = Store::new();
    tracetopo::ingest::load_bytes(
        &mut store,
        "tiny.json",
        json.as_bytes(),
        &LoadOptions::default(),
    )
    .expect("loads");
    let s = Session::build(store, Options::default());
    let mut h = chart_harness(s.clone(), Selection::None, true);
    assert_eq!(h.state().view.trace(), Some(0));
    let at = h.state().view.lanes_rect().center();
    wheel(&h, at, 500.0);
    h.run();
    h.drag_at(at);
    h.hover_at(at + vec2(50.0, 30.0));
    h.drop_at(at + vec2(50.0, 30.0));
    h.run();
    let (a, b) = h.state().view.visible_time().expect("window");
    assert!(a.is_finite() && b.is_finite() && b > a);
    let fx = FlameIndex::new(&s.store, &s.analysis);
    let l = TraceLayout::build(&s.store, &fx, 0, false);
    assert_eq!(l.bars.iter().filter(|b| b.span != NONE).count(), 3);
    assert!(l.bars.iter().all(|b| b.end >= b.start));
    let mut g = graph_harness(s.clone(), None);
    g.run();
    assert_eq!(g.state().view.graph().map(|g| g.traces), Some(1));
}

#[test]
fn an_empty_session_says_so() {
    let s = Session::build(Store::new(), Options::default());
    let h = chart_harness(s.clone(), Selection::None, false);
    use egui_kittest::kittest::Queryable;
    assert!(h.query_by_label("No traces loaded.").is_some());
    let g = graph_harness(s, None);
    assert_eq!(
        g.state().view.graph().map(|g| g.frames.len()),
        Some(1),
        "just the root"
    );
}

/// A trace above the threshold is laid out on a thread: the first frame shows progress and
/// returns at once, and the chart appears when the layout arrives.
#[test]
fn a_large_trace_is_laid_out_off_the_ui_thread() {
    let cfg = tracetopo::synth::LargeConfig {
        traces: 1,
        spans_per_trace: 25_000,
        breaks_per_mille: 0,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    tracetopo::synth::write_jsonl(&mut bytes, &cfg, |_| {}).expect("generate");
    let mut store = tracetopo::model::Store::new();
    tracetopo::ingest::load_bytes(&mut store, "big.jsonl", &bytes, &Default::default())
        .expect("load");
    let session = Session::build(store, tracetopo::analysis::Options::default());
    let t = session
        .store
        .index
        .traces
        .iter()
        .position(|t| t.len == 25_000)
        .expect("one big trace") as u32;

    let ctx = egui::Context::default();
    let mut view = FlameChartView::default();
    view.reset(&session);
    let draw = |view: &mut FlameChartView| {
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            view.ui(ui, &mut ViewCtx::new(&session, Selection::Trace(t)));
        });
        out.textures_delta.clear();
    };
    draw(&mut view);
    assert_eq!(
        view.trace(),
        None,
        "the first frame does not wait for the layout"
    );
    let started = std::time::Instant::now();
    while view.trace().is_none() && started.elapsed() < std::time::Duration::from_secs(120) {
        draw(&mut view);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(view.trace(), Some(t));
}

#[test]
fn a_new_session_showing_the_same_trace_keeps_the_window() {
    let s = session("checkout-healthy.json");
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let t = trace_index(&s, id);
    let mut h = chart_harness(s.clone(), Selection::Trace(t), false);
    let (a0, b0) = h.state().view.visible_time().expect("window");
    let (lo, hi) = (a0 + (b0 - a0) * 0.25, a0 + (b0 - a0) * 0.5);
    h.state_mut().view.show_time(lo as u64, hi as u64);
    h.run();
    let zoomed = h.state().view.visible_time().expect("window");
    assert!(zoomed.1 - zoomed.0 < (b0 - a0) * 0.3);

    // A live snapshot: the same data (and so the same trace) in a new session, where the
    // healthy sample loaded after the broken one numbers the trace differently.
    let mut store = Store::new();
    for f in ["checkout-broken.json", "checkout-healthy.json"] {
        load_path(&mut store, &crate::util::sample(f), &LoadOptions::default())
            .expect("sample loads");
    }
    let next = Session::build(store, Options::default());
    let t2 = trace_index(&next, id);
    // The app's `Views` registry gives every view the new session.
    h.state_mut().view.reset(&next);
    h.state_mut().session = next.clone();
    h.state_mut().selection = Selection::Trace(t2);
    h.run();
    let kept = h.state().view.visible_time().expect("window");
    assert!(
        (kept.0 - zoomed.0).abs() < 1.0 && (kept.1 - zoomed.1).abs() < 1.0,
        "{zoomed:?} → {kept:?}"
    );

    // Another trace starts fitted.
    let other = (0..next.store.index.traces.len() as u32)
        .find(|&k| k != t2)
        .unwrap();
    h.state_mut().selection = Selection::Trace(other);
    h.run();
    let info = next.store.index.traces[other as usize];
    let (a, b) = h.state().view.visible_time().expect("window");
    assert!(a <= info.start as f64 && b >= info.end as f64 - 1.0);
}
