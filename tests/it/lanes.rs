//! Lanes by goroutine on the bundled samples: the layout checked against the spans' own
//! goroutine ids and parents, and the Trace view switched to lanes with egui_kittest (lane
//! labels, click to select, hover, the L key), with a snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tracetopo::analysis::flame::FlameIndex;
use tracetopo::analysis::lanes::{ArrowKind, LaneLayout};
use tracetopo::app::state::{Nav, Selection, Session, View, ViewCtx};
use tracetopo::app::views::trace::FlameChartView;
use tracetopo::model::NONE;

use crate::util::session;

const CHECKOUT: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn trace_index(s: &Session, hex: &str) -> u32 {
    let id = u128::from_str_radix(hex, 16).expect("hex id");
    s.trace_number(id).expect("trace loaded")
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

fn lanes(s: &Session, traces: &[u32]) -> LaneLayout {
    let fx = FlameIndex::new(&s.store, &s.analysis);
    LaneLayout::build(&s.store, &fx, traces)
}

/// The label each goroutine of each process of trace `t` should get, counted from the spans'
/// own goroutine ids: `g519 · 1 span`.
fn expected_labels(s: &Session, t: u32) -> Vec<String> {
    let mut counts: BTreeMap<(u32, i64), u64> = BTreeMap::new();
    for i in s.store.index.traces[t as usize].range() {
        let i = i as u32;
        if let Some(g) = s.store.span(i).goroutine() {
            *counts.entry((s.store.process_of(i), g)).or_default() += 1;
        }
    }
    counts
        .iter()
        .map(|(&(_, g), &n)| format!("g{g} · {n} span{}", if n == 1 { "" } else { "s" }))
        .collect()
}

/// (kind, parent span's name or "" from nowhere) of the arrow into span `i`.
fn arrow_into(s: &Session, l: &LaneLayout, i: u32) -> Option<(ArrowKind, String)> {
    let b = l.bars[l.bar_of_span(i).expect("drawn") as usize];
    let a = l.arrows.get(b.arrow as usize)?;
    let from = match a.from {
        NONE => String::new(),
        f => s
            .store
            .str(s.store.span(l.bars[f as usize].span).name)
            .to_string(),
    };
    Some((a.kind, from))
}

#[test]
fn lanes_of_the_healthy_checkout_follow_its_goroutines() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, CHECKOUT);
    let l = lanes(&s, &[t]);
    let info = s.store.index.traces[t as usize];
    assert_eq!(l.bars.len(), info.len as usize, "every span in one lane");
    let mut labels: Vec<String> = (0..l.groups.len() as u32)
        .map(|g| l.group_label(&s.store, g))
        .collect();
    labels.sort();
    let mut want = expected_labels(&s, t);
    want.sort();
    assert_eq!(labels, want, "README: every span records its goroutine");
    // Each span sits in its goroutine's group, and no two bars of a row overlap.
    for b in &l.bars {
        let g = l.groups[b.group as usize];
        assert_eq!(g.goroutine, s.store.span(b.span).goroutine());
        assert_eq!(g.process, s.store.process_of(b.span));
        assert!((g.first_row..g.first_row + g.rows).contains(&b.row));
    }
    for k in 0..l.row_count() {
        let row = &l.bars[l.row(k)];
        assert!(row.windows(2).all(|w| w[0].end <= w[1].start), "row {k}");
    }
    // An arrow wherever a parent and its child ran on different goroutines or processes.
    let hops = info
        .range()
        .map(|i| i as u32)
        .filter(|&i| {
            s.store.parent(i).is_some_and(|p| {
                s.store.process_of(p) != s.store.process_of(i)
                    || s.store.span(p).goroutine() != s.store.span(i).goroutine()
            })
        })
        .count();
    assert_eq!(l.arrows.len(), hops);
    assert!(hops > 0);
    assert!(
        l.arrows
            .iter()
            .all(|a| matches!(a.kind, ArrowKind::GoroutineHop | ArrowKind::ProcessHop)),
        "a healthy trace loses no parent"
    );
    // README: payment-svc runs the charge on its own goroutine 519; inventory-consumer
    // consumes the message after the producer ended, from another process.
    let charge = by_name(&s, t, "payment.Charge");
    assert_eq!(
        arrow_into(&s, &l, charge),
        Some((ArrowKind::GoroutineHop, "POST /v1/payments".to_string()))
    );
    let consume = by_name(&s, t, "orders process");
    let (kind, _) = arrow_into(&s, &l, consume).expect("an arrow into the consumer");
    assert_eq!(kind, ArrowKind::ProcessHop);
}

#[test]
fn lanes_show_lost_parents_of_the_broken_sample() {
    let s = session("checkout-broken.json");
    // detached_root: alone, the root comes from nowhere; stitched, from the request's span.
    let (req, bg) = (
        "c0a8016e5d4c4b3a9f8e7d6c5b4a3921",
        "91d35e7a0c2b4f6e8d1a3c5e7f9b2d40",
    );
    let root = span_index(&s, bg, "e8c230867741a9fb");
    let alone = lanes(&s, &[trace_index(&s, bg)]);
    assert_eq!(
        arrow_into(&s, &alone, root),
        Some((ArrowKind::DetachedRoot, String::new()))
    );
    let both = lanes(&s, &[trace_index(&s, req), trace_index(&s, bg)]);
    assert_eq!(
        arrow_into(&s, &both, root),
        Some((
            ArrowKind::DetachedRoot,
            "order.OrderService/CreateOrder".to_string()
        ))
    );
    // orphan_span: the SELECT whose parent was lost comes from nowhere.
    let orphan_trace = "6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51";
    let l = lanes(&s, &[trace_index(&s, orphan_trace)]);
    let select = span_index(&s, orphan_trace, "c4e6180e4317825f");
    assert_eq!(
        arrow_into(&s, &l, select),
        Some((ArrowKind::MissingParent, String::new()))
    );
    // propagation_break: payment-svc's own trace starts from nowhere.
    let pay = "3f9e8d7c6b5a49382716059483726150";
    let l = lanes(&s, &[trace_index(&s, pay)]);
    let server = span_index(&s, pay, "cb94a4fa6bd3b4a3");
    assert_eq!(
        arrow_into(&s, &l, server),
        Some((ArrowKind::PropagationBreak, String::new()))
    );
    // span_outlives_parent started inside its parent: a hop, not a stale parent.
    let t = trace_index(&s, "5d2c7e9a1b3f4c6d8e0a2b4c6d8e0f13");
    let l = lanes(&s, &[t]);
    let notify = by_name(&s, t, "order.notifyWarehouse");
    let (kind, _) = arrow_into(&s, &l, notify).expect("goroutine 281");
    assert_eq!(kind, ArrowKind::GoroutineHop);
}

struct ChartState {
    view: FlameChartView,
    session: Arc<Session>,
    selection: Selection,
    navs: Vec<Nav>,
}

fn lanes_harness(
    session: Arc<Session>,
    selection: Selection,
    height: f32,
) -> Harness<'static, ChartState> {
    let mut view = FlameChartView::default();
    view.reset(&session);
    let state = ChartState {
        view,
        session,
        selection,
        navs: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size(vec2(1200.0, height))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(60)
        .with_context_setup(tracetopo::app::fonts::install)
        .build_ui_state(
            |ui, st: &mut ChartState| {
                let mut cx = ViewCtx::new(&st.session, st.selection);
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
fn the_trace_view_switches_to_lanes_and_selects_by_click() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, CHECKOUT);
    let mut h = lanes_harness(s.clone(), Selection::Trace(t), 420.0);
    assert!(!h.state().view.lanes_on());
    // The Lanes toggle beside the mode controls.
    h.get_by_label("Lanes").click();
    h.run();
    assert!(h.state().view.lanes_on());
    assert!(h.state().view.lane_layout().is_some());
    // Every goroutine's lane is labelled with its id and span count.
    for label in expected_labels(&s, t) {
        assert!(h.query_by_label(&label).is_some(), "lane label {label}");
    }
    // Services head their groups (and are in the legend above).
    assert!(h.query_all_by_label("inventory-consumer").count() >= 2);
    h.snapshot("trace_lanes_healthy");

    // Hover shows the span and its lane; a click selects it.
    let charge = by_name(&s, t, "payment.Charge");
    let r = h
        .state()
        .view
        .span_rect(charge)
        .expect("payment.Charge visible");
    h.hover_at(r.center());
    h.run_steps(40);
    assert!(
        h.query_by_label_contains("lane: g519 · 1 span of payment-svc")
            .is_some()
    );
    assert!(h.query_by_label("goroutine hop from its parent").is_some());
    h.drag_at(r.center());
    h.drop_at(r.center());
    h.run();
    assert_eq!(h.state().navs, vec![Nav::Select(Selection::Span(charge))]);

    // The same key switches back to the flame chart, where the span is drawn elsewhere.
    h.key_press(egui::Key::L);
    h.run();
    assert!(!h.state().view.lanes_on());
    let flame = h
        .state()
        .view
        .span_rect(charge)
        .expect("drawn in the flame chart");
    assert!((flame.top() - r.top()).abs() > 1.0, "{flame:?} vs {r:?}");
}

#[test]
fn selecting_a_span_elsewhere_scrolls_its_lane_into_view() {
    let s = session("checkout-healthy.json");
    let t = trace_index(&s, CHECKOUT);
    // Too short for every lane: the consumer's are below the fold.
    let mut h = lanes_harness(s.clone(), Selection::Trace(t), 200.0);
    h.state_mut().view.set_lanes(true);
    h.run();
    let stock = by_name(&s, t, "UPDATE acme.stock");
    assert!(
        h.state().view.span_rect(stock).is_none(),
        "starts out of view"
    );
    h.state_mut().selection = Selection::Span(stock);
    h.run();
    let r = h.state().view.span_rect(stock).expect("scrolled into view");
    assert!(h.state().view.lanes_rect().contains(r.center()));
    // Its lane's label is shown with it.
    let l = h.state().view.lane_layout().expect("laid out");
    let b = l.bars[l.bar_of_span(stock).expect("drawn") as usize];
    let label = l.group_label(&s.store, b.group);
    assert!(h.query_by_label(&label).is_some(), "{label}");
}
