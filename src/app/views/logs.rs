//! The Logs tab (issue 12): every log record, filtered by service, least severity, text, and
//! how it was joined; only the rows in view are built. Clicking a record placed on a span
//! opens its trace focused on that span. Also the log list of a span's Details, and the
//! severity colours the flame chart's ticks use.

use std::sync::Arc;

use egui::{ComboBox, Rect, Role, Sense, Ui, WidgetInfo};

use crate::app::format;
use crate::app::state::{Session, View, ViewCtx};
use crate::app::theme::level_color;
use crate::model::{Join, Level, NONE, Store};

const ROW_HEIGHT: f32 = 22.0;

/// Which records the join filter lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinFilter {
    #[default]
    All,
    Joined,
    UnknownTrace,
    WithoutTrace,
}

impl JoinFilter {
    const ALL: [JoinFilter; 4] = [
        JoinFilter::All,
        JoinFilter::Joined,
        JoinFilter::UnknownTrace,
        JoinFilter::WithoutTrace,
    ];

    fn title(self) -> &'static str {
        match self {
            JoinFilter::All => "all records",
            JoinFilter::Joined => "joined to a trace",
            JoinFilter::UnknownTrace => "unknown trace",
            JoinFilter::WithoutTrace => "without trace",
        }
    }

    fn admits(self, j: Join) -> bool {
        match self {
            JoinFilter::All => true,
            JoinFilter::Joined => matches!(j, Join::Span | Join::Trace),
            JoinFilter::UnknownTrace => j == Join::UnknownTrace,
            JoinFilter::WithoutTrace => j == Join::WithoutTrace,
        }
    }
}

/// The filters; the list is rebuilt when they change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFilter {
    /// A service number (`index.services`), or every service.
    pub service: Option<u32>,
    /// Records at least this severe.
    pub level: Option<Level>,
    /// Case-insensitive text in the body.
    pub text: String,
    pub join: JoinFilter,
}

impl LogFilter {
    /// The records `store` holds that pass, in time order.
    pub fn apply(&self, store: &Store) -> Vec<u32> {
        let needle = self.text.to_lowercase();
        let mut out: Vec<u32> = (0..store.logs.len() as u32)
            .filter(|&k| {
                let l = store.log(k);
                self.service.is_none_or(|s| store.log_service_idx(k) == s)
                    && self.level.is_none_or(|m| Level::of(l.severity) >= m)
                    && self.join.admits(
                        store
                            .index
                            .log_join
                            .get(k as usize)
                            .copied()
                            .unwrap_or(Join::WithoutTrace),
                    )
                    && (needle.is_empty() || store.log_body(k).to_lowercase().contains(&needle))
            })
            .collect();
        out.sort_by_key(|&k| (store.log(k).time, k));
        out
    }
}

#[derive(Default)]
pub struct LogsView {
    /// The session last drawn: a service filter follows its service by name into the next.
    session: Option<Arc<Session>>,
    pub filter: LogFilter,
    applied: Option<LogFilter>,
    shown: Vec<u32>,
}

impl LogsView {
    pub fn new() -> Self {
        Self::default()
    }

    /// The records listed now, in order (tests read it).
    pub fn shown(&self) -> &[u32] {
        &self.shown
    }

    fn refresh(&mut self, session: &Session) {
        if self.applied.as_ref() != Some(&self.filter) {
            self.shown = self.filter.apply(&session.store);
            self.applied = Some(self.filter.clone());
        }
    }

    fn filters_ui(&mut self, ui: &mut Ui, session: &Session) {
        let store = &session.store;
        ui.horizontal(|ui| {
            let name = |s: Option<u32>| match s {
                None => "every service".to_string(),
                Some(s) => store
                    .index
                    .services
                    .get(s as usize)
                    .map_or(String::new(), |&n| store.str(n).to_string()),
            };
            ComboBox::from_id_salt("logs-service")
                .selected_text(name(self.filter.service))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.service, None, name(None));
                    for s in 0..store.index.services.len() as u32 {
                        ui.selectable_value(&mut self.filter.service, Some(s), name(Some(s)));
                    }
                });
            let level = |l: Option<Level>| l.map_or("any severity", |l| l.name());
            ComboBox::from_id_salt("logs-level")
                .selected_text(level(self.filter.level))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.level, None, level(None));
                    for l in Level::ALL.into_iter().skip(1) {
                        ui.selectable_value(&mut self.filter.level, Some(l), l.name());
                    }
                });
            ComboBox::from_id_salt("logs-join")
                .selected_text(self.filter.join.title())
                .show_ui(ui, |ui| {
                    for j in JoinFilter::ALL {
                        ui.selectable_value(&mut self.filter.join, j, j.title());
                    }
                });
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text("text in the message")
                    .desired_width(220.0),
            );
            ui.label(format!(
                "{} of {}",
                format::thousands(self.shown.len() as u64),
                format::thousands(store.logs.len() as u64)
            ));
        });
    }
}

/// The span record `k` is placed on, if any (clicking the record opens it).
fn record_span(store: &Store, k: u32) -> Option<u32> {
    store
        .index
        .log_span
        .get(k as usize)
        .copied()
        .filter(|&s| s != NONE)
}

/// One line of a record: time, level, service, join, body.
pub fn record_line(store: &Store, k: u32) -> String {
    let l = store.log(k);
    let join = store
        .index
        .log_join
        .get(k as usize)
        .map_or("", |j| j.name());
    format!(
        "{}  {:<5}  {}  [{}]  {}",
        format::utc(l.time),
        Level::of(l.severity).name(),
        store.log_service(k),
        join,
        store.log_body(k)
    )
}

/// The records placed on span `i`, for its Details: one line each, in time order.
pub fn span_logs_ui(ui: &mut Ui, store: &Store, i: u32) {
    let logs = store.span_logs(i);
    if logs.is_empty() {
        return;
    }
    ui.separator();
    ui.strong(format!("Logs ({})", logs.len()));
    for &k in logs {
        let color = level_color(Level::of(store.log(k).severity));
        ui.colored_label(color, record_line(store, k));
    }
}

impl View for LogsView {
    fn reset(&mut self, session: &Arc<Session>) {
        // A service filter follows its service by name (a live snapshot renumbers services).
        let name = self.filter.service.and_then(|s| {
            let old = &self.session.as_ref()?.store;
            Some(old.str(*old.index.services.get(s as usize)?).to_string())
        });
        let new = &session.store;
        self.filter.service = name.and_then(|n| {
            new.index
                .services
                .binary_search_by(|&s| new.str(s).cmp(&n))
                .ok()
                .map(|k| k as u32)
        });
        self.session = Some(Arc::clone(session));
        self.applied = None;
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let store = &session.store;
        if store.logs.is_empty() {
            ui.label("No log records: open a file of OTLP logs or a Go service's JSON log beside the traces.");
            return;
        }
        self.filters_ui(ui, session);
        self.refresh(session);
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, ROW_HEIGHT, self.shown.len(), |ui, range| {
                for &k in self.shown.get(range).unwrap_or(&[]) {
                    let (rect, resp) = ui.allocate_exact_size(
                        egui::vec2(ui.available_width(), ROW_HEIGHT),
                        Sense::click(),
                    );
                    let line = record_line(store, k);
                    resp.widget_info(|| WidgetInfo::selected(Role::Row, true, false, &line));
                    if !ui.is_rect_visible(rect) {
                        continue;
                    }
                    if resp.hovered() {
                        ui.painter().rect_filled(
                            rect,
                            2.0,
                            ui.visuals().widgets.hovered.weak_bg_fill,
                        );
                    }
                    let color = level_color(Level::of(store.log(k).severity));
                    let text_rect = Rect::from_min_max(rect.min + egui::vec2(4.0, 0.0), rect.max);
                    ui.painter().with_clip_rect(rect).text(
                        text_rect.left_center(),
                        egui::Align2::LEFT_CENTER,
                        &line,
                        egui::FontId::monospace(12.0),
                        color,
                    );
                    if resp.clicked()
                        && let Some(s) = record_span(store, k)
                    {
                        ctx.open_span(s);
                    }
                }
            });
    }
}
