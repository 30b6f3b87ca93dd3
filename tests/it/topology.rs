//! The Services and Types views driven through egui_kittest on the bundled samples: clicking
//! an edge lists its calls, dragging the background pans, Fit restores the view, picking a
//! chain highlights its services, clicking a type lists its chains, and snapshots of both views
//! (software rendering).

use std::sync::Arc;

use egui::{Event, Modifiers, PointerButton, Pos2, Role, Vec2, pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use petgraph::graph::NodeIndex;
use tracetopo::analysis::Options;
use tracetopo::analysis::layout::Point;
use tracetopo::analysis::service_view::{Grouping, ServiceFilter, ServiceView, service_view};
use tracetopo::app::state::{Nav, Selection, Session, TraceFilter, View, ViewCtx};
use tracetopo::app::views::services::ServicesView;
use tracetopo::app::views::types::TypesView;
use tracetopo::export::ExportView;
use tracetopo::export::scene::{Prim, Scene};
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
    /// The Traces view's filter the view follows.
    filter: TraceFilter,
}

impl<V: View> Shell<V> {
    fn new(session: Arc<Session>, mut view: V) -> Self {
        view.reset(&session);
        Shell {
            session,
            view,
            selection: Selection::None,
            navs: Vec::new(),
            filter: TraceFilter::default(),
        }
    }

    /// A new session (a load or a live snapshot), given to the view as the app's `Views`
    /// registry gives it.
    fn install(&mut self, session: Arc<Session>) {
        self.view.reset(&session);
        self.session = session;
    }

    fn frame(&mut self, ui: &mut egui::Ui) {
        let mut cx = ViewCtx::new(&self.session, self.selection);
        cx.filter = self.filter.clone();
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
    h.state_mut().install(Arc::clone(&broken));
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
    h.state_mut().install(session("checkout-broken.json"));
    h.run_steps(3);
    assert_eq!(h.state().view.camera(), zoomed);
}

/// A generated mesh (`tracetopo generate mesh`) as the app's session of it.
fn mesh(services: u32, edges: u32) -> Arc<Session> {
    let cfg = tracetopo::synth::MeshConfig {
        services,
        edges,
        seed: 1,
    };
    let mut bytes = Vec::new();
    tracetopo::synth::write_mesh(&mut bytes, &cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new();
    ingest::load_bytes(&mut store, "mesh.jsonl", &bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Session::build(store, Options::default())
}

/// Whether two boxes (min, max) share any area.
fn overlap(a: (Point, Point), b: (Point, Point)) -> bool {
    a.0.x < b.1.x && b.0.x < a.1.x && a.0.y < b.1.y && b.0.y < a.1.y
}

/// No two labels and no label and node overlap, and no two nodes; returns the labels shown.
fn assert_readable(scene: &Scene, what: &str) -> usize {
    let labels: Vec<_> = scene.label_boxes().collect();
    let nodes: Vec<_> = scene.node_boxes().collect();
    for (i, &a) in labels.iter().enumerate() {
        for &b in &labels[i + 1..] {
            assert!(!overlap(a, b), "{what}: labels {a:?} and {b:?} overlap");
        }
        for &n in &nodes {
            assert!(!overlap(a, n), "{what}: label {a:?} covers node {n:?}");
        }
    }
    for (i, &a) in nodes.iter().enumerate() {
        for &b in &nodes[i + 1..] {
            assert!(!overlap(a, b), "{what}: nodes {a:?} and {b:?} overlap");
        }
    }
    // Every label drawn is a box with its text, and every box drawn is a placed label.
    let drawn = scene
        .edges
        .iter()
        .flat_map(|e| &e.prims)
        .filter(|p| matches!(p, Prim::Label { lines, .. } if !lines.is_empty()))
        .count();
    assert_eq!(
        drawn,
        scene.edges.iter().filter(|e| e.label_box.is_some()).count()
    );
    labels.len()
}

fn scene_of(s: &Session, view: ExportView, filter: &ServiceFilter) -> Scene {
    tracetopo::export::scene_filtered(&s.store, &s.analysis, view, filter)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn labels_overlap_no_label_and_no_node_at_any_size() {
    let m12 = mesh(12, 132);
    let m300 = mesh(300, 2000);
    assert_eq!(m12.analysis.services.graph.edge_count(), 132);
    assert_eq!(m300.analysis.services.graph.edge_count(), 2000);
    let focus = ServiceFilter {
        focus: Some("payments/api".into()),
        depth: 1,
        ..ServiceFilter::default()
    };
    let grouped = ServiceFilter {
        group: Grouping::ServiceNamespace,
        expanded: ["payments".to_string()].into(),
        ..ServiceFilter::default()
    };
    let focus_grouped = ServiceFilter {
        group: Grouping::ServiceNamespace,
        expanded: ["payments".to_string()].into(),
        ..focus.clone()
    };
    let whole = ServiceFilter::default();
    let mut shown = 0;
    // Breadth-first layers: the 300 services in a few columns, not hundreds.
    let whole300 = scene_of(&m300, ExportView::Services, &whole);
    let columns = whole300
        .layout
        .nodes
        .iter()
        .map(|n| n.layer)
        .max()
        .unwrap_or(0)
        + 1;
    assert!(columns <= 12, "{columns} columns");
    for (name, s, filter) in [
        ("12 × 132", &m12, &whole),
        ("300 × 2000", &m300, &whole),
        ("300 × 2000 focused", &m300, &focus),
        ("300 × 2000 grouped", &m300, &grouped),
        ("300 × 2000 focused, grouped", &m300, &focus_grouped),
    ] {
        let scene = scene_of(s, ExportView::Services, filter);
        if name.ends_with("focused, grouped") {
            assert!(!scene.frames.is_empty(), "an open group is framed");
        }
        shown += assert_readable(&scene, name);
    }
    for name in crate::util::SAMPLES {
        let s = session(name);
        for view in [ExportView::Services, ExportView::Types] {
            let scene = scene_of(&s, view, &whole);
            // The samples are small: every edge keeps its label.
            let labelled = assert_readable(&scene, name);
            assert_eq!(labelled, scene.edges.len(), "{name} {view:?}");
        }
    }
    assert!(
        shown > 100,
        "only {shown} labels placed: the test tests little"
    );
}

#[test]
fn grouping_by_namespace_merges_services_and_their_calls() {
    let s = mesh(12, 132);
    let g = &s.analysis.services;
    let view = |filter: &ServiceFilter| {
        service_view(&s.store, g, filter).unwrap_or_else(|e| panic!("{e}"))
    };
    let names = |v: &ServiceView| {
        let mut out: Vec<String> = v
            .nodes
            .iter()
            .map(|n| match n.node() {
                Some(m) => g.graph[NodeIndex::new(m as usize)].name.clone(),
                None => format!(
                    "[{}: {}]",
                    n.group.clone().unwrap_or_default(),
                    n.members.len()
                ),
            })
            .collect();
        out.sort();
        out
    };
    let mut f = ServiceFilter {
        group: Grouping::ServiceNamespace,
        ..ServiceFilter::default()
    };
    let v = view(&f);
    assert_eq!(
        names(&v),
        ["[catalog: 4]", "[checkout: 4]", "[payments: 4]"]
    );
    // Every group calls both others; the 12 calls among each group's 4 services are inside.
    assert_eq!(v.edges.len(), 6);
    for n in &v.nodes {
        let inside: u64 = g
            .graph
            .edge_indices()
            .filter(|&e| {
                let (a, b) = g.graph.edge_endpoints(e).unwrap_or_else(|| panic!("edge"));
                n.members.contains(&(a.index() as u32)) && n.members.contains(&(b.index() as u32))
            })
            .map(|e| g.graph[e].calls)
            .sum();
        assert!(inside > 0);
        assert_eq!(n.inner_calls, inside);
    }
    let calls: u64 = g.graph.edge_weights().map(|e| e.calls).sum();
    let drawn: u64 = v.edges.iter().map(|e| e.calls).sum::<u64>()
        + v.nodes.iter().map(|n| n.inner_calls).sum::<u64>();
    assert_eq!(drawn, calls, "no call lost or counted twice");

    // Opening payments shows its four services, each calling and called by both groups.
    f.expanded.insert("payments".into());
    let v = view(&f);
    assert_eq!(
        names(&v),
        [
            "[catalog: 4]",
            "[checkout: 4]",
            "payments/api",
            "payments/gateway",
            "payments/store",
            "payments/worker"
        ]
    );
    assert_eq!(v.edges.len(), 2 + 4 * 2 * 2 + 4 * 3);

    // Kubernetes namespaces: checkout and payments share team-1.
    let k8s = view(&ServiceFilter {
        group: Grouping::K8sNamespace,
        ..ServiceFilter::default()
    });
    assert_eq!(names(&k8s), ["[team-1: 8]", "[team-2: 4]"]);
    assert_eq!(k8s.edges.len(), 2);
}

#[test]
fn services_view_focuses_a_service_found_by_search_and_its_depth() {
    let s = session("checkout-broken.json");
    let mut h = harness(Arc::clone(&s), ServicesView::new());
    let drawn = |h: &Harness<'_, Shell<ServicesView>>| {
        let mut names: Vec<String> = h
            .state()
            .view
            .drawn_services()
            .into_iter()
            .map(|n| {
                s.analysis.services.graph[NodeIndex::new(n as usize)]
                    .name
                    .clone()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(drawn(&h).len(), 7, "every service before a focus");
    let search = h.get_by_role(Role::TextInput);
    search.click();
    h.run_steps(1);
    h.get_by_role(Role::TextInput).type_text("ORDER");
    h.run_steps(2);
    // The matches are offered as buttons; one click focuses.
    h.get_by_role_and_label(Role::Button, "order-svc").click();
    h.run_steps(3);
    assert_eq!(h.state().view.filter().focus.as_deref(), Some("order-svc"));
    // One hop: its caller and callees; not api-gateway's other callees.
    assert_eq!(
        drawn(&h),
        ["api-gateway", "audit-svc", "order-svc", "postgresql"]
    );
    // Two hops: the caller's caller too.
    h.get_by_role(Role::Slider).increment_accesskit();
    h.run_steps(3);
    assert_eq!(h.state().view.filter().depth, 2);
    assert_eq!(
        drawn(&h),
        [
            "api-gateway",
            "audit-svc",
            "loadgen",
            "order-svc",
            "postgresql"
        ]
    );
    // Back to every service.
    h.get_by_label("✕ all services").click();
    h.run_steps(3);
    assert_eq!(drawn(&h).len(), 7);
}

#[test]
fn a_live_snapshot_of_the_same_graph_reuses_the_layout() {
    let mut h = harness(session("checkout-broken.json"), ServicesView::new());
    assert_eq!(h.state().view.layouts(), 1);
    // The same data again (as a live snapshot that added nothing to the graph).
    h.state_mut().install(session("checkout-broken.json"));
    h.run_steps(3);
    assert!(h.state().view.is_laid_out());
    assert_eq!(h.state().view.layouts(), 1, "laid out again");
    // Another graph is laid out.
    h.state_mut().install(session("checkout-healthy.json"));
    h.run_steps(3);
    assert_eq!(h.state().view.layouts(), 2);
}

#[test]
fn a_large_graph_with_namespaces_opens_grouped() {
    let m300 = mesh(300, 2000);
    let mut large = Shell::new(Arc::clone(&m300), ServicesView::new());
    assert_eq!(large.view.filter().group, Grouping::ServiceNamespace);
    // The user's "no groups" stays when the next snapshot arrives.
    let mut whole = large.view.filter().clone();
    whole.group = Grouping::None;
    large.view.set_filter(whole);
    large.view.reset(&m300);
    assert_eq!(large.view.filter().group, Grouping::None);
    let small = Shell::new(mesh(12, 132), ServicesView::new());
    assert_eq!(small.view.filter().group, Grouping::None);
}

/// With nothing selected, the Services view highlights the services and calls of the traces
/// the Traces view lists (its filters or its TraceQL query), and draws as before when every
/// trace is listed again.
#[test]
fn the_services_view_highlights_the_listed_traces() {
    let s = session("checkout-broken.json");
    let audit = s
        .store
        .index
        .traces
        .binary_search_by_key(&0x91d35e7a0c2b4f6e8d1a3c5e7f9b2d40, |t| t.id)
        .expect("the audit.Write trace") as u32;
    let mut h = harness(s.clone(), ServicesView::new());
    let all = h.render().unwrap_or_else(|e| panic!("{e}"));
    h.state_mut().filter = TraceFilter {
        generation: 1,
        traces: Some(Arc::from([audit])),
        ..TraceFilter::default()
    };
    h.run_steps(3);
    let listed = h.render().unwrap_or_else(|e| panic!("{e}"));
    let changed = all
        .pixels()
        .zip(listed.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > 100,
        "the listed part is highlighted ({changed} pixels)"
    );
    h.state_mut().filter = TraceFilter {
        generation: 2,
        ..TraceFilter::default()
    };
    h.run_steps(3);
    let again = h.render().unwrap_or_else(|e| panic!("{e}"));
    assert!(all == again, "every trace listed: no highlight");
}
