//! The Services and Types views driven through egui_kittest on the bundled samples: clicking
//! an edge lists its calls, dragging the background pans, Fit restores the view, picking a
//! chain highlights its services, clicking a type lists its chains, and snapshots of both views
//! (software rendering).

use std::sync::Arc;

use egui::{Event, Modifiers, PointerButton, Pos2, Vec2, pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use petgraph::graph::NodeIndex;
use tracetopo::analysis::Options;
use tracetopo::app::state::{Nav, Selection, Session, View, ViewCtx};
use tracetopo::app::views::services::ServicesView;
use tracetopo::app::views::types::TypesView;
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::model::Store;
use tracetopo::synth::{LargeConfig, write_jsonl};

const SIZE: Vec2 = Vec2::new(1400.0, 760.0);

use crate::util::session;

/// A view with the bits of the app it needs: the shared selection, updated from `Nav::Select`,
/// and the other navigation requests kept for inspection.
struct Shell<V> {
    session: Arc<Session>,
    view: V,
    selection: Selection,
    navs: Vec<Nav>,
}

impl<V: View> Shell<V> {
    fn new(session: Arc<Session>, mut view: V) -> Self {
        view.reset(&session);
        Shell {
            session,
            view,
            selection: Selection::None,
            navs: Vec::new(),
        }
    }

    fn frame(&mut self, ui: &mut egui::Ui) {
        let mut cx = ViewCtx::new(&self.session, self.selection);
        self.view.ui(ui, &mut cx);
        for nav in cx.take_nav() {
            match nav {
                Nav::Select(s) => self.selection = s,
                other => self.navs.push(other),
            }
        }
    }
}

fn harness<V: View + 'static>(session: Arc<Session>, view: V) -> Harness<'static, Shell<V>> {
    harness_of(Shell::new(session, view))
}

fn harness_of<V: View + 'static>(shell: Shell<V>) -> Harness<'static, Shell<V>> {
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_theme(egui::Theme::Light)
        .with_context_setup(tracetopo::app::fonts::install)
        .build_ui_state(|ui, s: &mut Shell<V>| s.frame(ui), shell);
    h.run_steps(3);
    h
}

fn click_at<S>(h: &mut Harness<'_, S>, p: Pos2) {
    h.hover_at(p);
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: p,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(2);
}

fn service_node(s: &Session, name: &str) -> usize {
    let g = &s.analysis.services.graph;
    g.node_indices()
        .find(|&n| g[n].name == name)
        .map(|n| n.index())
        .unwrap_or_else(|| panic!("no service {name}"))
}

fn service_edge(s: &Session, from: &str, to: &str) -> usize {
    let g = &s.analysis.services.graph;
    let (a, b) = (service_node(s, from), service_node(s, to));
    g.find_edge(NodeIndex::new(a), NodeIndex::new(b))
        .map(|e| e.index())
        .unwrap_or_else(|| panic!("no edge {from} → {to}"))
}

#[test]
fn clicking_an_edge_lists_its_calls_and_a_call_opens_its_trace() {
    let s = session("checkout-broken.json");
    let e = service_edge(&s, "api-gateway", "order-svc");
    let calls = s.analysis.services.graph[petgraph::graph::EdgeIndex::new(e)]
        .spans
        .clone();
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    assert!(h.state().view.is_laid_out());
    let p = h
        .state()
        .view
        .edge_screen_pos(e)
        .unwrap_or_else(|| panic!("edge not drawn"));
    click_at(&mut h, p);
    assert_eq!(h.state().selection, Selection::ServiceEdge(e as u32));
    h.run_steps(2);
    h.get_by_label("api-gateway → order-svc");
    h.get_by_label(&format!("{} calls, slowest first", calls.len()));

    // The slowest call is listed first; clicking it opens its trace focused on the span.
    let slowest = calls
        .iter()
        .copied()
        .max_by_key(|&i| (s.store.span(i).duration(), std::cmp::Reverse(i)))
        .unwrap_or_else(|| panic!("edge without calls"));
    let hex = format!("{:032x}", s.store.span(slowest).trace_id);
    h.get_by_label_contains(&hex[..12]).click();
    h.run_steps(2);
    let trace = s.store.index.span_trace[slowest as usize];
    assert_eq!(
        h.state().navs,
        vec![Nav::OpenTrace {
            trace,
            focus_span: Some(slowest)
        }]
    );
}

#[test]
fn clicking_a_node_selects_the_service() {
    let s = session("checkout-healthy.json");
    let n = service_node(&s, "通知服务");
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    let p = h
        .state()
        .view
        .node_screen_pos(n)
        .unwrap_or_else(|| panic!("node not drawn"));
    click_at(&mut h, p);
    assert_eq!(h.state().selection, Selection::Service(n as u32));
}

#[test]
fn dragging_the_background_pans_and_fit_restores() {
    let s = session("checkout-healthy.json");
    let mut h = harness(s, ServicesView::new());
    let (pan0, zoom0) = h.state().view.camera();
    // The bottom-left corner of the canvas holds no node (the layout is centred).
    let from = pos2(20.0, SIZE.y - 20.0);
    let to = from + Vec2::new(150.0, -90.0);
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    for k in 1..=5 {
        h.hover_at(from + (to - from) * (k as f32 / 5.0));
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
    let (pan1, zoom1) = h.state().view.camera();
    assert_eq!(zoom1, zoom0);
    let moved = pan1 - pan0;
    assert!((moved - (to - from)).length() < 1.0, "panned by {moved:?}");
    assert_eq!(
        h.state().selection,
        Selection::None,
        "a drag is not a click"
    );

    h.get_by_label("Fit").click();
    h.run_steps(2);
    assert_eq!(h.state().view.camera(), (pan0, zoom0));

    // Scrolling zooms around the cursor: the point under it stays put.
    let n = service_node(&h.state().session, "order-svc");
    let before = h
        .state()
        .view
        .node_screen_pos(n)
        .expect("order-svc is drawn");
    h.hover_at(before);
    h.run_steps(1);
    h.event(Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: Vec2::new(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        modifiers: Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(10);
    let (_, zoom2) = h.state().view.camera();
    assert!(zoom2 > zoom0 * 1.1, "zoom {zoom0} → {zoom2}");
    let after = h
        .state()
        .view
        .node_screen_pos(n)
        .expect("order-svc is still drawn");
    assert!((after - before).length() < 2.0, "{before:?} → {after:?}");

    // F fits again.
    h.key_press(egui::Key::F);
    h.run_steps(2);
    assert_eq!(h.state().view.camera(), (pan0, zoom0));
}

#[test]
fn picking_a_chain_highlights_the_services_it_crosses() {
    let s = session("checkout-healthy.json");
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    assert!(h.state().view.highlighted_nodes().is_empty());
    // README: the body goes []byte → *dto.CreateOrderReq → *orderpb.CreateOrderRequest in
    // api-gateway and on to *domain.Order in order-svc.
    h.get_by_label("conversion chain").click();
    h.run_steps(2);
    h.get_by_label_contains(
        "[]byte → *dto.CreateOrderReq → *orderpb.CreateOrderRequest → *domain.Order",
    )
    .click();
    h.run_steps(3);
    let Selection::Chain(c) = h.state().selection else {
        panic!("no chain selected: {:?}", h.state().selection);
    };
    let types: Vec<&str> = s.analysis.chains[c as usize]
        .types
        .iter()
        .map(|&t| s.analysis.types.type_name(t))
        .collect();
    assert_eq!(types[0], "[]byte");
    let mut lit = h.state().view.highlighted_nodes();
    lit.sort_unstable();
    let mut want = vec![
        service_node(&s, "api-gateway"),
        service_node(&s, "order-svc"),
    ];
    want.sort_unstable();
    assert_eq!(lit, want);
    h.remove_cursor();
    h.run_steps(2);
    h.snapshot("services-chain");
}

#[test]
fn clicking_a_type_lists_the_chains_through_it() {
    let s = session("checkout-healthy.json");
    let t = &s.analysis.types;
    let node = t
        .graph
        .node_indices()
        .find(|&n| t.graph[n] == "*orderpb.CreateOrderRequest")
        .unwrap_or_else(|| panic!("type missing"));
    let through: Vec<u32> = (0..s.analysis.chains.len() as u32)
        .filter(|&c| s.analysis.chains[c as usize].types.contains(&node))
        .collect();
    assert_eq!(through.len(), 1, "one checkout trace in the healthy sample");
    let mut h = harness(Arc::clone(&s), TypesView::new());
    let p = h
        .state()
        .view
        .node_screen_pos(node.index())
        .unwrap_or_else(|| panic!("not drawn"));
    click_at(&mut h, p);
    assert_eq!(h.state().selection, Selection::Type(node.index() as u32));
    h.run_steps(2);
    h.get_by_label("1 chain through this type");
    h.get_by_label_contains("in api-gateway → order-svc")
        .click();
    h.run_steps(2);
    assert_eq!(h.state().selection, Selection::Chain(through[0]));
}

#[test]
fn snapshot_services() {
    let s = session("checkout-broken.json");
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    h.snapshot("services");
}

#[test]
fn snapshot_services_with_an_edge_selected() {
    let s = session("checkout-broken.json");
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    let e = service_edge(&s, "api-gateway", "payment-svc");
    let p = h
        .state()
        .view
        .edge_screen_pos(e)
        .unwrap_or_else(|| panic!("edge not drawn"));
    click_at(&mut h, p);
    h.remove_cursor();
    h.run_steps(3);
    // README: the one call that lost its traceparent.
    h.get_by_label("1 call, slowest first");
    h.snapshot("services-edge");
}

#[test]
fn snapshot_types() {
    let mut h = harness(session("checkout-healthy.json"), TypesView::new());
    h.snapshot("types");
}

#[test]
fn a_large_graph_is_laid_out_on_a_thread() {
    let cfg = LargeConfig {
        traces: 300,
        spans_per_trace: 40,
        services: 160,
        ..LargeConfig::default()
    };
    let mut bytes = Vec::new();
    write_jsonl(&mut bytes, &cfg, |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new();
    ingest::load_bytes(&mut store, "large.jsonl", &bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let s = Session::build(store, Options::default());
    let nodes = s.analysis.services.graph.node_count();
    assert!(nodes > 100, "only {nodes} nodes: not the threaded path");
    let shell = Shell::new(s, ServicesView::new());
    assert!(
        !shell.view.is_laid_out(),
        "reset() returns before the layout exists, so the first frame does not wait for it"
    );
    let mut h = harness_of(shell);
    // A deadline far beyond the layout's time, so a slow machine does not fail the test.
    let started = std::time::Instant::now();
    while !h.state().view.is_laid_out() && started.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    assert!(h.state().view.is_laid_out(), "no layout after 120 s");
    h.run_steps(2);
    assert!(h.state().view.node_screen_pos(nodes - 1).is_some());
}

#[test]
fn a_new_session_keeps_a_moved_camera_and_refits_a_fitted_one() {
    let mut h = harness(session("checkout-healthy.json"), ServicesView::new());
    let fitted = h.state().view.camera();
    // A new session of other data (as live snapshots arrive) refits an untouched camera.
    let broken = session("checkout-broken.json");
    h.state_mut().session = Arc::clone(&broken);
    h.run_steps(3);
    let refit = h.state().view.camera();
    assert_ne!(refit, fitted, "the broken sample's graph is another shape");

    // Once the user zoomed, the next session keeps the camera.
    let p = pos2(SIZE.x / 2.0, SIZE.y / 2.0);
    h.hover_at(p);
    h.run_steps(1);
    h.event(Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: Vec2::new(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        modifiers: Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(10);
    let zoomed = h.state().view.camera();
    assert_ne!(zoomed, refit);
    h.state_mut().session = session("checkout-broken.json");
    h.run_steps(3);
    assert_eq!(h.state().view.camera(), zoomed);
}
