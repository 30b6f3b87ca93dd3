//! The flame views on one 100k-span trace: the layout (once per trace), the aggregated flame
//! graph (once per session or filter), and one UI frame of the flame chart at 1600×900,
//! fully zoomed out and zoomed in, including tessellation (what the UI thread does per frame
//! before the GPU), and the same for lanes by goroutine. Figures are in docs/PERFORMANCE.md.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tracetopo::analysis::Options;
use tracetopo::analysis::flame::{FlameGraph, FlameIndex, TraceLayout};
use tracetopo::analysis::lanes::LaneLayout;
use tracetopo::app::state::{Selection, Session, View, ViewCtx};
use tracetopo::app::views::flame::FlameGraphView;
use tracetopo::app::views::trace::FlameChartView;
use tracetopo::ingest::{LoadOptions, load_bytes};
use tracetopo::model::Store;
use tracetopo::synth::{LargeConfig, write_jsonl};

fn one_big_trace() -> Arc<Session> {
    let cfg = LargeConfig {
        traces: 1,
        spans_per_trace: 100_000,
        breaks_per_mille: 0,
        ..LargeConfig::default()
    };
    let mut bytes = Vec::new();
    let stats = write_jsonl(&mut bytes, &cfg, |_| {}).expect("generate");
    assert_eq!(stats.traces, 1, "one trace");
    let mut store = Store::new();
    load_bytes(&mut store, "big.jsonl", &bytes, &LoadOptions::default()).expect("load");
    let session = Session::build(store, Options::default());
    assert_eq!(session.store.index.traces.len(), 1);
    assert_eq!(session.store.spans.len(), 100_000);
    session
}

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        ..Default::default()
    }
}

/// One frame: the view's ui pass plus tessellation of its shapes.
fn frame(ctx: &egui::Context, view: &mut dyn View, session: &Arc<Session>) -> usize {
    let mut out = ctx.run_ui(input(), |ui| {
        view.ui(ui, &mut ViewCtx::new(session, Selection::Trace(0)));
    });
    // No renderer here to upload font textures to: drop them on purpose.
    out.textures_delta.clear();
    ctx.tessellate(out.shapes, out.pixels_per_point).len()
}

fn flame(c: &mut Criterion) {
    let session = one_big_trace();
    let store = &session.store;
    let mut g = c.benchmark_group("flame 100k-span trace");
    g.sample_size(20);
    let fx = FlameIndex::new(store, &session.analysis);
    g.bench_function("TraceLayout::build", |b| {
        b.iter(|| TraceLayout::build(store, &fx, 0, false).bars.len())
    });
    g.bench_function("LaneLayout::build", |b| {
        b.iter(|| LaneLayout::build(store, &fx, &[0]).bars.len())
    });
    g.bench_function("FlameGraph::build", |b| {
        b.iter(|| FlameGraph::build(store, None).frames.len())
    });

    let ctx = egui::Context::default();
    let mut chart = FlameChartView::default();
    chart.reset(&session);
    // The first frames lay the trace out (on a thread: it is large) and warm the font atlas.
    let started = std::time::Instant::now();
    while chart.trace().is_none() && started.elapsed() < std::time::Duration::from_secs(60) {
        frame(&ctx, &mut chart, &session);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(chart.trace(), Some(0), "the layout arrived");
    g.bench_function("chart frame 1600x900, zoomed out", |b| {
        b.iter(|| frame(&ctx, &mut chart, &session))
    });
    let info = store.index.traces[0];
    let mid = info.start + (info.end - info.start) / 2;
    let width = (info.end - info.start) / 1000;
    chart.show_time(mid, mid + width);
    frame(&ctx, &mut chart, &session);
    g.bench_function("chart frame 1600x900, zoomed in 1000x", |b| {
        b.iter(|| frame(&ctx, &mut chart, &session))
    });
    // Lanes by goroutine, the whole trace in view (laid out on a thread first).
    chart.set_lanes(true);
    chart.fit();
    let started = std::time::Instant::now();
    while chart.lane_layout().is_none() && started.elapsed() < std::time::Duration::from_secs(60) {
        frame(&ctx, &mut chart, &session);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(chart.lane_layout().is_some(), "the lanes arrived");
    g.bench_function("lanes frame 1600x900, zoomed out", |b| {
        b.iter(|| frame(&ctx, &mut chart, &session))
    });

    let mut graph = FlameGraphView::default();
    graph.reset(&session);
    frame(&ctx, &mut graph, &session);
    g.bench_function("flame graph frame 1600x900", |b| {
        b.iter(|| frame(&ctx, &mut graph, &session))
    });
    g.finish();
}

criterion_group!(benches, flame);
criterion_main!(benches);
