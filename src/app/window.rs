//! The main window: menu bar, tab bar, Details panel, status line, the loading notice and
//! progress, the start page with the bundled samples, and the tab views. Views ask for
//! navigation with `Nav`; the app applies it after drawing.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::breaks_view::BreaksView;
use super::details::Details;
use super::flame_chart::FlameChartView;
use super::flame_graph::FlameGraphView;
use super::follow::FollowPicker;
use super::live::Live;
use super::loading::{LoadJob, Outcome, SAMPLES, Source};
use super::logs_view::LogsView;
use super::screenshot::{ScreenshotRequest, ViewSpec, save_png};
use super::state::{Nav, Selection, Session, Tab, View};
use super::topology::{ServicesView, TypesView};
use super::traces_view::TracesView;
use super::{fonts, format};
use crate::analysis::Options;
use crate::analysis::trace_summary;
use crate::live::LiveConfig;
use crate::live::follow::Followed;
use crate::model::Warning;

/// File › Save writes lines of about this many spans (whole traces), so that the file
/// streams and loads in parallel again.
const SAVE_SPANS_PER_LINE: usize = 1000;
/// Frames drawn with the final view before the screenshot is taken (layouts and plots settle).
const SETTLE_FRAMES: u32 = 5;
/// A screenshot run that has not finished after this long gives up.
const SCREENSHOT_TIMEOUT: Duration = Duration::from_secs(180);

/// What the window starts with.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    pub files: Vec<PathBuf>,
    pub screenshot: Option<ScreenshotRequest>,
    /// Live mode: start receiving OTLP at once with this configuration.
    pub live: Option<LiveConfig>,
    /// Live mode following these files as they grow (`-`: standard input).
    pub follow: Vec<PathBuf>,
}

/// Errors and reader warnings of the last load, shown above the view.
#[derive(Default)]
struct Notice {
    errors: Vec<String>,
    warnings: Vec<Warning>,
    open: bool,
    dismissed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShotStage {
    Loading,
    Settling(u32),
    Requested,
    Closing,
}

struct Shot {
    req: ScreenshotRequest,
    stage: ShotStage,
    started: Instant,
    /// No files and not live: the picture is of the start page.
    start_page: bool,
}

pub struct TracetopoApp {
    session: Option<Arc<Session>>,
    /// The sources of `session` (a new load reads them again with the new ones).
    sources: Vec<Source>,
    job: Option<LoadJob>,
    tab: Tab,
    selection: Selection,
    traces: TracesView,
    breaks: BreaksView,
    logs: LogsView,
    trace: FlameChartView,
    flame: FlameGraphView,
    /// The Traces view's filter generation the flame graph was last given.
    flame_filter: Option<u64>,
    services: ServicesView,
    types: TypesView,
    details: Details,
    notice: Notice,
    picker: Option<mpsc::Receiver<Vec<PathBuf>>>,
    follow_picker: FollowPicker,
    shot: Option<Shot>,
    live: Option<Live>,
    /// A File › Save in progress: the path chosen (or the dialog still open), then the result.
    saving: Option<mpsc::Receiver<Result<String, String>>>,
    /// What the last save did, shown in the status line.
    saved: Option<String>,
    opts: Options,
    ctx: egui::Context,
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
            traces: TracesView::new(),
            breaks: BreaksView::new(),
            logs: LogsView::new(),
            trace: FlameChartView::default(),
            flame: FlameGraphView::default(),
            flame_filter: None,
            services: ServicesView::new(),
            types: TypesView::new(),
            details: Details::new(),
            notice: Notice::default(),
            picker: None,
            follow_picker: FollowPicker::default(),
            shot: config.screenshot.map(|req| Shot {
                req,
                stage: ShotStage::Loading,
                started: Instant::now(),
                start_page,
            }),
            live: None,
            saving: None,
            saved: None,
            opts: Options::default(),
            ctx: ctx.clone(),
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

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    pub fn logs_view_mut(&mut self) -> &mut LogsView {
        &mut self.logs
    }

    pub fn traces_view(&self) -> &TracesView {
        &self.traces
    }

    pub fn traces_view_mut(&mut self) -> &mut TracesView {
        &mut self.traces
    }

    pub fn services_view(&self) -> &ServicesView {
        &self.services
    }

    pub fn live(&self) -> Option<&Live> {
        self.live.as_ref()
    }

    pub fn live_mut(&mut self) -> Option<&mut Live> {
        self.live.as_mut()
    }

    /// Starts live mode (the live store, and the receiver when `listen`).
    fn start_live(&mut self, cfg: LiveConfig, listen: bool) {
        match Live::new(cfg, self.opts, &self.ctx, listen) {
            Ok(live) => self.live = Some(live),
            Err(e) => {
                self.notice.errors = vec![format!("cannot start live mode: {e}")];
                self.notice.open = true;
            }
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

    pub fn is_saving(&self) -> bool {
        self.saving.is_some()
    }

    /// What the last File › Save did (`Saved N spans to PATH`, or why it failed).
    pub fn saved(&self) -> Option<&str> {
        self.saved.as_deref()
    }

    /// File › Save: asks where (on its own thread, like Open), then writes the session.
    fn pick_save(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        if self.saving.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("tracetopo-save".into())
            .spawn(move || {
                let path = rfd::FileDialog::new()
                    .set_title("Save traces as OTLP JSON lines")
                    .set_file_name("traces.jsonl")
                    .add_filter("OTLP JSON lines", &["jsonl"])
                    .save_file();
                if let Some(path) = path {
                    let _ = tx.send(write_jsonl(&session, &path));
                }
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.saving = Some(rx),
            Err(e) => self.saved = Some(format!("cannot save: {e}")),
        }
    }

    /// Writes the session as OTLP JSON lines to `path`, off the UI thread.
    pub fn save_to(&mut self, path: PathBuf) {
        let Some(session) = self.session.clone() else {
            return;
        };
        let (tx, rx) = mpsc::channel();
        let ctx = self.ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(write_jsonl(&session, &path));
            ctx.request_repaint();
        });
        self.saving = Some(rx);
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
        let old = self.session.replace(Arc::clone(&session));
        // The Trace tab follows the newest trace while it shows the newest one (or none); a
        // trace the user opened, or a span, stays.
        let at_head = match (&old, self.selection) {
            (_, Selection::None) => true,
            (Some(old), Selection::Trace(t)) => newest_trace(old) == Some(t),
            _ => false,
        };
        self.selection = match &old {
            Some(old) => carry_selection(old, &session, self.selection),
            None => Selection::None,
        };
        if self.tab == Tab::Trace
            && at_head
            && let Some(t) = newest_trace(&session)
        {
            self.selection = Selection::Trace(t);
        }
        self.notice.warnings = session.store.diag.warnings.clone();
        self.details.reset(&session);
        // The flame graph takes the Traces view's list again (trace numbers moved).
        self.flame_filter = None;
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
        let ctx = self.ctx.clone();
        match LoadJob::start(all, self.opts, move || ctx.request_repaint()) {
            Ok(job) => self.job = Some(job),
            Err(e) => {
                self.notice.errors = vec![e.to_string()];
                self.notice.open = true;
            }
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
                self.traces.set_frame_filter(path);
                self.tab = Tab::Traces;
            }
            Nav::SwitchTab(t) => self.tab = t,
        }
    }

    fn finish_load(&mut self, out: Outcome) {
        if out.cancelled {
            return;
        }
        self.notice = Notice {
            errors: out.errors.iter().map(ToString::to_string).collect(),
            warnings: Vec::new(),
            open: !out.errors.is_empty(),
            dismissed: false,
        };
        if let Some(session) = out.session {
            self.notice.warnings = session.store.diag.warnings.clone();
            self.sources = out.loaded;
            self.traces.reset(&session);
            self.breaks.reset(&session);
            self.logs.reset(&session);
            self.trace.reset(&session);
            self.flame.reset(&session);
            self.flame_filter = None;
            self.services.reset(&session);
            self.types.reset(&session);
            self.details.reset(&session);
            self.selection = Selection::None;
            self.session = Some(session);
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some(rx) = &self.saving {
            match rx.try_recv() {
                Ok(r) => {
                    self.saving = None;
                    self.saved = Some(r.unwrap_or_else(|e| e));
                }
                Err(mpsc::TryRecvError::Disconnected) => self.saving = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if let Some(s) = self.live.as_mut().and_then(Live::take_snapshot) {
            self.show_live(s);
        }
        if let Some(out) = self.job.as_ref().and_then(LoadJob::try_finish) {
            self.job = None;
            if let Some(shot) = &self.shot
                && let Some(first) = out.errors.first()
            {
                shot.req.finish(Err(first.to_string()));
            }
            self.finish_load(out);
        }
        if let Some(p) = self.follow_picker.poll() {
            self.follow_input(Followed::File(p));
        }
        if let Some(rx) = &self.picker {
            match rx.try_recv() {
                Ok(paths) => {
                    self.picker = None;
                    if !paths.is_empty() {
                        self.open(paths.into_iter().map(Source::File).collect());
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => self.picker = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
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

    /// File › Open: the dialog runs on its own thread so the UI keeps drawing.
    fn pick_files(&mut self) {
        if self.picker.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("tracetopo-open".into())
            .spawn(move || {
                let files = rfd::FileDialog::new()
                    .set_title("Open trace files")
                    .add_filter(
                        "Trace files",
                        &["json", "jsonl", "ndjson", "pb", "bin", "otlp", "gz", "zst"],
                    )
                    .add_filter("All files", &["*"])
                    .pick_files()
                    .unwrap_or_default();
                let _ = tx.send(files);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.picker = Some(rx),
            Err(e) => {
                self.notice.errors = vec![format!("cannot open the file dialog: {e}")];
                self.notice.open = true;
            }
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
                    && let Err(e) = self.follow_picker.open(ui.ctx())
                {
                    self.notice.errors = vec![format!("cannot open the file dialog: {e}")];
                    self.notice.open = true;
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
                RichText::new(text).color(Color32::from_rgb(225, 150, 30))
            } else {
                RichText::new(text).weak()
            };
            if ui
                .link(text)
                .on_hover_text("Show what the readers skipped or repaired")
                .clicked()
            {
                self.notice.dismissed = false;
                self.notice.open = !self.notice.open;
            }
        });
    }

    fn notice_ui(&mut self, ui: &mut Ui) {
        let n = &mut self.notice;
        if n.dismissed || (n.errors.is_empty() && n.warnings.is_empty()) {
            return;
        }
        let errors = !n.errors.is_empty();
        let (fill, stroke) = if errors {
            (
                Color32::from_rgb(90, 30, 30),
                Color32::from_rgb(220, 60, 50),
            )
        } else {
            (
                Color32::from_rgb(80, 60, 20),
                Color32::from_rgb(225, 150, 30),
            )
        };
        egui::Frame::new()
            .fill(fill)
            .stroke(egui::Stroke::new(1.0, stroke))
            .corner_radius(4.0)
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let total: u64 = n.warnings.iter().map(|w| w.count).sum();
                    let mut title = Vec::new();
                    if errors {
                        let files = format::count(n.errors.len() as u64, "file");
                        title.push(format!("{files} could not be read"));
                    }
                    if total > 0 {
                        title.push(format!("{} while loading", format::count(total, "warning")));
                    }
                    ui.label(
                        RichText::new(title.join(", "))
                            .color(Color32::WHITE)
                            .strong(),
                    );
                    let toggle = if n.open { "Hide details" } else { "Details" };
                    if ui.button(toggle).clicked() {
                        n.open = !n.open;
                    }
                    if ui.button("Dismiss").clicked() {
                        n.dismissed = true;
                    }
                });
                if n.open {
                    egui::ScrollArea::vertical()
                        .id_salt("notice")
                        .max_height(160.0)
                        .show(ui, |ui| {
                            for e in &n.errors {
                                ui.label(RichText::new(e).color(Color32::WHITE));
                            }
                            for w in &n.warnings {
                                ui.label(RichText::new(w.to_string()).color(Color32::WHITE));
                            }
                        });
                }
            });
        ui.add_space(4.0);
    }

    fn progress_ui(&mut self, ui: &mut Ui) {
        let Some(job) = &self.job else {
            return;
        };
        use std::sync::atomic::Ordering::Relaxed;
        let p = &job.progress;
        let (done, total) = (p.bytes_done.load(Relaxed), p.bytes_total.load(Relaxed));
        let fraction = if total > 0 {
            (done as f64 / total as f64).clamp(0.0, 1.0) as f32
        } else {
            0.0
        };
        let stage = if p.analysing.load(Relaxed) {
            "Indexing and analysing".to_string()
        } else {
            format!(
                "Reading file {} of {}",
                (p.file.load(Relaxed) + 1).min(job.files as u64),
                job.files
            )
        };
        let mut cancel = false;
        ui.horizontal(|ui| {
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(320.0)
                    .text(format!(
                        "{stage}: {:.1} of {:.1} MB, {} spans",
                        done as f64 / 1e6,
                        total as f64 / 1e6,
                        p.spans.load(Relaxed)
                    )),
            );
            let label = if job.is_cancelling() {
                "Cancelling…"
            } else {
                "Cancel"
            };
            cancel = ui.button(label).clicked();
        });
        if cancel {
            job.cancel();
        }
        // Progress comes from another thread: keep redrawing while it runs.
        ui.ctx().request_repaint_after(Duration::from_millis(100));
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

    fn central_ui(&mut self, ui: &mut Ui) -> Vec<Nav> {
        self.notice_ui(ui);
        self.progress_ui(ui);
        let Some(session) = self.session.clone() else {
            self.start_page(ui);
            return Vec::new();
        };
        let selection = self.selection;
        match self.tab {
            Tab::Traces => self.traces.ui(ui, &session, selection),
            Tab::Breaks => self.breaks.ui(ui, &session, selection),
            Tab::Logs => self.logs.ui(ui, &session, selection),
            Tab::Trace => self.trace.ui(ui, &session, selection),
            Tab::Flame => {
                // The flame graph aggregates the traces the Traces view lists.
                let generation = self.traces.generation();
                if self.flame_filter != Some(generation) {
                    self.flame.set_trace_filter(self.traces.filtered_traces());
                    self.flame_filter = Some(generation);
                }
                self.flame.ui(ui, &session, selection)
            }
            Tab::Services => self.services.ui(ui, &session, selection),
            Tab::Types => self.types.ui(ui, &session, selection),
        }
    }

    /// Screenshot mode: once loaded, shows the view, lets it settle, takes the screenshot,
    /// saves it from the callback, then closes the window.
    fn drive_screenshot(&mut self, ctx: &egui::Context) {
        let Some(shot) = &mut self.shot else {
            return;
        };
        ctx.request_repaint_after(Duration::from_millis(200));
        if shot.started.elapsed() > SCREENSHOT_TIMEOUT && shot.stage != ShotStage::Closing {
            shot.req
                .finish(Err("the screenshot was not taken in time".to_string()));
        }
        if shot.req.outcome().is_some() && shot.stage != ShotStage::Closing {
            shot.stage = ShotStage::Closing;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        match shot.stage {
            ShotStage::Loading if self.job.is_none() => {
                let Some(session) = &self.session else {
                    // Live mode waits for the first spans to arrive.
                    if shot.start_page {
                        shot.stage = ShotStage::Settling(0);
                    } else if self.live.is_none() {
                        shot.req.finish(Err("no input could be loaded".to_string()));
                    }
                    return;
                };
                let view = shot.req.view;
                let nav = match view {
                    ViewSpec::Tab(t) => Ok(Nav::SwitchTab(t)),
                    ViewSpec::MostBrokenTrace => trace_summary::most_broken(&session.traces)
                        .map(|t| Nav::OpenTrace {
                            trace: t,
                            focus_span: None,
                        })
                        .ok_or_else(|| "there is no trace to show".to_string()),
                    ViewSpec::Trace(id) => session
                        .store
                        .index
                        .traces
                        .binary_search_by_key(&id, |t| t.id)
                        .map(|t| Nav::OpenTrace {
                            trace: t as u32,
                            focus_span: None,
                        })
                        .map_err(|_| format!("trace {id:032x} is not in the loaded files")),
                };
                match nav {
                    Ok(nav) => {
                        shot.stage = ShotStage::Settling(0);
                        self.apply(nav);
                    }
                    Err(e) => shot.req.finish(Err(e)),
                }
            }
            ShotStage::Settling(n) if n < SETTLE_FRAMES => {
                shot.stage = ShotStage::Settling(n + 1);
                ctx.request_repaint();
            }
            ShotStage::Settling(_) => {
                shot.stage = ShotStage::Requested;
                let req = shot.req.clone();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    req.finish(save_png(&image, &req.out));
                    repaint.request_repaint();
                });
            }
            ShotStage::Loading | ShotStage::Requested | ShotStage::Closing => {}
        }
    }
}

/// Writes `session` to `path` as OTLP JSON lines; the message for the status line.
fn write_jsonl(session: &Session, path: &std::path::Path) -> Result<String, String> {
    use crate::export::otlp_jsonl::{SpanData, write_all};
    let fail = |e: std::io::Error| format!("cannot save {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut w = std::io::BufWriter::new(file);
    let store = &session.store;
    let n = write_all(&mut w, &SpanData::from(store), SAVE_SPANS_PER_LINE).map_err(fail)?;
    // Log records follow the spans, as `listen --headless` records them.
    let logs = crate::export::otlp_logs_jsonl::write_all_logs(
        &mut w,
        &crate::export::otlp_logs_jsonl::LogData::from(store),
        SAVE_SPANS_PER_LINE,
    )
    .and_then(|n| std::io::Write::flush(&mut w).map(|()| n))
    .map_err(fail)?;
    let logs = match logs {
        0 => String::new(),
        n => format!(" and {}", format::count(n, "log record")),
    };
    Ok(format!(
        "Saved {}{logs} to {}",
        format::count(n, "span"),
        path.display()
    ))
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

/// The same trace or span in a newer snapshot (indexes move as spans arrive); other
/// selections name graph nodes that may have moved and are dropped.
fn carry_selection(old: &Session, new: &Session, sel: Selection) -> Selection {
    let trace_index = |id: u128| {
        let traces = &new.store.index.traces;
        traces.binary_search_by_key(&id, |t| t.id).ok()
    };
    match sel {
        Selection::Trace(t) => old
            .store
            .index
            .traces
            .get(t as usize)
            .and_then(|t| trace_index(t.id))
            .map_or(Selection::None, |t| Selection::Trace(t as u32)),
        Selection::Span(i) => old
            .store
            .spans
            .get(i as usize)
            .and_then(|s| new.store.find_span(s.trace_id, s.span_id))
            .map_or(Selection::None, Selection::Span),
        _ => Selection::None,
    }
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
        if let Some(session) = self.session.clone() {
            egui::Panel::right("details")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| {
                    nav.extend(self.details.ui(ui, &session, self.selection));
                });
        }
        egui::CentralPanel::default().show(ui, |ui| nav.extend(self.central_ui(ui)));
        for n in nav {
            self.apply(n);
        }
        self.drive_screenshot(&ctx);
    }
}
