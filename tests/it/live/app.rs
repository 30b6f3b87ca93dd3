//! The app in live mode (egui_kittest): spans posted to its receiver appear in the views, the
//! status line shows the receiver, Pause freezes the views while spans keep arriving, Follow
//! catches up, Listen stops and restarts the receiver, and File › Save writes what arrived.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tracetopo::app::{AppConfig, TracetopoApp};
use tracetopo::ingest::{self, LoadOptions};
use tracetopo::live::LiveConfig;
use tracetopo::model::Store;

use super::request;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-traces");

fn live_app() -> Harness<'static, TracetopoApp> {
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        ..LiveConfig::default()
    };
    let mut h = Harness::builder()
        .with_size([1400.0, 860.0])
        .build_eframe(move |cc| {
            TracetopoApp::new(
                &cc.egui_ctx,
                AppConfig {
                    live: Some(cfg),
                    ..AppConfig::default()
                },
            )
        });
    h.run_steps(2);
    h
}

/// Posts a bundled sample; returns its spans as received and as indexed (identical copies
/// of a span merged).
fn post_sample(h: &Harness<'_, TracetopoApp>, name: &str) -> (usize, usize) {
    let body = std::fs::read(format!("{SAMPLES}/{name}")).unwrap();
    let (_, http) = h.state().live().unwrap().addresses().expect("listening");
    let r = request(http, "POST", &[("Content-Type", "application/json")], &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut store = Store::new();
    ingest::load_bytes(&mut store, name, &body, &LoadOptions::default()).unwrap();
    let raw = store.spans.len();
    store.build_index();
    (raw, store.spans.len())
}

/// Steps until `done` holds (bounded: 30 s).
fn step_until(h: &mut Harness<'_, TracetopoApp>, what: &str, done: impl Fn(&TracetopoApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
}

/// Steps until the status line says a snapshot newer than the one shown is waiting (bounded:
/// 30 s): the snapshot thread has published what the store took, and the views did not take it.
fn step_until_new_data_waits(h: &mut Harness<'_, TracetopoApp>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.query_by_label("▶ Follow (new data)").is_none() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for a newer snapshot"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(3);
}

fn shown_spans(app: &TracetopoApp) -> usize {
    app.session().map_or(0, |s| s.store.spans.len())
}

#[test]
fn spans_posted_to_the_app_appear_and_pause_freezes_the_views() {
    let mut h = live_app();
    h.get_by_label("Waiting for traces");
    let (_, healthy) = post_sample(&h, "checkout-healthy.json");
    step_until(&mut h, "the first spans", |a| shown_spans(a) == healthy);
    // The healthy sample's seven traces (sample-traces/README.md).
    assert_eq!(h.state().traces_view().listed().count(), 7);
    // The status line names the receiver and the spans held against the limit.
    h.get_by_label_contains("gRPC 127.0.0.1:");
    h.get_by_label_contains(&format!("{healthy} held of 2,000,000"));

    h.get_by_label("■ Pause").click();
    h.run_steps(2);
    let (broken_raw, broken) = post_sample(&h, "checkout-broken.json");
    step_until(&mut h, "the store to take the new spans", |a| {
        a.live().unwrap().stats().held == (healthy + broken_raw) as u64
    });
    // The snapshot with the new spans is published; the paused views must not take it.
    step_until_new_data_waits(&mut h);
    assert_eq!(
        shown_spans(h.state()),
        healthy,
        "paused views stay as they were"
    );

    h.get_by_label_contains("▶ Follow").click();
    step_until(&mut h, "following again", |a| {
        shown_spans(a) == healthy + broken
    });
    assert_eq!(h.state().traces_view().listed().count(), 7 + 15);

    // The service graph grew: the Services view draws the services only the second batch has.
    h.state_mut().apply(tracetopo::app::state::Nav::SwitchTab(
        tracetopo::app::state::Tab::Services,
    ));
    h.run_steps(4);
    let s = h.state().session().unwrap().clone();
    let g = &s.analysis.services.graph;
    assert!(
        g.node_indices().any(|n| g[n].name == "payment-svc"),
        "payment-svc arrived with the second batch"
    );
    // A scene still of the first batch has fewer nodes than the graph now.
    let view = h.state().services_view();
    assert!(
        g.node_indices()
            .all(|n| view.node_screen_pos(n.index()).is_some()),
        "the view draws every node of the grown graph"
    );

    // File › Save writes what arrived; it loads again with every span.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("received.jsonl");
    h.state_mut().save_to(out.clone());
    step_until(&mut h, "the save", |a| !a.is_saving());
    let saved = h.state().saved().unwrap().to_string();
    assert!(saved.starts_with("Saved"), "{saved}");
    let mut store = Store::new();
    ingest::load_path(&mut store, &out, &LoadOptions::default()).unwrap();
    assert_eq!(store.spans.len(), healthy + broken);
}

#[test]
fn the_listen_toggle_stops_and_restarts_the_receiver() {
    let mut h = live_app();
    let (_, http) = h.state().live().unwrap().addresses().unwrap();
    h.get_by_label("Listen").click();
    h.run_steps(2);
    assert!(!h.state().live().unwrap().listening());
    h.get_by_label("not listening");
    assert!(
        std::net::TcpStream::connect(http).is_err(),
        "the port is closed while not listening"
    );
    h.get_by_label("Listen").click();
    h.run_steps(2);
    assert!(h.state().live().unwrap().listening());
    let (_, n) = post_sample(&h, "checkout-broken.json");
    step_until(&mut h, "spans after restarting", |a| shown_spans(a) == n);

    // A service filter in the Traces view follows its service into the next snapshot.
    let service = |a: &TracetopoApp| {
        let s = a.session().unwrap();
        let k = a.traces_view().filter.service?;
        Some(s.store.str(s.store.index.services[k as usize]).to_string())
    };
    let s = h.state().session().unwrap().clone();
    let order = s
        .store
        .index
        .services
        .iter()
        .position(|&n| s.store.str(n) == "order-svc");
    h.state_mut().traces_view_mut().filter.service = order.map(|k| k as u32);
    h.run_steps(2);
    let listed = h.state().traces_view().listed().count();
    assert!(listed < 11, "the filter narrows the list");
    let (_, m) = post_sample(&h, "checkout-healthy.json");
    step_until(&mut h, "the second batch", |a| shown_spans(a) == n + m);
    assert_eq!(service(h.state()).as_deref(), Some("order-svc"));
    assert!(h.state().traces_view().listed().count() > listed);
}

#[test]
fn breaks_that_late_spans_could_undo_are_pending_for_the_grace_period() {
    use std::sync::Arc;
    use tracetopo::analysis::Options;
    use tracetopo::analysis::breaks::BreakKind;
    use tracetopo::app::state::Session;
    use tracetopo::ingest::otlp_json;
    use tracetopo::live::collector::LiveStore;

    let body = std::fs::read(format!("{SAMPLES}/checkout-broken.json")).unwrap();
    let mut live = LiveStore::new(1_000_000, Arc::default());
    let t0 = Instant::now();
    live.add(otlp_json::read("live", &body).unwrap(), t0);
    let grace = Duration::from_secs(10);
    let snap = live.snapshot(grace);
    let session = Session::build_with(snap.store, Options::default(), Some(snap.arrivals));
    let waiting = session
        .analysis
        .breaks
        .iter()
        .filter(|b| {
            matches!(
                b.kind,
                BreakKind::OrphanSpan | BreakKind::PropagationBreak | BreakKind::UnmatchedClient
            )
        })
        .count();
    assert!(waiting >= 3, "the sample has each of these kinds");
    assert_eq!(session.pending_breaks(t0 + Duration::from_secs(1)), waiting);
    assert_eq!(
        session.pending_breaks(t0 + grace),
        0,
        "quiet for the grace period: they count"
    );
    // Other kinds never wait, and loaded files have nothing pending.
    let b = &session.analysis.breaks;
    let other = b
        .iter()
        .find(|b| b.kind == BreakKind::ConversionError)
        .unwrap();
    assert!(!session.is_pending(other, t0));
    let mut store = Store::new();
    ingest::load_bytes(&mut store, "f", &body, &LoadOptions::default()).unwrap();
    let loaded = Session::build(store, Options::default());
    assert_eq!(loaded.pending_breaks(t0), 0);
}

#[test]
fn the_trace_tab_follows_the_newest_trace_until_another_is_opened() {
    use tracetopo::app::state::{Nav, Selection, Tab};
    let mut h = live_app();
    h.state_mut().apply(Nav::SwitchTab(Tab::Trace));
    let (_, healthy) = post_sample(&h, "checkout-healthy.json");
    step_until(&mut h, "the first batch", |a| shown_spans(a) == healthy);
    let newest = |a: &TracetopoApp| {
        let t = &a.session().unwrap().store.index.traces;
        (0..t.len()).max_by_key(|&k| t[k].start).map(|k| t[k].id)
    };
    let shown = |a: &TracetopoApp| match a.selection() {
        Selection::Trace(t) => Some(a.session().unwrap().store.index.traces[t as usize].id),
        _ => None,
    };
    assert_eq!(shown(h.state()), newest(h.state()));

    // The broken sample's traces start later: following moves to the newest of them.
    let (_, broken) = post_sample(&h, "checkout-broken.json");
    step_until(&mut h, "the second batch", |a| {
        shown_spans(a) == healthy + broken
    });
    let head = newest(h.state());
    assert_eq!(shown(h.state()), head);

    // Open an older trace: new spans no longer move the view.
    let s = h.state().session().unwrap().clone();
    let oldest = (0..s.store.index.traces.len())
        .min_by_key(|&k| s.store.index.traces[k].start)
        .unwrap();
    let oldest_id = s.store.index.traces[oldest].id;
    h.state_mut().apply(Nav::OpenTrace {
        trace: oldest as u32,
        focus_span: None,
    });
    h.run_steps(2);
    let one = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late-svc"}}]},"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000abcdef","spanId":"00000000000000a1","name":"late","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
    let (_, http) = h.state().live().unwrap().addresses().unwrap();
    let r = request(http, "POST", &[("Content-Type", "application/json")], one);
    assert_eq!(r.status, 200);
    step_until(&mut h, "the third batch", |a| {
        shown_spans(a) == healthy + broken + 1
    });
    assert_eq!(shown(h.state()), Some(oldest_id));
}

#[test]
fn opening_files_while_live_pauses_following() {
    use tracetopo::app::loading::Source;
    let mut h = live_app();
    let (_, healthy) = post_sample(&h, "checkout-healthy.json");
    step_until(&mut h, "live spans", |a| shown_spans(a) == healthy);
    h.state_mut()
        .open(Source::sample("checkout-broken.json").into_iter().collect());
    step_until(&mut h, "the file", |a| !a.is_loading());
    assert!(!h.state().live().unwrap().follow);
    let file_spans = shown_spans(h.state());
    let (raw, _) = post_sample(&h, "checkout-broken.json");
    step_until(&mut h, "the store to take the spans", |a| {
        a.live().unwrap().stats().held == (healthy + raw) as u64
    });
    step_until_new_data_waits(&mut h);
    assert_eq!(shown_spans(h.state()), file_spans, "the file stays in view");
    assert!(h.state().session().unwrap().live.is_none());
}
