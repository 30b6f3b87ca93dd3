//! The backend search panel (left side, once connected): TraceQL for Tempo; service,
//! operation, attributes and duration for Jaeger (services and operations listed by the
//! backend); time presets and a limit; the matching traces (root service, name, start,
//! duration, spans); Load all / Load selected. Loaded traces stream into the session as they
//! arrive, with progress and Cancel; then "the other half" of the breaks found is asked for
//! (on by default) and the breaks it explains open the fetched trace.
//!
//! Every request runs on a thread of its own; the UI only polls channels. What is fetched,
//! when and how much: docs/backends.md.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use egui::{Color32, RichText, Ui};

use super::backend_config::{self, Saved};
use super::connect_dialog::{self, Form};
use super::format;
use super::state::{Nav, Session};
use crate::analysis::Options;
use crate::backend::{
    self, Backend, BackendError, Hit, Kind, Progress, PullOptions, Query, Summary, Window, follow,
};
use crate::model::Store;

/// The largest limit the panel asks for: one search lists at most this many traces.
pub const MAX_LIMIT: u32 = 1000;
/// While traces arrive, the session shown is rebuilt at most this often.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(300);

/// The time range searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Last(u64),
    Custom,
}

const PRESETS: [(&str, u64); 4] = [
    ("15 min", 900),
    ("1 h", 3600),
    ("6 h", 6 * 3600),
    ("24 h", 24 * 3600),
];

/// The search form.
#[derive(Debug, Clone)]
pub struct SearchForm {
    pub traceql: String,
    pub service: String,
    pub operation: String,
    /// `key=value` pairs separated by spaces, as Jaeger's UI takes them.
    pub attributes: String,
    pub duration_min: String,
    pub duration_max: String,
    pub range: Range,
    /// RFC 3339 or Unix seconds.
    pub custom_start: String,
    pub custom_end: String,
    pub limit: u32,
}

impl Default for SearchForm {
    fn default() -> Self {
        SearchForm {
            traceql: "{}".to_string(),
            service: String::new(),
            operation: String::new(),
            attributes: String::new(),
            duration_min: String::new(),
            duration_max: String::new(),
            range: Range::Last(3600),
            custom_start: String::new(),
            custom_end: String::new(),
            limit: 20,
        }
    }
}

impl SearchForm {
    fn window(&self, now: SystemTime) -> Result<Window, String> {
        match self.range {
            Range::Last(s) => {
                let end = now
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                Ok(Window {
                    start: end - s as i64,
                    end,
                })
            }
            Range::Custom => {
                let start =
                    backend::parse_time(&self.custom_start).map_err(|e| format!("From: {e}"))?;
                let end = backend::parse_time(&self.custom_end).map_err(|e| format!("To: {e}"))?;
                if end < start {
                    return Err("the range ends before it starts".to_string());
                }
                Ok(Window { start, end })
            }
        }
    }

    /// The query for `kind`: at most `limit` traces, newest first.
    pub fn query(&self, kind: Kind, now: SystemTime) -> Result<Query, String> {
        let nonempty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let limit = self.limit.clamp(1, MAX_LIMIT);
        let mut q = Query {
            window: Some(self.window(now)?),
            limit,
            max_traces: limit as usize,
            ..Query::default()
        };
        match kind {
            Kind::Tempo => q.traceql = nonempty(&self.traceql),
            Kind::Jaeger => {
                // No service: every service the backend lists, as the CLI does.
                q.service = nonempty(&self.service);
                q.operation = nonempty(&self.operation);
                for pair in self.attributes.split_whitespace() {
                    let Some((k, v)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                        return Err(format!("attribute \"{pair}\" is not key=value"));
                    };
                    q.attributes.push((k.to_string(), v.to_string()));
                }
                let duration =
                    |d: &str| nonempty(d).map(|d| backend::parse_duration(&d)).transpose();
                q.min_duration = duration(&self.duration_min)?;
                q.max_duration = duration(&self.duration_max)?;
            }
        }
        Ok(q)
    }
}

/// What a search found, and what it says about it.
type Found = (Vec<Hit>, Summary);

/// A connected backend and what it lists.
struct Connection {
    backend: Arc<Backend>,
    services: Vec<String>,
    /// The operations of `ops_service`.
    operations: Vec<String>,
    ops_service: String,
}

struct Connected {
    backend: Backend,
    services: Vec<String>,
    saved: Result<Vec<Saved>, String>,
}

/// A loader thread's state, shared with the UI.
struct LoadRun {
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<(Progress, &'static str)>>,
    rx: mpsc::Receiver<LoadDone>,
}

/// What a load did. `store` holds every trace pulled from this backend (unindexed), for the
/// next load to add to.
struct LoadDone {
    store: Store,
    error: Option<BackendError>,
    summary: String,
    other_half: Option<u16>,
}

/// Runs `f` on a thread of its own; the result comes through the receiver, then a repaint.
fn spawn<T: Send + 'static>(
    ctx: &egui::Context,
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<mpsc::Receiver<T>, String> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name(format!("tracetopo-{name}"))
        .spawn(move || {
            let _ = tx.send(f());
            ctx.request_repaint();
        })
        .map(|_| rx)
        .map_err(|e| format!("cannot start a thread: {e}"))
}

/// A channel's value once there; `Err` when its thread died.
fn poll<T>(rx: &Option<mpsc::Receiver<T>>) -> Option<Result<T, ()>> {
    match rx.as_ref()?.try_recv() {
        Ok(v) => Some(Ok(v)),
        Err(mpsc::TryRecvError::Empty) => None,
        Err(mpsc::TryRecvError::Disconnected) => Some(Err(())),
    }
}

pub struct BackendPanel {
    ctx: egui::Context,
    config_path: Option<PathBuf>,
    saved: Vec<Saved>,
    dialog_open: bool,
    form: Form,
    connecting: Option<mpsc::Receiver<Result<Connected, BackendError>>>,
    conn: Option<Connection>,
    ops: Option<mpsc::Receiver<Result<Vec<String>, BackendError>>>,
    pub search: SearchForm,
    searching: Option<mpsc::Receiver<Result<Found, BackendError>>>,
    search_cancel: Arc<AtomicBool>,
    /// What the last search found, and its warnings.
    search_note: Option<String>,
    /// The time range of the rows listed.
    searched_window: Option<Window>,
    hits: Vec<Hit>,
    picked: BTreeSet<u128>,
    /// Traces pulled from this backend so far (unindexed; each load adds to it).
    pulled: Option<Store>,
    loading: Option<LoadRun>,
    /// The newest snapshot of a load not yet shown.
    latest: Arc<Mutex<Option<Arc<Session>>>>,
    /// Ask the backend for the other half of the breaks after each load.
    pub follow_breaks: bool,
    other_half: Option<u16>,
    error: Option<String>,
    summary: Option<String>,
    opts: Options,
}

impl BackendPanel {
    /// `config_dir`: where `backends.json` is kept (none: the user's config directory).
    pub fn new(ctx: &egui::Context, config_dir: Option<PathBuf>, opts: Options) -> Self {
        let config_path = backend_config::path(config_dir.as_deref());
        let saved = config_path
            .as_deref()
            .map(backend_config::load)
            .unwrap_or_default();
        BackendPanel {
            ctx: ctx.clone(),
            config_path,
            form: saved.first().map(Form::from_saved).unwrap_or_default(),
            saved,
            dialog_open: false,
            connecting: None,
            conn: None,
            ops: None,
            search: SearchForm::default(),
            searching: None,
            search_cancel: Arc::default(),
            search_note: None,
            searched_window: None,
            hits: Vec::new(),
            picked: BTreeSet::new(),
            pulled: None,
            loading: None,
            latest: Arc::default(),
            follow_breaks: true,
            other_half: None,
            error: None,
            summary: None,
            opts,
        }
    }

    pub fn open_dialog(&mut self) {
        self.dialog_open = true;
    }

    pub fn backend(&self) -> Option<&Arc<Backend>> {
        self.conn.as_ref().map(|c| &c.backend)
    }

    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    /// The last error shown (connect, search or load).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// What the last load did.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// A connection, search or load is running.
    pub fn is_busy(&self) -> bool {
        self.connecting.is_some() || self.searching.is_some() || self.loading.is_some()
    }

    /// The input the other half's traces were read into, in the session shown.
    pub fn other_half_input(&self) -> Option<u16> {
        self.other_half
    }

    /// For the status line: the backend connected, and what a load is doing.
    pub fn status(&self) -> Option<String> {
        let c = self.conn.as_ref()?;
        let mut s = format!("{} {}", title(c.backend.kind()), c.backend.url());
        if let Some(run) = &self.loading
            && let Ok(p) = run.progress.lock()
        {
            s.push_str(&format!(" · {} {}/{}", p.1, p.0.fetched, p.0.to_fetch));
        }
        Some(s)
    }

    /// Picks up finished requests; returns a new session to show, if one is ready.
    pub fn poll(&mut self) -> Option<Arc<Session>> {
        if let Some(r) = poll(&self.connecting) {
            self.connecting = None;
            match r {
                Ok(Ok(c)) => {
                    let kind = c.backend.kind();
                    match c.saved {
                        Ok(all) => self.saved = all,
                        Err(e) => self.summary = Some(e),
                    }
                    self.search.service = c.services.first().cloned().unwrap_or_default();
                    self.conn = Some(Connection {
                        backend: Arc::new(c.backend),
                        services: c.services,
                        operations: Vec::new(),
                        ops_service: String::new(),
                    });
                    self.hits.clear();
                    self.picked.clear();
                    // A load still running belongs to the previous backend.
                    self.cancel();
                    self.pulled = None;
                    self.other_half = None;
                    self.error = None;
                    self.dialog_open = false;
                    if kind == Kind::Jaeger {
                        self.list_operations();
                    }
                }
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(()) => self.error = Some("the connection attempt stopped unexpectedly".into()),
            }
        }
        if let Some(r) = poll(&self.ops) {
            self.ops = None;
            match r {
                Ok(Ok(ops)) => {
                    if let Some(c) = &mut self.conn {
                        c.operations = ops;
                    }
                }
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(()) => {}
            }
        }
        if let Some(r) = poll(&self.searching) {
            self.searching = None;
            match r {
                Ok(Ok((hits, sum))) => {
                    let mut note = format::count(hits.len() as u64, "trace");
                    for w in &sum.warnings {
                        note.push_str("; ");
                        note.push_str(w);
                    }
                    self.search_note = Some(note);
                    self.hits = hits;
                    self.picked.clear();
                    self.error = None;
                }
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(()) => self.error = Some("the search stopped unexpectedly".into()),
            }
        }
        let done = self.loading.as_ref().map(|run| run.rx.try_recv());
        match done {
            Some(Ok(d)) => {
                self.loading = None;
                self.pulled = Some(d.store);
                self.other_half = d.other_half;
                self.summary = Some(d.summary);
                self.error = d.error.map(|e| e.to_string());
            }
            Some(Err(mpsc::TryRecvError::Disconnected)) => {
                self.loading = None;
                self.error = Some("the load stopped unexpectedly".into());
            }
            Some(Err(mpsc::TryRecvError::Empty)) | None => {}
        }
        self.latest.lock().ok().and_then(|mut l| l.take())
    }

    fn connect(&mut self) {
        let form = self.form.clone();
        let config = match form.http_config() {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let path = self.config_path.clone();
        self.error = None;
        let started = spawn(&self.ctx, "connect", move || {
            let backend = Backend::connect(form.url.trim(), form.kind, config, None)?;
            let services = backend.services(None)?;
            let saved = match &path {
                Some(p) => backend_config::remember(p, form.to_saved(backend.kind())),
                None => Err("no config directory: the backend is not remembered".to_string()),
            };
            Ok(Connected {
                backend,
                services,
                saved,
            })
        });
        match started {
            Ok(rx) => self.connecting = Some(rx),
            Err(e) => self.error = Some(e),
        }
    }

    fn list_operations(&mut self) {
        let Some(c) = &mut self.conn else { return };
        if c.ops_service == self.search.service {
            return;
        }
        if self.search.service.is_empty() {
            // Every service: the operation list would be theirs all, so only "all" is offered.
            c.ops_service.clear();
            c.operations.clear();
            return;
        }
        c.ops_service = self.search.service.clone();
        c.operations.clear();
        let (b, service) = (Arc::clone(&c.backend), c.ops_service.clone());
        self.ops = spawn(&self.ctx, "operations", move || {
            b.operations(&service, None)
        })
        .ok();
    }

    fn start_search(&mut self) {
        let Some(c) = &self.conn else { return };
        let q = match self.search.query(c.backend.kind(), SystemTime::now()) {
            Ok(q) => q,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let b = Arc::clone(&c.backend);
        self.error = None;
        self.search_note = None;
        self.searched_window = q.window;
        let cancel = Arc::new(AtomicBool::new(false));
        self.search_cancel = Arc::clone(&cancel);
        match spawn(&self.ctx, "search", move || {
            let opts = PullOptions {
                cancel: Some(&cancel),
                ..PullOptions::default()
            };
            backend::search(&b, &q, &opts)
        }) {
            Ok(rx) => self.searching = Some(rx),
            Err(e) => self.error = Some(e),
        }
    }

    /// Fetches `ids` (those not pulled before) into the session.
    pub fn load(&mut self, ids: Vec<u128>) {
        let Some(c) = &self.conn else { return };
        if self.loading.is_some() {
            return;
        }
        // The window the rows were found in (a preset's "now" has moved on since): Tempo looks
        // for a trace by id in the blocks of that range.
        let window = self.searched_window;
        let store = self.pulled.take().unwrap_or_default();
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Mutex::new((Progress::default(), "fetching")));
        let job = Job {
            backend: Arc::clone(&c.backend),
            ids,
            window,
            follow: self.follow_breaks,
            opts: self.opts,
            cancel: Arc::clone(&cancel),
            progress: Arc::clone(&progress),
            latest: Arc::clone(&self.latest),
            ctx: self.ctx.clone(),
        };
        match spawn(&self.ctx, "pull", move || job.run(store)) {
            Ok(rx) => {
                self.error = None;
                self.summary = None;
                self.loading = Some(LoadRun {
                    cancel,
                    progress,
                    rx,
                });
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn cancel(&self) {
        if let Some(run) = &self.loading {
            run.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Draws the dialog (when open) and the panel (when connected); navigation it asks for.
    pub fn show(&mut self, ui: &mut Ui, session: Option<&Arc<Session>>) -> Vec<Nav> {
        if self.dialog_open {
            let mut open = true;
            let busy = self.connecting.is_some();
            let error = if self.conn.is_none() || busy {
                self.error.clone()
            } else {
                None
            };
            let action = egui::Window::new("Connect to backend")
                .open(&mut open)
                .collapsible(false)
                .resizable(false)
                .show(ui.ctx(), |ui| {
                    connect_dialog::ui(ui, &mut self.form, &self.saved, busy, error.as_deref())
                })
                .and_then(|r| r.inner);
            match action {
                Some(connect_dialog::Action::Connect) => self.connect(),
                Some(connect_dialog::Action::Close) => open = false,
                _ => {}
            }
            self.dialog_open = open;
        }
        if self.is_busy() {
            // Progress comes from other threads: keep redrawing while they run.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if self.conn.is_none() {
            return Vec::new();
        }
        let mut nav = Vec::new();
        egui::Panel::left("backend")
            .resizable(true)
            .default_size(560.0)
            .show(ui, |ui| nav = self.panel_ui(ui, session));
        nav
    }

    fn panel_ui(&mut self, ui: &mut Ui, session: Option<&Arc<Session>>) -> Vec<Nav> {
        let Some(c) = &self.conn else {
            return Vec::new();
        };
        let kind = c.backend.kind();
        ui.horizontal(|ui| {
            ui.heading(title(kind));
            ui.weak(c.backend.url());
        });
        ui.separator();
        match kind {
            Kind::Tempo => self.tempo_form(ui),
            Kind::Jaeger => self.jaeger_form(ui),
        }
        self.range_ui(ui);
        ui.horizontal(|ui| {
            let l = ui.label("Limit");
            ui.add(egui::DragValue::new(&mut self.search.limit).range(1..=MAX_LIMIT))
                .labelled_by(l.id);
            let searching = self.searching.is_some();
            if ui
                .add_enabled(!searching, egui::Button::new("Search"))
                .clicked()
            {
                self.start_search();
            }
            if searching {
                ui.spinner();
                if ui.button("Cancel search").clicked() {
                    self.search_cancel.store(true, Ordering::Relaxed);
                }
            }
        });
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(Color32::from_rgb(230, 90, 80)));
        }
        ui.separator();
        self.load_ui(ui);
        self.results_ui(ui);
        self.other_half_ui(ui, session)
    }

    fn tempo_form(&mut self, ui: &mut Ui) {
        let l = ui.label("TraceQL");
        ui.add(
            egui::TextEdit::multiline(&mut self.search.traceql)
                .code_editor()
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    }

    fn jaeger_form(&mut self, ui: &mut Ui) {
        let Some(c) = &self.conn else { return };
        let before = self.search.service.clone();
        egui::Grid::new("jaeger-search")
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label("Service");
                let all = "all".to_string();
                let shown = if self.search.service.is_empty() {
                    &all
                } else {
                    &self.search.service
                };
                egui::ComboBox::from_id_salt("jaeger-service")
                    .selected_text(shown)
                    .width(260.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.search.service, String::new(), "all")
                            .on_hover_text("One search per service the backend lists");
                        for s in &c.services {
                            ui.selectable_value(&mut self.search.service, s.clone(), s);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Operation");
                let any = "all".to_string();
                let shown = if self.search.operation.is_empty() {
                    &any
                } else {
                    &self.search.operation
                };
                egui::ComboBox::from_id_salt("jaeger-operation")
                    .selected_text(shown)
                    .width(260.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.search.operation, String::new(), "all");
                        for o in &c.operations {
                            ui.selectable_value(&mut self.search.operation, o.clone(), o);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                for (label, value, hint) in [
                    (
                        "Attributes",
                        &mut self.search.attributes,
                        "http.status_code=500",
                    ),
                    ("Min duration", &mut self.search.duration_min, "100ms"),
                    ("Max duration", &mut self.search.duration_max, "2s"),
                ] {
                    let l = ui.label(label);
                    ui.add(egui::TextEdit::singleline(value).hint_text(hint))
                        .labelled_by(l.id);
                    ui.end_row();
                }
            });
        if self.search.service != before {
            self.search.operation.clear();
            self.list_operations();
        }
    }

    fn range_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.label("Last");
            for (name, secs) in PRESETS {
                ui.selectable_value(&mut self.search.range, Range::Last(secs), name);
            }
            ui.selectable_value(&mut self.search.range, Range::Custom, "Custom");
        });
        if self.search.range == Range::Custom {
            ui.horizontal(|ui| {
                let l = ui.label("From");
                ui.add(
                    egui::TextEdit::singleline(&mut self.search.custom_start)
                        .hint_text("2026-11-28T10:00:00Z")
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
                let l = ui.label("To");
                ui.add(
                    egui::TextEdit::singleline(&mut self.search.custom_end)
                        .hint_text("2026-11-28T11:00:00Z")
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            });
        }
    }

    fn load_ui(&mut self, ui: &mut Ui) {
        if let Some(run) = &self.loading {
            let (p, stage) = run.progress.lock().map(|p| *p).unwrap_or_default();
            let fraction = if p.to_fetch > 0 {
                p.fetched as f32 / p.to_fetch as f32
            } else {
                0.0
            };
            let mut cancel = false;
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(260.0)
                        .text(format!(
                            "{stage}: {} of {} traces, {}",
                            p.fetched,
                            p.to_fetch,
                            format::count(p.spans, "span")
                        )),
                );
                cancel = ui.button("Cancel").clicked();
            });
            if cancel {
                self.cancel();
            }
            return;
        }
        ui.horizontal(|ui| {
            let all = ui.add_enabled(!self.hits.is_empty(), egui::Button::new("Load all"));
            if all.clicked() {
                self.load(self.hits.iter().map(|h| h.trace_id).collect());
            }
            let n = self.picked.len();
            let sel = egui::Button::new(format!("Load selected ({n})"));
            if ui.add_enabled(n > 0, sel).clicked() {
                self.load(self.picked.iter().copied().collect());
            }
            ui.checkbox(&mut self.follow_breaks, "Fetch the other half")
                .on_hover_text(
                    "After loading, ask the backend for the callee traces and late parents the \
                     breaks point to (at most 50 requests)",
                );
        });
        if let Some(s) = &self.summary {
            ui.weak(s);
        }
    }

    fn results_ui(&mut self, ui: &mut Ui) {
        if self.hits.is_empty() {
            if self.searching.is_none() {
                ui.weak("No results: search above.");
            }
            return;
        }
        if let Some(n) = &self.search_note {
            ui.label(n);
        }
        egui::ScrollArea::both()
            .id_salt("backend-results")
            .max_height(ui.available_height() * 0.7)
            .show(ui, |ui| {
                egui::Grid::new("backend-hits")
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for h in [
                            "Trace",
                            "Root service",
                            "Name",
                            "Start (UTC)",
                            "Duration",
                            "Spans",
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for h in &self.hits {
                            let mut on = self.picked.contains(&h.trace_id);
                            // The id's first 8 digits, as Tempo's and Jaeger's lists show it.
                            let id = format!("{:032x}", h.trace_id);
                            let r = ui
                                .checkbox(&mut on, &id[..8])
                                .on_hover_text(format!("Trace {id}"));
                            if r.changed() {
                                if on {
                                    self.picked.insert(h.trace_id);
                                } else {
                                    self.picked.remove(&h.trace_id);
                                }
                            }
                            if h.root_service.is_empty() {
                                ui.weak("(root not received)");
                            } else {
                                ui.label(&h.root_service);
                            }
                            ui.label(&h.root_name);
                            // To the second: the rows are a list to choose from, the trace shows the rest.
                            ui.label(&format::utc(h.start_unix_nano)[..19]);
                            ui.label(format::duration(h.duration_ms.saturating_mul(1_000_000)));
                            match h.spans {
                                Some(n) => ui.label(n.to_string()),
                                None => ui.weak("?").on_hover_text(
                                    "this Tempo's search does not count spans (before 2.3): load the trace",
                                ),
                            };
                            ui.end_row();
                        }
                    });
            });
    }

    /// The breaks whose other side was fetched from the backend, each opening that trace.
    fn other_half_ui(&self, ui: &mut Ui, session: Option<&Arc<Session>>) -> Vec<Nav> {
        let mut nav = Vec::new();
        let (Some(input), Some(s)) = (self.other_half, session) else {
            return nav;
        };
        let found: Vec<(usize, u32)> = s
            .analysis
            .breaks
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                let fetched = std::iter::once(b.span)
                    .chain(b.related)
                    .find(|&i| s.store.span(i).input == input)?;
                Some((k, fetched))
            })
            .collect();
        if found.is_empty() {
            return nav;
        }
        ui.separator();
        ui.strong(format!(
            "The other half: {} with evidence from the backend",
            format::count(found.len() as u64, "break")
        ));
        for (k, span) in found {
            let b = &s.analysis.breaks[k];
            let sp = s.store.span(span);
            let id = format!("{:032x}", sp.trace_id);
            let text = format!(
                "{} → trace {} · {} · {}",
                b.kind.name(),
                &id[..8],
                s.store.service_name(span),
                s.store.str(sp.name)
            );
            if ui
                .link(text)
                .on_hover_text(format!("Open the fetched trace {id}"))
                .clicked()
                && let Ok(t) = s
                    .store
                    .index
                    .traces
                    .binary_search_by_key(&sp.trace_id, |t| t.id)
            {
                nav.push(Nav::OpenTrace {
                    trace: t as u32,
                    focus_span: Some(span),
                });
            }
        }
        nav
    }
}

fn title(kind: Kind) -> &'static str {
    match kind {
        Kind::Tempo => "Tempo",
        Kind::Jaeger => "Jaeger",
    }
}

/// One load, run on its own thread.
struct Job {
    backend: Arc<Backend>,
    ids: Vec<u128>,
    window: Option<Window>,
    follow: bool,
    opts: Options,
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<(Progress, &'static str)>>,
    latest: Arc<Mutex<Option<Arc<Session>>>>,
    ctx: egui::Context,
}

impl Job {
    fn publish(&self, store: &Store) -> Arc<Session> {
        let s = Session::build(store.clone(), self.opts);
        if let Ok(mut l) = self.latest.lock() {
            *l = Some(Arc::clone(&s));
        }
        self.ctx.request_repaint();
        s
    }

    fn report(&self, stage: &'static str) -> impl Fn(&Progress) + Sync + '_ {
        move |p: &Progress| {
            if let Ok(mut l) = self.progress.lock() {
                *l = (*p, stage);
            }
        }
    }

    /// Pulls the traces not in `store` yet, publishing snapshots as they arrive, then the other
    /// half. What arrived before an error or Cancel stays.
    fn run(self, mut store: Store) -> LoadDone {
        let url = self.backend.url().to_string();
        let input = match store.inputs.iter().position(|i| i.path == url) {
            Some(i) => i as u16,
            None => store.add_input(&url, self.backend.kind().name()),
        };
        let known: BTreeSet<u128> = store.spans.iter().map(|s| s.trace_id).collect();
        let ids: Vec<u128> = self
            .ids
            .iter()
            .copied()
            .filter(|id| !known.contains(id))
            .collect();
        let q = Query {
            max_traces: ids.len(),
            trace_ids: ids,
            window: self.window,
            ..Query::default()
        };
        let report = self.report("fetching");
        let opts = PullOptions {
            progress: Some(&report),
            cancel: Some(&self.cancel),
            ..PullOptions::default()
        };
        let mut last = Instant::now();
        let mut got = backend::pull(&self.backend, &q, &opts, &mut |f| {
            for b in f.batches {
                store.add_batch(b, input);
            }
            if last.elapsed() >= SNAPSHOT_EVERY {
                self.publish(&store);
                last = Instant::now();
            }
        });
        let session = self.publish(&store);
        let mut summary = match &got {
            Ok(s) => format!(
                "Loaded {} ({})",
                format::count(s.fetched, "trace"),
                format::count(s.spans, "span")
            ),
            Err(_) => format!(
                "Stopped: {} kept",
                format::count(session.store.index.traces.len() as u64, "trace")
            ),
        };
        if let Ok(s) = &got {
            for w in &s.warnings {
                summary.push_str("; ");
                summary.push_str(w);
            }
        }
        if got.is_ok() && self.follow {
            let asks = follow::plan(&session.store, &session.analysis);
            if !asks.is_empty() {
                let name = format!("{url} (the other half)");
                let oh = match store.inputs.iter().position(|i| i.path == name) {
                    Some(i) => i as u16,
                    None => store.add_input(&name, self.backend.kind().name()),
                };
                let report = self.report("the other half");
                let opts = PullOptions {
                    progress: Some(&report),
                    ..opts
                };
                let r = follow::follow(
                    &self.backend,
                    &session.store,
                    &asks,
                    follow::DEFAULT_MAX_REQUESTS,
                    &opts,
                    &mut |f| {
                        for b in f.batches {
                            store.add_batch(b, oh);
                        }
                    },
                );
                match r {
                    Ok(f) => {
                        summary.push_str(&format!(
                            "; the other half: {} fetched",
                            format::count(f.summary.fetched, "trace")
                        ));
                        for w in &f.summary.warnings {
                            summary.push_str("; ");
                            summary.push_str(w);
                        }
                    }
                    Err(e) => got = Err(e),
                }
                self.publish(&store);
            }
        }
        let name = format!("{url} (the other half)");
        let other_half = store
            .inputs
            .iter()
            .position(|i| i.path == name)
            .map(|i| i as u16);
        LoadDone {
            store,
            error: got.err(),
            summary,
            other_half,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_makes_the_query() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut f = SearchForm {
            range: Range::Last(900),
            limit: 5000,
            traceql: "  ".into(),
            ..SearchForm::default()
        };
        let q = f.query(Kind::Tempo, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.window,
            Some(Window {
                start: 1_700_000_000 - 900,
                end: 1_700_000_000
            })
        );
        assert_eq!((q.limit, q.max_traces), (MAX_LIMIT, MAX_LIMIT as usize));
        assert_eq!(q.traceql, None);

        f.range = Range::Custom;
        f.custom_start = "2023-11-14T22:13:20Z".into();
        f.custom_end = "1700000060".into();
        f.service = "checkout".into();
        f.attributes = "http.method=GET  peer=a=b".into();
        f.duration_min = "150ms".into();
        let q = f.query(Kind::Jaeger, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.window,
            Some(Window {
                start: 1_700_000_000,
                end: 1_700_000_060
            })
        );
        assert_eq!(q.service.as_deref(), Some("checkout"));
        assert_eq!(
            q.attributes,
            vec![
                ("http.method".to_string(), "GET".to_string()),
                ("peer".to_string(), "a=b".to_string())
            ]
        );
        assert_eq!(q.min_duration, Some(Duration::from_millis(150)));
        assert_eq!(q.max_duration, None);

        for (field, bad) in [("attributes", "=x"), ("duration", "soon"), ("range", "")] {
            let mut g = f.clone();
            match field {
                "attributes" => g.attributes = bad.into(),
                "duration" => g.duration_max = bad.into(),
                _ => g.custom_end = "1699999999".into(),
            }
            assert!(g.query(Kind::Jaeger, now).is_err(), "{field} {bad:?}");
        }
    }
}
