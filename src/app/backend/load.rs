//! A load: the picked traces pulled on a thread of their own, streamed into the session as they
//! arrive (a snapshot at most every `SNAPSHOT_EVERY`), then the other half of the breaks.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::Ui;

use super::{BackendPanel, push_warnings};
use crate::analysis::Options;
use crate::app::format;
use crate::app::state::Session;
use crate::app::task::Task;
use crate::app::widgets::progress_with_cancel;
use crate::backend::{self, Backend, BackendError, Progress, PullOptions, Query, Window, follow};
use crate::model::Store;

/// While traces arrive, the session shown is rebuilt at most this often.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(300);

/// A loader thread's state, shared with the UI.
pub(super) struct LoadRun {
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<(Progress, &'static str)>>,
    pub(super) task: Task<LoadDone>,
}

impl LoadRun {
    /// What the status line says of it.
    pub(super) fn progress(&self) -> (Progress, &'static str) {
        self.progress.lock().map(|p| *p).unwrap_or_default()
    }
}

/// What a load did. `store` holds every trace pulled from this backend (unindexed), for the
/// next load to add to.
pub(super) struct LoadDone {
    pub(super) store: Store,
    pub(super) error: Option<BackendError>,
    pub(super) summary: String,
    pub(super) other_half: Option<u16>,
}

impl BackendPanel {
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
        match Task::spawn("pull", &self.ctx, move || job.run(store)) {
            Ok(task) => {
                self.error = None;
                self.summary = None;
                self.loading = Some(LoadRun {
                    cancel,
                    progress,
                    task,
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

    pub(super) fn load_ui(&mut self, ui: &mut Ui) {
        if let Some(run) = &self.loading {
            let (p, stage) = run.progress();
            let text = format!(
                "{stage}: {} of {} traces, {}",
                p.fetched,
                p.to_fetch,
                format::count(p.spans, "span")
            );
            let of = (p.fetched as f64, p.to_fetch as f64);
            if progress_with_cancel(ui, of, 260.0, text, "Cancel") {
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
        let format = self.backend.kind().name();
        let input = input_named(&mut store, &url, format);
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
            push_warnings(&mut summary, &s.warnings);
        }
        if got.is_ok() && self.follow {
            let asks = follow::plan(&session.store, &session.analysis);
            if !asks.is_empty() {
                let name = format!("{url} (the other half)");
                let oh = input_named(&mut store, &name, format);
                let report = self.report("the other half");
                let opts = PullOptions {
                    progress: Some(&report),
                    ..opts
                };
                let r = follow::follow_into(
                    &self.backend,
                    &session.store,
                    &asks,
                    &opts,
                    &mut store,
                    oh,
                );
                match r {
                    Ok(f) => {
                        summary.push_str(&format!(
                            "; the other half: {} fetched",
                            format::count(f.summary.fetched, "trace")
                        ));
                        push_warnings(&mut summary, &f.summary.warnings);
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

/// The number of the input called `name`, added (with `format`) if the store has none.
fn input_named(store: &mut Store, name: &str, format: &str) -> u16 {
    match store.inputs.iter().position(|i| i.path == name) {
        Some(i) => i as u16,
        None => store.add_input(name, format),
    }
}
