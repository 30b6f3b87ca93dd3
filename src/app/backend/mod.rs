//! The backend search panel (left side, once connected): TraceQL for Tempo; service,
//! operation, attributes and duration for Jaeger (services and operations listed by the
//! backend); time presets and a limit; the matching traces (root service, name, start,
//! duration, spans); Load all / Load selected. Loaded traces stream into the session as they
//! arrive, with progress and Cancel; then "the other half" of the breaks found is asked for
//! (on by default) and the breaks it explains open the fetched trace.
//!
//! Every request runs on a thread of its own (`Task`); the UI only polls. What is fetched,
//! when and how much: docs/backends.md.

pub mod config;
pub mod connect_dialog;
mod form;
mod load;
mod results;

pub use form::{MAX_LIMIT, Range, SearchForm};

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use egui::{Color32, RichText, Ui};

use self::config::Saved;
use self::connect_dialog::Form;
use self::load::LoadRun;
use super::format;
use super::state::{Nav, Session};
use super::task::{self, Task};
use crate::analysis::Options;
use crate::backend::{self, Backend, BackendError, Hit, Kind, PullOptions, Summary, Window};
use crate::model::Store;

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

pub struct BackendPanel {
    ctx: egui::Context,
    config_path: Option<PathBuf>,
    saved: Vec<Saved>,
    dialog_open: bool,
    form: Form,
    connecting: Option<Task<Result<Connected, BackendError>>>,
    conn: Option<Connection>,
    ops: Option<Task<Result<Vec<String>, BackendError>>>,
    pub search: SearchForm,
    searching: Option<Task<Result<Found, BackendError>>>,
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
        let config_path = config::path(config_dir.as_deref());
        let saved = config_path.as_deref().map(config::load).unwrap_or_default();
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
        if let Some(run) = &self.loading {
            let (p, stage) = run.progress();
            s.push_str(&format!(" · {stage} {}/{}", p.fetched, p.to_fetch));
        }
        Some(s)
    }

    /// Picks up finished requests; returns a new session to show, if one is ready.
    pub fn poll(&mut self) -> Option<Arc<Session>> {
        if let Some(r) = task::take(&mut self.connecting) {
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
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(r) = task::take(&mut self.ops) {
            match r {
                Ok(Ok(ops)) => {
                    if let Some(c) = &mut self.conn {
                        c.operations = ops;
                    }
                }
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(r) = task::take(&mut self.searching) {
            match r {
                Ok(Ok((hits, sum))) => {
                    let mut note = format::count(hits.len() as u64, "trace");
                    push_warnings(&mut note, &sum.warnings);
                    self.search_note = Some(note);
                    self.hits = hits;
                    self.picked.clear();
                    self.error = None;
                }
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(run) = &self.loading {
            match run.task.poll() {
                task::Poll::Pending => {}
                task::Poll::Ready(d) => {
                    self.loading = None;
                    self.pulled = Some(d.store);
                    self.other_half = d.other_half;
                    self.summary = Some(d.summary);
                    self.error = d.error.map(|e| e.to_string());
                }
                task::Poll::Lost(e) => {
                    self.loading = None;
                    self.error = Some(e);
                }
            }
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
        let started = Task::spawn("connect", &self.ctx, move || {
            let backend = Backend::connect(form.url.trim(), form.kind, config, None)?;
            let services = backend.services(None)?;
            let saved = match &path {
                Some(p) => config::remember(p, form.to_saved(backend.kind())),
                None => Err("no config directory: the backend is not remembered".to_string()),
            };
            Ok(Connected {
                backend,
                services,
                saved,
            })
        });
        match started {
            Ok(t) => self.connecting = Some(t),
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
        match Task::spawn("operations", &self.ctx, move || {
            b.operations(&service, None)
        }) {
            Ok(t) => self.ops = Some(t),
            Err(e) => self.error = Some(e),
        }
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
        match Task::spawn("search", &self.ctx, move || {
            let opts = PullOptions {
                cancel: Some(&cancel),
                ..PullOptions::default()
            };
            backend::search(&b, &q, &opts)
        }) {
            Ok(t) => self.searching = Some(t),
            Err(e) => self.error = Some(e),
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
}

/// Appends `warnings` to a one-line summary, each after "; ".
fn push_warnings(line: &mut String, warnings: &[String]) {
    for w in warnings {
        line.push_str("; ");
        line.push_str(w);
    }
}

fn title(kind: Kind) -> &'static str {
    match kind {
        Kind::Tempo => "Tempo",
        Kind::Jaeger => "Jaeger",
    }
}
