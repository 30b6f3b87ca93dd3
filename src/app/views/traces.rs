//! The Traces tab: a scatter of trace duration against start time above a sortable, filterable
//! table of traces (root service and name, start, duration, spans, services, errors, breaks).
//! Rows and points come from `analysis::trace_summary`, built once per session; filtering and
//! sorting run only when the filter or sort changes; the table builds only its visible rows.

use std::sync::Arc;

use egui::text::{LayoutJob, TextWrapping};
use egui::{Align2, Color32, FontId, Rect, Role, Sense, TextFormat, Ui, WidgetInfo};
use egui_plot::{MarkerShape, Plot, PlotPoint, PlotPoints, Points};
use rustc_hash::FxHashMap;

use crate::analysis::breaks::BreakKind;
use crate::analysis::trace_summary::{self, TraceSummary};
use crate::app::format;
use crate::app::state::{Nav, Selection, Session, View, ViewCtx};
use crate::app::theme::{ERROR, OK_POINT};
use crate::app::views::query_bar::QueryBar;
use crate::app::widgets::labelled_field;
use crate::model::Sym;
use crate::model::ids::trace_hex;
use crate::query::traceql::Matched;

const ROW_HEIGHT: f32 = 20.0;
const PLOT_HEIGHT: f32 = 150.0;
/// A click on the plot picks the nearest point within this many points (screen units).
const PICK_RADIUS: f32 = 10.0;

/// A flame-graph frame: the (service, span name) pairs from a root down to the frame.
pub type FramePath = Vec<(String, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Service,
    Name,
    Start,
    Duration,
    Spans,
    Services,
    Errors,
    Breaks,
}

impl Column {
    const ALL: [Column; 8] = [
        Column::Service,
        Column::Name,
        Column::Start,
        Column::Duration,
        Column::Spans,
        Column::Services,
        Column::Errors,
        Column::Breaks,
    ];

    fn title(self) -> &'static str {
        match self {
            Column::Service => "Root service",
            Column::Name => "Root span",
            Column::Start => "Start (UTC)",
            Column::Duration => "Duration",
            Column::Spans => "Spans",
            Column::Services => "Services",
            Column::Errors => "Errors",
            Column::Breaks => "Breaks",
        }
    }

    /// Fixed width; the root span name takes what is left.
    fn width(self) -> Option<f32> {
        match self {
            Column::Service => Some(140.0),
            Column::Name => None,
            Column::Start => Some(175.0),
            Column::Duration => Some(80.0),
            Column::Spans | Column::Errors | Column::Breaks => Some(58.0),
            Column::Services => Some(66.0),
        }
    }

    fn numeric(self) -> bool {
        !matches!(self, Column::Service | Column::Name | Column::Start)
    }
}

/// What the table shows. A trace passes when it matches every set field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Traces with a span of this service (a number into `store.index.services`).
    pub service: Option<u32>,
    /// Traces with a span whose name contains this text (case-insensitive).
    pub name: String,
    pub break_kind: Option<BreakKind>,
    pub errors_only: bool,
    /// Traces holding this (service, span name) path from a root (set from the flame graph).
    pub frame: Option<FramePath>,
}

#[derive(Default)]
pub struct TracesView {
    /// The name of the service the filter names, to find it again in a new session (a live
    /// snapshot numbers services afresh).
    service_name: Option<String>,
    rows: Arc<[TraceSummary]>,
    pub filter: Filter,
    /// The TraceQL bar: its answer filters the list like the fields below it.
    pub query: QueryBar,
    /// The filter and query answer (by the bar's generation) `shown` was computed for.
    applied: Option<(Filter, u64)>,
    sort: Option<(Column, bool)>,
    /// Row numbers (into `rows`) passing the filter, in sort order.
    shown: Vec<u32>,
    /// Which traces hold the frame path of the filter: (path, per-trace flag).
    frame_match: Option<(FramePath, Vec<bool>)>,
    /// Scatter points (s since `t0`, ms) of the shown traces, healthy and with problems, and
    /// the trace number of each point.
    points_ok: Vec<PlotPoint>,
    points_bad: Vec<PlotPoint>,
    traces_ok: Vec<u32>,
    traces_bad: Vec<u32>,
    t0: u64,
    /// Bumped whenever `shown` is recomputed, so others can follow the filter cheaply.
    generation: u64,
}

impl TracesView {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows only traces holding this frame path (from the flame graph).
    pub fn set_frame_filter(&mut self, path: FramePath) {
        self.filter.frame = Some(path);
    }

    /// Trace numbers currently listed, in order (for tests and the status line).
    pub fn listed(&self) -> impl Iterator<Item = u32> + '_ {
        self.shown
            .iter()
            .filter_map(|&r| self.rows.get(r as usize).map(|s| s.trace))
    }

    /// Changes whenever the listed traces may have changed.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The listed traces when a filter hides some, sorted by trace number; `None` when every
    /// trace is listed.
    pub fn filtered_traces(&self) -> Option<Vec<u32>> {
        if self.shown.len() == self.rows.len() {
            return None;
        }
        let mut t: Vec<u32> = self.listed().collect();
        t.sort_unstable();
        Some(t)
    }

    /// The spans the query matched, when a query is applied (for the flame chart).
    pub fn matched(&self) -> Option<&Arc<Matched>> {
        self.query.matched()
    }

    fn refresh(&mut self, session: &Session) {
        let query_gen = self.query.generation();
        if self
            .applied
            .as_ref()
            .is_some_and(|(f, g)| *f == self.filter && *g == query_gen)
        {
            return;
        }
        let matched = self.query.matched().map(Arc::clone);
        self.generation += 1;
        let store = &session.store;
        self.service_name = self
            .filter
            .service
            .map(|s| session.service_name(s).to_string());
        if let Some(path) = &self.filter.frame
            && self.frame_match.as_ref().is_none_or(|(p, _)| p != path)
        {
            let flags = store
                .index
                .traces
                .iter()
                .map(|t| trace_summary::has_frame_path(store, t, path))
                .collect();
            self.frame_match = Some((path.clone(), flags));
        }
        let needle = self.filter.name.trim().to_lowercase();
        // Each distinct name is tested once per filter change, not once per trace.
        let mut name_hit: FxHashMap<Sym, bool> = FxHashMap::default();
        let f = &self.filter;
        let frame = self
            .frame_match
            .as_ref()
            .filter(|_| f.frame.is_some())
            .map(|(_, v)| v);
        self.shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                f.service
                    .is_none_or(|s| r.services.binary_search(&s).is_ok())
                    && f.break_kind.is_none_or(|k| r.has_break_kind(k))
                    && (!f.errors_only || r.errors > 0)
                    && matched
                        .as_ref()
                        .is_none_or(|m| m.traces.binary_search(&r.trace).is_ok())
                    && frame.is_none_or(|v| v.get(r.trace as usize).copied().unwrap_or(false))
                    && (needle.is_empty()
                        || r.names.iter().any(|&s| {
                            *name_hit
                                .entry(s)
                                .or_insert_with(|| store.str(s).to_lowercase().contains(&needle))
                        }))
            })
            .map(|(k, _)| k as u32)
            .collect();
        self.sort_shown(session);
        self.points_ok.clear();
        self.points_bad.clear();
        self.traces_ok.clear();
        self.traces_bad.clear();
        for &k in &self.shown {
            let Some(r) = self.rows.get(k as usize) else {
                continue;
            };
            let p = PlotPoint::new(
                r.start.saturating_sub(self.t0) as f64 / 1e9,
                r.duration_ns as f64 / 1e6,
            );
            if r.errors > 0 || r.breaks > 0 {
                self.points_bad.push(p);
                self.traces_bad.push(r.trace);
            } else {
                self.points_ok.push(p);
                self.traces_ok.push(r.trace);
            }
        }
        self.applied = Some((self.filter.clone(), query_gen));
    }

    fn sort_shown(&mut self, session: &Session) {
        let Some((col, desc)) = self.sort else {
            // Default order: by start time, like Jaeger's search results sorted by time.
            let rows = &self.rows;
            self.shown
                .sort_by_key(|&k| rows.get(k as usize).map(|r| (r.start, r.trace)));
            return;
        };
        let store = &session.store;
        let rows = &self.rows;
        let key = |k: &u32| rows.get(*k as usize);
        self.shown.sort_by(|a, b| {
            let (Some(x), Some(y)) = (key(a), key(b)) else {
                return std::cmp::Ordering::Equal;
            };
            let ord = match col {
                Column::Service => store.service_name(x.root).cmp(store.service_name(y.root)),
                Column::Name => store
                    .str(store.span(x.root).name)
                    .cmp(store.str(store.span(y.root).name)),
                Column::Start => x.start.cmp(&y.start),
                Column::Duration => x.duration_ns.cmp(&y.duration_ns),
                Column::Spans => x.spans.cmp(&y.spans),
                Column::Services => x.services.len().cmp(&y.services.len()),
                Column::Errors => x.errors.cmp(&y.errors),
                Column::Breaks => x.breaks.cmp(&y.breaks),
            }
            .then(x.start.cmp(&y.start));
            if desc { ord.reverse() } else { ord }
        });
    }

    fn filters_ui(&mut self, ui: &mut Ui, session: &Session) {
        let store = &session.store;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Service");
            let current = self
                .filter
                .service
                .and_then(|s| store.index.services.get(s as usize))
                .map_or("any", |&sym| store.str(sym));
            egui::ComboBox::from_id_salt("traces-service")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.service, None, "any");
                    for (k, &sym) in store.index.services.iter().enumerate() {
                        ui.selectable_value(
                            &mut self.filter.service,
                            Some(k as u32),
                            store.str(sym),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            labelled_field(ui, "Span name", &mut self.filter.name, "contains…", 140.0);
            let label = ui.label("Break");
            let kind = self.filter.break_kind.map_or("any", BreakKind::name);
            egui::ComboBox::from_id_salt("traces-break")
                .selected_text(kind)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.break_kind, None, "any");
                    for k in BreakKind::ALL {
                        ui.selectable_value(&mut self.filter.break_kind, Some(k), k.name());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.checkbox(&mut self.filter.errors_only, "Errors only");
            if let Some(path) = &self.filter.frame {
                let text = path
                    .iter()
                    .map(|(s, n)| format!("{s}: {n}"))
                    .collect::<Vec<_>>()
                    .join(" › ");
                if ui
                    .button(format!("Frame: {text}  ×"))
                    .on_hover_text("Clear the frame filter")
                    .clicked()
                {
                    self.filter.frame = None;
                }
            }
            if self.filter != Filter::default() && ui.button("Clear filters").clicked() {
                self.filter = Filter::default();
            }
            ui.label(format!(
                "{} of {} traces",
                self.shown.len(),
                self.rows.len()
            ));
        });
    }

    fn plot_ui(&mut self, ui: &mut Ui) -> Option<u32> {
        let t0 = format::utc(self.t0);
        let resp = Plot::new("traces-scatter")
            .height(PLOT_HEIGHT)
            .x_axis_label(format!("start, s after {t0}"))
            .y_axis_label("duration, ms")
            .allow_scroll(false)
            .show(ui, |p| {
                p.add(
                    Points::new("traces", PlotPoints::Borrowed(&self.points_ok))
                        .color(OK_POINT)
                        .radius(3.0)
                        .shape(MarkerShape::Circle),
                );
                p.add(
                    Points::new("errors or breaks", PlotPoints::Borrowed(&self.points_bad))
                        .color(ERROR)
                        .radius(3.5)
                        .shape(MarkerShape::Diamond),
                );
            });
        if !resp.response.clicked() {
            return None;
        }
        let at = resp.response.interact_pointer_pos()?;
        let mut best: Option<(f32, u32)> = None;
        for (points, traces) in [
            (&self.points_ok, &self.traces_ok),
            (&self.points_bad, &self.traces_bad),
        ] {
            for (p, &t) in points.iter().zip(traces) {
                let d = resp.transform.position_from_point(p).distance(at);
                if d <= PICK_RADIUS && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, t));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    fn header_ui(&mut self, ui: &mut Ui, widths: &[f32; 8], session: &Session) {
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), Sense::hover());
        let mut x = rect.left();
        for (col, &w) in Column::ALL.iter().zip(widths) {
            let cell = Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(w, ROW_HEIGHT));
            x += w;
            let arrow = match self.sort {
                Some((c, true)) if c == *col => " ▼",
                Some((c, false)) if c == *col => " ▲",
                _ => "",
            };
            let resp = ui
                .interact(
                    cell,
                    ui.scope_id().with(("sort", col.title())),
                    Sense::click(),
                )
                .on_hover_text("Sort by this column");
            resp.widget_info(|| WidgetInfo::labeled(Role::ColumnHeader, true, col.title()));
            let strong = ui.visuals().strong_text_color();
            paint_cell(
                ui,
                cell,
                &format!("{}{arrow}", col.title()),
                strong,
                col.numeric(),
            );
            if resp.clicked() {
                self.sort = match self.sort {
                    Some((c, desc)) if c == *col => Some((c, !desc)),
                    // Numbers and times read best largest first.
                    _ => Some((*col, col.numeric() || *col == Column::Start)),
                };
                self.sort_shown(session);
            }
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, session: &Session, selection: Selection) -> Option<u32> {
        let store = &session.store;
        let total = ui.available_width();
        let fixed: f32 = Column::ALL.iter().filter_map(|c| c.width()).sum();
        let mut widths = [0.0; 8];
        for (w, c) in widths.iter_mut().zip(Column::ALL) {
            *w = c.width().unwrap_or((total - fixed).max(120.0));
        }
        self.header_ui(ui, &widths, session);
        ui.separator();
        let selected_trace = match selection {
            Selection::Trace(t) => Some(t),
            Selection::Span(i) => session.trace_of(i),
            _ => None,
        };
        let mut clicked = None;
        let text_color = ui.visuals().text_color();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, ROW_HEIGHT, self.shown.len(), |ui, range| {
                for &k in self.shown.get(range).unwrap_or(&[]) {
                    let Some(r) = self.rows.get(k as usize) else {
                        continue;
                    };
                    let (rect, resp) = ui.allocate_exact_size(
                        egui::vec2(ui.available_width(), ROW_HEIGHT),
                        Sense::click(),
                    );
                    let service = store.service_name(r.root);
                    let name = store.str(store.span(r.root).name);
                    let id =
                        trace_hex(store.index.traces.get(r.trace as usize).map_or(0, |t| t.id));
                    resp.widget_info(|| {
                        WidgetInfo::selected(
                            Role::Row,
                            true,
                            selected_trace == Some(r.trace),
                            format!("Trace {id}: {service} {name}"),
                        )
                    });
                    if !ui.is_rect_visible(rect) {
                        continue;
                    }
                    if selected_trace == Some(r.trace) {
                        ui.painter()
                            .rect_filled(rect, 2.0, ui.visuals().selection.bg_fill);
                    } else if resp.hovered() {
                        ui.painter().rect_filled(
                            rect,
                            2.0,
                            ui.visuals().widgets.hovered.weak_bg_fill,
                        );
                    }
                    let resp = resp.on_hover_text(format!("trace {id}"));
                    if resp.clicked() {
                        clicked = Some(r.trace);
                    }
                    let cells = [
                        service.to_string(),
                        name.to_string(),
                        format::utc(r.start),
                        format::duration(r.duration_ns),
                        r.spans.to_string(),
                        r.services.len().to_string(),
                        r.errors.to_string(),
                        r.breaks.to_string(),
                    ];
                    let mut x = rect.left();
                    for ((col, w), text) in Column::ALL.iter().zip(widths).zip(cells) {
                        let cell = Rect::from_min_size(
                            egui::pos2(x, rect.top()),
                            egui::vec2(w, ROW_HEIGHT),
                        );
                        x += w;
                        let hot = match col {
                            Column::Errors => r.errors > 0,
                            Column::Breaks => r.breaks > 0,
                            _ => false,
                        };
                        let color = if hot { ERROR } else { text_color };
                        paint_cell(ui, cell, &text, color, col.numeric());
                    }
                }
            });
        clicked
    }
}

/// One table cell: single line, cut with `…` when too wide.
fn paint_cell(ui: &Ui, cell: Rect, text: &str, color: Color32, right: bool) {
    let pad = 4.0;
    let width = (cell.width() - 2.0 * pad).max(1.0);
    let mut job = LayoutJob::single_section(
        text.to_string(),
        TextFormat::simple(FontId::proportional(13.0), color),
    );
    job.wrap = TextWrapping::truncate_at_width(width);
    let galley = ui.painter().layout_job(job);
    let (x, align) = if right {
        (cell.right() - pad, Align2::RIGHT_CENTER)
    } else {
        (cell.left() + pad, Align2::LEFT_CENTER)
    };
    let pos = align
        .anchor_size(egui::pos2(x, cell.center().y), galley.size())
        .min;
    ui.painter().galley(pos, galley, color);
}

impl View for TracesView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.rows = Arc::clone(session.index.traces());
        self.t0 = self.rows.iter().map(|r| r.start).min().unwrap_or(0);
        // A service filter follows the service by name into the new session.
        let kept = self.filter.service.and(self.service_name.as_deref());
        self.filter.service = kept.and_then(|name| session.service_named(name));
        self.frame_match = None;
        self.applied = None;
        self.query.reset();
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        self.query.ui(ui, session);
        self.filters_ui(ui, session);
        self.refresh(session);
        let plotted = self.plot_ui(ui);
        ui.add_space(4.0);
        let listed = self.table_ui(ui, session, ctx.selection);
        for trace in [plotted, listed].into_iter().flatten() {
            ctx.navigate(Nav::OpenTrace {
                trace,
                focus_span: None,
            });
        }
    }
}
