//! The main window: menu bar, tab bar, Details panel, status line, the loading notice and
//! progress, the start page with the bundled samples, and the tab views. Views ask for
//! navigation with `Nav`; the app applies it after drawing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

mod files;

use super::backend::BackendPanel;
use super::live::Live;
use super::loading::{LoadJob, Outcome, SAMPLES, Source};
use super::notice::Notice;
use super::screenshot::{ScreenshotRequest, Shot};
use super::state::{Nav, Selection, Session, Tab, View, ViewCtx};
use super::task::{self, Poll, Task};
use super::theme;
use super::views::Views;
use super::views::logs::LogsView;
use super::views::services::ServicesView;
use super::views::traces::TracesView;
use super::{fonts, format};
use crate::analysis::Options;
use crate::live::LiveConfig;
use crate::live::follow::Followed;

/// What the window starts with.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    pub files: Vec<PathBuf>,
    pub screenshot: Option<ScreenshotRequest>,
    /// Live mode: start receiving OTLP at once with this configuration.
    pub live: Option<LiveConfig>,
    /// Live mode following these files as they grow (`-`: standard input).
    pub follow: Vec<PathBuf>,
    /// Where remembered backends are kept (none: the user's config directory).
    pub config_dir: Option<PathBuf>,
}

pub struct TracetopoApp {
    session: Option<Arc<Session>>,
    /// The sources of `session` (a new load reads them again with the new ones).
    sources: Vec<Source>,
    job: Option<LoadJob>,
    tab: Tab,
    selection: Selection,
    /// What the pointer was over at the end of the last frame, in any view.
    hover: Selection,
    views: Views,
    notice: Notice,
    picker: Option<Task<Vec<PathBuf>>>,
    /// File › Follow file…'s dialog, open.
    follow_picker: Option<Task<Option<PathBuf>>>,
    shot: Option<Shot>,
    live: Option<Live>,
    /// A File › Save in progress: the path chosen (or the dialog still open), then the result.
    saving: Option<Task<Option<Result<String, String>>>>,
    /// What the last save did, shown in the status line.
    saved: Option<String>,
    opts: Options,
    ctx: egui::Context,
    backend: BackendPanel,
}

impl TracetopoApp {
    /// Builds the app on `ctx` and starts loading `config.files`.
    pub fn new(ctx: &egui::Context, config: AppConfig) -> Self {
        fonts::install(ctx);
        let start_page =
            config.files.is_empty() && config.live.is_none() && config.follow.is_empty();
        let mut app = TracetopoApp {
            session: None,
            sources: Vec::new(),
            job: None,
            tab: Tab::Traces,
            selection: Selection::None,
            hover: Selection::None,
            views: Views::default(),
            notice: Notice::default(),
            picker: None,
            follow_picker: None,
            shot: config.screenshot.map(|req| Shot::new(req, start_page)),
            live: None,
            saving: None,
            saved: None,
            opts: Options::default(),
            ctx: ctx.clone(),
            backend: BackendPanel::new(ctx, config.config_dir, Options::default()),
        };
        if let Some(cfg) = config.live {
            app.start_live(cfg, true);
        }
        for p in &config.follow {
            app.follow_input(Followed::from_arg(p));
        }
        if !config.files.is_empty() {
            app.open(config.files.into_iter().map(Source::File).collect());
        }
        app
    }

    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    pub fn selection(&self) -> Selection {
        self.selection
    }

    pub fn hovered(&self) -> Selection {
        self.hover
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    pub fn logs_view_mut(&mut self) -> &mut LogsView {
        &mut self.views.logs
    }

    pub fn traces_view(&self) -> &TracesView {
        &self.views.traces
    }

    pub fn traces_view_mut(&mut self) -> &mut TracesView {
        &mut self.views.traces
    }

    pub fn services_view(&self) -> &ServicesView {
        &self.views.services
    }

    pub fn backend_panel(&mut self) -> &mut BackendPanel {
        &mut self.backend
    }

    pub fn live(&self) -> Option<&Live> {
        self.live.as_ref()
    }

    /// Starts live mode (the live store, and the receiver when `listen`).
    fn start_live(&mut self, cfg: LiveConfig, listen: bool) {
        match Live::new(cfg, self.opts, &self.ctx, listen) {
            Ok(live) => self.live = Some(live),
            Err(e) => self.notice.error(format!("cannot start live mode: {e}")),
        }
    }

    /// Follows a file or standard input in live mode (started without listening if needed).
    fn follow_input(&mut self, what: Followed) {
        if self.live.is_none() {
            self.start_live(LiveConfig::default(), false);
        }
        if let Some(live) = &mut self.live {
            live.follow_input(what);
            live.follow = true;
        }
    }

    /// Listen toggle of the Live menu: starts live mode on the default addresses if needed.
    fn toggle_listen(&mut self) {
        match &mut self.live {
            Some(live) => {
                let on = !live.listening();
                live.set_listening(on);
            }
            None => self.start_live(LiveConfig::default(), true),
        }
    }

    /// Shows a new live snapshot, keeping the view state and what was selected.
    fn show_live(&mut self, session: Arc<Session>) {
        // The Trace tab follows the newest trace while it shows the newest one (or none); a
        // trace the user opened, or a span, stays.
        let at_head = match (&self.session, self.selection) {
            (_, Selection::None) => true,
            (Some(old), Selection::Trace(t)) => newest_trace(old) == Some(t),
            _ => false,
        };
        self.install(Arc::clone(&session));
        if self.tab == Tab::Trace
            && at_head
            && let Some(t) = newest_trace(&session)
        {
            self.selection = Selection::Trace(t);
        }
    }

    /// Makes `session` the one shown, a load or a live snapshot alike: every view gets it
    /// the same way, and the selection is found again by identity (`SelectionKey`).
    fn install(&mut self, session: Arc<Session>) {
        (self.selection, self.hover) = match &self.session {
            Some(old) => (
                session.carry(old, self.selection),
                session.carry(old, self.hover),
            ),
            None => (Selection::None, Selection::None),
        };
        self.notice.warnings = session.store.diag.warnings.clone();
        self.views.reset(&session);
        self.session = Some(session);
    }

    /// Loads `new` together with the sources already open, into a new session.
    pub fn open(&mut self, new: Vec<Source>) {
        let mut all = self.sources.clone();
        for s in new {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        if let Some(old) = self.job.take() {
            old.cancel();
        }
        // Opened files replace the live view until the user follows live data again.
        if let Some(live) = &mut self.live {
            live.follow = false;
        }
        match LoadJob::start(all, self.opts, &self.ctx) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.notice.error(e.to_string()),
        }
    }

    /// Applies one navigation request.
    pub fn apply(&mut self, nav: Nav) {
        match nav {
            Nav::Select(s) => self.selection = s,
            Nav::OpenTrace { trace, focus_span } => {
                self.tab = Tab::Trace;
                self.selection = focus_span.map_or(Selection::Trace(trace), Selection::Span);
            }
            Nav::FilterTracesByFrame(path) => {
                self.views.traces.set_frame_filter(path);
                self.tab = Tab::Traces;
            }
            Nav::SwitchTab(t) => self.tab = t,
            Nav::ShowServices(f) => {
                self.views.services.set_filter(f);
                self.tab = Tab::Services;
            }
        }
    }

    fn finish_load(&mut self, out: Outcome) {
        if out.cancelled {
            return;
        }
        self.notice = Notice::of_errors(out.errors.iter().map(ToString::to_string).collect());
        if let Some(session) = out.session {
            self.sources = out.loaded;
            self.install(session);
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some(task) = &self.saving {
            match task.poll() {
                Poll::Pending => {}
                Poll::Ready(None) => self.saving = None,
                Poll::Ready(Some(r)) => {
                    self.saving = None;
                    self.saved = Some(r.unwrap_or_else(|e| e));
                }
                Poll::Lost(e) => {
                    self.saving = None;
                    self.saved = Some(e);
                }
            }
        }
        if let Some(s) = self.live.as_mut().and_then(Live::take_snapshot) {
            self.show_live(s);
        }
        // Traces from a backend replace the files shown, as they arrive.
        if let Some(s) = self.backend.poll() {
            self.sources.clear();
            self.show_live(s);
        }
        if let Some(out) = self.job.as_ref().and_then(LoadJob::try_finish) {
            self.job = None;
            if let Some(shot) = &self.shot
                && let Some(first) = out.errors.first()
            {
                shot.fail(first.to_string());
            }
            self.finish_load(out);
        }
        match task::take(&mut self.follow_picker) {
            Some(Ok(Some(p))) => self.follow_input(Followed::File(p)),
            Some(Err(e)) => self.notice.error(e),
            Some(Ok(None)) | None => {}
        }
        match task::take(&mut self.picker) {
            Some(Ok(paths)) if !paths.is_empty() => {
                self.open(paths.into_iter().map(Source::File).collect())
            }
            Some(Err(e)) => self.notice.error(e),
            _ => {}
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.open(dropped.into_iter().map(Source::File).collect());
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let cmd = |k| KeyboardShortcut::new(Modifiers::COMMAND, k);
        if ctx.input_mut(|i| i.consume_shortcut(&cmd(Key::O))) {
            self.pick_files();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&cmd(Key::S))) {
            self.pick_save();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&cmd(Key::Q))) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let digits = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
        ];
        for (k, t) in digits.into_iter().zip(Tab::ALL) {
            if ctx.input_mut(|i| i.consume_shortcut(&cmd(k))) {
                self.tab = t;
            }
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
            self.selection = Selection::None;
        }
    }

    fn menu_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Open…").shortcut_text("Ctrl+O"))
                    .clicked()
                {
                    self.pick_files();
                }
                if ui
                    .button("Follow file…")
                    .on_hover_text(
                        "Read a file as it grows (an SDK's stdout exporter, a Collector file \
                         exporter) into live mode",
                    )
                    .clicked()
                {
                    self.pick_follow();
                }
                ui.menu_button("Open sample", |ui| {
                    for (name, _) in SAMPLES {
                        if ui.button(name).clicked() {
                            self.open(Source::sample(name).into_iter().collect());
                        }
                    }
                });
                let save = egui::Button::new("Save as OTLP JSON lines…").shortcut_text("Ctrl+S");
                if ui
                    .add_enabled(self.session.is_some(), save)
                    .on_hover_text(
                        "Write the traces shown (live or loaded) as one OTLP request per line",
                    )
                    .clicked()
                {
                    self.pick_save();
                }
                if ui.button("Connect to backend…").clicked() {
                    self.backend.open_dialog();
                }
                ui.separator();
                if ui
                    .add(egui::Button::new("Quit").shortcut_text("Ctrl+Q"))
                    .clicked()
                {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Live", |ui| {
                let listening = self.live.as_ref().is_some_and(Live::listening);
                let cfg = self
                    .live
                    .as_ref()
                    .map_or_else(LiveConfig::default, Live::config);
                let label = format!(
                    "Listen for OTLP (gRPC {}, HTTP {})",
                    cfg.grpc.port(),
                    cfg.http.port()
                );
                if ui.add(egui::Button::selectable(listening, label)).clicked() {
                    self.toggle_listen();
                }
                if let Some(live) = &mut self.live {
                    let label = if live.follow { "Pause" } else { "Follow" };
                    if ui.button(label).clicked() {
                        live.follow = !live.follow;
                    }
                }
            });
            ui.menu_button("View", |ui| {
                for (k, t) in Tab::ALL.into_iter().enumerate() {
                    let b = egui::Button::selectable(self.tab == t, t.title())
                        .shortcut_text(format!("Ctrl+{}", k + 1));
                    if ui.add(b).clicked() {
                        self.tab = t;
                    }
                }
            });
        });
    }

    fn tabs_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            for (k, t) in Tab::ALL.into_iter().enumerate() {
                let r = ui
                    .selectable_label(self.tab == t, RichText::new(t.title()).size(15.0))
                    .on_hover_text(format!("Ctrl+{}", k + 1));
                if r.clicked() {
                    self.tab = t;
                }
            }
        });
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        if let Some(live) = &mut self.live {
            live.status_ui(ui);
        }
        ui.horizontal(|ui| {
            if let Some(b) = self.backend.status() {
                ui.label(b);
            }
            let Some(s) = &self.session else {
                ui.weak("No traces loaded");
                return;
            };
            let store = &s.store;
            ui.label(format!(
                "{} · {} · {} · {} · {}",
                format::count(store.inputs.len() as u64, "input"),
                format::count(store.spans.len() as u64, "span"),
                format::count(store.index.traces.len() as u64, "trace"),
                format::count(store.index.services.len() as u64, "service"),
                format::count(s.analysis.breaks.len() as u64, "break"),
            ));
            let pending = s.pending_breaks(Instant::now());
            if pending > 0 {
                ui.weak(format!("({pending} pending)"));
            }
            if self.saving.is_some() {
                ui.spinner();
            } else if let Some(saved) = &self.saved {
                ui.weak(saved);
            }
            let warnings = store.diag.total();
            let text = format!("⚠ {}", format::count(warnings, "warning"));
            let text = if warnings > 0 {
                RichText::new(text).color(theme::WARNING)
            } else {
                RichText::new(text).weak()
            };
            if ui
                .link(text)
                .on_hover_text("Show what the readers skipped or repaired")
                .clicked()
            {
                self.notice.toggle();
            }
        });
    }

    fn start_page(&mut self, ui: &mut Ui) {
        if let Some(live) = &self.live {
            live_waiting(ui, live);
            return;
        }
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(RichText::new("tracetopo").size(28.0));
            ui.label("See how requests travelled through your Go services: who called whom, where types were converted, where goroutines hopped, and where trace context broke.");
            ui.add_space(16.0);
            if self.job.is_none() {
                if ui.button(RichText::new("Open trace files…").size(16.0)).clicked() {
                    self.pick_files();
                }
                ui.weak("or drop files onto the window (OTLP JSON / JSON lines / protobuf, Jaeger, Zipkin; .gz and .zst too)");
                ui.add_space(16.0);
                ui.label("Or try a bundled sample:");
                for (name, what) in [
                    (SAMPLES[0].0, "healthy checkout traces, Chinese service names, no breaks"),
                    (SAMPLES[1].0, "one trace per break kind: orphans, lost context, detached goroutines…"),
                    (SAMPLES[2].0, "the healthy traces as a Collector writes them, one batch per line"),
                ] {
                    ui.horizontal(|ui| {
                        if ui.button(name).clicked() {
                            self.open(Source::sample(name).into_iter().collect());
                        }
                        ui.weak(what);
                    });
                }
            }
        });
    }

    /// The tab's view; its navigation and what the pointer is over.
    fn central_ui(&mut self, ui: &mut Ui) -> (Vec<Nav>, Selection) {
        self.notice.ui(ui);
        if let Some(job) = &self.job {
            job.progress_ui(ui);
        }
        let Some(session) = self.session.clone() else {
            self.start_page(ui);
            return (Vec::new(), Selection::None);
        };
        let mut ctx = ViewCtx::new(&session, self.selection).with_hover(self.hover);
        self.views.tab_ui(self.tab, ui, &mut ctx);
        (ctx.take_nav(), ctx.take_hover())
    }
}

/// The live start page, until the first spans arrive: where to send them.
fn live_waiting(ui: &mut Ui, live: &Live) {
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.heading(RichText::new("Waiting for traces").size(24.0));
        match live.addresses() {
            Some((g, h)) => {
                ui.label(format!("Receiving OTLP on gRPC {g} and HTTP http://{h}/v1/traces"));
                ui.add_space(12.0);
                ui.label("Point a Collector's exporters here:");
                ui.code(format!(
                    "exporters:\n  otlp:\n    endpoint: {g}\n    tls:\n      insecure: true\n  otlphttp:\n    endpoint: http://{h}"
                ));
                ui.label("or a Go service's SDK:");
                ui.code(format!("OTEL_EXPORTER_OTLP_ENDPOINT=http://{g}"));
            }
            None => {
                ui.label("The receiver is off: turn on Listen in the status line.");
            }
        }
    });
}

/// The trace that started last.
fn newest_trace(session: &Session) -> Option<u32> {
    let traces = &session.store.index.traces;
    (0..traces.len() as u32).max_by_key(|&t| traces[t as usize].start)
}

impl eframe::App for TracetopoApp {
    /// In screenshot mode the pointer is ignored: wherever the display server put it, it must
    /// not hover rows or open tooltips in the picture.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw: &mut egui::RawInput) {
        if self.shot.is_some() {
            raw.events.retain(|e| {
                !matches!(
                    e,
                    egui::Event::PointerMoved(_)
                        | egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                )
            });
        }
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.shortcuts(&ctx);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::top("tabs").show(ui, |ui| self.tabs_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        let mut nav = Vec::new();
        let mut hover = Selection::None;
        if let Some(session) = self.session.clone() {
            egui::Panel::right("details")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| {
                    let mut ctx = ViewCtx::new(&session, self.selection).with_hover(self.hover);
                    self.views.details.ui(ui, &mut ctx);
                    nav.extend(ctx.take_nav());
                    hover = ctx.take_hover();
                });
        }
        // A query run in the query bar is the Tempo search's text too (spec §8).
        let tempo = self.backend.backend().map(|b| b.kind()) == Some(crate::backend::Kind::Tempo);
        if let Some(text) = self.views.traces.query.take_new_run().filter(|_| tempo) {
            self.backend.search.traceql = text;
        }
        nav.extend(self.backend.show(ui, self.session.as_ref()));
        egui::CentralPanel::default().show(ui, |ui| {
            let (n, h) = self.central_ui(ui);
            nav.extend(n);
            if h != Selection::None {
                hover = h;
            }
        });
        // The other panel draws the new hover in the next frame.
        if hover != self.hover {
            self.hover = hover;
            ctx.request_repaint();
        }
        for n in nav {
            self.apply(n);
        }
        if let Some(shot) = &mut self.shot {
            let loading = self.job.is_some();
            let live = self.live.is_some();
            if let Some(nav) = shot.drive(&ctx, loading, self.session.as_deref(), live) {
                if shot.lanes() {
                    self.views.trace.set_lanes(true);
                }
                self.apply(nav);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::testkit::{broken, samples};

    /// The app state across a live snapshot: a selected service edge, type and span are the
    /// same things afterwards though the snapshot (more traces) numbers them afresh.
    #[test]
    fn a_selection_survives_a_live_snapshot() {
        let ctx = egui::Context::default();
        let mut app = TracetopoApp::new(&ctx, AppConfig::default());
        let first = broken();
        app.show_live(Arc::clone(&first));
        let later = samples(&[
            (
                "healthy",
                &include_bytes!("../../sample-traces/checkout-healthy.json")[..],
            ),
            (
                "broken",
                &include_bytes!("../../sample-traces/checkout-broken.json")[..],
            ),
        ]);
        let (Some(gw), Some(order)) = (
            first.service_node_named("api-gateway"),
            first.service_node_named("order-svc"),
        ) else {
            panic!("the broken sample has api-gateway and order-svc");
        };
        let Some(edge) = first.find_service_edge(gw, order) else {
            panic!("no edge api-gateway → order-svc");
        };
        let span = first.index.spans_of_service(0)[0];
        let chosen = [
            Selection::ServiceEdge(edge),
            Selection::Type(0),
            Selection::Span(span),
        ];
        let mut moved = false;
        for sel in chosen {
            app.show_live(Arc::clone(&first));
            app.apply(Nav::Select(sel));
            app.show_live(Arc::clone(&later));
            let now = app.selection();
            assert_ne!(now, Selection::None, "{sel:?} was dropped");
            assert_eq!(
                later.key_of(now),
                first.key_of(sel),
                "{sel:?} became {now:?}"
            );
            moved |= now != sel;
        }
        assert!(moved, "no number moved: the snapshot tests nothing");
    }
}
