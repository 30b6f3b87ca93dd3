//! Live mode in the app: the receiver and the live store behind a Listen toggle, the status
//! line (addresses, spans/s, spans held against the limit, refused and evicted counts), and
//! Pause/Follow. New snapshots are indexed and analysed on the live store's snapshot thread;
//! the app only swaps the `Arc<Session>` it draws.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use super::format;
use super::state::Session;
use super::theme;
use crate::analysis::Options;
use crate::live::LiveConfig;
use crate::live::collector::{Collector, Snapshot};
use crate::live::follow::{Followed, Follower};
use crate::live::server::Server;
use crate::live::stats::{Stats, StatsSnapshot};

/// The spans/s figure averages over this window.
const RATE_WINDOW: Duration = Duration::from_secs(3);

pub struct Live {
    cfg: LiveConfig,
    stats: Arc<Stats>,
    collector: Collector,
    server: Option<Server>,
    /// Files (and standard input) followed into the live store.
    followers: Vec<Follower>,
    /// The newest analysed snapshot not yet shown.
    latest: Arc<Mutex<Option<Arc<Session>>>>,
    /// When false (paused), snapshots wait in `latest` and the views stay as they are.
    pub follow: bool,
    error: Option<String>,
    samples: VecDeque<(Instant, u64)>,
}

impl Live {
    /// Starts the live store; the receiver starts too when `listen` is set.
    pub fn new(
        cfg: LiveConfig,
        opts: Options,
        ctx: &egui::Context,
        listen: bool,
    ) -> std::io::Result<Live> {
        let stats = Arc::new(Stats::default());
        let latest: Arc<Mutex<Option<Arc<Session>>>> = Arc::default();
        let publish = {
            let (latest, ctx) = (Arc::clone(&latest), ctx.clone());
            move |snap: Snapshot| {
                let session = Session::build_with(snap.store, opts, Some(snap.arrivals));
                if let Ok(mut l) = latest.lock() {
                    *l = Some(session);
                }
                ctx.request_repaint();
            }
        };
        let collector = Collector::start(&cfg, Arc::clone(&stats), publish)?;
        let mut live = Live {
            cfg,
            stats,
            collector,
            server: None,
            followers: Vec::new(),
            latest,
            follow: true,
            error: None,
            samples: VecDeque::new(),
        };
        if listen {
            live.set_listening(true);
        }
        Ok(live)
    }

    pub fn config(&self) -> LiveConfig {
        self.cfg
    }

    pub fn listening(&self) -> bool {
        self.server.is_some()
    }

    /// The addresses actually bound (port 0 resolved), while listening.
    pub fn addresses(&self) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        self.server.as_ref().map(|s| (s.grpc_addr, s.http_addr))
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Starts or stops the receiver; what was received stays in the live store.
    pub fn set_listening(&mut self, on: bool) {
        if on == self.listening() {
            return;
        }
        if let Some(s) = self.server.take() {
            s.stop();
            return;
        }
        match Server::start(&self.cfg, self.collector.sink(), Arc::clone(&self.stats)) {
            Ok(s) => {
                self.server = Some(s);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Follows a file (or standard input) into the live store; one already followed is not
    /// followed twice.
    pub fn follow_input(&mut self, what: Followed) {
        if self.followers.iter().any(|f| f.what == what) {
            return;
        }
        match Follower::start(what, self.collector.sink(), Arc::clone(&self.stats)) {
            Ok(f) => self.followers.push(f),
            Err(e) => self.error = Some(format!("cannot follow: {e}")),
        }
    }

    /// What is followed, by name.
    pub fn followed(&self) -> Vec<String> {
        self.followers.iter().map(|f| f.what.name()).collect()
    }

    /// The newest snapshot, when following and one arrived since the last call.
    pub fn take_snapshot(&mut self) -> Option<Arc<Session>> {
        if !self.follow {
            return None;
        }
        self.latest.lock().ok()?.take()
    }

    /// Whether a newer snapshot than the one shown is waiting (while paused).
    fn waiting(&self) -> bool {
        self.latest.lock().is_ok_and(|l| l.is_some())
    }

    fn rate(&mut self, now: Instant, spans: u64) -> f64 {
        self.samples.push_back((now, spans));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| now.duration_since(t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, s0)), Some(&(t1, s1))) if t1 > t0 => {
                (s1 - s0) as f64 / (t1 - t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// The live status line: Listen toggle, addresses, rate, held/limit, refusals, Pause/Follow.
    pub fn status_ui(&mut self, ui: &mut Ui) {
        let now = Instant::now();
        let st = self.stats.snapshot();
        let rate = self.rate(now, st.spans);
        ui.horizontal(|ui| {
            let mut on = self.listening();
            if ui
                .checkbox(&mut on, "Listen")
                .on_hover_text("Receive OTLP traces from a Collector or an SDK")
                .changed()
            {
                self.set_listening(on);
            }
            match (self.addresses(), &self.error) {
                (_, Some(e)) => {
                    ui.colored_label(theme::ERROR, e);
                }
                (Some((g, h)), None) => {
                    ui.label(format!("gRPC {g} · HTTP {h}"));
                }
                (None, None) => {
                    ui.weak("not listening");
                }
            }
            if !self.followers.is_empty() {
                ui.separator();
                ui.label(format!("following {}", self.followed().join(", ")));
            }
            ui.separator();
            ui.label(format!("{} spans/s", format::short(rate)));
            ui.label(format!(
                "{} held of {}",
                format::thousands(st.held),
                format::thousands(self.cfg.retain_spans as u64)
            ))
            .on_hover_text("Spans kept in memory; beyond the limit the oldest traces are evicted");
            ui.label(format!(
                "request limit {} MiB",
                self.cfg.max_request_bytes >> 20
            ));
            let problems =
                st.refused_requests() + st.rejected_spans + st.evicted_spans + st.evicted_logs;
            let logs_evicted = match st.evicted_logs {
                0 => String::new(),
                n => format!(", {}", format::count(n, "log record")),
            };
            let text = format!(
                "{} refused · {} rejected · {}{logs_evicted} evicted",
                format::count(st.refused_requests(), "request"),
                format::count(st.rejected_spans, "span"),
                format::count(st.evicted_spans, "span")
            );
            let text = if problems > 0 {
                RichText::new(text).color(theme::WARNING)
            } else {
                RichText::new(text).weak()
            };
            ui.label(text).on_hover_text(format!(
                "refused: {} bad payload (400), {} too large (413), {} unknown content type (415); \
                 rejected: spans a request carried beyond the retention limit; evicted: {} \
                 spans of {} old traces dropped to stay under the limit (their log records with \
                 them), and {} log records of no held trace, oldest first",
                st.bad_requests,
                st.too_large,
                st.unsupported,
                st.evicted_spans,
                st.evicted_traces,
                st.evicted_logs
            ));
            ui.separator();
            let (label, hover) = if self.follow {
                (
                    "■ Pause",
                    "Freeze the views; spans keep arriving in the background",
                )
            } else if self.waiting() {
                (
                    "▶ Follow (new data)",
                    "Show what arrived meanwhile and keep following",
                )
            } else {
                ("▶ Follow", "Show new spans as they arrive")
            };
            if ui.button(label).on_hover_text(hover).clicked() {
                self.follow = !self.follow;
            }
        });
        // Rates, pending breaks and grace periods change with time alone.
        ui.ctx().request_repaint_after(Duration::from_millis(500));
    }
}
