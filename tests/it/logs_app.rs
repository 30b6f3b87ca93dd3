//! The app's logs (issue 12) driven through egui_kittest: the Logs tab lists and filters
//! records and a record opens its span; a span's Details lists its logs.

use std::path::PathBuf;
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tracetopo::app::loading::Source;
use tracetopo::app::state::{Nav, Selection, Tab};
use tracetopo::app::views::logs::JoinFilter;
use tracetopo::app::{AppConfig, TracetopoApp};
use tracetopo::model::Level;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const ROOT: &str = "b7ad6b7169203331";

/// The trace and log files, written once per process: tests run in parallel and one must not
/// read a file while another rewrites it.
fn files() -> Vec<Source> {
    static FILES: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(write_files)
        .iter()
        .cloned()
        .map(Source::File)
        .collect()
}

fn write_files() -> Vec<PathBuf> {
    let d = std::env::temp_dir().join(format!("tracetopo-logs-app-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("dir");
    let traces = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"order-svc"}}}}]}},
"scopeSpans":[{{"spans":[{{"traceId":"{TRACE}","spanId":"{ROOT}","name":"order.OrderService/Create","kind":2,
"startTimeUnixNano":"1000000000","endTimeUnixNano":"2000000000"}}]}}]}}]}}"#
    );
    let logs = [
        format!(r#"{{"level":"info","ts":1.05,"msg":"request received","trace_id":"{TRACE}","span_id":"{ROOT}","service":"order-svc"}}"#),
        format!(r#"{{"level":"error","ts":1.5,"msg":"card declined","trace_id":"{TRACE}","span_id":"{ROOT}","service":"order-svc"}}"#),
        r#"{"level":"info","ts":1.7,"msg":"charging card","trace_id":"-","service":"order-svc"}"#.to_string(),
        r#"{"level":"warn","ts":0.5,"msg":"starting","service":"order-svc"}"#.to_string(),
    ]
    .join("\n");
    let (t, l): (PathBuf, PathBuf) = (d.join("traces.json"), d.join("app.log"));
    std::fs::write(&t, traces).expect("write");
    std::fs::write(&l, logs).expect("write");
    vec![l, t]
}

fn app() -> Harness<'static, TracetopoApp> {
    let sources = files();
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

#[test]
fn the_logs_tab_filters_records_and_a_record_opens_its_span() {
    let mut h = app();
    h.get_by_role_and_label(Role::Button, Tab::Logs.title())
        .click();
    h.run_steps(2);
    assert_eq!(h.state().tab(), Tab::Logs);
    // Every record, in time order: "starting" first.
    h.get_by_label_contains("starting");
    h.get_by_label_contains("charging card");

    h.state_mut().logs_view_mut().filter.join = JoinFilter::WithoutTrace;
    h.run_steps(2);
    assert!(h.query_by_label_contains("request received").is_none());
    h.get_by_label_contains("charging card");

    h.state_mut().logs_view_mut().filter.join = JoinFilter::All;
    h.state_mut().logs_view_mut().filter.level = Some(Level::Error);
    h.run_steps(2);
    assert!(h.query_by_label_contains("starting").is_none());
    h.get_by_label_contains("card declined").click();
    h.run_steps(3);
    assert_eq!(h.state().tab(), Tab::Trace);
    let session = h.state().session().expect("session").clone();
    let root = session
        .store
        .find_span(
            u128::from_str_radix(TRACE, 16).expect("hex"),
            u64::from_str_radix(ROOT, 16).expect("hex"),
        )
        .expect("span");
    assert_eq!(h.state().selection(), Selection::Span(root));

    h.state_mut().logs_view_mut().filter.level = None;
    h.state_mut().logs_view_mut().filter.text = "CARD".to_string();
    h.get_by_role_and_label(Role::Button, Tab::Logs.title())
        .click();
    h.run_steps(2);
    let shown = h.state_mut().logs_view_mut().shown().len();
    assert_eq!(shown, 2, "text filter is case-insensitive");
}

#[test]
fn details_of_a_span_list_its_logs_in_time_order() {
    let mut h = app();
    let session = h.state().session().expect("session").clone();
    let root = session
        .store
        .find_span(
            u128::from_str_radix(TRACE, 16).expect("hex"),
            u64::from_str_radix(ROOT, 16).expect("hex"),
        )
        .expect("span");
    h.state_mut().apply(Nav::Select(Selection::Span(root)));
    h.run_steps(2);
    h.get_by_label("Logs (2)");
    let first = h.get_by_label_contains("request received").rect().top();
    let second = h.get_by_label_contains("card declined").rect().top();
    assert!(first < second, "time order");
    // The record without a trace is on no span's list (its break, listed too, quotes it).
    assert!(h.query_by_label_contains("[without trace]").is_none());
    h.get_by_label("log_without_trace");
}

#[test]
fn file_save_keeps_the_log_records() {
    let mut h = app();
    let out =
        std::env::temp_dir().join(format!("tracetopo-logs-save-{}.jsonl", std::process::id()));
    h.state_mut().save_to(out.clone());
    for _ in 0..3000 {
        if !h.state().is_saving() {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!h.state().is_saving(), "saving did not finish");
    assert!(
        h.state()
            .saved()
            .is_some_and(|m| m.contains("and 4 log records")),
        "{:?}",
        h.state().saved()
    );
    let before = h.state().session().expect("session").store.log_counts();
    let mut store = tracetopo::model::Store::new();
    tracetopo::ingest::load_path(&mut store, &out, &Default::default()).expect("saved file loads");
    store.build_index();
    assert_eq!(store.log_counts(), before);
    let _ = std::fs::remove_file(out);
}

struct ChartState {
    view: tracetopo::app::views::trace::FlameChartView,
    session: std::sync::Arc<tracetopo::app::state::Session>,
    selection: Selection,
    navs: Vec<Nav>,
}

#[test]
fn flame_chart_ticks_show_their_record_on_hover() {
    use tracetopo::app::state::{Session, View};
    let mut store = tracetopo::model::Store::new();
    for s in files() {
        let Source::File(p) = s else { continue };
        tracetopo::ingest::load_path(&mut store, &p, &Default::default()).expect("load");
    }
    let session = Session::build(store, tracetopo::analysis::Options::default());
    let trace = u128::from_str_radix(TRACE, 16).expect("hex");
    let root = session
        .store
        .find_span(trace, u64::from_str_radix(ROOT, 16).expect("hex"))
        .expect("span");
    let t = session.store.index.span_trace[root as usize];
    let mut view = tracetopo::app::views::trace::FlameChartView::default();
    view.reset(&session);
    let state = ChartState {
        view,
        session,
        selection: Selection::Trace(t),
        navs: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 420.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(60)
        .with_context_setup(tracetopo::app::fonts::install)
        .build_ui_state(
            |ui, st: &mut ChartState| {
                let mut cx = tracetopo::app::state::ViewCtx::new(&st.session, st.selection);
                st.view.ui(ui, &mut cx);
                let navs = cx.take_nav();
                st.navs.extend(navs);
            },
            state,
        );
    h.run();
    let bar = h.state().view.span_rect(root).expect("root visible");
    let (t0, t1) = h.state().view.visible_time().expect("time");
    let lanes = h.state().view.lanes_rect();
    let x_of = |ns: f64| lanes.left() + ((ns - t0) / (t1 - t0)) as f32 * lanes.width();
    // "card declined" was logged at 1.5 s, on the root span.
    h.hover_at(egui::pos2(x_of(1.5e9), bar.center().y));
    h.run_steps(40);
    assert!(
        h.query_all_by_label_contains("card declined")
            .next()
            .is_some(),
        "hovering the tick shows its record"
    );
    // Away from every tick, the span's own tooltip.
    h.hover_at(egui::pos2(x_of(1.9e9), bar.center().y));
    h.run_steps(40);
    assert!(
        h.query_all_by_label_contains("card declined")
            .next()
            .is_none()
    );
    assert!(
        h.query_all_by_label_contains("service: order-svc")
            .next()
            .is_some()
    );
    // Clicking the tick selects its record; clicking beside it, the span.
    let tick = egui::pos2(x_of(1.5e9), bar.center().y);
    h.drag_at(tick);
    h.drop_at(tick);
    h.run();
    let store = &h.state().session.store;
    let record = (0..store.logs.len() as u32)
        .find(|&k| store.log_body(k) == "card declined")
        .expect("the record");
    assert_eq!(h.state().navs, vec![Nav::Select(Selection::Log(record))]);
    let beside = egui::pos2(x_of(1.9e9), bar.center().y);
    h.drag_at(beside);
    h.drop_at(beside);
    h.run();
    assert_eq!(
        h.state().navs.last(),
        Some(&Nav::Select(Selection::Span(root)))
    );
}

#[test]
fn the_service_filter_follows_its_service_into_a_new_session() {
    use tracetopo::app::state::{Session, View};
    use tracetopo::app::views::logs::LogsView;
    let build = |extra: bool| {
        let mut store = tracetopo::model::Store::new();
        for s in files() {
            let Source::File(p) = s else { continue };
            tracetopo::ingest::load_path(&mut store, &p, &Default::default()).expect("load");
        }
        if extra {
            // A service named before order-svc: order-svc's number moves.
            let doc = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"aaa-svc"}}]},"scopeSpans":[{"spans":[{"traceId":"1af7651916cd43dd8448eb211c80319c","spanId":"c7ad6b7169203331","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
            tracetopo::ingest::load_bytes(
                &mut store,
                "extra.json",
                doc.as_bytes(),
                &Default::default(),
            )
            .expect("load");
        }
        Session::build(store, tracetopo::analysis::Options::default())
    };
    let (first, second) = (build(false), build(true));
    let number = |s: &Session, name: &str| {
        s.store
            .index
            .services
            .iter()
            .position(|&n| s.store.str(n) == name)
            .map(|k| k as u32)
    };
    assert_ne!(number(&first, "order-svc"), number(&second, "order-svc"));
    let mut view = LogsView::new();
    view.reset(&first);
    view.filter.service = number(&first, "order-svc");
    view.reset(&second);
    assert_eq!(view.filter.service, number(&second, "order-svc"));
}
