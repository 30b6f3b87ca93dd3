//! The Breaks tab: every break grouped by kind (with counts and severity), each row saying in
//! plain words what happened (`Break::message`), where (service, span, trace), and buttons to
//! jump to the span and to the related span. The `stale_parent` breaks of one goroutine are
//! one group row ("goroutine 500: stale context in 3 requests") that unfolds to them. Only the
//! rows in view are built.

use std::sync::Arc;

use egui::text::{LayoutJob, TextWrapping};
use egui::{Color32, FontId, Rect, RichText, Role, Sense, TextFormat, Ui, UiBuilder, WidgetInfo};
use rustc_hash::FxHashMap;

use crate::analysis::breaks::BreakKind;
use crate::app::state::{Selection, Session, View, ViewCtx};
use crate::app::theme::{self, PENDING};
use crate::model::ids::{span_hex, trace_hex};
use crate::units;

/// What names a goroutine group across sessions: its service and goroutine id.
fn group_key(session: &Session, g: u32) -> (String, i64) {
    let Some(group) = session.index.stale_groups().get(g as usize) else {
        return (String::new(), 0);
    };
    let span = group
        .breaks
        .first()
        .and_then(|&b| session.analysis.breaks.get(b as usize))
        .map(|b| b.span);
    let service = span.map_or("", |s| session.store.service_name(s));
    (service.to_string(), group.goroutine)
}

const HEADER_HEIGHT: f32 = 26.0;
const ROW_HEIGHT: f32 = 46.0;
const GROUP_HEIGHT: f32 = 24.0;
/// How far a group's breaks are indented under its row.
const MEMBER_INDENT: f32 = 18.0;
const PENDING_HELP: &str = "Live: the trace is still receiving spans, so the missing parent or \
                            server span may yet arrive. Pending breaks count once the trace has \
                            been quiet for the grace period.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A kind's header: the kind and its number of breaks.
    Header(BreakKind, usize),
    /// A goroutine's group of `stale_parent` breaks: its number in `SessionIndex::stale_groups`.
    Group(u32),
    /// A break: its number in `Analysis::breaks`.
    Break(u32),
    /// A break of an unfolded group, indented under it.
    Member(u32),
}

impl Line {
    fn height(self) -> f32 {
        match self {
            Line::Header(..) => HEADER_HEIGHT,
            Line::Group(_) => GROUP_HEIGHT,
            Line::Break(_) | Line::Member(_) => ROW_HEIGHT,
        }
    }
}

#[derive(Default)]
pub struct BreaksView {
    /// How many kinds have breaks.
    kinds: usize,
    /// Kinds whose group is folded.
    folded: Vec<BreakKind>,
    /// Goroutine groups unfolded, by service name and goroutine id (kept across sessions).
    unfolded: Vec<(String, i64)>,
    /// The lines shown and the top of each (content coordinates), rebuilt on fold/unfold.
    lines: Vec<Line>,
    tops: Vec<f32>,
}

impl BreaksView {
    pub fn new() -> Self {
        Self::default()
    }

    fn rebuild_lines(&mut self, session: &Session) {
        self.lines.clear();
        self.tops.clear();
        let spacing = 2.0;
        let mut y = 0.0;
        let index = &session.index;
        let kinds = index.breaks_by_kind();
        self.kinds = kinds.len();
        let groups = index.stale_groups();
        let group_of: FxHashMap<u32, u32> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.breaks.iter().map(move |&b| (b, g as u32)))
            .collect();
        for (kind, breaks) in kinds {
            let mut push = |line: Line| {
                self.lines.push(line);
                self.tops.push(y);
                y += line.height() + spacing;
            };
            push(Line::Header(*kind, breaks.len()));
            if self.folded.contains(kind) {
                continue;
            }
            for &b in breaks {
                let Some(&g) = group_of.get(&b).filter(|_| *kind == BreakKind::StaleParent) else {
                    push(Line::Break(b));
                    continue;
                };
                let Some(group) = groups.get(g as usize) else {
                    continue;
                };
                // The group row stands where its first break would.
                if group.breaks.first() == Some(&b) {
                    push(Line::Group(g));
                    if self.unfolded.contains(&group_key(session, g)) {
                        for &m in &group.breaks {
                            push(Line::Member(m));
                        }
                    }
                }
            }
        }
        self.tops.push(y);
    }

    fn group_ui(&mut self, ui: &mut Ui, rect: Rect, g: u32, session: &Session) {
        let Some(group) = session.index.stale_groups().get(g as usize) else {
            return;
        };
        let key = group_key(session, g);
        let unfolded = self.unfolded.contains(&key);
        let label = format!(
            "goroutine {}: stale context in {}",
            group.goroutine,
            units::count(group.breaks.len() as u64, "request")
        );
        let text = format!("{} {label} · {}", if unfolded { "▼" } else { "▶" }, key.0);
        let resp = fold_row(ui, rect, ("goroutine-group", g), &label, text, Row::Group);
        if resp.clicked() {
            toggle(&mut self.unfolded, key);
        }
    }

    fn header_ui(&mut self, ui: &mut Ui, rect: Rect, kind: BreakKind, count: usize) {
        let folded = self.folded.contains(&kind);
        let label = format!(
            "{} {} ({count}, {})",
            if folded { "▶" } else { "▼" },
            kind.name(),
            theme::severity_name(kind.severity())
        );
        let resp = fold_row(
            ui,
            rect,
            ("break-kind", kind.name()),
            &label,
            &label,
            Row::Kind,
        );
        let chip = Rect::from_center_size(
            egui::pos2(rect.left() + 10.0, rect.center().y),
            egui::vec2(8.0, 8.0),
        );
        ui.painter()
            .rect_filled(chip, 2.0, theme::severity(kind.severity()));
        if resp.clicked() {
            toggle(&mut self.folded, kind);
        }
    }

    fn break_ui(ui: &mut Ui, rect: Rect, b: u32, ctx: &mut ViewCtx<'_>) {
        let (session, selection) = (ctx.session, ctx.selection);
        let store = &session.store;
        let Some(br) = session.analysis.breaks.get(b as usize) else {
            return;
        };
        let Some(span) = store.spans.get(br.span as usize) else {
            return;
        };
        let selected = match selection {
            Selection::Break(s) => s == b,
            Selection::Span(s) => s == br.span,
            _ => false,
        };
        let resp = ui.interact(rect, ui.scope_id().with(("break", b)), Sense::click());
        if selected {
            ui.painter()
                .rect_filled(rect, 3.0, ui.visuals().selection.bg_fill);
        } else if resp.hovered() {
            ui.painter()
                .rect_filled(rect, 3.0, ui.visuals().widgets.hovered.weak_bg_fill);
        }
        if resp.clicked() {
            ctx.select(Selection::Break(b));
        }
        let name = store.str(span.name);
        let service = store.service_name(br.span);
        let inner = rect.shrink2(egui::vec2(24.0, 3.0));
        let message = br.message(store);
        let mut job = LayoutJob::single_section(
            message.clone(),
            TextFormat::simple(FontId::proportional(14.0), ui.visuals().text_color()),
        );
        job.wrap = TextWrapping::truncate_at_width(inner.width().max(1.0));
        let galley = ui.painter().layout_job(job);
        let elided = galley.elided;
        ui.painter()
            .galley(inner.left_top(), galley, Color32::PLACEHOLDER);
        if elided {
            resp.on_hover_text(message);
        }

        let second = Rect::from_min_max(
            egui::pos2(inner.left(), inner.top() + 20.0),
            inner.right_bottom(),
        );
        ui.scope_builder(
            UiBuilder::new().max_rect(second).id_salt(("break-row", b)),
            |ui| {
                ui.horizontal(|ui| {
                    if session.is_pending(br, std::time::Instant::now()) {
                        ui.label(RichText::new("● pending").color(PENDING))
                            .on_hover_text(PENDING_HELP);
                    }
                    ui.weak(format!(
                        "{service} · {name} · span {} · trace {}",
                        span_hex(span.span_id),
                        &trace_hex(span.trace_id)[..8]
                    ));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if let Some(rel) = br.related {
                            let r = ui.small_button("Go to related");
                            let rel_name = store
                                .spans
                                .get(rel as usize)
                                .map_or("", |s| store.str(s.name));
                            r.widget_info(|| {
                                WidgetInfo::labeled(
                                    Role::Button,
                                    true,
                                    format!("Go to related span of {} on {name}", br.kind.name()),
                                )
                            });
                            let r = r.on_hover_text(format!("Open the related span {rel_name}"));
                            if r.clicked() {
                                ctx.open_span(rel);
                            }
                        }
                        let g = ui.small_button("Go to span");
                        g.widget_info(|| {
                            WidgetInfo::labeled(
                                Role::Button,
                                true,
                                format!("Go to span of {} on {name}", br.kind.name()),
                            )
                        });
                        if g.clicked() {
                            ctx.open_span(br.span);
                        }
                    });
                });
            },
        );
    }
}

impl View for BreaksView {
    fn reset(&mut self, session: &Arc<Session>) {
        self.rebuild_lines(session);
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewCtx<'_>) {
        let session = ctx.session;
        let total = session.analysis.breaks.len();
        let pending = session.pending_breaks(std::time::Instant::now());
        ui.horizontal(|ui| {
            ui.heading(format!("{total} breaks"));
            ui.label(format!("in {} kinds", self.kinds));
            if pending > 0 {
                ui.label(RichText::new(format!("· {pending} pending")).color(PENDING))
                    .on_hover_text(PENDING_HELP);
            }
        });
        if total == 0 {
            ui.label("No breaks: trace context was propagated everywhere in the loaded traces.");
            return;
        }
        let folded_before = (self.folded.len(), self.unfolded.len());
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_viewport(ui, |ui, viewport| {
                let height = self.tops.last().copied().unwrap_or(0.0);
                ui.set_height(height);
                let origin = ui.max_rect().min;
                let width = ui.max_rect().width();
                let first = self
                    .tops
                    .partition_point(|&t| t < viewport.min.y)
                    .saturating_sub(1);
                let mut k = first;
                while let (Some(&line), Some(&top)) = (self.lines.get(k), self.tops.get(k)) {
                    if top > viewport.max.y {
                        break;
                    }
                    let rect = Rect::from_min_size(
                        origin + egui::vec2(0.0, top),
                        egui::vec2(width, line.height()),
                    );
                    match line {
                        Line::Header(kind, n) => self.header_ui(ui, rect, kind, n),
                        Line::Group(g) => self.group_ui(ui, rect, g, session),
                        Line::Break(b) => Self::break_ui(ui, rect, b, ctx),
                        Line::Member(b) => {
                            let rect = rect.with_min_x(rect.left() + MEMBER_INDENT);
                            Self::break_ui(ui, rect, b, ctx);
                        }
                    }
                    k += 1;
                }
            });
        if (self.folded.len(), self.unfolded.len()) != folded_before {
            self.rebuild_lines(session);
        }
    }
}

/// The two kinds of fold row: a break kind's heading, and a goroutine's group inside it.
#[derive(Clone, Copy)]
enum Row {
    Kind,
    Group,
}

/// A clickable fold row over `rect`: announced as the button `label`, shaded under the
/// pointer, showing `text` as a heading or a group row.
fn fold_row(
    ui: &Ui,
    rect: Rect,
    id: impl egui::AsIdSalt,
    label: &str,
    text: impl ToString,
    row: Row,
) -> egui::Response {
    let resp = ui.interact(rect, ui.scope_id().with(id), Sense::click());
    resp.widget_info(|| WidgetInfo::labeled(Role::Button, true, label));
    if resp.hovered() {
        ui.painter()
            .rect_filled(rect, 2.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    let (indent, size, color) = match row {
        Row::Kind => (22.0, 15.0, ui.visuals().strong_text_color()),
        Row::Group => (24.0, 14.0, ui.visuals().text_color()),
    };
    ui.painter().text(
        egui::pos2(rect.left() + indent, rect.center().y),
        egui::Align2::LEFT_CENTER,
        text,
        FontId::proportional(size),
        color,
    );
    resp
}

/// A click on a fold row: takes `item` out of `list`, or adds it when it was not there.
fn toggle<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if list.contains(&item) {
        list.retain(|k| *k != item);
    } else {
        list.push(item);
    }
}
